/**
 * Reliability under faults, end to end: cancellation, transient and persistent Azure faults, a start whose answer
 * is lost, failed long-running operations, api-version fallback and executions stuck in Running.
 *
 * Part of the reliability suite (split for parallel runs): api-version fallback and executions stuck in Running.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_APP_API_VERSIONS } from '../../standin/index.ts';
import { quickLro, suiteBed } from '../../test-support/e2e-suite.ts';

const bed = suiteBed('rel-job', quickLro());
const { newJob, executions } = bed;

describe('faults', () => {
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
