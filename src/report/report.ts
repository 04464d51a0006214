/**
 * What the user gets back: outputs and the step summary (pure: builds values and Markdown; main writes them).
 * Secret values never reach here: changes carry secret names only.
 */
import type { Change } from '../job/spec.js';
import type { JobOperation } from '../job/deploy.js';
import type { OutcomeStatus } from '../execution/execution.js';
import { capLine, fenceFor, markdownText, utf8Bytes } from '../common/untrusted.js';
import { historyOutputs, renderHistory, type HistoryReport } from './history.js';
import type { RunRecord } from '../job/run-record.js';
import { renderUsage, type Usage } from './cost.js';
import { renderLastChanged, renderRollback, type RollbackReport } from './record.js';

/**
 * GitHub refuses a step summary over 1 MiB (the step then has none at all): this one stays under 900 KiB.
 * Text from Azure, a build or a container is never live Markdown: log lines are in a fenced block, messages
 * escaped (`markdownText`).
 */
export const SUMMARY_MAX_BYTES = 900 * 1024;
/** Log tail in the summary: at most this many lines, each cut to this many characters. */
export const SUMMARY_TAIL_MAX_LINES = 50;
export const SUMMARY_LINE_MAX_CHARS = 1024;
/** The failure message in the summary (the full one is in the log's error). */
const FAILURE_MAX_CHARS = 8 * 1024;
/** A step output value: GitHub refuses outputs over 1 MiB in total. */
const OUTPUT_MAX_CHARS = 64 * 1024;

export interface ExecutionReport {
  name: string;
  id?: string;
  status: OutcomeStatus;
  durationSec?: number;
  exitCode?: number;
  reason?: string;
  message?: string;
  stoppedByAction?: boolean;
}

export interface Report {
  jobName: string;
  resourceGroup: string;
  jobId: string;
  portalBase: string;
  tenantId?: string;
  operation?: JobOperation;
  dryRun: boolean;
  changes: Change[];
  image?: string;
  execution?: ExecutionReport;
  /** Extra lines, e.g. the next scheduled runs. */
  notes?: string[];
  /** check-since: the executions of the window, judged. */
  history?: HistoryReport;
  failure?: string;
  /** The run record the job carried when this step read it (which workflow run last changed it). */
  lastChangedBy?: RunRecord;
  /** What the finished execution used, and its estimated cost. */
  usage?: Usage;
  /** With on-failure: rollback: whether the job was put back, and what or why not. */
  rollback?: RollbackReport;
  /** on-failure was rollback: the rolled-back output is always set then. */
  rollbackAsked?: boolean;
  /** The execution's log: its last lines (secrets already masked) and where to find the rest. */
  logs?: {
    tail: string[];
    source?: 'live' | 'log-analytics';
    note?: string;
    /** A Log Analytics query for the execution's console logs. */
    query: string;
    queryUrl?: string;
  };
}

export function portalJobUrl(portalBase: string, tenantId: string | undefined, jobId: string): string {
  return `${portalBase}/#${tenantId ? `@${tenantId}/` : ''}resource${jobId}/overview`;
}

export function portalExecutionsUrl(portalBase: string, tenantId: string | undefined, jobId: string): string {
  return `${portalBase}/#${tenantId ? `@${tenantId}/` : ''}resource${jobId}/executionHistory`;
}

export function outputsOf(report: Report): Record<string, string> {
  const out: Record<string, string> = {
    'job-id': report.jobId,
    'portal-url': report.execution
      ? portalExecutionsUrl(report.portalBase, report.tenantId, report.jobId)
      : portalJobUrl(report.portalBase, report.tenantId, report.jobId),
  };
  if (report.operation) out['job-operation'] = report.operation;
  if (report.image) out.image = report.image;
  const ex = report.execution;
  if (ex) {
    out['execution-name'] = ex.name;
    if (ex.id) out['execution-id'] = ex.id;
    out['execution-status'] = ex.status;
    if (ex.durationSec !== undefined) out['execution-duration'] = String(ex.durationSec);
    if (ex.exitCode !== undefined) out['exit-code'] = String(ex.exitCode);
  }
  if (report.history) Object.assign(out, historyOutputs(report.history));
  if (report.rollbackAsked) out['rolled-back'] = report.rollback?.rolledBack ? 'true' : 'false';
  for (const [k, v] of Object.entries(out)) out[k] = capLine(v, OUTPUT_MAX_CHARS);
  return out;
}

const ICON: Record<string, string> = {
  Succeeded: '✅',
  Running: '⏳',
  Failed: '❌',
  Degraded: '❌',
  Stopped: '⏹️',
  TimedOut: '⏱️',
  Cancelled: '🚫',
};

/** A code span (no Markdown or HTML is live in it); one line, `|` escaped for tables, cut to 1 KiB. */
function codeSpan(text: string | undefined): string {
  if (text === undefined || text === '') return '';
  const one = capLine(text, SUMMARY_LINE_MAX_CHARS).split('`').join("'").split('\r').join(' ').split('\n').join(' ');
  return `\`${one.split('|').join('\\|')}\``;
}

/**
 * The step summary. `redact` hides known secret values; it is applied to each text before it is escaped (an
 * escaped secret would no longer match it afterwards).
 */
export function renderSummary(report: Report, redact: (text: string) => string = (t) => t): string {
  const full = renderWith(report, redact, report.changes);
  if (utf8Bytes(full) <= SUMMARY_MAX_BYTES) return full;
  // Too large: the change table is what can grow without bound (the log tail and messages are capped).
  let keep = report.changes.length;
  let out = full;
  while (keep > 0 && utf8Bytes(out) > SUMMARY_MAX_BYTES) {
    keep = Math.floor(keep / 2);
    out = renderWith(report, redact, report.changes.slice(0, keep), report.changes.length - keep);
  }
  if (utf8Bytes(out) <= SUMMARY_MAX_BYTES) return out;
  const cut = Buffer.from(out, 'utf8')
    .subarray(0, SUMMARY_MAX_BYTES - 200)
    .toString('utf8');
  return `${cut}\n\n*The summary was cut at ${Math.round(SUMMARY_MAX_BYTES / 1024)} KiB (GitHub accepts 1 MiB at most); the step's log has everything.*\n`;
}

function renderWith(report: Report, r: (text: string) => string, changes: Change[], changesCut = 0): string {
  const esc = (text: string, max?: number): string => markdownText(r(text), max);
  const code = (text: string | undefined): string => codeSpan(text === undefined ? text : r(text));
  const jobUrl = portalJobUrl(report.portalBase, report.tenantId, report.jobId);
  const lines: string[] = [];
  const verdict = report.failure ? '❌' : report.execution ? (ICON[report.execution.status] ?? '') : '✅';
  lines.push(`### ${verdict} Container Apps job [${report.jobName}](${jobUrl})`, '');
  lines.push('| | |', '|---|---|');
  lines.push(`| Resource group | ${esc(report.resourceGroup)} |`);
  if (report.operation) {
    lines.push(
      `| Deploy | ${report.dryRun ? `dry run: would be **${report.operation}**, nothing written` : `**${report.operation}**`} |`,
    );
  }
  if (report.image) lines.push(`| Image | ${code(report.image)} |`);
  const ex = report.execution;
  if (ex) {
    const exUrl = portalExecutionsUrl(report.portalBase, report.tenantId, report.jobId);
    lines.push(`| Execution | [${esc(ex.name)}](${exUrl}) |`);
    lines.push(
      `| Status | ${ICON[ex.status] ?? ''} ${ex.status}${ex.stoppedByAction ? ' (stopped by this step)' : ''} |`,
    );
    if (ex.durationSec !== undefined) lines.push(`| Duration | ${ex.durationSec} s |`);
    if (ex.exitCode !== undefined) lines.push(`| Exit code | ${ex.exitCode} |`);
    if (ex.reason) lines.push(`| Reason | ${esc(ex.reason)} |`);
    if (ex.message) lines.push(`| Message | ${esc(ex.message)} |`);
  }
  lines.push('');
  // With a log tail below, the failure's first line is enough (the lines after it are the container's last lines).
  const failure = report.logs?.tail.length ? report.failure?.split('\n')[0] : report.failure;
  if (failure) lines.push(`> **Failed:** ${esc(failure, FAILURE_MAX_CHARS)}`, '');
  lines.push(...renderRollback(report.rollback, r));
  if (changes.length || changesCut) {
    // A dry run's plan is what the reader came for: shown open.
    const title = report.dryRun
      ? '<details open><summary>Plan: what would change</summary>'
      : '<details><summary>What changed</summary>';
    lines.push(title, '', '| Setting | Before | After |', '|---|---|---|');
    for (const c of changes) {
      const field = `${esc(c.field)}${c.source ? ` (${esc(c.source)})` : ''}`;
      lines.push(`| ${field} | ${code(c.from)} | ${code(c.to)} |`);
    }
    if (changesCut)
      lines.push('', `${changesCut} more changes are not shown (the summary's size limit); the step's log lists them.`);
    lines.push('', '</details>', '');
  } else if (report.operation === 'unchanged') {
    lines.push('The job already matched the inputs; nothing was written.', '');
  }
  for (const n of report.notes ?? []) lines.push(n, '');
  if (report.history) lines.push(...renderHistory(report.history, r));
  lines.push(...renderLastChanged(report.lastChangedBy, report.operation === 'updated' && !report.dryRun));
  if (report.usage) lines.push(...renderUsage(report.usage), '');
  const logs = report.logs;
  if (logs) lines.push(...renderLogs(logs, r));
  lines.push(
    `[Job in the Azure portal](${jobUrl})${ex ? ` · [Execution history](${portalExecutionsUrl(report.portalBase, report.tenantId, report.jobId)})` : ''}${logs?.queryUrl ? ` · [Logs in Log Analytics](${logs.queryUrl})` : ''}`,
    '',
  );
  return lines.join('\n');
}

function renderLogs(logs: NonNullable<Report['logs']>, r: (text: string) => string): string[] {
  const out: string[] = [];
  if (logs.tail.length) {
    // Each line one line (a line holding a newline counts as several), the last 50, each cut to 1 KiB.
    const all = logs.tail.flatMap((l) => l.split('\n'));
    const tail = all
      .slice(-SUMMARY_TAIL_MAX_LINES)
      .map((l) => capLine(r(l).split('\r').join(' '), SUMMARY_LINE_MAX_CHARS));
    const body = tail.join('\n');
    const f = fenceFor(body);
    const from = logs.source === 'log-analytics' ? ' (from Log Analytics)' : '';
    out.push(
      `<details open><summary>Last ${tail.length} lines of the log${from}</summary>`,
      '',
      `${f}text`,
      body,
      f,
      '',
      '</details>',
      '',
    );
  }
  if (logs.note) out.push(markdownText(r(logs.note)), '');
  const qf = fenceFor(logs.query);
  out.push(
    '<details><summary>Log Analytics query for this execution</summary>',
    '',
    `${qf}kusto`,
    logs.query,
    qf,
    '',
    '</details>',
    '',
  );
  return out;
}
