/**
 * Reliability under faults, end to end: cancellation, transient and persistent Azure faults, a start whose answer
 * is lost, failed long-running operations, api-version fallback and executions stuck in Running.
 *
 * Part of the reliability suite (split for parallel runs): lost start answers.
 */
import { describe, expect, it } from 'vitest';
import { quickLro, suiteBed } from '../../test-support/e2e-suite.ts';

const bed = suiteBed('rel-job', quickLro());
const { newJob, executions } = bed;

describe('faults', () => {
  it('never starts twice when the answer to the start is lost after Azure acted', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { durationMs: 1000 });
    bed.standIn.faults.dropAfter({ host: 'arm', method: 'POST', path: /\/start$/ });
    const r = await bed.run({ 'job-name': job, start: 'true' });
    expect(r.errors).toEqual([]);
    expect(r.log).toMatch(/was lost .* not started twice/);
    expect(r.log).toMatch(/was started by that request; following it/);
    expect(r.writes.filter((w) => w.endsWith('/start'))).toHaveLength(1);
    const all = executions(job);
    expect(all).toHaveLength(1);
    expect(r.outputs['execution-name']).toBe(all[0]!.name);
    expect(r.outputs['execution-status']).toBe('Succeeded');
  });

  it('starts again when the lost start never reached Azure', async () => {
    const job = await newJob();
    bed.standIn.faults.dropBefore({ host: 'arm', method: 'POST', path: /\/start$/ });
    const r = await bed.run({ 'job-name': job, start: 'true' });
    expect(r.errors).toEqual([]);
    expect(r.log).toMatch(/No execution was started by that request; starting job .* again/);
    expect(executions(job)).toHaveLength(1);
  });
});
