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
    ...(out.secret ? { secret: out.secret } : {}),
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
      const failed = outcome.status !== 'Succeeded';
      const permissions: string[] = [];
      if (live.permission)
        permissions.push(
          `streaming needs a role that may ${live.permission}, such as Contributor on the job (or the runner role of the setup guide)`,
        );
      const summary: LogsSummary = {
        tail: printer.tail(SUMMARY_TAIL_LINES),
        query: consoleQuery(config.jobName, execution),
      };
      const streamed = live.connectedStreams > 0;
      if (streamed) summary.source = 'live';
      let events: SystemEvent[] = [];
      let laConsole = new Map<string, string[]>();
      // Services that failed (not permissions): worth one warning when no logs could be shown at all.
      const outages: string[] = [];
      if (!streamed && live.state !== 'denied' && live.problems.length > 0) {
        outages.push(`live streaming failed (${live.problems.at(-1) ?? ''})`);
      }

      // The environment's Log Analytics workspace: for the fallback, and for the summary's query link when the
      // run failed or its logs could not be streamed (a successful, streamed run costs no further reads).
      let customerId: string | undefined;
      let envId = job.environmentId;
      try {
        if (envId && !signal?.aborted && (failed || !streamed)) {
          const env = await d.jobApi.getEnvironment(envId);
          envId = env.id ?? envId;
          customerId = env.appLogsConfiguration?.logAnalyticsConfiguration?.customerId ?? undefined;
        }
      } catch (error) {
        out.debug(`Logs: could not read environment ${envId}: ${messageOf(error)}`);
      }

      // Containers that never started (the image could not be pulled) printed nothing: no point waiting for
      // Log Analytics; the system events below say why.
      const neverStarted = live.streams.length > 0 && live.streams.every((s) => s.waiting !== undefined);
      if (neverStarted) summary.note = 'The containers never started, so they printed nothing (see the error).';
      if (!streamed && !neverStarted && !signal?.aborted) {
        if (customerId) {
          out.info(
            `Live logs were not available${live.state === 'denied' ? ' (permission)' : ''}: reading execution ${execution}'s logs from Log Analytics (waiting up to ${config.logsWaitSec} s for them to arrive).`,
          );
          const la = await fromLogAnalytics({
            api: d.logsApi,
            workspaceId: customerId,
            jobName: config.jobName,
            execution,
            startedAt: outcome.execution?.startTime ? new Date(outcome.execution.startTime).getTime() : startedAt,
            endedAt: outcome.execution?.endTime ? new Date(outcome.execution.endTime).getTime() : clock.now(),
            waitSec: config.logsWaitSec,
            clock,
            withEvents: failed,
          });
          laConsole = la.console;
          events = la.events;
          if (la.state === 'denied') {
            permissions.push(
              `reading Log Analytics needs the Log Analytics Reader role on workspace ${customerId} (${la.problem ?? 'InsufficientAccessError'})`,
            );
          } else if (la.state === 'error') {
            outages.push(`Log Analytics failed (${la.problem ?? 'no answer'})`);
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
        } else {
          summary.note = `Live logs were not available and environment ${envId?.split('/').pop() ?? ''} sends no logs to Log Analytics; see the execution in the portal.`;
          out.info(summary.note);
        }
      }

      // A failed execution: the platform's events say what the containers could not (image pulls, OOM kills).
      if (failed && events.length === 0 && live.streamToken && eventsUrl && !signal?.aborted) {
        try {
          const text = await d.logsApi.getText(eventsUrl, live.streamToken, AbortSignal.timeout(EVENTS_TIMEOUT_MS));
          events = parseEventStream(text, execution);
        } catch (error) {
          out.debug(`Logs: could not read the job's system events: ${messageOf(error)}`);
        }
      }
      if (failed && events.length) {
        out.debug(
          `System events of ${execution}:\n${events.map((e) => `  ${e.time ?? ''} ${e.reason ?? ''}: ${e.message}`).join('\n')}`,
        );
      }

      // Lines that were not shown live, said rather than lost silently: streams that never connected while others
      // did, and streams whose replayed tail did not reach back to what was shown before.
      if (streamed) {
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
          out.info(said);
          summary.note = [summary.note, said].filter(Boolean).join(' ');
        }
      }

      const shown = streamed || laConsole.size > 0;
      const reasons = [...permissions, ...(shown ? [] : outages)];
      if (reasons.length) {
        out.warning(`Could not show the job's logs: ${reasons.join('; ')}. The step's result does not depend on them.`);
        summary.note = [summary.note, `The logs could not be shown: ${reasons.join('; ')}.`].filter(Boolean).join(' ');
      }

      if (customerId) {
        const workspace = await d.logsApi.findWorkspace(customerId).catch(() => undefined);
        const scope = workspace ?? envId;
        if (scope)
          summary.queryUrl = logAnalyticsQueryUrl(config.auth.portalUrl, config.auth.tenantId, scope, summary.query);
      }

      // What the pull watch read while the execution ran, when nothing newer could be read.
      if (events.length === 0) events = pulls.events;
      const evidence: Evidence = {
        job,
        events,
        streams: [...new Set([...live.streams.map((s) => s.key), ...laConsole.keys()])],
        tailOf: (key, n) => (laConsole.get(key) ?? printer.tailOf(key, n)).slice(-n),
        waiting: live.streams
          .filter((s) => s.waiting !== undefined)
          .map((s) => ({ replica: s.replica, container: s.container, detail: s.waiting as string })),
      };
      return { summary, evidence };
    },
  };
}
