/**
 * await-next-execution end to end: the bundled action waits for the execution that the job's own trigger starts
 * (a schedule firing on the stand-in's clock, an event), then watches it as if it had started it; or times out
 * saying when the schedule runs next. The test moves the stand-in's clock (or sends the event) when the action
 * says it is waiting: an event, not a duration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_API_VERSIONS_WITH_2026_07_01 } from '../../standin/index.ts';
import { startBed, type Bed } from '../../test-support/e2e.ts';

const IMAGE = 'mcr.microsoft.com/k8se/quickstart-jobs:latest';
let bed: Bed;
/** The stand-in's clock runs this far ahead of the real one (the action's). */
let offset = 0;

beforeAll(async () => {
  // The field lists api-versions up to 2026-01-01 (the stand-in's default): exit codes come in detailedStatus
  // (2026-07-01), which this file's tests show, so the region lists it.
  bed = await startBed({ clock: () => Date.now() + offset, arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01 } });
});
afterAll(async () => {
  await bed?.close();
});

function seed(name: string, configuration: Record<string, unknown>): void {
  bed.standIn.arm.seedJob(bed.world.resourceGroup, {
    name,
    location: bed.world.location,
    properties: {
      environmentId: bed.world.environmentId,
      configuration: { replicaTimeout: 600, ...configuration },
      template: { containers: [{ name: 'main', image: IMAGE, resources: { cpu: 0.5, memory: '1Gi' } }] },
    },
  });
}

const schedule = (cron: string) => ({
  triggerType: 'Schedule',
  scheduleTriggerConfig: { cronExpression: cron, parallelism: 1, replicaCompletionCount: 1 },
});
const event = {
  triggerType: 'Event',
  eventTriggerConfig: {
    parallelism: 1,
    replicaCompletionCount: 1,
    scale: {
      minExecutions: 0,
      maxExecutions: 10,
      pollingInterval: 30,
      rules: [{ name: 'orders', type: 'azure-queue', metadata: { queueName: 'orders', accountName: 'stweather' } }],
    },
  },
};

const WAITING = /Waiting up to .* for the next execution of job/;

describe('await-next-execution', () => {
  it('watches the run its schedule starts during the wait to success, without starting one', async () => {
    offset = 0;
    // Hourly, half an hour from now: it cannot fire by itself during the test.
    const minute = (new Date().getUTCMinutes() + 30) % 60;
    seed('hourly-weather', schedule(`${minute} * * * *`));
    bed.standIn.arm.scheduleRuns(bed.world.resourceGroup, 'hourly-weather', {
      durationMs: 1500,
      logs: ['scheduled run: fetched 24 rows'],
    });
    const due = Math.ceil(Date.now() / 3600_000) * 3600_000 + minute * 60_000;
    const next = due - 3600_000 > Date.now() ? due - 3600_000 : due;
    const r = await bed.run(
      { 'job-name': 'hourly-weather', 'await-next-execution': '10m' },
      {
        onLog: (line) => {
          // The action waits: the stand-in's clock reaches the due minute, and its scheduler starts the run.
          if (WAITING.test(line)) offset = next + 1000 - Date.now();
        },
      },
    );
    offset = 0;
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const [started] = bed.standIn.arm.listExecutions(bed.world.resourceGroup, 'hourly-weather') as {
      name: string;
      properties: { startTime: string };
    }[];
    expect(started!.properties.startTime).toBe(new Date(next).toISOString().slice(0, 19) + '+00:00');
    expect(r.outputs).toMatchObject({
      'execution-name': started!.name,
      'execution-status': 'Succeeded',
      'exit-code': '0',
    });
    expect(r.writes).toEqual([]);
    expect(r.log).toMatch(new RegExp(`Execution ${started!.name} started at .*; watching it\\.`));
    expect(r.log).toContain('scheduled run: fetched 24 rows');
    expect(r.summary).toContain('Succeeded');
    expect(r.summary).toContain("This step did not start the execution below: the job's schedule did");
  });

  it('watches the execution an event starts and fails with its diagnosis and exit code', async () => {
    seed('orders-job', event);
    const r = await bed.run(
      { 'job-name': 'orders-job', 'await-next-execution': '10m' },
      {
        onLog: (line) => {
          if (WAITING.test(line))
            bed.standIn.arm.triggerEvent(bed.world.resourceGroup, 'orders-job', {
              durationMs: 800,
              outcome: 'Failed',
              exitCode: 4,
              logs: ['order 17: missing field customer_id'],
            });
        },
      },
    );
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/ended Failed .*exited with code 4/);
    expect(r.outputs).toMatchObject({ 'execution-status': 'Failed', 'exit-code': '4' });
    expect(r.log).toContain('order 17: missing field customer_id');
    expect(r.writes).toEqual([]);
  });

  it('takes the execution the event started while the runner was starting the step', async () => {
    seed('quick-orders', event);
    // The previous step put the message on the queue; the scale rule was quicker than the runner.
    bed.standIn.arm.triggerEvent(bed.world.resourceGroup, 'quick-orders', { durationMs: 300 });
    const r = await bed.run({ 'job-name': 'quick-orders', 'await-next-execution': '1m' });
    expect(r.errors).toEqual([]);
    const [only] = bed.standIn.arm.listExecutions(bed.world.resourceGroup, 'quick-orders') as { name: string }[];
    expect(r.outputs).toMatchObject({ 'execution-name': only!.name, 'execution-status': 'Succeeded' });
  });

  it('times out with the time its schedule runs next, or where to look for an Event job', async () => {
    seed('yearly-report', schedule('0 0 1 1 *'));
    const r = await bed.run({ 'job-name': 'yearly-report', 'await-next-execution': '3s' });
    expect(r.exitCode).toBe(1);
    const year = new Date().getUTCFullYear() + 1;
    expect(r.errors).toEqual([
      `No execution of job 'yearly-report' started within 3s: its schedule '0 0 1 1 *' next runs at ${year}-01-01 00:00 UTC; wait longer (await-next-execution) or run the check after that time.`,
    ]);
    expect(r.outputs['execution-name']).toBeUndefined();

    seed('idle-orders', event);
    const e = await bed.run({ 'job-name': 'idle-orders', 'await-next-execution': '2s' });
    expect(e.exitCode).toBe(1);
    expect(e.errors[0]).toMatch(
      /^No execution of job 'idle-orders' started within 2s: for an Event job check the queue/,
    );
  });
});
