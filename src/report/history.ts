/**
 * check-since in the step summary and the outputs (pure): every execution of the window in a table (name,
 * trigger, start, duration, status, exit code), the runs the schedule expected that never started, and for each
 * failed execution its diagnosis and its last log lines. Azure's texts and the containers' lines are untrusted:
 * escaped, or in fenced blocks, as in report.ts.
 */
import type { CheckResult, JudgedExecution } from '../execution/history.js';
import { AZURE_HISTORY_LIMIT, utc } from '../execution/history.js';
import { capLine, fenceFor, markdownText } from '../common/untrusted.js';

/** At most this many executions in the summary's table (the newest; the log lists them all). */
export const HISTORY_MAX_ROWS = 200;
/** At most this many log lines per failed execution in the summary. */
export const HISTORY_TAIL_LINES = 20;
const LINE_MAX_CHARS = 1024;

/** What the summary shows of a failed execution beyond its row. */
export interface FailedDetail {
  /** Why it failed, in the user's terms (diagnose). */
  diagnosis: string;
  /** Its last log lines (secrets already masked). */
  tail: string[];
  /** Where the lines came from, or why there are none. */
  note?: string;
  /** A Log Analytics query for its console logs. */
  query?: string;
  /** That query in the portal. */
  queryUrl?: string;
}

export interface HistoryReport {
  readonly check: CheckResult;
  /** The Schedule job's cron expression. */
  readonly cron?: string;
  readonly triggerType?: string;
  /** By execution name. */
  readonly details: ReadonlyMap<string, FailedDetail>;
}

/** The outputs of check-since. */
export function historyOutputs(h: HistoryReport): Record<string, string> {
  return {
    'executions-checked': String(h.check.executions.length),
    'executions-failed': String(h.check.failed.length),
    'executions-missed': String(h.check.missed.length),
  };
}

const STATUS_ICON: Record<string, string> = { succeeded: '✅', failed: '❌', running: '⏳' };

function hours(h: HistoryReport): string {
  const sec = Math.round((h.check.until.getTime() - h.check.since.getTime()) / 1000);
  if (sec % 3600 === 0) return `${sec / 3600} h`;
  if (sec % 60 === 0) return `${sec / 60} min`;
  return `${sec} s`;
}

/** A cell holding untrusted text: one line, no live Markdown (punctuation, `|` included, as references). */
function cell(text: string | undefined, r: (t: string) => string): string {
  return text ? markdownText(r(text), LINE_MAX_CHARS) : '';
}

function row(e: JudgedExecution, r: (t: string) => string): string {
  const trigger = e.dueAt ? `Schedule (due ${utc(e.dueAt).slice(11)})` : e.trigger;
  const start = e.start ? utc(e.start) : 'not started';
  const duration = e.durationSec !== undefined ? `${e.durationSec} s` : '';
  const status = `${STATUS_ICON[e.verdict] ?? ''} ${cell(e.status, r)}`;
  return `| ${cell(e.name, r)} | ${trigger} | ${start} | ${duration} | ${status} | ${e.exitCode ?? ''} |`;
}

/** The headline: how many executions, how many failed, how many runs were missed. */
export function historyHeadline(h: HistoryReport): string {
  const { executions, failed, missed, pending } = h.check;
  const running = executions.filter((e) => e.verdict === 'running').length;
  const succeeded = executions.filter((e) => e.verdict === 'succeeded').length;
  const parts = [`${succeeded} succeeded`, `${failed.length} failed`];
  if (running) parts.push(`${running} still running`);
  const runs = `${executions.length} execution${executions.length === 1 ? '' : 's'}`;
  const sched = h.cron
    ? `; ${missed.length} scheduled run${missed.length === 1 ? '' : 's'} missed${pending.length ? `, ${pending.length} due moments ago not judged yet` : ''}`
    : '';
  return `${runs} (${parts.join(', ')})${sched}`;
}

/** The summary section of check-since. `r` hides known secret values (applied before escaping). */
export function renderHistory(h: HistoryReport, r: (text: string) => string = (t) => t): string[] {
  const { check } = h;
  const bad = check.failed.length > 0 || check.missed.length > 0;
  const out: string[] = [
    `#### ${bad ? '❌' : '✅'} Executions since ${utc(check.since)} (${hours(h)})`,
    '',
    `${historyHeadline(h)}.${h.cron ? ` Schedule: \`${h.cron.split('`').join("'")}\` (UTC).` : ''}`,
    '',
  ];
  if (check.historyFrom)
    out.push(
      `Azure keeps only the last ${AZURE_HISTORY_LIMIT} executions of a scheduled or event-driven job: none is listed before ${utc(check.historyFrom)}, so runs due before then were not judged.`,
      '',
    );
  // Newest first in the summary: the reader looks for last night's run.
  const shown = [...check.executions].reverse().slice(0, HISTORY_MAX_ROWS);
  const sorted = [
    ...shown.map((e) => ({ t: e.start?.getTime() ?? Infinity, line: row(e, r) })),
    ...check.missed.map((d) => ({
      t: d.getTime(),
      line: `| *(never started)* | Schedule | due ${utc(d)} | | ⚠️ Missed | |`,
    })),
    ...check.pending.map((d) => ({
      t: d.getTime(),
      line: `| *(not started yet)* | Schedule | due ${utc(d)} | | ⏳ Due moments ago (not judged) | |`,
    })),
  ].sort((a, b) => b.t - a.t);
  if (sorted.length) {
    out.push('| Execution | Trigger | Started | Duration | Status | Exit code |', '|---|---|---|---|---|---|');
    out.push(...sorted.map((s) => s.line));
    const cut = check.executions.length - shown.length;
    if (cut > 0) out.push('', `${cut} older executions are not shown here; the step's log lists them all.`);
    out.push('');
  } else {
    out.push('No execution started in this window.', '');
  }
  for (const e of [...check.failed].reverse()) {
    const d = h.details.get(e.name);
    if (!d) continue;
    out.push(`<details open><summary>❌ ${cell(e.name, r)}: ${cell(e.status, r)}</summary>`, '');
    out.push(`> ${markdownText(r(d.diagnosis.split('\n')[0] ?? ''), 4096)}`, '');
    const tail = d.tail
      .flatMap((l) => l.split('\n'))
      .slice(-HISTORY_TAIL_LINES)
      .map((l) => capLine(r(l).split('\r').join(' '), LINE_MAX_CHARS));
    if (tail.length) {
      const body = tail.join('\n');
      const f = fenceFor(body);
      out.push(`Last ${tail.length} lines of the log:`, '', `${f}text`, body, f, '');
    }
    if (d.note) out.push(markdownText(r(d.note)), '');
    if (d.query) {
      const qf = fenceFor(d.query);
      out.push(`${qf}kusto`, d.query, qf, '');
    }
    if (d.queryUrl) out.push(`[Logs in Log Analytics](${d.queryUrl})`, '');
    out.push('</details>', '');
  }
  return out;
}
