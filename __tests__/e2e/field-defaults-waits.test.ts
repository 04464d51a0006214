/**
 * The bundled action against the stand-in's field defaults, untouched (standin/README.md): a region that lists
 * api-versions up to 2026-01-01, executions without detailedStatus, operations without Retry-After that take a
 * while, a suspended job the action cannot see as such, and a role still propagating.
 *
 * Part of the field-defaults suite (split in files so that no file holds the parallel run back): waits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, type Bed } from '../../test-support/e2e.ts';

const IMAGE = 'mcr.microsoft.com/k8se/quickstart-jobs:latest';
let bed: Bed;
let seq = 0;

beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.close();
});

describe('an execution Azure reports as Unknown for a while', () => {
  it('keeps waiting through Unknown and reports the real end', async () => {
    const job = `fd-job-${++seq}`;
    expect((await bed.run({ 'job-name': job, environment: bed.world.environment, image: IMAGE })).errors).toEqual([]);
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, {
      durationMs: 9000,
      unknown: { afterMs: 500, forMs: 6000 },
    });
    const r = await bed.run({ 'job-name': job, start: 'true', logs: 'false' });
    expect(r.errors).toEqual([]);
    expect(r.outputs['execution-status']).toBe('Succeeded');
    expect(r.log).toMatch(/Unknown/);
    expect(bed.standIn.arm.listExecutions(bed.world.resourceGroup, job)).toHaveLength(1);
  }, 60_000);
});

describe('a long-running operation without Retry-After (as recorded since 2024)', () => {
  it('is polled with a backoff (1, 2, 4 … s), not every second, and the update completes', async () => {
    const job = `fd-job-${++seq}`;
    expect((await bed.run({ 'job-name': job, environment: bed.world.environment, image: IMAGE })).errors).toEqual([]);
    bed.standIn.arm.setLro({ durationMs: 6500, inProgressPolls: 0, retryAfterSec: null });
    try {
      const r = await bed.run({ 'job-name': job, tags: 'team=data' });
      expect(r.errors).toEqual([]);
      expect(r.outputs['job-operation']).toBe('updated');
      const patch = r.arm.findIndex((q) => q.method === 'PATCH' && q.status === 202);
      expect(patch).toBeGreaterThanOrEqual(0);
      const polls = r.arm
        .slice(patch + 1)
        .filter((q) => q.method === 'GET' && /OperationResults|operationStatuses/i.test(q.path));
      // 6.5 s of provisioning: polled at about 1, 3 and 7 s; one poll a second would have taken seven.
      expect(polls.length).toBeGreaterThanOrEqual(2);
      expect(polls.length).toBeLessThanOrEqual(4);
    } finally {
      bed.standIn.arm.setLro({ durationMs: 1000, inProgressPolls: 2 });
    }
  }, 60_000);
});
