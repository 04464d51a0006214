/**
 * The execution's edges, end to end: Azure that stops answering reads while the action waits, and
 * a stop that fails in the main step.
 *
 * Part of the execution-edges suite (split in files so that no file holds the parallel run back).
 */
import { describe, expect, it } from 'vitest';
import { APP_API_VERSIONS_WITH_2026_07_01 } from '../../standin/index.ts';
import { quickLro, suiteBed } from '../../test-support/e2e-suite.ts';

// The field lists api-versions up to 2026-01-01 (the stand-in's default): this file's tests are about what the action
// does with 2026-07-01's answers (detailedStatus, runningState) and assert no warnings, so the region lists 2026-07-01.
const bed = suiteBed('edge-job', quickLro({ arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01 } }));
const { newJob } = bed;

function statusOf(job: string, name: string): string {
  return (bed.standIn.arm.getExecution(bed.world.resourceGroup, job, name) as { properties: { status: string } })
    .properties.status;
}

const READ = { host: 'arm', method: 'GET', path: /\/executions\/[^/]+$/ };
const STOP = { host: 'arm', method: 'POST', path: /\/executions\/[^/]+\/stop$/ };

describe('Azure stops answering while the action waits', () => {
  it('stops the execution it can no longer read and says what it left behind, naming it', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    // Retry-After 0: the SDK tries each read again at once; the wait Azure asks for is not what this test is about.
    const reads = bed.standIn.faults.serverError({ ...READ, times: Infinity, skip: 2 }, 503, 0);
    try {
      const r = await bed.run({ 'job-name': job, start: 'true', logs: 'false' });
      const name = r.outputs['execution-name']!;
      expect(r.exitCode).toBe(1);
      expect(r.errors).toEqual([
        expect.stringMatching(
          new RegExp(
            `^Azure did not answer reads of execution '${name}' of job '${job}' for \\d+ s \\(503 ServiceUnavailable: .*\\), so its state is unknown; the action stopped it so that it is not left running\\.`,
          ),
        ),
      ]);
      expect(r.errors[0]).not.toMatch(/Unexpected error/);
      expect(r.outputs['execution-status']).toBe('Unknown');
      expect(reads.hits).toBeGreaterThan(2);
      expect(statusOf(job, name)).toBe('Stopped');
    } finally {
      bed.standIn.faults.clear();
    }
  }, 120_000);

  it('lets post stop the execution when main could neither read nor stop it, though post cannot read it either', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    bed.standIn.faults.serverError({ ...READ, times: Infinity, skip: 2 }, 503, 0);
    // Main's stop fails (the SDK tries 4 times); post's goes through.
    // (Retry-After 0: the SDK tries again at once; how long Azure asks it to wait is not what this test is about.)
    bed.standIn.faults.serverError({ ...STOP, times: 4 }, 503, 0);
    try {
      const r = await bed.run({ 'job-name': job, start: 'true', logs: 'false' });
      const name = r.outputs['execution-name']!;
      expect(r.errors).toEqual([
        expect.stringMatching(
          new RegExp(
            `so its state is unknown; stopping it failed \\(503 ServiceUnavailable: .*\\), so it may still be running: stop it with: az containerapp job stop --name ${job} --resource-group ${bed.world.resourceGroup} --job-execution-name ${name}\\.$`,
          ),
        ),
      ]);
      expect(r.post?.log).toMatch(
        new RegExp(`Could not read execution '${name}' of job '${job}' \\(503 .*stopping it anyway`),
      );
      expect(r.post?.log).toMatch(`Stopped execution ${name}.`);
      expect(statusOf(job, name)).toBe('Stopped');
    } finally {
      bed.standIn.faults.clear();
    }
  }, 180_000);
});
