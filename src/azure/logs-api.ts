/**
 * Where a job's logs come from, behind a small interface (`LogsApi`) so the streaming and fallback logic can
 * be tested without HTTP:
 * - ARM (same credential and pipeline options as the job API): `POST .../jobs/{job}/getAuthToken` and
 *   `GET .../executions/{exec}/replicas` at api-version 2023-11-02-preview, as `az containerapp job logs show`
 *   calls them (the stable spec has neither for jobs), and the subscription's Log Analytics workspaces.
 * - The environment's log-stream host: a replica container's console output as a chunked text stream, and the
 *   job's system events, both with the getAuthToken token as Bearer.
 * - The Log Analytics query API (`POST {endpoint}/v1/workspaces/{workspaceId}/query`) with an Entra token.
 */
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { TokenCredential } from '@azure/core-auth';
import { createContainerAppsAPI } from '@azure/arm-appcontainers/api';
import { armPipelineOptions } from './arm.js';
import { jobResourceId } from '../common/ids.js';

/** The api-version of the log-stream calls on ARM (the preview the Azure CLI uses for them). */
export const LOGS_API_VERSION = '2023-11-02-preview';
const WORKSPACES_API_VERSION = '2023-09-01';
const CONNECT_TIMEOUT_MS = 15_000;

export interface ReplicaContainerInfo {
  name: string;
  /** Running, Terminated or Waiting. */
  state?: string;
  stateDetails?: string;
  logStreamEndpoint?: string;
}

export interface ReplicaInfo {
  name: string;
  /** Running, NotRunning or Unknown. */
  runningState?: string;
  containers: ReplicaContainerInfo[];
}

/** A table of a Log Analytics answer. */
export interface LogTable {
  columns: string[];
  rows: unknown[][];
}

/** An HTTP answer other than 2xx, with the service's error code and message when it gave them. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly code?: string;
  constructor(status: number, message: string, code?: string) {
    super(message);
    this.status = status;
    if (code !== undefined) this.code = code;
  }
}

export interface LogsApi {
  /** A token for the job's log streams (getAuthToken). */
  getStreamToken(signal?: AbortSignal): Promise<{ token: string; expiresOn?: number }>;
  /** The execution's replicas that exist now. */
  listReplicas(execution: string, signal?: AbortSignal): Promise<ReplicaInfo[]>;
  /** Opens a text stream; resolves once the answer's headers arrived (HttpError for non-2xx). */
  openStream(url: string, token: string, signal: AbortSignal): Promise<AsyncIterable<string>>;
  /** A whole text answer (e.g. the system events' tail). */
  getText(url: string, token: string, signal?: AbortSignal): Promise<string>;
  /** Runs a Log Analytics query on a workspace (its customer id, the "workspace ID"). */
  query(workspaceId: string, query: string, timespan: string, signal?: AbortSignal): Promise<LogTable>;
  /** The ARM resource ID of the workspace with this customer id, when the identity may see it. */
  findWorkspace(customerId: string): Promise<string | undefined>;
}

export interface LogsApiOptions {
  credential: TokenCredential;
  subscriptionId: string;
  resourceGroup: string;
  jobName: string;
  armEndpoint: string;
  armScope: string;
  logAnalyticsEndpoint: string;
  logAnalyticsScope: string;
  userAgent?: string;
}

/** The longest error message kept from an answer (it is shown to the user, and it is Azure's text). */
const ERROR_MAX_CHARS = 2048;
/** The most read of an answer: error bodies, the system events' tail, a Log Analytics result. */
const ERROR_BODY_MAX = 64 * 1024;
const TEXT_MAX = 8 * 1024 * 1024;
const QUERY_MAX = 64 * 1024 * 1024;

function errorFromBody(status: number, text: string): HttpError {
  let code: string | undefined;
  let message = text.trim();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error) {
      code = body.error.code;
      message = body.error.message ?? message;
    }
  } catch {
    // plain text
  }
  const shown = message.length > ERROR_MAX_CHARS ? `${message.slice(0, ERROR_MAX_CHARS)}… [cut]` : message;
  return new HttpError(status, shown || `HTTP ${status}`, code);
}

/** The answer's text, at most `max` characters (beyond: the answer is dropped with an error, memory stays bounded). */
function readAll(res: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: string[] = [];
    let length = 0;
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      length += c.length;
      if (length > max) {
        res.destroy(new Error(`the answer is larger than ${Math.round(max / 1024)} KiB`));
        return;
      }
      parts.push(c);
    });
    res.on('end', () => resolve(parts.join('')));
    res.on('error', reject);
  });
}

/** Bearer tokens go over https only (a stream endpoint comes from Azure's answer, not from the action). */
function requireHttps(url: string): void {
  if (new URL(url).protocol !== 'https:')
    throw new HttpError(0, `refused to send a token to ${new URL(url).origin} (not https)`);
}

/** One HTTPS request (a fresh connection; streams are long-lived and should not hold a pooled socket). */
function send(
  url: string,
  opts: { method?: string; headers: Record<string, string>; body?: string; signal?: AbortSignal; userAgent?: string },
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      'user-agent': opts.userAgent ?? 'deploy-container-apps-job',
      ...opts.headers,
    };
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(opts.body));
    }
    const req = httpsRequest(
      url,
      { method: opts.method ?? 'GET', headers, agent: false, signal: opts.signal },
      (res) => {
        req.setTimeout(0);
        resolve(res);
      },
    );
    req.setTimeout(CONNECT_TIMEOUT_MS, () => req.destroy(new Error(`no answer from ${new URL(url).host} within 15 s`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

async function* chunks(res: IncomingMessage): AsyncIterable<string> {
  res.setEncoding('utf8');
  for await (const chunk of res as AsyncIterable<string>) yield chunk;
}

export function createLogsApi(options: LogsApiOptions): LogsApi {
  const { credential, subscriptionId, resourceGroup, jobName } = options;
  const context = createContainerAppsAPI(credential, subscriptionId, {
    endpoint: options.armEndpoint,
    credentials: { scopes: [options.armScope] },
    userAgentOptions: { userAgentPrefix: options.userAgent ?? 'deploy-container-apps-job' },
    // The same answer handling as every other ARM call (error shapes, cut-off answers, 429 without Retry-After).
    ...armPipelineOptions(),
  });
  const jobPath = jobResourceId(subscriptionId, resourceGroup, jobName);

  const arm = async (
    method: 'GET' | 'POST',
    path: string,
    apiVersion: string,
    signal?: AbortSignal,
  ): Promise<unknown> => {
    const resource = context.pathUnchecked(path);
    const params = { queryParameters: { 'api-version': apiVersion }, ...(signal ? { abortSignal: signal } : {}) };
    const response = method === 'GET' ? await resource.get(params) : await resource.post(params);
    if (!/^2\d\d$/.test(response.status)) {
      const body = response.body as { error?: { code?: string; message?: string } } | undefined;
      throw new HttpError(
        Number(response.status),
        body?.error?.message ?? `Unexpected status code: ${response.status}`,
        body?.error?.code,
      );
    }
    return response.body;
  };

  return {
    async getStreamToken(signal) {
      const body = (await arm('POST', `${jobPath}/getAuthToken`, LOGS_API_VERSION, signal)) as {
        properties?: { token?: string; expires?: string };
      };
      const token = body.properties?.token;
      if (!token) throw new HttpError(200, 'getAuthToken answered without a token');
      const expires = body.properties?.expires ? Date.parse(body.properties.expires) : NaN;
      return Number.isNaN(expires) ? { token } : { token, expiresOn: expires };
    },
    async listReplicas(execution, signal) {
      const body = (await arm('GET', `${jobPath}/executions/${execution}/replicas`, LOGS_API_VERSION, signal)) as {
        value?: {
          name?: string;
          properties?: {
            runningState?: string;
            containers?: {
              name?: string;
              runningState?: string;
              runningStateDetails?: string;
              logStreamEndpoint?: string;
            }[];
          };
        }[];
      };
      return (body.value ?? [])
        .filter((r) => r.name)
        .map((r) => ({
          name: r.name as string,
          ...(r.properties?.runningState ? { runningState: r.properties.runningState } : {}),
          containers: (r.properties?.containers ?? [])
            .filter((c) => c.name)
            .map((c) => ({
              name: c.name as string,
              ...(c.runningState ? { state: c.runningState } : {}),
              ...(c.runningStateDetails ? { stateDetails: c.runningStateDetails } : {}),
              ...(c.logStreamEndpoint ? { logStreamEndpoint: c.logStreamEndpoint } : {}),
            })),
        }));
    },
    async openStream(url, token, signal) {
      requireHttps(url);
      const res = await send(url, {
        headers: { authorization: `Bearer ${token}` },
        signal,
        userAgent: options.userAgent,
      });
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) throw errorFromBody(status, await readAll(res, ERROR_BODY_MAX));
      return chunks(res);
    },
    async getText(url, token, signal) {
      requireHttps(url);
      const res = await send(url, {
        headers: { authorization: `Bearer ${token}` },
        signal,
        userAgent: options.userAgent,
      });
      const text = await readAll(res, TEXT_MAX);
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) throw errorFromBody(status, text);
      return text;
    },
    async query(workspaceId, query, timespan, signal) {
      const access = await credential.getToken(options.logAnalyticsScope, signal ? { abortSignal: signal } : {});
      if (!access) throw new HttpError(401, `no token for ${options.logAnalyticsScope}`);
      const res = await send(`${options.logAnalyticsEndpoint}/v1/workspaces/${encodeURIComponent(workspaceId)}/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${access.token}` },
        body: JSON.stringify({ query, timespan }),
        signal,
        userAgent: options.userAgent,
      });
      const text = await readAll(res, QUERY_MAX);
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) throw errorFromBody(status, text);
      const body = JSON.parse(text) as { tables?: { columns?: { name?: string }[]; rows?: unknown[][] }[] };
      const table = body.tables?.[0];
      return { columns: (table?.columns ?? []).map((c) => c.name ?? ''), rows: table?.rows ?? [] };
    },
    async findWorkspace(customerId) {
      // Every page (nextLink), not only the first.
      let path: string | undefined =
        `/subscriptions/${subscriptionId}/providers/Microsoft.OperationalInsights/workspaces`;
      let version = WORKSPACES_API_VERSION;
      for (let page = 0; path && page < 100; page++) {
        const body = (await arm('GET', path, version)) as {
          value?: { id?: string; properties?: { customerId?: string } }[];
          nextLink?: string;
        };
        const found = (body.value ?? []).find(
          (w) => w.properties?.customerId?.toLowerCase() === customerId.toLowerCase(),
        );
        if (found?.id) return found.id;
        if (!body.nextLink) break;
        const next = new URL(body.nextLink);
        version = next.searchParams.get('api-version') ?? version;
        next.searchParams.delete('api-version');
        path = next.pathname + next.search;
      }
      return undefined;
    },
  };
}
