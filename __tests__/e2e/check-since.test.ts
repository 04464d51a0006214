/**
 * check-since end to end: the bundled action judges the executions a Schedule job's cron started (and one a person
 * started) in a window, against the stand-in whose scheduler fired them while its clock stood in the past.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, type Bed, type E2eRun } from '../../test-support/e2e.ts';
import { renderedText } from '../../test-support/markdown.ts';
import { APP_API_VERSIONS_WITH_2026_07_01, type ScheduledRun } from '../../standin/index.ts';

const IMAGE = 'mcr.microsoft.com/k8se/quickstart-jobs:latest';
const HOUR = 3600_000;
let bed: Bed;
/** The stand-in's clock runs this far from the real one (the action's); tests move it back to seed the past. */
let offset = 0;

beforeAll(async () => {
  // The field lists api-versions up to 2026-01-01 (the stand-in's default): exit codes come in detailedStatus
  // (2026-07-01), which this file's tests show, so the region lists it.
  bed = await startBed({
    clock: () => Date.now() + offset,
    arm: { executionsPageSize: 20, apiVersions: APP_API_VERSIONS_WITH_2026_07_01 },
  });
});
afterAll(async () => {
  await bed?.close();
});

/** `2026-12-05 06:00 UTC`, as the action prints times. */
function utc(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * A Schedule job seeded `agoMs` in the past (stand-in clock), whose cron fires `runs` in order from then on; the
 * clock then comes back to now, and the stand-in's scheduler catches up on every run that was due meanwhile.
 */
function scheduledJob(name: string, cron: string, agoMs: number, ...runs: ScheduledRun[]): void {
  offset = -agoMs;
  try {
    bed.standIn.arm.seedJob(bed.world.resourceGroup, {
      name,
      location: bed.world.location,
      properties: {
        environmentId: bed.world.environmentId,
        configuration: {
          triggerType: 'Schedule',
          replicaTimeout: 600,
          scheduleTriggerConfig: { cronExpression: cron, parallelism: 1, replicaCompletionCount: 1 },
        },
        template: { containers: [{ name: 'main', image: IMAGE, resources: { cpu: 0.5, memory: '1Gi' } }] },
      },
    });
    bed.standIn.arm.scheduleRuns(bed.world.resourceGroup, name, ...runs);
  } finally {
    offset = 0;
  }
}

/** A daily cron at this minute of the hours `hoursAgo` before now; returns it with the due times (ms). */
function dailyAt(now: number, hoursAgo: number[]): { cron: string; due: number[] } {
  const due = hoursAgo.map((h) => Math.floor((now - h * HOUR) / 60_000) * 60_000);
  const minute = new Date(now).getUTCMinutes();
  const hours = due.map((d) => new Date(d).getUTCHours()).sort((a, b) => a - b);
  return { cron: `${minute} ${hours.join(',')} * * *`, due };
}

function check(job: string, inputs: Record<string, string> = {}): Promise<E2eRun> {
  return bed.run({
    'job-name': job,
    'check-since': '25h',
    'log-analytics-endpoint': bed.standIn.urls.loganalytics,
    ...inputs,
  });
}

const executionLists = (r: E2eRun): number =>
  r.arm.filter((q) => q.method === 'GET' && /\/executions$/i.test(q.path)).length;

describe('check-since', () => {
  it('fails for a failed run (exit code, logs, diagnosis shown) and for a missed scheduled run, naming both', async () => {
    const now = Date.now();
    const { cron, due } = dailyAt(now, [20, 14, 8]);
    scheduledJob(
      'nightly-weather',
      cron,
      24 * HOUR,
      { durationMs: 42_000, logs: ['fetched 24 hourly rows for Oslo'] },
      {
        durationMs: 30_000,
        outcome: 'Failed',
        exitCode: 3,
        logs: ['fetching Oslo', "KeyError: 'temperature_2m' in response"],
      },
      { missed: true },
    );
    const r = await check('nightly-weather');

    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    const [failed, ok] = bed.standIn.arm.listExecutions(bed.world.resourceGroup, 'nightly-weather') as {
      name: string;
    }[];
    const error = r.errors[0]!;
    expect(error).toContain(`1 of 2 executions failed: ${failed!.name} (Failed, exit code 3, started ${utc(due[1]!)})`);
    expect(error).toContain(`1 scheduled run never started (schedule '${cron}'): due ${utc(due[2]!)}`);
    expect(r.outputs).toMatchObject({
      'executions-checked': '2',
      'executions-failed': '1',
      'executions-missed': '1',
    });
    // Nothing was started or changed.
    expect(r.writes).toEqual([]);
    // The log lists both executions and the missed run; the failed one's logs come from Log Analytics, with its
    // diagnosis.
    expect(r.log).toMatch(
      new RegExp(`${ok!.name} +Schedule \\(due ${utc(due[0]!)}\\) +started .* +42 s +Succeeded +exit code 0`),
    );
    expect(r.log).toContain(`(missed)  Schedule  due ${utc(due[2]!)}: no execution started`);
    expect(r.log).toMatch(/▼ Logs of .*\(from Log Analytics\)/);
    expect(r.log).toContain("KeyError: 'temperature_2m' in response");
    expect(r.log).toMatch(new RegExp(`Execution ${failed!.name} \\(Failed\\): .*exited with code 3`));
    // The summary: a row per execution and per missed run, the diagnosis and the last lines.
    const md = renderedText(r.summary);
    expect(md).toContain(`| ${ok!.name} | Schedule (due ${utc(due[0]!).slice(11)}) |`);
    expect(md).toMatch(new RegExp(`\\| ${failed!.name} \\| Schedule .* \\| 30 s \\| ❌ Failed \\| 3 \\|`));
    expect(md).toContain(`| *(never started)* | Schedule | due ${utc(due[2]!)} | | ⚠️ Missed | |`);
    expect(md).toContain("KeyError: 'temperature_2m' in response");
    expect(md).toMatch(/exited with code 3/);
    expect(md).toContain('[Logs in Log Analytics](https://portal.azure.com/#@');
  });

  it('succeeds on a clean window, counting what the schedule and a person started', async () => {
    const now = Date.now();
    const { cron } = dailyAt(now, [12]);
    scheduledJob('clean-weather', cron, 24 * HOUR, { durationMs: 5_000 });
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, 'clean-weather', { durationMs: 300 });
    const manual = await bed.run({ 'job-name': 'clean-weather', start: 'true' });
    expect(manual.errors).toEqual([]);

    const r = await check('clean-weather');
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs).toMatchObject({
      'executions-checked': '2',
      'executions-failed': '0',
      'executions-missed': '0',
    });
    expect(r.writes).toEqual([]);
    const md = renderedText(r.summary);
    expect(md).toContain(`| ${manual.outputs['execution-name']} | Manual |`);
    expect(md).toContain('2 executions (2 succeeded, 0 failed); 0 scheduled runs missed');
  });

  it('reads only the pages the window needs when a job has many executions (20 a page)', async () => {
    const now = Date.now();
    const minute = new Date(now).getUTCMinutes();
    // Twice an hour, 10 and 40 minutes before now's minute: 4 runs in the last 2 hours, 144 over three days, of
    // which Azure lists the newest 100.
    const cron = `${(minute + 50) % 60},${(minute + 20) % 60} * * * *`;
    scheduledJob('busy-weather', cron, 72 * HOUR);
    expect(bed.standIn.arm.listExecutions(bed.world.resourceGroup, 'busy-weather')).toHaveLength(100);

    const r = await check('busy-weather', { 'check-since': '2h' });
    expect(r.errors).toEqual([]);
    expect(r.outputs['executions-checked']).toBe('4');
    // The first page mixes the window's 4 with older ones; the second holds only older ones: reading stops there.
    expect(executionLists(r)).toBe(2);
  });

  it("does not call runs missed that Azure's history of 100 executions no longer reaches, and says so", async () => {
    // Every 5 minutes for a day: 288 runs, of which Azure lists the newest 100 (about 8 hours).
    scheduledJob('frequent-weather', '*/5 * * * *', 24 * HOUR);
    const r = await check('frequent-weather');
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ 'executions-checked': '100', 'executions-missed': '0' });
    expect(r.notices.join('\n')).toMatch(
      /Azure keeps only the last 100 executions of a scheduled or event-driven job, and lists none of job 'frequent-weather' before .* UTC: runs due before then were not judged\./,
    );
  });
});
