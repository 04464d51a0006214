/**
 * The local stand-in of Azure (and of GitHub's OIDC token service): one process, one HTTPS server per host
 * (github, entra, arm, and any added later), a shared request log and fault injection.
 *
 *   const standIn = await startStandIn();
 *   const world = standIn.seedDefault();
 *   // ACTIONS_ID_TOKEN_REQUEST_URL = standIn.oidc.requestUrl, authority host = standIn.urls.authority,
 *   // ARM endpoint = standIn.urls.arm ... then: await standIn.close();
 */
import { randomUUID } from 'node:crypto';
import { Arm, type ArmOptions } from './arm/arm.ts';
import { linkEntra } from './arm/routes/identity.ts';
import { EntraId } from './entra/entra.ts';
import { GitHubOidc } from './github/oidc.ts';
import {
  defaultFaultBody,
  Faults,
  startHost,
  type FaultBody,
  type Host,
  type HostHandler,
  type RequestLogEntry,
} from './common/http.ts';
import { ensureTls, type TlsMaterial } from './common/tls.ts';
import { LogAnalyticsHost, LogStreamHost } from './logs/logs.ts';

export { Arm } from './arm/arm.ts';
export type {
  AccessTokenClaims,
  AddEnvironmentOptions,
  AddRegistryOptions,
  ArmOptions,
  FilterMode,
  SchemaErrorStyle,
  LroSettings,
  VerifyToken,
  VerifyTokenResult,
} from './arm/arm.ts';
export {
  APP_API_VERSIONS_WITH_2026_07_01,
  DEFAULT_APP_API_VERSIONS,
  DEFAULT_LRO,
  INSPECT_API_VERSION,
  RECORDED_LRO,
  RETRY_AFTER_2023_LRO,
} from './arm/arm.ts';
export type { ExecutionOutcome, ExecutionScript } from './arm/executions.ts';
export type { RoleAssignment, RoleAssignmentInput } from './arm/authz.ts';
export { BUILTIN_ROLES } from './arm/authz.ts';
export type { ThrottleSettings } from './arm/throttle.ts';
export { OpenApiSpec, sharedSpec } from './arm/schema.ts';
export type { Issue as SchemaIssue } from './arm/schema.ts';
export { EntraId } from './entra/entra.ts';
export { GitHubOidc } from './github/oidc.ts';
export { Faults, httpsFetch, sendJson } from './common/http.ts';
export type {
  ActiveFault,
  FaultAction,
  FaultMatch,
  FaultSpec,
  Host,
  HostHandler,
  RequestLogEntry,
  SimpleResponse,
} from './common/http.ts';
export type { TlsMaterial } from './common/tls.ts';
export { LogAnalyticsHost, LogStreamHost, MAX_TAIL_LINES, runQuery } from './logs/logs.ts';
export type { ConsoleLine, SystemEvent } from './arm/execution-logs.ts';
export type { ScriptLogLine } from './arm/executions.ts';
export type { ScheduledRun } from './arm/triggers.ts';

export interface StandInOptions {
  /** Default: ensureTls() ($STANDIN_TLS_DIR, as the vitest global setup prepares). */
  tls?: TlsMaterial;
  tenantId?: string;
  subscriptionId?: string;
  /** Lifetime of Entra access tokens (default 3599 s). */
  tokenLifetimeSec?: number;
  /** Lifetime of GitHub OIDC ID tokens (default 300 s). */
  oidcTokenLifetimeSec?: number;
  /** Milliseconds since the epoch, for every part (default Date.now). */
  clock?: () => number;
  /** Extra options for the ARM part (LRO timings, api-versions, throttling, ...). */
  arm?: Omit<ArmOptions, 'subscriptionId' | 'tenantId' | 'clock' | 'verifyToken' | 'authorityUrl'>;
}

export interface SeedOptions {
  resourceGroup?: string;
  location?: string;
  environment?: string;
  registry?: string;
  /** Default true. */
  registryAdminUserEnabled?: boolean;
  /** Subject of the federated credential (default: the GitHub OIDC stand-in's current `sub`). */
  subject?: string;
  /** Role on the subscription (default Contributor); null: none. */
  role?: string | null;
}

export interface SeededWorld {
  clientId: string;
  /** Object id of the app's service principal (`oid` in its tokens; what role assignments name). */
  objectId: string;
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  /** Normalized location (eastus). */
  location: string;
  environment: string;
  environmentId: string;
  logAnalyticsCustomerId: string;
  /** Resource ID of the Log Analytics workspace the environment sends its logs to. */
  workspaceId: string;
  registryName: string;
  /** `NAME.azurecr.io` */
  registryServer: string;
  registryId: string;
  registryUsername: string;
  registryPassword: string;
  /** Subject and audience of the federated credential. */
  subject: string;
  audience: string;
}

export interface StandIn {
  tenantId: string;
  subscriptionId: string;
  urls: {
    /** Issuer of the GitHub OIDC tokens. */
    github: string;
    /** Authority host for @azure/identity (`authorityHost`), e.g. https://localhost:PORT */
    authority: string;
    /** ARM endpoint (`endpoint` of the management SDK). */
    arm: string;
    /** The environments' event-stream host (log streams of replicas, system events). */
    logstream: string;
    /** Log Analytics query endpoint (stands for https://api.loganalytics.io). */
    loganalytics: string;
    [host: string]: string;
  };
  /** ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN values. */
  oidc: { requestUrl: string; requestToken: string };
  github: GitHubOidc;
  entra: EntraId;
  arm: Arm;
  /** Log streams of replicas and system events (controls: `cutStreams`). */
  logStream: LogStreamHost;
  /** Log Analytics queries (controls: `ingestionDelayMs`). */
  logAnalytics: LogAnalyticsHost;
  /** Every request to every host, in arrival order. */
  requests: RequestLogEntry[];
  faults: Faults;
  tls: TlsMaterial;
  hosts: Record<string, Host>;
  /** Adds another host (log stream, Log Analytics, ...) sharing the log, faults and TLS; its URL lands in `urls[name]`. */
  addHost(name: string, handler: HostHandler, opts?: { faultBody?: FaultBody }): Promise<Host>;
  /** A ready world: resource group, environment, registry, an app with a federated credential and Contributor. */
  seedDefault(opts?: SeedOptions): SeededWorld;
  close(): Promise<void>;
}

const ARM_FAULTS: Record<number, [string, string]> = {
  500: [
    'InternalServerError',
    "Encountered internal server error. Diagnostic information: timestamp '{ts}', subscription id '{sub}', tracking id '{id}', request correlation id '{id}'.",
  ],
  502: ['BadGateway', "The resource provider 'Microsoft.App' returned an invalid response."],
  503: [
    'ServiceUnavailable',
    "The resource provider 'Microsoft.App' is temporarily unavailable. Please try again later.",
  ],
  504: [
    'GatewayTimeout',
    "The gateway did not receive a response from 'Microsoft.App' within the specified time period.",
  ],
};

function armFaultBody(subscriptionId: string, clock: () => number): FaultBody {
  return (status, fault) => {
    const id = randomUUID();
    const headers = { 'x-ms-request-id': id, 'x-ms-correlation-request-id': id, 'cache-control': 'no-cache' };
    if (status === 429) {
      const after = fault.retryAfterSec ?? 1;
      return {
        body: {
          error: {
            code: fault.code ?? 'SubscriptionRequestsThrottled',
            message:
              fault.message ??
              `Number of 'read' requests for subscription '${subscriptionId}' actor 'standin' exceeded. Please try again after '${after}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
          },
        },
        headers,
      };
    }
    const [code, template] = ARM_FAULTS[status] ?? ['InternalServerError', `The server answered ${status}.`];
    const ts = new Date(clock()).toISOString().replace(/[-:]/g, '').slice(0, 15) + 'Z';
    const message = template
      .replace('{ts}', ts)
      .replace('{sub}', subscriptionId)
      .replace(/\{id\}/g, id);
    return { body: { error: { code: fault.code ?? code, message: fault.message ?? message } }, headers };
  };
}

const entraFaultBody: FaultBody = (status, fault) => {
  const trace = randomUUID();
  const corr = randomUUID();
  const ts = new Date().toISOString().replace('T', ' ').replace('Z', 'Z');
  const text = fault.message ?? (status === 429 ? 'Too many requests.' : 'The service is temporarily unavailable.');
  return {
    body: {
      error: fault.code ?? (status === 429 ? 'invalid_request' : 'temporarily_unavailable'),
      error_description: `${text} Trace ID: ${trace} Correlation ID: ${corr} Timestamp: ${ts}`,
      error_codes: [],
      timestamp: ts,
      trace_id: trace,
      correlation_id: corr,
    },
  };
};

const githubFaultBody: FaultBody = (status, fault) => ({
  body: { message: fault.message ?? `Injected HTTP ${status}.` },
});

/** The default world (see README): group, environment with its workspace, registry, app with a federated credential. */
function seedDefault(
  p: { arm: Arm; entra: EntraId; github: GitHubOidc; urls: StandIn['urls']; tenantId: string; subscriptionId: string },
  opts: SeedOptions,
): SeededWorld {
  const { arm, entra, github, urls, tenantId, subscriptionId } = p;
  const resourceGroup = opts.resourceGroup ?? 'rg-standin';
  const location = opts.location ?? 'eastus';
  const rg = arm.addResourceGroup(resourceGroup, location);
  const workspace = arm.addWorkspace({ resourceGroup: rg.name, name: 'law-standin', customerId: randomUUID() });
  const logAnalyticsCustomerId = workspace.customerId;
  const env = arm.addManagedEnvironment({
    resourceGroup: rg.name,
    name: opts.environment ?? 'env-standin',
    logAnalyticsCustomerId,
    eventStreamHost: urls.logstream,
  });
  const reg = arm.addRegistry({
    resourceGroup: rg.name,
    name: opts.registry ?? 'standinacr',
    adminUserEnabled: opts.registryAdminUserEnabled ?? true,
  });
  const clientId = randomUUID();
  const objectId = randomUUID();
  const subject = opts.subject ?? String(github.claims.sub);
  const audience = 'api://AzureADTokenExchange';
  entra.addApp({
    clientId,
    objectId,
    displayName: 'deploy-container-apps-job (stand-in)',
    federatedCredentials: [{ issuer: github.issuer, subject, audiences: [audience], name: 'github-main' }],
  });
  const role = opts.role === undefined ? 'Contributor' : opts.role;
  if (role !== null)
    arm.addRoleAssignment({ principalId: objectId, role, scope: `/subscriptions/${subscriptionId}`, propagationMs: 0 });
  return {
    clientId,
    objectId,
    tenantId,
    subscriptionId,
    resourceGroup: rg.name,
    location: rg.location,
    environment: env.name,
    environmentId: env.id,
    logAnalyticsCustomerId,
    workspaceId: workspace.id,
    registryName: reg.name,
    registryServer: reg.loginServer,
    registryId: reg.id,
    registryUsername: reg.username,
    registryPassword: reg.passwords[0],
    subject,
    audience,
  };
}

/** Starts the stand-in: one HTTPS server per host on 127.0.0.1, URLs as https://localhost:PORT. */
export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const tls = options.tls ?? ensureTls();
  const clock = options.clock ?? Date.now;
  const tenantId = options.tenantId ?? randomUUID();
  const subscriptionId = options.subscriptionId ?? randomUUID();
  const requests: RequestLogEntry[] = [];
  const faults = new Faults();
  const hosts: Record<string, Host> = {};

  // Handlers are bound after the servers exist (each part needs its own URL).
  const parts: {
    github?: GitHubOidc;
    entra?: EntraId;
    arm?: Arm;
    logStream?: LogStreamHost;
    logAnalytics?: LogAnalyticsHost;
  } = {};
  const started: Host[] = [];
  const add = async (name: string, handler: HostHandler, faultBody: FaultBody = defaultFaultBody): Promise<Host> => {
    const host = await startHost({ name, tls, handler, log: requests, faults, clock, faultBody });
    hosts[name] = host;
    started.push(host);
    return host;
  };
  try {
    const githubHost = await add(
      'github',
      (req, res, body) => (parts.github as GitHubOidc).handle(req, res, body),
      githubFaultBody,
    );
    const entraHost = await add(
      'entra',
      (req, res, body) => (parts.entra as EntraId).handle(req, res, body),
      entraFaultBody,
    );
    const armHost = await add(
      'arm',
      (req, res, body, ctx) => (parts.arm as Arm).handle(req, res, body, ctx),
      armFaultBody(subscriptionId, clock),
    );
    const logStreamHost = await add('logstream', (req, res, body, ctx) =>
      (parts.logStream as LogStreamHost).handle(req, res, body, ctx),
    );
    const logAnalyticsHost = await add('loganalytics', (req, res, body, ctx) =>
      (parts.logAnalytics as LogAnalyticsHost).handle(req, res, body, ctx),
    );

    const github = new GitHubOidc({
      baseUrl: githubHost.url,
      clock,
      ...(options.oidcTokenLifetimeSec !== undefined ? { tokenLifetimeSec: options.oidcTokenLifetimeSec } : {}),
    });
    const entra = new EntraId({
      baseUrl: entraHost.url,
      tenantId,
      clock,
      ...(options.tokenLifetimeSec !== undefined ? { tokenLifetimeSec: options.tokenLifetimeSec } : {}),
      trustedIssuers: [{ issuer: github.issuer, jwks: () => github.jwks }],
    });
    const arm = new Arm({
      ...options.arm,
      subscriptionId,
      tenantId,
      clock,
      verifyToken: (token) => entra.verifyAccessToken(token),
      authorityUrl: entraHost.url,
    });
    linkEntra(arm, entra);
    parts.github = github;
    parts.entra = entra;
    parts.arm = arm;
    const logStream = new LogStreamHost(arm);
    const logAnalytics = new LogAnalyticsHost(arm, entra);
    parts.logStream = logStream;
    parts.logAnalytics = logAnalytics;

    const urls: StandIn['urls'] = {
      github: githubHost.url,
      authority: entraHost.url,
      arm: armHost.url,
      logstream: logStreamHost.url,
      loganalytics: logAnalyticsHost.url,
    };
    const standIn: StandIn = {
      tenantId,
      subscriptionId,
      urls,
      oidc: { requestUrl: github.requestUrl, requestToken: github.requestToken },
      github,
      entra,
      arm,
      logStream,
      logAnalytics,
      requests,
      faults,
      tls,
      hosts,
      async addHost(name, handler, opts = {}) {
        if (hosts[name]) throw new Error(`stand-in: host '${name}' exists already`);
        const host = await add(name, handler, opts.faultBody);
        urls[name] = host.url;
        return host;
      },
      seedDefault: (opts = {}) => seedDefault({ arm, entra, github, urls, tenantId, subscriptionId }, opts),
      async close() {
        await Promise.all(started.map((h) => h.close()));
      },
    };
    return standIn;
  } catch (err) {
    await Promise.all(started.map((h) => h.close()));
    throw err;
  }
}
