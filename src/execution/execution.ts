/**
 * Starting an execution and watching it to a final state: thrifty polling (a class of students shares one
 * subscription's read quota), every status the API has (unknown ones count as still running), an own deadline
 * (executions can hang in Running past the replica timeout), and a stop on timeout or cancellation.
 */
import type { Job, JobExecution, JobExecutionBase, JobExecutionTemplate } from '@azure/arm-appcontainers';
import type { JobApi } from '../azure/arm.js';
import type { Clock } from '../common/clock.js';
import { ActionError, azureDetail, statusOf } from '../common/errors.js';

export type FinalStatus = 'Succeeded' | 'Failed' | 'Stopped' | 'Degraded';
/**
 * Besides Azure's final statuses: TimedOut and Cancelled (the action's own deadline, the workflow run's
 * cancellation), Running (not waited for), Unknown (Azure stopped answering reads of the execution) and NotFound
 * (the execution disappeared while watched, e.g. deleted).
 */
export type OutcomeStatus = FinalStatus | 'TimedOut' | 'Cancelled' | 'Running' | 'Unknown' | 'NotFound';

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
  /** The action stopped the execution (timeout, cancellation, or Azure no longer answering reads). */
  stoppedByAction?: boolean;
  /** The action tried to stop the execution and Azure refused or did not answer: why, and how to stop it. */
  stopFailed?: { error: string; command: string };
  /** Unknown / NotFound: the last read error (status, Azure code and message) and how long reads failed. */
  readError?: string;
  unreadSec?: number;
  /** Unknown and left alone: the command that shows the execution. */
  showCommand?: string;
  /** The action ended the wait before the execution ended, and why (a verdict from the logs, see WatchOptions). */
  endedEarly?: string;
}

/** The Azure CLI command that stops one execution. */
export function stopCommand(api: Pick<JobApi, 'jobName' | 'resourceGroup'>, name: string): string {
  return `az containerapp job stop --name ${api.jobName} --resource-group ${api.resourceGroup} --job-execution-name ${name}`;
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
  if (zero) return zero;
  // Without detailedStatus (api-versions before 2026-07-01): a Succeeded execution is one whose containers all
  // exited with 0, which is what the platform requires to call it Succeeded.
  return execution?.status?.toLowerCase() === 'succeeded' ? { exitCode: 0 } : {};
}

/**
 * The exit code from the platform's system events ("Container 'c' was terminated with exit code '1' and reason
 * 'ProcessExited'"), for api-versions before 2026-07-01, whose executions carry no detailedStatus: the first
 * non-zero code, else 0 when a container reported one.
 */
export function exitFromEvents(events: { message: string; replica?: string }[]): {
  exitCode?: number;
  exitFrom?: string;
} {
  let zero: { exitCode: number; exitFrom: string } | undefined;
  for (const e of events) {
    const m = /Container '([^']*)' was terminated with exit code '(\d{1,5})'/.exec(e.message);
    if (!m) continue;
    const code = Number(m[2]);
    const from = `${e.replica ?? 'replica'}/${m[1]}`;
    if (code !== 0) return { exitCode: code, exitFrom: from };
    zero ??= { exitCode: 0, exitFrom: from };
  }
  return zero ?? {};
}

/** A suspended job (runningState Suspended) does not run executions: say how to resume it, before any start. */
export function assertNotSuspended(
  api: Pick<JobApi, 'jobName' | 'resourceGroup' | 'jobId'>,
  job: Job | undefined,
): void {
  if ((job?.runningState ?? '').toLowerCase() !== 'suspended') return;
  throw new ActionError(
    `Job '${api.jobName}' in resource group '${api.resourceGroup}' is suspended (runningState Suspended), so it cannot start an execution: resume it with \`az rest --method post --url "${api.jobId}/resume?api-version=2026-07-01"\` (the Resume action of the job's REST API) or in the portal, then rerun the step.`,
  );
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

/**
 * How far before the start request an execution may have started and still be ours: the runner's and Azure's
 * clocks may differ a little, and Azure's start times are whole seconds. Anything older is another request's.
 */
export const START_SKEW_MS = 5_000;

export interface StartDeps {
  clock: Clock;
  log: Logger;
  /** The job as deployed: what an execution started without overrides runs (to recognise ours after a lost answer). */
  job?: Job;
}

function checked(api: JobApi, started: JobExecutionBase): JobExecutionBase {
  if (!started.name)
    throw new ActionError(`Azure accepted the start of job '${api.jobName}' but returned no execution name.`);
  return started;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * Whether an execution runs what we sent: every container we sent (or the job's own, without overrides) is there
 * with the same image, command and args. An execution that does not show its template (older api-versions) may be.
 */
export function matchesTemplate(sent: JobExecutionTemplate | undefined, execution: JobExecution): boolean {
  const got = execution.template?.containers;
  if (!sent?.containers?.length || !got) return true;
  return sent.containers.every((c) => {
    const g = got.find((x) => x.name === c.name);
    if (!g || g.image !== c.image) return false;
    return (c.command === undefined || same(c.command, g.command)) && (c.args === undefined || same(c.args, g.args));
  });
}

function startMs(e: JobExecution): number {
  return e.startTime ? new Date(e.startTime).getTime() : Number.NaN;
}

/** Most executions read to reconcile a lost start (Azure keeps about 100 per scheduled or event job). */
const MAX_RECONCILE = 1000;

/**
 * Every execution the list holds that started at or after `since` (or has not started): all pages, at most
 * MAX_RECONCILE executions, because the list's order is not documented (a newest-first assumption could miss ours).
 */
export async function allExecutionsSince(api: Pick<JobApi, 'executionPages'>, since: number): Promise<JobExecution[]> {
  const all: JobExecution[] = [];
  for await (const page of api.executionPages()) {
    all.push(...page);
    if (all.length >= MAX_RECONCILE) break;
  }
  return all.filter((e) => !e.startTime || new Date(e.startTime).getTime() >= since);
}

/**
 * The executions that may be the one a lost start request created: started no earlier than the request (less
 * the skew allowance) and running what it sent.
 */
async function candidatesSince(api: JobApi, sentAt: number, sent: JobExecutionTemplate | undefined, log: Logger) {
  const since = sentAt - START_SKEW_MS;
  const recent = await allExecutionsSince(api, since);
  const inTime = recent.filter((e) => e.name && startMs(e) >= since);
  const mine = inTime.filter((e) => matchesTemplate(sent, e));
  for (const e of inTime.filter((x) => !mine.includes(x)))
    log.debug(`Execution ${e.name} started since the request but runs another template: not ours.`);
  return mine.sort((a, b) => startMs(b) - startMs(a));
}

function ambiguous(api: JobApi, found: JobExecution[]): ActionError {
  const list = found.map((e) => `${e.name} (started ${new Date(startMs(e)).toISOString()})`).join(', ');
  return new ActionError(
    `The answer to the start request of job '${api.jobName}' was lost, and ${found.length} executions that run what this step sent started since then: ${list}. The action cannot tell which one is its own (another workflow run may have started the others), so it follows none and starts none. Check them in the portal or with: az containerapp job execution list --name ${api.jobName} --resource-group ${api.resourceGroup}; then rerun the step.`,
  );
}

/**
 * Starts one execution. A start is not idempotent, so it is never retried blindly: when the answer is lost
 * (connection dropped, gateway error), the job's executions are read to find the one that request started (same
 * template, started since the request), and the start is sent again only when none did. When more than one could
 * be ours (another workflow run started the same job meanwhile), it fails rather than follow another run's.
 * A throttled start (429: Azure did not act) waits and retries.
 */
export async function startExecution(
  api: JobApi,
  template: JobExecutionTemplate | undefined,
  deps: StartDeps,
): Promise<JobExecutionBase> {
  const { clock, log } = deps;
  assertNotSuspended(api, deps.job);
  const sent = template ?? (deps.job?.template?.containers ? { containers: deps.job.template.containers } : undefined);
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
        `The answer to the start request of job '${api.jobName}' was lost (${azureDetail(error)}); checking the job's executions so that it is not started twice.`,
      );
      for (const delay of [0, 3000]) {
        await clock.sleep(delay);
        const found = await candidatesSince(api, sentAt, sent, log).catch((listError: unknown) => {
          throw new ActionError(
            `The answer to the start request of job '${api.jobName}' was lost and its executions could not be read (${azureDetail(listError)}), so an execution may have been started: check with az containerapp job execution list --name ${api.jobName} --resource-group ${api.resourceGroup}, stop it if needed, and rerun the step.`,
          );
        });
        if (found.length > 1) throw ambiguous(api, found);
        if (found[0]) {
          log.info(`Execution ${found[0].name} was started by that request; following it.`);
          return { name: found[0].name, id: found[0].id };
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
  /**
   * Asked after each read of an execution still running: a reason to end the wait now, from the logs (an image
   * pull that keeps failing). The watch then stops the execution instead of waiting for the replica timeout.
   */
  verdict?(): string | undefined;
}

/** How many reads in a row may fail (after the SDK's own retries) before the watch gives up on knowing the state. */
const MAX_READ_FAILURES = 5;
/** How many 404s in a row, before the execution was ever read, mean it is gone (a fresh one may 404 briefly). */
const MAX_NOT_FOUND_UNSEEN = 3;

export async function watchExecution(api: JobApi, name: string, options: WatchOptions): Promise<Outcome> {
  const { clock, log, signal } = options;
  const started = clock.now();
  const deadline = started + options.timeoutSec * 1000;
  let last: JobExecution | undefined;
  let lastStatus: string | undefined;
  let failures = 0;
  let failingSince = started;
  let lastHeartbeat = started;
  let saidUnknown = false;

  for (;;) {
    if (signal?.aborted) return cancel(api, name, last, options);
    try {
      last = await api.getExecution(name);
      failures = 0;
    } catch (error) {
      if (signal?.aborted) return cancel(api, name, last, options);
      if (failures === 0) failingSince = clock.now();
      failures += 1;
      const gone = statusOf(error) === 404 && (last !== undefined || failures >= MAX_NOT_FOUND_UNSEEN);
      if (gone) return vanished(api, name, last, options, error);
      if (failures >= MAX_READ_FAILURES) return unreadable(api, name, last, options, error, failingSince);
      log.warning(`Reading execution '${name}' of job '${api.jobName}' failed (${azureDetail(error)}); trying again.`);
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
    if (!saidUnknown && status?.toLowerCase() === 'unknown') {
      // Not a final state: Azure lost track for a while; the deadline still applies.
      log.info(`Azure reports the execution's status as Unknown; waiting.`);
      saidUnknown = true;
    }
    if (isFinal(status)) return outcomeOf(canonicalFinal(status), last, now);
    const verdict = options.verdict?.();
    if (verdict) return endEarly(api, name, last, options, verdict);
    if (now >= deadline) return timeout(api, name, last, options);
    const delay = Math.min(options.pacing?.(now - started) ?? pollDelay(now - started), deadline - now);
    await (options.waker ? options.waker.sleep(clock, delay, signal) : clock.sleep(delay, signal));
  }
}

/** Stops the execution; says so, or why not and how to stop it by hand. Never throws. */
export async function stopAndTell(
  api: JobApi,
  name: string,
  log: Logger,
): Promise<Pick<Outcome, 'stoppedByAction' | 'stopFailed'>> {
  try {
    await api.stopExecution(name);
    log.info(`Stopped execution ${name}.`);
    return { stoppedByAction: true };
  } catch (error) {
    const stopFailed = { error: azureDetail(error), command: stopCommand(api, name) };
    log.warning(
      `Could not stop execution '${name}' of job '${api.jobName}' (${stopFailed.error}); it may still be running. Stop it with: ${stopFailed.command}`,
    );
    return { stoppedByAction: false, stopFailed };
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
    Object.assign(outcome, await stopAndTell(api, name, options.log));
  }
  return outcome;
}

/** A verdict from the logs ends the wait: stop the execution (Stopped), or say why not (still Running). */
async function endEarly(
  api: JobApi,
  name: string,
  last: JobExecution | undefined,
  options: WatchOptions,
  verdict: string,
): Promise<Outcome> {
  options.log.info(`Execution ${name}: ${verdict}: stopping it instead of waiting for the replica timeout.`);
  const stop = await stopAndTell(api, name, options.log);
  return {
    ...outcomeOf(stop.stoppedByAction ? 'Stopped' : 'Running', last, options.clock.now()),
    ...stop,
    endedEarly: verdict,
  };
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
    Object.assign(outcome, await stopAndTell(api, name, options.log));
  }
  return outcome;
}

/** Azure no longer answers reads of the execution: its state is unknown, so stop it (unless on-timeout: leave). */
async function unreadable(
  api: JobApi,
  name: string,
  last: JobExecution | undefined,
  options: WatchOptions,
  error: unknown,
  failingSince: number,
): Promise<Outcome> {
  const now = options.clock.now();
  const outcome: Outcome = {
    ...outcomeOf('Unknown', last, now),
    readError: azureDetail(error),
    unreadSec: Math.round((now - failingSince) / 1000),
    showCommand: `az containerapp job execution show --name ${api.jobName} --resource-group ${api.resourceGroup} --job-execution-name ${name}`,
  };
  if (options.onTimeout === 'stop') {
    options.log.info(
      `Azure did not answer reads of execution ${name} (${outcome.readError}): stopping it so that it is not left running.`,
    );
    Object.assign(outcome, await stopAndTell(api, name, options.log));
  }
  return outcome;
}

/** The execution disappeared (404) while watched: deleted, or its job deleted or re-created. Nothing to stop. */
function vanished(
  api: JobApi,
  name: string,
  last: JobExecution | undefined,
  options: WatchOptions,
  error: unknown,
): Outcome {
  options.log.warning(`Execution '${name}' of job '${api.jobName}' no longer exists (${azureDetail(error)}).`);
  return { ...outcomeOf('NotFound', last, options.clock.now()), readError: azureDetail(error) };
}

/** '; stopping it failed (…), so it may still be running: stop it with: az …' when the action's stop failed. */
export function stopFailedSentence(outcome: Outcome): string {
  const f = outcome.stopFailed;
  return f ? `; stopping it failed (${f.error}), so it may still be running: stop it with: ${f.command}` : '';
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
  const failedStop = stopFailedSentence(outcome);
  switch (outcome.status) {
    case 'TimedOut': {
      const what = outcome.stoppedByAction
        ? ' and was stopped'
        : failedStop
          ? ''
          : ' and was left running (on-timeout: leave)';
      return `Execution '${name}' of job '${jobName}' did not finish within ${timeoutSec} s${what}${detail}${failedStop}. Raise input 'timeout' (or the job's replica-timeout) if the job needs longer.`;
    }
    case 'Cancelled':
      return `The workflow run was cancelled while execution '${name}' of job '${jobName}' was running${
        outcome.stoppedByAction ? '; the execution was stopped' : ''
      }${failedStop}.`;
    case 'Unknown': {
      const head = `Azure did not answer reads of execution '${name}' of job '${jobName}' for ${outcome.unreadSec ?? '?'} s (${outcome.readError ?? 'no answer'}), so its state is unknown`;
      if (outcome.stoppedByAction)
        return `${head}; the action stopped it so that it is not left running. Rerun the step once Azure answers again (see https://azure.status.microsoft).`;
      if (failedStop) return `${head}${failedStop}.`;
      return `${head}; it was left as it is (on-timeout: leave) and may still be running. Check it with: ${outcome.showCommand ?? 'az containerapp job execution show'}.`;
    }
    case 'NotFound':
      return `Execution '${name}' of job '${jobName}' no longer exists (${outcome.readError ?? '404'}): it was deleted while the action watched it, or its job was deleted or re-created. Check the job's activity log in the portal, then rerun the step.`;
    case 'Stopped':
      return `Execution '${name}' of job '${jobName}' was stopped${after}${detail}.`;
    default:
      return `Execution '${name}' of job '${jobName}' ended ${outcome.status}${after}${detail}. See its logs in the portal (link in the summary).`;
  }
}
