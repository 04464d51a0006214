// Cron expressions as Azure Container Apps jobs take them (`scheduleTriggerConfig.cronExpression`): the standard
// five fields `minute hour day-of-month month day-of-week`, evaluated in UTC.
//
// Supported: `*`, numbers, lists (`1,15`), ranges (`1-5`), steps (`*/15`, `0-30/10`, and `5/15` meaning `5-max/15`),
// month names JAN-DEC and day names SUN-SAT (any case). Day of week is 0-6 with 0 = Sunday.
//
// Rejected, each with a message that says what to write instead: 6- or 7-field expressions (seconds, years),
// `@hourly`-style macros and `TZ=` prefixes (not confirmed to be accepted by Azure, so we never send them), the
// Quartz extensions `?`, `L`, `W` and `#`, day-of-week 7 (Kubernetes' cron parser takes 0-6 only), backwards ranges,
// steps larger than their range (`*/90` in minutes would mean only minute 0), and day-of-month / month combinations
// that never occur (`0 0 31 4 *`).
//
// Day-of-month and day-of-week combine with the classic cron OR rule: when both are restricted, a day matches if
// either matches (`0 0 1 * MON` runs on the 1st and on every Monday). Azure behaves so (microsoft/azure-container-apps
// #1660: `5,35 * 29 2 1` ran on ordinary Mondays). A field counts as unrestricted when it contains a bare `*` (or
// `*/1`), as in the robfig/cron parser that Kubernetes CronJobs use; `*/2` is a restriction.
//
// Pure: no I/O, no clock.

export interface CronSchedule {
  /** The expression as parsed, fields separated by single spaces. */
  expression: string;
  /** Sorted, distinct values of each field. */
  minutes: readonly number[];
  hours: readonly number[];
  daysOfMonth: readonly number[];
  /** 1-12 */
  months: readonly number[];
  /** 0-6, 0 = Sunday */
  daysOfWeek: readonly number[];
  /** false when the day-of-month field is `*` */
  dayOfMonthRestricted: boolean;
  /** false when the day-of-week field is `*` */
  dayOfWeekRestricted: boolean;
}

/**
 * A cron expression that Azure would not accept, or that would never run. The message explains the problem and the
 * fix; the caller adds which input the expression came from.
 */
export class CronError extends Error {
  override name = 'CronError';
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** offset of names[0] */
  namesBase?: number;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, namesBase: 1 },
  { name: 'day-of-week', min: 0, max: 6, names: DAY_NAMES, namesBase: 0 },
];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const FIVE_FIELDS = 'five fields: minute hour day-of-month month day-of-week, in UTC';

/** Days in a month in the longest case (February counts 29, since leap years exist). */
const MAX_DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function quote(s: string): string {
  return `'${s.length > 60 ? `${s.slice(0, 57)}...` : s}'`;
}

function parseValue(token: string, spec: FieldSpec, item: string): number {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    if (spec.name === 'day-of-week' && n === 7) {
      throw new CronError(
        `the day-of-week field uses 0-6 with 0 = Sunday, so ${quote(item)} has an invalid 7: write 0 or SUN for Sunday`,
      );
    }
    if (n < spec.min || n > spec.max) {
      throw new CronError(`the ${spec.name} field value ${quote(token)} is out of range ${spec.min}-${spec.max}`);
    }
    return n;
  }
  if (spec.names && /^[A-Za-z]+$/.test(token)) {
    const idx = spec.names.indexOf(token.toUpperCase());
    if (idx >= 0) return idx + (spec.namesBase ?? 0);
    throw new CronError(
      `the ${spec.name} field has an unknown name ${quote(token)}: use ${spec.names[0]}-${spec.names[spec.names.length - 1]} (three letters) or numbers ${spec.min}-${spec.max}`,
    );
  }
  if (/[?LW#]/i.test(token)) {
    throw new CronError(
      `the ${spec.name} field ${quote(item)} uses a Quartz extension ('?', 'L', 'W' or '#') that standard cron does not have: use '*' or explicit values`,
    );
  }
  const hint = spec.names ? ` or names ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : '';
  throw new CronError(`the ${spec.name} field value ${quote(token)} is not a number ${spec.min}-${spec.max}${hint}`);
}

interface ParsedField {
  values: number[];
  star: boolean;
}

function parseField(text: string, spec: FieldSpec): ParsedField {
  const values = new Set<number>();
  let star = false;
  for (const item of text.split(',')) {
    if (item === '') {
      throw new CronError(`the ${spec.name} field ${quote(text)} has an empty list item: write items like '1,15'`);
    }
    const slash = item.split('/');
    if (slash.length > 2) throw new CronError(`the ${spec.name} field item ${quote(item)} has more than one '/'`);
    const [rangePart = '', stepPart] = slash;
    let step = 1;
    if (stepPart !== undefined) {
      if (!/^\d+$/.test(stepPart) || Number(stepPart) === 0) {
        throw new CronError(
          `the ${spec.name} field item ${quote(item)} needs a whole step of at least 1 after '/', e.g. '*/15'`,
        );
      }
      step = Number(stepPart);
    }
    let lo: number;
    let hi: number;
    if (rangePart === '*') {
      lo = spec.min;
      hi = spec.max;
      if (step === 1) star = true;
    } else if (rangePart.includes('-')) {
      const parts = rangePart.split('-');
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
        throw new CronError(`the ${spec.name} field item ${quote(item)} is not a range like '1-5'`);
      }
      lo = parseValue(parts[0] ?? '', spec, item);
      hi = parseValue(parts[1] ?? '', spec, item);
      if (lo > hi) {
        throw new CronError(
          `the ${spec.name} field range ${quote(rangePart)} runs backwards: cron ranges go from low to high, so write it as a list, e.g. '${lo}-${spec.max},${spec.min}-${hi}'`,
        );
      }
    } else {
      lo = parseValue(rangePart, spec, item);
      // 'N/step' means 'N-max/step' (as in Kubernetes' cron parser)
      hi = stepPart !== undefined ? spec.max : lo;
    }
    if (step > 1 && step > hi - lo) {
      throw new CronError(
        `the ${spec.name} field step in ${quote(item)} is larger than its range ${lo}-${hi}, so it would match only ${lo}; cron cannot express intervals longer than the field (such as every 90 minutes), so list the values instead`,
      );
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values: [...values].sort((a, b) => a - b), star };
}

function suggestion(fields: string[]): string | undefined {
  try {
    const candidate = fields.map((f) => (f === '?' ? '*' : f)).join(' ');
    parseCron(candidate);
    return candidate;
  } catch {
    return undefined;
  }
}

/** Parses a five-field cron expression; throws CronError with a message that explains the fix. */
export function parseCron(expr: string): CronSchedule {
  const text = expr.trim();
  if (text === '') throw new CronError(`the expression is empty: write ${FIVE_FIELDS}, e.g. '0 6 * * *'`);
  if (/^(CRON_)?TZ=/i.test(text)) {
    throw new CronError(
      `time zone prefixes are not supported: Azure Container Apps runs schedules in UTC, so convert the time to UTC and remove the ${quote(text.split(/\s+/)[0] ?? '')} prefix`,
    );
  }
  if (text.startsWith('@')) {
    const equivalent = MACROS[text.toLowerCase()];
    throw new CronError(
      equivalent
        ? `macros such as ${quote(text)} are not standard five-field cron: write '${equivalent}' instead`
        : `${quote(text)} is not a cron expression: write ${FIVE_FIELDS}, e.g. '0 6 * * *'`,
    );
  }
  const fields = text.split(/\s+/);
  if (fields.length === 6 || fields.length === 7) {
    const rest = fields.length === 6 ? fields.slice(1) : fields.slice(1, 6);
    const fix = suggestion(rest);
    throw new CronError(
      `it has ${fields.length} fields, but Azure Container Apps takes five (minute hour day-of-month month day-of-week, in UTC) with no seconds${fields.length === 7 ? ' or year' : ''} field${fix ? `; did you mean '${fix}'?` : ''}`,
    );
  }
  if (fields.length !== 5) {
    throw new CronError(
      `it has ${fields.length} field${fields.length === 1 ? '' : 's'}; write ${FIVE_FIELDS}, e.g. '0 6 * * *' (every day at 06:00 UTC)`,
    );
  }
  const parsed = fields.map((f, i) => parseField(f, FIELDS[i] as FieldSpec));
  const [minute, hour, dom, month, dow] = parsed as [ParsedField, ParsedField, ParsedField, ParsedField, ParsedField];
  const schedule: CronSchedule = {
    expression: fields.join(' '),
    minutes: minute.values,
    hours: hour.values,
    daysOfMonth: dom.values,
    months: month.values,
    daysOfWeek: dow.values,
    dayOfMonthRestricted: !dom.star,
    dayOfWeekRestricted: !dow.star,
  };
  // With day-of-week '*', only the day-of-month field decides: make sure some chosen day exists in some chosen month.
  if (schedule.dayOfMonthRestricted && !schedule.dayOfWeekRestricted) {
    const possible = schedule.months.some((m) => schedule.daysOfMonth.some((d) => d <= (MAX_DAYS[m] ?? 31)));
    if (!possible) {
      throw new CronError(
        `it never runs, because day ${schedule.daysOfMonth.join(',')} does not exist in month ${fields[3]}; pick a day that exists, e.g. '${fields[0]} ${fields[1]} 1 ${fields[3]} *'`,
      );
    }
  }
  return schedule;
}

function dayMatches(s: CronSchedule, date: Date): boolean {
  const domMatch = s.daysOfMonth.includes(date.getUTCDate());
  const dowMatch = s.daysOfWeek.includes(date.getUTCDay());
  if (s.dayOfMonthRestricted && s.dayOfWeekRestricted) return domMatch || dowMatch;
  return domMatch && dowMatch;
}

/** How far nextRuns looks for each run (Feb 29 schedules skip a leap year at most every century, e.g. 2100). */
const SEARCH_YEARS = 9;

/**
 * The next `count` times (UTC, whole minutes) strictly after `from` at which the schedule fires. Stops early, with
 * fewer, when no run follows within nine years of the previous one (or of `from`).
 */
export function nextRuns(schedule: CronSchedule, from: Date, count: number): Date[] {
  const out: Date[] = [];
  if (!(count > 0) || Number.isNaN(from.getTime())) return out;
  const t = new Date(from.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  const limitAfter = (d: Date): number => Date.UTC(d.getUTCFullYear() + SEARCH_YEARS, d.getUTCMonth(), d.getUTCDate());
  let limit = limitAfter(t);
  while (out.length < count && t.getTime() <= limit) {
    if (!schedule.months.includes(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(schedule, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.hours.includes(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!schedule.minutes.includes(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    out.push(new Date(t.getTime()));
    limit = limitAfter(t);
    t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
  }
  return out;
}
