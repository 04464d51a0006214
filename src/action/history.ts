/**
 * Executions the action did not start (wiring for main): `check-since` judges those of a window (every one, and
 * for a Schedule job the runs its cron expected that never started); `await-next-execution` waits for the next
 * one the job's own trigger starts and hands it to the same watch as a started one.
 */
import type { Job, JobExecution } from '../azure/arm.js';
import type { Clock } from '../common/clock.js';
import { CronError, nextRuns, parseCron, type CronSchedule } from '../common/cron.js';
import { ActionError, describeAzureError } from '../common/errors.js';
import { redact } from '../common/secrets.js';
import { printUntrusted } from '../common/untrusted.js';
import { diagnose, type Evidence } from '../execution/diagnose.js';
import { defaultTimeoutSec, exitInfo, type Outcome, type OutcomeStatus } from '../execution/execution.js';
import {
  AZURE_HISTORY_LIMIT,
  awaitNext,
  checkSince,
  utc,
  type CheckResult,
  type JudgedExecution,
} from '../execution/history.js';
import type { Config } from '../inputs/config.js';
import { pastExecutionLogs, type PastLogs } from '../logs/history.js';
import type { FailedDetail } from '../report/history.js';
import { historyHeadline } from '../report/history.js';
import type { Report } from '../report/report.js';
import type { Connection, Toolkit } from './toolkit.js';

/** What the two flows need of main's run. */
export interface HistoryRun {
  kit: Toolkit;
  clock: Clock;
  config: Config;
  report: Report;
  where: { doing: string; execution?: string };
  signal: AbortSignal;
  jobLabel: string;
  /** When the step began (clock). */
  startedAt: number;
}

/** The logs and diagnosis of at most this many failed executions (the newest) are read and shown. */
export const MAX_FAILED_DETAILS = 5;
/** await-next-execution: an execution that started this long before the step began still counts as the next. */
const NEXT_LOOKBACK_MS = 60_000;
/** How many failed executions and missed runs the error names before "and N more". */
const NAMED_IN_ERROR = 5;

interface Trigger {
  type?: string;
  cron?: string;
  schedule?: CronSchedule;
}

/** The job's trigger; a cron expression the action cannot read is said once and not used. */
function triggerOf(job: Job, kit: Toolkit): Trigger {
  const type = job.configuration?.triggerType;
  const cron = /^schedule$/i.test(type ?? '')
    ? (job.configuration?.scheduleTriggerConfig?.cronExpression ?? undefined)
    : undefined;
  if (!cron) return { type };
  try {
    return { type, cron, schedule: parseCron(cron) };
  } catch (error) {
    if (!(error instanceof CronError)) throw error;
    kit.warning(
      `The job's cron expression '${cron}' could not be read (${error.message}): runs it expected are not checked.`,
    );
    return { type, cron };
  }
}

function duration(sec: number | undefined): string {
  return sec === undefined ? '' : `${sec} s`;
}

/** The outcome of an execution that ended without the action watching it (for the diagnosis). */
function outcomeOf(e: JudgedExecution): Outcome {
  const x = e.execution;
  const s = e.status.toLowerCase();
  const status: OutcomeStatus =
    s === 'failed' ? 'Failed' : s === 'stopped' ? 'Stopped' : s === 'degraded' ? 'Degraded' : 'Failed';
  return { status, execution: x, ...exitInfo(x), reason: x.reason, message: x.message, durationSec: e.durationSec };
}

function listLines(check: CheckResult): string[] {
  const rows = check.executions.map(
    (e) =>
      `${e.name}  ${e.dueAt ? `Schedule (due ${utc(e.dueAt)})` : e.trigger}  started ${e.start ? utc(e.start) : '-'}  ${duration(e.durationSec) || '-'}  ${e.status}${e.exitCode !== undefined ? `  exit code ${e.exitCode}` : ''}`,
  );
  const missed = check.missed.map((d) => `(missed)  Schedule  due ${utc(d)}: no execution started`);
  const pending = check.pending.map((d) => `(not yet)  Schedule  due ${utc(d)}: may still be starting, not judged`);
  return [...rows, ...missed, ...pending];
}

/** The one error of a check that found failed executions or missed runs. */
function checkError(check: CheckResult, jobName: string, cron: string | undefined, suspended: boolean): string {
  const parts: string[] = [];
  const named = <T>(list: readonly T[], show: (x: T) => string): string =>
    list.slice(-NAMED_IN_ERROR).map(show).join(', ') +
    (list.length > NAMED_IN_ERROR ? ` and ${list.length - NAMED_IN_ERROR} more` : '');
  if (check.failed.length) {
    parts.push(
      `${check.failed.length} of ${check.executions.length} executions failed: ${named(check.failed, (e) => `${e.name} (${e.status}${e.exitCode ? `, exit code ${e.exitCode}` : ''}, started ${e.start ? utc(e.start) : '?'})`)}`,
    );
  }
  if (check.missed.length) {
    parts.push(
      `${check.missed.length} scheduled run${check.missed.length === 1 ? '' : 's'} never started (schedule '${cron ?? ''}'): due ${named(check.missed, utc)}`,
    );
  }
  const fix = !check.missed.length
    ? ''
    : suspended
      ? ` The job is suspended (runningState Suspended): its schedule starts nothing until it is resumed.`
      : " For a missed run, check the job's execution history and the environment's system logs in the portal (a run can be skipped while the job or its environment is being changed, or when the replica limit is reached).";
  const see = check.failed.length ? " The summary shows each failed execution's diagnosis and logs." : '';
  return `Job '${jobName}' since ${utc(check.since)}: ${parts.join('; ')}.${see}${fix}`;
}

/** Azure kept too few executions to judge the whole window. */
export function historyNote(jobName: string, from: Date): string {
  return `Azure keeps only the last ${AZURE_HISTORY_LIMIT} executions of a scheduled or event-driven job, and lists none of job '${jobName}' before ${utc(from)}: runs due before then were not judged. Use a shorter check-since, or query Log Analytics (ContainerAppSystemLogs_CL) for older runs.`;
}

/**
 * check-since: lists the window's executions in the log and the summary, shows each failed one's logs and
 * diagnosis, and returns the step's error when any failed or a scheduled run was missed (undefined otherwise).
 */
export async function checkWindow(r: HistoryRun, azure: Connection, job: Job): Promise<string | undefined> {
  const { kit, config, clock, report } = r;
  r.where.doing = 'read the executions';
  const until = new Date(clock.now());
  const since = new Date(until.getTime() - (config.checkSinceSec ?? 0) * 1000);
  const trigger = triggerOf(job, kit);
  // Runs due before the job existed are not expected.
  const created = job.systemData?.createdAt ? new Date(job.systemData.createdAt) : undefined;
  const expectFrom = created && !Number.isNaN(created.getTime()) ? created : undefined;
  const options = { schedule: trigger.schedule, triggerType: trigger.type, expectFrom };
  const check = await checkSince(() => azure.api.executionPages(), since, until, options).catch((error: unknown) => {
    throw describeAzureError(error, 'list the executions of', r.jobLabel);
  });
  const history = { check, cron: trigger.cron, triggerType: trigger.type, details: new Map<string, FailedDetail>() };
  report.history = history;
  const line = (text: string): void => kit.line(text);
  await kit.group(`Executions of ${config.jobName} since ${utc(since)}: ${historyHeadline(history)}`, () => {
    printUntrusted(line, listLines(check));
    kit.debug(`check-since read ${check.pagesRead} page(s) of executions.`);
    return Promise.resolve();
  });
  if (check.historyFrom) kit.notice(historyNote(config.jobName, check.historyFrom));
  if (check.failed.length === 0 && check.missed.length === 0) {
    kit.info(`Job ${config.jobName}: ${historyHeadline(history)} since ${utc(since)}.`);
    return undefined;
  }
  r.where.doing = 'read the logs of the failed executions';
  const failed = check.failed.slice(-MAX_FAILED_DETAILS).reverse();
  if (check.failed.length > failed.length)
    kit.info(`Showing the logs of the newest ${failed.length} of ${check.failed.length} failed executions.`);
  const logs: Map<string, PastLogs> = config.logs
    ? await pastExecutionLogs(
        {
          config,
          job,
          jobApi: azure.api,
          logsApi: azure.logsApi(),
          clock,
          out: {
            info: (m) => kit.info(m),
            warning: (m) => kit.warning(m),
            debug: (m) => kit.debug(m),
            line,
          },
          mask: redact,
          signal: r.signal,
        },
        failed.map((e) => e.execution),
      ).catch((error: unknown) => {
        kit.debug(`Logs: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        return new Map<string, PastLogs>();
      })
    : new Map<string, PastLogs>();
  const timeoutSec = defaultTimeoutSec(job.configuration?.replicaTimeout, job.configuration?.replicaRetryLimit);
  for (const e of failed) {
    const seen = logs.get(e.name);
    const evidence: Evidence = seen?.evidence ?? { job, events: [], tailOf: () => [], waiting: [] };
    const diagnosis = redact(diagnose(outcomeOf(e), config.jobName, e.name, timeoutSec, evidence).message);
    printUntrusted(line, [`Execution ${e.name} (${e.status}): ${diagnosis}`]);
    history.details.set(e.name, {
      diagnosis,
      tail: (seen?.summary.tail ?? []).map(redact),
      note: seen?.summary.note,
      query: seen?.summary.query,
      queryUrl: seen?.summary.queryUrl,
    });
  }
  return checkError(check, config.jobName, trigger.cron, /^suspended$/i.test(job.runningState ?? ''));
}

/** Why nothing started: the schedule's next run, or where to look for an Event job. */
function nothingStarted(config: Config, job: Job, trigger: Trigger, waitedText: string, now: number): string {
  const head = `No execution of job '${config.jobName}' started within ${waitedText}`;
  if (/^suspended$/i.test(job.runningState ?? ''))
    return `${head}: the job is suspended (runningState Suspended), so its trigger starts nothing until it is resumed.`;
  if (trigger.schedule) {
    const next = nextRuns(trigger.schedule, new Date(now), 1)[0];
    return `${head}: its schedule '${trigger.cron}' next runs at ${next ? utc(next) : 'no time in the next years'}; wait longer (await-next-execution) or run the check after that time.`;
  }
  if (/^event$/i.test(trigger.type ?? ''))
    return `${head}: for an Event job check the queue (did the message arrive?) and the scale rule (queue name, connection secret or identity, polling interval), in the portal's execution history and the environment's system logs.`;
  return `${head}: job '${config.jobName}' has trigger type ${trigger.type ?? 'unknown'}, which starts executions only when someone starts them.`;
}

function durationText(sec: number): string {
  if (sec % 3600 === 0) return `${sec / 3600}h`;
  if (sec % 60 === 0) return `${sec / 60}m`;
  return `${sec}s`;
}

/**
 * await-next-execution: waits for the next execution the job's trigger starts (one that was not there when the
 * step began), then hands it to `watch` (the same watch, logs and verdict as an execution the step started).
 */
export async function awaitNextExecution(
  r: HistoryRun,
  azure: Connection,
  job: Job,
  watch: (execution: JobExecution) => Promise<void>,
): Promise<void> {
  const { kit, config, clock } = r;
  const waitSec = config.awaitNextSec ?? 0;
  const trigger = triggerOf(job, kit);
  const began = clock.now();
  const pages = (): AsyncIterable<JobExecution[]> => azure.api.executionPages();
  const next = trigger.schedule ? nextRuns(trigger.schedule, new Date(began), 1)[0] : undefined;
  const what = trigger.schedule
    ? `its schedule '${trigger.cron}' next runs at ${next ? utc(next) : '?'}`
    : /^event$/i.test(trigger.type ?? '')
      ? 'an event (its scale rule)'
      : `trigger type ${trigger.type ?? 'unknown'}`;
  kit.info(
    `Waiting up to ${durationText(waitSec)} for the next execution of job ${config.jobName} that its trigger starts (${what}).`,
  );
  r.where.doing = 'wait for the next execution';
  // The next execution is the first one that started after the step began, or at most a minute before: the scale
  // rule may start one for the message an earlier step put on the queue while the runner starts this step.
  const after = new Date(Math.min(r.startedAt, began) - NEXT_LOOKBACK_MS);
  const found = await awaitNext(after, began + waitSec * 1000, {
    pages,
    now: () => clock.now(),
    sleep: (ms, signal) => clock.sleep(ms, signal),
    signal: r.signal,
    info: (m) => kit.info(m),
  }).catch((error: unknown) => {
    throw describeAzureError(error, 'list the executions of', r.jobLabel);
  });
  if (!found) {
    if (r.signal.aborted)
      throw new ActionError(
        `The workflow run was cancelled while waiting for the next execution of job '${config.jobName}'; none had started.`,
      );
    throw new ActionError(nothingStarted(config, job, trigger, durationText(waitSec), clock.now()));
  }
  kit.info(
    `Execution ${found.name} started${found.startTime ? ` at ${utc(new Date(found.startTime))}` : ''}; watching it.`,
  );
  r.report.notes = [
    ...(r.report.notes ?? []),
    `This step did not start the execution below: the job's ${trigger.schedule ? 'schedule' : 'trigger'} did, and the step waited for it (await-next-execution).`,
  ];
  await watch(found);
}
