/**
 * What the set-up should make exist (pure): the workflows' identities with their federated credentials, the
 * pull identity, the role assignments with the narrowest scope Azure allows, and the repository variables.
 * Facts read from Azure first (which jobs exist, the environment's and registry's IDs) come in as `Facts`.
 */
import type { SetupOptions, Student } from './args.ts';
import { formatResourceId, jobResourceId, resourceGroupId as groupId } from '../src/common/ids.ts';

export const AUDIENCE = 'api://AzureADTokenExchange';
/** A custom role with only what deploying a job needs on a shared environment (Contributor there is too much). */
export const ENV_ROLE = 'Container Apps environment user (GitHub)';
export const ENV_ROLE_ACTIONS = [
  'Microsoft.App/managedEnvironments/read',
  'Microsoft.App/managedEnvironments/join/action',
];

export interface Facts {
  readonly environmentId: string;
  readonly registryId?: string;
  /** Lower-cased names of the students' jobs that exist already. */
  readonly existingJobs: ReadonlySet<string>;
}

export interface CredentialPlan {
  readonly name: string;
  readonly subject: string;
}

export interface IdentityPlan {
  readonly name: string;
  readonly credentials: readonly CredentialPlan[];
  readonly students: readonly Student[];
}

export interface RolePlan {
  /** The identity's name (its principal ID is known only once it exists). */
  readonly identity: string;
  readonly role: string;
  readonly scope: string;
  readonly why: string;
}

export interface Plan {
  readonly identities: readonly IdentityPlan[];
  readonly pullIdentity?: string;
  readonly roles: readonly RolePlan[];
  readonly needsEnvRole: boolean;
}

/** Federated credential names: letters, digits, '-' and '_', at most 120 characters, unique per identity. */
export function credentialName(repo: string, kind: 'branch' | 'env', value: string): string {
  const raw = `${repo.replace('/', '-')}-${kind}-${value}`;
  return raw.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 120);
}

export function subjects(options: SetupOptions, repo: string): CredentialPlan[] {
  return [
    ...options.branches.map((b) => ({
      name: credentialName(repo, 'branch', b),
      subject: `repo:${repo}:ref:refs/heads/${b}`,
    })),
    ...options.githubEnvironments.map((e) => ({
      name: credentialName(repo, 'env', e),
      subject: `repo:${repo}:environment:${e}`,
    })),
  ];
}

export function resourceGroupId(options: SetupOptions, resourceGroup = options.resourceGroup): string {
  return groupId(options.subscription, resourceGroup);
}

/** The ID of a resource in the class's subscription (in its resource group unless another is given). */
export function resourceId(
  options: SetupOptions,
  provider: string,
  type: string,
  name: string,
  resourceGroup = options.resourceGroup,
): string {
  return formatResourceId({ subscriptionId: options.subscription, resourceGroup, provider, type, name });
}

export function jobId(options: SetupOptions, job: string): string {
  return jobResourceId(options.subscription, options.resourceGroup, job);
}

export function identityId(options: SetupOptions, name: string): string {
  return resourceId(options, 'Microsoft.ManagedIdentity', 'userAssignedIdentities', name);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function makePlan(options: SetupOptions, facts: Facts): Plan {
  const groups = chunks(options.students, options.chunkSize);
  const identities: IdentityPlan[] = groups.map((students, i) => ({
    name:
      groups.length === 1 && options.students.length === 1 ? options.identityName : `${options.identityName}-${i + 1}`,
    students,
    credentials: students.flatMap((s) => subjects(options, s.repo)),
  }));
  const roles: RolePlan[] = [];
  let needsEnvRole = false;
  for (const identity of identities) {
    const missing = identity.students.filter((s) => !facts.existingJobs.has(s.job.toLowerCase()));
    if (missing.length > 0) {
      roles.push({
        identity: identity.name,
        role: 'Contributor',
        scope: resourceGroupId(options),
        why: `create ${missing.map((s) => s.job).join(', ')} (a job that does not exist yet can only be granted on its resource group: create the jobs first to keep each identity to its own jobs)`,
      });
    }
    for (const s of identity.students.filter((s) => facts.existingJobs.has(s.job.toLowerCase()))) {
      roles.push({
        identity: identity.name,
        role: 'Contributor',
        scope: jobId(options, s.job),
        why: `deploy and run ${s.job} (that job only)`,
      });
    }
    if (missing.length < identity.students.length) {
      needsEnvRole = true;
      roles.push({
        identity: identity.name,
        role: ENV_ROLE,
        scope: facts.environmentId,
        why: 'use the shared environment (read, join)',
      });
    }
    if (options.pullIdentityName)
      roles.push({
        identity: identity.name,
        role: 'Managed Identity Operator',
        scope: identityId(options, options.pullIdentityName),
        why: 'let the jobs pull with the shared pull identity (registry-identity)',
      });
    if (options.push && facts.registryId)
      roles.push({
        identity: identity.name,
        role: 'AcrPush',
        scope: facts.registryId,
        why: 'push images from the workflow',
      });
    if (options.logsWorkspace)
      roles.push({
        identity: identity.name,
        role: 'Log Analytics Reader',
        scope: options.logsWorkspace,
        why: 'read the logs after a run',
      });
  }
  if (options.pullIdentityName && facts.registryId)
    roles.push({
      identity: options.pullIdentityName,
      role: 'AcrPull',
      scope: facts.registryId,
      why: 'the jobs pull their images',
    });
  return { identities, pullIdentity: options.pullIdentityName, roles, needsEnvRole };
}

/** A role assignment's name must be a GUID; the same (scope, principal, role) always gives the same one. */
export async function assignmentName(scope: string, principalId: string, roleDefinitionId: string): Promise<string> {
  const data = new TextEncoder().encode(
    `${scope.toLowerCase()}|${principalId.toLowerCase()}|${roleDefinitionId.toLowerCase()}`,
  );
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', data)).slice(0, 16);
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = [...hash].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
