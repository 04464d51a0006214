/**
 * The execution's edges, end to end: a stop that fails, and an execution that disappears while watched.
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

const STOP = { host: 'arm', method: 'POST', path: /\/executions\/[^/]+\/stop$/ };

describe('a stop that fails', () => {
  it('says the stop failed, with Azure code and message and the command to stop it, not "left running"', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    bed.standIn.faults.add({
      ...STOP,
      times: Infinity,
      kind: 'status',
      status: 409,
    });
    try {
      const r = await bed.run({ 'job-name': job, start: 'true', timeout: '3', logs: 'false' });
      const name = r.outputs['execution-name']!;
      expect(r.exitCode).toBe(1);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(
        new RegExp(
          `^Execution '${name}' of job '${job}' did not finish within 3 s; stopping it failed \\(409 \\w+: .*\\), so it may still be running: stop it with: az containerapp job stop --name ${job} --resource-group ${bed.world.resourceGroup} --job-execution-name ${name}\\.`,
        ),
      );
      expect(r.errors[0]).not.toMatch(/on-timeout: leave/);
      expect(r.outputs['execution-status']).toBe('TimedOut');
      // Post tries again, and says so when it fails too.
      expect(r.post?.log).toMatch(/stopping it \(its stop failed in the main step\)/);
      expect(r.post?.warnings).toEqual([
        expect.stringMatching(
          new RegExp(`^Could not stop execution '${name}' of job '${job}' \\(409 .*az containerapp job stop`),
        ),
      ]);
      expect(statusOf(job, name)).toBe('Running');
    } finally {
      bed.standIn.faults.clear();
    }
  }, 60_000);
});

describe('an execution that disappears while watched', () => {
  it('fails clearly, naming it, with an output status that is not Running', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    let deleted = false;
    const r = await bed.run(
      { 'job-name': job, start: 'true', logs: 'false' },
      {
        onLog: (line) => {
          if (!deleted && /^Execution .*: Running/.test(line)) {
            deleted = true;
            bed.standIn.arm.deleteJob(bed.world.resourceGroup, job); // e.g. a teammate deleted the job
          }
        },
      },
    );
    const name = r.outputs['execution-name']!;
    expect(deleted).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Execution '${name}' of job '${job}' no longer exists \\(404 \\w+: .*\\): it was deleted while the action watched it`,
        ),
      ),
    ]);
    expect(r.outputs['execution-status']).toBe('NotFound');
    expect(r.writes.filter((w) => w.endsWith('/stop'))).toEqual([]);
  });
});
