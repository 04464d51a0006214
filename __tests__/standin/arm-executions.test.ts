/**
 * Scripted executions on a controllable clock: statuses derived from time, outcomes, detailedStatus per
 * api-version, replica timeouts, stop, names, the start override, and LRO timings by poll count and time.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpsFetch, type SimpleResponse } from '../../standin/common/http.ts';
import { APP_API_VERSIONS_WITH_2026_07_01, startStandIn, type SeededWorld, type StandIn } from '../../standin/index.ts';

let standIn: StandIn;
let world: SeededWorld;
let token: string;
let now = Date.parse('2026-09-01T08:00:00Z');

function call(method: string, path: string, body?: unknown, version = '2026-07-01'): Promise<SimpleResponse> {
  const u = new URL(path, standIn.urls.arm);
  if (!u.searchParams.has('api-version')) u.searchParams.set('api-version', version);
  return httpsFetch(u.toString(), { method, headers: { authorization: `Bearer ${token}` }, body });
}

const path = (job: string) =>
  `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}/providers/Microsoft.App/jobs/${job}`;

function seed(name: string, opts: { parallelism?: number; replicaTimeout?: number; containers?: string[] } = {}): void {
  standIn.arm.seedJob(world.resourceGroup, {
    name,
    location: 'East US',
    properties: {
      environmentId: world.environmentId,
      configuration: {
        triggerType: 'Manual',
        replicaTimeout: opts.replicaTimeout ?? 600,
        manualTriggerConfig: { parallelism: opts.parallelism ?? 1, replicaCompletionCount: 1 },
      },
      template: {
        containers: (opts.containers ?? ['main']).map((c) => ({
          name: c,
          image: `img/${c}:1`,
          env: [{ name: 'A', value: '1' }],
          resources: { cpu: 0.5, memory: '1Gi' },
        })),
      },
    },
  });
}

async function start(job: string, body?: unknown): Promise<string> {
  const r = await call('POST', `${path(job)}/start`, body);
  expect(r.status, r.text).toBe(200);
  return (r.json as { name: string }).name;
}

type Exec = {
  name: string;
  properties: Record<string, unknown> & {
    status: string;
    detailedStatus?: { replicas: { name: string; containers: Record<string, unknown>[] }[] };
  };
};

async function exec(job: string, name: string, version?: string): Promise<Exec> {
  const r = await call('GET', `${path(job)}/executions/${name}`, undefined, version);
  expect(r.status).toBe(200);
  return r.json as Exec;
}

beforeAll(async () => {
  standIn = await startStandIn({
    clock: () => now,
    // The spec's version (detailedStatus) and the earlier LRO defaults, set explicitly (the field defaults differ).
    arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01, lro: { durationMs: 0, retryAfterSec: 1 } },
  });
  world = standIn.seedDefault();
  token = standIn.entra.issueAccessToken({ clientId: world.clientId, lifetimeSec: 30 * 24 * 3600 });
});

afterAll(async () => {
  await standIn.close();
});

beforeEach(() => {
  standIn.arm.setLro({ inProgressPolls: 2, durationMs: 0, patchMode: 'async', retryAfterSec: 1 });
  standIn.arm.setDefaultExecutionScript({ durationMs: 100 });
});

describe('scripted executions', () => {
  it('default: Running for ~100 ms, then Succeeded; names, times and detailedStatus as the service writes them', async () => {
    seed('plain');
    const name = await start('plain');
    expect(name).toMatch(/^plain-[a-z0-9]{7}$/);
    const running = await exec('plain', name);
    expect(running.properties).toMatchObject({ status: 'Running', startTime: '2026-09-01T08:00:00+00:00' });
    expect(running.properties.endTime).toBeUndefined();
    expect(running.properties.detailedStatus!.replicas[0]!.containers[0]).toEqual({
      name: 'main',
      status: 'Running',
      additionalInformation: 'Started',
    });
    now += 100;
    const done = await exec('plain', name);
    expect(done.properties).toMatchObject({ status: 'Succeeded', endTime: '2026-09-01T08:00:00+00:00' });
    expect(done.properties.detailedStatus!.replicas).toHaveLength(1);
    expect(done.properties.detailedStatus!.replicas[0]!.name).toMatch(new RegExp(`^${name}-[a-z0-9]{5}$`));
    expect(done.properties.detailedStatus!.replicas[0]!.containers[0]).toEqual({
      name: 'main',
      status: 'Succeeded',
      code: 0,
      additionalInformation: 'Completed',
    });
    expect(done.properties.template).toEqual({
      containers: [
        { image: 'img/main:1', name: 'main', env: [{ name: 'A', value: '1' }], resources: { cpu: 0.5, memory: '1Gi' } },
      ],
      initContainers: [],
    });
  });

  it('Processing, Running, then Failed with exit code, reason and message; older api-versions omit them', async () => {
    seed('failing');
    standIn.arm.scriptExecutions(world.resourceGroup, 'failing', {
      processingMs: 1000,
      durationMs: 5000,
      outcome: 'Failed',
      exitCode: 42,
    });
    const name = await start('failing');
    expect((await exec('failing', name)).properties).toMatchObject({
      status: 'Processing',
      detailedStatus: { replicas: [] },
    });
    now += 1000;
    expect((await exec('failing', name)).properties.status).toBe('Running');
    now += 5000;
    const failed = await exec('failing', name);
    expect(failed.properties).toMatchObject({
      status: 'Failed',
      endTime: '2026-09-01T08:00:06+00:00',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    expect(failed.properties.detailedStatus!.replicas[0]!.containers[0]).toMatchObject({ code: 42, status: 'Failed' });
    const old = await exec('failing', name, '2026-01-01');
    expect(old.properties.status).toBe('Failed');
    expect(Object.keys(old.properties).sort()).toEqual(['endTime', 'startTime', 'status', 'template']);
    const preview = await exec('failing', name, '2025-10-02-preview');
    expect(preview.properties.reason).toBe('BackoffLimitExceeded');
  });

  it('replicas follow parallelism (or the script); Degraded fails one replica', async () => {
    seed('wide', { parallelism: 3, containers: ['main', 'sidecar'] });
    standIn.arm.scriptExecutions(
      world.resourceGroup,
      'wide',
      { durationMs: 0, outcome: 'Degraded', exitCode: 7, reason: 'SomeFailed', message: '1 of 3 failed' },
      { durationMs: 0, replicas: 2 },
    );
    const a = await exec('wide', await start('wide'));
    expect(a.properties).toMatchObject({ status: 'Degraded', reason: 'SomeFailed', message: '1 of 3 failed' });
    const reps = a.properties.detailedStatus!.replicas;
    expect(reps).toHaveLength(3);
    expect(reps.map((r) => r.containers.map((c) => c.code))).toEqual([
      [7, 0],
      [0, 0],
      [0, 0],
    ]);
    const b = await exec('wide', await start('wide'));
    expect(b.properties.detailedStatus!.replicas).toHaveLength(2);
  });

  it('Hang stays Running until stopped, then Stopped with endTime; without a stop, the replica timeout fails it', async () => {
    seed('hang', { replicaTimeout: 60 });
    standIn.arm.scriptExecutions(world.resourceGroup, 'hang', { outcome: 'Hang' }, { outcome: 'Hang' });
    const a = await start('hang');
    now += 30_000;
    expect((await exec('hang', a)).properties.status).toBe('Running');
    expect((await call('POST', `${path('hang')}/executions/${a}/stop`)).status).toBe(200);
    now += 1000;
    expect((await exec('hang', a)).properties).toMatchObject({
      status: 'Stopped',
      endTime: '2026-09-01T08:00:36+00:00',
    });

    const b = await start('hang');
    now += 60_000;
    expect((await exec('hang', b)).properties).toMatchObject({
      status: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    });
  });

  it('the start template is merged into the job template, container by container', async () => {
    seed('override', { containers: ['main', 'helper'] });
    const name = await start('override', {
      containers: [
        { name: 'main', image: 'img/main:2', env: [{ name: 'RUN_DATE', value: '2026-09-01' }] },
        { name: 'extra', image: 'img/extra:1' },
      ],
    });
    const t = (await exec('override', name)).properties.template as { containers: Record<string, unknown>[] };
    expect(t.containers).toEqual([
      {
        image: 'img/main:2',
        name: 'main',
        env: [{ name: 'RUN_DATE', value: '2026-09-01' }],
        resources: { cpu: 0.5, memory: '1Gi' },
      },
      {
        image: 'img/helper:1',
        name: 'helper',
        env: [{ name: 'A', value: '1' }],
        resources: { cpu: 0.5, memory: '1Gi' },
      },
      { image: 'img/extra:1', name: 'extra' },
    ]);
    expect(standIn.arm.executionRecord(world.resourceGroup, 'override', name)!.script).toEqual({ durationMs: 100 });
  });

  it('lists newest first with nextLink pages of the configured size', async () => {
    seed('many');
    const names: string[] = [];
    for (let i = 0; i < 5; i++) {
      names.push(await start('many'));
      now += 1000;
    }
    standIn.arm.executionsPageSize = 2;
    try {
      const seen: string[] = [];
      let url: string | undefined = `${path('many')}/executions`;
      let pages = 0;
      while (url) {
        const r = await call('GET', url);
        const body = r.json as { value: { name: string }[]; nextLink?: string };
        seen.push(...body.value.map((v) => v.name));
        url = body.nextLink;
        pages++;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual([...names].reverse());
    } finally {
      standIn.arm.executionsPageSize = 100;
    }
  });
});

describe('LRO timings', () => {
  it('by number of polls, and by duration on the stand-in clock', async () => {
    seed('timed');
    standIn.arm.setLro({ inProgressPolls: 0, durationMs: 10_000 });
    const r = await call('PATCH', path('timed'), { tags: { a: '1' } });
    expect(r.status).toBe(202);
    expect(r.headers['retry-after']).toBe('1');
    for (let i = 0; i < 3; i++) expect((await call('GET', r.headers.location!)).status).toBe(202);
    now += 10_000;
    expect((await call('GET', r.headers.location!)).status).toBe(200);

    standIn.arm.setLro({ inProgressPolls: 3, durationMs: 0 });
    const p = await call('PATCH', path('timed'), { tags: { a: '2' } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('GET', p.headers.location!)).status);
    expect(statuses).toEqual([202, 202, 202, 200]);
  });

  it('GETs of the job count as observations (clients that poll the resource, like the Azure CLI)', async () => {
    standIn.arm.setLro({ inProgressPolls: 2 });
    const put = await call('PUT', path('observed'), {
      location: 'East US',
      properties: {
        environmentId: world.environmentId,
        configuration: { triggerType: 'Manual', replicaTimeout: 60 },
        template: { containers: [{ name: 'c', image: 'i:1' }] },
      },
    });
    expect(put.status).toBe(201);
    const states: string[] = [];
    for (let i = 0; i < 3; i++)
      states.push(
        ((await call('GET', path('observed'))).json as { properties: { provisioningState: string } }).properties
          .provisioningState,
      );
    expect(states).toEqual(['InProgress', 'InProgress', 'Succeeded']);
  });
});
