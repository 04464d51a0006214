/**
 * Executions that nobody starts through the API: the scheduler of a Schedule job (its cron expression, in UTC,
 * on the stand-in's clock) and the event scaler of an Event job. The cron reading here is the stand-in's own,
 * deliberately independent of the action's parser (src/common/cron.ts), so that a test can catch a mistake in
 * either: five fields, `*`, numbers, lists, ranges, steps, month and day names; day-of-month and day-of-week
 * combine with the classic OR rule when both are restricted (their field does not start with `*`).
 */
import type { Arm } from './arm.ts';
import type { ExecutionRecord, ExecutionScript } from './executions.ts';
import { createExecution } from './routes/executions.ts';
import type { JobRecord } from './state.ts';
import { isObj, type JsonObject } from './util.ts';

/** A run the scheduler was due to start: the script of its execution, or missed (the scheduler skips it). */
export interface ScheduledRun extends ExecutionScript {
  /** No execution starts for this due run (as when Azure's scheduler misses one). */
  missed?: boolean;
  /** The execution starts this long after the minute it was due (default 0). */
  startDelayMs?: number;
}

const NAMES: Record<number, readonly string[]> = {
  3: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  4: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
};
const RANGES: readonly [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];

function value(text: string, field: number): number {
  const names = NAMES[field];
  const i = names ? names.indexOf(text.toUpperCase()) : -1;
  if (i >= 0) return field === 3 ? i + 1 : i;
  if (!/^\d+$/.test(text)) throw new Error(`cron: '${text}' is not a number`);
  return Number(text);
}

function field(text: string, f: number): Set<number> {
  const [min, max] = RANGES[f]!;
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!(step >= 1)) throw new Error(`cron: bad step in '${part}'`);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range!.includes('-')) {
      const [a, b] = range!.split('-');
      [lo, hi] = [value(a!, f), value(b!, f)];
    } else {
      lo = value(range!, f);
      hi = stepText === undefined ? lo : max;
    }
    if (lo < min || hi > max || lo > hi) throw new Error(`cron: '${part}' is out of range`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Whether a UTC minute matches the expression. Throws on an expression the stand-in cannot read. */
export function cronMatcher(expression: string): (t: Date) => boolean {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron: '${expression}' does not have five fields`);
  const [mi, h, dom, mon, dow] = parts.map((p, i) => field(p, i)) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  const domAny = parts[2]!.startsWith('*');
  const dowAny = parts[4]!.startsWith('*');
  return (t) => {
    if (!mi.has(t.getUTCMinutes()) || !h.has(t.getUTCHours()) || !mon.has(t.getUTCMonth() + 1)) return false;
    const d = dom.has(t.getUTCDate());
    const w = dow.has(t.getUTCDay());
    return domAny || dowAny ? d && w : d || w;
  };
}

/** The scheduler looks back at most this far (60 days of minutes) when its clock jumps. */
const MAX_CATCH_UP_MS = 60 * 24 * 3600_000;

/** The minutes in (afterMs, untilMs] at which the expression fires, oldest first. */
export function dueTimes(expression: string, afterMs: number, untilMs: number): number[] {
  const matches = cronMatcher(expression);
  const out: number[] = [];
  const from = Math.max(afterMs, untilMs - MAX_CATCH_UP_MS);
  let t = Math.floor(from / 60_000) * 60_000 + 60_000;
  for (; t <= untilMs; t += 60_000) if (matches(new Date(t))) out.push(t);
  return out;
}

function configurationOf(job: JobRecord): JsonObject {
  const props = job.spec.properties;
  const conf = isObj(props) ? props.configuration : undefined;
  return isObj(conf) ? conf : {};
}

/** The trigger type in lower case ('' when unset). */
function triggerTypeOf(conf: JsonObject): string {
  return typeof conf.triggerType === 'string' ? conf.triggerType.toLowerCase() : '';
}

/**
 * Starts the executions that the Schedule jobs' cron expressions were due to start up to `now`, each at the minute
 * it was due (plus its `startDelayMs`), taking the job's queued scheduled runs in order (else the default script).
 * A job's schedule counts from when the stand-in first saw it as a Schedule job (its last modification), so a job
 * seeded while the clock stood in the past catches up, when the clock moves on, on the runs it was due since.
 * Called before every ARM request and by the inspection methods: nothing happens between calls.
 */
export function runSchedules(arm: Arm, now = arm.clock()): void {
  for (const job of arm.jobs.values()) {
    const conf = configurationOf(job);
    const sched = conf.scheduleTriggerConfig;
    const cron = isObj(sched) && typeof sched.cronExpression === 'string' ? sched.cronExpression : undefined;
    if (triggerTypeOf(conf) !== 'schedule' || !cron) {
      delete job.scheduledThrough;
      continue;
    }
    job.scheduledThrough ??= Date.parse(job.systemData.lastModifiedAt) || now;
    if (now <= job.scheduledThrough) continue;
    let due: number[];
    try {
      due = dueTimes(cron, job.scheduledThrough, now);
    } catch {
      due = []; // an expression the stand-in cannot read never fires
    }
    job.scheduledThrough = now;
    // A suspended job's schedule starts nothing (its due runs pass unstarted; guess: they are not caught up on resume).
    if (job.runningState === 'Suspended') continue;
    for (const t of due) {
      const { missed, startDelayMs, ...script } = job.scheduledRuns?.shift() ?? { ...arm.defaultExecutionScript };
      if (missed) continue;
      createExecution(arm, job, script, Math.min(now, t + Math.max(0, startDelayMs ?? 0)));
    }
  }
}

/** The event scaler starts one execution per script now (default: one with the default script). Event jobs only. */
export function triggerEvent(arm: Arm, job: JobRecord, scripts: ExecutionScript[]): ExecutionRecord[] {
  const type = triggerTypeOf(configurationOf(job));
  if (type !== 'event')
    throw new Error(`triggerEvent: job ${job.name} has trigger type '${type}'; only Event jobs are started by events`);
  if (job.runningState === 'Suspended') return []; // a suspended job's scale rule starts nothing
  const list = scripts.length ? scripts : [{ ...arm.defaultExecutionScript }];
  return list.map((s) => createExecution(arm, job, s, arm.clock()));
}
