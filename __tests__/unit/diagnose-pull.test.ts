/**
 * An image pull that keeps failing ends the wait within two minutes of the first failure (not at the replica
 * timeout): the verdict from the evidence, and the logs' pull watch that reads the system events and signals
 * the status watch. Virtual time (FakeClock): the figures below are the clock's, not wall time.
 */
import { describe, expect, it } from 'vitest';
import { PULL_VERDICT_AFTER_MS, pullVerdict, type SystemEvent } from '../../src/execution/diagnose.ts';
import { PullWatch } from '../../src/logs/pull-watch.ts';
import { FakeClock } from '../../test-support/fakes.ts';

const failed = (atMs: number, count?: number): SystemEvent & { at: number } => ({
  at: atMs,
  reason: 'ImagePullFailure',
  type: 'Warning',
  message:
    'Failed to pull image "hyfregistry.azurecr.io/alice-weather-pipeline:1.2": rpc error: code = NotFound desc = failed to resolve reference: not found',
  ...(count !== undefined ? { count } : {}),
});

describe('pullVerdict', () => {
  it('one or two failed pulls are not yet a verdict; the third is', () => {
    const t0 = 1_000_000;
    expect(pullVerdict({ events: [failed(0)], firstSeenAt: t0 }, t0 + 5_000)).toBeUndefined();
    expect(pullVerdict({ events: [failed(0), failed(10)], firstSeenAt: t0 }, t0 + 15_000)).toBeUndefined();
    expect(pullVerdict({ events: [failed(0), failed(10), failed(30)], firstSeenAt: t0 }, t0 + 31_000)).toBe(
      'the image failed to pull 3 times in 31 s',
    );
  });

  it("counts an aggregated event's Count, and ignores other events", () => {
    expect(pullVerdict({ events: [failed(0, 4)] }, 0)).toBe('the image failed to pull 4 times');
    const pulling: SystemEvent = { reason: 'PullingImage', message: 'Pulling image "x"' };
    expect(pullVerdict({ events: [pulling, pulling, pulling] }, 0)).toBeUndefined();
  });

  it('a sign of a failed pull with no readable events: a verdict once it lasted 90 s', () => {
    expect(pullVerdict({ events: [], firstSeenAt: 0 }, PULL_VERDICT_AFTER_MS - 1)).toBeUndefined();
    expect(pullVerdict({ events: [], firstSeenAt: 0 }, PULL_VERDICT_AFTER_MS)).toBe(
      'the image has been failing to pull for 90 s',
    );
    expect(pullVerdict({ events: [] }, 10 * 60_000)).toBeUndefined();
  });
});

/** The kubelet's retries: failed pulls at 0, 10, 30, 70 s after `start`, as the event stream would list them. */
function kubelet(clock: FakeClock, start: number) {
  return async (): Promise<SystemEvent[]> =>
    [0, 10_000, 30_000, 70_000].filter((at) => start + at <= clock.now()).map((at) => failed(at));
}

function watch(clock: FakeClock, readEvents: () => Promise<SystemEvent[] | undefined>) {
  let wakeAt: number | undefined;
  let woken!: () => void;
  const wokeUp = new Promise<void>((r) => (woken = r));
  const pulls = new PullWatch({
    clock,
    readEvents,
    wake: () => {
      wakeAt = clock.now();
      woken();
    },
    debug: () => {},
  });
  return { pulls, wokeUp, wakeAt: () => wakeAt };
}

describe('PullWatch', () => {
  it('reads nothing before a sign, then wakes the watch with a verdict within two minutes of the first failure', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    let reads = 0;
    const read = kubelet(clock, t0);
    const w = watch(clock, () => {
      reads++;
      return read();
    });
    w.pulls.observe({ status: 'Running' });
    expect(reads).toBe(0);
    w.pulls.observe({
      status: 'Running',
      detailedStatus: {
        replicas: [
          { name: 'r', containers: [{ name: 'c', status: 'Waiting', additionalInformation: 'ImagePullBackOff' }] },
        ],
      },
    });
    await w.wokeUp;
    expect(w.pulls.verdict).toMatch(/^the image failed to pull 3 times in \d+ s$/);
    expect(w.wakeAt()! - t0).toBeGreaterThanOrEqual(30_000);
    expect(w.wakeAt()! - t0).toBeLessThanOrEqual(120_000);
    expect(w.pulls.events.length).toBeGreaterThanOrEqual(3);
    await w.pulls.close();
  });

  it('without events (no stream token), the waiting container alone gives the verdict after 90 s', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const w = watch(clock, async () => undefined);
    w.pulls.sign();
    await w.wokeUp;
    expect(w.pulls.verdict).toBe('the image has been failing to pull for 90 s');
    expect(w.wakeAt()! - t0).toBe(90_000);
  });

  it('a log stream refused because the container waits on its image is a sign too', async () => {
    const clock = new FakeClock();
    const w = watch(clock, kubelet(clock, clock.now()));
    w.pulls.observe({ status: 'Running' }, [
      { connected: false, waiting: 'container "c" in pod "r" is waiting to start: trying and failing to pull image' },
    ]);
    await w.wokeUp;
    expect(w.pulls.verdict).toMatch(/failed to pull 3 times/);
  });

  it('a container that starts (a late successful pull) ends the watch without a verdict', async () => {
    const clock = new FakeClock();
    const w = watch(clock, async () => [failed(0)]);
    w.pulls.sign();
    w.pulls.observe({
      status: 'Running',
      detailedStatus: { replicas: [{ name: 'r', containers: [{ name: 'c', status: 'Running' }] }] },
    });
    await w.pulls.close();
    expect(w.pulls.verdict).toBeUndefined();
  });
});
