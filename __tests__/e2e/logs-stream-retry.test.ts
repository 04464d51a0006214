/**
 * The job's output at the edges, end to end through the bundled action: hostile text stays text in the log and
 * the step summary, megabyte lines do not cost the summary (GitHub drops one over 1 MiB), a log stream that
 * fails its first connections is tried again while the execution runs, and lines it could not show are said.
 * (A megabyte line of spaces right after the timestamp froze the parser; the stand-in always sends the CRI
 * `stdout F` prefix, which does not, so that case is a unit test: __tests__/unit/security.test.ts.)
 *
 * Part of the logs-edges suite (split in files so that no file holds the parallel run back).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quickLro } from '../../test-support/e2e-suite.ts';
import { startBed, type Bed, type E2eRun } from '../../test-support/e2e.ts';
import { APP_API_VERSIONS_WITH_2026_07_01, type ExecutionScript } from '../../standin/index.ts';

const IMAGE = 'mcr.microsoft.com/k8se/quickstart-jobs:latest';
let bed: Bed;
let job: string;

beforeAll(async () => {
  // The field lists api-versions up to 2026-01-01 (the stand-in's default): this file's tests are about what the action
  // does with 2026-07-01's answers (detailedStatus, runningState) and assert no warnings, so the region lists 2026-07-01.
  bed = await startBed(quickLro({ arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01 } }));
  job = 'edge-job';
  const r = await bed.run({ 'job-name': job, environment: bed.world.environment, image: IMAGE });
  expect(r.errors).toEqual([]);
});
afterAll(async () => {
  await bed?.close();
});

function run(script: ExecutionScript, inputs: Record<string, string> = {}): Promise<E2eRun> {
  bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, script);
  return bed.run({
    'job-name': job,
    start: 'true',
    'log-analytics-endpoint': bed.standIn.urls.loganalytics,
    ...inputs,
  });
}

describe('a log stream that fails at first', () => {
  it('is tried again while the execution runs, and its lines are shown live', { timeout: 120_000 }, async () => {
    bed.standIn.faults.add({ host: 'logstream', path: '/logstream$', kind: 'status', status: 503, times: 5 });
    try {
      const lines = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`);
      const r = await run({ durationMs: 12_000, logs: lines }, { 'logs-wait': '1s' });
      expect(r.outputs['execution-status']).toBe('Succeeded');
      expect(r.log).not.toMatch(/from Log Analytics/);
      for (const l of lines) expect(r.log).toMatch(new RegExp(`\\d{3}Z ${l}$`, 'm'));
      expect(r.summary).not.toMatch(/from Log Analytics/);
    } finally {
      bed.standIn.faults.clear();
    }
  });
});
