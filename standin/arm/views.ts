/**
 * Wire shapes of the resources, as the service answers them (field order and nulls as in the recordings,
 * names and casing as in the spec).
 */
import type { EnvironmentRecord, JobRecord, RegistryRecord, ResourceGroupRecord } from './state.ts';
import { armTimestamp, isObj, normalizeLocation, type Json, type JsonObject } from './util.ts';
import { text } from '../common/text.ts';

function orNull(v: unknown): Json {
  return v === undefined ? null : (v as Json);
}

const CONTAINER_ORDER = ['image', 'imageType', 'name', 'command', 'args', 'env', 'resources', 'volumeMounts', 'probes'];

function containerView(c: unknown): Json {
  if (!isObj(c)) return c as Json;
  const out: JsonObject = {};
  for (const k of CONTAINER_ORDER) {
    const v = c[k];
    if (v === undefined) continue;
    if (k === 'resources' && isObj(v)) {
      const r: JsonObject = {};
      if (v.cpu !== undefined) r.cpu = v.cpu as Json;
      if (v.memory !== undefined) r.memory = v.memory as Json;
      r.ephemeralStorage = '';
      out.resources = r;
    } else {
      out[k] = v as Json;
    }
  }
  for (const [k, v] of Object.entries(c)) if (!(k in out) && v !== undefined) out[k] = v as Json;
  return out;
}

export function eventStreamEndpoint(
  env: EnvironmentRecord | undefined,
  sub: string,
  rg: string,
  job: string,
  location: string,
): string {
  const host = env?.eventStreamHost ?? `https://${normalizeLocation(location)}.azurecontainerapps.dev`;
  return `${host}/subscriptions/${sub}/resourceGroups/${rg}/containerApps/${job}/eventstream`;
}

export interface JobViewOptions {
  subscriptionId: string;
  apiVersion: string;
  env: EnvironmentRecord | undefined;
  /** Keep secret values (for the stand-in's own inspection API; never on the wire). */
  withSecretValues?: boolean;
}

/** The Job as GET answers it (secret values stripped unless `withSecretValues`). */
export function jobView(job: JobRecord, o: JobViewOptions): JsonObject {
  const spec = job.spec;
  const props = isObj(spec.properties) ? spec.properties : {};
  const conf = isObj(props.configuration) ? props.configuration : {};
  const tmpl = isObj(props.template) ? props.template : {};
  const location = text(spec.location ?? '');

  const secrets = Array.isArray(conf.secrets)
    ? conf.secrets.map((s) => {
        if (!isObj(s)) return s;
        const out: JsonObject = { name: s.name as Json };
        if (o.withSecretValues && s.value !== undefined) out.value = s.value;
        if (s.keyVaultUrl !== undefined) out.keyVaultUrl = s.keyVaultUrl;
        if (s.identity !== undefined) out.identity = s.identity;
        return out;
      })
    : null;

  const configuration: JsonObject = {
    secrets,
    triggerType: conf.triggerType as Json,
    replicaTimeout: conf.replicaTimeout as Json,
  };
  if (conf.replicaRetryLimit !== undefined) configuration.replicaRetryLimit = conf.replicaRetryLimit;
  configuration.manualTriggerConfig = orNull(conf.manualTriggerConfig);
  configuration.scheduleTriggerConfig = orNull(conf.scheduleTriggerConfig);
  configuration.eventTriggerConfig = orNull(conf.eventTriggerConfig);
  configuration.registries = orNull(conf.registries);
  configuration.identitySettings = conf.identitySettings ?? [];

  const template: JsonObject = {
    containers: Array.isArray(tmpl.containers) ? tmpl.containers.map(containerView) : null,
    initContainers: Array.isArray(tmpl.initContainers) ? tmpl.initContainers.map(containerView) : null,
    volumes: orNull(tmpl.volumes),
  };

  const properties: JsonObject = { provisioningState: job.provisioningState };
  if (o.apiVersion.slice(0, 10) >= '2026-07-01' && !o.apiVersion.endsWith('-preview'))
    properties.runningState = job.runningState ?? 'Ready';
  properties.environmentId = props.environmentId as Json;
  properties.workloadProfileName = orNull(props.workloadProfileName);
  properties.configuration = configuration;
  properties.template = template;
  properties.eventStreamEndpoint = eventStreamEndpoint(o.env, o.subscriptionId, job.resourceGroup, job.name, location);

  const view: JsonObject = { id: job.id, name: job.name, type: 'Microsoft.App/jobs', location };
  if (isObj(spec.tags) && Object.keys(spec.tags).length > 0) view.tags = spec.tags;
  view.systemData = { ...job.systemData };
  view.properties = properties;
  view.identity = identityView(spec.identity, job.identityIds);
  return view;
}

function identityView(identity: unknown, ids: JobRecord['identityIds']): JsonObject {
  if (!isObj(identity) || typeof identity.type !== 'string') return { type: 'None' };
  const type = identity.type;
  const out: JsonObject = { type };
  if (/SystemAssigned/i.test(type)) {
    out.principalId = ids.principalId;
    out.tenantId = ids.tenantId;
  }
  if (/UserAssigned/i.test(type) && isObj(identity.userAssignedIdentities)) {
    const uai: JsonObject = {};
    for (const key of Object.keys(identity.userAssignedIdentities)) {
      const g = ids.user[key.toLowerCase()];
      uai[key] = g ? { clientId: g.clientId, principalId: g.principalId } : {};
    }
    out.userAssignedIdentities = uai;
  }
  return out;
}

export function systemDataView(createdAt: number, by = 'standin@example.com', byType = 'User'): JsonObject {
  const t = armTimestamp(createdAt);
  return {
    createdBy: by,
    createdByType: byType,
    createdAt: t,
    lastModifiedBy: by,
    lastModifiedByType: byType,
    lastModifiedAt: t,
  };
}

export function environmentView(env: EnvironmentRecord, subscriptionId: string): JsonObject {
  const props: JsonObject = {
    provisioningState: 'Succeeded',
    defaultDomain: env.defaultDomain,
    staticIp: env.staticIp,
    appLogsConfiguration:
      env.logAnalyticsCustomerId !== undefined
        ? { destination: 'log-analytics', logAnalyticsConfiguration: { customerId: env.logAnalyticsCustomerId } }
        : { destination: null, logAnalyticsConfiguration: null },
    zoneRedundant: false,
    eventStreamEndpoint: `${env.eventStreamHost}/subscriptions/${subscriptionId}/resourceGroups/${env.resourceGroup}/managedEnvironments/${env.name}/eventstream`,
    workloadProfiles: env.workloadProfiles ? [{ workloadProfileType: 'Consumption', name: 'Consumption' }] : null,
    infrastructureResourceGroup: `ME_${env.name}_${env.resourceGroup}_${normalizeLocation(env.location)}`,
    peerAuthentication: { mtls: { enabled: false } },
    peerTrafficConfiguration: { encryption: { enabled: false } },
    publicNetworkAccess: 'Enabled',
  };
  return {
    id: env.id,
    name: env.name,
    type: 'Microsoft.App/managedEnvironments',
    location: env.location,
    systemData: systemDataView(env.createdAt),
    properties: props,
  };
}

/** Registry as api-version 2023-07-01 answers it. */
export function registryView(r: RegistryRecord): JsonObject {
  const created = new Date(r.createdAt).toISOString().replace(/\.\d+Z$/, '.0000000Z');
  return {
    sku: { name: r.sku, tier: r.sku },
    type: 'Microsoft.ContainerRegistry/registries',
    id: r.id,
    name: r.name,
    location: r.location,
    tags: {},
    systemData: systemDataView(r.createdAt),
    properties: {
      loginServer: r.loginServer,
      creationDate: created,
      provisioningState: 'Succeeded',
      adminUserEnabled: r.adminUserEnabled,
      policies: {
        quarantinePolicy: { status: 'disabled' },
        trustPolicy: { type: 'Notary', status: 'disabled' },
        retentionPolicy: { days: 7, lastUpdatedTime: created, status: 'disabled' },
        exportPolicy: { status: 'enabled' },
        azureADAuthenticationAsArmPolicy: { status: 'enabled' },
        softDeletePolicy: { retentionDays: 7, lastUpdatedTime: created, status: 'disabled' },
      },
      encryption: { status: 'disabled' },
      dataEndpointEnabled: false,
      dataEndpointHostNames: [],
      privateEndpointConnections: [],
      publicNetworkAccess: 'Enabled',
      networkRuleBypassOptions: 'AzureServices',
      zoneRedundancy: 'Disabled',
      anonymousPullEnabled: false,
    },
  };
}

export function resourceGroupView(rg: ResourceGroupRecord): JsonObject {
  const v: JsonObject = { id: rg.id, name: rg.name, type: 'Microsoft.Resources/resourceGroups', location: rg.location };
  if (rg.tags && Object.keys(rg.tags).length > 0) v.tags = rg.tags;
  v.properties = { provisioningState: 'Succeeded' };
  return v;
}
