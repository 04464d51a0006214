/**
 * The logs of one started execution, from the start of the watch to the report (wiring for main):
 * live streaming during the watch, then — bounded, best effort — the Log Analytics fallback, the system events
 * a diagnosis needs, one warning when a missing role kept logs away, and what the summary shows (the last
 * lines, a ready Log Analytics query and its portal link).
 *
 * Time added after the execution ends, at most: 3 s for open streams to finish, then, only when nothing could
 * be streamed, `logs-wait` (default 30 s) for Log Analytics ingestion, plus one read of the system events
 * (10 s at most) when the execution failed.
 */
import type { Job } from '@azure/arm-appcontainers';
import type { JobApi } from '../azure/arm.js';
import type { Clock } from '../common/clock.js';
import type { Config } from '../inputs/config.js';
import type { Evidence } from '../execution/diagnose.js';
import type { Outcome, WatchOptions } from '../execution/execution.js';
import type { LogsApi } from '../azure/logs-api.js';
import { PullWatch } from './pull-watch.js';
import {
  consoleQuery,
  fromLogAnalytics,
  LiveLogs,
  logAnalyticsQueryUrl,
  LogPrinter,
  parseEventStream,
  SUMMARY_TAIL_LINES,
  type SystemEvent,
} from './stream.js';

const STREAM_GRACE_MS = 3_000;
const EVENTS_TIMEOUT_MS = 10_000;

export interface LogsOutput {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  /** Raw stdout line (group and stop-commands markers). */
  line(text: string): void;
  /** Registers a value to mask (the log-stream token). */
  secret?(value: string): void;
}

export interface LogsSummary {
  /** The last lines of the containers' output (unmasked: mask before writing them anywhere but the log). */
  tail: string[];
  source?: 'live' | 'log-analytics';
  /** Why there are no lines, or where they came from. */
  note?: string;
  /** A Log Analytics query for the execution's console logs, ready to paste. */
  query: string;
  queryUrl?: string;
}

export interface ExecutionLogs {
  /** Hooks for watchExecution. */
  watch: Pick<WatchOptions, 'onStatus' | 'waker' | 'pacing'> & {
    /** Why the wait should end now (an image pull that keeps failing): the watch then stops the execution. */
    verdict(): string | undefined;
  };
  /** After the watch: the fallback, events, the warning; returns what the summary and the diagnosis need. */
  finish(outcome: Outcome, signal?: AbortSignal): Promise<{ summary: LogsSummary; evidence: Evidence }>;
}

export interface ExecutionLogsDeps {
  config: Pick<Config, 'jobName' | 'resourceGroup' | 'logsWaitSec'> & {
    auth: Pick<Config['auth'], 'subscriptionId' | 'portalUrl' | 'tenantId'>;
  };
  job: Job;
  jobApi: Pick<JobApi, 'getEnvironment' | 'jobId'>;
  logsApi: LogsApi;
  execution: string;
  clock: Clock;
  out: LogsOutput;
  /** Hides known secret values in container lines. */
  mask?: (text: string) => string;
}

function parallelismOf(job: Job): number {
  const c = job.configuration;
  return (
    c?.manualTriggerConfig?.parallelism ??
    c?.scheduleTriggerConfig?.parallelism ??
    c?.eventTriggerConfig?.parallelism ??
    1
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The pull watch of an execution: its system events read with the live logs' stream token. */
function watchPulls(d: ExecutionLogsDeps, live: LiveLogs, eventsUrl: string | undefined): PullWatch {
  return new PullWatch({
    clock: d.clock,
    readEvents: async (signal) => {
      if (!eventsUrl || !live.streamToken) return undefined;
      const text = await d.logsApi.getText(
        eventsUrl,
        live.streamToken,
        AbortSignal.any([signal, AbortSignal.timeout(EVENTS_TIMEOUT_MS)]),
      );
      return parseEventStream(text, d.execution);
    },
    wake: () => live.waker.wake(d.clock.now()),
    debug: (m) => d.out.debug(m),
  });
}

/** What `finish` works with, step by step (one execution, after its watch). */
interface Finishing {
  d: ExecutionLogsDeps;
  live: LiveLogs;
  printer: LogPrinter;
  eventsUrl: string | undefined;
  startedAt: number;
  outcome: Outcome;
  signal: AbortSignal | undefined;
  failed: boolean;
  streamed: boolean;
  summary: LogsSummary;
  /** Missing roles, each as what it would allow. */
  permissions: string[];
  /** Services that failed (not permissions): worth one warning when no logs could be shown at all. */
  outages: string[];
  events: SystemEvent[];
  laConsole: Map<string, string[]>;
  customerId?: string;
  envId?: string;
}

/**
 * The environment's Log Analytics workspace: for the fallback, and for the summary's query link when the run
 * failed or its logs could not be streamed (a successful, streamed run costs no further reads).
 */
async function readWorkspace(f: Finishing): Promise<void> {
  f.envId = f.d.job.environmentId;
  try {
    if (f.envId && !f.signal?.aborted && (f.failed || !f.streamed)) {
      const env = await f.d.jobApi.getEnvironment(f.envId);
      f.envId = env.id ?? f.envId;
      f.customerId = env.appLogsConfiguration?.logAnalyticsConfiguration?.customerId ?? undefined;
    }
  } catch (error) {
    f.d.out.debug(`Logs: could not read environment ${f.envId}: ${messageOf(error)}`);
  }
}

/** Nothing streamed: the console lines (and, for a failure, the events) from Log Analytics, bounded by logs-wait. */
async function fromWorkspace(f: Finishing, customerId: string): Promise<void> {
  const { d, outcome, summary } = f;
  const { config, execution, out } = d;
  out.info(
    `Live logs were not available${f.live.state === 'denied' ? ' (permission)' : ''}: reading execution ${execution}'s logs from Log Analytics (waiting up to ${config.logsWaitSec} s for them to arrive).`,
  );
  const la = await fromLogAnalytics({
    api: d.logsApi,
    workspaceId: customerId,
    jobName: config.jobName,
    execution,
    startedAt: outcome.execution?.startTime ? new Date(outcome.execution.startTime).getTime() : f.startedAt,
    endedAt: outcome.execution?.endTime ? new Date(outcome.execution.endTime).getTime() : d.clock.now(),
    waitSec: config.logsWaitSec,
    clock: d.clock,
    withEvents: f.failed,
  });
  f.laConsole = la.console;
  f.events = la.events;
  if (la.state === 'denied') {
    f.permissions.push(
      `reading Log Analytics needs the Log Analytics Reader role on workspace ${customerId} (${la.problem ?? 'InsufficientAccessError'})`,
    );
  } else if (la.state === 'error') {
    f.outages.push(`Log Analytics failed (${la.problem ?? 'no answer'})`);
  }
  const p = new LogPrinter((text) => out.line(text), d.mask);
  for (const [key, lines] of la.console) {
    p.open(key, `Logs: ${key.replace('/', ' / ')} (from Log Analytics)`);
    p.lines(key, lines);
    p.end(key);
  }
  p.close();
  if (la.console.size > 0) {
    summary.source = 'log-analytics';
    summary.tail = p.tail(SUMMARY_TAIL_LINES);
    summary.note = 'These lines come from Log Analytics: live streaming was not possible.';
  } else if (la.state !== 'denied') {
    summary.note = `No container logs of execution ${execution} reached Log Analytics within ${Math.round(la.waitedMs / 1000)} s (ingestion can take several minutes${la.events.length ? '' : ', or the containers printed nothing'}); run the query below in the portal later.`;
    out.info(summary.note);
  }
}

/** When nothing could be streamed: Log Analytics, or a note that the environment sends no logs there. */
async function fallback(f: Finishing): Promise<void> {
  // Containers that never started (the image could not be pulled) printed nothing: no point waiting for
  // Log Analytics; the system events say why.
  const neverStarted = f.live.streams.length > 0 && f.live.streams.every((s) => s.waiting !== undefined);
  if (neverStarted) f.summary.note = 'The containers never started, so they printed nothing (see the error).';
  if (f.streamed || neverStarted || f.signal?.aborted) return;
  if (f.customerId) return fromWorkspace(f, f.customerId);
  f.summary.note = `Live logs were not available and environment ${f.envId?.split('/').pop() ?? ''} sends no logs to Log Analytics; see the execution in the portal.`;
  f.d.out.info(f.summary.note);
}

/** A failed execution: the platform's events say what the containers could not (image pulls, OOM kills). */
async function failureEvents(f: Finishing): Promise<void> {
  const { d, live } = f;
  if (f.failed && f.events.length === 0 && live.streamToken && f.eventsUrl && !f.signal?.aborted) {
    try {
      const text = await d.logsApi.getText(f.eventsUrl, live.streamToken, AbortSignal.timeout(EVENTS_TIMEOUT_MS));
      f.events = parseEventStream(text, d.execution);
    } catch (error) {
      d.out.debug(`Logs: could not read the job's system events: ${messageOf(error)}`);
    }
  }
  if (f.failed && f.events.length) {
    d.out.debug(
      `System events of ${d.execution}:\n${f.events.map((e) => `  ${e.time ?? ''} ${e.reason ?? ''}: ${e.message}`).join('\n')}`,
    );
  }
}

/**
 * Lines that were not shown live, said rather than lost silently: streams that never connected while others
 * did, and streams whose replayed tail did not reach back to what was shown before. Then one warning when a
 * missing role (or, with nothing shown, an outage) kept logs away.
 */
function sayWhatIsMissing(f: Finishing): void {
  const { live, summary, d } = f;
  if (f.streamed) {
    const missed = live.streams.filter((st) => !st.connected && st.waiting === undefined).map((st) => st.key);
    const gaps = live.streams.filter((st) => st.gap).map((st) => st.key);
    const lost = [
      ...(missed.length ? [`the logs of ${missed.join(', ')} could not be streamed`] : []),
      ...(gaps.length
        ? [`earlier lines of ${gaps.join(', ')} may be missing (a stream replays its last 300 lines only)`]
        : []),
    ];
    if (lost.length) {
      const said = `Not every line was shown live: ${lost.join('; ')}. Log Analytics has them all: run the query below (or open the link).`;
      d.out.info(said);
      summary.note = [summary.note, said].filter(Boolean).join(' ');
    }
  }
  const shown = f.streamed || f.laConsole.size > 0;
  const reasons = [...f.permissions, ...(shown ? [] : f.outages)];
  if (reasons.length) {
    d.out.warning(`Could not show the job's logs: ${reasons.join('; ')}. The step's result does not depend on them.`);
    summary.note = [summary.note, `The logs could not be shown: ${reasons.join('; ')}.`].filter(Boolean).join(' ');
  }
}

/** The summary's link to the query in the portal (the workspace, or the environment when it cannot be read). */
async function queryLink(f: Finishing): Promise<void> {
  if (!f.customerId) return;
  const workspace = await f.d.logsApi.findWorkspace(f.customerId).catch(() => undefined);
  const scope = workspace ?? f.envId;
  const { config } = f.d;
  if (scope)
    f.summary.queryUrl = logAnalyticsQueryUrl(config.auth.portalUrl, config.auth.tenantId, scope, f.summary.query);
}

function evidenceOf(f: Finishing, pulls: PullWatch): Evidence {
  const { live } = f;
  return {
    job: f.d.job,
    // What the pull watch read while the execution ran, when nothing newer could be read.
    events: f.events.length ? f.events : pulls.events,
    streams: [...new Set([...live.streams.map((s) => s.key), ...f.laConsole.keys()])],
    tailOf: (key, n) => (f.laConsole.get(key) ?? f.printer.tailOf(key, n)).slice(-n),
    waiting: live.streams
      .filter((s) => s.waiting !== undefined)
      .map((s) => ({ replica: s.replica, container: s.container, detail: s.waiting as string })),
  };
}

/** Starts streaming the execution's logs; call `finish` after the watch. */
export function startExecutionLogs(d: ExecutionLogsDeps): ExecutionLogs {
  const { config, job, execution, clock, out } = d;
  const eventStream = job.eventStreamEndpoint;
  const origin = eventStream ? new URL(eventStream).origin : undefined;
  const printer = new LogPrinter((text) => out.line(text), d.mask);
  const live = new LiveLogs({
    api: d.logsApi,
    execution,
    clock,
    printer,
    log: out,
    parallelism: parallelismOf(job),
    ...(out.secret ? { secret: (value: string) => out.secret?.(value) } : {}),
    streamUrl: (replica, container) =>
      origin &&
      `${origin}/subscriptions/${config.auth.subscriptionId}/resourceGroups/${config.resourceGroup}/jobs/${config.jobName}/executions/${execution}/replicas/${replica}/containers/${container}/logstream`,
  });
  const startedAt = clock.now();
  const eventsUrl = eventStream
    ? `${eventStream}${eventStream.includes('?') ? '&' : '?'}follow=false&output=text&tailLines=300`
    : undefined;
  // An image pull that keeps failing: read the system events while it fails, and end the wait early.
  const pulls = watchPulls(d, live, eventsUrl);
  // The streams start at the first status read that is not final (live.observe).

  return {
    watch: {
      onStatus: (e) => {
        live.observe(e);
        pulls.observe(e, live.streams);
      },
      waker: live.waker,
      pacing: (elapsedMs) => live.pacing(elapsedMs),
      verdict: () => pulls.verdict,
    },
    async finish(outcome, signal) {
      await pulls.close();
      // An execution over by the first status read: read what its replicas printed, while they are listed.
      if (!live.started && !signal?.aborted) await live.catchUp();
      await live.finish(signal?.aborted ? 0 : STREAM_GRACE_MS);
      printer.close();
      for (const p of live.problems) out.debug(`Live logs: ${p}`);
      const streamed = live.connectedStreams > 0;
      const f: Finishing = {
        d,
        live,
        printer,
        eventsUrl,
        startedAt,
        outcome,
        signal,
        failed: outcome.status !== 'Succeeded',
        streamed,
        summary: {
          tail: printer.tail(SUMMARY_TAIL_LINES),
          query: consoleQuery(config.jobName, execution),
          ...(streamed ? { source: 'live' as const } : {}),
        },
        permissions: live.permission
          ? [
              `streaming needs a role that may ${live.permission}, such as Contributor on the job (or the runner role of the setup guide)`,
            ]
          : [],
        outages:
          !streamed && live.state !== 'denied' && live.problems.length > 0
            ? [`live streaming failed (${live.problems.at(-1) ?? ''})`]
            : [],
        events: [],
        laConsole: new Map(),
      };
      await readWorkspace(f);
      await fallback(f);
      await failureEvents(f);
      sayWhatIsMissing(f);
      await queryLink(f);
      return { summary: f.summary, evidence: evidenceOf(f, pulls) };
    },
  };
}
