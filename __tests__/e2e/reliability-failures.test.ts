/**
 * Reliability under faults, end to end: cancellation, transient and persistent Azure faults, a start whose answer
 * is lost, failed long-running operations, api-version fallback and executions stuck in Running.
 *
 * Part of the reliability suite (split for parallel runs): operations that fail, persistent faults, api-version
 * fallback, stuck executions.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_APP_API_VERSIONS } from '../../standin/index.ts';
import { IMAGE, suiteBed } from '../../test-support/e2e-suite.ts';

const bed = suiteBed('rel-job');
const { newJob, executions } = bed;

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

  it('falls back to a supported api-version: one line from the default, a warning from a version the user asked for', async () => {
    const job = await newJob();
    bed.standIn.arm.setApiVersions(['2023-11-02-preview', '2024-03-01', '2025-01-01', '2025-07-01', '2026-01-01']);
    try {
      bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { durationMs: 500 });
      const asked = await bed.run({ 'job-name': job, 'api-version': '2026-07-01', tags: 'team=data' });
      expect(asked.errors).toEqual([]);
      expect(asked.warnings.filter((w) => /^Azure does not support .* api-version/.test(w))).toEqual([
        "Azure does not support Microsoft.App api-version 2026-07-01 here; using 2026-01-01 instead (set input 'api-version' to choose).",
      ]);
      const r = await bed.run({ 'job-name': job, 'image-tag': 'v4', start: 'true' });
      expect(r.errors).toEqual([]);
      expect(r.warnings.filter((w) => /api-version/.test(w))).toEqual([]);
      expect(
        r.stdout.split('\n').filter((l) => l.startsWith('Azure does not support Microsoft.App api-version 2026-07-01')),
      ).toHaveLength(1);
      // (the log stream's getAuthToken and replicas calls use their own preview version, as the Azure CLI does)
      const jobCalls = r.arm.slice(1).filter((q) => !/\/(getAuthToken|replicas)$|OperationalInsights/i.test(q.path));
      const versions = new Set(jobCalls.map((q) => q.query['api-version']));
      expect([...versions]).toEqual(['2026-01-01']);
      expect(r.outputs['execution-status']).toBe('Succeeded');
    } finally {
      bed.standIn.arm.setApiVersions(DEFAULT_APP_API_VERSIONS);
    }
  });

  it('stops an execution stuck in Running past the replica timeout, by its own deadline', async () => {
    const job = await newJob({ 'replica-timeout': '1' });
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang', ignoresReplicaTimeout: true });
    const r = await bed.run({ 'job-name': job, start: 'true' });
    expect(r.exitCode).toBe(1);
    expect(r.errors[0]).toMatch(/did not finish within 11 s and was stopped/);
    expect(executions(job)[0]!.properties.status).toBe('Stopped');
  }, 30_000);
});
