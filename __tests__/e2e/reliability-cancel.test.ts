/**
 * Reliability under faults, end to end: cancellation, transient and persistent Azure faults, a start whose answer
 * is lost, failed long-running operations, api-version fallback and executions stuck in Running.
 *
 * Part of the reliability suite (split for parallel runs): cancellation.
 */
import { describe, expect, it } from 'vitest';
import { quickLro, suiteBed } from '../../test-support/e2e-suite.ts';

const bed = suiteBed('rel-job', quickLro());
const { newJob, executions } = bed;

describe('cancellation', () => {
  it('stops the execution before the process is killed when the run is cancelled while waiting', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    const r = await bed.run({ 'job-name': job, start: 'true' }, { cancel: { whenOutput: /Execution .*: Running/ } });
    expect(r.cancelled).toBe(true);
    expect(r.signalsSent.map((s) => s.signal)).toEqual(['SIGINT']);
    expect(r.exitCode).toBe(1);
    expect(r.log).toMatch(/stopping execution .* \(stop-on-cancel\)/);
    expect(r.log).toMatch(/Stopped execution/);
    expect(r.outputs['execution-status']).toBe('Cancelled');
    const [exec] = executions(job);
    expect(exec!.properties.status).toBe('Stopped');
    // Post ran (post-if: always()) and found nothing left to do.
    expect(r.post?.exitCode).toBe(0);
    expect(r.post?.log ?? '').not.toMatch(/stopping it/);
  });

  it('lets the post step stop the execution when main was killed before it could', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    // Main's stop request fails once (its SDK waits ~1 s before retrying), and the runner kills main first.
    bed.standIn.faults.serverError({ host: 'arm', method: 'POST', path: /\/stop$/ }, 500);
    const r = await bed.run(
      { 'job-name': job, start: 'true' },
      { cancel: { whenOutput: /Execution .*: Running/ }, signalTimings: { termAfterMs: 150, killAfterMs: 150 } },
    );
    expect(r.signalsSent.map((s) => s.signal)).toEqual(['SIGINT', 'SIGTERM', 'SIGKILL']);
    expect(r.post?.log).toMatch(/stopping it \(stop-on-cancel\)/);
    expect(r.post?.log).toMatch(/Stopped execution/);
    const [exec] = executions(job);
    expect(exec!.properties.status).toBe('Stopped');
  });

  it('leaves the execution alone on cancel when stop-on-cancel is false', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    const r = await bed.run(
      { 'job-name': job, start: 'true', 'stop-on-cancel': 'false' },
      { cancel: { whenOutput: /Execution .*: Running/ } },
    );
    expect(r.exitCode).toBe(1);
    expect(r.writes.filter((w) => w.endsWith('/stop'))).toEqual([]);
    expect(executions(job)[0]!.properties.status).toBe('Running');
  });
});
