/**
 * Real Azure, not our model of it: the bundled action against answers the field shows (field-evidence.md):
 * answers cut off mid-body, 429 without Retry-After, paging, and an
 * api-version whose executions carry no detailedStatus.
 *
 * Part of the field-azure suite (split in files so that no file holds the parallel run back).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_APP_API_VERSIONS } from '../../standin/index.ts';
import { quickLro, suiteBed } from '../../test-support/e2e-suite.ts';

const bed = suiteBed('field-job', quickLro());
const { newJob } = bed;

describe('transport faults and paging', () => {
  it('retries answers cut off mid-body and 429s without Retry-After; follows nextLink to reconcile a lost start', async () => {
    const job = await newJob();
    const { arm, faults } = bed.standIn;
    arm.scriptExecutions(bed.world.resourceGroup, job, { durationMs: 100 }, { durationMs: 100 }, { durationMs: 800 });
    for (let i = 0; i < 2; i++) expect((await bed.run({ 'job-name': job, start: 'true' })).errors).toEqual([]);
    arm.executionsPageSize = 1;
    try {
      faults.add({ host: 'arm', method: 'GET', path: new RegExp(`/jobs/${job}$`), kind: 'drop-mid-body' });
      faults.add({ host: 'arm', method: 'GET', path: /\/executions\/[^/]+$/, kind: 'drop-mid-body' });
      faults.add({
        host: 'arm',
        method: 'PATCH',
        kind: 'raw',
        status: 429,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'TooManyRequests', message: 'The request is being throttled.' } }),
      });
      faults.dropAfter({ host: 'arm', method: 'POST', path: /\/start$/ });
      const r = await bed.run({ 'job-name': job, 'image-tag': 'v2', start: 'true' });
      expect(r.errors).toEqual([]);
      expect(r.outputs['execution-status']).toBe('Succeeded');
      expect(faults.active).toEqual([]);
      expect(r.log).not.toMatch(/pars(e|ing)/i);
      expect(r.log).toMatch(/was started by that request; following it/);
      // Three executions, one per page: the reconciliation read every page.
      expect(arm.listExecutions(bed.world.resourceGroup, job)).toHaveLength(3);
      expect(r.arm.filter((q) => q.method === 'GET' && q.path.endsWith('/executions')).length).toBeGreaterThanOrEqual(
        3,
      );
    } finally {
      arm.executionsPageSize = 100;
    }
  });
});

describe('api-versions without detailedStatus', () => {
  it('takes the exit code from the system events when the executions carry no detailedStatus', async () => {
    const job = await newJob();
    bed.standIn.arm.setApiVersions(['2023-11-02-preview', '2024-03-01', '2025-01-01', '2025-07-01', '2026-01-01']);
    try {
      bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, {
        durationMs: 600,
        outcome: 'Failed',
        exitCode: 3,
      });
      const r = await bed.run({ 'job-name': job, start: 'true' });
      expect(r.exitCode).toBe(1);
      expect(r.outputs['execution-status']).toBe('Failed');
      expect(r.outputs['exit-code']).toBe('3');
      expect(r.errors[0]).toMatch(/exited with code 3/);
    } finally {
      bed.standIn.arm.setApiVersions(DEFAULT_APP_API_VERSIONS);
    }
  });
});
