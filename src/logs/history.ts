/**
 * The logs of executions that already ended (check-since): their live streams are gone, so their console lines
 * and the platform's events come from Log Analytics, with the same bounds as for a started execution
 * (logs/run.ts): all of them together wait at most `logs-wait` for ingestion, and only an execution that ended in
 * the last few minutes is waited for at all (an older one's rows are in, or never will be).
 */
import type { Job, JobExecution } from '@azure/arm-appcontainers';
import type { JobApi } from '../azure/arm.js';
import type { LogsApi } from '../azure/logs-api.js';
import type { Clock } from '../common/clock.js';
import type { Evidence } from '../execution/diagnose.js';
import type { Config } from '../inputs/config.js';
import type { LogsOutput, LogsSummary } from './run.js';
import { consoleQuery, fromLogAnalytics, LogPrinter, logAnalyticsQueryUrl, SUMMARY_TAIL_LINES } from './stream.js';

/** Ingestion is waited for only for executions that ended this recently. */
const RECENT_MS = 10 * 60_000;

export interface PastLogsDeps {
  config: Pick<Config, 'jobName' | 'resourceGroup' | 'logsWaitSec'> & {
    auth: Pick<Config['auth'], 'portalUrl' | 'tenantId'>;
  };
  job: Job;
  jobApi: Pick<JobApi, 'getEnvironment'>;
  logsApi: LogsApi;
  clock: Clock;
  out: LogsOutput;
  /** Hides known secret values in container lines. */
  mask?: (text: string) => string;
  signal?: AbortSignal;
}

export interface PastLogs {
  summary: LogsSummary;
  evidence: Evidence;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function timeOf(value: Date | string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const t = new Date(value).getTime();
  return Number.isNaN(t) ? undefined : t;
}

/** Where the environment sends its logs: the workspace's customer id, and a scope for portal links. */
async function workspaceOf(d: PastLogsDeps): Promise<{ customerId?: string; scope?: string; envName: string }> {
  const envId = d.job.environmentId ?? '';
  const envName = envId.split('/').pop() ?? '';
  try {
    const env = envId ? await d.jobApi.getEnvironment(envId) : undefined;
    const customerId = env?.appLogsConfiguration?.logAnalyticsConfiguration?.customerId ?? undefined;
    if (!customerId) return { envName };
    const workspace = await d.logsApi.findWorkspace(customerId).catch(() => undefined);
    return { customerId, scope: workspace ?? envId, envName };
  } catch (error) {
    d.out.debug(`Logs: could not read environment ${envId}: ${messageOf(error)}`);
    return { envName };
  }
}

/**
 * Reads and prints (one group per replica/container) the logs of each execution, newest first, and returns
 * what the summary and the diagnosis need, by execution name. Never throws: logs never change the verdict.
 */
export async function pastExecutionLogs(
  d: PastLogsDeps,
  executions: readonly JobExecution[],
): Promise<Map<string, PastLogs>> {
  const found = new Map<string, PastLogs>();
  if (executions.length === 0) return found;
  const { customerId, scope, envName } = await workspaceOf(d);
  const deadline = d.clock.now() + d.config.logsWaitSec * 1000;
  let denied: string | undefined;
  for (const e of executions) {
    const name = e.name ?? '';
    const query = consoleQuery(d.config.jobName, name);
    const summary: LogsSummary = { tail: [], query };
    if (scope) summary.queryUrl = logAnalyticsQueryUrl(d.config.auth.portalUrl, d.config.auth.tenantId, scope, query);
    const evidence: Evidence = { job: d.job, events: [], tailOf: () => [], waiting: [] };
    found.set(name, { summary, evidence });
    if (!customerId) {
      summary.note = `Environment ${envName} sends no logs to Log Analytics, so the logs of execution ${name} cannot be shown (its live stream is gone).`;
      continue;
    }
    if (denied || d.signal?.aborted) continue;
    const endedAt = timeOf(e.endTime) ?? d.clock.now();
    const recent = d.clock.now() - endedAt < RECENT_MS;
    const waitSec = recent ? Math.max(0, Math.floor((deadline - d.clock.now()) / 1000)) : 0;
    try {
      const la = await fromLogAnalytics({
        api: d.logsApi,
        workspaceId: customerId,
        jobName: d.config.jobName,
        execution: name,
        startedAt: timeOf(e.startTime) ?? endedAt,
        endedAt,
        waitSec,
        clock: d.clock,
        withEvents: true,
      });
      if (la.state === 'denied') {
        denied = `reading Log Analytics needs the Log Analytics Reader role on workspace ${customerId} (${la.problem ?? 'InsufficientAccessError'})`;
        summary.note = `The logs could not be shown: ${denied}.`;
        continue;
      }
      const printer = new LogPrinter((text) => d.out.line(text), d.mask);
      for (const [key, lines] of la.console) {
        printer.open(key, `Logs of ${name}: ${key.replace('/', ' / ')} (from Log Analytics)`);
        printer.lines(key, lines);
        printer.end(key);
      }
      printer.close();
      summary.tail = printer.tail(SUMMARY_TAIL_LINES);
      if (la.console.size > 0) summary.source = 'log-analytics';
      else if (la.state === 'error') summary.note = `Log Analytics failed (${la.problem ?? 'no answer'}).`;
      else
        summary.note = `No container logs of execution ${name} are in Log Analytics${recent ? ' yet (ingestion can take several minutes)' : ''}.`;
      evidence.events = la.events;
      evidence.tailOf = (key, n) => (la.console.get(key) ?? []).slice(-n);
    } catch (error) {
      summary.note = `Log Analytics failed (${messageOf(error)}).`;
    }
  }
  if (denied)
    d.out.warning(
      `Could not show the logs of the failed executions: ${denied}. The step's result does not depend on them.`,
    );
  return found;
}
