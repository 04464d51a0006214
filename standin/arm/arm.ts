/**
 * The Azure Resource Manager part of the stand-in: resource groups, Container Apps managed environments
 * and jobs (with executions and long-running operations), container registries, RBAC and throttling,
 * answering over HTTPS as ARM and the Microsoft.App resource provider do (spec 2026-07-01, recordings).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HostContext } from '../http.ts';
import { parseJsonBody, sendJson } from '../http.ts';
import { isAuthorized, makeAssignment, printedScope, type RoleAssignment, type RoleAssignmentInput } from './authz.ts';
import { ArmError, errors } from './errors.ts';
import {
  DEFAULT_SCRIPT,
  executionName,
  executionState,
  executionTemplate,
  executionView,
  isTerminal,
  replicaNames,
  replicaRuns,
  runEnd,
  type ExecutionRecord,
  type ExecutionScript,
} from './executions.ts';
import { mergePatch } from './merge-patch.ts';
import { sharedSpec, OpenApiSpec, type Issue } from './schema.ts';
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
import {
  armTimestamp,
  clone,
  dotnetTicks,
  guid,
  isObj,
  normalizeLocation,
  objects,
  type Json,
  type JsonObject,
} from './util.ts';
import { environmentView, jobView, registryView, resourceGroupView } from './views.ts';

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
  /** And at least this long after the request (stand-in clock). Default 0. */
  durationMs: number;
  /** How operations end. Default Succeeded. */
  outcome: OperationOutcome;
  /** Error of a Failed / Canceled operation. */
  error?: { code: string; message: string };
  /** Retry-After (seconds) on 202 answers and Location polls; null: no header. Default 1. */
  retryAfterSec: number | null;
  /** Retry-After on the PUT's 201 and the Azure-AsyncOperation polls; null: no header (as recorded). */
  putRetryAfterSec: number | null;
  /** PUT: 'async' = 201/200 + Azure-AsyncOperation (as recorded); 'sync' = 200/201 with Succeeded. */
  putMode: 'async' | 'sync';
  /** PATCH: 'async' = 202 + Location; 'sync' = 200 with the job. Default async. */
  patchMode: 'async' | 'sync';
  /** POST start: 'sync' = 200 {id,name} (as recorded); 'async' = 202 + Location + Retry-After. */
  startMode: 'sync' | 'async';
  /** POST .../stop: 'sync' = 200; 'async' = 202 + Location. */
  stopMode: 'sync' | 'async';
  /** DELETE: 'async' = 202 + Location; 'sync' = 200. */
  deleteMode: 'sync' | 'async';
}

export const DEFAULT_LRO: LroSettings = {
  inProgressPolls: 2,
  durationMs: 0,
  outcome: 'Succeeded',
  retryAfterSec: 1,
  putRetryAfterSec: null,
  putMode: 'async',
  patchMode: 'async',
  startMode: 'sync',
  stopMode: 'sync',
  deleteMode: 'async',
};

/** Real list of Microsoft.App api-versions (recorded Feb 2026) plus 2026-07-01. */
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
  '2026-07-01',
];

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
  /** Executions per page of the list (default 100). */
  executionsPageSize?: number;
  /** How `$filter` on the executions list fails (default 'invalid-parameter': 400, seen in 2025). */
  filterMode?: FilterMode;
  /** Shape of 400 schema errors: 'arm' (default) or the RP's 'problem-details' (RFC 7807, seen live). */
  schemaErrorStyle?: 'arm' | 'problem-details';
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
  /** Default `NAME.azurecr.io`; the ACR data-plane stand-in (standin/acr.ts) sets its own `localhost:PORT`. */
  loginServer?: string;
}

interface Principal {
  oid: string;
  appid: string;
  tid: string;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Call {
  params: Record<string, string>;
  apiVersion: string;
  url: URL;
  base: string;
  body: Buffer;
  principal: Principal;
  correlationId: string;
}

type Namespace =
  'Microsoft.App' | 'Microsoft.ContainerRegistry' | 'Microsoft.Resources' | 'Microsoft.OperationalInsights';

interface Route {
  method: string;
  pattern: RegExp;
  namespace: Namespace;
  /** Resource type as NoRegisteredProviderFound names it. */
  type: string;
  /** RBAC action; undefined: no check. */
  action?: string;
  /** RBAC scope of the call (default: the path). */
  scope?: (p: Record<string, string>) => string;
  handler: (c: Call) => Reply | Promise<Reply>;
}

const JOB_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;

function compile(template: string): RegExp {
  const src = template
    .split('/')
    .map((seg) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      return m ? `(?<${m[1]}>[^/]+)` : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${src}/?$`, 'i');
}

function key(rg: string, name: string): string {
  return `${rg.toLowerCase()}/${name.toLowerCase()}`;
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
  filterMode: FilterMode;
  schemaErrorStyle: 'arm' | 'problem-details';
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
  /** Every long-running operation started, by id. */
  readonly operations = new Map<string, Operation>();

  private appApiVersions: string[];
  private registryApiVersions: string[];
  private readonly outcomeQueue: {
    outcome: OperationOutcome;
    error?: { code: string; message: string };
    kind?: OperationKind;
  }[] = [];
  private readonly routes: Route[];
  private execSeq = 0;
  private readonly signingSecret = randomBytes(16);

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
    this.executionsPageSize = opts.executionsPageSize ?? 100;
    this.filterMode = opts.filterMode ?? 'invalid-parameter';
    this.schemaErrorStyle = opts.schemaErrorStyle ?? 'arm';
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
    return this.environmentOf(job.spec);
  }

  /** The job a getAuthToken token was issued for, if the token is known and not expired. */
  verifyLogStreamToken(token: string): LogStreamToken | undefined {
    const t = this.logStreamTokens.get(token);
    return t && t.expiresAt > this.clock() ? t : undefined;
  }

  /** Whether a principal (object id) may do `action` at `scope` (for the other hosts' authorization). */
  isAuthorized(principal: { oid: string; appid: string }, action: string, scope: string): boolean {
    return isAuthorized(this.roleAssignments, principal, action, scope);
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

  addRoleAssignment(input: RoleAssignmentInput): RoleAssignment {
    const a = makeAssignment(input, `${input.scope}/providers/Microsoft.Authorization/roleAssignments/${guid()}`);
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
    rec.spec = this.withDefaults(spec, this.environmentOf(spec));
    this.assignIdentityIds(rec);
    rec.provisioningState = opts.provisioningState ?? 'Succeeded';
    delete rec.pendingOp;
    this.jobs.set(key(rg.name, name), rec);
    return this.inspectJob(rec);
  }

  /** The job as GET shows it at the newest api-version, with secret values (never on the wire). */
  getJob(resourceGroup: string, name: string): JsonObject | undefined {
    const rec = this.jobs.get(key(resourceGroup, name));
    return rec ? this.inspectJob(rec) : undefined;
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

  setDefaultExecutionScript(script: ExecutionScript): void {
    this.defaultExecutionScript = { ...script };
  }

  /** Executions of a job, newest first, as GET shows them at `apiVersion` (default the newest). */
  listExecutions(resourceGroup: string, jobName: string, apiVersion = this.newestApiVersion()): JsonObject[] {
    const rec = this.jobs.get(key(resourceGroup, jobName));
    if (!rec) return [];
    const now = this.clock();
    return this.sortedExecutions(rec).map((e) => executionView(e, now, apiVersion));
  }

  getExecution(
    resourceGroup: string,
    jobName: string,
    execName: string,
    apiVersion = this.newestApiVersion(),
  ): JsonObject | undefined {
    const e = this.findExecution(resourceGroup, jobName, execName);
    return e ? executionView(e, this.clock(), apiVersion) : undefined;
  }

  /** The execution's record (script, template, stop time) for assertions. */
  executionRecord(resourceGroup: string, jobName: string, execName: string): ExecutionRecord | undefined {
    return this.findExecution(resourceGroup, jobName, execName);
  }

  /** Stops a running execution as if someone else did (portal, CLI). */
  stopExecution(resourceGroup: string, jobName: string, execName: string): boolean {
    const e = this.findExecution(resourceGroup, jobName, execName);
    return e ? this.stopRecord(e) : false;
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
      if (route.action !== undefined && !isAuthorized(this.roleAssignments, principal, route.action, scope)) {
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

  private authenticate(req: IncomingMessage): Principal {
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

  private match(method: string, path: string): { route: Route; params: Record<string, string> } {
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

  private newestApiVersion(): string {
    return [...this.appApiVersions].sort().at(-1) ?? '2026-07-01';
  }

  private checkApiVersion(route: Route, params: Record<string, string>, url: URL, body: Buffer): string {
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

  private locationFor(params: Record<string, string>, body: Buffer): string {
    if (params.rg !== undefined && params.job !== undefined) {
      const job = this.jobs.get(key(params.rg, params.job));
      if (job) return normalizeLocation(String(job.spec.location ?? ''));
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

  private buildRoutes(): Route[] {
    const S = '/subscriptions/{sub}';
    const RG = `${S}/resourceGroups/{rg}`;
    const JOB = `${RG}/providers/Microsoft.App/jobs/{job}`;
    const jobScope = (p: Record<string, string>): string =>
      `/subscriptions/${p.sub}/resourceGroups/${p.rg}/providers/Microsoft.App/jobs/${p.job}`;
    const execScope = (p: Record<string, string>): string => `${jobScope(p)}/executions/${p.exec}`;
    const r = (
      method: string,
      template: string,
      namespace: Namespace,
      type: string,
      action: string | undefined,
      handler: Route['handler'],
      scope?: Route['scope'],
    ): Route => ({
      method,
      pattern: compile(template),
      namespace,
      type,
      ...(action ? { action } : {}),
      ...(scope ? { scope } : {}),
      handler,
    });
    return [
      r('GET', S, 'Microsoft.Resources', 'subscriptions', undefined, () => ({
        status: 200,
        body: this.subscriptionView(),
      })),
      r('GET', `${S}/resourcegroups`, 'Microsoft.Resources', 'resourceGroups', undefined, (c) =>
        this.listResourceGroups(c),
      ),
      r(
        'GET',
        RG,
        'Microsoft.Resources',
        'resourceGroups',
        'Microsoft.Resources/subscriptions/resourceGroups/read',
        (c) => this.getResourceGroup(c),
      ),
      // Microsoft.App jobs
      r('GET', `${S}/providers/Microsoft.App/jobs`, 'Microsoft.App', 'jobs', 'Microsoft.App/jobs/read', (c) =>
        this.listJobs(c),
      ),
      r('GET', `${RG}/providers/Microsoft.App/jobs`, 'Microsoft.App', 'jobs', 'Microsoft.App/jobs/read', (c) =>
        this.listJobs(c),
      ),
      r('GET', JOB, 'Microsoft.App', 'jobs', 'Microsoft.App/jobs/read', (c) => this.getJobCall(c), jobScope),
      r('PUT', JOB, 'Microsoft.App', 'jobs', 'Microsoft.App/jobs/write', (c) => this.putJob(c), jobScope),
      r('PATCH', JOB, 'Microsoft.App', 'jobs', 'Microsoft.App/jobs/write', (c) => this.patchJob(c), jobScope),
      r('DELETE', JOB, 'Microsoft.App', 'jobs', 'Microsoft.App/jobs/delete', (c) => this.deleteJobCall(c), jobScope),
      r(
        'POST',
        `${JOB}/start`,
        'Microsoft.App',
        'jobs',
        'Microsoft.App/jobs/start/action',
        (c) => this.startJob(c),
        jobScope,
      ),
      r(
        'POST',
        `${JOB}/stop`,
        'Microsoft.App',
        'jobs',
        'Microsoft.App/jobs/stop/action',
        (c) => this.stopMultiple(c),
        jobScope,
      ),
      r(
        'POST',
        `${JOB}/listSecrets`,
        'Microsoft.App',
        'jobs',
        'Microsoft.App/jobs/listSecrets/action',
        (c) => this.listSecrets(c),
        jobScope,
      ),
      r(
        'GET',
        `${JOB}/executions`,
        'Microsoft.App',
        'jobs/executions',
        'Microsoft.App/jobs/executions/read',
        (c) => this.listExecutionsCall(c),
        jobScope,
      ),
      r(
        'GET',
        `${JOB}/executions/{exec}`,
        'Microsoft.App',
        'jobs/executions',
        'Microsoft.App/jobs/executions/read',
        (c) => this.getExecutionCall(c),
        execScope,
      ),
      r(
        'GET',
        `${JOB}/executions/{exec}/replicas`,
        'Microsoft.App',
        'jobs/executions',
        'Microsoft.App/jobs/executions/read',
        (c) => this.listReplicasCall(c),
        execScope,
      ),
      r(
        'POST',
        `${JOB}/getAuthToken`,
        'Microsoft.App',
        'jobs',
        'Microsoft.App/jobs/getAuthToken/action',
        (c) => this.getAuthTokenCall(c),
        jobScope,
      ),
      r(
        'GET',
        `${S}/providers/Microsoft.OperationalInsights/workspaces`,
        'Microsoft.OperationalInsights',
        'workspaces',
        'Microsoft.OperationalInsights/workspaces/read',
        (c) => this.listWorkspaces(c),
      ),
      r(
        'GET',
        `${RG}/providers/Microsoft.OperationalInsights/workspaces`,
        'Microsoft.OperationalInsights',
        'workspaces',
        'Microsoft.OperationalInsights/workspaces/read',
        (c) => this.listWorkspaces(c),
      ),
      r(
        'POST',
        `${JOB}/executions/{exec}/stop`,
        'Microsoft.App',
        'jobs/executions',
        'Microsoft.App/jobs/stop/action',
        (c) => this.stopExecutionCall(c),
        execScope,
      ),
      // long-running operations (authorized by the signed URL, not RBAC)
      r(
        'GET',
        `${S}/providers/Microsoft.App/locations/{loc}/containerappsjobOperationStatuses/{op}`,
        'Microsoft.App',
        'locations/containerappsjobOperationStatuses',
        undefined,
        (c) => this.operationStatus(c),
      ),
      r(
        'GET',
        `${S}/providers/Microsoft.App/locations/{loc}/containerappsjobOperationResults/{op}`,
        'Microsoft.App',
        'locations/containerappsjobOperationResults',
        undefined,
        (c) => this.operationResult(c),
      ),
      // managed environments
      r(
        'GET',
        `${S}/providers/Microsoft.App/managedEnvironments`,
        'Microsoft.App',
        'managedEnvironments',
        'Microsoft.App/managedEnvironments/read',
        (c) => this.listEnvironments(c),
      ),
      r(
        'GET',
        `${RG}/providers/Microsoft.App/managedEnvironments`,
        'Microsoft.App',
        'managedEnvironments',
        'Microsoft.App/managedEnvironments/read',
        (c) => this.listEnvironments(c),
      ),
      r(
        'GET',
        `${RG}/providers/Microsoft.App/managedEnvironments/{env}`,
        'Microsoft.App',
        'managedEnvironments',
        'Microsoft.App/managedEnvironments/read',
        (c) => this.getEnvironment(c),
      ),
      // container registries
      r(
        'GET',
        `${S}/providers/Microsoft.ContainerRegistry/registries`,
        'Microsoft.ContainerRegistry',
        'registries',
        'Microsoft.ContainerRegistry/registries/read',
        (c) => this.listRegistries(c),
      ),
      r(
        'GET',
        `${RG}/providers/Microsoft.ContainerRegistry/registries`,
        'Microsoft.ContainerRegistry',
        'registries',
        'Microsoft.ContainerRegistry/registries/read',
        (c) => this.listRegistries(c),
      ),
      r(
        'GET',
        `${RG}/providers/Microsoft.ContainerRegistry/registries/{reg}`,
        'Microsoft.ContainerRegistry',
        'registries',
        'Microsoft.ContainerRegistry/registries/read',
        (c) => this.getRegistry(c),
      ),
      r(
        'POST',
        `${RG}/providers/Microsoft.ContainerRegistry/registries/{reg}/listCredentials`,
        'Microsoft.ContainerRegistry',
        'registries',
        'Microsoft.ContainerRegistry/registries/listCredentials/action',
        (c) => this.listRegistryCredentials(c),
        (p) =>
          `/subscriptions/${p.sub}/resourceGroups/${p.rg}/providers/Microsoft.ContainerRegistry/registries/${p.reg}`,
      ),
    ];
  }

  // ---- subscription, resource groups --------------------------------------------------------

  private subscriptionView(): JsonObject {
    return {
      id: `/subscriptions/${this.subscriptionId}`,
      authorizationSource: 'RoleBased',
      managedByTenants: [],
      subscriptionId: this.subscriptionId,
      tenantId: this.tenantId,
      displayName: 'Stand-in subscription',
      state: 'Enabled',
      subscriptionPolicies: {
        locationPlacementId: 'Public_2014-09-01',
        quotaId: 'PayAsYouGo_2014-09-01',
        spendingLimit: 'Off',
      },
    };
  }

  private requireRg(name: string): ResourceGroupRecord {
    const rg = this.resourceGroups.get(name.toLowerCase());
    if (!rg) throw errors.resourceGroupNotFound(name);
    return rg;
  }

  private listResourceGroups(c: Call): Reply {
    const value = [...this.resourceGroups.values()]
      .filter((rg) =>
        isAuthorized(this.roleAssignments, c.principal, 'Microsoft.Resources/subscriptions/resourceGroups/read', rg.id),
      )
      .map(resourceGroupView);
    return { status: 200, body: { value } };
  }

  private getResourceGroup(c: Call): Reply {
    return { status: 200, body: resourceGroupView(this.requireRg(c.params.rg as string)) };
  }

  // ---- jobs ---------------------------------------------------------------------------------

  private requireJob(p: Record<string, string>): JobRecord {
    this.requireRg(p.rg as string);
    const job = this.jobs.get(key(p.rg as string, p.job as string));
    if (!job) throw errors.resourceNotFound('Microsoft.App/jobs', p.job as string, p.rg as string);
    return job;
  }

  private environmentOf(spec: JsonObject): EnvironmentRecord | undefined {
    const props = isObj(spec.properties) ? spec.properties : {};
    const id = typeof props.environmentId === 'string' ? props.environmentId : '';
    return this.environmentById(id);
  }

  private environmentById(id: string): EnvironmentRecord | undefined {
    const m = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.App\/managedEnvironments\/([^/]+)$/i.exec(id);
    if (!m) return undefined;
    const sub = /^\/subscriptions\/([^/]+)\//i.exec(id)?.[1];
    if (sub?.toLowerCase() !== this.subscriptionId.toLowerCase()) return undefined;
    return this.environments.get(key(m[1] as string, m[2] as string));
  }

  private view(job: JobRecord, apiVersion: string): JsonObject {
    return jobView(job, { subscriptionId: this.subscriptionId, apiVersion, env: this.environmentOf(job.spec) });
  }

  private inspectJob(job: JobRecord): JsonObject {
    return jobView(job, {
      subscriptionId: this.subscriptionId,
      apiVersion: this.newestApiVersion(),
      env: this.environmentOf(job.spec),
      withSecretValues: true,
    });
  }

  private listJobs(c: Call): Reply {
    if (c.params.rg !== undefined) this.requireRg(c.params.rg);
    const value = [...this.jobs.values()]
      .filter((j) => c.params.rg === undefined || j.resourceGroup.toLowerCase() === c.params.rg?.toLowerCase())
      .map((j) => {
        if (j.pendingOp) this.observe(j.pendingOp);
        return this.view(j, c.apiVersion);
      });
    return { status: 200, body: { value } };
  }

  private getJobCall(c: Call): Reply {
    const job = this.requireJob(c.params);
    if (job.pendingOp) this.observe(job.pendingOp);
    const current = this.jobs.get(key(job.resourceGroup, job.name));
    if (!current) throw errors.resourceNotFound('Microsoft.App/jobs', c.params.job as string, c.params.rg as string);
    return { status: 200, body: this.view(current, c.apiVersion) };
  }

  private parseBody(c: Call): unknown {
    try {
      return parseJsonBody(c.body);
    } catch (e) {
      throw errors.invalidJson(`${e instanceof Error ? e.message : String(e)}. Path '', line 1, position 1.`);
    }
  }

  private schemaError(issues: Issue[], apiVersion: string): ArmError {
    if (this.schemaErrorStyle === 'problem-details') {
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
  private withDefaults(spec: JsonObject, env: EnvironmentRecord | undefined): JsonObject {
    const out = clone(spec);
    const props = (isObj(out.properties) ? out.properties : (out.properties = {})) as JsonObject;
    if (props.workloadProfileName === undefined && env?.workloadProfiles !== false)
      props.workloadProfileName = 'Consumption';
    const conf = isObj(props.configuration) ? (props.configuration as JsonObject) : undefined;
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
  private semanticChecks(spec: JsonObject, existing: JobRecord | undefined): EnvironmentRecord {
    const props = (isObj(spec.properties) ? spec.properties : {}) as JsonObject;
    const envId = typeof props.environmentId === 'string' ? props.environmentId : '';
    if (existing) {
      const before = String((existing.spec.properties as JsonObject | undefined)?.environmentId ?? '');
      if (envId.toLowerCase() !== before.toLowerCase()) {
        throw new ArmError(
          400,
          'BadRequest',
          `The environmentId of a Container Apps job cannot be changed (from '${before}' to '${envId}').`,
        );
      }
    }
    if (envId === '') throw new ArmError(400, 'InvalidManagedEnvironmentId', "Invalid ManagedEnvironmentId value ''.");
    const env = this.environmentById(envId);
    if (!env)
      throw new ArmError(404, 'ManagedEnvironmentNotFound', `The managed environment '${envId}' was not found.`);
    const conf = (isObj(props.configuration) ? props.configuration : {}) as JsonObject;
    if (conf.triggerType === 'Schedule' && !isObj(conf.scheduleTriggerConfig)) {
      throw new ArmError(400, 'BadRequest', "scheduleTriggerConfig is required when triggerType is 'Schedule'.");
    }
    if (conf.triggerType === 'Event' && !isObj(conf.eventTriggerConfig)) {
      throw new ArmError(400, 'BadRequest', "eventTriggerConfig is required when triggerType is 'Event'.");
    }
    const secrets = objects(conf.secrets);
    const names = new Set<string>();
    for (const s of secrets) {
      const n = String(s.name ?? '');
      if (s.value === undefined && s.keyVaultUrl === undefined) {
        throw new ArmError(
          400,
          'ContainerAppSecretInvalid',
          `Secret '${n}' must specify either a value or a keyVaultUrl.`,
        );
      }
      names.add(n.toLowerCase());
    }
    const tmpl = (isObj(props.template) ? props.template : {}) as JsonObject;
    const containers = objects(tmpl.containers);
    if (containers.length === 0)
      throw new ArmError(400, 'BadRequest', 'A Container Apps job must have at least one container.');
    const all = [...containers, ...objects(tmpl.initContainers)];
    for (const ct of all) {
      if (typeof ct.image !== 'string' || ct.image === '') {
        throw new ArmError(
          400,
          'ContainerAppImageRequired',
          `Container with name '${String(ct.name ?? '')}' must have an 'Image' property specified.`,
        );
      }
      for (const e of objects(ct.env)) {
        if (typeof e.secretRef === 'string' && !names.has(e.secretRef.toLowerCase())) {
          throw new ArmError(
            400,
            'ContainerAppSecretRefNotFound',
            `SecretRef '${e.secretRef}' defined for container '${String(ct.name ?? '')}' not found.`,
          );
        }
      }
    }
    for (const reg of objects(conf.registries)) {
      if (typeof reg.passwordSecretRef === 'string' && !names.has(reg.passwordSecretRef.toLowerCase())) {
        throw new ArmError(
          400,
          'ContainerAppRegistryPasswordSecretRefNotFound',
          `PasswordSecretRef '${reg.passwordSecretRef}' defined for registry server '${String(reg.server ?? '')}' not found.`,
        );
      }
    }
    return env;
  }

  private assignIdentityIds(job: JobRecord): void {
    const identity = job.spec.identity;
    if (!isObj(identity) || !isObj(identity.userAssignedIdentities)) return;
    for (const id of Object.keys(identity.userAssignedIdentities)) {
      job.identityIds.user[id.toLowerCase()] ??= { clientId: guid(), principalId: guid() };
    }
  }

  private touch(job: JobRecord, p: Principal): void {
    job.systemData = {
      ...job.systemData,
      lastModifiedBy: p.appid,
      lastModifiedByType: 'Application',
      lastModifiedAt: armTimestamp(this.clock()),
    };
  }

  private ensureNotBusy(job: JobRecord): void {
    if (job.pendingOp && !job.pendingOp.done) throw errors.conflictInProgress(job.name);
  }

  private putJob(c: Call): Reply {
    const p = c.params;
    const rg = this.requireRg(p.rg as string);
    const jobName = p.job as string;
    if (!JOB_NAME.test(jobName) || jobName.includes('--')) {
      throw new ArmError(
        400,
        'ContainerAppJobInvalidName',
        `Invalid ContainerApp Job name '${jobName}'. A name must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character and cannot have '--'. The length must not be more than 32 characters.`,
      );
    }
    const body = this.parseBody(c);
    const issues = this.spec.validate('Job', body, 'request');
    if (issues.length > 0) throw this.schemaError(issues, c.apiVersion);
    const existing = this.jobs.get(key(rg.name, jobName));
    if (existing) this.ensureNotBusy(existing);
    const normalized = this.spec.normalize('Job', body) as JsonObject;
    if (existing) {
      const was = normalizeLocation(String(existing.spec.location ?? ''));
      const now = normalizeLocation(String(normalized.location ?? ''));
      if (was !== now) {
        throw new ArmError(
          400,
          'InvalidResourceLocation',
          `The resource '${jobName}' already exists in location '${was}' in resource group '${rg.name}'. A resource with the same name cannot be created in location '${now}'. Please select a new resource name.`,
        );
      }
    }
    const env = this.semanticChecks(normalized, existing);
    // ARM's linked access check: creating a job in an environment needs join/action on the environment.
    const join = 'Microsoft.App/managedEnvironments/join/action';
    if (!isAuthorized(this.roleAssignments, c.principal, join, env.id)) {
      throw errors.linkedAuthorizationFailed(
        c.principal.appid,
        c.principal.oid,
        'Microsoft.App/jobs/write',
        printedScope(
          `/subscriptions/${this.subscriptionId}/resourceGroups/${rg.name}/providers/Microsoft.App/jobs/${jobName}`,
        ),
        join,
        printedScope(env.id),
      );
    }
    const now = this.clock();
    const spec = this.withDefaults(normalized, env);
    const job: JobRecord = existing ?? {
      name: jobName,
      resourceGroup: rg.name,
      id: `/subscriptions/${this.subscriptionId}/resourceGroups/${rg.name}/providers/Microsoft.App/jobs/${jobName}`,
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
      identityIds: { principalId: guid(), tenantId: this.tenantId, user: {} },
      executions: [],
      scripts: [],
    };
    job.spec = spec;
    this.assignIdentityIds(job);
    if (existing) this.touch(job, c.principal);
    this.jobs.set(key(rg.name, jobName), job);
    const created = !existing;
    const headers: Record<string, string> = { 'x-ms-ratelimit-remaining-subscription-resource-requests': '799' };
    if (this.lro.putMode === 'sync') {
      job.provisioningState = 'Succeeded';
      delete job.pendingOp;
      return { status: created ? 201 : 200, body: this.view(job, c.apiVersion), headers };
    }
    job.provisioningState = 'InProgress';
    const op = this.startOperation('job-put', job.id, String(spec.location ?? ''), (o) => {
      job.provisioningState = o.outcome;
    });
    job.pendingOp = op;
    headers['azure-asyncoperation'] = this.statusUrl(c, op);
    headers['x-ms-async-operation-timeout'] = 'PT15M';
    if (this.lro.putRetryAfterSec !== null) headers['retry-after'] = String(this.lro.putRetryAfterSec);
    return { status: created ? 201 : 200, body: this.view(job, c.apiVersion), headers };
  }

  private patchJob(c: Call): Reply {
    const job = this.requireJob(c.params);
    const body = this.parseBody(c);
    const issues = this.spec.validate('JobPatchProperties', body, 'patch');
    if (issues.length > 0) throw this.schemaError(issues, c.apiVersion);
    this.ensureNotBusy(job);
    const patch = this.spec.normalize('JobPatchProperties', body, true) as JsonObject;
    if (isObj(patch.properties)) {
      delete patch.properties.outboundIpAddresses;
      delete patch.properties.eventStreamEndpoint;
    }
    const merged = mergePatch(job.spec, patch) as JsonObject;
    const mergedIssues = this.spec.validate('Job', merged, 'request');
    if (mergedIssues.length > 0) throw this.schemaError(mergedIssues, c.apiVersion);
    const normalized = this.spec.normalize('Job', merged) as JsonObject;
    const env = this.semanticChecks(normalized, job);
    job.spec = this.withDefaults(normalized, env);
    this.assignIdentityIds(job);
    this.touch(job, c.principal);
    if (this.lro.patchMode === 'sync') {
      job.provisioningState = 'Succeeded';
      return { status: 200, body: this.view(job, c.apiVersion) };
    }
    job.provisioningState = 'InProgress';
    const op = this.startOperation('job-patch', job.id, String(job.spec.location ?? ''), (o) => {
      job.provisioningState = o.outcome;
    });
    op.result = (v) => ({ status: 200, body: this.view(job, v) });
    job.pendingOp = op;
    return { status: 202, headers: this.locationHeaders(c, op) };
  }

  private deleteJobCall(c: Call): Reply {
    this.requireRg(c.params.rg as string);
    const k = key(c.params.rg as string, c.params.job as string);
    const job = this.jobs.get(k);
    if (!job) return { status: 204 };
    this.ensureNotBusy(job);
    if (this.lro.deleteMode === 'sync') {
      this.jobs.delete(k);
      return { status: 200 };
    }
    job.provisioningState = 'Deleting';
    const op = this.startOperation('job-delete', job.id, String(job.spec.location ?? ''), (o) => {
      if (o.outcome === 'Succeeded') this.jobs.delete(k);
      else job.provisioningState = 'Failed';
    });
    op.result = () => ({ status: 200 });
    job.pendingOp = op;
    return { status: 202, headers: this.locationHeaders(c, op) };
  }

  private listSecrets(c: Call): Reply {
    const job = this.requireJob(c.params);
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

  // ---- executions ---------------------------------------------------------------------------

  private parallelism(job: JobRecord): number {
    const conf = ((job.spec.properties as JsonObject | undefined)?.configuration ?? {}) as JsonObject;
    for (const k of ['manualTriggerConfig', 'scheduleTriggerConfig', 'eventTriggerConfig']) {
      const tc = conf[k];
      if (isObj(tc) && typeof tc.parallelism === 'number') return tc.parallelism;
    }
    return 1;
  }

  private startJob(c: Call): Reply {
    const job = this.requireJob(c.params);
    const body = this.parseBody(c);
    if (body !== undefined && body !== null) {
      const issues = this.spec.validate('JobExecutionTemplate', body, 'request');
      if (issues.length > 0) throw this.schemaError(issues, c.apiVersion);
    }
    const override =
      body === undefined || body === null ? undefined : this.spec.normalize('JobExecutionTemplate', body);
    const props = (job.spec.properties ?? {}) as JsonObject;
    const conf = (props.configuration ?? {}) as JsonObject;
    const script = job.scripts.shift() ?? { ...this.defaultExecutionScript };
    const name = executionName(job.name);
    const rec: ExecutionRecord = {
      name,
      id: `${job.id}/executions/${name}`,
      resourceGroup: job.resourceGroup,
      jobName: job.name,
      createdAt: this.clock(),
      seq: ++this.execSeq,
      script,
      template: executionTemplate(props.template, override),
      replicaNames: replicaNames(
        name,
        (script.replicas ?? this.parallelism(job)) * (1 + Math.max(0, Math.floor(script.failedAttempts ?? 0))),
      ),
      replicaCount: Math.max(1, script.replicas ?? this.parallelism(job)),
      replicaTimeoutSec: typeof conf.replicaTimeout === 'number' ? conf.replicaTimeout : 1800,
    };
    job.executions.push(rec);
    const result = { id: rec.id, name: rec.name };
    if (this.lro.startMode === 'sync') return { status: 200, body: result };
    const op = this.startOperation('start', job.id, String(job.spec.location ?? ''));
    op.result = () => ({ status: 200, body: result });
    return { status: 202, headers: this.locationHeaders(c, op) };
  }

  private sortedExecutions(job: JobRecord): ExecutionRecord[] {
    return [...job.executions].sort((a, b) => b.createdAt - a.createdAt || b.seq - a.seq);
  }

  private listExecutionsCall(c: Call): Reply {
    const job = this.requireJob(c.params);
    if (c.url.searchParams.has('$filter')) {
      throw this.filterMode === 'internal-error' ? errors.filterInternalError(c.correlationId) : errors.filterInvalid();
    }
    const all = this.sortedExecutions(job);
    let offset = 0;
    const token = c.url.searchParams.get('$skiptoken');
    if (token !== null) {
      try {
        const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
        offset = typeof parsed.o === 'number' ? parsed.o : 0;
      } catch {
        throw new ArmError(400, 'InvalidParameterValue', 'The parameter $skiptoken has an invalid value.');
      }
    }
    const size = Math.max(1, this.executionsPageSize);
    const now = this.clock();
    const page = all.slice(offset, offset + size).map((e) => executionView(e, now, c.apiVersion));
    const body: JsonObject = { value: page };
    if (offset + size < all.length) {
      const skip = Buffer.from(JSON.stringify({ o: offset + size })).toString('base64url');
      body.nextLink = `${c.base}${c.url.pathname}?api-version=${encodeURIComponent(c.apiVersion)}&$skiptoken=${skip}`;
    }
    return { status: 200, body };
  }

  private findExecution(rg: string, jobName: string, execName: string): ExecutionRecord | undefined {
    return this.jobs.get(key(rg, jobName))?.executions.find((e) => e.name.toLowerCase() === execName.toLowerCase());
  }

  private requireExecution(p: Record<string, string>): ExecutionRecord {
    const job = this.requireJob(p);
    const e = job.executions.find((x) => x.name.toLowerCase() === (p.exec as string).toLowerCase());
    if (!e) throw errors.resourceNotFound('Microsoft.App/jobs/executions', `${p.job}/${p.exec}`, p.rg as string);
    return e;
  }

  private getExecutionCall(c: Call): Reply {
    const e = this.requireExecution(c.params);
    return { status: 200, body: executionView(e, this.clock(), c.apiVersion) };
  }

  // ---- log stream access (api-version 2023-11-02-preview, as `az containerapp job logs show` uses) -------

  private logStreamBase(job: JobRecord): string {
    const env = this.environmentOf(job.spec);
    const host =
      env?.eventStreamHost ?? `https://${normalizeLocation(String(job.spec.location ?? ''))}.azurecontainerapps.dev`;
    return `${host}/subscriptions/${this.subscriptionId}/resourceGroups/${job.resourceGroup}/jobs/${job.name}`;
  }

  private listReplicasCall(c: Call): Reply {
    const job = this.requireJob(c.params);
    const e = this.requireExecution(c.params);
    const now = this.clock();
    const elapsed = now - e.createdAt;
    const st = executionState(e, now);
    const names = (st.status === 'Processing' ? [] : st.replicas).map((r) => r.name);
    const base = this.logStreamBase(job);
    const value = replicaRuns(e)
      .filter((run) => names.includes(run.name) && this.replicaVisible(e, run.startMs, now))
      .map((run) => {
        const shown = st.replicas.find((r) => r.name === run.name)!;
        const ended = runEnd(e, run) <= elapsed;
        const containers = shown.containers.map((ct) => ({
          name: ct.name,
          containerId: `containerd://${createHash('sha256').update(`${run.name}/${ct.name}`).digest('hex')}`,
          ready: ct.status === 'Running',
          started: ct.status !== 'Waiting',
          restartCount: 0,
          runningState: ct.status === 'Running' ? 'Running' : ct.status === 'Waiting' ? 'Waiting' : 'Terminated',
          runningStateDetails: ct.additionalInformation ?? '',
          logStreamEndpoint: `${base}/executions/${e.name}/replicas/${run.name}/containers/${ct.name}/logstream`,
        }));
        return {
          id: `${e.id}/replicas/${run.name}`,
          name: run.name,
          type: 'Microsoft.App/jobs/executions/replicas',
          properties: {
            createdTime: armTimestamp(e.createdAt + run.startMs),
            runningState: ended ? 'NotRunning' : 'Running',
            runningStateDetails: ended ? 'Completed' : '',
            containers,
            initContainers: [],
          },
        };
      });
    return { status: 200, body: { value } };
  }

  private getAuthTokenCall(c: Call): Reply {
    const job = this.requireJob(c.params);
    const token = randomBytes(48).toString('base64url');
    const expiresAt = this.clock() + this.logStreamTokenLifetimeSec * 1000;
    this.logStreamTokens.set(token, { jobId: job.id.toLowerCase(), expiresAt });
    return {
      status: 200,
      body: {
        id: job.id,
        name: job.name,
        type: 'Microsoft.App/jobs/getAuthToken',
        location: String(job.spec.location ?? ''),
        tags: {},
        properties: { token, expires: armTimestamp(expiresAt) },
      },
    };
  }

  private listWorkspaces(c: Call): Reply {
    const rg = c.params.rg?.toLowerCase();
    const value = [...this.workspaces.values()]
      .filter((w) => rg === undefined || w.resourceGroup.toLowerCase() === rg)
      .filter((w) =>
        isAuthorized(this.roleAssignments, c.principal, 'Microsoft.OperationalInsights/workspaces/read', w.id),
      )
      .map((w) => ({
        id: w.id,
        name: w.name,
        type: 'Microsoft.OperationalInsights/workspaces',
        location: w.location,
        properties: {
          customerId: w.customerId,
          provisioningState: 'Succeeded',
          sku: { name: 'PerGB2018' },
          retentionInDays: 30,
          publicNetworkAccessForIngestion: 'Enabled',
          publicNetworkAccessForQuery: 'Enabled',
        },
      }));
    return { status: 200, body: { value } };
  }

  private stopRecord(e: ExecutionRecord): boolean {
    const now = this.clock();
    if (isTerminal(executionState(e, now).status)) return false;
    e.stoppedAt = now;
    return true;
  }

  private stopExecutionCall(c: Call): Reply {
    const job = this.requireJob(c.params);
    const e = this.requireExecution(c.params);
    this.stopRecord(e);
    if (this.lro.stopMode === 'sync') return { status: 200 };
    const op = this.startOperation('stop', e.id, String(job.spec.location ?? ''));
    op.result = () => ({ status: 200 });
    return { status: 202, headers: this.locationHeaders(c, op) };
  }

  private stopMultiple(c: Call): Reply {
    const job = this.requireJob(c.params);
    const now = this.clock();
    const stopped = job.executions.filter((e) => this.stopRecord(e));
    const result = () => ({
      status: 200,
      body: { value: stopped.map((e) => executionView(e, Math.max(now, this.clock()), c.apiVersion)) },
    });
    if (this.lro.stopMode === 'sync') return result();
    const op = this.startOperation('stop-multiple', job.id, String(job.spec.location ?? ''));
    op.result = result;
    return { status: 202, headers: this.locationHeaders(c, op) };
  }

  // ---- long-running operations --------------------------------------------------------------

  private startOperation(
    kind: OperationKind,
    resourceId: string,
    location: string,
    onDone?: (op: Operation) => void,
  ): Operation {
    const qi = this.outcomeQueue.findIndex((q) => q.kind === undefined || q.kind === kind);
    const queued = qi >= 0 ? this.outcomeQueue.splice(qi, 1)[0] : undefined;
    const outcome = queued?.outcome ?? this.lro.outcome;
    const error =
      queued?.error ??
      this.lro.error ??
      (outcome === 'Failed'
        ? { code: 'JobOperationFailed', message: 'The operation on the Container Apps job failed.' }
        : outcome === 'Canceled'
          ? { code: 'OperationCanceled', message: 'The operation was canceled.' }
          : undefined);
    const op: Operation = {
      id: guid(),
      kind,
      location: normalizeLocation(location) || 'eastus',
      resourceId,
      startedAt: this.clock(),
      observed: 0,
      inProgressPolls: Math.max(0, this.lro.inProgressPolls),
      durationMs: Math.max(0, this.lro.durationMs),
      outcome,
      ...(outcome !== 'Succeeded' && error ? { error } : {}),
      errorStatus: 400,
      done: false,
      ...(onDone ? { onDone } : {}),
    };
    this.operations.set(op.id, op);
    return op;
  }

  /** One observation of an operation: completes it once enough polls and time have passed. */
  private observe(op: Operation): void {
    if (!op.done && op.observed >= op.inProgressPolls && this.clock() - op.startedAt >= op.durationMs) {
      op.done = true;
      op.endedAt = this.clock();
      op.onDone?.(op);
    }
    op.observed++;
  }

  private signature(op: Operation, t: string): string {
    return createHash('sha256').update(this.signingSecret).update(op.id).update(t).digest('base64url');
  }

  private statusUrl(c: Call, op: Operation): string {
    const t = dotnetTicks(op.startedAt);
    const u = new URL(
      `${c.base}/subscriptions/${this.subscriptionId}/providers/Microsoft.App/locations/${op.location}/containerappsjobOperationStatuses/${op.id}`,
    );
    u.searchParams.set('api-version', c.apiVersion);
    u.searchParams.set('azureAsyncOperation', 'true');
    u.searchParams.set('t', t);
    u.searchParams.set('c', randomBytes(24).toString('base64'));
    u.searchParams.set('s', this.signature(op, t));
    u.searchParams.set('h', randomBytes(16).toString('base64url'));
    return u.toString();
  }

  private resultUrl(c: Call, op: Operation): string {
    const u = new URL(
      `${c.base}/subscriptions/${this.subscriptionId}/providers/Microsoft.App/locations/${op.location}/containerappsjobOperationResults/${op.id}`,
    );
    u.searchParams.set('api-version', c.apiVersion);
    return u.toString();
  }

  private locationHeaders(c: Call, op: Operation): Record<string, string> {
    const h: Record<string, string> = { location: this.resultUrl(c, op) };
    if (this.lro.retryAfterSec !== null) h['retry-after'] = String(this.lro.retryAfterSec);
    return h;
  }

  private requireOperation(c: Call): Operation {
    const op = this.operations.get((c.params.op as string).toLowerCase());
    if (!op) throw new ArmError(404, 'OperationNotFound', `The operation '${c.params.op}' could not be found.`);
    return op;
  }

  private operationStatus(c: Call): Reply {
    const op = this.requireOperation(c);
    this.observe(op);
    const id = `/subscriptions/${this.subscriptionId}/providers/Microsoft.App/locations/${op.location}/containerappsjobOperationStatuses/${op.id}`;
    const body: JsonObject = {
      id,
      name: op.id,
      status: op.done ? op.outcome : 'InProgress',
      startTime: armTimestamp(op.startedAt),
    };
    if (op.done && op.outcome !== 'Succeeded') {
      if (op.endedAt !== undefined) body.endTime = armTimestamp(op.endedAt);
      if (op.error) body.error = { ...op.error };
    }
    const headers: Record<string, string> = {};
    if (!op.done && this.lro.putRetryAfterSec !== null) headers['retry-after'] = String(this.lro.putRetryAfterSec);
    return { status: 200, body, headers };
  }

  private operationResult(c: Call): Reply {
    const op = this.requireOperation(c);
    this.observe(op);
    if (!op.done) {
      const headers: Record<string, string> = { location: `${c.base}${c.url.pathname}${c.url.search}` };
      if (this.lro.retryAfterSec !== null) headers['retry-after'] = String(this.lro.retryAfterSec);
      return { status: 202, headers };
    }
    if (op.outcome !== 'Succeeded') {
      return {
        status: op.errorStatus,
        body: { error: op.error ?? { code: 'OperationFailed', message: 'The operation failed.' } },
      };
    }
    return op.result ? op.result(c.apiVersion) : { status: 200 };
  }

  // ---- environments -------------------------------------------------------------------------

  private listEnvironments(c: Call): Reply {
    if (c.params.rg !== undefined) this.requireRg(c.params.rg);
    const value = [...this.environments.values()]
      .filter((e) => c.params.rg === undefined || e.resourceGroup.toLowerCase() === c.params.rg?.toLowerCase())
      .map((e) => environmentView(e, this.subscriptionId));
    return { status: 200, body: { value } };
  }

  private getEnvironment(c: Call): Reply {
    this.requireRg(c.params.rg as string);
    const env = this.environments.get(key(c.params.rg as string, c.params.env as string));
    if (!env)
      throw errors.resourceNotFound('Microsoft.App/managedEnvironments', c.params.env as string, c.params.rg as string);
    return { status: 200, body: environmentView(env, this.subscriptionId) };
  }

  // ---- container registries -----------------------------------------------------------------

  private listRegistries(c: Call): Reply {
    if (c.params.rg !== undefined) this.requireRg(c.params.rg);
    const value = [...this.registries.values()]
      .filter((r) => c.params.rg === undefined || r.resourceGroup.toLowerCase() === c.params.rg?.toLowerCase())
      .map(registryView);
    return { status: 200, body: { value } };
  }

  private requireRegistry(p: Record<string, string>): RegistryRecord {
    this.requireRg(p.rg as string);
    const reg = this.registries.get(key(p.rg as string, p.reg as string));
    if (!reg) throw errors.resourceNotFound('Microsoft.ContainerRegistry/registries', p.reg as string, p.rg as string);
    return reg;
  }

  private getRegistry(c: Call): Reply {
    return { status: 200, body: registryView(this.requireRegistry(c.params)) };
  }

  private listRegistryCredentials(c: Call): Reply {
    const reg = this.requireRegistry(c.params);
    if (!reg.adminUserEnabled) throw errors.adminUserDisabled(reg.id);
    return {
      status: 200,
      body: {
        username: reg.username,
        passwords: [
          { name: 'password', value: reg.passwords[0] },
          { name: 'password2', value: reg.passwords[1] },
        ],
      },
    };
  }
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
