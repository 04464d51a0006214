/**
 * Starting an execution and watching it to a final state: thrifty polling (a class of students shares one
 * subscription's read quota), every status the API has (unknown ones count as still running), an own deadline
 * (executions can hang in Running past the replica timeout), and a stop on timeout or cancellation.
 */
import type { JobExecution, JobExecutionBase, JobExecutionTemplate } from '@azure/arm-appcontainers';
import type { JobApi } from '../azure/arm.js';
import type { Clock } from '../common/clock.js';
import { ActionError, statusOf } from '../common/errors.js';

export type FinalStatus = 'Succeeded' | 'Failed' | 'Stopped' | 'Degraded';
export type OutcomeStatus = FinalStatus | 'TimedOut' | 'Cancelled' | 'Running';

const FINAL: ReadonlySet<string> = new Set(['succeeded', 'failed', 'stopped', 'degraded']);

export function isFinal(status: string | undefined): status is FinalStatus {
  return !!status && FINAL.has(status.toLowerCase());
}

function canonicalFinal(status: string): FinalStatus {
  const s = status.toLowerCase();
  return s === 'succeeded' ? 'Succeeded' : s === 'failed' ? 'Failed' : s === 'stopped' ? 'Stopped' : 'Degraded';
}

export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
}

export interface Outcome {
  status: OutcomeStatus;
  execution?: JobExecution;
  /** The first non-zero container exit code, else 0 when every container reported one. */
  exitCode?: number;
  /** Which replica/container the exit code came from. */
  exitFrom?: string;
  reason?: string;
  message?: string;
  durationSec?: number;
  /** The action stopped the execution (timeout or cancellation). */
  stoppedByAction?: boolean;
}

/**
 * Delay before the next status read. Fast at first (a 2 s run is noticed within half a second), growing to
 * 8 % of the elapsed time, and 10 s (6 reads a minute) after the first minute.
 */
export function pollDelay(elapsedMs: number): number {
  if (elapsedMs >= 60_000) return 10_000;
  return Math.min(4_000, Math.max(500, Math.round(elapsedMs * 0.08)));
}

/**
 * Default wait: every try may take the replica timeout, plus a margin for scheduling and image pulls (a fifth of
 * the replica timeout, between 10 s and 60 s). An execution still Running after that is stuck (a known Azure
 * fault) and gets stopped.
 */
export function defaultTimeoutSec(replicaTimeout: number | undefined, retryLimit: number | undefined): number {
  const perTry = replicaTimeout ?? 1800;
  const margin = Math.min(60, Math.max(10, Math.round(perTry / 5)));
  return perTry * ((retryLimit ?? 0) + 1) + margin;
}

export function exitInfo(execution: JobExecution | undefined): { exitCode?: number; exitFrom?: string } {
  const replicas = execution?.detailedStatus?.replicas ?? [];
  let zero: { exitCode: number; exitFrom: string } | undefined;
  for (const r of replicas) {
    for (const c of r.containers ?? []) {
      if (typeof c.code !== 'number') continue;
      const from = `${r.name ?? 'replica'}/${c.name ?? 'container'}`;
      if (c.code !== 0) return { exitCode: c.code, exitFrom: from };
      zero ??= { exitCode: 0, exitFrom: from };
    }
  }
  return zero ?? {};
}

function durationOf(execution: JobExecution | undefined, fallbackEnd: number): number | undefined {
  const start = execution?.startTime ? new Date(execution.startTime).getTime() : undefined;
  if (start === undefined || Number.isNaN(start)) return undefined;
  const end = execution?.endTime ? new Date(execution.endTime).getTime() : fallbackEnd;
  return Math.max(0, Math.round((end - start) / 1000));
}

function outcomeOf(status: OutcomeStatus, execution: JobExecution | undefined, now: number): Outcome {
  return {
    status,
    execution,
    ...exitInfo(execution),
    reason: execution?.reason,
    message: execution?.message,
    durationSec: durationOf(execution, now),
  };
}

function retryAfterMs(error: unknown): number | undefined {
  const headers = (error as { response?: { headers?: { get?(name: string): string | undefined } } })?.response?.headers;
  const value = Number(headers?.get?.('retry-after'));
  return Number.isFinite(value) && value > 0 ? value * 1000 : undefined;
}

/** How far back (server clock vs runner clock) an execution may have started and still be ours. */
const START_SKEW_MS = 30_000;

export interface StartDeps {
  clock: Clock;
  log: Logger;
}

function checked(api: JobApi, started: JobExecutionBase): JobExecutionBase {
  if (!started.name)
    throw new ActionError(`Azure accepted the start of job '${api.jobName}' but returned no execution name.`);
  return started;
}

/** The newest execution that started since `sentAt` (allowing for clock skew), if any. */
async function startedSince(api: JobApi, sentAt: number): Promise<JobExecutionBase | undefined> {
  const recent = await api.listRecentExecutions();
  const mine = recent
    .filter((e) => e.name && e.startTime && new Date(e.startTime).getTime() >= sentAt - START_SKEW_MS)
    .sort((a, b) => new Date(b.startTime!).getTime() - new Date(a.startTime!).getTime());
  return mine[0] ? { name: mine[0].name, id: mine[0].id } : undefined;
}

/**
 * Starts one execution. A start is not idempotent, so it is never retried blindly: when the answer is lost
 * (connection dropped, gateway error), the job's executions are read to find the one that request started, and
 * the start is sent again only when none did. A throttled start (429: Azure did not act) waits and retries.
 */
export async function startExecution(
  api: JobApi,
  template: JobExecutionTemplate | undefined,
  deps: StartDeps,
): Promise<JobExecutionBase> {
  const { clock, log } = deps;
  for (let attempt = 1; ; attempt++) {
    const sentAt = clock.now();
    try {
      return checked(api, await api.startExecution(template));
    } catch (error) {
      const status = statusOf(error);
      if (status === 429 && attempt < 4) {
        const wait = retryAfterMs(error) ?? 5000;
        log.warning(
          `Azure throttled the start of job '${api.jobName}' (429); trying again in ${Math.round(wait / 1000)} s.`,
        );
        await clock.sleep(wait);
        continue;
      }
      const lost = status === undefined || status >= 500 || status === 408;
      if (!lost || attempt > 1) throw error;
      log.warning(
        `The answer to the start request of job '${api.jobName}' was lost (${error instanceof Error ? error.message : String(error)}); checking the job's executions so that it is not started twice.`,
      );
      for (const delay of [0, 3000]) {
        await clock.sleep(delay);
        const found = await startedSince(api, sentAt);
        if (found) {
          log.info(`Execution ${found.name} was started by that request; following it.`);
          return found;
        }
      }
      log.info(`No execution was started by that request; starting job '${api.jobName}' again.`);
    }
  }
}

export interface WatchOptions {
  clock: Clock;
  log: Logger;
  timeoutSec: number;
  onTimeout: 'stop' | 'leave';
  stopOnCancel: boolean;
  /** Aborted when the workflow run is cancelled. */
  signal?: AbortSignal;
  /** Called with each status read (for tests and progress). */
  onStatus?(execution: JobExecution): void;
  /** Sleeps between reads, returning early when woken (e.g. a replica's log stream ended). Default clock.sleep. */
  waker?: { sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> };
  /** Delay before the next read given the time since the start (default pollDelay; rarer while logs stream). */
  pacing?(elapsedMs: number): number;
}

/** How many reads in a row may fail (after the SDK's own retries) before the watch gives up. */
const MAX_READ_FAILURES = 5;

export async function watchExecution(api: JobApi, name: string, options: WatchOptions): Promise<Outcome> {
  const { clock, log, signal } = options;
  const started = clock.now();
  const deadline = started + options.timeoutSec * 1000;
  let last: JobExecution | undefined;
  let lastStatus: string | undefined;
  let failures = 0;
  let lastHeartbeat = started;

  for (;;) {
    if (signal?.aborted) return cancel(api, name, last, options);
    try {
      last = await api.getExecution(name);
      failures = 0;
    } catch (error) {
      if (signal?.aborted) return cancel(api, name, last, options);
      failures += 1;
      if (failures >= MAX_READ_FAILURES) throw error;
      log.warning(
        `Reading execution '${name}' failed (${error instanceof Error ? error.message : String(error)}); trying again.`,
      );
    }
    options.onStatus?.(last ?? {});
    const status = last?.status;
    const now = clock.now();
    if (status !== lastStatus && status !== undefined) {
      log.info(`Execution ${name}: ${status} (${Math.round((now - started) / 1000)} s)`);
      lastStatus = status;
      lastHeartbeat = now;
    } else if (now - lastHeartbeat >= 60_000) {
      log.info(`Execution ${name}: still ${status ?? 'starting'} (${Math.round((now - started) / 1000)} s)`);
      lastHeartbeat = now;
    }
    if (isFinal(status)) return outcomeOf(canonicalFinal(status), last, now);
    if (now >= deadline) return timeout(api, name, last, options);
    const delay = Math.min(options.pacing?.(now - started) ?? pollDelay(now - started), deadline - now);
    await (options.waker ? options.waker.sleep(clock, delay, signal) : clock.sleep(delay, signal));
  }
}

async function stopQuietly(api: JobApi, name: string, log: Logger): Promise<boolean> {
  try {
    await api.stopExecution(name);
    return true;
  } catch (error) {
    log.warning(
      `Could not stop execution '${name}': ${error instanceof Error ? error.message : String(error)}. Stop it with: az containerapp job stop -n ${api.jobName} -g ${api.resourceGroup} --job-execution-name ${name}`,
    );
    return false;
  }
}

async function timeout(
  api: JobApi,
  name: string,
  last: JobExecution | undefined,
  options: WatchOptions,
): Promise<Outcome> {
  const outcome = outcomeOf('TimedOut', last, options.clock.now());
  if (options.onTimeout === 'stop') {
    options.log.info(`Execution ${name} did not finish within ${options.timeoutSec} s: stopping it.`);
    outcome.stoppedByAction = await stopQuietly(api, name, options.log);
    if (outcome.stoppedByAction) options.log.info(`Stopped execution ${name}.`);
  }
  return outcome;
}

async function cancel(
  api: JobApi,
  name: string,
  last: JobExecution | undefined,
  options: WatchOptions,
): Promise<Outcome> {
  const outcome = outcomeOf('Cancelled', last, options.clock.now());
  if (options.stopOnCancel && !isFinal(last?.status)) {
    options.log.info(`The workflow run was cancelled: stopping execution ${name} (stop-on-cancel).`);
    outcome.stoppedByAction = await stopQuietly(api, name, options.log);
    if (outcome.stoppedByAction) options.log.info(`Stopped execution ${name}.`);
  }
  return outcome;
}

/** One sentence on why the execution did not succeed, in the user's terms. */
export function describeFailure(outcome: Outcome, jobName: string, name: string, timeoutSec: number): string {
  const after = outcome.durationSec !== undefined ? ` after ${outcome.durationSec} s` : '';
  const parts: string[] = [];
  if (outcome.exitCode !== undefined && outcome.exitCode !== 0) {
    parts.push(`container ${outcome.exitFrom ?? ''} exited with code ${outcome.exitCode}`.replace('  ', ' '));
  }
  if (outcome.reason) parts.push(`reason ${outcome.reason}`);
  if (outcome.message) parts.push(outcome.message.replace(/\.$/, ''));
  const detail = parts.length ? `: ${parts.join('; ')}` : '';
  switch (outcome.status) {
    case 'TimedOut':
      return `Execution '${name}' of job '${jobName}' did not finish within ${timeoutSec} s${
        outcome.stoppedByAction ? ' and was stopped' : ' and was left running (on-timeout: leave)'
      }${detail}. Raise input 'timeout' (or the job's replica-timeout) if the job needs longer.`;
    case 'Cancelled':
      return `The workflow run was cancelled while execution '${name}' of job '${jobName}' was running${
        outcome.stoppedByAction ? '; the execution was stopped' : ''
      }.`;
    case 'Stopped':
      return `Execution '${name}' of job '${jobName}' was stopped${after}${detail}.`;
    default:
      return `Execution '${name}' of job '${jobName}' ended ${outcome.status}${after}${detail}. See its logs in the portal (link in the summary).`;
  }
}
