/**
 * Azure's reason codes in plain words, through the bundled action against the stand-in: BackoffLimitExceeded with
 * no retries, and DeadlineExceeded at the job's replica timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_API_VERSIONS_WITH_2026_07_01 } from '../../standin/index.ts';
import { quickLro } from '../../test-support/e2e-suite.ts';
import { startBed, type Bed } from '../../test-support/e2e.ts';

const IMAGE = 'mcr.microsoft.com/k8se/quickstart-jobs:latest';
let bed: Bed;
beforeAll(async () => {
  // The field lists api-versions up to 2026-01-01 (the stand-in's default): Azure's reason and message come only
  // with 2026-07-01, which this file's tests are about, so the region lists it.
  bed = await startBed(quickLro({ arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01 } }));
});
afterAll(async () => {
  await bed?.close();
});

async function job(name: string, inputs: Record<string, string> = {}): Promise<string> {
  const r = await bed.run({ 'job-name': name, environment: bed.world.environment, image: IMAGE, ...inputs });
  expect(r.errors).toEqual([]);
  return name;
}

describe('diagnosis: reason codes in plain words', () => {
  it('BackoffLimitExceeded with replica-retry-limit 0, and with retries', async () => {
    const none = await job('reasons-no-retry', { 'replica-retry-limit': '0' });
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, none, {
      durationMs: 300,
      outcome: 'Failed',
      exitCode: 2,
      logs: ['ValueError: bad date'],
    });
    const r = await bed.run({ 'job-name': none, start: 'true' });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      /exited with code 2 \(Azure: BackoffLimitExceeded, .*\)\. Azure's reason BackoffLimitExceeded: the container exited with an error and the job allows no retries \(replica-retry-limit 0\)\./,
    );

    const twice = await job('reasons-retry', { 'replica-retry-limit': '1' });
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, twice, {
      durationMs: 300,
      outcome: 'Failed',
      exitCode: 2,
      failedAttempts: 1,
    });
    const again = await bed.run({ 'job-name': twice, start: 'true' });
    expect(again.errors[0]).toMatch(
      /the container exited with an error on every try \(2 tries: replica-retry-limit 1\)/,
    );
  });

  it('DeadlineExceeded: the replica ran longer than replica-timeout', async () => {
    const slow = await job('reasons-deadline', { 'replica-timeout': '3' });
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, slow, { outcome: 'Hang', logs: ['waiting for the API'] });
    const r = await bed.run({ 'job-name': slow, start: 'true', timeout: '60' });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      /the replica ran longer than input 'replica-timeout' \(3 s\) and Azure stopped it \(Azure: DeadlineExceeded, .*\); raise 'replica-timeout' if the job needs longer, or find what hangs\./,
    );
    expect(r.outputs['execution-status']).toBe('Failed');
  });
});
