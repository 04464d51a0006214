/**
 * Azure's reason codes in plain words: what happened and what to change, in the step's error.
 */
import type { Job, JobExecution } from '@azure/arm-appcontainers';
import { describe, expect, it } from 'vitest';
import { diagnose, type Evidence } from '../../src/execution/diagnose.ts';
import { exitInfo, type Outcome } from '../../src/execution/execution.ts';
import { explainReason } from '../../src/execution/reasons.ts';

const NAME = 'weather-abc1234';
const REPLICA = `${NAME}-r0a1b`;

const job = (extra: Partial<NonNullable<Job['configuration']>> = {}): Job => ({
  location: 'eastus',
  configuration: { triggerType: 'Manual', replicaTimeout: 300, ...extra },
  template: { containers: [{ name: 'weather', image: 'x', resources: { cpu: 0.5, memory: '1Gi' } }] },
});

const evidence = (j: Job): Evidence => ({ job: j, events: [], tailOf: () => [], waiting: [] });

function outcome(execution: JobExecution): Outcome {
  return { status: 'Failed', execution, ...exitInfo(execution), reason: execution.reason, message: execution.message };
}

describe('explainReason', () => {
  it('BackoffLimitExceeded with and without retries', () => {
    expect(explainReason('BackoffLimitExceeded', { job: job({ replicaRetryLimit: 0 }) })).toBe(
      'the container exited with an error and the job allows no retries (replica-retry-limit 0)',
    );
    expect(explainReason('BackoffLimitExceeded', { job: job() })).toMatch(/no retries \(replica-retry-limit 0\)/);
    expect(explainReason('BackoffLimitExceeded', { job: job({ replicaRetryLimit: 2 }) })).toBe(
      'the container exited with an error on every try (3 tries: replica-retry-limit 2)',
    );
  });

  it('DeadlineExceeded, OOMKilled and the pull and start codes', () => {
    expect(explainReason('DeadlineExceeded', { job: job() })).toBe(
      'the replica ran longer than replica-timeout 300 s and was stopped: raise replica-timeout or find what hangs',
    );
    expect(explainReason('OOMKilled', { memory: '1Gi' })).toMatch(
      /more memory than its limit \(memory 1Gi\).*raise memory/,
    );
    for (const code of ['ImagePullFailure', 'ImagePullBackOff', 'ErrImagePull'])
      expect(explainReason(code)).toMatch(/could not pull the container image/);
    expect(explainReason('CreateContainerConfigError')).toMatch(/secretref: to a secret the job does not have/);
    expect(explainReason('ContainerCannotRun')).toMatch(/check command and args/);
    expect(explainReason('Completed')).toBeUndefined();
    expect(explainReason(undefined)).toBeUndefined();
  });
});

describe('diagnose: the reason in plain words', () => {
  it('a failed exit with no retries says so in one sentence after the code', () => {
    const e: JobExecution = {
      status: 'Failed',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
      detailedStatus: { replicas: [{ name: REPLICA, containers: [{ name: 'weather', code: 2, status: 'Failed' }] }] },
    };
    expect(diagnose(outcome(e), 'weather', NAME, 360, evidence(job({ replicaRetryLimit: 0 }))).message).toBe(
      `Execution '${NAME}' of job 'weather' ended Failed: container ${REPLICA}/weather exited with code 2 (Azure: BackoffLimitExceeded, Job has reached the specified backoff limit). Azure's reason BackoffLimitExceeded: the container exited with an error and the job allows no retries (replica-retry-limit 0).`,
    );
  });

  it('a reason without an exit code (API versions before detailedStatus) still gets its sentence', () => {
    const e: JobExecution = { status: 'Failed', reason: 'BackoffLimitExceeded' };
    expect(diagnose(outcome(e), 'weather', NAME, 360, evidence(job())).message).toMatch(
      /reason BackoffLimitExceeded\. See its logs in the portal \(link in the summary\)\. Azure's reason BackoffLimitExceeded: the container exited with an error and the job allows no retries/,
    );
  });

  it('the replica timeout names the setting and the two ways out', () => {
    const e: JobExecution = {
      status: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    };
    expect(diagnose(outcome(e), 'weather', NAME, 360, evidence(job({ replicaTimeout: 120 }))).message).toBe(
      `Execution '${NAME}' of job 'weather' ended Failed: the replica ran longer than input 'replica-timeout' (120 s) and Azure stopped it (Azure: DeadlineExceeded, Job was active longer than specified deadline); raise 'replica-timeout' if the job needs longer, or find what hangs.`,
    );
  });
});
