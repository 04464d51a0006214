/**
 * on-failure: rollback under faults on its own write: throttled, dropped after Azure acted, refused while another
 * operation runs. The job ends exactly as before (secrets with their values), never half-written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, type Bed } from '../../test-support/e2e.ts';
import { quickLro } from '../../test-support/e2e-suite.ts';
import { rollbackBed } from '../../test-support/rollback-bed.ts';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed(quickLro());
});
afterAll(async () => {
  await bed?.close();
});
const { liveJob, shape, seedJob, failingDeploy } = rollbackBed(() => bed, 'rbf-job');

describe('on-failure: rollback under faults on its own write', () => {
  const cases: [string, () => void][] = [
    ['throttled (429)', () => bed.standIn.faults.throttle({ host: 'arm', method: 'PATCH', skip: 1 }, 1)],
    ['dropped after Azure acted', () => bed.standIn.faults.dropAfter({ host: 'arm', method: 'PATCH', skip: 1 })],
    [
      'refused with 409 (another operation in progress)',
      () =>
        bed.standIn.faults.add({
          host: 'arm',
          method: 'PATCH',
          skip: 1,
          times: 2,
          kind: 'status',
          status: 409,
          code: 'ContainerAppLockConflict',
          message:
            'Cannot modify container App because another modification is in progress. Please retry the operation.',
        }),
    ],
  ];
  for (const [label, inject] of cases) {
    it(`puts the job back whole, secrets included, when the rollback's PATCH is ${label}`, async () => {
      const name = await seedJob();
      const before = shape(name);
      inject();
      try {
        const r = await failingDeploy(name);
        expect(bed.standIn.faults.active.every((f) => f.remaining === 0)).toBe(true);
        // A lost or busy answer is settled by reading the job back, not by writing blindly again.
        if (!label.startsWith('throttled'))
          expect(r.log).toMatch(/reading the job back in \d+ s to see whether it was written/);
        expect(r.outputs['rolled-back']).toBe('true');
        expect(r.errors).toEqual([expect.stringMatching(/The job was rolled back: .*image/)]);
        expect(shape(name)).toEqual(before);
        expect(liveJob(name).properties.provisioningState).toBe('Succeeded');
      } finally {
        bed.standIn.faults.clear();
      }
    });
  }
});
