// Azure setup for deploy-container-apps-job (docs/azure-setup.md explains every part).
//
// Creates, in the resource group it is deployed to:
//   - a user-assigned managed identity that GitHub workflows sign in as (OIDC, no secret), with one federated
//     credential per allowed branch, GitHub environment and, optionally, pull requests;
//   - its role for Container Apps jobs: Contributor, a custom Deployer role, a custom Runner role (start, watch,
//     stop only), or none;
//   - optionally: AcrPush on a registry, an identity for the job to pull images with (AcrPull), and Log Analytics
//     Reader on the environment's workspace. Registry and workspace must be in this resource group.
//
//   az deployment group create -g rg-data -f docs/azure-setup.bicep \
//     -p githubRepository=OWNER/REPO branches='["main"]' environments='["production"]' \
//        jobsRole=Deployer registryName=myregistry createPullIdentity=true
//
// Needs the right to create role assignments (and, for Deployer / Runner, role definitions) in the group.
targetScope = 'resourceGroup'

@description('The GitHub repository whose workflows may sign in, as OWNER/REPO.')
param githubRepository string

@description('Branches whose runs may sign in (push, schedule and workflow_dispatch on them).')
param branches array = ['main']

@description('GitHub environments whose jobs may sign in (jobs with environment: NAME).')
param environments array = []

@description('Allow pull_request runs of this repository (never forks) to sign in.')
param allowPullRequests bool = false

@description('OIDC issuer: GitHub.com, or https://HOST/_services/token for GitHub Enterprise Server.')
param issuer string = 'https://token.actions.githubusercontent.com'

@description('Name of the identity the workflows sign in as.')
param identityName string = 'id-github-jobs'

@description('Role of that identity on this resource group for Container Apps jobs.')
@allowed(['Contributor', 'Deployer', 'Runner', 'None'])
param jobsRole string = 'Deployer'

@description('Name of an Azure Container Registry in this resource group; empty for none.')
param registryName string = ''

@description('Give the workflow identity AcrPush on the registry (it pushes images).')
param allowAcrPush bool = false

@description('Create an identity for the job to pull images with (AcrPull on the registry); pass its ID as registry-identity.')
param createPullIdentity bool = false

@description('Name of the pull identity.')
param pullIdentityName string = 'id-job-pull'

@description('Name of the Log Analytics workspace of the Container Apps environment, in this resource group; empty for none.')
param logAnalyticsWorkspaceName string = ''

param location string = resourceGroup().location

var audiences = ['api://AzureADTokenExchange']
var branchSubjects = map(branches, branch => 'repo:${githubRepository}:ref:refs/heads/${branch}')
var environmentSubjects = map(environments, envName => 'repo:${githubRepository}:environment:${envName}')
var pullRequestSubjects = allowPullRequests ? ['repo:${githubRepository}:pull_request'] : []
var subjects = concat(branchSubjects, environmentSubjects, pullRequestSubjects)

// Built-in role definition IDs.
var roleIds = {
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c'
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  AcrPush: '8311e382-0749-4cb8-b61a-304f252e45ec'
  LogAnalyticsReader: '73c42c96-874c-492b-b04d-ab87d138a893'
}

// What starting, watching and stopping executions needs (smoke runs and reruns), plus the live log stream's token.
var runnerActions = [
  'Microsoft.Resources/subscriptions/resourceGroups/read'
  'Microsoft.App/jobs/read'
  'Microsoft.App/jobs/start/action'
  'Microsoft.App/jobs/execution/read'
  'Microsoft.App/jobs/executions/read'
  'Microsoft.App/jobs/stop/execution/action'
  'Microsoft.App/jobs/getAuthToken/action'
  'Microsoft.App/managedEnvironments/read'
]

// Runner plus creating and updating jobs: writing the job, resending its secrets (listSecrets returns their
// values), creating it in an environment, and attaching user-assigned identities (identity, registry-identity).
var deployerActions = concat(runnerActions, [
  'Microsoft.App/jobs/write'
  'Microsoft.App/jobs/listSecrets/action'
  'Microsoft.App/managedEnvironments/join/action'
  'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action'
])

var deployerDescription = 'Create, update, start and stop Container Apps jobs in this resource group.'
var runnerDescription = 'Start, watch and stop executions of Container Apps jobs in this resource group.'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: identityName
  location: location
}

// Azure accepts one federated credential write per identity at a time.
@batchSize(1)
resource federatedCredentials 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = [
  for (subject, i) in subjects: {
    parent: identity
    name: 'github-${i}'
    properties: {
      issuer: issuer
      subject: subject
      audiences: audiences
    }
  }
]

resource customRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (jobsRole == 'Deployer' || jobsRole == 'Runner') {
  name: guid(resourceGroup().id, 'deploy-container-apps-job', jobsRole)
  properties: {
    // Role names are unique per tenant.
    roleName: 'Container Apps job ${toLower(jobsRole)} (GitHub, ${resourceGroup().name}, ${take(subscription().subscriptionId, 8)})'
    description: jobsRole == 'Deployer' ? deployerDescription : runnerDescription
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: jobsRole == 'Deployer' ? deployerActions : runnerActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

var contributorRoleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.Contributor)
var jobsRoleDefinitionId = jobsRole == 'Contributor' ? contributorRoleId : customRole.id

resource jobsRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (jobsRole != 'None') {
  name: guid(resourceGroup().id, identity.id, jobsRole)
  properties: {
    roleDefinitionId: jobsRoleDefinitionId
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    description: 'GitHub workflows of ${githubRepository} deploy and run Container Apps jobs'
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = if (!empty(registryName)) {
  name: empty(registryName) ? 'none' : registryName
}

resource acrPush 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(registryName) && allowAcrPush) {
  scope: registry
  name: guid(registry.id, identity.id, 'AcrPush')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.AcrPush)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource pullIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = if (createPullIdentity) {
  name: pullIdentityName
  location: location
}

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(registryName) && createPullIdentity) {
  scope: registry
  name: guid(registry.id, pullIdentity.id, 'AcrPull')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.AcrPull)
    principalId: pullIdentity!.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = if (!empty(logAnalyticsWorkspaceName)) {
  name: empty(logAnalyticsWorkspaceName) ? 'none' : logAnalyticsWorkspaceName
}

resource logReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(logAnalyticsWorkspaceName)) {
  scope: workspace
  name: guid(workspace.id, identity.id, 'LogAnalyticsReader')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.LogAnalyticsReader)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

@description('Repository variable AZURE_CLIENT_ID (input client-id).')
output clientId string = identity.properties.clientId

@description('Repository variable AZURE_TENANT_ID (input tenant-id).')
output tenantId string = identity.properties.tenantId

@description('Repository variable AZURE_SUBSCRIPTION_ID (input subscription-id).')
output subscriptionId string = subscription().subscriptionId

@description('Input registry-identity for the job (empty when no pull identity was created).')
output pullIdentityId string = createPullIdentity ? pullIdentity.id : ''

@description('The federated credentials created, for checking.')
output subjects array = subjects
