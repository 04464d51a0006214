/**
 * Reliability under faults, end to end: cancellation, transient and persistent Azure faults, a start whose answer
 * is lost, failed long-running operations, api-version fallback and executions stuck in Running.
 *
 * Part of the reliability suite (split for parallel runs): transient faults on a run.
 */
import { describe, expect, it } from 'vitest';
import { suiteBed } from '../../test-support/e2e-suite.ts';

const bed = suiteBed('rel-job');
const { newJob, executions } = bed;

describe('faults', () => {
  it('rides out throttling, server errors, dropped connections and slow answers on every call', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { durationMs: 2000 });
    const f = bed.standIn.faults;
    f.serverError({ host: 'arm', method: 'GET', path: new RegExp(`/jobs/${job}$`) }, 503, 1);
    f.throttle({ host: 'arm', method: 'PATCH' }, 1);
    f.serverError({ host: 'arm', method: 'GET', path: /OperationResults|OperationStatuses/i }, 502);
    f.throttle({ host: 'arm', method: 'POST', path: /\/start$/ }, 1);
    f.dropBefore({ host: 'arm', method: 'GET', path: /\/executions\/[^/]+$/ });
    f.latency({ host: 'arm', method: 'GET', path: /\/executions\/[^/]+$/, skip: 1 }, 1500);
    f.throttle({ host: 'entra', method: 'POST' }, 1);
    const r = await bed.run({ 'job-name': job, 'image-tag': 'v2', start: 'true' });
    expect(r.errors).toEqual([]);
    expect(r.outputs['execution-status']).toBe('Succeeded');
    expect(f.active.every((x) => x.remaining === 0)).toBe(true);
    expect(r.log).toMatch(/throttled the start .* \(429\); trying again in 1 s/);
    expect(executions(job)).toHaveLength(1);
  });
});
