/**
 * Reliability under faults, end to end: cancellation, transient and persistent Azure faults, a start whose answer
 * is lost, failed long-running operations, api-version fallback and executions stuck in Running.
 *
 * Part of the reliability suite (split for parallel runs): transient faults and lost start answers.
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

  it('rides out faults on the create path too (environment, registry discovery, PUT and its polls, secrets, stop)', async () => {
    const f = bed.standIn.faults;
    f.serverError({ host: 'arm', method: 'GET', path: /managedEnvironments/ }, 503, 1);
    f.dropBefore({ host: 'arm', method: 'GET', path: /Microsoft.ContainerRegistry\/registries$/ });
    f.throttle({ host: 'arm', method: 'POST', path: /listCredentials$/ }, 1);
    f.serverError({ host: 'arm', method: 'PUT' }, 500);
    f.latency({ host: 'arm', method: 'GET', path: /OperationStatuses|OperationResults/i }, 1200);
    const job = bed.nextJobName();
    const r = await bed.run({
      'job-name': job,
      environment: bed.world.environment,
      image: `${bed.world.registryServer}/pipeline:1`,
      secrets: 'api-key=k3y-value-123',
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('created');
    expect(f.active.every((x) => x.remaining === 0)).toBe(true);
    // Then an update that must read secrets (listSecrets fails once) and a run stopped on timeout (stop fails once).
    f.serverError({ host: 'arm', method: 'POST', path: /listSecrets$/ }, 503, 1);
    f.dropBefore({ host: 'arm', method: 'POST', path: /\/stop$/ });
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    const u = await bed.run({ 'job-name': job, secrets: 'api-key=k3y-value-456', start: 'true', timeout: '2s' });
    expect(u.outputs['job-operation']).toBe('updated');
    expect(u.errors).toEqual([expect.stringMatching(/did not finish within 2 s and was stopped/)]);
    expect(executions(job)[0]!.properties.status).toBe('Stopped');
    expect(bed.standIn.arm.getJob(bed.world.resourceGroup, job)!.properties).toMatchObject({
      configuration: { secrets: expect.arrayContaining([{ name: 'api-key', value: 'k3y-value-456' }]) as unknown },
    });
  });

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
