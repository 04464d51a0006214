/**
 * Executions the action did not start (input `check-since`, `await-next-execution`): read the job's
 * executions page by page, only as far back as the window needs; judge each one; and, for a Schedule job,
 * find the runs the cron expression expected in the window that never started (missed runs).
 *
 * The executions list has no documented order. Azure returns the newest first, so reading stops after a
 * whole page that started before the window; a page that mixes old and new ones is always read on.
 */
import type { JobExecution } from '@azure/arm-appcontainers';
import { nextRuns, type CronSchedule } from '../common/cron.js';
import { exitInfo, isFinal } from './execution.js';

/** Pages of the job's executions, as the API returns them (following nextLink). */
export type ExecutionPages = () => AsyncIterable<JobExecution[]>;

export type Verdict = 'succeeded' | 'failed' | 'running';

export interface JudgedExecution {
  readonly name: string;
  readonly status: string;
  readonly verdict: Verdict;
  readonly start?: Date;
  readonly end?: Date;
  readonly durationSec?: number;
  readonly exitCode?: number;
  /** What started it: the schedule (with the run it was due for), or anything else (a person, a workflow, an event). */
  readonly trigger: string;
  readonly dueAt?: Date;
  readonly execution: JobExecution;
}

export interface CheckResult {
  readonly since: Date;
  readonly until: Date;
  /** Oldest first. */
  readonly executions: readonly JudgedExecution[];
  readonly failed: readonly JudgedExecution[];
  /** Runs the schedule expected in the window that never started. */
  readonly missed: readonly Date[];
  /** Runs due so recently that they may still be starting: not judged. */
  readonly pending: readonly Date[];
  readonly pagesRead: number;
  /**
   * Azure lists no execution before this time although the window starts earlier: it keeps only the last
   * AZURE_HISTORY_LIMIT executions of a scheduled or event-driven job. Runs due before it are not judged.
   */
  readonly historyFrom?: Date;
}

/**
 * Azure keeps "the most recent 100 successful and failed job executions" of scheduled and event-based jobs
 * (learn.microsoft.com/azure/container-apps/jobs): a list that long which never reaches back past the window's
 * start may have lost the window's oldest executions.
 */
export const AZURE_HISTORY_LIMIT = 100;

/** A scheduled run may start this long after the minute it was due (Azure's scheduler and a cold pull). */
export const SCHEDULE_GRACE_MS = 5 * 60_000;
/** ... or start up to this long before it (the runner's and Azure's clocks differ). */
const EARLY_MS = 60_000;
/** At most this many due runs are computed for a window (a cron of every minute over 31 days is 44,640). */
const MAX_DUE_RUNS = 50_000;

function dateOf(value: Date | string | null | undefined): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function startOf(e: JobExecution): Date | undefined {
  return dateOf(e.startTime);
}

/** Every execution that started at or after `since` (and those not started yet), reading no page more than needed. */
export async function executionsSince(
  pages: ExecutionPages,
  since: Date,
): Promise<{ executions: JobExecution[]; pagesRead: number; listed: number; reachedSince: boolean }> {
  const executions: JobExecution[] = [];
  let pagesRead = 0;
  let listed = 0;
  let reachedSince = false;
  for await (const page of pages()) {
    pagesRead++;
    listed += page.length;
    let older = 0;
    for (const e of page) {
      const start = startOf(e);
      if (start && start.getTime() < since.getTime()) older++;
      else executions.push(e);
    }
    if (older > 0) reachedSince = true;
    if (page.length > 0 && older === page.length) break;
  }
  return { executions, pagesRead, listed, reachedSince };
}

/** The runs a schedule expected in [since, until], oldest first (at most MAX_DUE_RUNS). */
export function dueRuns(schedule: CronSchedule, since: Date, until: Date): Date[] {
  const out: Date[] = [];
  let from = new Date(since.getTime() - 60_000);
  while (out.length < MAX_DUE_RUNS) {
    const batch = nextRuns(schedule, from, 256);
    for (const d of batch) {
      if (d.getTime() > until.getTime()) return out;
      if (d.getTime() >= since.getTime()) out.push(d);
    }
    if (batch.length < 256) return out;
    from = batch[batch.length - 1]!;
  }
  return out;
}

/** What started an execution that no due run claims, given the job's trigger type. */
function otherTrigger(triggerType: string | undefined): string {
  switch (triggerType?.toLowerCase()) {
    case 'schedule':
    case 'manual':
      return 'Manual';
    case 'event':
      return 'Event or manual';
    default:
      return 'Unknown';
  }
}

function verdictOf(status: string): Verdict {
  if (!isFinal(status)) return 'running';
  return status.toLowerCase() === 'succeeded' ? 'succeeded' : 'failed';
}

/** What judging needs to know of the job. */
export interface JudgeOptions {
  /** A Schedule job's cron expression, parsed. */
  readonly schedule?: CronSchedule;
  /** Manual, Schedule or Event: what else may have started an execution. */
  readonly triggerType?: string;
  /** Runs due before this time are not expected (the job did not exist yet): default the window's start. */
  readonly expectFrom?: Date;
}

/**
 * Judge the executions of the window. With a schedule, each due run claims the first unclaimed execution that
 * started within a minute before it and SCHEDULE_GRACE_MS after it; a due run with none is missed, unless it
 * was due less than SCHEDULE_GRACE_MS ago (pending).
 */
export function judge(
  executions: readonly JobExecution[],
  since: Date,
  until: Date,
  options: JudgeOptions = {},
): CheckResult {
  const { schedule } = options;
  const other = otherTrigger(schedule ? 'Schedule' : options.triggerType);
  const expectFrom = options.expectFrom && options.expectFrom > since ? options.expectFrom : since;
  const sorted = [...executions].sort(
    (a, b) => (startOf(a)?.getTime() ?? Infinity) - (startOf(b)?.getTime() ?? Infinity),
  );
  const dueFor = new Map<JobExecution, Date>();
  const missed: Date[] = [];
  const pending: Date[] = [];
  if (schedule) {
    // Each due run has its own window (a minute before it to SCHEDULE_GRACE_MS after it, cut halfway to its
    // neighbours so that windows never overlap: one missed run cannot shift the claims of all later ones), and
    // claims the execution that started first at or after it, else the last one just before it. One pass: both
    // lists are in time order.
    const dues = dueRuns(schedule, expectFrom, until);
    let next = 0;
    const startMs = (i: number): number => startOf(sorted[i]!)?.getTime() ?? Infinity;
    for (const [i, due] of dues.entries()) {
      const t = due.getTime();
      const before = i > 0 ? t - dues[i - 1]!.getTime() : Infinity;
      const after = i + 1 < dues.length ? dues[i + 1]!.getTime() - t : Infinity;
      const lo = t - Math.min(EARLY_MS, before / 2);
      const hi = Math.min(t + SCHEDULE_GRACE_MS, t + after - Math.min(EARLY_MS, after / 2));
      while (next < sorted.length && startMs(next) < lo) next++;
      let match: JobExecution | undefined;
      for (; next < sorted.length && startMs(next) < hi; next++) {
        if (match && startOf(match)!.getTime() >= t) continue;
        match = sorted[next];
      }
      if (match) dueFor.set(match, due);
      else if (until.getTime() - t < SCHEDULE_GRACE_MS) pending.push(due);
      else missed.push(due);
    }
  }
  const judged = sorted.map((e): JudgedExecution => {
    const status = e.status ?? 'Unknown';
    const start = startOf(e);
    const end = dateOf(e.endTime);
    const due = dueFor.get(e);
    return {
      name: e.name ?? '(unnamed)',
      status,
      verdict: verdictOf(status),
      start,
      end,
      durationSec: start && end ? Math.max(0, Math.round((end.getTime() - start.getTime()) / 1000)) : undefined,
      exitCode: exitInfo(e).exitCode,
      trigger: due ? 'Schedule' : other,
      dueAt: due,
      execution: e,
    };
  });
  return {
    since,
    until,
    executions: judged,
    failed: judged.filter((j) => j.verdict === 'failed'),
    missed,
    pending,
    pagesRead: 0,
  };
}

/**
 * check-since: read the window's executions and judge them. When Azure's list holds AZURE_HISTORY_LIMIT or more
 * executions and none before the window, the oldest ones may be gone: runs due before the oldest listed
 * execution are not judged (`historyFrom`).
 */
export async function checkSince(
  pages: ExecutionPages,
  since: Date,
  until: Date,
  options: JudgeOptions = {},
): Promise<CheckResult> {
  const { executions, pagesRead, listed, reachedSince } = await executionsSince(pages, since);
  const result = { ...judge(executions, since, until, options), pagesRead };
  const oldest = result.executions[0]?.start;
  if (reachedSince || listed < AZURE_HISTORY_LIMIT || !oldest) return result;
  return { ...result, missed: result.missed.filter((d) => d >= oldest), historyFrom: oldest };
}

/** A time as users read it in the log: `2026-12-05 06:00 UTC` (seconds only when not zero). */
export function utc(d: Date): string {
  const iso = d.toISOString();
  const seconds = iso.slice(17, 19);
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}${seconds === '00' ? '' : `:${seconds}`} UTC`;
}

export interface AwaitNextDeps {
  readonly pages: ExecutionPages;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal?: AbortSignal;
  readonly info: (message: string) => void;
}

/**
 * await-next-execution: the first execution that started at or after `after` (oldest first), or undefined when
 * none started before `deadline`. Reads the list every 15 s (the first minute: every 5 s), only as far back as
 * `after`.
 */
export async function awaitNext(after: Date, deadline: number, deps: AwaitNextDeps): Promise<JobExecution | undefined> {
  const started = deps.now();
  for (;;) {
    const { executions } = await executionsSince(deps.pages, after);
    const fresh = executions
      .filter((e) => e.name && startOf(e))
      .sort((a, b) => startOf(a)!.getTime() - startOf(b)!.getTime());
    if (fresh[0]) return fresh[0];
    const left = deadline - deps.now();
    if (left <= 0 || deps.signal?.aborted) return undefined;
    await deps.sleep(Math.min(left, deps.now() - started < 60_000 ? 5_000 : 15_000), deps.signal);
  }
}
