import { describe, expect, it } from 'vitest';
import { CronError, nextRuns, parseCron } from '../../src/common/cron.ts';

const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString().replace(':00.000Z', 'Z'));

describe('parseCron', () => {
  it('parses the five fields into sorted values', () => {
    const s = parseCron('0 6 * * *');
    expect(s.expression).toBe('0 6 * * *');
    expect(s.minutes).toEqual([0]);
    expect(s.hours).toEqual([6]);
    expect(s.daysOfMonth).toHaveLength(31);
    expect(s.months).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(s.daysOfWeek).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(s.dayOfMonthRestricted).toBe(false);
    expect(s.dayOfWeekRestricted).toBe(false);
  });

  it('supports lists, ranges, steps and N/step', () => {
    expect(parseCron('*/15 * * * *').minutes).toEqual([0, 15, 30, 45]);
    expect(parseCron('0-30/10 * * * *').minutes).toEqual([0, 10, 20, 30]);
    expect(parseCron('5/20 * * * *').minutes).toEqual([5, 25, 45]);
    expect(parseCron('1,15,1 9-11 * * *').minutes).toEqual([1, 15]);
    expect(parseCron('0 9-11 * * *').hours).toEqual([9, 10, 11]);
    expect(parseCron('0 0 1,15 * *').daysOfMonth).toEqual([1, 15]);
  });

  it('accepts month and day names in any case, and normalises spacing', () => {
    const s = parseCron('  0  12 * jan,Mar-MAY mon-FRI ');
    expect(s.expression).toBe('0 12 * jan,Mar-MAY mon-FRI');
    expect(s.months).toEqual([1, 3, 4, 5]);
    expect(s.daysOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(parseCron('0 0 * * SUN').daysOfWeek).toEqual([0]);
    expect(parseCron('0 0 * * SAT').daysOfWeek).toEqual([6]);
  });

  it('treats only a bare * as unrestricted (as Kubernetes does); */2 restricts', () => {
    expect(parseCron('0 0 1 * MON').dayOfMonthRestricted).toBe(true);
    expect(parseCron('0 0 1 * MON').dayOfWeekRestricted).toBe(true);
    expect(parseCron('0 0 */2 * *').dayOfMonthRestricted).toBe(true);
    expect(parseCron('0 0 */1 * *').dayOfMonthRestricted).toBe(false);
  });

  const rejections: [string, string][] = [
    ['', 'empty'],
    ['0 6 * *', 'has 4 fields'],
    ['0 0 6 * * *', 'Azure Container Apps takes five (minute hour'],
    ['0 0 6 * * *', "did you mean '0 6 * * *'?"],
    ['0 0 6 ? * MON *', "did you mean '0 6 * * MON'?"],
    ['@daily', "write '0 0 * * *' instead"],
    ['@hourly', "write '0 * * * *' instead"],
    ['@reboot', 'is not a cron expression'],
    ['TZ=Europe/Amsterdam 0 6 * * *', 'UTC'],
    ['60 * * * *', "minute field value '60' is out of range 0-59"],
    ['0 24 * * *', 'hour field value'],
    ['0 0 0 * *', 'day-of-month field value'],
    ['0 0 * 13 *', 'month field value'],
    ['0 0 * * 7', '0 or SUN for Sunday'],
    ['0 0 * FOO *', "unknown name 'FOO'"],
    ['0 0 L * *', 'Quartz'],
    ['0 0 * * MON#2', 'Quartz'],
    ['0 0 ? * MON', 'Quartz'],
    ['*/0 * * * *', 'step of at least 1'],
    ['*/90 * * * *', 'every 90 minutes'],
    ['0 0 * * FRI-MON', "'5-6,0-1'"],
    ['1,,2 * * * *', 'empty list item'],
    ['1-2-3 * * * *', 'not a range'],
    ['*/5/2 * * * *', "more than one '/'"],
    ['0 0 31 4,6 *', 'never runs'],
    ['0 0 30 2 *', 'never runs'],
    ['a b c d e', 'not a number'],
  ];
  it.each(rejections)('rejects %j (%s)', (expr, fragment) => {
    expect(() => parseCron(expr)).toThrow(CronError);
    expect(() => parseCron(expr)).toThrow(fragment);
  });

  it('accepts February 29 (leap years exist) and 31 in a list with a 31-day month', () => {
    expect(() => parseCron('0 0 29 2 *')).not.toThrow();
    expect(() => parseCron('0 0 31 4,5 *')).not.toThrow();
    // day-of-week restricted too: runs on the weekday, so it is not "never"
    expect(() => parseCron('0 0 31 4 MON')).not.toThrow();
  });
});

describe('nextRuns', () => {
  const cases: [string, string, string[]][] = [
    ['0 6 * * *', '2026-03-10T07:00:00Z', ['2026-03-11T06:00Z', '2026-03-12T06:00Z', '2026-03-13T06:00Z']],
    ['0 6 * * *', '2026-03-10T05:59:59Z', ['2026-03-10T06:00Z', '2026-03-11T06:00Z', '2026-03-12T06:00Z']],
    ['*/15 * * * *', '2026-03-10T10:07:30Z', ['2026-03-10T10:15Z', '2026-03-10T10:30Z', '2026-03-10T10:45Z']],
    // strictly after `from`
    ['*/15 * * * *', '2026-03-10T10:15:00Z', ['2026-03-10T10:30Z', '2026-03-10T10:45Z', '2026-03-10T11:00Z']],
    // OR semantics: the 1st of the month (Sunday Feb 1) and every Monday
    ['0 0 1 * MON', '2026-01-20T00:00:00Z', ['2026-01-26T00:00Z', '2026-02-01T00:00Z', '2026-02-02T00:00Z']],
    // the case reported in microsoft/azure-container-apps#1660: runs on Mondays in February
    ['5,35 * 29 2 1', '2026-01-01T00:00:00Z', ['2026-02-02T00:05Z', '2026-02-02T00:35Z', '2026-02-02T01:05Z']],
    // month and day names: Sundays in February and August
    ['0 12 * FEB,AUG SUN', '2026-01-01T00:00:00Z', ['2026-02-01T12:00Z', '2026-02-08T12:00Z', '2026-02-15T12:00Z']],
    ['30 9 * * MON-FRI', '2026-01-02T10:00:00Z', ['2026-01-05T09:30Z', '2026-01-06T09:30Z', '2026-01-07T09:30Z']],
    // leap days only
    ['0 0 29 2 *', '2026-01-01T00:00:00Z', ['2028-02-29T00:00Z', '2032-02-29T00:00Z', '2036-02-29T00:00Z']],
    // year boundary
    ['59 23 31 12 *', '2026-12-31T23:59:00Z', ['2027-12-31T23:59Z', '2028-12-31T23:59Z', '2029-12-31T23:59Z']],
    ['0 0 1 */3 *', '2026-02-15T00:00:00Z', ['2026-04-01T00:00Z', '2026-07-01T00:00Z', '2026-10-01T00:00Z']],
  ];
  it.each(cases)('%s after %s', (expr, from, expected) => {
    expect(iso(nextRuns(parseCron(expr), new Date(from), 3))).toEqual(expected);
  });

  it('returns nothing for count 0 or an invalid date', () => {
    expect(nextRuns(parseCron('* * * * *'), new Date('2026-01-01T00:00:00Z'), 0)).toEqual([]);
    expect(nextRuns(parseCron('* * * * *'), new Date('nope'), 3)).toEqual([]);
  });

  it('finds February 29 across the skipped leap year 2100', () => {
    expect(iso(nextRuns(parseCron('0 0 29 2 *'), new Date('2097-01-01T00:00:00Z'), 1))).toEqual(['2104-02-29T00:00Z']);
  });

  it('does not mutate its argument', () => {
    const from = new Date('2026-01-01T00:00:30Z');
    nextRuns(parseCron('* * * * *'), from, 2);
    expect(from.toISOString()).toBe('2026-01-01T00:00:30.000Z');
  });
});
