/**
 * Fault injection, per host and route: 429 + Retry-After, 5xx with the host's error body, connections
 * dropped before or after the server acted, added latency; `times` and `skip`; faults in the request log.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpsFetch, type SimpleResponse } from '../../standin/common/http.ts';
import { APP_API_VERSIONS_WITH_2026_07_01, startStandIn, type SeededWorld, type StandIn } from '../../standin/index.ts';

let standIn: StandIn;
let world: SeededWorld;
let token: string;
let jobPath: string;

function call(method: string, path: string, body?: unknown): Promise<SimpleResponse> {
  const u = new URL(path, standIn.urls.arm);
  u.searchParams.set('api-version', '2026-07-01');
  return httpsFetch(u.toString(), { method, headers: { authorization: `Bearer ${token}` }, body });
}

async function failure(p: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  try {
    await p;
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  throw new Error('expected the request to fail');
}

beforeAll(async () => {
  standIn = await startStandIn({
    arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01, lro: { durationMs: 0, retryAfterSec: 1 } },
  });
  world = standIn.seedDefault();
  token = standIn.entra.issueAccessToken({ clientId: world.clientId });
  jobPath = `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}/providers/Microsoft.App/jobs/faulty`;
  standIn.arm.seedJob(world.resourceGroup, {
    name: 'faulty',
    location: 'East US',
    properties: {
      environmentId: world.environmentId,
      configuration: { triggerType: 'Manual', replicaTimeout: 60 },
      template: { containers: [{ name: 'main', image: 'img:1' }] },
    },
  });
});

afterAll(async () => {
  await standIn.close();
});

beforeEach(() => standIn.faults.clear());

describe('faults', () => {
  it('429 with Retry-After and the ARM throttling body, then back to normal; nothing reaches ARM', async () => {
    const f = standIn.faults.throttle({ host: 'arm', method: 'POST', path: /\/start$/ }, 7);
    const r = await call('POST', `${jobPath}/start`);
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('7');
    expect(r.json).toMatchObject({ error: { code: 'SubscriptionRequestsThrottled' } });
    expect(r.headers['x-ms-request-id']).toBeTruthy();
    expect(standIn.arm.listExecutions(world.resourceGroup, 'faulty')).toHaveLength(0);
    expect(f.hits).toBe(1);
    expect(standIn.faults.active).toHaveLength(0);
    expect((await call('POST', `${jobPath}/start`)).status).toBe(200);
    expect(standIn.requests.at(-2)).toMatchObject({ host: 'arm', method: 'POST', status: 429, fault: 'status' });
  });

  it('500 / 502 / 503 / 504 with ARM error bodies; custom code and message', async () => {
    for (const status of [500, 502, 503, 504] as const) {
      standIn.faults.serverError({ host: 'arm', path: '/jobs/faulty$' }, status);
      const r = await call('GET', jobPath);
      expect(r.status).toBe(status);
      const e = (r.json as { error: { code: string; message: string } }).error;
      expect(e.code).toBe(
        { 500: 'InternalServerError', 502: 'BadGateway', 503: 'ServiceUnavailable', 504: 'GatewayTimeout' }[status],
      );
      expect(e.message.length).toBeGreaterThan(10);
    }
    standIn.faults.add({
      host: 'arm',
      kind: 'status',
      status: 503,
      code: 'Maintenance',
      message: 'Back soon.',
      retryAfterSec: 2,
    });
    const r = await call('GET', jobPath);
    expect(r.json).toEqual({ error: { code: 'Maintenance', message: 'Back soon.' } });
    expect(r.headers['retry-after']).toBe('2');
  });

  it('drop-before: the connection resets and the server never acts', async () => {
    const before = standIn.arm.listExecutions(world.resourceGroup, 'faulty').length;
    standIn.faults.dropBefore({ host: 'arm', method: 'POST', path: /\/start$/ });
    const e = await failure(call('POST', `${jobPath}/start`));
    expect(e.code ?? e.message).toMatch(/ECONNRESET|socket hang up/);
    expect(standIn.arm.listExecutions(world.resourceGroup, 'faulty')).toHaveLength(before);
    expect(standIn.requests.at(-1)).toMatchObject({ method: 'POST', status: 0, fault: 'drop-before' });
  });

  it('drop-after: the server acts (an execution starts), the client sees a reset', async () => {
    const before = standIn.arm.listExecutions(world.resourceGroup, 'faulty').length;
    standIn.faults.dropAfter({ host: 'arm', method: 'POST', path: /\/start$/ });
    const e = await failure(call('POST', `${jobPath}/start`));
    expect(e.code ?? e.message).toMatch(/ECONNRESET|socket hang up/);
    expect(standIn.arm.listExecutions(world.resourceGroup, 'faulty')).toHaveLength(before + 1);
    // the log keeps the status the server chose but never delivered
    expect(standIn.requests.at(-1)).toMatchObject({ method: 'POST', status: 200, fault: 'drop-after' });
  });

  it('latency delays the answer', async () => {
    standIn.faults.latency({ host: 'arm', method: 'GET' }, 150);
    const t0 = performance.now();
    expect((await call('GET', jobPath)).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(standIn.requests.at(-1)!.durationMs).toBeGreaterThanOrEqual(140);
    expect(standIn.requests.at(-1)!.fault).toBe('latency');
  });

  it('times and skip: "the 2nd and 3rd matching requests"; other hosts and routes are untouched', async () => {
    standIn.faults.serverError({ host: 'arm', method: 'GET', path: '/jobs/faulty$', skip: 1, times: 2 }, 503);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('GET', jobPath)).status);
    expect(statuses).toEqual([200, 503, 503, 200]);
    standIn.faults.serverError({ host: 'entra' }, 500);
    expect((await call('GET', jobPath)).status).toBe(200);
    const entra = await httpsFetch(
      `${standIn.urls.authority}/${standIn.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    expect(entra.status).toBe(500);
    expect(entra.json).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it('a fault with times: Infinity stays until cleared', async () => {
    standIn.faults.throttle({ host: 'github', times: Infinity }, 1);
    for (let i = 0; i < 3; i++) {
      const r = await httpsFetch(`${standIn.oidc.requestUrl}&audience=x`, {
        headers: { authorization: `Bearer ${standIn.oidc.requestToken}` },
      });
      expect(r.status).toBe(429);
    }
    standIn.faults.clear();
    const ok = await httpsFetch(`${standIn.oidc.requestUrl}&audience=x`, {
      headers: { authorization: `Bearer ${standIn.oidc.requestToken}` },
    });
    expect(ok.status).toBe(200);
  });
});
