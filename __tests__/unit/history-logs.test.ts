/**
 * The logs of executions that already ended (check-since), from Log Analytics: bounded like a started one's
 * (logs-wait in all, waiting only for one that ended minutes ago), one warning when access is denied, and the
 * evidence the diagnosis needs.
 */
import type { Job, JobExecution } from '@azure/arm-appcontainers';
import { describe, expect, it } from 'vitest';
import { HttpError, type LogsApi, type LogTable } from '../../src/azure/logs-api.ts';
import { pastExecutionLogs, type PastLogsDeps } from '../../src/logs/history.ts';
import { FakeClock } from '../../test-support/fakes.ts';

const NOW = Date.UTC(2026, 11, 5, 7, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();
const CONSOLE = ['TimeGenerated', 'ContainerGroupName_s', 'ContainerName_s', 'Log_s'];
const SYSTEM = ['TimeGenerated', 'ReplicaName_s', 'Type_s', 'Reason_s', 'Log_s'];

function exec(name: string, endedAgoMs: number): JobExecution {
  return {
    name,
    status: 'Failed',
    startTime: new Date(NOW - endedAgoMs - 60_000),
    endTime: new Date(NOW - endedAgoMs),
  };
}

/** Log Analytics that has rows for the executions in `ingested`, and none (yet) for the others. */
function logsApi(ingested: Set<string>, denied = false): LogsApi & { queries: string[] } {
  const queries: string[] = [];
  const api = {
    queries,
    findWorkspace: async () =>
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law',
    query: async (_ws: string, q: string): Promise<LogTable> => {
      const name = /'(job-[a-z0-9]+)-?'/.exec(q)?.[1] ?? '';
      queries.push(`${q.startsWith('ContainerAppConsoleLogs_CL') ? 'console' : 'system'} ${name}`);
      if (denied) throw new HttpError(403, 'insufficient access', 'InsufficientAccessError');
      if (!ingested.has(name))
        return { columns: q.startsWith('ContainerAppConsoleLogs_CL') ? CONSOLE : SYSTEM, rows: [] };
      if (q.startsWith('ContainerAppConsoleLogs_CL'))
        return { columns: CONSOLE, rows: [[iso(NOW - 90_000), `${name}-r1`, 'main', `KeyError in ${name}`]] };
      return {
        columns: SYSTEM,
        rows: [
          [iso(NOW - 80_000), `${name}-r1`, 'Normal', 'Completed', `Saw completed job: ${name}, condition: Failed`],
        ],
      };
    },
  };
  return api as unknown as LogsApi & { queries: string[] };
}

function deps(api: LogsApi, clock: FakeClock, out: string[]): PastLogsDeps {
  return {
    config: {
      jobName: 'job',
      resourceGroup: 'rg',
      logsWaitSec: 30,
      auth: { portalUrl: 'https://portal.azure.com', tenantId: 't' },
    },
    job: { environmentId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/managedEnvironments/env' } as Job,
    jobApi: {
      getEnvironment: async (id: string) => ({
        id,
        location: 'westeurope',
        appLogsConfiguration: { logAnalyticsConfiguration: { customerId: 'ws-1' } },
      }),
    },
    logsApi: api,
    clock,
    out: {
      info: (m) => out.push(m),
      warning: (m) => out.push(`::warning::${m}`),
      debug: () => {},
      line: (t) => out.push(t),
    },
  };
}

describe('logs of ended executions', () => {
  it("prints each one's lines and returns the evidence; waits (within logs-wait) only for one that just ended", async () => {
    const clock = new FakeClock(NOW);
    const api = logsApi(new Set(['job-old']));
    const out: string[] = [];
    const found = await pastExecutionLogs(deps(api, clock, out), [
      exec('job-old', 6 * 3600_000),
      exec('job-new', 60_000),
    ]);
    // The old one: asked once. The new one: not ingested yet, asked again until logs-wait ran out.
    expect(api.queries.filter((q) => q.endsWith('job-old'))).toHaveLength(2);
    expect(api.queries.filter((q) => q.endsWith('job-new')).length).toBeGreaterThan(2);
    expect(clock.now() - NOW).toBeLessThanOrEqual(30_000);
    expect(out).toContain('::group::Logs of job-old: job-old-r1 / main (from Log Analytics)');
    const old = found.get('job-old')!;
    expect(old.summary.tail).toEqual([expect.stringContaining('KeyError in job-old')]);
    expect(old.evidence.tailOf('job-old-r1/main', 5)).toEqual([expect.stringContaining('KeyError in job-old')]);
    expect(old.summary.queryUrl).toMatch(/^https:\/\/portal\.azure\.com\/#@t\//);
    expect(found.get('job-new')!.summary.note).toBe(
      'No container logs of execution job-new are in Log Analytics yet (ingestion can take several minutes).',
    );
  });

  it('stops asking at the first denial and warns once, naming the role', async () => {
    const clock = new FakeClock(NOW);
    const api = logsApi(new Set(), true);
    const out: string[] = [];
    await pastExecutionLogs(deps(api, clock, out), [exec('job-a', 3600_000), exec('job-b', 7200_000)]);
    expect(api.queries.filter((q) => q.startsWith('console'))).toEqual(['console job-a']);
    expect(out.filter((l) => l.startsWith('::warning::'))).toEqual([
      "::warning::Could not show the logs of the failed executions: reading Log Analytics needs the Log Analytics Reader role on workspace ws-1 (InsufficientAccessError: insufficient access). The step's result does not depend on them.",
    ]);
  });
});
