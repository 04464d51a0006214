import { describe, expect, it } from 'vitest';
import {
  defaultTimeoutSec,
  describeFailure,
  pollDelay,
  watchExecution,
  type WatchOptions,
} from '../../src/execution/execution.ts';
import { FakeClock, FakeJobApi } from '../../test-support/fakes.ts';

function setup(script: FakeJobApi['nextScript'], overrides: Partial<WatchOptions> = {}) {
  const clock = new FakeClock();
  const api = new FakeJobApi(clock);
  api.nextScript = script;
  const lines: string[] = [];
  const options: WatchOptions = {
    clock,
    log: { info: (m) => lines.push(m), warning: (m) => lines.push(`warning: ${m}`), debug: () => undefined },
    timeoutSec: 600,
    onTimeout: 'stop',
    stopOnCancel: true,
    ...overrides,
  };
  return { clock, api, lines, options };
}

describe('watchExecution', () => {
  it('returns Succeeded with duration and exit code once the execution succeeds', async () => {
    const { api, options } = setup({ durationMs: 2000, outcome: 'Succeeded', exitCode: 0 });
    const { name } = await api.startExecution();
    const outcome = await watchExecution(api, name, options);
    expect(outcome).toMatchObject({ status: 'Succeeded', exitCode: 0, durationSec: 2 });
  });

  it('notices a 2 s run within a second of its end', async () => {
    const { api, clock, options } = setup({ durationMs: 2000, outcome: 'Succeeded' });
    const t0 = clock.now();
    const { name } = await api.startExecution();
    await watchExecution(api, name, options);
    expect(clock.now() - (t0 + 2000)).toBeLessThan(1000);
  });

  it('reads at most 6 times a minute after the first minute, and notices the end within 10 % of a long run', async () => {
    const { api, clock, options } = setup({ durationMs: 600_000, outcome: 'Succeeded' });
    const t0 = clock.now();
    const { name } = await api.startExecution();
    const readTimes: number[] = [];
    await watchExecution(api, name, {
      ...options,
      timeoutSec: 3600,
      onStatus: () => readTimes.push(clock.now() - t0),
    });
    for (let minute = 1; minute < 10; minute++) {
      const inMinute = readTimes.filter((t) => t >= minute * 60_000 && t < (minute + 1) * 60_000);
      expect(inMinute.length).toBeLessThanOrEqual(6);
    }
    expect(clock.now() - (t0 + 600_000)).toBeLessThanOrEqual(10_000);
  });

  it('treats unknown statuses as still running', async () => {
    const { api, options } = setup({
      durationMs: 5000,
      outcome: 'Failed',
      exitCode: 3,
      statusWhileRunning: 'Processing',
    });
    const { name } = await api.startExecution();
    const outcome = await watchExecution(api, name, options);
    expect(outcome.status).toBe('Failed');
    expect(outcome.exitCode).toBe(3);
  });

  it('stops a run that outlives the timeout when on-timeout is stop', async () => {
    const { api, options } = setup({ durationMs: 0, outcome: 'Hang' }, { timeoutSec: 30 });
    const { name } = await api.startExecution();
    const outcome = await watchExecution(api, name, options);
    expect(outcome.status).toBe('TimedOut');
    expect(outcome.stoppedByAction).toBe(true);
    expect(api.writes()).toEqual(['startExecution', 'stopExecution']);
    expect(describeFailure(outcome, api.jobName, name, 30)).toMatch(/did not finish within 30 s and was stopped/);
  });

  it('leaves a timed-out run alone when on-timeout is leave', async () => {
    const { api, options } = setup({ durationMs: 0, outcome: 'Hang' }, { timeoutSec: 30, onTimeout: 'leave' });
    const { name } = await api.startExecution();
    const outcome = await watchExecution(api, name, options);
    expect(outcome.status).toBe('TimedOut');
    expect(api.writes()).toEqual(['startExecution']);
    expect(describeFailure(outcome, api.jobName, name, 30)).toMatch(/left running/);
  });

  it('stops the execution when the run is cancelled while waiting', async () => {
    const controller = new AbortController();
    const { api, clock, options } = setup({ durationMs: 0, outcome: 'Hang' }, { signal: controller.signal });
    clock.onSleep = () => {
      if (clock.sleeps.length === 3) controller.abort();
    };
    const { name } = await api.startExecution();
    const outcome = await watchExecution(api, name, options);
    expect(outcome.status).toBe('Cancelled');
    expect(outcome.stoppedByAction).toBe(true);
    expect(api.writes()).toEqual(['startExecution', 'stopExecution']);
  });

  it('survives a few failed reads but gives up after five in a row', async () => {
    const ok = setup({ durationMs: 3000, outcome: 'Succeeded' });
    ok.api.readsFail = 2;
    const { name } = await ok.api.startExecution();
    expect((await watchExecution(ok.api, name, ok.options)).status).toBe('Succeeded');
    expect(ok.lines.filter((l) => l.startsWith('warning:'))).toHaveLength(2);

    const bad = setup({ durationMs: 3000, outcome: 'Succeeded' });
    bad.api.readsFail = 5;
    const started = await bad.api.startExecution();
    const outcome = await watchExecution(bad.api, started.name, bad.options);
    expect(outcome).toMatchObject({ status: 'Unknown', stoppedByAction: true });
    expect(outcome.readError).toBe('503 ServiceUnavailable: Service Unavailable');
    expect(bad.api.writes()).toEqual(['startExecution', 'stopExecution']);
  });

  it('says a stop that failed failed, with Azure code and the command, instead of "left running"', async () => {
    const { api, options } = setup({ durationMs: 0, outcome: 'Hang' }, { timeoutSec: 30 });
    api.stopsFail = 1;
    const { name } = await api.startExecution();
    const outcome = await watchExecution(api, name, options);
    expect(outcome).toMatchObject({ status: 'TimedOut', stoppedByAction: false });
    expect(describeFailure(outcome, api.jobName, name, 30)).toBe(
      `Execution '${name}' of job 'alice-weather-job' did not finish within 30 s; stopping it failed (503 ServiceUnavailable: The service is unavailable), so it may still be running: stop it with: az containerapp job stop --name alice-weather-job --resource-group rg-data --job-execution-name ${name}. Raise input 'timeout' (or the job's replica-timeout) if the job needs longer.`,
    );
  });

  it('reports an execution that disappears while watched as NotFound', async () => {
    const { api, clock, options } = setup({ durationMs: 0, outcome: 'Hang' });
    const { name } = await api.startExecution();
    clock.onSleep = () => {
      if (clock.sleeps.length === 2) api.executions.delete(name);
    };
    const outcome = await watchExecution(api, name, options);
    expect(outcome.status).toBe('NotFound');
    expect(api.writes()).toEqual(['startExecution']);
    expect(describeFailure(outcome, api.jobName, name, 600)).toMatch(
      new RegExp(`^Execution '${name}' of job 'alice-weather-job' no longer exists \\(404 ResourceNotFound: `),
    );
  });

  it('explains a failure with exit code, reason and message', async () => {
    const { api, options } = setup({
      durationMs: 1000,
      outcome: 'Failed',
      exitCode: 2,
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    const { name } = await api.startExecution();
    const outcome = await watchExecution(api, name, options);
    expect(describeFailure(outcome, api.jobName, name, 600)).toBe(
      `Execution '${name}' of job 'alice-weather-job' ended Failed after 1 s: container ${name}-r1/alice-weather-job exited with code 2; reason BackoffLimitExceeded; Job has reached the specified backoff limit. See its logs in the portal (link in the summary).`,
    );
  });
});

describe('poll schedule', () => {
  it('starts at half a second and settles at 10 s after the first minute', () => {
    expect(pollDelay(0)).toBe(500);
    expect(pollDelay(20_000)).toBe(1600);
    expect(pollDelay(59_000)).toBe(4000);
    expect(pollDelay(61_000)).toBe(10_000);
  });
  it('derives the default timeout from the replica timeout and retries', () => {
    expect(defaultTimeoutSec(300, 0)).toBe(360);
    expect(defaultTimeoutSec(300, 2)).toBe(960);
  });
});
