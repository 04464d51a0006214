/**
 * Azure access behind a small interface (`JobApi`), so the deploy and watch logic can be tested without
 * HTTP. The implementation uses the real @azure/arm-appcontainers operations (the modular SDK, imported per
 * operation group to keep the bundle and start-up small) and, for the few calls the SDK does not cover
 * (environments' resource group, container registries), the same authenticated pipeline.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
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
import { codeOf, statusOf } from '../common/errors.js';
import { parseResourceId } from '../common/ids.js';

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
  /**
   * The newest executions first: the first page, or with `since`, every page until one reaches an execution that
   * started before `since` (enough to reconcile a start).
   */
  listRecentExecutions(since?: Date): Promise<JobExecution[]>;
  stopExecution(name: string): Promise<void>;
  getEnvironment(id: string): Promise<ManagedEnvironment>;
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

/** The SDK reads only `error.message`: give it problem details in ARM's shape so Azure's words reach the user. */
const problemDetailsAsArmError: PipelinePolicy = {
  name: 'problemDetailsAsArmError',
  async sendRequest(request, next) {
    const response = await next(request);
    if (response.status >= 400 && response.bodyAsText) {
      let message: string | undefined;
      try {
        message = problemDetailsMessage(JSON.parse(response.bodyAsText));
      } catch {
        message = undefined; // not JSON: left to the SDK
      }
      if (message) response.bodyAsText = JSON.stringify({ error: { message } });
    }
    return response;
  },
};

export interface AzureClientOptions {
  credential: TokenCredential;
  subscriptionId: string;
  resourceGroup: string;
  jobName: string;
  endpoint: string;
  scope: string;
  apiVersion?: string;
  /** Poll interval for long-running operations without Retry-After. */
  pollIntervalMs?: number;
  userAgent?: string;
  signal?: AbortSignal;
  /** Told once when the api-version falls back. */
  warn?(message: string): void;
}

const REGISTRY_API_VERSION = '2023-07-01';

export function jobResourceId(subscriptionId: string, resourceGroup: string, jobName: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.App/jobs/${jobName}`;
}

export { parseResourceId };

export function createJobApi(options: AzureClientOptions): JobApi {
  const { credential, subscriptionId, resourceGroup, jobName } = options;
  const common = {
    endpoint: options.endpoint,
    credentials: { scopes: [options.scope] },
    userAgentOptions: { userAgentPrefix: options.userAgent ?? 'deploy-container-apps-job' },
    additionalPolicies: [{ policy: problemDetailsAsArmError, position: 'perCall' as const }],
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
      options.warn?.(
        `Azure does not support Microsoft.App api-version ${apiVersion} here; using ${next} instead (set input 'api-version' to choose).`,
      );
      apiVersion = next;
      connect();
      return call();
    }
  };
  const poll = { updateIntervalInMs: options.pollIntervalMs ?? 1000, abortSignal: options.signal };
  const req = { abortSignal: options.signal };

  const rawJson = async (method: 'GET' | 'POST', path: string, apiVersion: string): Promise<unknown> => {
    const resource = context.path(path);
    const params = { queryParameters: { 'api-version': apiVersion }, abortSignal: options.signal };
    const response = method === 'GET' ? await resource.get(params) : await resource.post(params);
    if (!/^2\d\d$/.test(response.status)) {
      const body = response.body as { error?: { code?: string; message?: string } } | undefined;
      const err = new Error(body?.error?.message ?? `Unexpected status code: ${response.status}`) as Error & {
        statusCode: number;
        code?: string;
      };
      err.statusCode = Number(response.status);
      err.code = body?.error?.code;
      throw err;
    }
    return response.body;
  };

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
      versioned(() => jobs.createOrUpdate(context, resourceGroup, jobName, job, poll).pollUntilDone()),
    updateJob: (patch) => versioned(() => jobs.update(context, resourceGroup, jobName, patch, poll).pollUntilDone()),
    listSecrets: () => versioned(async () => (await jobs.listSecrets(context, resourceGroup, jobName, req)).value),
    startExecution: (template) =>
      versioned(() =>
        jobs.start(noRetry, resourceGroup, jobName, { ...poll, ...(template ? { template } : {}) }).pollUntilDone(),
      ),
    getExecution: (name) => versioned(() => jobExecution(context, resourceGroup, jobName, name, req)),
    listRecentExecutions: (since) =>
      versioned(async () => {
        const found: JobExecution[] = [];
        for await (const page of listExecutionsPaged(context, resourceGroup, jobName, req).byPage()) {
          found.push(...page);
          const older = (e: JobExecution): boolean => !!e.startTime && new Date(e.startTime) < since!;
          if (!since || page.length === 0 || page.some(older) || found.length >= 1000) break;
        }
        return found;
      }),
    stopExecution: (name) =>
      versioned(async () => {
        await jobs.stopExecution(context, resourceGroup, jobName, name, poll).pollUntilDone();
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
    async listRegistries() {
      const found: RegistryInfo[] = [];
      let path: string | undefined =
        `/subscriptions/${subscriptionId}/providers/Microsoft.ContainerRegistry/registries`;
      let version = REGISTRY_API_VERSION;
      while (path) {
        const body = (await rawJson('GET', path, version)) as {
          value?: { id: string; name: string; properties?: { loginServer?: string; adminUserEnabled?: boolean } }[];
          nextLink?: string;
        };
        for (const r of body.value ?? []) {
          found.push({
            id: r.id,
            name: r.name,
            loginServer: (r.properties?.loginServer ?? '').toLowerCase(),
            adminUserEnabled: r.properties?.adminUserEnabled === true,
          });
        }
        if (body.nextLink) {
          const next = new URL(body.nextLink);
          version = next.searchParams.get('api-version') ?? version;
          next.searchParams.delete('api-version');
          path = next.pathname + (next.search ? next.search : '');
        } else {
          path = undefined;
        }
      }
      return found;
    },
    async listRegistryCredentials(registryId) {
      const body = (await rawJson('POST', `${registryId}/listCredentials`, REGISTRY_API_VERSION)) as {
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
