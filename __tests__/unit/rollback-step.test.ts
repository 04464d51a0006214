import { describe, expect, it } from 'vitest';
import type { Job } from '@azure/arm-appcontainers';
import {
  imageAfterRollback,
  rollbackAfterFailure,
  rollbackDue,
  withNote,
  type RollbackStep,
} from '../../src/action/rollback.ts';
import type { DeployResult } from '../../src/job/deploy.ts';
import { baseConfig } from '../../test-support/config-fixture.ts';
import { FakeClock } from '../../test-support/fakes.ts';

const FAILURE =
  "Execution 'e1' of job 'alice-weather-job' ended Failed after 3 s: exit code 1.\nLast log lines:\n  boom";

function step(deployed: DeployResult | undefined, before: Job | undefined): RollbackStep {
  const api = {
    getJob: () => Promise.reject(new Error('no call to Azure expected')),
    updateJob: () => Promise.reject(new Error('no call to Azure expected')),
    listSecrets: () => Promise.reject(new Error('no call to Azure expected')),
  };
  return {
    config: baseConfig({ onFailure: 'rollback', start: true }),
    before,
    deployed,
    record: undefined,
    deps: { api, clock: new FakeClock(), info: () => undefined, warning: () => undefined },
  };
}

describe('the rollback step', () => {
  it('keeps the failure on the first line of the one error and the log lines after it', () => {
    expect(withNote(FAILURE, 'The job was rolled back: image a:1.')).toBe(
      "Execution 'e1' of job 'alice-weather-job' ended Failed after 3 s: exit code 1. The job was rolled back: image a:1.\nLast log lines:\n  boom",
    );
  });

  it('leaves a job this step created, says so, and calls nothing', async () => {
    const r = await rollbackAfterFailure(
      step({ operation: 'created', job: { location: 'x' }, changes: [] }, undefined),
      FAILURE.split('\n')[0]!,
    );
    expect(r.report.rolledBack).toBe(false);
    expect(r.message).toMatch(/ended Failed .* Not rolled back: job 'alice-weather-job' was created by this step/);
  });

  it('has nothing to put back when this step changed nothing', async () => {
    const r = await rollbackAfterFailure(
      step({ operation: 'unchanged', job: { location: 'x' }, changes: [] }, { location: 'x' }),
      'Failed.',
    );
    expect(r.message).toBe(
      "Failed. Not rolled back: this step did not change job 'alice-weather-job', so there is nothing to put back.",
    );
  });

  it('rolls back after failures and timeouts, not after a cancelled run', () => {
    expect(['Failed', 'Degraded', 'Stopped', 'TimedOut'].every((s) => rollbackDue(s as never))).toBe(true);
    expect(rollbackDue('Cancelled')).toBe(false);
    expect(rollbackDue('Succeeded')).toBe(false);
  });

  it("reports the target container's image from before as the image deployed after a rollback", () => {
    const before: Job = {
      location: 'x',
      template: {
        containers: [
          { name: 'side', image: 'side:1' },
          { name: 'main', image: 'app:1' },
        ],
      },
    };
    const deployed: DeployResult = {
      operation: 'updated',
      image: 'app:2',
      changes: [],
      job: {
        location: 'x',
        template: {
          containers: [
            { name: 'side', image: 'side:1' },
            { name: 'main', image: 'app:2' },
          ],
        },
      },
    };
    expect(imageAfterRollback(before, deployed)).toBe('app:1');
  });
});
