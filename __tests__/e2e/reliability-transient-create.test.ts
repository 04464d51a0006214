/**
 * Reliability under faults, end to end: cancellation, transient and persistent Azure faults, a start whose answer
 * is lost, failed long-running operations, api-version fallback and executions stuck in Running.
 *
 * Part of the reliability suite (split for parallel runs): transient faults on the create path.
 */
import { describe, expect, it } from 'vitest';
import { suiteBed } from '../../test-support/e2e-suite.ts';

const bed = suiteBed('rel-job');
const { executions } = bed;

describe('faults', () => {
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
});
