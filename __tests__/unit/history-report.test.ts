/** check-since in the summary and the outputs: every execution, missed runs, failed ones' diagnosis and logs. */
import type { JobExecution } from '@azure/arm-appcontainers';
import { describe, expect, it } from 'vitest';
import { parseCron } from '../../src/common/cron.ts';
import { judge } from '../../src/execution/history.ts';
import { historyOutputs, renderHistory, type HistoryReport } from '../../src/report/history.ts';
import { outputsOf, renderSummary, type Report } from '../../src/report/report.ts';
import { renderedText } from '../../test-support/markdown.ts';

const at = (iso: string): Date => new Date(iso);
function exec(name: string, start: string, status: string, end?: string, code?: number): JobExecution {
  return {
    name,
    startTime: at(start),
    endTime: end ? at(end) : undefined,
    status,
    ...(code !== undefined
      ? { detailedStatus: { replicas: [{ name: `${name}-r`, containers: [{ name: 'main', code }] }] } }
      : {}),
  };
}

const since = at('2026-12-04T06:00:00Z');
const until = at('2026-12-05T07:00:00Z');

function history(executions: JobExecution[], details: HistoryReport['details'] = new Map()): HistoryReport {
  const check = {
    ...judge(executions, since, until, { schedule: parseCron('0 6,18 * * *'), triggerType: 'Schedule' }),
    pagesRead: 1,
  };
  return { check, cron: '0 6,18 * * *', triggerType: 'Schedule', details };
}

describe('check-since summary', () => {
  it('lists each execution with trigger, start, duration, status and exit code, and each missed run with its due time', () => {
    const h = history([
      exec('job-a', '2026-12-04T06:00:30Z', 'Succeeded', '2026-12-04T06:01:30Z', 0),
      exec('job-b', '2026-12-05T06:00:10Z', 'Failed', '2026-12-05T06:00:50Z', 3),
      exec('job-c', '2026-12-05T06:30:00Z', 'Running'),
    ]);
    const md = renderedText(renderHistory(h).join('\n'));
    expect(md).toContain('| job-a | Schedule (due 06:00 UTC) | 2026-12-04 06:00:30 UTC | 60 s | ✅ Succeeded | 0 |');
    expect(md).toContain('| job-b | Schedule (due 06:00 UTC) | 2026-12-05 06:00:10 UTC | 40 s | ❌ Failed | 3 |');
    expect(md).toContain('| job-c | Manual | 2026-12-05 06:30 UTC |  | ⏳ Running |  |');
    expect(md).toContain('| *(never started)* | Schedule | due 2026-12-04 18:00 UTC | | ⚠️ Missed | |');
    expect(md).toContain('3 executions (1 succeeded, 1 failed, 1 still running); 1 scheduled run missed');
    // Newest first.
    expect(md.indexOf('job-c')).toBeLessThan(md.indexOf('job-b'));
    expect(md.indexOf('job-b')).toBeLessThan(md.indexOf('never started'));
    expect(historyOutputs(h)).toEqual({
      'executions-checked': '3',
      'executions-failed': '1',
      'executions-missed': '1',
    });
  });

  it("shows a failed execution's diagnosis and last log lines, with Azure's and the container's text inert", () => {
    const hostile = 'job-<img src=x onerror=alert(1)>|x';
    const h = history(
      [exec(hostile, '2026-12-05T06:00:10Z', 'Failed', '2026-12-05T06:00:50Z', 3)],
      new Map([
        [
          hostile,
          {
            diagnosis: 'container r/main exited with code 3: **boom** [link](http://evil)\nLast log lines: …',
            tail: ['```', 'KeyError: POSTGRES_URL', 's3cr3t-value in a line'],
            query: 'ContainerAppConsoleLogs_CL | take 5',
          },
        ],
      ]),
    );
    const md = renderHistory(h, (t) => t.split('s3cr3t-value').join('***')).join('\n');
    expect(md).not.toContain('<img');
    expect(md).not.toContain('**boom**');
    expect(renderedText(md)).toContain('**boom** [link](http://evil)');
    expect(md).not.toContain('s3cr3t-value');
    expect(md).toContain('KeyError: POSTGRES_URL');
    // The log lines sit in a fence longer than any backtick run inside.
    expect(md).toMatch(/````text\n```\nKeyError: POSTGRES_URL/);
    // The table row keeps its six cells: the | in the name is escaped.
    const row = md.split('\n').find((l) => l.includes('onerror'))!;
    expect(row.split(/(?<!\\)\|/).length).toBe(8);
  });

  it('says so when nothing started in the window, and adds the outputs and the section to the step summary', () => {
    const check = { ...judge([], since, until, { triggerType: 'Event' }), pagesRead: 1 };
    const h: HistoryReport = { check, triggerType: 'Event', details: new Map() };
    const report: Report = {
      jobName: 'alice-weather-job',
      resourceGroup: 'rg',
      jobId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/jobs/alice-weather-job',
      portalBase: 'https://portal.azure.com',
      dryRun: false,
      changes: [],
      history: h,
    };
    const md = renderedText(renderSummary(report));
    expect(md).toContain('Executions since 2026-12-04 06:00 UTC (25 h)');
    expect(md).toContain('No execution started in this window.');
    expect(outputsOf(report)).toMatchObject({
      'executions-checked': '0',
      'executions-failed': '0',
      'executions-missed': '0',
    });
  });
});
