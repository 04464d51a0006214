/**
 * Azure access behind a small interface (`JobApi`), so the deploy and watch logic can be tested without
 * HTTP. The implementation uses the real @azure/arm-appcontainers operations (the modular SDK, imported per
 * operation group to keep the bundle and start-up small) and, for the few calls the SDK does not cover
 * (environments' resource group, container registries, the generic resource list), the same authenticated
 * pipeline. Every call goes through one pipeline (`armPipelineOptions`): the SDK's retries, plus a policy that
 * reads every error shape Azure answers with, retries answers cut off mid-body, and backs off on a 429 that
 * names no Retry-After. Long-running operations are polled with a backoff when Azure names no interval.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { HttpClient, PipelinePolicy, PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
import type { OperationState, PollerLike } from '@azure/core-lro';
import { createContainerAppsAPI, type ContainerAppsAPIContext } from '@azure/arm-appcontainers/api';
import * as jobs from '@azure/arm-appcontainers/api/jobs';
import { list as listExecutionsPaged } from '@azure/arm-appcontainers/api/jobsExecutions';
import { jobExecution } from '@azure/arm-appcontainers/api';
import { get as getManagedEnvironment } from '@azure/arm-appcontainers/api/managedEnvironments';
import type {
  Job,
  JobExecution,
  JobExecutionBase,
  JobExecutionTemplate,
  JobPatchProperties,
  ManagedEnvironment,
  Secret,
} from '@azure/arm-appcontainers';
import { ActionError, codeOf, JobBusyError, parseErrorBody, statusOf } from '../common/errors.js';
import { jobResourceId, parseResourceId } from '../common/ids.js';

export type { Job, JobExecution, JobExecutionTemplate, JobPatchProperties, ManagedEnvironment, Secret };

export interface RegistryInfo {
  id: string;
  name: string;
  loginServer: string;
  adminUserEnabled: boolean;
}

export interface RegistryCredentialsResult {
  username: string;
  passwords: string[];
}

/** Everything the action asks of Azure, for one job. */
export interface JobApi {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly jobName: string;
  readonly jobId: string;
  /** The Microsoft.App api-version in use (it may fall back when Azure rejects one). */
  readonly apiVersion: string;
  /** The job, or undefined when it does not exist (a missing resource group throws). */
  getJob(): Promise<Job | undefined>;
  createJob(job: Job): Promise<Job>;
  updateJob(patch: JobPatchProperties): Promise<Job>;
  listSecrets(): Promise<Secret[]>;
  /** Starts one execution. Never retried blindly: a lost answer is reconciled by the caller. */
  startExecution(template?: JobExecutionTemplate): Promise<JobExecutionBase>;
  getExecution(name: string): Promise<JobExecution>;
  /** The job's executions page by page, as the API returns them (nextLink followed lazily: stop reading early). */
  executionPages(): AsyncIterable<JobExecution[]>;
  stopExecution(name: string): Promise<void>;
  getEnvironment(id: string): Promise<ManagedEnvironment>;
  /**
   * The container registries this identity can read in the subscription: the provider's list, or, when the
   * identity may not list the subscription (a group-scoped role), the RBAC-filtered generic resource list (as the
   * Azure CLI finds a registry), each registry then read by its ID.
   */
  listRegistries(): Promise<RegistryInfo[]>;
  listRegistryCredentials(registryId: string): Promise<RegistryCredentialsResult>;
}

/** Management API versions the action knows, newest first (it falls back along this list). */
export const KNOWN_API_VERSIONS = ['2026-07-01', '2026-01-01', '2025-07-01', '2025-01-01', '2024-03-01', '2023-05-01'];

const VERSION_CODES = new Set(['NoRegisteredProviderFound', 'InvalidApiVersionParameter']);

/**
 * When Azure rejects an api-version, the newest version the action knows among those its message lists as
 * supported (undefined when it lists none the action knows).
 */
export function fallbackApiVersion(error: unknown, current: string): string | undefined {
  if (!VERSION_CODES.has(codeOf(error) ?? '')) return undefined;
  const message = error instanceof Error ? error.message : String(error);
  const listed = /supported (?:api-)?versions are '([^']*)'/i.exec(message)?.[1] ?? '';
  const supported = new Set(listed.split(/[\s,]+/).filter(Boolean));
  return KNOWN_API_VERSIONS.find((v) => v !== current && supported.has(v));
}

/**
 * (The pipeline's `armAnswerPolicy` reads problem details with `parseErrorBody`, which also keeps the traceId.)
 * The message of an RFC 7807 problem-details answer (`{type,title,status,traceId,errors}`), which Azure sends for
 * some validation failures instead of ARM's `{error:{code,message}}` (microsoft/azure-container-apps#861); undefined
 * for any other body.
 */
export function problemDetailsMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || 'error' in body) return undefined;
  const { title, detail, errors } = body as { title?: unknown; detail?: unknown; errors?: unknown };
  if (typeof title !== 'string' || !title.trim()) return undefined;
  const found: string[] = [];
  if (typeof detail === 'string' && detail.trim()) found.push(detail.trim());
  for (const [field, list] of Object.entries(typeof errors === 'object' && errors !== null ? errors : {})) {
    for (const m of Array.isArray(list) ? list : [list])
      if (typeof m === 'string' && m.trim()) found.push(field === '$' ? m.trim() : `${field}: ${m.trim()}`);
  }
  return [title.trim(), found.join('; ')].filter(Boolean).join(' ');
}

export interface AzureClientOptions {
  credential: TokenCredential;
  subscriptionId: string;
  resourceGroup: string;
  jobName: string;
  endpoint: string;
  scope: string;
  apiVersion?: string;
  userAgent?: string;
  signal?: AbortSignal;
  /** Told once when the api-version falls back. */
  warn?(message: string): void;
  /** One line when the action waits for Azure (a busy job, a role that is still propagating). */
  info?(message: string): void;
  /** How long a write waits for another operation on the job to finish (409 in progress); default 10 min. */
  busyTimeoutMs?: number;
  /** How long a write or start refused with 403 is retried, for a role granted moments ago; default 2 min. */
  propagationWaitMs?: number;
  /** The HTTP client under the pipeline (tests pass a fake; default Node's). */
  httpClient?: HttpClient;
  /** Time, for tests (default the system clock). */
  clock?: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> };
}

/** Responses' Retry-After, for the long-running operation driver (the last answer that named one). */
interface RetryAfterSeen {
  ms?: number;
}

function retryAfterMsOf(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** An error the SDK's retry policy treats as a dropped connection (it retries those on every safe call). */
function connectionLost(message: string, request: PipelineRequest): Error {
  const error = new Error(message) as Error & { code: string; request: PipelineRequest };
  error.name = 'RestError';
  error.code = 'ECONNRESET';
  Object.defineProperty(error, 'request', { value: request, enumerable: false });
  return error;
}

/** Delay before retry `attempt` (1, 2, …) of a 429 that named no Retry-After: 2, 4, 8 … s, at most 30 s. */
export function throttleBackoffSec(attempt: number): number {
  return Math.min(30, 2 ** Math.max(1, attempt));
}

/**
 * The policy every ARM call goes through (per try, inside the SDK's retry policy):
 * - an error answer in any shape (ARM's, RFC 7807 problem details, text, an HTML page from a gateway, nothing)
 *   is rewritten to ARM's `{error: {code, message}}` with its details in the message, so the SDK's errors keep
 *   Azure's code, message and details instead of "Unexpected status code: 400";
 * - an answer whose body was cut off (the connection dropped mid-body, or JSON that ends early) becomes a dropped
 *   connection, which the retry policy retries (the start goes through a pipeline without retries, and its caller
 *   reconciles a lost answer);
 * - a 429 without Retry-After gets one (2, 4, 8 … s), so the SDK's throttling retry waits instead of failing.
 */
export function armAnswerPolicy(seen: RetryAfterSeen = {}): PipelinePolicy {
  const throttled = new WeakMap<PipelineRequest, number>();
  return {
    name: 'armAnswers',
    async sendRequest(request, next): Promise<PipelineResponse> {
      let response: PipelineResponse;
      try {
        response = await next(request);
      } catch (error) {
        const e = error as { code?: string; statusCode?: number; message?: string };
        if (e?.code === 'PARSE_ERROR' && e.statusCode === undefined) {
          throw connectionLost(`the connection closed before the whole answer arrived (${e.message ?? ''})`, request);
        }
        throw error;
      }
      const type = response.headers.get('content-type') ?? '';
      if (response.status >= 400) {
        const parsed = parseErrorBody(response.status, type, response.bodyAsText ?? undefined);
        response.bodyAsText = JSON.stringify({ error: parsed });
        response.headers.set('content-type', 'application/json; charset=utf-8');
        if (response.status === 429 && !response.headers.get('retry-after')) {
          const attempt = (throttled.get(request) ?? 0) + 1;
          throttled.set(request, attempt);
          response.headers.set('retry-after', String(throttleBackoffSec(attempt)));
        }
        return response;
      }
      const text = response.bodyAsText;
      if (text && /json/i.test(type)) {
        try {
          JSON.parse(text);
        } catch {
          throw connectionLost(`the answer ended before its JSON body was complete (HTTP ${response.status})`, request);
        }
      }
      const after = retryAfterMsOf(response.headers.get('retry-after'), Date.now());
      if (after !== undefined) seen.ms = after;
      return response;
    },
  };
}

/** Client options every ARM client of the action uses (jobs, executions, registries, logs): one HTTP path. */
export function armPipelineOptions(seen?: RetryAfterSeen): {
  additionalPolicies: { policy: PipelinePolicy; position: 'perRetry' }[];
} {
  return { additionalPolicies: [{ policy: armAnswerPolicy(seen), position: 'perRetry' }] };
}

/** Poll delay of a long-running operation that names no Retry-After: 1, 2, 4, 8, then 15 s. */
export function lroBackoffMs(poll: number): number {
  return Math.min(15_000, 1000 * 2 ** Math.max(0, poll));
}

/**
 * Drives a long-running operation to its end: waits Retry-After when Azure names one, else 1, 2, 4, 8 … 15 s
 * between polls (not a fixed interval). The poller is per call: nothing is cached by the operation's URL, which
 * Azure reuses per job.
 */
export async function pollToEnd<T>(
  poller: PollerLike<OperationState<T>, T>,
  seen: RetryAfterSeen,
  sleep: (ms: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<T> {
  seen.ms = undefined;
  await poller.submitted();
  for (let poll = 0; !poller.isDone; poll++) {
    const wait = seen.ms ?? lroBackoffMs(poll);
    seen.ms = undefined;
    await sleep(wait);
    await poller.poll(signal ? { abortSignal: signal } : {});
  }
  return poller.pollUntilDone();
}

const REGISTRY_API_VERSION = '2023-07-01';
const RESOURCES_API_VERSION = '2021-04-01';
/** At most this many pages of one list (a guard against a nextLink loop). */
const MAX_PAGES = 100;

/** 409 codes for "another operation on this job is in progress" (the real one, and the container-app variant). */
const BUSY_CODES = new Set(['ContainerAppsJobOperationInProgress', 'ContainerAppLockConflict', 'OperationInProgress']);

export function isJobBusy(error: unknown): boolean {
  if (statusOf(error) !== 409) return false;
  const message = error instanceof Error ? error.message : '';
  return BUSY_CODES.has(codeOf(error) ?? '') || /operation in progress|modification is in progress/i.test(message);
}

/** A 403 that a role granted moments ago may still cure (Azure's RBAC takes up to a few minutes to apply). */
export function isPropagationCandidate(error: unknown): boolean {
  return statusOf(error) === 403 && /AuthorizationFailed/.test(codeOf(error) ?? '');
}

function minutes(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}
/** At most this many pages of executions (a guard against a nextLink loop). */
const MAX_EXECUTION_PAGES = 1000;

export { jobResourceId, parseResourceId };

type Clock = NonNullable<AzureClientOptions['clock']>;

/**
 * A write or start that Azure refused with 403 right after a role was granted: retried for a bounded time
 * (role assignments take a few minutes to apply everywhere), said once; then the 403 is the error. Reads are not
 * retried: where a refused read only skips an optional check, its caller says so.
 */
async function patiently<T>(o: AzureClientOptions, clock: Clock, what: string, call: () => Promise<T>): Promise<T> {
  const limit = o.propagationWaitMs ?? 120_000;
  const until = clock.now() + limit;
  let delay = 5000;
  let told = false;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!isPropagationCandidate(error) || clock.now() >= until) throw error;
      if (!told) {
        o.info?.(
          `Azure refused to ${what} job '${o.jobName}' (403 ${codeOf(error)}); a role granted in the last few minutes can take a while to apply, so this step retries for up to ${minutes(limit)} before failing.`,
        );
        told = true;
      }
      await clock.sleep(Math.max(0, Math.min(delay, until - clock.now())), o.signal);
      delay = Math.min(delay * 2, 30_000);
    }
  }
}

/**
 * A write refused because another operation on the job is in progress (409): waits, bounded, until the job's
 * provisioning state is final, then throws JobBusyError so the caller plans its change again against the job
 * as it is then.
 */
async function waitUntilIdle(
  o: AzureClientOptions,
  clock: Clock,
  error: unknown,
  readJob: () => Promise<Job | undefined>,
): Promise<never> {
  const limit = o.busyTimeoutMs ?? 600_000;
  const message = error instanceof Error ? error.message : String(error);
  const i = message.indexOf("OperationId: '");
  const op = i >= 0 ? message.slice(i + 14, message.indexOf("'", i + 14)) : '';
  o.info?.(
    `Job '${o.jobName}' has another change in progress in Azure${op ? ` (operation ${op})` : ''}: waiting up to ${minutes(limit)} for it to finish, then applying this step's change to the job as it is then.`,
  );
  const until = clock.now() + limit;
  for (let poll = 0; ; poll++) {
    await clock.sleep(Math.max(0, Math.min(lroBackoffMs(poll), until - clock.now())), o.signal);
    // Best effort: when the job cannot be read, Azure's 409 is the error the user sees.
    const job = await readJob().catch(() => {
      throw error;
    });
    const state = (job?.provisioningState ?? '').toLowerCase();
    if (state !== 'inprogress' && state !== 'deleting') {
      throw new JobBusyError(
        `Job '${o.jobName}' was changed by another operation while this step was writing it (Azure: ${codeOf(error)}: ${message}); that operation has finished (${job?.provisioningState ?? 'job gone'}): rerun the step to apply its change to the job as it is now.`,
      );
    }
    if (clock.now() >= until) {
      throw new ActionError(
        `Job '${o.jobName}' in resource group '${o.resourceGroup}' is still busy with another operation after ${minutes(limit)} (Azure: ${codeOf(error)}: ${message}): check its activity log in the portal and rerun the step when the operation has finished, or raise input 'timeout'.`,
      );
    }
  }
}

type RawJson = (method: 'GET' | 'POST', path: string, query: Record<string, string>) => Promise<unknown>;

/** A JSON call through the client's pipeline for what the SDK does not cover; non-2xx throws with Azure's code. */
function rawJsonOf(getContext: () => ContainerAppsAPIContext, signal: AbortSignal | undefined): RawJson {
  return async (method, path, query) => {
    const resource = getContext().pathUnchecked(path);
    const params = { queryParameters: query, abortSignal: signal, skipUrlEncoding: true };
    const response = method === 'GET' ? await resource.get(params) : await resource.post(params);
    if (!/^2\d\d$/.test(response.status)) {
      const body = response.body as { error?: { code?: string; message?: string } } | undefined;
      const err = new Error(body?.error?.message ?? `HTTP ${response.status}`) as Error & {
        statusCode: number;
        code?: string;
      };
      err.statusCode = Number(response.status);
      err.code = body?.error?.code;
      throw err;
    }
    return response.body as unknown;
  };
}

/** Every item of a paged ARM list, following nextLink (with the api-version and $skiptoken it carries). */
async function listAll<T>(raw: RawJson, path: string, query: Record<string, string>): Promise<T[]> {
  const found: T[] = [];
  let next: { path: string; query: Record<string, string> } | undefined = { path, query };
  for (let page = 0; next && page < MAX_PAGES; page++) {
    const body = (await raw('GET', next.path, next.query)) as { value?: T[]; nextLink?: string };
    found.push(...(body.value ?? []));
    if (!body.nextLink) break;
    const url = new URL(body.nextLink);
    const q: Record<string, string> = {};
    for (const [k, v] of url.searchParams) q[k] = encodeURIComponent(v);
    next = { path: url.pathname, query: q };
  }
  return found;
}

type RegistryWire = { id: string; name: string; properties?: { loginServer?: string; adminUserEnabled?: boolean } };

function registryInfo(r: RegistryWire): RegistryInfo {
  return {
    id: r.id,
    name: r.name,
    loginServer: (r.properties?.loginServer ?? '').toLowerCase(),
    adminUserEnabled: r.properties?.adminUserEnabled === true,
  };
}

/**
 * The registries this identity can read: the provider's list of the subscription, or, when a group-scoped
 * identity may not list the subscription (403), the RBAC-filtered generic resource list (as `az acr show` finds
 * a registry), each registry then read by its ID.
 */
async function listRegistriesOf(raw: RawJson, subscriptionId: string): Promise<RegistryInfo[]> {
  const query = { 'api-version': REGISTRY_API_VERSION };
  try {
    const all = await listAll<RegistryWire>(
      raw,
      `/subscriptions/${subscriptionId}/providers/Microsoft.ContainerRegistry/registries`,
      query,
    );
    return all.map(registryInfo);
  } catch (error) {
    if (statusOf(error) !== 403) throw error;
  }
  const visible = await listAll<{ id: string }>(raw, `/subscriptions/${subscriptionId}/resources`, {
    'api-version': RESOURCES_API_VERSION,
    $filter: encodeURIComponent(`resourceType eq 'Microsoft.ContainerRegistry/registries'`),
  });
  const found: RegistryInfo[] = [];
  for (const r of visible) {
    const body = await raw('GET', r.id, query).catch((error: unknown) => {
      if (statusOf(error) === 403 || statusOf(error) === 404) return undefined;
      throw error;
    });
    if (body) found.push(registryInfo(body as RegistryWire));
  }
  return found;
}

export function createJobApi(options: AzureClientOptions): JobApi {
  const { credential, subscriptionId, resourceGroup, jobName } = options;
  const clock: Clock = options.clock ?? {
    now: () => Date.now(),
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  };
  const seen: RetryAfterSeen = {};
  const common = {
    endpoint: options.endpoint,
    credentials: { scopes: [options.scope] },
    userAgentOptions: { userAgentPrefix: options.userAgent ?? 'deploy-container-apps-job' },
    ...armPipelineOptions(seen),
    ...(options.httpClient ? { httpClient: options.httpClient } : {}),
  };
  let apiVersion = options.apiVersion ?? KNOWN_API_VERSIONS[0]!;
  let context: ContainerAppsAPIContext;
  // Starting an execution is not idempotent: a retried POST /start can start a second execution, so the
  // start call goes through a pipeline that never retries. The caller reconciles a lost answer.
  let noRetry: ContainerAppsAPIContext;
  const connect = (): void => {
    context = createContainerAppsAPI(credential, subscriptionId, { ...common, apiVersion });
    noRetry = createContainerAppsAPI(credential, subscriptionId, {
      ...common,
      apiVersion,
      retryOptions: { maxRetries: 0 },
    });
  };
  connect();
  /** Runs a Microsoft.App call; if Azure rejects the api-version, falls back once to a version it supports. */
  const versioned = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      const next = fallbackApiVersion(error, apiVersion);
      if (!next) throw error;
      // Many regions lag the newest version: falling back from the default is routine (one line); from a version
      // the user asked for, it is worth a warning.
      const said = `Azure does not support Microsoft.App api-version ${apiVersion} here; using ${next} instead (set input 'api-version' to choose).`;
      if (options.apiVersion === undefined) options.info?.(said);
      else options.warn?.(said);
      apiVersion = next;
      connect();
      return call();
    }
  };
  const req = { abortSignal: options.signal };
  const lro = <T>(start: () => PollerLike<OperationState<T>, T>): Promise<T> =>
    pollToEnd(start(), seen, (ms) => clock.sleep(ms, options.signal), options.signal);
  const readJob = (): Promise<Job | undefined> =>
    jobs.get(context, resourceGroup, jobName, req).catch((e: unknown) => {
      if (statusOf(e) === 404) return undefined;
      throw e;
    });
  const write = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await patiently(options, clock, what, () => versioned(call));
    } catch (error) {
      if (isJobBusy(error)) return waitUntilIdle(options, clock, error, readJob);
      throw error;
    }
  };
  const rawJson = rawJsonOf(() => context, options.signal);

  return {
    subscriptionId,
    resourceGroup,
    jobName,
    jobId: jobResourceId(subscriptionId, resourceGroup, jobName),
    get apiVersion() {
      return apiVersion;
    },
    getJob: () =>
      versioned(async () => {
        try {
          return await jobs.get(context, resourceGroup, jobName, req);
        } catch (error) {
          if (statusOf(error) === 404 && codeOf(error) !== 'ResourceGroupNotFound') return undefined;
          throw error;
        }
      }),
    createJob: (job) =>
      write('create', () => lro(() => jobs.createOrUpdate(context, resourceGroup, jobName, job, req))),
    updateJob: (patch) => write('update', () => lro(() => jobs.update(context, resourceGroup, jobName, patch, req))),
    listSecrets: () => versioned(async () => (await jobs.listSecrets(context, resourceGroup, jobName, req)).value),
    startExecution: (template) =>
      patiently(options, clock, 'start', () =>
        versioned(() =>
          lro(() => jobs.start(noRetry, resourceGroup, jobName, { ...req, ...(template ? { template } : {}) })),
        ),
      ),
    getExecution: (name) => versioned(() => jobExecution(context, resourceGroup, jobName, name, req)),
    async *executionPages() {
      // The first page goes through the api-version fallback; the nextLinks carry the version that answered.
      const pages = await versioned(async () => {
        const it = listExecutionsPaged(context, resourceGroup, jobName, req).byPage()[Symbol.asyncIterator]();
        return { it, first: await it.next() };
      });
      let page = pages.first;
      for (let n = 0; !page.done && n < MAX_EXECUTION_PAGES; n++) {
        yield page.value;
        page = await pages.it.next();
      }
    },
    stopExecution: (name) =>
      versioned(async () => {
        await lro(() => jobs.stopExecution(context, resourceGroup, jobName, name, req));
      }),
    getEnvironment: (id) =>
      versioned(() => {
        const parsed = parseResourceId(id);
        const envContext =
          parsed.subscriptionId.toLowerCase() === subscriptionId.toLowerCase()
            ? context
            : { ...context, subscriptionId: parsed.subscriptionId };
        return getManagedEnvironment(envContext, parsed.resourceGroup, parsed.name, req);
      }),
    listRegistries: () => listRegistriesOf(rawJson, subscriptionId),
    async listRegistryCredentials(registryId) {
      const body = (await rawJson('POST', `${registryId}/listCredentials`, {
        'api-version': REGISTRY_API_VERSION,
      })) as {
        username?: string;
        passwords?: { name?: string; value?: string }[];
      };
      return {
        username: body.username ?? '',
        passwords: (body.passwords ?? []).map((p) => p.value ?? '').filter(Boolean),
      };
    },
  };
}
