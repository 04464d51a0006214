/**
 * An image pull that keeps failing, seen while the execution runs: a signal from the logs to the status watch.
 *
 * Nothing is read until there is a sign of a failed pull (a container waiting on its image in the replica list,
 * a log stream refused with "trying and failing to pull image", a status naming ImagePullBackOff / ErrImagePull).
 * Then the job's system events are read every few seconds (the log-stream host, not ARM: no read quota) until
 * `pullVerdict` says the failure is not passing; the verdict wakes the watch, which stops the execution. A
 * container that starts ends the watch for good (a pull that succeeded late, e.g. after AcrPull propagated).
 */
import type { JobExecution } from '@azure/arm-appcontainers';
import type { Clock } from '../common/clock.js';
import { pullVerdict, type SystemEvent } from '../execution/diagnose.js';

/** Between two reads of the system events while a pull fails. */
export const PULL_EVENTS_EVERY_MS = 5_000;

export interface PullWatchOptions {
  clock: Clock;
  /** This execution's system events so far; undefined when they cannot be read (no stream token yet). */
  readEvents(signal: AbortSignal): Promise<SystemEvent[] | undefined>;
  /** Wakes the status watch, so that it reads the verdict at once. */
  wake(): void;
  debug(message: string): void;
  intervalMs?: number;
}

const PULL_STATE = /ImagePull|ErrImagePull/i;

export class PullWatch {
  /** Why the wait should end now; set once. */
  verdict: string | undefined;
  /** The system events last read. */
  events: SystemEvent[] = [];
  private firstSeenAt: number | undefined;
  private loop: Promise<void> | undefined;
  private readonly stop = new AbortController();
  private readonly o: PullWatchOptions;

  constructor(options: PullWatchOptions) {
    this.o = options;
  }

  /** A sign that a container cannot pull its image: starts watching. */
  sign(): void {
    if (this.stop.signal.aborted || this.verdict) return;
    this.firstSeenAt ??= this.o.clock.now();
    this.loop ??= this.run();
  }

  /**
   * Each status read, with the log streams seen: a container waiting on its image (in the status or the replica
   * list) is a sign; a container that runs (or a stream that connected) ends the watch.
   */
  observe(execution: JobExecution, streams: readonly { connected: boolean; waiting?: string }[] = []): void {
    const containers = (execution.detailedStatus?.replicas ?? []).flatMap((r) => r.containers ?? []);
    if (
      streams.some((s) => s.connected) ||
      containers.some((c) => /^(running|succeeded|completed)$/i.test(c.status ?? ''))
    )
      this.started();
    else if (
      streams.some((s) => s.waiting !== undefined) ||
      containers.some((c) => PULL_STATE.test(`${c.additionalInformation ?? ''} ${c.status ?? ''}`))
    )
      this.sign();
  }

  /** A container started: its image was pulled; nothing more to watch. */
  started(): void {
    if (!this.verdict) this.stop.abort();
  }

  /** Stops reading (after the watch). */
  async close(): Promise<void> {
    this.stop.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { clock } = this.o;
    while (!this.stop.signal.aborted && !this.verdict) {
      try {
        const events = await this.o.readEvents(this.stop.signal);
        if (events) this.events = events;
      } catch (error) {
        if (this.stop.signal.aborted) return;
        this.o.debug(
          `Pull watch: could not read the system events: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      if (this.stop.signal.aborted) return;
      const verdict = pullVerdict({ events: this.events, firstSeenAt: this.firstSeenAt }, clock.now());
      if (verdict) {
        this.verdict = verdict;
        this.o.wake();
        return;
      }
      await clock.sleep(this.o.intervalMs ?? PULL_EVENTS_EVERY_MS, this.stop.signal);
    }
  }
}
