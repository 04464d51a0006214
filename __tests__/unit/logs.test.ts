/**
 * The pure parts of the logs: stream lines, deduplicating a replayed tail, groups in the workflow log, waking
 * the watch, pacing the status reads, system events, the Log Analytics fallback's waiting, and the summary.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/common/clock.ts';
import { parseConfig } from '../../src/inputs/config.ts';
import { watchExecution } from '../../src/execution/execution.ts';
import { HttpError, type LogsApi, type LogTable } from '../../src/azure/logs-api.ts';
import {
  consoleQuery,
  formatLine,
  fromLogAnalytics,
  LineDedupe,
  logAnalyticsQueryUrl,
  LogPrinter,
  parseEventStream,
  parseStreamLine,
  STREAMING_POLL_MS,
  Waker,
} from '../../src/logs/stream.ts';
import { renderSummary } from '../../src/report/report.ts';
import { failedReport } from '../../test-support/fixtures.ts';
import { FakeClock, FakeJobApi } from '../../test-support/fakes.ts';

describe('stream lines', () => {
  it("reads the timestamp, the CRI stream tag and the text; skips the stream's own lines", () => {
    expect(parseStreamLine('2026-11-23T12:00:01.123456789Z stdout F hello world')).toEqual({
      ts: '2026-11-23T12:00:01.123456789Z',
      stream: 'stdout',
      text: 'hello world',
    });
    expect(parseStreamLine('2025-12-09T14:04:24.125429697Z Order passed: {"orderId":1}')).toEqual({
      ts: '2025-12-09T14:04:24.125429697Z',
      text: 'Order passed: {"orderId":1}',
    });
    expect(parseStreamLine("2025-12-09T14:04:33.45953  Connecting to the container 'checkout'...")).toBeUndefined();
    expect(
      parseStreamLine("2025-12-09T14:04:33.53740  Successfully Connected to container: 'checkout' [Revision: 'x']"),
    ).toBeUndefined();
    expect(parseStreamLine('no timestamp here\r')).toEqual({ text: 'no timestamp here' });
    // other offsets are converted to UTC
    expect(parseStreamLine('2026-11-23T14:00:01.5+02:00 x')?.ts).toBe('2026-11-23T12:00:01.500000000Z');
  });

  it('shows lines with millisecond timestamps, never starting with "::"', () => {
    expect(formatLine({ ts: '2026-11-23T12:00:01.123456789Z', text: '::error::x' })).toBe(
      '2026-11-23T12:00:01.123Z ::error::x',
    );
    expect(formatLine({ text: '::error::x' })).toBe('| ::error::x');
  });
});

describe('LineDedupe', () => {
  const at = (ts: string, text: string) => ({ ts: `2026-11-23T12:00:0${ts}.000000000Z`, text });

  it('drops what a reconnected stream replays, also several lines with the same timestamp', () => {
    const d = new LineDedupe();
    const first = [at('1', 'a'), at('2', 'b'), at('2', 'c')];
    expect(first.map((l) => d.accept(l))).toEqual([true, true, true]);
    d.reconnect();
    const replay = [at('1', 'a'), at('2', 'b'), at('2', 'c'), at('2', 'd'), at('3', 'e')];
    expect(replay.map((l) => d.accept(l))).toEqual([false, false, false, true, true]);
    d.reconnect();
    expect([at('3', 'e'), at('4', 'f')].map((l) => d.accept(l))).toEqual([false, true]);
  });

  it('keeps lines without timestamps, but not their replay', () => {
    const d = new LineDedupe();
    expect(d.accept({ text: 'x' })).toBe(true);
    expect(d.accept({ text: 'x' })).toBe(true);
    d.reconnect();
    expect(d.accept({ text: 'x' })).toBe(false);
    expect(d.accept({ text: 'y' })).toBe(true);
  });
});

describe('LogPrinter', () => {
  function printer(mask?: (t: string) => string) {
    const out: string[] = [];
    return { out, p: new LogPrinter((t) => out.push(t), mask) };
  }
  /** What a reader sees: commands resolved (stop-commands markers dropped), groups as "> title". */
  function shown(out: string[]): string[] {
    return out
      .filter((l) => !l.startsWith('::stop-commands::') && !/^::[0-9a-f]{32}::$/.test(l) && l !== '::endgroup::')
      .map((l) => (l.startsWith('::group::') ? `> ${l.slice(9)}` : l));
  }

  it('prints the first stream live and holds parallel ones until it ends, each in its own group', () => {
    const { out, p } = printer();
    p.open('r1/c', 'Logs: r1 / c');
    p.open('r2/c', 'Logs: r2 / c');
    p.lines('r1/c', ['a1']);
    p.lines('r2/c', ['b1']);
    p.lines('r1/c', ['a2']);
    expect(shown(out)).toEqual(['> Logs: r1 / c', 'a1', 'a2']);
    p.end('r1/c');
    expect(shown(out)).toEqual(['> Logs: r1 / c', 'a1', 'a2', '> Logs: r2 / c', 'b1']);
    p.lines('r2/c', ['b2']);
    p.end('r2/c');
    p.close();
    expect(shown(out)).toEqual(['> Logs: r1 / c', 'a1', 'a2', '> Logs: r2 / c', 'b1', 'b2']);
    expect(out.filter((l) => l === '::endgroup::')).toHaveLength(2);
    expect(p.tail()).toEqual(['[r1/c] a1', '[r2/c] b1', '[r1/c] a2', '[r2/c] b2']);
    expect(p.tailOf('r2/c', 1)).toEqual(['b2']);
  });

  it('wraps container lines in stop-commands with a token of its own, and masks secrets', () => {
    const { out, p } = printer((t) => t.replace('hunter2', '***'));
    p.open('k', 'Logs: k');
    p.lines('k', ['::add-mask::x', 'password hunter2']);
    const start = out.findIndex((l) => l.startsWith('::stop-commands::'));
    const token = out[start]!.slice('::stop-commands::'.length);
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(out.slice(start + 1, start + 4)).toEqual(['::add-mask::x', 'password ***', `::${token}::`]);
    expect(p.tail()).toEqual(['::add-mask::x', 'password ***']);
  });

  it('closes a group when its stream ends and opens a "(continued)" one if it comes back', () => {
    const { out, p } = printer();
    p.open('k', 'Logs: k');
    p.lines('k', ['a']);
    p.end('k');
    p.lines('k', ['b']);
    p.close();
    expect(shown(out)).toEqual(['> Logs: k', 'a', '> Logs: k (continued)', 'b']);
  });
});

describe('waking the watch', () => {
  it('a wake cuts the sleep short, also one that came before the sleep', async () => {
    // A clock whose sleeps end only when aborted: only a wake can end them.
    const never: Clock = {
      now: () => 0,
      sleep: (_ms, signal) => new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve())),
    };
    const w = new Waker();
    const sleeping = w.sleep(never, 60_000);
    setTimeout(() => w.wake(1), 0);
    await sleeping;
    expect(w.lastWakeAt).toBe(1);
    w.wake(2);
    await w.sleep(never, 60_000);
  });

  it('watchExecution paces its reads as told: one per 15 s while a stream is open', async () => {
    const clock = new FakeClock();
    const api = new FakeJobApi(clock);
    api.nextScript = { durationMs: 120_000, outcome: 'Succeeded', exitCode: 0 };
    const { name } = await api.startExecution();
    const waker = new Waker();
    let reads = 0;
    const outcome = await watchExecution(api, name, {
      clock,
      log: { info: () => undefined, warning: () => undefined, debug: () => undefined },
      timeoutSec: 600,
      onTimeout: 'stop',
      stopOnCancel: true,
      waker,
      pacing: () => STREAMING_POLL_MS,
      onStatus: () => {
        reads++;
      },
    });
    expect(outcome.status).toBe('Succeeded');
    // 120 s at one read per 15 s, instead of ~20 reads in the first minute alone
    expect(reads).toBeLessThanOrEqual(10);
  });
});

describe('system events', () => {
  it("keeps this execution's events from the job's event stream", () => {
    const text = [
      '{"TimeStamp":"2026-11-23T12:00:00Z","Type":"Normal","ContainerAppName":null,"RevisionName":null,"ReplicaName":null,"Msg":"Connecting to the events collector...","Reason":"StartingGettingEvents","EventSource":"ContainerAppController","Count":1}',
      '{"TimeStamp":"2026-11-23 12:00:01 +0000 UTC","Type":"Warning","ContainerAppName":"job","RevisionName":null,"ReplicaName":"job-abc1234-xyz12","Msg":"Failed to pull image \\"img:1\\": not found","Reason":"ImagePullFailure","EventSource":"ContainerAppController","Count":1}',
      '{"TimeStamp":"2026-11-23 12:00:01 +0000 UTC","Type":"Warning","ContainerAppName":"job","RevisionName":null,"ReplicaName":"job-other00-xyz12","Msg":"other","Reason":"X","EventSource":"ContainerAppController","Count":1}',
      '{"TimeStamp":"2026-11-23 12:00:09 +0000 UTC","Type":"Warning","ContainerAppName":"job","RevisionName":null,"ReplicaName":null,"Msg":"Saw completed job: job-abc1234, condition: Failed","Reason":"DeadlineExceeded","EventSource":"ContainerAppController","Count":1}',
      'not json',
    ].join('\n');
    expect(parseEventStream(text, 'job-abc1234')).toEqual([
      {
        time: '2026-11-23 12:00:01 +0000 UTC',
        type: 'Warning',
        reason: 'ImagePullFailure',
        message: 'Failed to pull image "img:1": not found',
        replica: 'job-abc1234-xyz12',
      },
      {
        time: '2026-11-23 12:00:09 +0000 UTC',
        type: 'Warning',
        reason: 'DeadlineExceeded',
        message: 'Saw completed job: job-abc1234, condition: Failed',
      },
    ]);
  });
});

describe('Log Analytics fallback', () => {
  const t = (s: number) => new Date(Date.UTC(2026, 10, 23, 12, 0, s)).toISOString();
  const consoleTable = (rows: unknown[][]): LogTable => ({
    columns: ['TimeGenerated', 'ContainerGroupName_s', 'ContainerName_s', 'Log_s'],
    rows,
  });
  const systemTable = (rows: unknown[][]): LogTable => ({
    columns: ['TimeGenerated', 'ReplicaName_s', 'Type_s', 'Reason_s', 'Log_s'],
    rows,
  });

  function api(answers: (n: number) => { console: LogTable; system: LogTable } | Error): LogsApi & { asked: number } {
    let n = 0;
    const a = {
      asked: 0,
      query: async (_ws: string, q: string) => {
        const answer = answers(Math.floor(n++ / 2));
        a.asked = Math.ceil(n / 2);
        if (answer instanceof Error) throw answer;
        return q.startsWith('ContainerAppConsoleLogs_CL') ? answer.console : answer.system;
      },
    } as unknown as LogsApi & { asked: number };
    return a;
  }

  const base = (o: Partial<Parameters<typeof fromLogAnalytics>[0]>) => ({
    workspaceId: 'ws',
    jobName: 'job',
    execution: 'job-abc1234',
    startedAt: Date.UTC(2026, 10, 23, 12, 0, 0),
    endedAt: Date.UTC(2026, 10, 23, 12, 0, 5),
    waitSec: 30,
    clock: new FakeClock(),
    withEvents: true,
    ...o,
  });

  it('asks again until the end-of-run events arrived, then returns the lines oldest first', async () => {
    const done = {
      console: consoleTable([
        [t(4), 'job-abc1234-r1', 'job', 'second'],
        [t(1), 'job-abc1234-r1', 'job', 'first'],
      ]),
      system: systemTable([
        [t(5), 'job-abc1234-r1', 'Normal', 'ContainerTerminated', "Container 'job' was terminated with exit code '0'"],
      ]),
    };
    const a = api((n) => (n < 2 ? { console: consoleTable([]), system: systemTable([]) } : done));
    const r = await fromLogAnalytics({ api: a, ...base({}) });
    expect(r.state).toBe('ok');
    expect(a.asked).toBe(3);
    expect(r.console.get('job-abc1234-r1/job')).toEqual([
      '2026-11-23T12:00:01.000Z first',
      '2026-11-23T12:00:04.000Z second',
    ]);
    expect(r.events).toHaveLength(1);
  });

  it('gives up after the wait, and at once when access is denied', async () => {
    const clock = new FakeClock();
    const empty = api(() => ({ console: consoleTable([]), system: systemTable([]) }));
    const r = await fromLogAnalytics({ api: empty, ...base({ clock, waitSec: 12 }) });
    expect(r).toMatchObject({ state: 'empty', waitedMs: 12_000 });

    const denied = api(
      () =>
        new HttpError(
          403,
          'The provided credentials have insufficient access to perform the requested operation',
          'InsufficientAccessError',
        ),
    );
    const d = await fromLogAnalytics({ api: denied, ...base({}) });
    expect(d).toMatchObject({ state: 'denied', problem: expect.stringMatching(/^InsufficientAccessError/) as unknown });
    expect(denied.asked).toBe(1);
  });

  it('makes a portal link that opens the query', () => {
    const q = consoleQuery('job', "job-o'brien");
    expect(q).toContain("ContainerGroupName_s startswith 'job-o\\'brien-'");
    const url = logAnalyticsQueryUrl('https://portal.azure.com', 'tid', '/subscriptions/s/x/workspaces/w', q);
    const m =
      /^https:\/\/portal\.azure\.com\/#@tid\/blade\/Microsoft_OperationsManagementSuite_Workspace\/Logs\.ReactView\/resourceId\/%2Fsubscriptions%2Fs%2Fx%2Fworkspaces%2Fw\/source\/LogsBlade\.AnalyticsShareLinkToQuery\/q\/([^/]+)\/timespan\/P1D$/.exec(
        url,
      );
    expect(m).not.toBeNull();
    expect(gunzipSync(Buffer.from(decodeURIComponent(m![1]!), 'base64')).toString('utf8')).toBe(q);
  });
});

describe('summary', () => {
  it('ends with the last lines (in a fence they cannot close) and the links', () => {
    const report = failedReport({
      logs: { tail: ['a', 'has ``` fence'], source: 'live', query: 'Q', queryUrl: 'https://portal/q' },
    });
    const md = renderSummary(report);
    expect(md).toContain('Last 2 lines of the log</summary>\n\n````text\na\nhas ``` fence\n````');
    expect(md.trimEnd().split('\n').at(-1)).toMatch(/ · \[Logs in Log Analytics\]\(https:\/\/portal\/q\)$/);
  });
});

describe('inputs', () => {
  const get = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? '';
  const env = {
    AZURE_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
    AZURE_TENANT_ID: '22222222-2222-2222-2222-222222222222',
    AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
  };
  const base = { 'resource-group': 'rg', 'job-name': 'job', start: 'true' };

  it('logs-wait defaults to 30 s, takes durations, and refuses more than 10 minutes', () => {
    expect(parseConfig(get(base), env).logsWaitSec).toBe(30);
    expect(parseConfig(get({ ...base, 'logs-wait': '2m' }), env).logsWaitSec).toBe(120);
    expect(parseConfig(get({ ...base, 'logs-wait': '0' }), env).logsWaitSec).toBe(0);
    expect(() => parseConfig(get({ ...base, 'logs-wait': '1h' }), env)).toThrow(/logs-wait must be at most 10 minutes/);
    expect(() => parseConfig(get({ ...base, 'logs-wait': 'soon' }), env)).toThrow(/logs-wait 'soon' is not a duration/);
  });

  it("log-analytics-endpoint defaults to the cloud's and keeps the cloud's token scope when overridden", () => {
    expect(parseConfig(get({ ...base, cloud: 'AzureChinaCloud' }), env).auth).toMatchObject({
      logAnalyticsEndpoint: 'https://api.loganalytics.azure.cn',
      logAnalyticsScope: 'https://api.loganalytics.azure.cn/.default',
    });
    expect(parseConfig(get({ ...base, 'log-analytics-endpoint': 'https://localhost:8443/' }), env).auth).toMatchObject({
      logAnalyticsEndpoint: 'https://localhost:8443',
      logAnalyticsScope: 'https://api.loganalytics.io/.default',
    });
    expect(() => parseConfig(get({ ...base, 'log-analytics-endpoint': 'http://x' }), env)).toThrow(
      /log-analytics-endpoint must be an https URL/,
    );
  });
});
