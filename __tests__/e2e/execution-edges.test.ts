/**
 * The execution's edges, end to end: a start whose answer is lost while another workflow run starts the same job,
 * Azure that stops answering while the action waits, a stop that fails, and an execution that disappears. The
 * stand-in's clock can be shifted (`shiftMs`) to place another run's execution in time.
 */
import { describe, expect, it } from 'vitest';
import { APP_API_VERSIONS_WITH_2026_07_01 } from '../../standin/index.ts';
import { suiteBed } from '../../test-support/e2e-suite.ts';
import { armExecution } from '../../test-support/arm-json.ts';

/** Added to the stand-in's clock (Azure's), not the runner's. */
let shiftMs = 0;
// The field lists api-versions up to 2026-01-01 (the stand-in's default): this file's tests are about what the action
// does with 2026-07-01's answers (detailedStatus, runningState) and assert no warnings, so the region lists 2026-07-01.
const bed = suiteBed('edge-job', {
  clock: () => Date.now() + shiftMs,
  arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01 },
});
const { newJob, executions } = bed;

function statusOf(job: string, name: string): string | undefined {
  return armExecution(bed.standIn.arm.getExecution(bed.world.resourceGroup, job, name), `execution ${name}`).properties
    .status;
}

const START = { host: 'arm', method: 'POST', path: /\/start$/ };
const READ = { host: 'arm', method: 'GET', path: /\/executions\/[^/]+$/ };
const STOP = { host: 'arm', method: 'POST', path: /\/executions\/[^/]+\/stop$/ };

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

describe('Azure stops answering while the action waits', () => {
  it('stops the execution it can no longer read and says what it left behind, naming it', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    const reads = bed.standIn.faults.serverError({ ...READ, times: Infinity, skip: 2 }, 503, 1);
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
    bed.standIn.faults.serverError({ ...READ, times: Infinity, skip: 2 }, 503, 1);
    // Main's stop fails (the SDK tries 4 times); post's goes through.
    bed.standIn.faults.serverError({ ...STOP, times: 4 }, 503, 1);
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
