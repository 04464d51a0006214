/**
 * `npm run bench`: the performance figures the issues ask for, measured by running the bundled action
 * (dist/index.js) as the runner does against the local stand-in. Prints one table; asserts nothing.
 *
 *   node scripts/bench.ts            all figures (about 2.5 minutes: the 120 s execution dominates)
 *   node scripts/bench.ts --quick    skips the 20 s and 120 s detection runs
 *   node scripts/bench.ts --startup  only the start-up figures (a few seconds; after changing the bundle)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from '../test-support/harness.ts';
import { startStandIn, type StandIn } from '../standin/index.ts';
import { ensureTls, type TlsMaterial } from '../standin/common/tls.ts';

const quick = process.argv.includes('--quick');
const startupOnly = process.argv.includes('--startup');
const tlsDir = mkdtempSync(join(tmpdir(), 'bench-tls-'));
const tls: TlsMaterial = ensureTls(tlsDir);
const rows: [string, string, string][] = [];
const IMAGE = 'mcr.microsoft.com/k8se/quickstart-jobs:latest';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number): string => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

interface World {
  standIn: StandIn;
  inputs: Record<string, string>;
  rg: string;
}

async function world(job: string, setup?: (s: StandIn) => void): Promise<World> {
  const standIn = await startStandIn({ tls });
  const w = standIn.seedDefault();
  setup?.(standIn);
  const inputs = {
    'client-id': w.clientId,
    'tenant-id': w.tenantId,
    'subscription-id': w.subscriptionId,
    'resource-group': w.resourceGroup,
    'arm-endpoint': standIn.urls.arm,
    'authority-host': standIn.urls.authority,
    'job-name': job,
  };
  const created = await run({ standIn, inputs, rg: w.resourceGroup }, { environment: w.environment, image: IMAGE });
  if (created.exitCode !== 0) throw new Error(`bench setup failed: ${created.errors.join('; ')}`);
  return { standIn, inputs, rg: w.resourceGroup };
}

function run(w: World, inputs: Record<string, string>, extra: { logs?: string } = {}) {
  return runAction({
    inputs: { ...w.inputs, ...inputs, ...extra },
    oidc: w.standIn.oidc,
    env: { NODE_EXTRA_CA_CERTS: tls.caFile },
    runPost: false,
    // A private bundle (scripts/bundle-to.ts) instead of the repository's dist/, when set.
    ...(process.env.E2E_ACTION_DIR ? { actionDir: process.env.E2E_ACTION_DIR } : {}),
  });
}

function describeRequest(q: { method: string; path: string }): string {
  if (/OperationResults|OperationStatuses/i.test(q.path)) return 'LRO poll';
  if (q.path.includes('/executions/')) return `${q.method} execution`;
  if (q.path.endsWith('/start')) return 'POST start';
  return `${q.method} job`;
}

// 1. Start-up: process start to the first HTTP request, against bare node.
async function startup(): Promise<void> {
  const w = await world('bench-startup');
  const bare: number[] = [];
  const action: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    bare.push(performance.now() - t0);
    const from = w.standIn.requests.length;
    const started = Date.now();
    await run(w, { start: 'false', image: IMAGE });
    const first = w.standIn.requests[from];
    if (first) action.push(first.time - started);
  }
  rows.push(['start-up: bare `node -e 0` (spawn to exit)', fmt(median(bare)), 'median of 7']);
  rows.push([
    'start-up: process start to first HTTP request',
    fmt(median(action)),
    `+${fmt(median(action) - median(bare))} over bare node (goal < +300 ms)`,
  ]);
  await w.standIn.close();
}

// 2. One update + start + wait, for an execution that finishes at once.
// The core's figure is taken with logs: false; with logs: true (the default) the action also reads the
// replicas' output (getAuthToken, the replica list and their log streams), shown in a row of its own.
async function updateStartWait(label: string, lro: 'recorded' | 'immediate', logs = 'false'): Promise<void> {
  label = `${label}, logs: ${logs}`;
  const w = await world(`bench-usw-${lro}-${logs}`, (s) => {
    s.arm.setDefaultExecutionScript({ durationMs: 0, outcome: 'Succeeded' });
    if (lro === 'immediate') s.arm.setLro({ inProgressPolls: 0, durationMs: 0, retryAfterSec: null });
  });
  const times: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const from = w.standIn.requests.length;
    const r = await run(w, { 'image-tag': `v${lro}${i}`, start: 'true' }, { logs });
    if (r.exitCode !== 0) throw new Error(`bench run failed: ${r.errors.join('; ')}`);
    times.push(r.durationMs);
    counts.push(w.standIn.requests.slice(from).filter((q) => q.host === 'arm').length);
  }
  const detail = w.standIn.requests.filter((q) => q.host === 'arm').slice(-median(counts));
  rows.push([
    `update + start + wait (${label}): wall time`,
    fmt(median(times)),
    'goal < 1.5 s; median of 5, process start to exit',
  ]);
  rows.push([
    `update + start + wait (${label}): requests to Azure`,
    String(median(counts)),
    `${detail.map(describeRequest).join(', ')} (API minimum: GET job, PATCH, 1 LRO poll, POST start, GET execution = 5; goal <= 6)`,
  ]);
  await w.standIn.close();
}

// 3. Detection latency: from the execution's end to the step's exit, and execution reads per minute.
async function detection(durationSec: number, logs: string): Promise<void> {
  const job = `bench-det-${durationSec}`;
  const w = await world(job, (s) =>
    s.arm.setDefaultExecutionScript({ durationMs: durationSec * 1000, outcome: 'Succeeded' }),
  );
  const from = w.standIn.requests.length;
  const r = await run(w, { start: 'true' }, { logs });
  const exitAt = Date.now();
  if (r.exitCode !== 0) throw new Error(`bench run failed: ${r.errors.join('; ')}`);
  const rec = w.standIn.arm.executionRecord(w.rg, job, r.outputs['execution-name']!)!;
  const endAt = rec.createdAt + (rec.script.processingMs ?? 0) + durationSec * 1000;
  const reads = w.standIn.requests
    .slice(from)
    .filter((q) => q.host === 'arm' && q.method === 'GET' && q.path.includes('/executions/'));
  let maxPerMinuteAfterFirst = 0;
  for (let m = 1; m * 60_000 < durationSec * 1000; m++) {
    const inMinute = reads.filter(
      (q) => q.time >= rec.createdAt + m * 60_000 && q.time < rec.createdAt + (m + 1) * 60_000,
    );
    maxPerMinuteAfterFirst = Math.max(maxPerMinuteAfterFirst, inMinute.length);
  }
  const goal = durationSec <= 2 ? 'goal < 1 s' : `goal < ${fmt(durationSec * 100)} (10 %)`;
  rows.push([
    `detection latency, ${durationSec} s execution (logs: ${logs})`,
    fmt(exitAt - endAt),
    `${goal}; ${reads.length} execution reads${durationSec > 60 ? `, at most ${maxPerMinuteAfterFirst} a minute after the first minute (goal <= 6)` : ''}`,
  ]);
  await w.standIn.close();
}

// 4. An image that cannot be pulled: from the first failed pull to the verdict (the action stops the execution),
// with the kubelet's pull back-off (10 s, then 20 s...) or, with --quick, a compressed one (1 s).
async function pullVerdictTime(): Promise<void> {
  const job = 'bench-pull';
  const backoffMs = quick ? 1_000 : 10_000;
  const w = await world(job, (s) =>
    s.arm.setDefaultExecutionScript({
      outcome: 'ImagePullFailure',
      pullError: 'NotFound',
      durationMs: 600_000,
      pullBackoffMs: backoffMs,
    }),
  );
  const from = w.standIn.requests.length;
  const r = await run(w, { start: 'true' }, { logs: 'true' });
  const exitAt = Date.now();
  const name = r.outputs['execution-name'] ?? '';
  const rec = w.standIn.arm.executionRecord(w.rg, job, name);
  const stop = w.standIn.requests
    .slice(from)
    .find((q) => q.host === 'arm' && q.method === 'POST' && q.path.endsWith(`/executions/${name}/stop`));
  const firstFailure = rec ? rec.createdAt + (rec.script.processingMs ?? 0) : undefined;
  rows.push([
    'image pull failing: first failed pull to the verdict (stop)',
    stop && firstFailure !== undefined ? fmt(stop.time - firstFailure) : 'none',
    `goal < 120 s; pull back-off ${backoffMs / 1000} s doubling; replica timeout 300 s${firstFailure !== undefined ? `; step exit ${fmt(exitAt - firstFailure)} after the first failure` : ''}`,
  ]);
  await w.standIn.close();
}

try {
  await startup();
  if (!startupOnly) await rest();
} finally {
  rmSync(tlsDir, { recursive: true, force: true });
}

async function rest(): Promise<void> {
  await updateStartWait('LRO as the stand-in defaults: 2 InProgress polls over 1 s, no Retry-After', 'recorded');
  await updateStartWait('LRO answered at once', 'immediate');
  await updateStartWait('LRO answered at once', 'immediate', 'true');
  const durations = quick ? [2] : [2, 20, 120];
  await Promise.all([...durations.flatMap((d) => [detection(d, 'true'), detection(d, 'false')]), pullVerdictTime()]);
}

const width = Math.max(...rows.map((r) => r[0].length));
console.log(
  `\nFigures (node ${process.version}, ${new Date().toISOString().slice(0, 10)}; stand-in on this machine)\n`,
);
console.log(`${'figure'.padEnd(width)}  ${'value'.padStart(9)}  notes`);
for (const [name, value, note] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(9)}  ${note}`);
