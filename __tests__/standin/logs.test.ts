/**
 * The stand-in's log services: getAuthToken and the replica list on ARM, live console streams that end with
 * the replica (tail replay, cuts, tokens, image pull failures), the job's system events, and Log Analytics
 * queries with an ingestion delay and its RBAC.
 */
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsFetch, type SimpleResponse } from '../../standin/common/http.ts';
import { APP_API_VERSIONS_WITH_2026_07_01, startStandIn, type SeededWorld, type StandIn } from '../../standin/index.ts';

let standIn: StandIn;
let world: SeededWorld;
let token: string;

const jobPath = (job: string) =>
  `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}/providers/Microsoft.App/jobs/${job}`;

function arm(method: string, path: string, version = '2023-11-02-preview', body?: unknown): Promise<SimpleResponse> {
  const u = new URL(path, standIn.urls.arm);
  u.searchParams.set('api-version', version);
  return httpsFetch(u.toString(), { method, headers: { authorization: `Bearer ${token}` }, body });
}

function seed(name: string, parallelism = 1): void {
  standIn.arm.seedJob(world.resourceGroup, {
    name,
    location: 'East US',
    properties: {
      environmentId: world.environmentId,
      configuration: {
        triggerType: 'Manual',
        replicaTimeout: 600,
        manualTriggerConfig: { parallelism, replicaCompletionCount: parallelism },
      },
      template: {
        containers: [{ name: 'main', image: `${world.registryServer}/app:1`, resources: { cpu: 0.5, memory: '1Gi' } }],
      },
    },
  });
}

async function start(job: string): Promise<string> {
  const r = await arm('POST', `${jobPath(job)}/start`, '2026-07-01');
  expect(r.status, r.text).toBe(200);
  return (r.json as { name: string }).name;
}

async function streamToken(job: string): Promise<string> {
  const r = await arm('POST', `${jobPath(job)}/getAuthToken`);
  expect(r.status, r.text).toBe(200);
  const body = r.json as { properties: { token: string; expires: string } };
  expect(Date.parse(body.properties.expires)).toBeGreaterThan(Date.now());
  return body.properties.token;
}

type Replica = {
  name: string;
  properties: { containers: { name: string; logStreamEndpoint: string; runningState: string }[] };
};

async function replicas(job: string, exec: string): Promise<Replica[]> {
  const r = await arm('GET', `${jobPath(job)}/executions/${exec}/replicas`);
  expect(r.status, r.text).toBe(200);
  return (r.json as { value: Replica[] }).value;
}

async function waitFor<T>(f: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads a stream to its end (or reset), returning the text received and how it ended. */
function read(url: string, auth: string): Promise<{ status: number; text: string; reset: boolean; endedAt: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${auth}` }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, reset: false, endedAt: Date.now() }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, text, reset: true, endedAt: Date.now() }));
      res.on('aborted', () => resolve({ status: res.statusCode ?? 0, text, reset: true, endedAt: Date.now() }));
    });
    req.on('error', reject);
    req.end();
  });
}

const logLines = (text: string): string[] =>
  text
    .split('\n')
    .filter((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z /.test(l))
    .map((l) => l.replace(/^\S+ /, ''));

beforeAll(async () => {
  standIn = await startStandIn({
    arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01, lro: { durationMs: 0, retryAfterSec: 1 } },
  });
  world = standIn.seedDefault();
  token = standIn.entra.issueAccessToken({ clientId: world.clientId });
});

afterAll(async () => {
  await standIn.close();
});

describe('live console streams', () => {
  it('streams the lines as the script prints them and ends when the replica ends', async () => {
    seed('stream-one');
    standIn.arm.scriptExecutions(world.resourceGroup, 'stream-one', {
      durationMs: 900,
      logs: ['fetching weather', { text: 'oops', stream: 'stderr', atMs: 400 }, 'done on {replica}'],
    });
    const exec = await start('stream-one');
    const auth = await streamToken('stream-one');
    const [rep] = await waitFor(async () => {
      const r = await replicas('stream-one', exec);
      return r.length ? r : undefined;
    });
    expect(rep!.properties.containers[0]!.logStreamEndpoint.startsWith(standIn.urls.logstream)).toBe(true);
    const r = await read(
      `${rep!.properties.containers[0]!.logStreamEndpoint}?follow=true&output=text&tailLines=300`,
      auth,
    );
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/Connecting to the container 'main'\.\.\./);
    expect(r.text).toMatch(/Successfully Connected to container: 'main'/);
    expect(logLines(r.text)).toEqual(['stdout F fetching weather', 'stderr F oops', `stdout F done on ${rep!.name}`]);
    const rec = standIn.arm.executionRecord(world.resourceGroup, 'stream-one', exec)!;
    // the stream ends once the replica has ended, and not long after
    expect(r.endedAt).toBeGreaterThanOrEqual(rec.createdAt + 900);
    expect(standIn.arm.getExecution(world.resourceGroup, 'stream-one', exec)!.properties).toMatchObject({
      status: 'Succeeded',
    });

    // a later connection replays the tail and ends at once
    const again = await read(`${rep!.properties.containers[0]!.logStreamEndpoint}?follow=true&tailLines=2`, auth);
    expect(logLines(again.text)).toEqual(['stderr F oops', `stdout F done on ${rep!.name}`]);
  });

  it('cuts a stream on request, refuses bad tokens, and answers 404 for unknown replicas', async () => {
    seed('stream-cut');
    standIn.arm.scriptExecutions(world.resourceGroup, 'stream-cut', { durationMs: 600, logs: ['a', 'b', 'c'] });
    const exec = await start('stream-cut');
    const auth = await streamToken('stream-cut');
    const [rep] = await waitFor(async () => {
      const r = await replicas('stream-cut', exec);
      return r.length ? r : undefined;
    });
    const url = `${rep!.properties.containers[0]!.logStreamEndpoint}?follow=true&tailLines=300`;
    standIn.logStream.cutStreams(1);
    const cut = await read(url, auth);
    expect(cut.reset).toBe(true);
    expect(logLines(cut.text)).toEqual(['stdout F a']);
    const rest = await read(url, auth);
    expect(logLines(rest.text)).toEqual(['stdout F a', 'stdout F b', 'stdout F c']);

    expect((await read(url, 'not-a-token')).status).toBe(401);
    // a token of another job does not open this one's streams
    seed('stream-other');
    expect((await read(url, await streamToken('stream-other'))).status).toBe(401);
    expect((await read(url.replace(rep!.name, `${exec}-zzzzz`), auth)).status).toBe(404);
  });

  it('lists parallel, late and retried replicas as they appear, each with its own lines', async () => {
    seed('stream-wide', 2);
    standIn.arm.scriptExecutions(world.resourceGroup, 'stream-wide', {
      // The stagger is long enough that the first listing on a loaded machine still sees one replica (later ones
      // are waited for); each try outlasts it, so the tries still overlap in the same order.
      durationMs: 2000,
      replicaStaggerMs: 1500,
      failedAttempts: 1,
      exitCode: 4,
      logs: ['shard {index} try {attempt}'],
    });
    const exec = await start('stream-wide');
    const first = await waitFor(async () => {
      const r = await replicas('stream-wide', exec);
      return r.length ? r : undefined;
    });
    expect(first).toHaveLength(1);
    const all = await waitFor(async () => {
      const r = await replicas('stream-wide', exec);
      return r.length === 4 ? r : undefined;
    }, 15_000);
    expect(new Set(all.map((r) => r.name)).size).toBe(4);
    const auth = await streamToken('stream-wide');
    const texts = await Promise.all(
      all.map(async (r) =>
        logLines((await read(`${r.properties.containers[0]!.logStreamEndpoint}?follow=true&tailLines=300`, auth)).text),
      ),
    );
    expect(texts.flat().sort()).toEqual([
      'stdout F shard 0 try 0',
      'stdout F shard 0 try 1',
      'stdout F shard 1 try 0',
      'stdout F shard 1 try 1',
    ]);
    const done = await waitFor(async () => {
      const e = standIn.arm.getExecution(world.resourceGroup, 'stream-wide', exec) as {
        properties: { status: string; detailedStatus: { replicas: { containers: { code?: number }[] }[] } };
      };
      return e.properties.status === 'Succeeded' ? e : undefined;
    });
    expect(done.properties.detailedStatus.replicas.map((r) => r.containers[0]!.code)).toEqual([4, 4, 0, 0]);
  });

  it('an image that cannot be pulled has no console stream, and system events say why', async () => {
    seed('stream-pull');
    // Long enough that the replica is still waiting when it is read on a loaded machine; the end is waited for.
    standIn.arm.scriptExecutions(world.resourceGroup, 'stream-pull', {
      durationMs: 2000,
      outcome: 'ImagePullFailure',
      pullError: 'Unauthorized',
    });
    const exec = await start('stream-pull');
    const auth = await streamToken('stream-pull');
    const [rep] = await waitFor(async () => {
      const r = await replicas('stream-pull', exec);
      return r.length ? r : undefined;
    });
    expect(rep!.properties.containers[0]!.runningState).toBe('Waiting');
    const r = await read(`${rep!.properties.containers[0]!.logStreamEndpoint}?follow=true`, auth);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/is waiting to start: trying and failing to pull image/);
    const exe = await waitFor(async () => {
      const e = standIn.arm.getExecution(world.resourceGroup, 'stream-pull', exec) as {
        properties: Record<string, unknown>;
      };
      return ['Processing', 'Running'].includes(String(e.properties.status)) ? undefined : e;
    });
    expect(exe.properties).toMatchObject({ status: 'Failed', reason: 'DeadlineExceeded' });
    const job = standIn.arm.getJob(world.resourceGroup, 'stream-pull') as {
      properties: { eventStreamEndpoint: string };
    };
    const ev = await read(`${job.properties.eventStreamEndpoint}?follow=false&tailLines=300`, auth);
    const events = ev.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { Reason: string; Msg: string; ReplicaName: string | null });
    expect(events[0]).toMatchObject({ Reason: 'StartingGettingEvents' });
    expect(events.find((e) => e.Reason === 'ImagePullFailure')?.Msg).toMatch(/401 Unauthorized/);
    expect(events.some((e) => /exit code '' and reason 'ImagePullFailure'/.test(e.Msg))).toBe(true);
  });
});

describe('Log Analytics', () => {
  async function query(q: string, bearer: string, timespan?: string): Promise<SimpleResponse> {
    return httpsFetch(`${standIn.urls.loganalytics}/v1/workspaces/${world.logAnalyticsCustomerId}/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}` },
      body: { query: q, ...(timespan ? { timespan } : {}) },
    });
  }

  it('answers console and system rows once ingested, for the KQL the action sends', async () => {
    const laToken = standIn.entra.issueAccessToken({
      clientId: world.clientId,
      resource: 'https://api.loganalytics.io',
    });
    seed('la-job');
    // Long enough that the first query comes before ingestion on a loaded machine; the rows are then waited for.
    standIn.logAnalytics.ingestionDelayMs = 1500;
    standIn.arm.scriptExecutions(world.resourceGroup, 'la-job', {
      durationMs: 100,
      logs: ['one', 'two'],
      outcome: 'Failed',
      exitCode: 2,
    });
    const exec = await start('la-job');
    const q = `ContainerAppConsoleLogs_CL | where ContainerJobName_s == 'la-job' and ContainerGroupName_s startswith '${exec}' | project TimeGenerated, ContainerGroupName_s, ContainerName_s, Log_s | order by TimeGenerated asc | take 100`;
    const early = await query(q, laToken, 'PT1H');
    expect(early.status, early.text).toBe(200);
    expect((early.json as { tables: { rows: unknown[] }[] }).tables[0]!.rows).toEqual([]);
    type Table = { columns: { name: string }[]; rows: string[][] };
    const t = await waitFor(async () => {
      const later = await query(q, laToken, 'PT1H');
      const table = (later.json as { tables: Table[] }).tables[0]!;
      return table.rows.length >= 2 ? table : undefined;
    });
    expect(t.columns.map((c) => c.name)).toEqual(['TimeGenerated', 'ContainerGroupName_s', 'ContainerName_s', 'Log_s']);
    expect(t.rows.map((r) => r[3])).toEqual(['one', 'two']);

    // The execution's end (and so ContainerTerminated) comes after its console lines: wait for it to be ingested.
    const rows = await waitFor(async () => {
      const sys = await query(
        `ContainerAppSystemLogs_CL | where JobName_s == 'la-job' and ExecutionName_s == '${exec}' | project Reason_s, Log_s`,
        laToken,
      );
      const all = (sys.json as { tables: { rows: string[][] }[] }).tables[0]!.rows;
      return all.some((r) => r[0] === 'ContainerTerminated') ? all : undefined;
    });
    expect(rows).toContainEqual([
      'ContainerTerminated',
      "Container 'main' was terminated with exit code '2' and reason 'ProcessExited'",
    ]);

    const bad = await query('ContainerAppConsoleLogs_CL | summarize count() by bin(TimeGenerated, 1m)', laToken);
    expect(bad.status).toBe(400);
    expect((bad.json as { error: { code: string } }).error.code).toBe('BadArgumentError');
  });

  it('refuses ARM tokens (wrong audience) and principals without read access to the workspace', async () => {
    expect((await query('ContainerAppConsoleLogs_CL | take 1', token)).status).toBe(401);
    const other = standIn.seedDefault({ resourceGroup: 'rg-other', role: null });
    standIn.arm.addRoleAssignment({
      principalId: other.objectId,
      role: 'Contributor',
      scope: `/subscriptions/${world.subscriptionId}/resourceGroups/rg-other`,
    });
    const laToken = standIn.entra.issueAccessToken({
      clientId: other.clientId,
      resource: 'https://api.loganalytics.io',
    });
    const r = await query('ContainerAppConsoleLogs_CL | take 1', laToken);
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ error: { code: 'InsufficientAccessError' } });
  });
});
