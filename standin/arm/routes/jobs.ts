/**
 * Jobs: list, GET, PUT (create/replace), PATCH (RFC 7396 merge), DELETE and listSecrets, with spec validation,
 * the create defaults, semantic checks and the 409 while an operation is in progress.
 */
import { randomBytes } from 'node:crypto';
import { parseJsonBody } from '../../common/http.ts';
import type { Arm } from '../arm.ts';
import { INSPECT_API_VERSION } from '../executions.ts';
import { isAuthorized, printedScope } from '../authz.ts';
import { ArmError, errors } from '../errors.ts';
import { mergePatch } from '../merge-patch.ts';
import type { Issue } from '../schema.ts';
import type { EnvironmentRecord, JobRecord } from '../state.ts';
import { type Json, type JsonObject, armTimestamp, clone, guid, isObj, normalizeLocation, objects } from '../util.ts';
import { jobView } from '../views.ts';
import { locationHeaders, observe, startOperation, statusUrl } from './operations.ts';
import { requireRg } from './resources.ts';
import {
  type Call,
  JOB,
  JOB_NAME,
  type Principal,
  RG,
  type Reply,
  type Route,
  S,
  jobScope,
  key,
  page,
  r,
} from './route.ts';
import { text } from '../../common/text.ts';

/** The routes of this module, in matching order. */
export function jobRoutes(arm: Arm): Route[] {
  return [
    r('GET', `${S}/providers/Microsoft.App/jobs`, 'Microsoft.App', 'jobs', 'Microsoft.App/jobs/read', (c) =>
      listJobs(arm, c),
    ),
    r('GET', `${RG}/providers/Microsoft.App/jobs`, 'Microsoft.App', 'jobs', 'Microsoft.App/jobs/read', (c) =>
      listJobs(arm, c),
    ),
    r('GET', JOB, 'Microsoft.App', 'jobs', 'Microsoft.App/jobs/read', (c) => getJobCall(arm, c), jobScope),
    r('PUT', JOB, 'Microsoft.App', 'jobs', 'Microsoft.App/jobs/write', (c) => putJob(arm, c), jobScope),
    r('PATCH', JOB, 'Microsoft.App', 'jobs', 'Microsoft.App/jobs/write', (c) => patchJob(arm, c), jobScope),
    r('DELETE', JOB, 'Microsoft.App', 'jobs', 'Microsoft.App/jobs/delete', (c) => deleteJobCall(arm, c), jobScope),
    r(
      'POST',
      `${JOB}/suspend`,
      'Microsoft.App',
      'jobs',
      'Microsoft.App/jobs/suspend/action',
      (c) => setRunningState(arm, c, 'Suspended'),
      jobScope,
    ),
    r(
      'POST',
      `${JOB}/resume`,
      'Microsoft.App',
      'jobs',
      'Microsoft.App/jobs/resume/action',
      (c) => setRunningState(arm, c, 'Ready'),
      jobScope,
    ),
    r(
      'POST',
      `${JOB}/listSecrets`,
      'Microsoft.App',
      'jobs',
      'Microsoft.App/jobs/listSecrets/action',
      (c) => listSecrets(arm, c),
      jobScope,
    ),
  ];
}

export function requireJob(arm: Arm, p: Record<string, string>): JobRecord {
  requireRg(arm, p.rg as string);
  const job = arm.jobs.get(key(p.rg as string, p.job as string));
  if (!job) throw errors.resourceNotFound('Microsoft.App/jobs', p.job as string, p.rg as string);
  return job;
}

export function environmentOf(arm: Arm, spec: JsonObject): EnvironmentRecord | undefined {
  const props = isObj(spec.properties) ? spec.properties : {};
  const id = typeof props.environmentId === 'string' ? props.environmentId : '';
  return environmentById(arm, id);
}

export function environmentById(arm: Arm, id: string): EnvironmentRecord | undefined {
  const m = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.App\/managedEnvironments\/([^/]+)$/i.exec(id);
  if (!m) return undefined;
  const sub = /^\/subscriptions\/([^/]+)\//i.exec(id)?.[1];
  if (sub?.toLowerCase() !== arm.subscriptionId.toLowerCase()) return undefined;
  return arm.environments.get(key(m[1] as string, m[2] as string));
}

export function view(arm: Arm, job: JobRecord, apiVersion: string): JsonObject {
  return jobView(job, { subscriptionId: arm.subscriptionId, apiVersion, env: environmentOf(arm, job.spec) });
}

export function inspectJob(arm: Arm, job: JobRecord): JsonObject {
  return jobView(job, {
    subscriptionId: arm.subscriptionId,
    apiVersion: INSPECT_API_VERSION,
    env: environmentOf(arm, job.spec),
    withSecretValues: true,
  });
}

export function listJobs(arm: Arm, c: Call): Reply {
  if (c.params.rg !== undefined) requireRg(arm, c.params.rg);
  const jobs = [...arm.jobs.values()].filter(
    (j) => c.params.rg === undefined || j.resourceGroup.toLowerCase() === c.params.rg?.toLowerCase(),
  );
  return page(c, jobs, arm.pageSize, (j) => {
    if (j.pendingOp) observe(arm, j.pendingOp);
    return view(arm, j, c.apiVersion);
  });
}

export function getJobCall(arm: Arm, c: Call): Reply {
  const job = requireJob(arm, c.params);
  if (job.pendingOp) observe(arm, job.pendingOp);
  const current = arm.jobs.get(key(job.resourceGroup, job.name));
  if (!current) throw errors.resourceNotFound('Microsoft.App/jobs', c.params.job as string, c.params.rg as string);
  return { status: 200, body: view(arm, current, c.apiVersion) };
}

export function parseBody(arm: Arm, c: Call): unknown {
  try {
    return parseJsonBody(c.body);
  } catch (e) {
    throw errors.invalidJson(`${e instanceof Error ? e.message : String(e)}. Path '', line 1, position 1.`);
  }
}

/**
 * The 400 for a body the spec rejects. `field` style (default): RFC 7807 problem details for job PUT/PATCH bodies
 * (microsoft/azure-container-apps#861, #954: the RP's model binding answers before ARM's shape), ARM's
 * `InvalidRequestContent` for the other bodies (start).
 */
export function schemaError(arm: Arm, issues: Issue[], apiVersion: string, body: 'job' | 'other' = 'job'): ArmError {
  const style = arm.schemaErrorStyle === 'field' ? (body === 'job' ? 'problem-details' : 'arm') : arm.schemaErrorStyle;
  if (style === 'problem-details') {
    const errs: Record<string, string[]> = {};
    for (const i of issues) {
      const k = i.kind === 'unknown' ? '$' : `$.${i.path}`;
      const member = i.path.split('.').at(-1) ?? i.path;
      const msg =
        i.kind === 'unknown'
          ? `Unknown properties ${member} in Microsoft.ContainerApps.WebApi.Views.Version${apiVersion.replace(/-/g, '').replace(/preview$/i, 'Preview')}.${i.typeName ?? 'Object'} are not supported`
          : i.message;
      (errs[k] ??= []).push(msg);
    }
    return new ArmError(400, 'BadRequest', 'One or more validation errors occurred.', {
      rawBody: {
        type: 'https://tools.ietf.org/html/rfc7231#section-6.5.1',
        title: 'One or more validation errors occurred.',
        status: 400,
        traceId: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
        errors: errs,
      },
      headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    });
  }
  const first = issues[0] as Issue;
  return new ArmError(
    400,
    'InvalidRequestContent',
    `The request content was invalid and could not be deserialized: '${first.message}'.`,
    {
      extra: {
        target: first.path,
        details: issues.map((i) => ({ code: 'InvalidRequestContent', target: i.path, message: i.message })),
      },
    },
  );
}

/** Defaults the service fills in on create / update. */
export function withDefaults(arm: Arm, spec: JsonObject, env: EnvironmentRecord | undefined): JsonObject {
  const out = clone(spec);
  const props = isObj(out.properties) ? out.properties : (out.properties = {});
  if (props.workloadProfileName === undefined && env?.workloadProfiles !== false)
    props.workloadProfileName = 'Consumption';
  const conf = isObj(props.configuration) ? props.configuration : undefined;
  if (conf) {
    if (conf.triggerType === 'Manual' && conf.manualTriggerConfig === undefined) {
      conf.manualTriggerConfig = { replicaCompletionCount: 1, parallelism: 1 };
    }
    for (const k of ['manualTriggerConfig', 'scheduleTriggerConfig', 'eventTriggerConfig'] as const) {
      const tc = conf[k];
      if (isObj(tc)) {
        if (tc.replicaCompletionCount === undefined) tc.replicaCompletionCount = 1;
        if (tc.parallelism === undefined) tc.parallelism = 1;
      }
    }
  }
  const tmpl = isObj(props.template) ? props.template : undefined;
  if (tmpl && Array.isArray(tmpl.containers)) {
    for (const ct of tmpl.containers) {
      if (!isObj(ct)) continue;
      const res = isObj(ct.resources) ? ct.resources : (ct.resources = {});
      if (res.cpu === undefined) res.cpu = 0.5;
      if (res.memory === undefined) res.memory = '1Gi';
    }
  }
  return out;
}

/** The service's checks beyond the schema (codes marked as guesses in README). */
export function semanticChecks(arm: Arm, spec: JsonObject, existing: JobRecord | undefined): EnvironmentRecord {
  const props = isObj(spec.properties) ? spec.properties : {};
  const envId = typeof props.environmentId === 'string' ? props.environmentId : '';
  if (existing) {
    const before = text((existing.spec.properties as JsonObject | undefined)?.environmentId ?? '');
    if (envId.toLowerCase() !== before.toLowerCase()) {
      throw new ArmError(
        400,
        'BadRequest',
        `The environmentId of a Container Apps job cannot be changed (from '${before}' to '${envId}').`,
      );
    }
  }
  if (envId === '') throw new ArmError(400, 'InvalidManagedEnvironmentId', "Invalid ManagedEnvironmentId value ''.");
  const env = environmentById(arm, envId);
  if (!env) throw new ArmError(404, 'ManagedEnvironmentNotFound', `The managed environment '${envId}' was not found.`);
  const conf = isObj(props.configuration) ? props.configuration : {};
  if (conf.triggerType === 'Schedule' && !isObj(conf.scheduleTriggerConfig)) {
    throw new ArmError(400, 'BadRequest', "scheduleTriggerConfig is required when triggerType is 'Schedule'.");
  }
  if (conf.triggerType === 'Event' && !isObj(conf.eventTriggerConfig)) {
    throw new ArmError(400, 'BadRequest', "eventTriggerConfig is required when triggerType is 'Event'.");
  }
  const secrets = objects(conf.secrets);
  const names = new Set<string>();
  for (const s of secrets) {
    const n = text(s.name ?? '');
    if (s.value === undefined && s.keyVaultUrl === undefined) {
      throw new ArmError(
        400,
        'ContainerAppSecretInvalid',
        `Secret '${n}' must specify either a value or a keyVaultUrl.`,
      );
    }
    names.add(n.toLowerCase());
  }
  const tmpl = isObj(props.template) ? props.template : {};
  const containers = objects(tmpl.containers);
  if (containers.length === 0)
    throw new ArmError(400, 'BadRequest', 'A Container Apps job must have at least one container.');
  const all = [...containers, ...objects(tmpl.initContainers)];
  for (const ct of all) {
    if (typeof ct.image !== 'string' || ct.image === '') {
      throw new ArmError(
        400,
        'ContainerAppImageRequired',
        `Container with name '${text(ct.name ?? '')}' must have an 'Image' property specified.`,
      );
    }
    for (const e of objects(ct.env)) {
      if (typeof e.secretRef === 'string' && !names.has(e.secretRef.toLowerCase())) {
        throw new ArmError(
          400,
          'ContainerAppSecretRefNotFound',
          `SecretRef '${e.secretRef}' defined for container '${text(ct.name ?? '')}' not found.`,
        );
      }
    }
  }
  for (const reg of objects(conf.registries)) {
    if (typeof reg.passwordSecretRef === 'string' && !names.has(reg.passwordSecretRef.toLowerCase())) {
      throw new ArmError(
        400,
        'ContainerAppRegistryPasswordSecretRefNotFound',
        `PasswordSecretRef '${reg.passwordSecretRef}' defined for registry server '${text(reg.server ?? '')}' not found.`,
      );
    }
  }
  return env;
}

export function assignIdentityIds(arm: Arm, job: JobRecord): void {
  const identity = job.spec.identity;
  if (!isObj(identity) || !isObj(identity.userAssignedIdentities)) return;
  for (const id of Object.keys(identity.userAssignedIdentities)) {
    job.identityIds.user[id.toLowerCase()] ??= { clientId: guid(), principalId: guid() };
  }
}

export function touch(arm: Arm, job: JobRecord, p: Principal): void {
  job.systemData = {
    ...job.systemData,
    lastModifiedBy: p.appid,
    lastModifiedByType: 'Application',
    lastModifiedAt: armTimestamp(arm.clock()),
  };
}

export function ensureNotBusy(arm: Arm, job: JobRecord): void {
  if (job.pendingOp && !job.pendingOp.done) throw errors.conflictInProgress(job.name, job.pendingOp.id);
}

export function putJob(arm: Arm, c: Call): Reply {
  const p = c.params;
  const rg = requireRg(arm, p.rg as string);
  const jobName = p.job as string;
  if (!JOB_NAME.test(jobName) || jobName.includes('--')) {
    throw new ArmError(
      400,
      'ContainerAppJobInvalidName',
      `Invalid ContainerApp Job name '${jobName}'. A name must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character and cannot have '--'. The length must not be more than 32 characters.`,
    );
  }
  const body = parseBody(arm, c);
  const issues = arm.spec.validate('Job', body, 'request');
  if (issues.length > 0) throw schemaError(arm, issues, c.apiVersion);
  const existing = arm.jobs.get(key(rg.name, jobName));
  if (existing) ensureNotBusy(arm, existing);
  const normalized = arm.spec.normalize('Job', body) as JsonObject;
  if (existing) {
    const was = normalizeLocation(text(existing.spec.location ?? ''));
    const now = normalizeLocation(text(normalized.location ?? ''));
    if (was !== now) {
      throw new ArmError(
        400,
        'InvalidResourceLocation',
        `The resource '${jobName}' already exists in location '${was}' in resource group '${rg.name}'. A resource with the same name cannot be created in location '${now}'. Please select a new resource name.`,
      );
    }
  }
  const env = semanticChecks(arm, normalized, existing);
  // ARM's linked access check: creating a job in an environment needs join/action on the environment.
  const join = 'Microsoft.App/managedEnvironments/join/action';
  if (!isAuthorized(arm.effectiveRoleAssignments(), c.principal, join, env.id)) {
    throw errors.linkedAuthorizationFailed(
      c.principal.appid,
      c.principal.oid,
      'Microsoft.App/jobs/write',
      printedScope(
        `/subscriptions/${arm.subscriptionId}/resourceGroups/${rg.name}/providers/Microsoft.App/jobs/${jobName}`,
      ),
      join,
      printedScope(env.id),
    );
  }
  const now = arm.clock();
  const spec = withDefaults(arm, normalized, env);
  const job: JobRecord = existing ?? {
    name: jobName,
    resourceGroup: rg.name,
    id: `/subscriptions/${arm.subscriptionId}/resourceGroups/${rg.name}/providers/Microsoft.App/jobs/${jobName}`,
    spec,
    provisioningState: 'InProgress',
    systemData: {
      createdBy: c.principal.appid,
      createdByType: 'Application',
      createdAt: armTimestamp(now),
      lastModifiedBy: c.principal.appid,
      lastModifiedByType: 'Application',
      lastModifiedAt: armTimestamp(now),
    },
    identityIds: { principalId: guid(), tenantId: arm.tenantId, user: {} },
    executions: [],
    scripts: [],
  };
  job.spec = spec;
  assignIdentityIds(arm, job);
  if (existing) touch(arm, job, c.principal);
  arm.jobs.set(key(rg.name, jobName), job);
  const created = !existing;
  const headers: Record<string, string> = { 'x-ms-ratelimit-remaining-subscription-resource-requests': '799' };
  if (arm.lro.putMode === 'sync') {
    job.provisioningState = 'Succeeded';
    delete job.pendingOp;
    return { status: created ? 201 : 200, body: view(arm, job, c.apiVersion), headers };
  }
  job.provisioningState = 'InProgress';
  const op = startOperation(arm, 'job-put', job.id, text(spec.location ?? ''), (o) => {
    job.provisioningState = o.outcome;
  });
  job.pendingOp = op;
  headers['azure-asyncoperation'] = statusUrl(arm, c, op);
  headers['x-ms-async-operation-timeout'] = 'PT15M';
  if (arm.lro.putRetryAfterSec !== null) headers['retry-after'] = String(arm.lro.putRetryAfterSec);
  return { status: created ? 201 : 200, body: view(arm, job, c.apiVersion), headers };
}

export function patchJob(arm: Arm, c: Call): Reply {
  const job = requireJob(arm, c.params);
  const body = parseBody(arm, c);
  const issues = arm.spec.validate('JobPatchProperties', body, 'patch');
  if (issues.length > 0) throw schemaError(arm, issues, c.apiVersion);
  ensureNotBusy(arm, job);
  const patch = arm.spec.normalize('JobPatchProperties', body, true) as JsonObject;
  if (isObj(patch.properties)) {
    delete patch.properties.outboundIpAddresses;
    delete patch.properties.eventStreamEndpoint;
  }
  const merged = mergePatch(job.spec, patch) as JsonObject;
  const mergedIssues = arm.spec.validate('Job', merged, 'request');
  if (mergedIssues.length > 0) throw schemaError(arm, mergedIssues, c.apiVersion);
  const normalized = arm.spec.normalize('Job', merged) as JsonObject;
  const env = semanticChecks(arm, normalized, job);
  job.spec = withDefaults(arm, normalized, env);
  assignIdentityIds(arm, job);
  touch(arm, job, c.principal);
  if (arm.lro.patchMode === 'sync') {
    job.provisioningState = 'Succeeded';
    return { status: 200, body: view(arm, job, c.apiVersion) };
  }
  job.provisioningState = 'InProgress';
  const op = startOperation(arm, 'job-patch', job.id, text(job.spec.location ?? ''), (o) => {
    job.provisioningState = o.outcome;
  });
  op.result = (v) => ({ status: 200, body: view(arm, job, v) });
  job.pendingOp = op;
  return { status: 202, headers: locationHeaders(arm, c, op, job) };
}

export function deleteJobCall(arm: Arm, c: Call): Reply {
  requireRg(arm, c.params.rg as string);
  const k = key(c.params.rg as string, c.params.job as string);
  const job = arm.jobs.get(k);
  if (!job) return { status: 204 };
  ensureNotBusy(arm, job);
  if (arm.lro.deleteMode === 'sync') {
    arm.jobs.delete(k);
    return { status: 200 };
  }
  job.provisioningState = 'Deleting';
  const op = startOperation(arm, 'job-delete', job.id, text(job.spec.location ?? ''), (o) => {
    if (o.outcome === 'Succeeded') arm.jobs.delete(k);
    else job.provisioningState = 'Failed';
  });
  op.result = () => ({ status: 200 });
  job.pendingOp = op;
  return { status: 202, headers: locationHeaders(arm, c, op, job) };
}

/**
 * POST .../suspend and .../resume (2026-07-01): the running state changes at once; the answer is the spec's LRO
 * (202 + Azure-AsyncOperation, final state the job). Guesses: the 404 below 2026-07-01, the immediate change.
 */
export function setRunningState(arm: Arm, c: Call, state: 'Ready' | 'Suspended'): Reply {
  if (c.apiVersion.slice(0, 10) < '2026-07-01' || c.apiVersion.endsWith('-preview'))
    throw errors.notFoundRoute(c.url.pathname);
  const job = requireJob(arm, c.params);
  ensureNotBusy(arm, job);
  job.runningState = state;
  touch(arm, job, c.principal);
  const kind = state === 'Suspended' ? 'job-suspend' : 'job-resume';
  const region = typeof job.spec.location === 'string' ? job.spec.location : '';
  const op = startOperation(arm, kind, job.id, region);
  op.result = (v) => ({ status: 200, body: view(arm, job, v) });
  job.pendingOp = op;
  const location = locationHeaders(arm, c, op, job);
  return { status: 202, headers: { 'azure-asyncoperation': statusUrl(arm, c, op), ...location } };
}

export function listSecrets(arm: Arm, c: Call): Reply {
  const job = requireJob(arm, c.params);
  const conf = ((job.spec.properties as JsonObject | undefined)?.configuration ?? {}) as JsonObject;
  const value = objects(conf.secrets).map((s) => {
    const out: JsonObject = { name: s.name as Json };
    if (s.value !== undefined) out.value = s.value as Json;
    if (s.keyVaultUrl !== undefined) out.keyVaultUrl = s.keyVaultUrl as Json;
    if (s.identity !== undefined) out.identity = s.identity as Json;
    return out;
  });
  return { status: 200, body: { value } };
}
