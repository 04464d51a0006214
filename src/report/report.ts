/**
 * What the user gets back: outputs and the step summary (pure: builds values and Markdown; main writes them).
 * Secret values never reach here: changes carry secret names only.
 */
import type { Change } from '../job/spec.js';
import type { JobOperation } from '../job/deploy.js';
import type { OutcomeStatus } from '../execution/execution.js';

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
  failure?: string;
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

function esc(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function code(text: string | undefined): string {
  return text === undefined || text === '' ? '' : `\`${text.replace(/`/g, "'")}\``;
}

export function renderSummary(report: Report): string {
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
    lines.push(`| Execution | [${ex.name}](${exUrl}) |`);
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
  if (failure) lines.push(`> **Failed:** ${esc(failure)}`, '');
  if (report.changes.length) {
    // A dry run's plan is what the reader came for: shown open.
    const title = report.dryRun
      ? '<details open><summary>Plan: what would change</summary>'
      : '<details><summary>What changed</summary>';
    lines.push(title, '', '| Setting | Before | After |', '|---|---|---|');
    for (const c of report.changes) {
      const field = `${esc(c.field)}${c.source ? ` (${c.source})` : ''}`;
      lines.push(`| ${field} | ${code(c.from && esc(c.from))} | ${code(c.to && esc(c.to))} |`);
    }
    lines.push('', '</details>', '');
  } else if (report.operation === 'unchanged') {
    lines.push('The job already matched the inputs; nothing was written.', '');
  }
  for (const n of report.notes ?? []) lines.push(n, '');
  const logs = report.logs;
  if (logs) lines.push(...renderLogs(logs));
  lines.push(
    `[Job in the Azure portal](${jobUrl})${ex ? ` · [Execution history](${portalExecutionsUrl(report.portalBase, report.tenantId, report.jobId)})` : ''}${logs?.queryUrl ? ` · [Logs in Log Analytics](${logs.queryUrl})` : ''}`,
    '',
  );
  return lines.join('\n');
}

/** A fence longer than any run of backticks in the text, so log lines cannot close it. */
function fence(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  return '`'.repeat(longest + 1);
}

function renderLogs(logs: NonNullable<Report['logs']>): string[] {
  const out: string[] = [];
  if (logs.tail.length) {
    const body = logs.tail.join('\n');
    const f = fence(body);
    const from = logs.source === 'log-analytics' ? ' (from Log Analytics)' : '';
    out.push(
      `<details open><summary>Last ${logs.tail.length} lines of the log${from}</summary>`,
      '',
      `${f}text`,
      body,
      f,
      '',
      '</details>',
      '',
    );
  }
  if (logs.note) out.push(esc(logs.note), '');
  const qf = fence(logs.query);
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
