/** check-since and await-next-execution: reading only the window, judging, and missed scheduled runs. */
import type { JobExecution } from '@azure/arm-appcontainers';
import { describe, expect, it } from 'vitest';
import { parseCron } from '../../src/common/cron.ts';
import { awaitNext, checkSince, dueRuns, executionsSince, type ExecutionPages } from '../../src/execution/history.ts';

const at = (iso: string): Date => new Date(iso);
function exec(name: string, start: string | undefined, status: string, end?: string, code?: number): JobExecution {
  return {
    name,
    startTime: start ? at(start) : undefined,
    endTime: end ? at(end) : undefined,
    status,
    ...(code !== undefined
      ? { detailedStatus: { replicas: [{ name: `${name}-r`, containers: [{ name: 'main', code }] }] } }
      : {}),
  };
}
function paged(all: JobExecution[], size: number): { pages: ExecutionPages; reads: () => number } {
  let reads = 0;
  return {
    reads: () => reads,
    pages: async function* () {
      for (let i = 0; i < all.length; i += size) {
        reads++;
        yield all.slice(i, i + size);
      }
    },
  };
}

describe('check-since', () => {
  const daily = parseCron('0 6 * * *');
  const now = at('2026-12-05T07:00:00Z');
  const since = at('2026-12-04T06:00:00Z'); // 25 h

  it('judges every execution of the window, whatever started it, and reads no page older than the window', async () => {
    const newestFirst = [
      exec('job-manual', '2026-12-05T06:30:00Z', 'Failed', '2026-12-05T06:31:00Z', 2),
      exec('job-sched2', '2026-12-05T06:00:20Z', 'Succeeded', '2026-12-05T06:01:00Z', 0),
      exec('job-sched1', '2026-12-04T06:00:40Z', 'Succeeded', '2026-12-04T06:02:00Z', 0),
      ...Array.from({ length: 60 }, (_, i) =>
        exec(`old-${i}`, `2026-11-${String(28 - Math.floor(i / 3)).padStart(2, '0')}T06:00:00Z`, 'Succeeded'),
      ),
    ];
    const { pages, reads } = paged(newestFirst, 20);
    const r = await checkSince(pages, since, now, { schedule: daily, triggerType: 'Schedule' });
    expect(r.executions.map((e) => [e.name, e.trigger, e.verdict, e.exitCode])).toEqual([
      ['job-sched1', 'Schedule', 'succeeded', 0],
      ['job-sched2', 'Schedule', 'succeeded', 0],
      ['job-manual', 'Manual', 'failed', 2],
    ]);
    expect(r.failed.map((e) => e.name)).toEqual(['job-manual']);
    expect(r.missed).toEqual([]);
    expect(reads()).toBe(2);
    expect(r.executions[0]!.durationSec).toBe(80);
  });

  it('names each run the schedule expected that never started, and does not judge one due moments ago', async () => {
    const hourly = parseCron('0 * * * *');
    const { pages } = paged(
      [exec('a', '2026-12-05T05:00:10Z', 'Succeeded'), exec('b', '2026-12-05T03:01:00Z', 'Succeeded')],
      20,
    );
    const r = await checkSince(pages, at('2026-12-05T03:00:00Z'), at('2026-12-05T06:02:00Z'), { schedule: hourly });
    expect(r.missed.map((d) => d.toISOString())).toEqual(['2026-12-05T04:00:00.000Z']);
    expect(r.pending.map((d) => d.toISOString())).toEqual(['2026-12-05T06:00:00.000Z']);
  });

  it('expects no run that was due before the job existed', async () => {
    const { pages } = paged([exec('first', '2026-12-05T06:00:05Z', 'Succeeded')], 20);
    const r = await checkSince(pages, since, now, { schedule: daily, expectFrom: at('2026-12-04T21:00:00Z') });
    expect(r.missed).toEqual([]);
    expect(r.executions.map((e) => e.trigger)).toEqual(['Schedule']);
    const without = await checkSince(pages, since, now, { schedule: daily });
    expect(without.missed.map((d) => d.toISOString())).toEqual(['2026-12-04T06:00:00.000Z']);
  });

  it('keeps reading a page that mixes old and new executions (no documented order)', async () => {
    const mixed = [exec('old', '2026-12-01T00:00:00Z', 'Succeeded'), exec('new', '2026-12-05T01:00:00Z', 'Failed')];
    const later = [exec('new2', '2026-12-05T02:00:00Z', 'Succeeded')];
    const pages: ExecutionPages = async function* () {
      yield mixed;
      yield later;
      yield [exec('older', '2026-11-01T00:00:00Z', 'Succeeded')];
    };
    const r = await executionsSince(pages, at('2026-12-05T00:00:00Z'));
    expect(r.executions.map((e) => e.name)).toEqual(['new', 'new2']);
    expect(r.pagesRead).toBe(3);
  });

  it('judges a month of every-minute runs in one pass: the one missed run, the one started by hand', async () => {
    const from = Date.parse('2026-11-04T07:00:00Z');
    const until = at('2026-12-05T07:00:00Z');
    const all: JobExecution[] = [];
    for (let t = from; t < until.getTime(); t += 60_000) {
      if (t === Date.parse('2026-11-20T12:34:00Z')) continue;
      all.push(exec(`m-${t}`, new Date(t + 20_000).toISOString(), 'Succeeded'));
      if (t === Date.parse('2026-11-30T00:00:00Z'))
        all.push(exec('by-hand', new Date(t + 40_000).toISOString(), 'Succeeded'));
    }
    const { pages } = paged(all.reverse(), 100);
    const r = await checkSince(pages, new Date(from), until, { schedule: parseCron('* * * * *') });
    expect(r.executions).toHaveLength(all.length);
    expect(r.missed.map((d) => d.toISOString())).toEqual(['2026-11-20T12:34:00.000Z']);
    expect(r.pending.map((d) => d.toISOString())).toEqual(['2026-12-05T07:00:00.000Z']);
    expect(r.executions.filter((e) => e.trigger !== 'Schedule').map((e) => e.name)).toEqual(['by-hand']);
  });

  it("does not call runs missed that Azure's history of 100 executions no longer reaches", async () => {
    // Every 5 minutes: 100 executions cover the last 8 h 20 min of a 25 h window.
    const newestFirst = Array.from({ length: 100 }, (_, i) =>
      exec(`e-${i}`, new Date(now.getTime() - (i + 1) * 5 * 60_000 + 10_000).toISOString(), 'Succeeded'),
    );
    const { pages } = paged(newestFirst, 20);
    const r = await checkSince(pages, since, now, { schedule: parseCron('*/5 * * * *') });
    expect(r.missed).toEqual([]);
    expect(r.historyFrom?.toISOString()).toBe('2026-12-04T22:40:10.000Z');
    expect(r.executions).toHaveLength(100);
    // With one run fewer than Azure keeps, the list is whole: the window's older runs were missed.
    const { pages: fewer } = paged(newestFirst.slice(0, 99), 20);
    const f = await checkSince(fewer, since, now, { schedule: parseCron('*/5 * * * *') });
    expect(f.historyFrom).toBeUndefined();
    expect(f.missed.length).toBeGreaterThan(150);
  });

  it('lists the due runs of a window in UTC', () => {
    expect(dueRuns(daily, since, now).map((d) => d.toISOString())).toEqual([
      '2026-12-04T06:00:00.000Z',
      '2026-12-05T06:00:00.000Z',
    ]);
  });
});

describe('await-next-execution', () => {
  it('returns the first execution that starts after the given time, ignoring the ones before it', async () => {
    let t = 0;
    const list: JobExecution[] = [exec('before', '2026-12-05T05:59:59Z', 'Succeeded')];
    const pages: ExecutionPages = async function* () {
      yield [...list];
    };
    const sleeps: number[] = [];
    const found = await awaitNext(at('2026-12-05T06:00:00Z'), 600_000, {
      pages,
      now: () => t,
      info: () => {},
      sleep: async (ms) => {
        sleeps.push(ms);
        t += ms;
        if (t >= 20_000) list.unshift(exec('next', '2026-12-05T06:00:25Z', 'Running'));
      },
    });
    expect(found?.name).toBe('next');
    expect(sleeps).toEqual([5000, 5000, 5000, 5000]);
  });

  it('gives up at the deadline when nothing starts', async () => {
    let t = 0;
    const pages: ExecutionPages = async function* () {
      yield [];
    };
    const found = await awaitNext(at('2026-12-05T06:00:00Z'), 120_000, {
      pages,
      now: () => t,
      info: () => {},
      sleep: async (ms) => {
        t += ms;
      },
    });
    expect(found).toBeUndefined();
    expect(t).toBe(120_000);
  });
});
