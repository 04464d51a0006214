/**
 * What the job did, end to end: its containers' output streamed live into the workflow log (one group per
 * replica/container, reconnecting without printing a line twice, parallel and retried replicas), the Log
 * Analytics fallback when streaming is not possible, the diagnosis of failures, the summary's log tail and
 * links, and that a log outage or a missing role changes nothing but one warning.
 *
 * Part of the logs suite (split for parallel runs): live streaming.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_API_VERSIONS_WITH_2026_07_01, type ExecutionScript } from '../../standin/index.ts';
import type { E2eRun } from '../../test-support/e2e.ts';
import { group, quickLro, suiteBed, text, TS } from '../../test-support/e2e-suite.ts';

// The field lists api-versions up to 2026-01-01 (the stand-in's default): this file's tests are about what the action
// does with 2026-07-01's answers (detailedStatus, runningState) and assert no warnings, so the region lists 2026-07-01.
const bed = suiteBed('log-job', quickLro({ arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01 } }));
const { newJob, runScripted: run } = bed;
/** A plain job most tests run (each run's execution follows the script the test gives). */
let job: string;

beforeAll(async () => {
  job = await newJob();
});
/** The first group title of each stream. */
const groupTitles = (r: E2eRun): string[] =>
  r.log.split('\n').filter((l) => l.startsWith('▼ Logs: ') && !l.endsWith(' (continued)'));

describe('live logs', () => {
  it("streams one replica's output into a group while it runs, with timestamps, and ends the watch with the stream", async () => {
    const r = await run(job, {
      durationMs: 1000,
      logs: ['fetching weather for 2026-11-01', { text: 'retrying station 42', stream: 'stderr' }, 'wrote 1440 rows'],
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['execution-status']).toBe('Succeeded');
    const name = r.outputs['execution-name']!;
    const titles = groupTitles(r);
    expect(titles).toHaveLength(1);
    expect(titles[0]).toMatch(new RegExp(`^▼ Logs: ${name}-[a-z0-9]{5} / ${job}$`));
    const lines = group(r, /Logs: /);
    expect(lines.every((l) => TS.test(l))).toBe(true);
    expect(text(lines)).toEqual(['fetching weather for 2026-11-01', 'retrying station 42', 'wrote 1440 rows']);
    // Streamed while running: the stream was opened before the execution ended, and the lines come before the
    // status line that says it ended.
    const rec = bed.standIn.arm.executionRecord(bed.world.resourceGroup, job, name)!;
    const stream = r.requests.find((q) => q.host === 'logstream' && q.path.endsWith('/logstream'))!;
    expect(stream.query).toMatchObject({ follow: 'true', output: 'text', tailLines: '300' });
    expect(stream.time).toBeLessThan(rec.createdAt + 1000);
    expect(r.log.indexOf('wrote 1440 rows')).toBeLessThan(r.log.search(/Execution .*: Succeeded/));
    // The summary ends with the log's last lines, a ready Log Analytics query and the portal links.
    expect(r.summary).toMatch(/Last 3 lines of the log/);
    expect(r.summary).toContain('wrote 1440 rows');
    expect(r.summary).toContain(`ContainerGroupName_s startswith '${name}-'`);
    // A streamed, successful run costs no reads beyond the stream's: no environment or workspace lookups.
    expect(r.arm.filter((q) => /managedEnvironments|OperationalInsights/.test(q.path))).toEqual([]);
    // Nothing was asked of Log Analytics: the stream was enough.
    expect(r.requests.filter((q) => q.host === 'loganalytics')).toEqual([]);
  });

  it('shows parallel replicas each in its own group, reconnects dropped streams without repeating a line, and follows retries', async () => {
    const job = await newJob({ parallelism: '2', 'replica-completion-count': '2', 'replica-retry-limit': '1' });
    bed.standIn.logStream.cutStreams(2, 2);
    const r = await run(job, {
      durationMs: 1200,
      replicaStaggerMs: 300,
      failedAttempts: 1,
      exitCode: 3,
      logs: [
        'shard {index} try {attempt}: start',
        'shard {index} try {attempt}: half',
        'shard {index} try {attempt}: end',
      ],
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['execution-status']).toBe('Succeeded');
    const titles = groupTitles(r);
    expect(titles).toHaveLength(4); // 2 replicas x 2 tries, each its own replica
    const all = titles.map((t) =>
      text(group(r, new RegExp(`^▼ ${t.slice(2).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))),
    );
    for (const lines of all) {
      expect(lines).toHaveLength(3);
      const [, shard, attempt] = /^shard (\d) try (\d): start$/.exec(lines[0]!)!;
      expect(lines).toEqual([
        `shard ${shard} try ${attempt}: start`,
        `shard ${shard} try ${attempt}: half`,
        `shard ${shard} try ${attempt}: end`,
      ]);
    }
    expect(all.map((l) => l[0]).sort()).toEqual([
      'shard 0 try 0: start',
      'shard 0 try 1: start',
      'shard 1 try 0: start',
      'shard 1 try 1: start',
    ]);
    // Two streams were cut after 2 lines and reopened.
    const streams = r.requests.filter((q) => q.host === 'logstream' && q.path.endsWith('/logstream'));
    expect(streams.length).toBeGreaterThanOrEqual(6);
  });

  it('reads fewer execution statuses while streaming than by polling alone', async () => {
    const script: ExecutionScript = { durationMs: 2000, logs: ['working'] };
    const withLogs = await run(job, script);
    const without = await run(job, script, { logs: 'false' });
    const reads = (r: E2eRun) => r.arm.filter((q) => q.method === 'GET' && /\/executions\/[^/]+$/.test(q.path)).length;
    expect(withLogs.outputs['execution-status']).toBe('Succeeded');
    expect(without.outputs['execution-status']).toBe('Succeeded');
    expect(reads(withLogs)).toBeLessThan(reads(without));
    expect(groupTitles(without)).toEqual([]);
    expect(without.requests.filter((q) => q.host === 'logstream' || q.host === 'loganalytics')).toEqual([]);
  });

  it('shows the output of an execution that was over by the first status read', async () => {
    const r = await run(job, { durationMs: 0, logs: ['quick job: done'] });
    expect(r.outputs['execution-status']).toBe('Succeeded');
    expect(text(group(r, /Logs: /))).toEqual(['quick job: done']);
    const stream = r.requests.find((q) => q.host === 'logstream' && q.path.endsWith('/logstream'))!;
    expect(stream.query).toMatchObject({ follow: 'false', tailLines: '300' });
  });

  it('prints container output as text: workflow commands in it do nothing', async () => {
    const r = await run(job, {
      durationMs: 600,
      logs: ['::set-output name=execution-status::Hacked', '::error::not from the action', '::add-mask::wrote'],
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['execution-status']).toBe('Succeeded');
    expect(r.masks).not.toContain('wrote');
    expect(text(group(r, /Logs: /))).toEqual([
      '::set-output name=execution-status::Hacked',
      '::error::not from the action',
      '::add-mask::wrote',
    ]);
  });
});
