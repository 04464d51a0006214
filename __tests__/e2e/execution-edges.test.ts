/**
 * The execution's edges, end to end: a start whose answer is lost while another workflow run starts the same job. The
 * stand-in's clock can be shifted (`shiftMs`) to place another run's execution in time.
 *
 * Part of the execution-edges suite (split in files so that no file holds the parallel run back).
 */
import { describe, expect, it } from 'vitest';
import { APP_API_VERSIONS_WITH_2026_07_01 } from '../../standin/index.ts';
import { quickLro, suiteBed } from '../../test-support/e2e-suite.ts';

/** Added to the stand-in's clock (Azure's), not the runner's. */
let shiftMs = 0;
// The field lists api-versions up to 2026-01-01 (the stand-in's default): this file's tests are about what the action
// does with 2026-07-01's answers (detailedStatus, runningState) and assert no warnings, so the region lists 2026-07-01.
const bed = suiteBed(
  'edge-job',
  quickLro({ clock: () => Date.now() + shiftMs, arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01 } }),
);
const { newJob, executions } = bed;

function statusOf(job: string, name: string): string {
  return (bed.standIn.arm.getExecution(bed.world.resourceGroup, job, name) as { properties: { status: string } })
    .properties.status;
}

const START = { host: 'arm', method: 'POST', path: /\/start$/ };

describe('a lost start while another workflow run starts the same job', () => {
  it("does not follow another run's execution that started before the request", async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' }, { durationMs: 500 });
    // Another workflow run started the job 20 s before this one sends its start.
    shiftMs = -20_000;
    const other = await bed.run({ 'job-name': job, start: 'true', wait: 'false' });
    shiftMs = 0;
    expect(other.errors).toEqual([]);
    // This run's start never reaches Azure.
    bed.standIn.faults.dropBefore(START);
    const r = await bed.run({ 'job-name': job, start: 'true', timeout: '20', logs: 'false' });
    expect(r.errors).toEqual([]);
    expect(r.log).toMatch(/No execution was started by that request; starting job .* again/);
    expect(r.outputs['execution-name']).not.toBe(other.outputs['execution-name']);
    expect(r.outputs['execution-status']).toBe('Succeeded');
    expect(statusOf(job, other.outputs['execution-name']!)).toBe('Running');
    expect(executions(job)).toHaveLength(2);
  });

  it('fails, listing the candidates, when it cannot tell which of two executions is its own', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' }, { outcome: 'Hang' });
    bed.standIn.arm.executionsPageSize = 1;
    // Azure's clock runs ahead: both starts are within the skew allowance of this run's request.
    shiftMs = 30_000;
    try {
      const other = await bed.run({ 'job-name': job, start: 'true', wait: 'false' });
      expect(other.errors).toEqual([]);
      // This run's start reaches Azure, which starts an execution, but the answer is lost.
      bed.standIn.faults.dropAfter(START);
      const r = await bed.run({ 'job-name': job, start: 'true', logs: 'false' });
      const all = executions(job).map((e) => e.name);
      expect(all).toHaveLength(2);
      expect(r.exitCode).toBe(1);
      expect(r.errors).toEqual([
        expect.stringMatching(
          new RegExp(
            `^The answer to the start request of job '${job}' was lost, and 2 executions that run what this step sent started since then: ${all[0]} \\(started .*\\), ${all[1]} \\(started .*\\)\\. The action cannot tell which one is its own`,
          ),
        ),
      ]);
      expect(r.outputs['execution-name']).toBeUndefined();
      expect(r.writes.filter((w) => w.endsWith('/start'))).toHaveLength(1);
    } finally {
      shiftMs = 0;
      bed.standIn.arm.executionsPageSize = 100;
    }
  });
});
