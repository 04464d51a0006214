/**
 * The Azure Resource Manager part of the stand-in: resource groups, Container Apps managed environments
 * and jobs (with executions and long-running operations), container registries, RBAC and throttling,
 * answering over HTTPS as ARM and the Microsoft.App resource provider do (spec 2026-07-01, recordings).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HostContext } from '../common/http.ts';
import { parseJsonBody, sendJson } from '../common/http.ts';
import { isAuthorized, makeAssignment, printedScope, type RoleAssignment, type RoleAssignmentInput } from './authz.ts';
import { ArmError, errors } from './errors.ts';
import {
  DEFAULT_SCRIPT,
  INSPECT_API_VERSION,
  executionState,
  executionView,
  isTerminal,
  type ExecutionRecord,
  type ExecutionScript,
} from './executions.ts';
import { sharedSpec, OpenApiSpec } from './schema.ts';
import type {
  EnvironmentRecord,
  JobRecord,
  Operation,
  OperationKind,
  OperationOutcome,
  LogStreamToken,
  RegistryRecord,
  ResourceGroupRecord,
  WorkspaceRecord,
} from './state.ts';
import { Throttle, type OpKind, type ThrottleSettings } from './throttle.ts';
import { armTimestamp, guid, isObj, normalizeLocation, type JsonObject } from './util.ts';
import { executionRoutes, findExecution, listedExecutions, stopRecord } from './routes/executions.ts';
import { assignIdentityIds, environmentOf, inspectJob, jobRoutes, withDefaults } from './routes/jobs.ts';
import { identityRoutes } from './routes/identity.ts';
import { operationRoutes } from './routes/operations.ts';
import { resourceRoutes } from './routes/resources.ts';
import { runSchedules, triggerEvent, type ScheduledRun } from './triggers.ts';
import { key, type Namespace, type Principal, type Route } from './routes/route.ts';
import { text } from '../common/text.ts';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export interface AccessTokenClaims {
  oid: string;
  appid: string;
  tid: string;
  aud: string;
  exp: number;
}

export type VerifyTokenResult =
  { ok: true; claims: AccessTokenClaims } | { ok: false; reason: 'expired' | 'invalid'; expiredAt?: number };

/** Verifies an access token (the stand-in's Entra ID supplies it). `expiredAt`: epoch seconds or ms. */
export type VerifyToken = (token: string) => VerifyTokenResult;

export interface LroSettings {
  /** InProgress answers before the terminal status (polls of the operation URL or GETs of the job). Default 2 (as recorded). */
  inProgressPolls: number;
  /**
   * And at least this long after the request (stand-in clock). Default 1000: short for tests (the recorded
   * operations took 8–36 s; `RECORDED_LRO` gives those).
   */
  durationMs: number;
  /** A random 0..this is added to each operation's duration. Default 0. */
  durationJitterMs: number;
  /** How operations end. Default Succeeded. */
  outcome: OperationOutcome;
  /** Error of a Failed / Canceled operation. */
  error?: { code: string; message: string };
  /** Retry-After (seconds) on 202 answers and Location polls; null: no header (default, as recorded since 2024). */
  retryAfterSec: number | null;
  /** Retry-After on the PUT's 201 and the Azure-AsyncOperation polls; null: no header (default, as recorded since 2024). */
  putRetryAfterSec: number | null;
  /** PUT: 'async' = 201/200 + Azure-AsyncOperation (as recorded); 'sync' = 200/201 with Succeeded. */
  putMode: 'async' | 'sync';
  /** PATCH: 'async' = 202 + Location (as recorded); 'sync' = 200 with the job at once (azure-powershell#29163). */
  patchMode: 'async' | 'sync';
  /** POST start: 'sync' = 200 {id,name} (as recorded); 'async' = 202 + Location. */
  startMode: 'sync' | 'async';
  /** POST .../stop: 'sync' = 200; 'async' = 202 + Location. */
  stopMode: 'sync' | 'async';
  /** DELETE: 'async' = 202 + Location; 'sync' = 200. */
  deleteMode: 'sync' | 'async';
}

export const DEFAULT_LRO: LroSettings = {
  inProgressPolls: 2,
  durationMs: 1000,
  durationJitterMs: 0,
  outcome: 'Succeeded',
  retryAfterSec: null,
  putRetryAfterSec: null,
  putMode: 'async',
  patchMode: 'async',
  startMode: 'sync',
  stopMode: 'sync',
  deleteMode: 'async',
};

/** The recorded operation durations (8–36 s, R1–R4): `setLro(RECORDED_LRO)` or `startStandIn({ arm: { lro: RECORDED_LRO } })`. */
export const RECORDED_LRO: Partial<LroSettings> = { durationMs: 8000, durationJitterMs: 28_000 };

/** The 2023 recordings' Retry-After (5 s on the 201/202 and the polls). */
export const RETRY_AFTER_2023_LRO: Partial<LroSettings> = { retryAfterSec: 5, putRetryAfterSec: 5 };

/**
 * The Microsoft.App api-versions a region lists for jobs (R1's `api-supported-versions`, Feb 2026; still so in
 * westeurope in Sept 2026, azure-sdk-for-python#49044): up to 2026-01-01. 2026-07-01 only on request
 * (`APP_API_VERSIONS_WITH_2026_07_01`).
 */
export const DEFAULT_APP_API_VERSIONS = [
  '2022-11-01-preview',
  '2023-04-01-preview',
  '2023-05-01',
  '2023-05-02-preview',
  '2023-08-01-preview',
  '2023-11-02-preview',
  '2024-02-02-preview',
  '2024-03-01',
  '2024-08-02-preview',
  '2024-10-02-preview',
  '2025-01-01',
  '2025-02-02-preview',
  '2025-07-01',
  '2025-10-02-preview',
  '2026-01-01',
];

/** The field list plus 2026-07-01 (the spec's newest): for tests of `runningState`, `detailedStatus`, suspend. */
export { INSPECT_API_VERSION };

export const APP_API_VERSIONS_WITH_2026_07_01 = [...DEFAULT_APP_API_VERSIONS, '2026-07-01'];

/** Microsoft.ContainerRegistry/registries api-versions (public SDK list; not from a recording). */
export const DEFAULT_REGISTRY_API_VERSIONS = [
  '2017-10-01',
  '2019-05-01',
  '2019-12-01-preview',
  '2020-11-01-preview',
  '2021-06-01-preview',
  '2021-08-01-preview',
  '2021-09-01',
  '2021-12-01-preview',
  '2022-02-01-preview',
  '2022-12-01',
  '2023-01-01-preview',
  '2023-06-01-preview',
  '2023-07-01',
  '2023-08-01-preview',
  '2023-11-01-preview',
  '2024-11-01-preview',
  '2025-03-01-preview',
  '2025-04-01',
  '2025-05-01-preview',
  '2025-11-01',
];

export const DEFAULT_LOCATIONS = [
  'australiaeast',
  'brazilsouth',
  'canadacentral',
  'centralindia',
  'centralus',
  'eastasia',
  'eastus',
  'eastus2',
  'francecentral',
  'germanywestcentral',
  'italynorth',
  'japaneast',
  'koreacentral',
  'northcentralus',
  'northeurope',
  'norwayeast',
  'polandcentral',
  'southafricanorth',
  'southcentralus',
  'southeastasia',
  'swedencentral',
  'switzerlandnorth',
  'uaenorth',
  'uksouth',
  'westcentralus',
  'westeurope',
  'westus',
  'westus2',
  'westus3',
];

/** Token audiences ARM accepts. */
export const ARM_AUDIENCES = [
  'https://management.core.windows.net/',
  'https://management.core.windows.net',
  'https://management.azure.com/',
  'https://management.azure.com',
];

export type SchemaErrorStyle = 'field' | 'arm' | 'problem-details';

export type FilterMode = 'invalid-parameter' | 'internal-error';

export interface ArmOptions {
  subscriptionId?: string;
  tenantId?: string;
  clock?: () => number;
  /** Verifies bearer tokens; without it every request is 401 InvalidAuthenticationToken. */
  verifyToken?: VerifyToken;
  /** Accepted token audiences (default ARM_AUDIENCES). */
  audiences?: string[];
  /** Authority for the WWW-Authenticate challenge (default https://login.windows.net). */
  authorityUrl?: string;
  /** Supported Microsoft.App api-versions (default DEFAULT_APP_API_VERSIONS). */
  apiVersions?: string[];
  registryApiVersions?: string[];
  locations?: string[];
  lro?: Partial<LroSettings>;
  throttling?: Partial<ThrottleSettings>;
  /** Executions per page of the list (default 20, as lists page in the field: azure-cli#31218, #31762). */
  executionsPageSize?: number;
  /**
   * Delay before role assignments added later take effect (default 0; seedDefault's role is in effect at once).
   * Meanwhile ARM answers 403 AuthorizationFailed and ACR's token exchange 401.
   */
  rolePropagationMs?: number;
  /** Items per page of the other lists: jobs, registries, generic resources (default 20). */
  pageSize?: number;
  /** How `$filter` on the executions list fails (default 'invalid-parameter': 400, seen in 2025). */
  filterMode?: FilterMode;
  /**
   * Shape of 400 schema errors: 'field' (default): the RP's RFC 7807 problem details for job PUT/PATCH bodies
   * (microsoft/azure-container-apps#954), ARM's `InvalidRequestContent` for start bodies; or one shape for all.
   */
  schemaErrorStyle?: SchemaErrorStyle;
  defaultExecutionScript?: ExecutionScript;
  /** The openapi.json to validate with (default: the shared spec beside the repository). */
  specFile?: string;
}

export interface AddEnvironmentOptions {
  resourceGroup: string;
  name: string;
  /** Default: the resource group's location. */
  location?: string;
  logAnalyticsCustomerId?: string;
  /** Base URL for eventStreamEndpoint values (e.g. the stand-in's log-stream host). */
  eventStreamHost?: string;
  workloadProfiles?: boolean;
}

export interface AddRegistryOptions {
  resourceGroup: string;
  name: string;
  location?: string;
  /** Default true. */
  adminUserEnabled?: boolean;
  /** Default: the registry name (as ACR does). */
  username?: string;
  passwords?: [string, string];
  sku?: 'Basic' | 'Standard' | 'Premium';
  /** Default `NAME.azurecr.io`; the ACR data-plane stand-in (standin/acr/acr.ts) sets its own `localhost:PORT`. */
  loginServer?: string;
}

// ---------------------------------------------------------------------------------------------
// The ARM stand-in
// ---------------------------------------------------------------------------------------------

export class Arm {
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly clock: () => number;
  verifyToken: VerifyToken | undefined;
  audiences: string[];
  authorityUrl: string;
  locations: string[];
  lro: LroSettings;
  executionsPageSize: number;
  /** How many executions of a Schedule or Event job the list shows (the newest; default 100, as documented). */
  executionHistoryLimit = 100;
  pageSize: number;
  filterMode: FilterMode;
  schemaErrorStyle: SchemaErrorStyle;
  defaultExecutionScript: ExecutionScript;
  readonly spec: OpenApiSpec;
  readonly throttle: Throttle;

  readonly resourceGroups = new Map<string, ResourceGroupRecord>();
  readonly environments = new Map<string, EnvironmentRecord>();
  readonly registries = new Map<string, RegistryRecord>();
  /** Log Analytics workspaces, by resource group/name. */
  readonly workspaces = new Map<string, WorkspaceRecord>();
  /** Tokens handed out by getAuthToken (for the log-stream host), by token. */
  readonly logStreamTokens = new Map<string, LogStreamToken>();
  /** Lifetime of getAuthToken tokens (default 3600 s; the real value is not documented). */
  logStreamTokenLifetimeSec = 3600;
  /** How long an ended execution's replicas stay listed and streamable (default 60 s; "soon" in reality). */
  replicaRetentionMs = 60_000;
  readonly jobs = new Map<string, JobRecord>();
  readonly roleAssignments: RoleAssignment[] = [];
  /** Delay before a role assignment made from now on takes effect (stand-in clock; default 0: at once). */
  rolePropagationMs: number;
  /** Every long-running operation started, by id. */
  readonly operations = new Map<string, Operation>();

  appApiVersions: string[];
  registryApiVersions: string[];
  readonly outcomeQueue: {
    outcome: OperationOutcome;
    error?: { code: string; message: string };
    kind?: OperationKind;
  }[] = [];
  readonly routes: Route[];
  execSeq = 0;
  readonly signingSecret = randomBytes(16);

  constructor(opts: ArmOptions = {}) {
    this.subscriptionId = opts.subscriptionId ?? '00000000-0000-0000-0000-000000000000';
    this.tenantId = opts.tenantId ?? '11111111-1111-1111-1111-111111111111';
    this.clock = opts.clock ?? Date.now;
    this.verifyToken = opts.verifyToken;
    this.audiences = opts.audiences ?? [...ARM_AUDIENCES];
    this.authorityUrl = opts.authorityUrl ?? 'https://login.windows.net';
    this.appApiVersions = [...(opts.apiVersions ?? DEFAULT_APP_API_VERSIONS)];
    this.registryApiVersions = [...(opts.registryApiVersions ?? DEFAULT_REGISTRY_API_VERSIONS)];
    this.locations = [...(opts.locations ?? DEFAULT_LOCATIONS)];
    this.lro = { ...DEFAULT_LRO, ...opts.lro };
    this.executionsPageSize = opts.executionsPageSize ?? 20;
    this.pageSize = opts.pageSize ?? 20;
    this.rolePropagationMs = opts.rolePropagationMs ?? 0;
    this.filterMode = opts.filterMode ?? 'invalid-parameter';
    this.schemaErrorStyle = opts.schemaErrorStyle ?? 'field';
    this.defaultExecutionScript = opts.defaultExecutionScript ?? { ...DEFAULT_SCRIPT };
    this.spec = opts.specFile ? new OpenApiSpec(opts.specFile) : sharedSpec();
    this.throttle = new Throttle(this.clock, opts.throttling);
    this.routes = this.buildRoutes();
  }

  // ===========================================================================================
  // Seeding and inspection API
  // ===========================================================================================

  get apiVersions(): string[] {
    return [...this.appApiVersions];
  }

  /** Sets the supported api-versions of Microsoft.App (default) or Microsoft.ContainerRegistry. */
  setApiVersions(
    versions: string[],
    namespace: 'Microsoft.App' | 'Microsoft.ContainerRegistry' = 'Microsoft.App',
  ): void {
    if (namespace === 'Microsoft.App') this.appApiVersions = [...versions];
    else this.registryApiVersions = [...versions];
  }

  setLro(settings: Partial<LroSettings>): void {
    this.lro = { ...this.lro, ...settings };
  }

  /** The next long-running operation (of `kind`, or any) ends this way, whatever `lro.outcome` says. */
  queueOperationOutcome(o: {
    outcome: OperationOutcome;
    error?: { code: string; message: string };
    kind?: OperationKind;
  }): void {
    this.outcomeQueue.push(o);
  }

  setThrottling(settings: Partial<ThrottleSettings>): void {
    this.throttle.configure(settings);
  }

  addResourceGroup(name: string, location = 'eastus', tags?: Record<string, string>): ResourceGroupRecord {
    const rg: ResourceGroupRecord = {
      name,
      id: `/subscriptions/${this.subscriptionId}/resourceGroups/${name}`,
      location: normalizeLocation(location),
      ...(tags ? { tags } : {}),
    };
    this.resourceGroups.set(name.toLowerCase(), rg);
    return rg;
  }

  addManagedEnvironment(o: AddEnvironmentOptions): EnvironmentRecord {
    const rg = this.resourceGroups.get(o.resourceGroup.toLowerCase()) ?? this.addResourceGroup(o.resourceGroup);
    const location = o.location ?? displayLocation(rg.location);
    const env: EnvironmentRecord = {
      name: o.name,
      resourceGroup: rg.name,
      id: `/subscriptions/${this.subscriptionId}/resourceGroups/${rg.name}/providers/Microsoft.App/managedEnvironments/${o.name}`,
      location,
      ...(o.logAnalyticsCustomerId !== undefined ? { logAnalyticsCustomerId: o.logAnalyticsCustomerId } : {}),
      eventStreamHost: o.eventStreamHost ?? `https://${normalizeLocation(location)}.azurecontainerapps.dev`,
      workloadProfiles: o.workloadProfiles ?? true,
      defaultDomain: `${randomWord()}-${randomBytes(4).toString('hex')}.${normalizeLocation(location)}.azurecontainerapps.io`,
      staticIp: `20.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${((randomBytes(1)[0] as number) % 250) + 1}`,
      createdAt: this.clock(),
    };
    this.environments.set(key(rg.name, o.name), env);
    return env;
  }

  addRegistry(o: AddRegistryOptions): RegistryRecord {
    const rg = this.resourceGroups.get(o.resourceGroup.toLowerCase()) ?? this.addResourceGroup(o.resourceGroup);
    const reg: RegistryRecord = {
      name: o.name,
      resourceGroup: rg.name,
      id: `/subscriptions/${this.subscriptionId}/resourceGroups/${rg.name}/providers/Microsoft.ContainerRegistry/registries/${o.name}`,
      location: normalizeLocation(o.location ?? rg.location),
      loginServer: o.loginServer ?? `${o.name.toLowerCase()}.azurecr.io`,
      adminUserEnabled: o.adminUserEnabled ?? true,
      username: o.username ?? o.name,
      passwords: o.passwords ?? [acrPassword(), acrPassword()],
      sku: o.sku ?? 'Basic',
      createdAt: this.clock(),
    };
    this.registries.set(key(rg.name, o.name), reg);
    return reg;
  }

  /** A Log Analytics workspace (point environments at it with `logAnalyticsCustomerId: ws.customerId`). */
  addWorkspace(o: { resourceGroup: string; name: string; location?: string; customerId?: string }): WorkspaceRecord {
    const rg = this.resourceGroups.get(o.resourceGroup.toLowerCase()) ?? this.addResourceGroup(o.resourceGroup);
    const ws: WorkspaceRecord = {
      name: o.name,
      resourceGroup: rg.name,
      id: `/subscriptions/${this.subscriptionId}/resourceGroups/${rg.name}/providers/Microsoft.OperationalInsights/workspaces/${o.name}`,
      location: normalizeLocation(o.location ?? rg.location),
      customerId: o.customerId ?? guid(),
      createdAt: this.clock(),
    };
    this.workspaces.set(key(rg.name, o.name), ws);
    return ws;
  }

  /** The workspace with this customer id (workspace ID), if any. */
  workspaceByCustomerId(customerId: string): WorkspaceRecord | undefined {
    return [...this.workspaces.values()].find((w) => w.customerId.toLowerCase() === customerId.toLowerCase());
  }

  /** The environment a job runs in. */
  jobEnvironment(job: JobRecord): EnvironmentRecord | undefined {
    return environmentOf(this, job.spec);
  }

  /** The job a getAuthToken token was issued for, if the token is known and not expired. */
  verifyLogStreamToken(token: string): LogStreamToken | undefined {
    const t = this.logStreamTokens.get(token);
    return t && t.expiresAt > this.clock() ? t : undefined;
  }

  /** Whether a principal (object id) may do `action` at `scope` (for the other hosts' authorization). */
  isAuthorized(principal: { oid: string; appid: string }, action: string, scope: string): boolean {
    return isAuthorized(this.effectiveRoleAssignments(), principal, action, scope);
  }

  /** The role assignments in effect now: those still propagating (`effectiveAt` ahead) are not. */
  effectiveRoleAssignments(now = this.clock()): RoleAssignment[] {
    return this.roleAssignments.filter((a) => a.effectiveAt === undefined || a.effectiveAt <= now);
  }

  /**
   * Whether a replica of an execution can still be seen (listed, streamed): it started, and the execution ended
   * no longer than `replicaRetentionMs` ago.
   */
  replicaVisible(rec: ExecutionRecord, replicaStartMs: number, now = this.clock()): boolean {
    const elapsed = now - rec.createdAt;
    if (replicaStartMs > elapsed) return false;
    const st = executionState(rec, now);
    if (!isTerminal(st.status)) return true;
    return now - (st.endMs ?? now) <= this.replicaRetentionMs;
  }

  /**
   * Assigns a role. It takes effect `propagationMs` later (default `rolePropagationMs`): until then ARM answers
   * 403 and the ACR token exchange 401, as after a real grant (Azure/acr#723; learn.microsoft.com: "up to 10
   * minutes").
   */
  addRoleAssignment(input: RoleAssignmentInput & { propagationMs?: number }): RoleAssignment {
    const a = makeAssignment(input, `${input.scope}/providers/Microsoft.Authorization/roleAssignments/${guid()}`);
    const delay = input.propagationMs ?? this.rolePropagationMs;
    if (delay > 0) a.effectiveAt = this.clock() + delay;
    this.roleAssignments.push(a);
    return a;
  }

  removeRoleAssignment(a: RoleAssignment | string): void {
    const id = typeof a === 'string' ? a : a.id;
    const i = this.roleAssignments.findIndex((r) => r.id === id);
    if (i >= 0) this.roleAssignments.splice(i, 1);
  }

  /**
   * Seeds a job from wire JSON (a Job body: location, properties..., secret values included), bypassing the
   * HTTP layer. Read-only members are ignored; the body must conform to the spec.
   */
  seedJob(
    resourceGroup: string,
    job: JsonObject & { name?: string },
    opts: { name?: string; provisioningState?: JobRecord['provisioningState'] } = {},
  ): JsonObject {
    const name = opts.name ?? job.name;
    if (typeof name !== 'string') throw new Error('seedJob: the job needs a name');
    const rg = this.resourceGroups.get(resourceGroup.toLowerCase()) ?? this.addResourceGroup(resourceGroup);
    const issues = this.spec.validate('Job', job, 'request');
    if (issues.length > 0)
      throw new Error(`seedJob: the job does not conform to the spec: ${issues.map((i) => i.message).join('; ')}`);
    const spec = this.spec.normalize('Job', job) as JsonObject;
    const now = this.clock();
    const existing = this.jobs.get(key(rg.name, name));
    const rec: JobRecord = existing ?? {
      name,
      resourceGroup: rg.name,
      id: `/subscriptions/${this.subscriptionId}/resourceGroups/${rg.name}/providers/Microsoft.App/jobs/${name}`,
      spec: {},
      provisioningState: 'Succeeded',
      systemData: {
        createdBy: 'standin@example.com',
        createdByType: 'User',
        createdAt: armTimestamp(now),
        lastModifiedBy: 'standin@example.com',
        lastModifiedByType: 'User',
        lastModifiedAt: armTimestamp(now),
      },
      identityIds: { principalId: guid(), tenantId: this.tenantId, user: {} },
      executions: [],
      scripts: [],
    };
    if (existing) rec.systemData.lastModifiedAt = armTimestamp(now);
    rec.spec = withDefaults(this, spec, environmentOf(this, spec));
    assignIdentityIds(this, rec);
    rec.provisioningState = opts.provisioningState ?? 'Succeeded';
    delete rec.pendingOp;
    this.jobs.set(key(rg.name, name), rec);
    return inspectJob(this, rec);
  }

  /** The job as GET shows it at INSPECT_API_VERSION (2026-07-01), with secret values (never on the wire). */
  getJob(resourceGroup: string, name: string): JsonObject | undefined {
    const rec = this.jobs.get(key(resourceGroup, name));
    return rec ? inspectJob(this, rec) : undefined;
  }

  deleteJob(resourceGroup: string, name: string): boolean {
    return this.jobs.delete(key(resourceGroup, name));
  }

  /** Queues scripts for the next executions of a job (consumed one per start). */
  scriptExecutions(resourceGroup: string, jobName: string, ...scripts: ExecutionScript[]): void {
    const rec = this.jobs.get(key(resourceGroup, jobName));
    if (!rec) throw new Error(`scriptExecutions: no job ${resourceGroup}/${jobName}`);
    rec.scripts.push(...scripts);
  }

  /**
   * What the next due runs of a Schedule job do, in order: an execution script each, or `{ missed: true }` for a
   * run the scheduler skips (no execution); `startDelayMs` starts it that long after the minute it was due.
   */
  scheduleRuns(resourceGroup: string, jobName: string, ...runs: ScheduledRun[]): void {
    const rec = this.jobs.get(key(resourceGroup, jobName));
    if (!rec) throw new Error(`scheduleRuns: no job ${resourceGroup}/${jobName}`);
    (rec.scheduledRuns ??= []).push(...runs);
  }

  /** Starts the executions the Schedule jobs were due to start up to now (also done before every request). */
  runSchedules(): void {
    runSchedules(this);
  }

  /** An event (e.g. a queue message) makes the Event job's scale rule start one execution per script, now. */
  triggerEvent(resourceGroup: string, jobName: string, ...scripts: ExecutionScript[]): JsonObject[] {
    const rec = this.jobs.get(key(resourceGroup, jobName));
    if (!rec) throw new Error(`triggerEvent: no job ${resourceGroup}/${jobName}`);
    const now = this.clock();
    return triggerEvent(this, rec, scripts).map((e) => executionView(e, now, this.newestApiVersion()));
  }

  setDefaultExecutionScript(script: ExecutionScript): void {
    this.defaultExecutionScript = { ...script };
  }

  /** Executions of a job, newest first, as the list shows them at `apiVersion` (default the spec's, 2026-07-01). */
  listExecutions(resourceGroup: string, jobName: string, apiVersion = INSPECT_API_VERSION): JsonObject[] {
    runSchedules(this);
    const rec = this.jobs.get(key(resourceGroup, jobName));
    if (!rec) return [];
    const now = this.clock();
    return listedExecutions(this, rec).map((e) => executionView(e, now, apiVersion));
  }

  getExecution(
    resourceGroup: string,
    jobName: string,
    execName: string,
    apiVersion = INSPECT_API_VERSION,
  ): JsonObject | undefined {
    runSchedules(this);
    const e = findExecution(this, resourceGroup, jobName, execName);
    return e ? executionView(e, this.clock(), apiVersion) : undefined;
  }

  /** The execution's record (script, template, stop time) for assertions. */
  executionRecord(resourceGroup: string, jobName: string, execName: string): ExecutionRecord | undefined {
    return findExecution(this, resourceGroup, jobName, execName);
  }

  /** Stops a running execution as if someone else did (portal, CLI). */
  stopExecution(resourceGroup: string, jobName: string, execName: string): boolean {
    const e = findExecution(this, resourceGroup, jobName, execName);
    return e ? stopRecord(this, e) : false;
  }

  // ===========================================================================================
  // HTTP
  // ===========================================================================================

  async handle(req: IncomingMessage, res: ServerResponse, body: Buffer, ctx: HostContext): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = ctx.url;
    const base = `https://${req.headers.host ?? 'localhost'}`;
    const requestId = guid();
    const correlationId = headerValue(req, 'x-ms-correlation-request-id') ?? guid();
    const now = this.clock();
    const headers: Record<string, string> = {
      'cache-control': 'no-cache',
      pragma: 'no-cache',
      expires: '-1',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id': correlationId,
      'x-ms-routing-request-id': `EASTUS:${new Date(now).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z:${requestId}`,
      'x-cache': 'CONFIG_NOCACHE',
      'x-msedge-ref': `Ref A: ${randomBytes(16).toString('hex').toUpperCase()} Ref B: STANDIN000000 Ref C: ${new Date(now).toISOString().slice(0, 19)}Z`,
      'x-powered-by': 'ASP.NET',
    };
    let namespace: Namespace | undefined;
    // Time moved on since the last request: the schedules start what they were due to start.
    runSchedules(this, now);
    try {
      const principal = this.authenticate(req);
      ctx.entry.principal = principal.oid;
      const kind: OpKind = method === 'GET' || method === 'HEAD' ? 'reads' : method === 'DELETE' ? 'deletes' : 'writes';
      const t = this.throttle.take(kind, principal.oid);
      if (!t.ok) {
        headers[`x-ms-ratelimit-remaining-subscription-${kind}`] = '0';
        throw errors.throttled(kind.slice(0, -1), this.subscriptionId, principal.oid, t.retryAfterSec);
      }
      headers[`x-ms-ratelimit-remaining-subscription-${kind}`] = String(t.remaining);
      headers[`x-ms-ratelimit-remaining-subscription-global-${kind}`] = String(t.globalRemaining);

      const { route, params } = this.match(method, url.pathname);
      namespace = route.namespace;
      if (route.namespace === 'Microsoft.App') headers['api-supported-versions'] = this.appApiVersions.join(', ');
      const sub = params.sub;
      if (sub !== undefined && sub.toLowerCase() !== this.subscriptionId.toLowerCase())
        throw errors.subscriptionNotFound(sub);
      const apiVersion = this.checkApiVersion(route, params, url, body);
      // Collections (…/providers/NS/type) are authorized at their parent scope, as ARM prints them.
      const scope = route.scope
        ? route.scope(params)
        : url.pathname.replace(/\/$/, '').replace(/\/providers\/[^/]+\/[^/]+$/i, '');
      if (
        route.action !== undefined &&
        !isAuthorized(this.effectiveRoleAssignments(), principal, route.action, scope)
      ) {
        throw errors.authorizationFailed(principal.appid, principal.oid, route.action, printedScope(scope));
      }
      headers['x-ms-operation-identifier'] = `tenantId=${principal.tid},objectId=${principal.oid}/eastus/${guid()}`;
      const reply = await route.handler({ params, apiVersion, url, base, body, principal, correlationId });
      sendJson(res, reply.status, reply.body, { ...headers, ...reply.headers });
    } catch (err) {
      if (!(err instanceof ArmError)) throw err;
      if (namespace === 'Microsoft.App' && headers['api-supported-versions'] === undefined) {
        headers['api-supported-versions'] = this.appApiVersions.join(', ');
      }
      if (err.status === 401) {
        const desc =
          err.code === 'AuthenticationFailed' && /missing/.test(err.message)
            ? "The authentication failed because of missing 'Authorization' header."
            : err.message.replace(/"/g, "'");
        headers['www-authenticate'] =
          `Bearer authorization_uri="${this.authorityUrl.replace(/\/$/, '')}/", error="invalid_token", error_description="${desc}"`;
      }
      sendJson(res, err.status, err.body(), { ...headers, ...err.headers });
    }
  }

  authenticate(req: IncomingMessage): Principal {
    const h = req.headers.authorization;
    if (h === undefined || h === '') throw errors.missingAuthorization();
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) throw errors.invalidAuthorizationFormat();
    if (!this.verifyToken) throw errors.invalidToken();
    const r = this.verifyToken(m[1] as string);
    if (!r.ok) {
      if (r.reason === 'expired') {
        const at = r.expiredAt ?? this.clock() / 1000;
        throw errors.expiredToken(at < 1e12 ? at * 1000 : at, this.clock());
      }
      throw errors.invalidToken();
    }
    const c = r.claims;
    if (!this.audiences.includes(c.aud)) throw errors.wrongAudience(c.aud, this.audiences);
    if (c.tid.toLowerCase() !== this.tenantId.toLowerCase()) throw errors.wrongTenant(c.tid, this.tenantId);
    return { oid: c.oid, appid: c.appid, tid: c.tid };
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = decodeURIComponent(v);
      return { route: r, params };
    }
    if (pathMatched) {
      throw new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
    }
    const ns = /\/providers\/(Microsoft\.[A-Za-z]+)\/([^/?]+)/i.exec(path);
    if (ns && /^Microsoft\.App$/i.test(ns[1] as string)) {
      throw errors.invalidResourceType(ns[2] as string, 'Microsoft.App', 'unknown');
    }
    throw errors.notFoundRoute(path);
  }

  newestApiVersion(): string {
    return [...this.appApiVersions].sort().at(-1) ?? '2026-07-01';
  }

  checkApiVersion(route: Route, params: Record<string, string>, url: URL, body: Buffer): string {
    const v = url.searchParams.get('api-version');
    if (v === null || v === '') throw errors.missingApiVersion();
    const wellFormed = /^\d{4}-\d{2}-\d{2}(-[a-z]+)?$/i.test(v) && !Number.isNaN(Date.parse(v.slice(0, 10)));
    const supported =
      route.namespace === 'Microsoft.App'
        ? this.appApiVersions
        : route.namespace === 'Microsoft.ContainerRegistry'
          ? this.registryApiVersions
          : undefined;
    if (!wellFormed)
      throw errors.invalidApiVersion(
        v,
        supported ?? ['2024-11-01', '2024-07-01', '2024-03-01', '2023-07-01', '2022-09-01', '2021-04-01'],
      );
    if (supported && !supported.includes(v)) {
      throw errors.noRegisteredProvider(this.locationFor(params, body), v, route.type, supported, this.locations);
    }
    return v;
  }

  locationFor(params: Record<string, string>, body: Buffer): string {
    if (params.rg !== undefined && params.job !== undefined) {
      const job = this.jobs.get(key(params.rg, params.job));
      if (job) return normalizeLocation(text(job.spec.location ?? ''));
      try {
        const b = parseJsonBody(body);
        if (isObj(b) && typeof b.location === 'string') return normalizeLocation(b.location);
      } catch {
        // fall through
      }
    }
    if (params.loc !== undefined) return normalizeLocation(params.loc);
    if (params.rg !== undefined) {
      const rg = this.resourceGroups.get(params.rg.toLowerCase());
      if (rg) return rg.location;
    }
    return '*';
  }

  // ===========================================================================================
  // Routes
  // ===========================================================================================

  buildRoutes(): Route[] {
    return [
      ...resourceRoutes(this),
      ...jobRoutes(this),
      ...executionRoutes(this),
      ...operationRoutes(this),
      ...identityRoutes(this),
    ];
  }

  // ---- subscription, resource groups --------------------------------------------------------

  // ---- jobs ---------------------------------------------------------------------------------

  // ---- executions ---------------------------------------------------------------------------

  // ---- log stream access (api-version 2023-11-02-preview, as `az containerapp job logs show` uses) -------

  // ---- long-running operations --------------------------------------------------------------

  // ---- environments -------------------------------------------------------------------------

  // ---- container registries -----------------------------------------------------------------
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const REGION_NAMES: Record<string, string> = {
  eastus: 'East US',
  eastus2: 'East US 2',
  westus: 'West US',
  westus2: 'West US 2',
  westus3: 'West US 3',
  westeurope: 'West Europe',
  northeurope: 'North Europe',
  swedencentral: 'Sweden Central',
  uksouth: 'UK South',
  centralus: 'Central US',
  francecentral: 'France Central',
  germanywestcentral: 'Germany West Central',
};

/** "eastus" -> "East US" (how the service echoes job and environment locations). */
export function displayLocation(location: string): string {
  return REGION_NAMES[normalizeLocation(location)] ?? location;
}

function randomWord(): string {
  const words = ['happy', 'calm', 'brave', 'gentle', 'lively', 'polite', 'proud', 'quiet', 'witty', 'zealous'];
  const nouns = ['sea', 'forest', 'meadow', 'river', 'hill', 'stone', 'field', 'pond', 'desert', 'cloud'];
  return `${words[randomBytes(1)[0]! % words.length]}${nouns[randomBytes(1)[0]! % nouns.length]}`;
}

/** An ACR-like admin password (52 base64-ish characters with a `+ACR` segment as recent ones have). */
function acrPassword(): string {
  return `${randomBytes(30).toString('base64').replace(/[/=]/g, 'x').slice(0, 39)}+ACRDaAbC${randomBytes(3).toString('hex')}`;
}
