/**
 * The stand-in's defaults are the field's (issue "Real Azure, not our model of it"; sources in standin/README.md):
 * the api-versions a region lists, problem details for job bodies, the jobs 409, lists paged at 20, LRO headers and
 * operation ids as recorded, the real execution permissions, Unknown and suspended jobs, role propagation, and the
 * RBAC-filtered generic resource list. A fake clock drives every delay.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findRegistryBinary, startAcr } from '../../standin/acr/acr.ts';
import { httpsFetch, type SimpleResponse } from '../../standin/common/http.ts';
import {
  APP_API_VERSIONS_WITH_2026_07_01,
  DEFAULT_APP_API_VERSIONS,
  DEFAULT_LRO,
  RECORDED_LRO,
  startStandIn,
  type RoleAssignment,
  type SeededWorld,
  type StandIn,
} from '../../standin/index.ts';

let standIn: StandIn;
let world: SeededWorld;
let token: string;
let now = Date.parse('2026-09-01T10:00:00Z');

/** R1's `api-supported-versions` (Feb 2026), as the error message lists them. */
const R1_VERSIONS =
  '2022-11-01-preview, 2023-04-01-preview, 2023-05-01, 2023-05-02-preview, 2023-08-01-preview, 2023-11-02-preview, 2024-02-02-preview, 2024-03-01, 2024-08-02-preview, 2024-10-02-preview, 2025-01-01, 2025-02-02-preview, 2025-07-01, 2025-10-02-preview, 2026-01-01';
const V = '2026-01-01';

// Wire JSON read loosely: the assertions check its shape.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-assignment */
type Json = Record<string, any>;

function jobPath(name: string): string {
  return `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}/providers/Microsoft.App/jobs/${name}`;
}

async function call(
  method: string,
  path: string,
  opts: { body?: unknown; version?: string; query?: Record<string, string> } = {},
): Promise<SimpleResponse> {
  const url = new URL(path, standIn.urls.arm);
  url.searchParams.set('api-version', opts.version ?? V);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  return httpsFetch(url.toString(), { method, headers: { authorization: `Bearer ${token}` }, body: opts.body });
}

function get(url: string): Promise<SimpleResponse> {
  return httpsFetch(url, { headers: { authorization: `Bearer ${token}` } });
}

function err(r: SimpleResponse): { code: string; message: string } {
  return (r.json as { error: { code: string; message: string } }).error;
}

function jobBody(): Json {
  return {
    location: 'East US',
    properties: {
      environmentId: world.environmentId,
      configuration: { triggerType: 'Manual', replicaTimeout: 300 },
      template: { containers: [{ name: 'main', image: 'standinacr.azurecr.io/app:1' }] },
    },
  };
}

function seed(name: string): void {
  standIn.arm.seedJob(world.resourceGroup, { name, ...jobBody() });
}

/** Polls an operation URL until it is done (the clock moves past the operation's duration first). */
async function finish(url: string): Promise<SimpleResponse> {
  now += 60_000;
  for (;;) {
    const r = await get(url);
    if (r.status !== 202 && (r.json as Json | undefined)?.status !== 'InProgress') return r;
  }
}

/** Runs `fn` with the world's identity holding only `assignments` (restored afterwards). */
async function withRoles(assignments: () => RoleAssignment[], fn: () => Promise<void>): Promise<void> {
  const saved = standIn.arm.roleAssignments.splice(0);
  const added = assignments();
  try {
    await fn();
  } finally {
    for (const a of added) standIn.arm.removeRoleAssignment(a);
    standIn.arm.roleAssignments.push(...saved);
  }
}

beforeAll(async () => {
  standIn = await startStandIn({ clock: () => now, arm: { throttling: { enabled: false } } });
  world = standIn.seedDefault();
  token = standIn.entra.issueAccessToken({ clientId: world.clientId, lifetimeSec: 24 * 3600 });
});

afterAll(async () => {
  await standIn.close();
});

beforeEach(() => {
  standIn.arm.setApiVersions(DEFAULT_APP_API_VERSIONS);
  standIn.arm.setLro(DEFAULT_LRO);
});

describe('api-versions a region lists', () => {
  it('2026-07-01 is refused with the real message listing the supported versions; 2026-01-01 works', async () => {
    seed('versions');
    const r = await call('GET', jobPath('versions'), { version: '2026-07-01' });
    expect(r.status).toBe(400);
    expect(err(r).code).toBe('NoRegisteredProviderFound');
    expect(err(r).message).toBe(
      `No registered resource provider found for location 'eastus' and API version '2026-07-01' for type 'jobs'. The supported api-versions are '${R1_VERSIONS}'. The supported locations are '${standIn.arm.locations.join(', ')}'.`,
    );
    expect(r.headers['api-supported-versions']).toBe(R1_VERSIONS);
    const ok = await call('GET', jobPath('versions'));
    expect(ok.status).toBe(200);
    expect((ok.json as Json).properties.runningState).toBeUndefined();
  });

  it('2026-07-01 only on request; executions below it carry no detailedStatus, reason or message unless a preview has them', async () => {
    standIn.arm.setApiVersions(APP_API_VERSIONS_WITH_2026_07_01);
    seed('details');
    standIn.arm.scriptExecutions(world.resourceGroup, 'details', { durationMs: 10, outcome: 'Failed', exitCode: 3 });
    const start = await call('POST', `${jobPath('details')}/start`, { version: '2026-07-01' });
    expect(start.status).toBe(200);
    now += 1000;
    const path = `${jobPath('details')}/executions/${(start.json as Json).name}`;
    const at = async (version: string): Promise<Json> => (await call('GET', path, { version })).json as Json;
    const newest = await at('2026-07-01');
    expect(newest.properties).toMatchObject({ status: 'Failed', reason: 'BackoffLimitExceeded' });
    expect(newest.properties.detailedStatus.replicas[0].containers[0].code).toBe(3);
    const preview = await at('2025-10-02-preview');
    expect(preview.properties).toMatchObject({ reason: 'BackoffLimitExceeded' });
    for (const version of ['2026-01-01', '2025-07-01', '2024-03-01']) {
      const p = (await at(version)).properties as Json;
      expect(p.status).toBe('Failed');
      expect([p.detailedStatus, p.reason, p.message]).toEqual([undefined, undefined, undefined]);
    }
  });
});

describe('validation errors', () => {
  it('job PUT and PATCH bodies: RFC 7807 problem details; start bodies: ARM InvalidRequestContent', async () => {
    const put = await call('PUT', jobPath('invalid'), { body: { ...jobBody(), bogus: 1 } });
    expect(put.status).toBe(400);
    expect(put.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(put.json).toEqual({
      type: 'https://tools.ietf.org/html/rfc7231#section-6.5.1',
      title: 'One or more validation errors occurred.',
      status: 400,
      traceId: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/) as unknown,
      errors: {
        $: [
          expect.stringMatching(
            /^Unknown properties bogus in Microsoft\.ContainerApps\.WebApi\.Views\.Version20260101\./,
          ),
        ],
      },
    });
    seed('valid');
    const patch = await call('PATCH', jobPath('valid'), { body: { properties: { nope: true } } });
    expect(patch.status).toBe(400);
    expect(Object.keys(patch.json as Json).sort()).toEqual(['errors', 'status', 'title', 'traceId', 'type']);
    const start = await call('POST', `${jobPath('valid')}/start`, { body: { containers: [{ name: 'x', bogus: 1 }] } });
    expect(start.status).toBe(400);
    expect(err(start).code).toBe('InvalidRequestContent');
  });
});

describe('writes while provisioning', () => {
  it('409 ContainerAppsJobOperationInProgress naming the pending operation, for PATCH, PUT and DELETE', async () => {
    const put = await call('PUT', jobPath('provisioning'), { body: jobBody() });
    expect(put.status).toBe(201);
    const opId = new URL(put.headers['azure-asyncoperation']!).pathname.split('/').at(-1);
    const message = `Cannot modify a container apps job 'provisioning' because there is an active provisioning operation in progress. OperationId: '${opId}'.`;
    for (const [method, body] of [
      ['PATCH', { tags: { a: 'b' } }],
      ['PUT', jobBody()],
      ['DELETE', undefined],
    ] as const) {
      const r = await call(method, jobPath('provisioning'), { body });
      expect(r.status, method).toBe(409);
      expect(err(r)).toEqual({ code: 'ContainerAppsJobOperationInProgress', message });
    }
    await finish(put.headers['azure-asyncoperation']!);
    expect((await call('PATCH', jobPath('provisioning'), { body: { tags: { a: 'b' } } })).status).toBe(202);
  });
});

describe('paging at 20', () => {
  /** Every page of a list, following nextLink. */
  async function pages(path: string, query?: Record<string, string>): Promise<Json[]> {
    const out: Json[] = [];
    let r = await call('GET', path, { ...(query ? { query } : {}) });
    for (;;) {
      expect(r.status, r.text).toBe(200);
      out.push(r.json as Json);
      const next = (r.json as Json).nextLink as string | undefined;
      if (!next) return out;
      r = await get(next);
    }
  }

  it('executions: 20 per page with nextLink, every execution once', async () => {
    seed('paged');
    const started = new Set<string>();
    for (let i = 0; i < 23; i++) {
      started.add(((await call('POST', `${jobPath('paged')}/start`)).json as Json).name as string);
      now += 1;
    }
    const all = await pages(`${jobPath('paged')}/executions`);
    expect(all.map((p) => (p.value as Json[]).length)).toEqual([20, 3]);
    expect(all[0]!.nextLink).toMatch(/\$skiptoken=/);
    const names = all.flatMap((p) => (p.value as Json[]).map((e) => e.name as string));
    expect(new Set(names)).toEqual(started);
  });

  it('jobs, registries and generic resources page at 20 too, the filter kept in nextLink', async () => {
    for (let i = 0; i < 21; i++) seed(`many-${i}`);
    const jobs = await pages(
      `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}/providers/Microsoft.App/jobs`,
    );
    expect(jobs[0]!.value).toHaveLength(20);
    expect(jobs.flatMap((p) => p.value as Json[]).length).toBe(standIn.arm.jobs.size);
    for (let i = 0; i < 20; i++) standIn.arm.addRegistry({ resourceGroup: 'rg-many', name: `many${i}` });
    const regs = await pages(
      `/subscriptions/${world.subscriptionId}/providers/Microsoft.ContainerRegistry/registries`,
      {
        'api-version': '2023-07-01',
      },
    );
    expect(regs.map((p) => (p.value as Json[]).length)).toEqual([20, 1]);
    const filter = "resourceType eq 'Microsoft.ContainerRegistry/registries'";
    const res = await pages(`/subscriptions/${world.subscriptionId}/resources`, {
      'api-version': '2021-04-01',
      $filter: filter,
    });
    expect(res.map((p) => (p.value as Json[]).length)).toEqual([20, 1]);
    expect(new URL(res[0]!.nextLink as string).searchParams.get('$filter')).toBe(filter);
    for (let i = 0; i < 20; i++) standIn.arm.registries.delete(`rg-many/many${i}`);
  });
});

describe('long-running operations as recorded', () => {
  it('PUT 201 + Azure-AsyncOperation and PATCH 202 + Location, without Retry-After; done after the duration', async () => {
    const put = await call('PUT', jobPath('timing'), { body: jobBody() });
    expect(put.status).toBe(201);
    expect(put.headers['azure-asyncoperation']).toBeTruthy();
    expect(put.headers['retry-after']).toBeUndefined();
    for (let i = 0; i < 4; i++)
      expect(((await get(put.headers['azure-asyncoperation']!)).json as Json).status).toBe('InProgress');
    expect((await finish(put.headers['azure-asyncoperation']!)).json).toMatchObject({ status: 'Succeeded' });
    const patch = await call('PATCH', jobPath('timing'), { body: { tags: { a: '1' } } });
    expect(patch.status).toBe(202);
    expect(patch.headers.location).toMatch(
      /\/containerappsjobOperationResults\/[0-9a-f-]{36}\?api-version=2026-01-01$/,
    );
    expect(patch.headers['retry-after']).toBeUndefined();
    const polled = await get(patch.headers.location!);
    expect(polled.status).toBe(202);
    expect(polled.headers['retry-after']).toBeUndefined();
    expect((await finish(patch.headers.location!)).status).toBe(200);
  });

  it('Location operation ids are reused per job; PATCH may answer 200 at once', async () => {
    seed('reuse-a');
    seed('reuse-b');
    const opOf = (r: SimpleResponse): string => new URL(r.headers.location!).pathname.split('/').at(-1)!;
    const a1 = await call('PATCH', jobPath('reuse-a'), { body: { tags: { n: '1' } } });
    await finish(a1.headers.location!);
    const a2 = await call('PATCH', jobPath('reuse-a'), { body: { tags: { n: '2' } } });
    const b1 = await call('PATCH', jobPath('reuse-b'), { body: { tags: { n: '1' } } });
    expect(opOf(a2)).toBe(opOf(a1));
    expect(opOf(b1)).not.toBe(opOf(a1));
    const done = await finish(a2.headers.location!);
    expect((done.json as Json).tags).toEqual({ n: '2' });
    await finish(b1.headers.location!);
    standIn.arm.setLro({ patchMode: 'sync' });
    const sync = await call('PATCH', jobPath('reuse-a'), { body: { tags: { n: '3' } } });
    expect(sync.status).toBe(200);
    expect((sync.json as Json).tags).toEqual({ n: '3' });
  });

  it('RECORDED_LRO gives operations of 8 to 36 s', async () => {
    standIn.arm.setLro(RECORDED_LRO);
    const put = await call('PUT', jobPath('recorded'), { body: jobBody() });
    const op = standIn.arm.operations.get(new URL(put.headers['azure-asyncoperation']!).pathname.split('/').at(-1)!)!;
    expect(op.durationMs).toBeGreaterThanOrEqual(8000);
    expect(op.durationMs).toBeLessThanOrEqual(36_000);
    now += 7000;
    for (let i = 0; i < 3; i++)
      expect(((await get(put.headers['azure-asyncoperation']!)).json as Json).status).toBe('InProgress');
    await finish(put.headers['azure-asyncoperation']!);
  });
});

describe('real permission names', () => {
  it('GET one execution needs jobs/execution/read, the list jobs/executions/read, a stop jobs/stop/execution/action', async () => {
    seed('perms');
    const exec = ((await call('POST', `${jobPath('perms')}/start`)).json as Json).name as string;
    const scope = jobPath('perms');
    const role = (actions: string[]) => () => [
      standIn.arm.addRoleAssignment({ principalId: world.objectId, scope, actions }),
    ];
    await withRoles(role(['Microsoft.App/jobs/executions/read']), async () => {
      expect((await call('GET', `${scope}/executions`)).status).toBe(200);
      const one = await call('GET', `${scope}/executions/${exec}`);
      expect(one.status).toBe(403);
      expect(err(one).message).toContain("to perform action 'Microsoft.App/jobs/execution/read' over scope");
    });
    await withRoles(role(['Microsoft.App/jobs/execution/read', 'Microsoft.App/jobs/stop/action']), async () => {
      expect((await call('GET', `${scope}/executions/${exec}`)).status).toBe(200);
      expect((await call('GET', `${scope}/executions`)).status).toBe(403);
      const stop = await call('POST', `${scope}/executions/${exec}/stop`);
      expect(stop.status).toBe(403);
      expect(err(stop).message).toContain("'Microsoft.App/jobs/stop/execution/action'");
    });
    await withRoles(
      () => [
        standIn.arm.addRoleAssignment({ principalId: world.objectId, scope, role: 'Container Apps Jobs Operator' }),
      ],
      async () => {
        expect((await call('GET', `${scope}/executions/${exec}`)).status).toBe(200);
        expect((await call('POST', `${scope}/executions/${exec}/stop`)).status).toBe(200);
      },
    );
  });
});

describe('Unknown and suspended', () => {
  it('a script can make the service report Unknown (no endTime) for a while, then the real status', async () => {
    seed('unknown');
    standIn.arm.scriptExecutions(world.resourceGroup, 'unknown', {
      durationMs: 5000,
      unknown: { afterMs: 1000, forMs: 2000 },
    });
    const name = ((await call('POST', `${jobPath('unknown')}/start`)).json as Json).name as string;
    const status = async (): Promise<Json> =>
      ((await call('GET', `${jobPath('unknown')}/executions/${name}`)).json as Json).properties as Json;
    expect((await status()).status).toBe('Running');
    now += 1500;
    expect(await status()).not.toHaveProperty('endTime');
    expect((await status()).status).toBe('Unknown');
    now += 2000;
    expect((await status()).status).toBe('Running');
    now += 5000;
    expect(await status()).toMatchObject({ status: 'Succeeded', endTime: expect.any(String) as unknown });
  });

  it('a suspended job (2026-07-01) refuses starts until resumed', async () => {
    standIn.arm.setApiVersions(APP_API_VERSIONS_WITH_2026_07_01);
    seed('sleepy');
    const v = { version: '2026-07-01' };
    const suspend = await call('POST', `${jobPath('sleepy')}/suspend`, v);
    expect(suspend.status).toBe(202);
    expect(suspend.headers['azure-asyncoperation']).toBeTruthy();
    await finish(suspend.headers['azure-asyncoperation']!);
    expect(((await call('GET', jobPath('sleepy'), v)).json as Json).properties.runningState).toBe('Suspended');
    const refused = await call('POST', `${jobPath('sleepy')}/start`, v);
    expect(refused.status).toBe(400);
    expect(err(refused)).toEqual({
      code: 'ContainerAppsJobSuspended',
      message:
        "Cannot start an execution of container apps job 'sleepy' because the job is suspended. Resume the job first.",
    });
    expect((await call('POST', `${jobPath('sleepy')}/start`)).status).toBe(400); // whatever version asks
    expect(standIn.arm.listExecutions(world.resourceGroup, 'sleepy')).toEqual([]);
    const resume = await call('POST', `${jobPath('sleepy')}/resume`, v);
    await finish(resume.headers['azure-asyncoperation']!);
    expect(((await call('GET', jobPath('sleepy'), v)).json as Json).properties.runningState).toBe('Ready');
    expect((await call('POST', `${jobPath('sleepy')}/start`, v)).status).toBe(200);
    expect((await call('POST', `${jobPath('sleepy')}/suspend`)).status).toBe(404);
  });
});

describe('suspended jobs and their triggers', () => {
  it('a suspended Schedule job starts nothing when due; a suspended Event job ignores events', async () => {
    const base = jobBody();
    const sched = {
      ...base,
      properties: {
        ...base.properties,
        configuration: {
          triggerType: 'Schedule',
          replicaTimeout: 300,
          scheduleTriggerConfig: { cronExpression: '*/5 * * * *' },
        },
      },
    };
    standIn.arm.seedJob(world.resourceGroup, { name: 'sleepy-cron', ...sched });
    standIn.arm.jobs.get(`${world.resourceGroup.toLowerCase()}/sleepy-cron`)!.runningState = 'Suspended';
    now += 30 * 60_000;
    expect(standIn.arm.listExecutions(world.resourceGroup, 'sleepy-cron')).toEqual([]);
    standIn.arm.jobs.get(`${world.resourceGroup.toLowerCase()}/sleepy-cron`)!.runningState = 'Ready';
    now += 10 * 60_000;
    expect(standIn.arm.listExecutions(world.resourceGroup, 'sleepy-cron').length).toBeGreaterThan(0);
    const event = {
      ...base,
      properties: {
        ...base.properties,
        configuration: {
          triggerType: 'Event',
          replicaTimeout: 300,
          eventTriggerConfig: { scale: { rules: [{ name: 'queue', type: 'azure-queue' }] } },
        },
      },
    };
    standIn.arm.seedJob(world.resourceGroup, { name: 'sleepy-event', ...event });
    standIn.arm.jobs.get(`${world.resourceGroup.toLowerCase()}/sleepy-event`)!.runningState = 'Suspended';
    expect(standIn.arm.triggerEvent(world.resourceGroup, 'sleepy-event', { durationMs: 10 })).toEqual([]);
    standIn.arm.jobs.get(`${world.resourceGroup.toLowerCase()}/sleepy-event`)!.runningState = 'Ready';
    expect(standIn.arm.triggerEvent(world.resourceGroup, 'sleepy-event', { durationMs: 10 })).toHaveLength(1);
  });
});

describe('role propagation', () => {
  it('a new assignment answers 403 AuthorizationFailed until the delay passed', async () => {
    seed('propagating');
    standIn.arm.rolePropagationMs = 30_000;
    try {
      await withRoles(
        () => [
          standIn.arm.addRoleAssignment({ principalId: world.objectId, scope: jobPath('propagating'), role: 'Reader' }),
        ],
        async () => {
          const early = await call('GET', jobPath('propagating'));
          expect(early.status).toBe(403);
          expect(err(early).code).toBe('AuthorizationFailed');
          now += 29_000;
          expect((await call('GET', jobPath('propagating'))).status).toBe(403);
          now += 1000;
          expect((await call('GET', jobPath('propagating'))).status).toBe(200);
        },
      );
    } finally {
      standIn.arm.rolePropagationMs = 0;
    }
  });

  it.skipIf(!findRegistryBinary())(
    'ACR token exchange: 401 right after AcrPush is granted, then a refresh token',
    async () => {
      const acr = await startAcr(standIn, { resourceGroup: 'rg-acr', name: 'fieldacr' });
      try {
        const aad = standIn.entra.issueAccessToken({ clientId: world.clientId, lifetimeSec: 24 * 3600 });
        const exchange = (): Promise<SimpleResponse> =>
          httpsFetch(`https://${acr.loginServer}/oauth2/exchange`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'access_token',
              service: acr.loginServer,
              tenant: world.tenantId,
              access_token: aad,
            }).toString(),
          });
        await withRoles(
          () => [
            standIn.arm.addRoleAssignment({
              principalId: world.objectId,
              scope: acr.registry.id,
              role: 'AcrPush',
              propagationMs: 60_000,
            }),
          ],
          async () => {
            const early = await exchange();
            expect(early.status).toBe(401);
            expect(early.json).toEqual({
              errors: [
                {
                  code: 'UNAUTHORIZED',
                  message: 'authentication required, visit https://aka.ms/acr/authorization for more information.',
                },
              ],
            });
            now += 60_000;
            const later = await exchange();
            expect(later.status).toBe(200);
            expect((later.json as Json).refresh_token).toBeTruthy();
          },
        );
      } finally {
        await acr.close();
      }
    },
  );
});

describe('generic resource list', () => {
  it('shows only what the caller may read, by type', async () => {
    standIn.arm.addRegistry({ resourceGroup: 'rg-other', name: 'otheracr' });
    const list = async (filter?: string): Promise<Json[]> => {
      const r = await call('GET', `/subscriptions/${world.subscriptionId}/resources`, {
        version: '2021-04-01',
        ...(filter ? { query: { $filter: filter } } : {}),
      });
      expect(r.status, r.text).toBe(200);
      return (r.json as Json).value as Json[];
    };
    const regs = "resourceType eq 'Microsoft.ContainerRegistry/registries'";
    const names = (await list(regs)).map((x) => x.name);
    expect(names).toEqual(expect.arrayContaining(['otheracr', world.registryName]));
    expect(names).toHaveLength(standIn.arm.registries.size);
    const rgScope = `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}`;
    await withRoles(
      () => [standIn.arm.addRoleAssignment({ principalId: world.objectId, scope: rgScope, role: 'Reader' })],
      async () => {
        const mine = await list(regs);
        expect(mine).toEqual([
          {
            id: world.registryId,
            name: world.registryName,
            type: 'Microsoft.ContainerRegistry/registries',
            location: 'eastus',
          },
        ]);
        const everything = await list();
        expect(everything.every((x) => (x.id as string).startsWith(`${rgScope}/`))).toBe(true);
        expect(new Set(everything.map((x) => x.type))).toContain('Microsoft.App/managedEnvironments');
      },
    );
    await withRoles(
      () => [],
      async () => expect(await list(regs)).toEqual([]),
    );
    const bad = await call('GET', `/subscriptions/${world.subscriptionId}/resources`, {
      version: '2021-04-01',
      query: { $filter: "name eq 'x'" },
    });
    expect(bad.status).toBe(400);
    expect(err(bad).code).toBe('InvalidFilterInQueryString');
  });
});
