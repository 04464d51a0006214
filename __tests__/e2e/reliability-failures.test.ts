/**
 * Reliability under faults, end to end: cancellation, transient and persistent Azure faults, a start whose answer
 * is lost, failed long-running operations, api-version fallback and executions stuck in Running.
 *
 * Part of the reliability suite (split for parallel runs): operations that fail and persistent faults.
 */
import { describe, expect, it } from 'vitest';
import { IMAGE, quickLro, suiteBed } from '../../test-support/e2e-suite.ts';

const bed = suiteBed('rel-job', quickLro());
const { newJob } = bed;

describe('faults', () => {
  it("fails with Azure's error when creating a job ends Canceled", async () => {
    bed.standIn.arm.queueOperationOutcome({
      outcome: 'Canceled',
      error: { code: 'OperationCanceled', message: 'The operation was canceled by the platform' },
    });
    const r = await bed.run({ 'job-name': bed.nextJobName(), environment: bed.world.environment, image: IMAGE });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^Azure canceled the operation to create job '.*' \(provisioning state Canceled\)/);
  });

  it("fails with Azure's code and message, not a stack trace, when a fault persists", async () => {
    const job = await newJob();
    bed.standIn.faults.serverError({ host: 'arm', method: 'GET', path: new RegExp(`/jobs/${job}$`), times: 10 }, 500);
    const r = await bed.run({ 'job-name': job, start: 'true' });
    bed.standIn.faults.clear();
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^Azure refused to read job '.*' in resource group '.*' \(500 InternalServerError\): Encountered internal server error/,
      ),
    ]);
    expect(r.log).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(r.writes).toEqual([]);
  });

  it("fails with Azure's error when a long-running update ends Failed", async () => {
    const job = await newJob();
    bed.standIn.arm.queueOperationOutcome({
      outcome: 'Failed',
      error: {
        code: 'ContainerAppJobProvisioningFailed',
        message: 'Failed to provision job: quota exceeded in region',
      },
    });
    const r = await bed.run({ 'job-name': job, 'image-tag': 'v3' });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/update job '.*'/);
    expect(r.errors[0]).toMatch(/quota exceeded in region/);
  });
});
