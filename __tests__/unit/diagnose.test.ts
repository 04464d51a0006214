/**
 * Diagnosis of failed executions, from the evidence a user would otherwise dig out of the portal: container
 * states and exit codes, reason/message, the platform's system events and the last log lines.
 */
import type { Job, JobExecution } from '@azure/arm-appcontainers';
import { describe, expect, it } from 'vitest';
import { diagnose, type Evidence } from '../../src/execution/diagnose.ts';
import { exitInfo, type Outcome } from '../../src/execution/execution.ts';
import type { SystemEvent } from '../../src/logs/stream.ts';

const NAME = 'weather-abc1234';
const REPLICA = `${NAME}-r0a1b`;

function outcome(status: Outcome['status'], execution: JobExecution): Outcome {
  return {
    status,
    execution,
    ...exitInfo(execution),
    reason: execution.reason,
    message: execution.message,
    durationSec: 12,
  };
}

function job(
  registries: NonNullable<Job['configuration']>['registries'] = [],
  extra: Partial<NonNullable<Job['configuration']>> = {},
): Job {
  return {
    location: 'eastus',
    configuration: { triggerType: 'Manual', replicaTimeout: 300, registries, ...extra },
    template: {
      containers: [{ name: 'weather', image: 'myacr.azurecr.io/weather:1.2', resources: { cpu: 0.5, memory: '1Gi' } }],
    },
  };
}

function evidence(o: Partial<Evidence> & { lines?: string[] } = {}): Evidence {
  return {
    job: o.job ?? job(),
    events: o.events ?? [],
    tailOf: (key, n) => (key === `${REPLICA}/weather` ? (o.lines ?? []).slice(-n) : []),
    waiting: o.waiting ?? [],
  };
}

const pullFailed = (detail: string): SystemEvent => ({
  reason: 'ImagePullFailure',
  type: 'Warning',
  replica: REPLICA,
  message: `Failed to pull image "myacr.azurecr.io/weather:1.2": ${detail}`,
});

const waitingExec: JobExecution = {
  status: 'Failed',
  reason: 'DeadlineExceeded',
  message: 'Job was active longer than specified deadline',
  detailedStatus: {
    replicas: [
      { name: REPLICA, containers: [{ name: 'weather', status: 'Failed', additionalInformation: 'ImagePullBackOff' }] },
    ],
  },
};

describe('diagnose: images that cannot be pulled', () => {
  it('a wrong name or tag', () => {
    const d = diagnose(
      outcome('Failed', waitingExec),
      'weather',
      NAME,
      360,
      evidence({ events: [pullFailed('rpc error: code = NotFound desc = failed to resolve reference: not found')] }),
    );
    expect(d.kind).toBe('image-pull');
    expect(d.message).toBe(
      "Execution 'weather-abc1234' of job 'weather' ended Failed after 12 s: the image 'myacr.azurecr.io/weather:1.2' could not be pulled: it was not found in registry 'myacr.azurecr.io'; check the image name and tag (inputs 'image' / 'image-tag') and that it was pushed (Azure: DeadlineExceeded, Job was active longer than specified deadline).",
    );
  });

  it('a registry the job has no credentials for', () => {
    const d = diagnose(
      outcome('Failed', waitingExec),
      'weather',
      NAME,
      360,
      evidence({ events: [pullFailed('401 Unauthorized')] }),
    );
    expect(d.message).toMatch(
      /registry 'myacr\.azurecr\.io' refused it and the job has no credentials for that registry; set 'registry-identity' to an identity with the AcrPull role/,
    );
  });

  it('an identity without AcrPull, and a wrong password', () => {
    const id = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/puller';
    const withIdentity = evidence({
      job: job([{ server: 'myacr.azurecr.io', identity: id }]),
      events: [pullFailed('failed to authorize: 401 Unauthorized')],
    });
    expect(diagnose(outcome('Failed', waitingExec), 'weather', NAME, 360, withIdentity).message).toMatch(
      /registry 'myacr\.azurecr\.io' refused identity 'puller'; grant it the AcrPull role on the registry/,
    );
    const withUser = evidence({
      job: job([{ server: 'myacr.azurecr.io', username: 'myacr', passwordSecretRef: 'pw' }]),
      events: [pullFailed('unauthorized: authentication required')],
    });
    expect(diagnose(outcome('Failed', waitingExec), 'weather', NAME, 360, withUser).message).toMatch(
      /refused user 'myacr'; check 'registry-username' and 'registry-password'/,
    );
  });

  it("also when the action's own timeout ended the wait, and from the stream's answer alone", () => {
    const d = diagnose(
      { ...outcome('TimedOut', { status: 'Running' }), stoppedByAction: true },
      'weather',
      NAME,
      60,
      evidence({
        waiting: [
          {
            replica: REPLICA,
            container: 'weather',
            detail: 'container "weather" in pod "x" is waiting to start: trying and failing to pull image',
          },
        ],
      }),
    );
    expect(d.message).toBe(
      "Execution 'weather-abc1234' of job 'weather' did not finish within 60 s and was stopped: the image 'myacr.azurecr.io/weather:1.2' could not be pulled; check the image reference and the registry settings.",
    );
  });
});

describe('diagnose: containers that ran', () => {
  const failed = (code: number, info = 'Error', extra: Partial<JobExecution> = {}): JobExecution => ({
    status: 'Failed',
    reason: 'BackoffLimitExceeded',
    message: 'Job has reached the specified backoff limit',
    detailedStatus: {
      replicas: [
        { name: REPLICA, containers: [{ name: 'weather', status: 'Failed', code, additionalInformation: info }] },
      ],
    },
    ...extra,
  });

  it('a non-zero exit, with its last log lines and whether every retry failed', () => {
    const lines = ['a', 'b', 'c', 'd', 'Traceback (most recent call last):', 'ValueError: bad date'];
    const d = diagnose(
      outcome('Failed', failed(2)),
      'weather',
      NAME,
      360,
      evidence({ lines, job: job([], { replicaRetryLimit: 2 }) }),
    );
    expect(d.kind).toBe('exit');
    expect(d.message).toBe(
      [
        `Execution 'weather-abc1234' of job 'weather' ended Failed after 12 s: container ${REPLICA}/weather exited with code 2 (Azure: BackoffLimitExceeded, Job has reached the specified backoff limit). Azure's reason BackoffLimitExceeded: the container exited with an error on every try (3 tries: replica-retry-limit 2).`,
        `Last log lines of ${REPLICA}/weather:`,
        '  b',
        '  c',
        '  d',
        '  Traceback (most recent call last):',
        '  ValueError: bad date',
      ].join('\n'),
    );
  });

  it('out of memory', () => {
    const d = diagnose(outcome('Failed', failed(137, 'OOMKilled')), 'weather', NAME, 360, evidence());
    expect(d.kind).toBe('oom');
    expect(d.message).toMatch(
      /container .*\/weather ran out of memory \(exit code 137, OOMKilled\) with 1Gi per replica; raise input 'memory'/,
    );
    // 137 alone is not enough (a stop or a deadline kill is 137 too), an OOM event is
    const byEvent = diagnose(
      outcome('Failed', failed(137)),
      'weather',
      NAME,
      360,
      evidence({
        events: [
          {
            replica: REPLICA,
            message: "Container 'weather' was terminated with exit code '137' and reason 'OOMKilled'",
          },
        ],
      }),
    );
    expect(byEvent.kind).toBe('oom');
    expect(diagnose(outcome('Failed', failed(137)), 'weather', NAME, 360, evidence()).kind).toBe('exit');
  });

  it('the replica timeout', () => {
    const e = failed(137, 'DeadlineExceeded', {
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    });
    const d = diagnose(outcome('Failed', e), 'weather', NAME, 360, evidence({ lines: ['still working'] }));
    expect(d.kind).toBe('deadline');
    expect(d.message).toMatch(
      /the replica ran longer than input 'replica-timeout' \(300 s\) and Azure stopped it \(Azure: DeadlineExceeded, .*\); raise 'replica-timeout' if the job needs longer, or find what hangs\.\nLast log lines of .*\n {2}still working$/,
    );
  });

  it('keeps the plain sentence when there is nothing more to say', () => {
    const stopped = diagnose(outcome('Stopped', { status: 'Stopped' }), 'weather', NAME, 360, evidence());
    expect(stopped).toEqual({
      kind: 'other',
      message: "Execution 'weather-abc1234' of job 'weather' was stopped after 12 s.",
    });
  });
});
