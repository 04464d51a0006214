/**
 * The watch ends the wait when the logs signal a verdict (an image pull that keeps failing): it stops the
 * execution, says why, and the diagnosis says what to fix. Virtual time (FakeClock).
 */
import type { Job } from '@azure/arm-appcontainers';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/execution/diagnose.ts';
import { watchExecution, type WatchOptions } from '../../src/execution/execution.ts';
import { FakeClock, FakeJobApi } from '../../test-support/fakes.ts';

function setup(verdictAfterMs: number | undefined, failStop = false) {
  const clock = new FakeClock();
  const api = new FakeJobApi(clock);
  api.nextScript = { durationMs: 600_000, outcome: 'Failed', reason: 'DeadlineExceeded' };
  if (failStop)
    api.stopExecution = async () => {
      throw new Error('Service Unavailable');
    };
  const lines: string[] = [];
  const started = clock.now();
  const options: WatchOptions = {
    clock,
    log: { info: (m) => lines.push(m), warning: (m) => lines.push(`warning: ${m}`), debug: () => undefined },
    timeoutSec: 660,
    onTimeout: 'stop',
    stopOnCancel: true,
    verdict: () =>
      verdictAfterMs !== undefined && clock.now() - started >= verdictAfterMs
        ? 'the image failed to pull 3 times in 30 s'
        : undefined,
  };
  return { clock, api, lines, options, started };
}

describe('watchExecution: a verdict from the logs', () => {
  it('stops the execution at the first status read after the verdict, not at the timeout', async () => {
    const { api, clock, lines, options, started } = setup(30_000);
    const { name } = await api.startExecution();
    const outcome = await watchExecution(api, name, options);
    expect(outcome).toMatchObject({
      status: 'Stopped',
      stoppedByAction: true,
      endedEarly: 'the image failed to pull 3 times in 30 s',
    });
    expect(api.calls.filter((c) => c === 'stopExecution')).toHaveLength(1);
    expect(clock.now() - started).toBeLessThan(40_000);
    expect(lines).toContain(
      `Execution ${name}: the image failed to pull 3 times in 30 s: stopping it instead of waiting for the replica timeout.`,
    );
  });

  it('without a verdict the watch waits as before', async () => {
    const { api, options } = setup(undefined);
    const { name } = await api.startExecution();
    const outcome = await watchExecution(api, name, options);
    expect(outcome.status).toBe('Failed');
    expect(outcome.endedEarly).toBeUndefined();
  });

  it('a stop that fails leaves the outcome Running, so that the post step stops it', async () => {
    const { api, options } = setup(10_000, true);
    const { name } = await api.startExecution();
    const outcome = await watchExecution(api, name, options);
    expect(outcome).toMatchObject({ status: 'Running', stoppedByAction: false });
  });
});

describe('diagnose: the early end', () => {
  const job: Job = {
    location: 'eastus',
    configuration: { triggerType: 'Manual', replicaTimeout: 600 },
    template: { containers: [{ name: 'weather', image: 'hyfregistry.azurecr.io/weather:nope' }] },
  };
  it('says the action stopped it early, why, and the fix', () => {
    const d = diagnose(
      {
        status: 'Stopped',
        stoppedByAction: true,
        durationSec: 34,
        endedEarly: 'the image failed to pull 3 times in 30 s',
      },
      'weather',
      'weather-abc1234',
      660,
      {
        job,
        events: [
          {
            reason: 'ImagePullFailure',
            message:
              'Failed to pull image "hyfregistry.azurecr.io/weather:nope": rpc error: code = NotFound desc = failed to resolve reference: not found',
          },
        ],
        tailOf: () => [],
        waiting: [],
      },
    );
    expect(d).toEqual({
      kind: 'image-pull',
      message:
        "Execution 'weather-abc1234' of job 'weather' was stopped after 34 s because the image failed to pull 3 times in 30 s, not left to wait for the replica timeout (600 s): the image 'hyfregistry.azurecr.io/weather:nope' could not be pulled: it was not found in registry 'hyfregistry.azurecr.io'; check the image name and tag (inputs 'image' / 'image-tag') and that it was pushed.",
    });
  });
});
