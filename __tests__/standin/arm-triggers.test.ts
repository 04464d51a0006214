/**
 * Executions nobody starts through the API: a Schedule job's cron fires by the stand-in's clock (catching up when
 * the clock jumps, with scripted, delayed and missed runs), an Event job starts one when a test triggers an event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsFetch, type SimpleResponse } from '../../standin/common/http.ts';
import { cronMatcher, dueTimes } from '../../standin/arm/triggers.ts';
import { APP_API_VERSIONS_WITH_2026_07_01, startStandIn, type SeededWorld, type StandIn } from '../../standin/index.ts';

let standIn: StandIn;
let world: SeededWorld;
let token: string;
let now = Date.parse('2026-09-01T05:30:00Z');

function call(method: string, path: string): Promise<SimpleResponse> {
  const u = new URL(path, standIn.urls.arm);
  if (!u.searchParams.has('api-version')) u.searchParams.set('api-version', '2026-07-01');
  return httpsFetch(u.toString(), { method, headers: { authorization: `Bearer ${token}` } });
}

const path = (job: string) =>
  `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}/providers/Microsoft.App/jobs/${job}`;

function seed(name: string, configuration: Record<string, unknown>): void {
  standIn.arm.seedJob(world.resourceGroup, {
    name,
    location: 'East US',
    properties: {
      environmentId: world.environmentId,
      configuration: { replicaTimeout: 600, ...configuration },
      template: { containers: [{ name: 'main', image: 'img/main:1', resources: { cpu: 0.5, memory: '1Gi' } }] },
    },
  });
}

type Exec = { name: string; properties: { status: string; startTime: string } };

beforeAll(async () => {
  // The spec's version (the calls below use it), listed explicitly: the field default stops at 2026-01-01.
  standIn = await startStandIn({ clock: () => now, arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01 } });
  world = standIn.seedDefault();
  token = standIn.entra.issueAccessToken({ clientId: world.clientId, lifetimeSec: 30 * 24 * 3600 });
});

afterAll(async () => {
  await standIn.close();
});

describe('the cron of a Schedule job', () => {
  it('fires by the clock: due runs start at their minute when time moves on, as scripted, missed runs skipped', async () => {
    seed('nightly', {
      triggerType: 'Schedule',
      scheduleTriggerConfig: { cronExpression: '0 6 * * *', parallelism: 1, replicaCompletionCount: 1 },
    });
    standIn.arm.scheduleRuns(
      world.resourceGroup,
      'nightly',
      { outcome: 'Failed', exitCode: 3, startDelayMs: 20_000 },
      { missed: true },
      { durationMs: 1000 },
    );
    const list = async (): Promise<Exec[]> => {
      const r = await call('GET', `${path('nightly')}/executions`);
      expect(r.status, r.text).toBe(200);
      return (r.json as { value: Exec[] }).value;
    };
    expect(await list()).toEqual([]);
    now = Date.parse('2026-09-01T05:59:59Z');
    expect(await list()).toEqual([]);
    now = Date.parse('2026-09-01T06:00:30Z');
    const first = await list();
    expect(first.map((e) => [e.properties.startTime, e.properties.status])).toEqual([
      ['2026-09-01T06:00:20+00:00', 'Failed'],
    ]);
    // Two days later, all at once: the 2nd's run was missed, the 3rd's ran.
    now = Date.parse('2026-09-03T12:00:00Z');
    expect((await list()).map((e) => [e.properties.startTime, e.properties.status])).toEqual([
      ['2026-09-03T06:00:00+00:00', 'Succeeded'],
      ['2026-09-01T06:00:20+00:00', 'Failed'],
    ]);
  });

  it('counts from when the job became a Schedule job, and stops when it no longer is one', async () => {
    now = Date.parse('2026-09-03T12:00:00Z');
    seed('hourly', { triggerType: 'Manual', manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 } });
    now = Date.parse('2026-09-03T15:30:00Z');
    expect(standIn.arm.listExecutions(world.resourceGroup, 'hourly')).toEqual([]);
    seed('hourly', {
      triggerType: 'Schedule',
      scheduleTriggerConfig: { cronExpression: '0 * * * *', parallelism: 1, replicaCompletionCount: 1 },
    });
    now = Date.parse('2026-09-03T17:10:00Z');
    expect(standIn.arm.listExecutions(world.resourceGroup, 'hourly')).toHaveLength(2); // 16:00 and 17:00
    seed('hourly', { triggerType: 'Manual', manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 } });
    now = Date.parse('2026-09-03T20:10:00Z');
    expect(standIn.arm.listExecutions(world.resourceGroup, 'hourly')).toHaveLength(2);
  });

  it('lists the newest 100 executions of a Schedule job, as Azure keeps them', async () => {
    now = Date.parse('2026-09-10T00:00:00Z');
    seed('minutely', {
      triggerType: 'Schedule',
      scheduleTriggerConfig: { cronExpression: '* * * * *', parallelism: 1, replicaCompletionCount: 1 },
    });
    now += 3 * 3600_000;
    const listed = standIn.arm.listExecutions(world.resourceGroup, 'minutely') as Exec[];
    expect(listed).toHaveLength(100);
    expect(listed[0]!.properties.startTime).toBe('2026-09-10T03:00:00+00:00');
    expect(listed[99]!.properties.startTime).toBe('2026-09-10T01:21:00+00:00');
    seed('minutely', { triggerType: 'Manual', manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 } });
    expect(standIn.arm.listExecutions(world.resourceGroup, 'minutely')).toHaveLength(180);
  });

  it('reads cron as Azure does: lists, ranges, steps, names, and the day-of-month / day-of-week OR rule', () => {
    const m = cronMatcher('*/15 6-8 1 * MON');
    expect(m(new Date('2026-09-01T06:45:00Z'))).toBe(true); // the 1st (a Tuesday)
    expect(m(new Date('2026-09-07T08:00:00Z'))).toBe(true); // a Monday
    expect(m(new Date('2026-09-08T08:00:00Z'))).toBe(false);
    expect(m(new Date('2026-09-07T09:00:00Z'))).toBe(false);
    expect(cronMatcher('0 0 * * 1-5')(new Date('2026-09-06T00:00:00Z'))).toBe(false); // Sunday
    expect(dueTimes('30 1,13 * * *', Date.parse('2026-09-01T01:30:00Z'), Date.parse('2026-09-02T01:30:00Z'))).toEqual([
      Date.parse('2026-09-01T13:30:00Z'),
      Date.parse('2026-09-02T01:30:00Z'),
    ]);
  });
});

describe('an Event job', () => {
  it('starts one execution per event, now, with the given script; other jobs refuse events', async () => {
    seed('on-queue', {
      triggerType: 'Event',
      eventTriggerConfig: {
        parallelism: 1,
        replicaCompletionCount: 1,
        scale: {
          minExecutions: 0,
          maxExecutions: 10,
          rules: [{ name: 'queue', type: 'azure-queue', metadata: { queueName: 'q', accountName: 'acct' } }],
        },
      },
    });
    const [started] = standIn.arm.triggerEvent(world.resourceGroup, 'on-queue', { outcome: 'Failed', exitCode: 2 });
    const r = await call('GET', `${path('on-queue')}/executions/${started!.name as string}`);
    expect(r.status).toBe(200);
    expect((r.json as Exec).properties.startTime).toBe(new Date(now).toISOString().slice(0, 19) + '+00:00');
    expect(() => standIn.arm.triggerEvent(world.resourceGroup, 'hourly')).toThrow(/only Event jobs/);
  });
});
