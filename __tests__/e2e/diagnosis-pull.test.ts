/**
 * An image pull that keeps failing ends the wait early, not at the replica timeout: the logs see the failed pulls
 * in the job's system events, signal the watch, and the watch stops the execution; the error says why and the fix.
 * The stand-in's kubelet retries the pull with a compressed back-off (pullBackoffMs) so that three failures come
 * within seconds; the execution itself would wait ten minutes. Without the early verdict the harness kills the
 * step after 90 s and the test fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, type Bed } from '../../test-support/e2e.ts';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.close();
});

describe('diagnosis: an image pull that keeps failing', () => {
  it('stops the execution after three failed pulls and says the image was not found', async () => {
    const job = 'pull-not-found';
    const image = `${bed.world.registryServer}/alice-weather-pipeline:no-such-tag`;
    const created = await bed.run({
      'job-name': job,
      environment: bed.world.environment,
      image,
      'replica-timeout': '600',
      'check-image': 'false',
    });
    expect(created.errors).toEqual([]);
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, {
      outcome: 'ImagePullFailure',
      pullError: 'NotFound',
      durationMs: 600_000,
      pullBackoffMs: 500,
    });
    const r = await bed.run({ 'job-name': job, start: 'true' }, { timeoutMs: 90_000 });
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      new RegExp(
        `^Execution '${job}-[a-z0-9]{7}' of job '${job}' was stopped after \\d+ s because the image failed to pull \\d+ times( in \\d+ s)?, not left to wait for the replica timeout \\(600 s\\): the image '${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' could not be pulled: it was not found in registry '[^']+'; check the image name and tag`,
      ),
    );
    // The action stopped it (and only once), and says so in the outputs
    const name = r.outputs['execution-name']!;
    expect(r.writes.filter((w) => w.endsWith(`/executions/${name}/stop`))).toHaveLength(1);
    expect(r.outputs['execution-status']).toBe('Stopped');
    expect(
      (bed.standIn.arm.getExecution(bed.world.resourceGroup, job, name)?.properties as { status?: string }).status,
    ).toBe('Stopped');
    expect(r.log).toMatch(
      /the image failed to pull \d+ times.*: stopping it instead of waiting for the replica timeout/,
    );
  });

  it('a registry that refuses the identity: the same early end, with the AcrPull fix', async () => {
    const job = 'pull-refused';
    const created = await bed.run({
      'job-name': job,
      environment: bed.world.environment,
      image: `${bed.world.registryServer}/weather:1`,
      'registry-identity': 'system',
      'replica-timeout': '600',
      'check-image': 'false',
    });
    expect(created.errors).toEqual([]);
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, {
      outcome: 'ImagePullFailure',
      pullError: 'Unauthorized',
      durationMs: 600_000,
      pullBackoffMs: 500,
    });
    const r = await bed.run({ 'job-name': job, start: 'true' }, { timeoutMs: 90_000 });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      /was stopped after \d+ s because the image failed to pull .*: registry '.*' refused the job's system-assigned identity; grant it the AcrPull role on the registry/,
    );
  });
});
