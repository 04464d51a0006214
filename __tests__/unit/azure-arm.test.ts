/**
 * The one HTTP path to ARM (createJobApi through the SDK's pipeline, with a scripted HTTP client underneath):
 * error shapes, cut-off answers, 429 without Retry-After, paging, long-running operations polled with a backoff,
 * a job busy with another operation, a role that is still propagating, and the registry lookup through the
 * RBAC-filtered generic resource list.
 */
import { describe, expect, it } from 'vitest';
import {
  createHttpHeaders,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import type { OperationState, PollerLike } from '@azure/core-lro';
import { createJobApi, lroBackoffMs, pollToEnd, type AzureClientOptions } from '../../src/azure/arm.ts';
import { describeAzureError, JobBusyError } from '../../src/common/errors.ts';
import { allExecutionsSince } from '../../src/execution/execution.ts';

const SUB = '00000000-0000-0000-0000-000000000001';
const RG = 'rg-data';
const JOB = 'alice-weather-job';
const JOB_PATH = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.App/jobs/${JOB}`;
const BASE = 'https://arm.test';

interface Answer {
  status: number;
  body?: unknown;
  text?: string;
  type?: string;
  headers?: Record<string, string>;
  /** Throw this instead of answering (a transport failure). */
  fail?: Error;
}

type Route = (req: PipelineRequest, url: URL) => Answer | undefined;

/** An HTTP client that answers from `route` and records every request as "METHOD /path?query". */
function scripted(route: Route): { client: HttpClient; seen: string[] } {
  const seen: string[] = [];
  const client: HttpClient = {
    async sendRequest(request): Promise<PipelineResponse> {
      const url = new URL(request.url);
      seen.push(`${request.method} ${url.pathname}${url.search}`);
      const a = route(request, url) ?? { status: 404, body: { error: { code: 'NotScripted', message: url.pathname } } };
      if (a.fail) throw a.fail;
      const headers = createHttpHeaders(a.headers ?? {});
      const text = a.text ?? (a.body === undefined ? '' : JSON.stringify(a.body));
      if (!headers.has('content-type') && text)
        headers.set('content-type', a.type ?? 'application/json; charset=utf-8');
      return { status: a.status, headers, request, bodyAsText: text };
    },
  };
  return { client, seen };
}

const sleeps: number[] = [];
let now = 0;
const fakeClock = {
  now: () => now,
  sleep: async (ms: number) => {
    sleeps.push(ms);
    now += ms;
  },
};

function api(route: Route, extra: Partial<AzureClientOptions> = {}) {
  const { client, seen } = scripted(route);
  const info: string[] = [];
  sleeps.length = 0;
  now = 0;
  const jobApi = createJobApi({
    credential: { getToken: async () => ({ token: 'token', expiresOnTimestamp: Date.now() + 3_600_000 }) },
    subscriptionId: SUB,
    resourceGroup: RG,
    jobName: JOB,
    endpoint: BASE,
    scope: `${BASE}/.default`,
    httpClient: client,
    clock: fakeClock,
    info: (m) => info.push(m),
    ...extra,
  });
  return { jobApi, seen, info };
}

const job = (state = 'Succeeded') => ({
  id: JOB_PATH,
  name: JOB,
  location: 'westeurope',
  properties: { provisioningState: state, configuration: { triggerType: 'Manual', replicaTimeout: 300 } },
});

describe('error shapes through the pipeline', () => {
  it('RFC 7807 problem details keep their title and errors (not "Unexpected status code: 400")', async () => {
    const { jobApi } = api((req) =>
      req.method === 'PATCH'
        ? {
            status: 400,
            type: 'application/problem+json',
            body: {
              type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
              title: 'One or more validation errors occurred.',
              status: 400,
              traceId: '00-abc-01',
              errors: { $: ["Unknown properties 'foo' are not supported."] },
            },
          }
        : undefined,
    );
    const error = await jobApi.updateJob({ tags: { a: 'b' } }).catch((e: unknown) => e);
    const line = describeAzureError(error, 'update', `job '${JOB}'`).message;
    expect(line).toBe(
      `Azure refused to update job '${JOB}' (400 BadRequest): One or more validation errors occurred. Unknown properties 'foo' are not supported. (traceId 00-abc-01).`,
    );
  });

  it('an HTML page from a gateway becomes a short text with its status', async () => {
    const { jobApi } = api(() => ({
      status: 400,
      type: 'text/html',
      text: '<html><head><title>400 Request Rejected</title></head><body><p>The request was rejected.</p></body></html>',
    }));
    const error = await jobApi.getJob().catch((e: unknown) => e);
    expect(describeAzureError(error, 'read', `job '${JOB}'`).message).toBe(
      `Azure refused to read job '${JOB}' (400 BadRequest): HTTP 400 from a gateway: 400 Request Rejected: The request was rejected.`,
    );
  });

  it('an empty 403 says its status', async () => {
    const { jobApi } = api(() => ({ status: 409, text: '' }));
    const error = await jobApi.listSecrets().catch((e: unknown) => e);
    expect(describeAzureError(error, 'read the secrets of', `job '${JOB}'`).message).toBe(
      `Azure refused to read the secrets of job '${JOB}' (409 Conflict): Azure answered HTTP 409 with an empty body.`,
    );
  });
});

describe('transport faults', () => {
  it('retries a GET whose answer was cut off mid-body instead of reporting a parse error', async () => {
    let calls = 0;
    const { jobApi } = api(() => {
      calls++;
      if (calls === 1) {
        const cut = Object.assign(new Error('Error reading response as text: aborted'), {
          name: 'RestError',
          code: 'PARSE_ERROR',
        });
        return { status: 200, fail: cut };
      }
      if (calls === 2) return { status: 200, text: '{"id":"x","name":"alice-wea' };
      return { status: 200, body: job() };
    });
    const got = await jobApi.getJob();
    expect(got?.name).toBe(JOB);
    expect(calls).toBe(3);
  });

  it('rides out a 429 without Retry-After with a backoff', async () => {
    let calls = 0;
    const { jobApi } = api(() =>
      ++calls <= 1
        ? { status: 429, body: { error: { code: 'TooManyRequests', message: 'Slow down.' } } }
        : { status: 200, body: job() },
    );
    expect((await jobApi.getJob())?.name).toBe(JOB);
    expect(calls).toBe(2);
  }, 20_000);
});

describe('paging', () => {
  it('follows nextLink through every page of the executions list', async () => {
    const exec = (n: number) => ({
      id: `${JOB_PATH}/executions/e${n}`,
      name: `e${n}`,
      properties: { status: 'Succeeded' },
    });
    const { jobApi, seen } = api((_req, url) => {
      if (!url.pathname.endsWith('/executions')) return undefined;
      const page = Number(url.searchParams.get('$skiptoken') ?? '0');
      return {
        status: 200,
        body: {
          value: [exec(page * 2), exec(page * 2 + 1)],
          ...(page < 2 ? { nextLink: `${BASE}${url.pathname}?api-version=2026-07-01&$skiptoken=${page + 1}` } : {}),
        },
      };
    });
    const all = await allExecutionsSince(jobApi, 0);
    expect(all.map((e) => e.name)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
    expect(seen.filter((s) => s.includes('/executions'))).toHaveLength(3);
  });
});

describe('long-running operations', () => {
  it('polls with a backoff (1, 2, 4, 8 … 15 s) when Azure names no Retry-After', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(lroBackoffMs)).toEqual([1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  });

  it('waits Retry-After when Azure names one, the backoff otherwise', async () => {
    let polls = 0;
    const seen: { ms?: number } = {};
    const poller = {
      isDone: false,
      async submitted() {
        seen.ms = 5000;
      },
      async poll() {
        polls++;
        if (polls === 3) poller.isDone = true;
      },
      async pollUntilDone() {
        return 'done';
      },
    };
    const waits: number[] = [];
    const result = await pollToEnd(
      poller as unknown as PollerLike<OperationState<string>, string>,
      seen,
      async (ms) => {
        waits.push(ms);
      },
    );
    expect(result).toBe('done');
    expect(waits).toEqual([5000, 2000, 4000]);
  });

  it('an update answered 202 + Location without Retry-After is polled 1, 2, 4 s apart, by its own poller', async () => {
    let polls = 0;
    const { jobApi } = api((req, url) => {
      if (req.method === 'PATCH')
        return {
          status: 202,
          headers: {
            location: `${BASE}/subscriptions/${SUB}/providers/Microsoft.App/locations/westeurope/containerappsjobOperationResults/op1?api-version=2026-07-01`,
          },
        };
      if (url.pathname.includes('OperationResults'))
        return ++polls < 3 ? { status: 202 } : { status: 200, body: job() };
      return undefined;
    });
    const updated = await jobApi.updateJob({ tags: { a: 'b' } });
    expect(updated.name).toBe(JOB);
    expect(sleeps).toEqual([1000, 2000, 4000]);
    // The same operation URL again (Azure reuses them per job): a fresh poller starts at 1 s again.
    polls = 0;
    await jobApi.updateJob({ tags: { a: 'c' } });
    expect(sleeps).toEqual([1000, 2000, 4000, 1000, 2000, 4000]);
  });
});

describe('a job busy with another operation (409)', () => {
  const busy = {
    status: 409,
    body: {
      error: {
        code: 'ContainerAppsJobOperationInProgress',
        message: `Cannot modify a container apps job '${JOB}' because there is an active provisioning operation in progress. OperationId: '7d1c0a3e'`,
      },
    },
  };

  it('waits until the provisioning finished, says so once, then asks for the change to be planned again', async () => {
    let gets = 0;
    const { jobApi, info } = api((req) => {
      if (req.method === 'PATCH') return busy;
      if (req.method === 'GET') return { status: 200, body: job(++gets < 3 ? 'InProgress' : 'Succeeded') };
      return undefined;
    });
    const error = await jobApi.updateJob({ tags: { a: 'b' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobBusyError);
    expect(gets).toBe(3);
    expect(info).toEqual([
      `Job '${JOB}' has another change in progress in Azure (operation 7d1c0a3e): waiting up to 10 min for it to finish, then applying this step's change to the job as it is then.`,
    ]);
  });

  it('gives up after the bound, saying what to do', async () => {
    const { jobApi } = api(
      (req) =>
        req.method === 'PATCH' ? busy : req.method === 'GET' ? { status: 200, body: job('InProgress') } : undefined,
      { busyTimeoutMs: 60_000 },
    );
    const error = await jobApi.updateJob({ tags: { a: 'b' } }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(JobBusyError);
    expect((error as Error).message).toMatch(
      /is still busy with another operation after 1 min .*raise input 'timeout'/,
    );
  });
});

describe('role propagation', () => {
  const denied = (action: string) => ({
    status: 403,
    body: {
      error: {
        code: 'AuthorizationFailed',
        message: `The client 'c' with object id 'o' does not have authorization to perform action '${action}' over scope '${JOB_PATH}' or the scope is invalid.`,
      },
    },
  });

  it('retries a start refused with 403 until the role applies, said once', async () => {
    let starts = 0;
    const { jobApi, info } = api((req, url) =>
      req.method === 'POST' && url.pathname.endsWith('/start')
        ? ++starts < 3
          ? denied('Microsoft.App/jobs/start/action')
          : { status: 200, body: { id: `${JOB_PATH}/executions/e1`, name: 'e1' } }
        : undefined,
    );
    expect((await jobApi.startExecution()).name).toBe('e1');
    expect(info).toHaveLength(1);
    expect(info[0]).toMatch(
      /^Azure refused to start job 'alice-weather-job' \(403 AuthorizationFailed\); a role granted in the last few minutes .* up to 2 min before failing\.$/,
    );
  });

  it('fails after the bound, naming the role', async () => {
    const { jobApi } = api((req) => (req.method === 'PATCH' ? denied('Microsoft.App/jobs/write') : undefined));
    const error = await jobApi.updateJob({ tags: { a: 'b' } }).catch((e: unknown) => e);
    expect(now).toBeGreaterThanOrEqual(120_000);
    expect(describeAzureError(error, 'update', `job '${JOB}'`).message).toMatch(
      /Fix: give the identity a role that allows 'Microsoft.App\/jobs\/write': Contributor on the resource group/,
    );
  });

  it('a read refused with 403 is not retried', async () => {
    let calls = 0;
    const { jobApi, info } = api(() => (++calls, denied('Microsoft.App/jobs/read')));
    await expect(jobApi.getJob()).rejects.toMatchObject({ statusCode: 403 });
    expect(calls).toBe(1);
    expect(info).toEqual([]);
  });
});

describe('registry lookup', () => {
  const registry = (name: string) => ({
    id: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerRegistry/registries/${name}`,
    name,
    properties: { loginServer: `${name}.azurecr.io`, adminUserEnabled: true },
  });

  it('a group-scoped identity finds its registry through the RBAC-filtered resource list, every page', async () => {
    const { jobApi, seen } = api((_req, url) => {
      if (url.pathname.endsWith('/providers/Microsoft.ContainerRegistry/registries'))
        return {
          status: 403,
          body: {
            error: { code: 'AuthorizationFailed', message: "…action 'Microsoft.ContainerRegistry/registries/read'…" },
          },
        };
      if (url.pathname.endsWith('/resources')) {
        expect(url.searchParams.get('$filter')).toBe("resourceType eq 'Microsoft.ContainerRegistry/registries'");
        const page = url.searchParams.get('$skiptoken');
        const item = registry(page ? 'aliceacr2' : 'aliceacr');
        return {
          status: 200,
          body: {
            value: [{ id: item.id, name: item.name, type: 'Microsoft.ContainerRegistry/registries' }],
            ...(page ? {} : { nextLink: `${BASE}${url.pathname}${url.search}&$skiptoken=1` }),
          },
        };
      }
      if (url.pathname.includes('/registries/'))
        return { status: 200, body: registry(url.pathname.split('/').at(-1)!) };
      return undefined;
    });
    const found = await jobApi.listRegistries();
    expect(found.map((r) => r.loginServer)).toEqual(['aliceacr.azurecr.io', 'aliceacr2.azurecr.io']);
    expect(seen.filter((s) => s.includes('/resources?'))).toHaveLength(2);
  });
});
