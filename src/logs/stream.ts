/**
 * A job's logs in the workflow log.
 *
 * While the execution runs (`LiveLogs`): the replicas' console output is streamed from the environment's
 * log-stream host, a collapsible group per replica/container, with timestamps. Streams that drop are
 * reopened; the replayed tail is deduplicated by timestamp so no line prints twice; replicas that appear
 * late, retry or run in parallel each get their stream. Parallel streams cannot share the log live: the first
 * one prints as it comes, the others are held and printed as their own group when it ends. The end of a
 * replica's stream wakes the status watch (`Waker`), so the end of the execution is seen sooner, and while
 * streams are open the watch reads the status less often (`pacing`).
 *
 * After the execution (`fromLogAnalytics`): when nothing could be streamed, the console and system logs are
 * read from the environment's Log Analytics workspace, waiting a bounded time for late ingestion.
 *
 * Everything here is best effort: failures become debug lines or one warning, never the step's result.
 * Container output is untrusted: it is printed between `::stop-commands::` markers so that a line cannot run
 * a workflow command, each line prefixed with its timestamp.
 */
import { gzipSync } from 'node:zlib';
import type { JobExecution } from '@azure/arm-appcontainers';
import type { Clock } from '../common/clock.js';
import { plainText } from '../common/text.js';
import { capLine, LineSplitter, printUntrusted } from '../common/untrusted.js';
import { pollDelay, type Logger } from '../execution/execution.js';
import type { SystemEvent } from '../execution/diagnose.js';

export type { SystemEvent };
import { HttpError, type LogsApi, type LogTable, type ReplicaInfo } from '../azure/logs-api.js';

/** Past lines a (re)connected stream replays (the service's maximum, as the CLI's --tail 0-300 says). */
export const TAIL_LINES = 300;
/** Status reads while a log stream is open: a safety net, the stream's end wakes the watch first. */
export const STREAMING_POLL_MS = 15_000;
/** After a stream ended, the watch reads quickly again for this long (the status may lag the stream). */
const AFTER_WAKE_MS = 10_000;
/** Lines kept for the step summary. */
export const SUMMARY_TAIL_LINES = 50;
/** The longest wait between two tries of a log stream or its token while the execution runs. */
const MAX_RETRY_MS = 30_000;
/** Lines held per waiting parallel stream (beyond: dropped and counted). */
const MAX_HELD_LINES = 5_000;

// ---------------------------------------------------------------------------------------------------------------
// Lines

export interface LogLine {
  /** ISO 8601 UTC with 9 fractional digits, comparable as text; absent when the line has none. */
  ts?: string;
  stream?: 'stdout' | 'stderr';
  text: string;
}

// Linear on any input: the text after the prefix is sliced off, never matched by a backtracking `(.*)$`
// (a megabyte of spaces before a `\r` took minutes).
const TS_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)? +/;
const CRI_RE = /^(stdout|stderr) [FP] /;
/** The stream's own lines ("Connecting to the container 'x'...", as the portal shows them too). */
const META_RE = /^(Connecting to the container |Successfully Connected to container|No logs since )/;

/** One line of a console stream: `TIMESTAMP [stdout|stderr F ]text`. Undefined for the stream's own lines. */
export function parseStreamLine(raw: string): LogLine | undefined {
  const line = capLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
  const m = TS_RE.exec(line);
  if (!m) return { text: line };
  const rest = line.slice(m[0].length);
  if (META_RE.test(rest)) return undefined;
  let ts = `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}`;
  const zone = m[3];
  if (zone && zone !== 'Z') {
    const d = new Date(`${m[1]}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
    if (!Number.isNaN(d.getTime())) ts = `${d.toISOString().slice(0, 19)}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}`;
  }
  ts += 'Z';
  const cri = CRI_RE.exec(rest);
  return cri ? { ts, stream: cri[1] as 'stdout' | 'stderr', text: rest.slice(cri[0].length) } : { ts, text: rest };
}

/** How a line is shown: `2026-02-06T00:22:06.123Z text` (never starting with `::`). */
export function formatLine(line: LogLine): string {
  return line.ts ? `${line.ts.slice(0, 23)}Z ${line.text}` : `| ${line.text}`;
}

/**
 * Drops the lines a reconnected stream replays. Lines carry increasing timestamps; a replay repeats lines up
 * to the last one printed, so: older than the last printed timestamp, or as many at that timestamp as were
 * printed, were seen. Lines without a timestamp are remembered by text.
 */
export class LineDedupe {
  private lastTs = '';
  private atLast = 0;
  private seenAtLast = 0;
  private replaying = false;
  private readonly untimed = new Set<string>();

  /** A new connection of the same stream begins (its first lines replay the tail). */
  reconnect(): void {
    this.seenAtLast = 0;
    this.replaying = true;
  }

  accept(line: LogLine): boolean {
    if (!line.ts) {
      if (this.replaying && this.untimed.has(line.text)) return false;
      if (this.untimed.size > 2000) this.untimed.clear();
      this.untimed.add(line.text);
      return true;
    }
    if (line.ts < this.lastTs) return false;
    if (line.ts === this.lastTs) {
      this.seenAtLast++;
      if (this.seenAtLast <= this.atLast) return false;
      this.atLast++;
      return true;
    }
    this.lastTs = line.ts;
    this.atLast = 1;
    this.seenAtLast = 1;
    this.replaying = false;
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Printing

interface Held {
  title: string;
  held: string[];
  dropped: number;
  ended: boolean;
  printed: number;
}

/**
 * Prints container lines in one group per stream. Only one group can be open in a workflow log: the first
 * stream with lines prints live; lines of the others are held and printed, as their own group, when it ends.
 */
export class LogPrinter {
  private readonly out: (text: string) => void;
  private readonly streams = new Map<string, Held>();
  private readonly order: string[] = [];
  private active: string | undefined;
  private readonly recent: { key: string; line: string }[] = [];
  private readonly lastByKey = new Map<string, string[]>();
  /** Container lines printed (or held to print). */
  count = 0;

  private readonly mask: (text: string) => string;

  /** `mask` hides known secret values in container lines (the runner masks the log, not the summary). */
  constructor(out: (text: string) => void, mask: (text: string) => string = (t) => t) {
    this.out = out;
    this.mask = mask;
  }

  /** Declares a stream (its group title). */
  open(key: string, title: string): void {
    if (this.streams.has(key)) return;
    this.streams.set(key, { title, held: [], dropped: 0, ended: false, printed: 0 });
    this.order.push(key);
  }

  /** Lines of a stream, already formatted. */
  lines(key: string, raw: string[]): void {
    const s = this.streams.get(key);
    if (!s || raw.length === 0) return;
    if (s.ended) {
      // A stream that ended (its group closed) and came back, e.g. after a dropped connection.
      s.ended = false;
      if (!s.title.endsWith(' (continued)')) s.title += ' (continued)';
    }
    const lines = raw.map(this.mask);
    this.count += lines.length;
    for (const line of lines) this.recent.push({ key, line });
    const mine = [...(this.lastByKey.get(key) ?? []), ...lines].slice(-20);
    this.lastByKey.set(key, mine);
    if (this.recent.length > SUMMARY_TAIL_LINES * 4) this.recent.splice(0, this.recent.length - SUMMARY_TAIL_LINES);
    if (this.active === undefined) this.activate(key);
    if (this.active === key) {
      this.write(lines);
      s.printed += lines.length;
      return;
    }
    const room = Math.max(0, MAX_HELD_LINES - s.held.length);
    s.held.push(...lines.slice(0, room));
    s.dropped += Math.max(0, lines.length - room);
  }

  /** A line of the action's own about a stream (not a container line: not in the tail), printed in its group. */
  notice(key: string, text: string): void {
    const s = this.streams.get(key);
    if (!s) return;
    if (this.active === undefined) this.activate(key);
    if (this.active === key) this.out(text);
    else s.held.push(text);
  }

  /**
   * A stream ended (for now): closes its group, so that what follows is not hidden in it, and prints what the
   * next stream held. More lines of it later open a "(continued)" group.
   */
  end(key: string): void {
    const s = this.streams.get(key);
    if (!s) return;
    s.ended = true;
    if (this.active !== key) return;
    this.closeActive();
    for (const next of this.order) {
      const n = this.streams.get(next) as Held;
      if (n.held.length === 0 && n.dropped === 0) continue;
      this.activate(next);
      if (!n.ended) return;
      this.closeActive();
    }
  }

  /** Prints everything still held (at the end of the watch). */
  close(): void {
    if (this.active !== undefined) this.closeActive();
    for (const key of this.order) {
      const s = this.streams.get(key) as Held;
      if (s.held.length === 0 && s.dropped === 0) continue;
      this.activate(key);
      this.closeActive();
    }
  }

  /** The last lines, in arrival order; prefixed by their stream when there were several. */
  tail(n = SUMMARY_TAIL_LINES): string[] {
    const keys = new Set(this.recent.map((r) => r.key));
    return this.recent.slice(-n).map((r) => (keys.size > 1 ? `[${r.key}] ${r.line}` : r.line));
  }

  /** The last lines of one stream (for a diagnosis). */
  tailOf(key: string, n: number): string[] {
    return (this.lastByKey.get(key) ?? []).slice(-n);
  }

  get streamKeys(): string[] {
    return [...this.order];
  }

  private activate(key: string): void {
    const s = this.streams.get(key) as Held;
    this.active = key;
    this.out(`::group::${s.title}`);
    if (s.held.length > 0) {
      this.write(s.held);
      s.printed += s.held.length;
      s.held = [];
    }
    if (s.dropped > 0) {
      this.out(`(${s.dropped} more lines were not kept while another replica printed; see Log Analytics)`);
      s.dropped = 0;
    }
  }

  private closeActive(): void {
    this.active = undefined;
    this.out('::endgroup::');
  }

  private write(lines: string[]): void {
    // Container output must not run workflow commands: stopped around it, with a fresh token each time.
    printUntrusted(this.out, lines);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Waking the watch

/** Lets a stream's end cut the status watch's sleep short. */
export class Waker {
  private pending = false;
  private wakeUp: (() => void) | undefined;
  lastWakeAt: number | undefined;

  wake(at: number): void {
    this.lastWakeAt = at;
    this.pending = true;
    this.wakeUp?.();
  }

  /** Sleeps `ms` on `clock`, or less when woken (also by a wake that came before the sleep). */
  async sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return;
    }
    const local = new AbortController();
    const woke = new Promise<void>((resolve) => {
      this.wakeUp = () => {
        local.abort();
        resolve();
      };
    });
    const both = signal ? AbortSignal.any([signal, local.signal]) : local.signal;
    await Promise.race([clock.sleep(ms, both), woke]);
    this.wakeUp = undefined;
    this.pending = false;
    local.abort();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Live streaming

export interface LiveLogsOptions {
  api: LogsApi;
  execution: string;
  clock: Clock;
  printer: LogPrinter;
  log: Logger;
  /** Stream URL of a replica container when the replica list gives none. */
  streamUrl(replica: string, container: string): string | undefined;
  /** How many replicas run at once (parallelism), to know when to stop looking for more. */
  parallelism: number;
  /** Masks a credential before anything could print it (the log-stream token). */
  secret?(value: string): void;
}

export type LiveState = 'starting' | 'streaming' | 'denied' | 'unavailable' | 'stopped';

interface Tracked {
  key: string;
  replica: string;
  container: string;
  connected: boolean;
  done: boolean;
  /** Connections that succeeded. */
  connections: number;
  /** Earlier lines may be missing: a (re)connection replayed a full tail that did not overlap what was shown. */
  gap: boolean;
  /** The container never started (image pull failure). */
  waiting?: string;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const FINAL = new Set(['succeeded', 'failed', 'stopped', 'degraded']);

/** Streams an execution's replicas' console output while the watch runs. */
export class LiveLogs {
  readonly waker = new Waker();
  state: LiveState = 'starting';
  /** Why live logs could not be shown, for the one warning (a role to grant), if that is the reason. */
  permission: string | undefined;
  /** Problems worth a debug line. */
  readonly problems: string[] = [];
  /** Streams that connected at least once. */
  connectedStreams = 0;

  private readonly o: LiveLogsOptions;
  private readonly tracked = new Map<string, Tracked>();
  private readonly stop = new AbortController();
  private token: string | undefined;
  private last: JobExecution | undefined;
  private observers: (() => void)[] = [];
  private discoveryKick: (() => void) | undefined;
  private readonly tasks: Promise<void>[] = [];
  private main: Promise<void> | undefined;

  constructor(options: LiveLogsOptions) {
    this.o = options;
  }

  /** Starts following the replicas (by itself at the first status read that is not final). */
  start(): void {
    if (this.main) return;
    this.main = this.run().catch((error: unknown) => {
      this.problems.push(`live logs stopped: ${messageOf(error)}`);
    });
  }

  /** Whether the replicas were followed while the execution ran. */
  get started(): boolean {
    return this.main !== undefined;
  }

  /** The watch reports each status read here. */
  observe(execution: JobExecution): void {
    this.last = execution;
    if (!this.main && !this.stopped && !FINAL.has((execution.status ?? '').toLowerCase())) this.start();
    const waiting = this.observers;
    this.observers = [];
    for (const w of waiting) w();
  }

  /** At least one stream is connected right now. */
  streaming(): boolean {
    return [...this.tracked.values()].some((t) => t.connected);
  }

  /** Delay before the watch's next status read. */
  pacing(elapsedMs: number): number {
    const now = this.o.clock.now();
    const wokeAt = this.waker.lastWakeAt;
    if (wokeAt !== undefined && now - wokeAt < AFTER_WAKE_MS) return pollDelay(now - wokeAt);
    const base = pollDelay(elapsedMs);
    return this.streaming() ? Math.max(base, STREAMING_POLL_MS) : base;
  }

  /**
   * Replica/container streams seen, with whether their container never started, whether the stream ever
   * connected, and whether earlier lines may be missing from what was shown.
   */
  get streams(): {
    key: string;
    replica: string;
    container: string;
    waiting?: string;
    connected: boolean;
    gap: boolean;
  }[] {
    return [...this.tracked.values()].map((t) => ({
      key: t.key,
      replica: t.replica,
      container: t.container,
      ...(t.waiting !== undefined ? { waiting: t.waiting } : {}),
      connected: t.connections > 0,
      gap: t.gap,
    }));
  }

  /** The stream token, for reading the job's system events afterwards. */
  get streamToken(): string | undefined {
    return this.token;
  }

  /**
   * For an execution that ended before its replicas were followed (it ended by the first status read): reads
   * what its replicas printed, once, while they are still listed (they disappear soon after the end).
   */
  async catchUp(): Promise<void> {
    if (this.main || this.stopped) return;
    this.main = (async () => {
      if (!(await this.fetchToken())) return;
      try {
        const replicas = await this.o.api.listReplicas(this.o.execution);
        for (const r of replicas) {
          for (const c of r.containers) this.track(r.name, c.name, c.logStreamEndpoint, c.state, c.stateDetails, true);
        }
      } catch (error) {
        if (error instanceof HttpError && error.status === 403) {
          this.permission = `list the replicas of its executions (Microsoft.App/jobs/executions/read; ${error.code ?? 'AuthorizationFailed'})`;
          this.state = 'denied';
        } else {
          this.problems.push(`listing replicas failed: ${messageOf(error)}`);
        }
      }
    })();
    await this.main;
    await Promise.allSettled(this.tasks);
  }

  /** Lets open streams finish for up to `graceMs` (they end with their replica), then stops everything. */
  async finish(graceMs: number): Promise<void> {
    const deadline = this.o.clock.now() + graceMs;
    while (this.streaming() && this.o.clock.now() < deadline) {
      await this.o.clock.sleep(Math.min(100, deadline - this.o.clock.now()));
    }
    this.stop.abort();
    this.discoveryKick?.();
    for (const w of this.observers) w();
    this.observers = [];
    await Promise.allSettled([this.main, ...this.tasks]);
    if (this.state === 'starting' || this.state === 'streaming') this.state = 'stopped';
  }

  private get stopped(): boolean {
    return this.stop.signal.aborted;
  }

  private async run(): Promise<void> {
    if (!(await this.fetchToken(true))) return;
    this.state = 'streaming';
    let delay = 500;
    let pollsSinceKick = 6;
    while (!this.stopped) {
      let replicas: ReplicaInfo[] | undefined;
      try {
        replicas = await this.o.api.listReplicas(this.o.execution);
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof HttpError && error.status === 403) {
          this.permission = `list the replicas of its executions (Microsoft.App/jobs/executions/read; ${error.code ?? 'AuthorizationFailed'})`;
          this.state = 'denied';
          return;
        }
        // Not given up while the execution runs: the next look waits longer (up to 8 s, below).
        this.problems.push(`listing replicas failed: ${messageOf(error)}`);
      }
      for (const r of replicas ?? []) {
        for (const c of r.containers) this.track(r.name, c.name, c.logStreamEndpoint, c.state, c.stateDetails);
      }
      const live = [...this.tracked.values()].filter((t) => !t.done);
      const replicaCount = new Set(live.map((t) => t.replica)).size;
      // Look again soon while replicas are missing; otherwise when a stream ends (a retry may follow).
      // Look again soon while replicas are missing, or after a replica ended (a retry may follow);
      // otherwise rarely: the end of a stream kicks this loop.
      const missing = this.tracked.size === 0 || (live.length > 0 && replicaCount < this.o.parallelism);
      const afterEnd = live.length === 0 && pollsSinceKick < 6;
      const waitMs = missing || afterEnd ? delay : live.length === 0 ? 30_000 : 60_000;
      delay = Math.min(delay * 2, 8_000);
      pollsSinceKick++;
      if (await this.sleepOrKick(waitMs)) {
        delay = 500;
        pollsSinceKick = 0;
      }
    }
  }

  /** `persistent`: asks again, with backoff, until it works or the watch ends (else gives up after two tries). */
  private async fetchToken(persistent = false): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        // Not aborted by a stop: an ARM call in flight ends in milliseconds, and aborting one that is getting
        // its access token makes the SDK retry it for seconds.
        this.token = (await this.o.api.getStreamToken()).token;
        this.o.secret?.(this.token);
        return true;
      } catch (error) {
        if (this.stopped) return false;
        if (error instanceof HttpError && (error.status === 403 || error.status === 401)) {
          this.permission = `get a log-stream token for the job (Microsoft.App/jobs/getAuthToken/action; ${error.code ?? `HTTP ${error.status}`})`;
          this.state = 'denied';
          return false;
        }
        this.problems.push(`getAuthToken failed: ${messageOf(error)}`);
        if (attempt >= 2 && !persistent) {
          this.state = 'unavailable';
          return false;
        }
        await this.o.clock.sleep(Math.min(1000 * 2 ** (attempt - 1), MAX_RETRY_MS), this.stop.signal);
      }
    }
  }

  private sleepOrKick(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const local = new AbortController();
      this.discoveryKick = () => {
        local.abort();
        resolve(true);
      };
      void this.o.clock.sleep(ms, AbortSignal.any([local.signal, this.stop.signal])).then(() => {
        this.discoveryKick = undefined;
        resolve(false);
      });
    });
  }

  private track(
    replica: string,
    container: string,
    endpoint?: string,
    state?: string,
    details?: string,
    once = false,
  ): void {
    const key = `${replica}/${container}`;
    if (this.tracked.has(key)) return;
    const url = endpoint ?? this.o.streamUrl(replica, container);
    if (!url) return;
    const t: Tracked = { key, replica, container, connected: false, done: false, connections: 0, gap: false };
    this.tracked.set(key, t);
    this.o.printer.open(key, `Logs: ${replica} / ${container}`);
    if (state === 'Waiting' && /pull/i.test(details ?? '')) t.waiting = details;
    this.tasks.push(this.follow(t, url, once));
  }

  /** Whether the replica's container has finished, as the last status read says. */
  private containerDone(t: Tracked): boolean {
    const e = this.last;
    if (!e) return false;
    if (FINAL.has((e.status ?? '').toLowerCase())) return true;
    const c = e.detailedStatus?.replicas
      ?.find((r) => r.name === t.replica)
      ?.containers?.find((x) => x.name === t.container);
    return c !== undefined && !/^(running|waiting|pending)$/i.test(c.status ?? 'running');
  }

  /** Resolves at the next status read (or after `ms`). */
  private nextObservation(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.observers.push(resolve);
      void this.o.clock.sleep(ms, this.stop.signal).then(resolve);
    });
  }

  /** Follows one container's stream until its replica ended (`once`: reads what it printed, one time). */
  private async follow(t: Tracked, base: string, once = false): Promise<void> {
    const dedupe = new LineDedupe();
    const url = `${base}${base.includes('?') ? '&' : '?'}follow=${once ? 'false' : 'true'}&output=text&tailLines=${TAIL_LINES}`;
    let failures = 0;
    let quietReconnects = 0;
    let refreshedToken = false;
    let connections = 0;
    try {
      while (!this.stopped) {
        let printed = 0;
        let body: AsyncIterable<string>;
        try {
          body = await this.o.api.openStream(url, this.token as string, this.stop.signal);
        } catch (error) {
          if (this.stopped) return;
          if (error instanceof HttpError && error.status === 401 && !refreshedToken) {
            refreshedToken = true;
            if (!(await this.fetchToken())) return;
            continue;
          }
          if (error instanceof HttpError && error.status === 404) return; // the replica is gone
          if (error instanceof HttpError && error.status === 400 && /pull|waiting to start/i.test(error.message)) {
            t.waiting = error.message;
            return;
          }
          failures++;
          this.problems.push(`stream ${t.key}: ${messageOf(error)}`);
          // A stream that fails is tried again, less and less often, for as long as its container runs.
          if (once ? failures >= 4 : failures >= 4 && this.containerDone(t)) return;
          await this.o.clock.sleep(Math.min(250 * 2 ** (failures - 1), MAX_RETRY_MS), this.stop.signal);
          continue;
        }
        refreshedToken = false;
        failures = 0;
        connections++;
        t.connections = connections;
        if (connections === 1) this.connectedStreams++;
        else dedupe.reconnect();
        t.connected = true;
        const connectedAt = this.o.clock.now();
        // Lines older than the connection are the replayed tail; a full one that did not overlap what was shown
        // means earlier lines were lost (the service replays TAIL_LINES at most).
        const connectedIso = new Date(connectedAt).toISOString().slice(0, 23);
        let replayed = 0;
        let overlapped = false;
        const take = (raw: string, out: string[]): void => {
          const line = parseStreamLine(raw);
          if (!line) return;
          if (!dedupe.accept(line)) {
            overlapped = true;
            return;
          }
          if (line.ts !== undefined && line.ts.slice(0, 23) < connectedIso) replayed++;
          out.push(formatLine(line));
        };
        const splitter = new LineSplitter();
        try {
          for await (const chunk of body) {
            const out: string[] = [];
            for (const raw of splitter.push(chunk)) take(raw, out);
            if (!t.gap && !overlapped && replayed >= TAIL_LINES) {
              t.gap = true;
              this.o.printer.notice(
                t.key,
                `(Earlier lines of ${t.replica} / ${t.container} may be missing here: the log stream replays only its last ${TAIL_LINES} lines when it connects. Log Analytics has them all: see the query in the step summary.)`,
              );
            }
            printed += out.length;
            this.o.printer.lines(t.key, out);
          }
          const partial = splitter.end();
          if (partial) {
            const out: string[] = [];
            take(partial, out);
            this.o.printer.lines(t.key, out);
            printed += out.length;
          }
        } catch (error) {
          if (!this.stopped) this.problems.push(`stream ${t.key} dropped: ${messageOf(error)}`);
        } finally {
          t.connected = false;
        }
        this.o.printer.end(t.key);
        if (this.stopped || once) return;
        // The stream ended: most likely its replica did. Have the watch look now, then decide.
        this.waker.wake(this.o.clock.now());
        await this.nextObservation(5_000);
        if (this.stopped || this.containerDone(t)) return;
        // A stream that ends at once with nothing new, again and again, belongs to a replica that is gone while
        // the status lags; one that stayed open a while was closed by the service (idle): follow it again.
        const brief = this.o.clock.now() - connectedAt < 5_000;
        quietReconnects = printed === 0 && brief ? quietReconnects + 1 : 0;
        if (quietReconnects >= 3) return;
        await this.o.clock.sleep(250 * 2 ** quietReconnects, this.stop.signal);
      }
    } finally {
      t.done = true;
      this.o.printer.end(t.key);
      // A replica ended: a retry may come as a new replica.
      this.discoveryKick?.();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// System events

/** The job's event stream (JSON lines) reduced to this execution's events. */
export function parseEventStream(text: string, execution: string): SystemEvent[] {
  const out: SystemEvent[] = [];
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (!l.startsWith('{')) continue;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(l) as Record<string, unknown>;
    } catch {
      continue;
    }
    const msg = typeof e.Msg === 'string' ? e.Msg : '';
    const replica = typeof e.ReplicaName === 'string' ? e.ReplicaName : undefined;
    const exec = typeof e.ExecutionName === 'string' ? e.ExecutionName : undefined;
    const mine =
      exec === execution ||
      (replica !== undefined && replica.startsWith(`${execution}-`)) ||
      msg.includes(`job: ${execution},`);
    if (!mine) continue;
    out.push({
      message: msg,
      ...(typeof e.TimeStamp === 'string' ? { time: e.TimeStamp } : {}),
      ...(typeof e.Type === 'string' ? { type: e.Type } : {}),
      ...(typeof e.Reason === 'string' ? { reason: e.Reason } : {}),
      ...(replica !== undefined ? { replica } : {}),
      // A repeated event (the platform counts them): kept when it happened more than once.
      ...(typeof e.Count === 'number' && Number.isFinite(e.Count) && e.Count > 1 ? { count: e.Count } : {}),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Log Analytics

const quoteKql = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The console-log query for an execution (also offered in the summary, ready to paste). */
export function consoleQuery(jobName: string, execution: string, take = 1000): string {
  return [
    'ContainerAppConsoleLogs_CL',
    `| where ContainerJobName_s == ${quoteKql(jobName)} and ContainerGroupName_s startswith ${quoteKql(`${execution}-`)}`,
    '| project TimeGenerated, ContainerGroupName_s, ContainerName_s, Log_s',
    '| order by TimeGenerated desc',
    `| take ${take}`,
  ].join('\n');
}

export function systemQuery(jobName: string, execution: string): string {
  return [
    'ContainerAppSystemLogs_CL',
    `| where JobName_s == ${quoteKql(jobName)} and ExecutionName_s == ${quoteKql(execution)}`,
    '| project TimeGenerated, ReplicaName_s, Type_s, Reason_s, Log_s',
    '| order by TimeGenerated asc',
    '| take 500',
  ].join('\n');
}

function column(t: LogTable, name: string): number {
  return t.columns.indexOf(name);
}

export interface LogAnalyticsResult {
  /** Console lines by `replica/container`, oldest first, formatted. */
  console: Map<string, string[]>;
  events: SystemEvent[];
  /** ok: rows came; empty: nothing within the wait; denied / error: see `problem`. */
  state: 'ok' | 'empty' | 'denied' | 'error';
  problem?: string;
  waitedMs: number;
}

export interface LogAnalyticsOptions {
  api: LogsApi;
  workspaceId: string;
  jobName: string;
  execution: string;
  /** Execution start and end (ms), to bound the query and to know when ingestion caught up. */
  startedAt: number;
  endedAt: number;
  waitSec: number;
  clock: Clock;
  /** Whether system events are wanted too (a failed execution). */
  withEvents: boolean;
  pollMs?: number;
}

/**
 * Reads an execution's console lines (and system events) from Log Analytics, asking again until the system
 * events reach the execution's end (ingestion caught up) or `waitSec` passed.
 */
export async function fromLogAnalytics(o: LogAnalyticsOptions): Promise<LogAnalyticsResult> {
  const started = o.clock.now();
  const deadline = started + o.waitSec * 1000;
  const span = `${new Date(o.startedAt - 5 * 60_000).toISOString()}/${new Date(Math.max(o.endedAt, started) + 10 * 60_000).toISOString()}`;
  const result: LogAnalyticsResult = { console: new Map(), events: [], state: 'empty', waitedMs: 0 };
  let errors = 0;
  let asked = 0;
  for (;;) {
    try {
      const [con, sys] = await Promise.all([
        o.api.query(o.workspaceId, consoleQuery(o.jobName, o.execution), span),
        o.api.query(o.workspaceId, systemQuery(o.jobName, o.execution), span),
      ]);
      result.console = new Map();
      const [t, g, c, l] = ['TimeGenerated', 'ContainerGroupName_s', 'ContainerName_s', 'Log_s'].map((n) =>
        column(con, n),
      ) as [number, number, number, number];
      for (const row of [...con.rows].reverse()) {
        const key = `${plainText(row[g])}/${plainText(row[c])}`;
        const ts = plainText(row[t]);
        const line = formatLine({
          ...(ts ? { ts: ts.replace(/Z$/, '').padEnd(29, '0') + 'Z' } : {}),
          text: plainText(row[l]),
        });
        const list = result.console.get(key) ?? [];
        list.push(line);
        result.console.set(key, list);
      }
      const [st, sr, sty, sre, sl] = ['TimeGenerated', 'ReplicaName_s', 'Type_s', 'Reason_s', 'Log_s'].map((n) =>
        column(sys, n),
      ) as [number, number, number, number, number];
      result.events = sys.rows.map((row) => ({
        message: plainText(row[sl]),
        ...(row[st] ? { time: plainText(row[st]) } : {}),
        ...(row[sty] ? { type: plainText(row[sty]) } : {}),
        ...(row[sre] ? { reason: plainText(row[sre]) } : {}),
        ...(row[sr] ? { replica: plainText(row[sr]) } : {}),
      }));
      // Ingestion reached the end once the platform's end-of-run events are in: the job's completion, or the
      // exit of every replica seen (console lines are ingested alongside).
      const replicas = new Set(result.events.map((e) => e.replica).filter((r): r is string => !!r));
      const exited = new Set(result.events.filter((e) => /was terminated/i.test(e.message)).map((e) => e.replica));
      const caughtUp =
        result.events.some((e) => /Saw completed job/i.test(e.message)) ||
        (replicas.size > 0 && [...replicas].every((r) => exited.has(r)));
      if (result.console.size > 0 || result.events.length > 0) result.state = 'ok';
      if (caughtUp && (result.console.size > 0 || !o.withEvents || result.events.length > 0)) break;
    } catch (error) {
      if (error instanceof HttpError && (error.status === 403 || error.status === 401)) {
        result.state = 'denied';
        result.problem = `${error.code ?? `HTTP ${error.status}`}: ${error.message}`;
        break;
      }
      result.state = result.state === 'ok' ? 'ok' : 'error';
      result.problem = messageOf(error);
      // A bad query or a sign-in that failed will not get better by asking again; a flaky network might.
      errors++;
      if (
        error instanceof HttpError
          ? error.status === 400
          : /Authentication|Credential/i.test((error as Error).name ?? '')
      )
        break;
      if (errors >= 3) break;
    }
    const now = o.clock.now();
    if (now >= deadline) break;
    // Ask again soon (the last lines may be seconds behind), then every 5 s.
    asked++;
    await o.clock.sleep(Math.min(o.pollMs ?? Math.min(5_000, 1_000 * asked), deadline - now));
  }
  result.waitedMs = o.clock.now() - started;
  return result;
}

/** A portal link that opens Log Analytics with a query (gzip + base64, as the portal's "share link" makes). */
export function logAnalyticsQueryUrl(
  portalBase: string,
  tenantId: string | undefined,
  scopeResourceId: string,
  query: string,
): string {
  const q = encodeURIComponent(gzipSync(query).toString('base64'));
  return `${portalBase}/#${tenantId ? `@${tenantId}/` : ''}blade/Microsoft_OperationsManagementSuite_Workspace/Logs.ReactView/resourceId/${encodeURIComponent(scopeResourceId)}/source/LogsBlade.AnalyticsShareLinkToQuery/q/${q}/timespan/P1D`;
}
