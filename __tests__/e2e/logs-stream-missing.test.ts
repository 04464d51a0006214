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

describe('lines the live log could not show', () => {
  it(
    'says that earlier lines may be missing when the stream connected after more than it replays',
    { timeout: 120_000 },
    async () => {
      bed.standIn.faults.add({ host: 'logstream', path: '/logstream$', kind: 'status', status: 503, times: 5 });
      try {
        const early = Array.from({ length: 400 }, (_, i) => ({ text: `early ${i + 1}`, atMs: 100 + i }));
        const r = await run(
          { durationMs: 12_000, logs: [...early, { text: 'late', atMs: 11_000 }] },
          { 'logs-wait': '1s' },
        );
        expect(r.outputs['execution-status']).toBe('Succeeded');
        expect(r.log).not.toMatch(/ early 1$/m);
        expect(r.log).toMatch(/ early 400$/m);
        expect(r.log).toMatch(
          /Earlier lines of .* may be missing here: the log stream replays only its last 300 lines/,
        );
        expect(r.summary).toMatch(/Not every line was shown live&#58; earlier lines of .* may be missing/);
      } finally {
        bed.standIn.faults.clear();
      }
    },
  );
});
