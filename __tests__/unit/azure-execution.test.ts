/**
 * What Azure reports that the field shows rarely: an execution status of Unknown (waited out, said once), a
 * suspended job (refused before the start, with how to resume it), and executions without detailedStatus (before
 * api-version 2026-07-01: the exit code comes from the system events).
 */
import { describe, expect, it } from 'vitest';
import { exitFromEvents, exitInfo, startExecution, watchExecution } from '../../src/execution/execution.ts';
import { FakeClock, FakeJobApi } from '../../test-support/fakes.ts';

function setup() {
  const clock = new FakeClock();
  const api = new FakeJobApi(clock);
  const lines: string[] = [];
  const log = {
    info: (m: string) => lines.push(m),
    warning: (m: string) => lines.push(`warning: ${m}`),
    debug: () => {},
  };
  return { clock, api, lines, log };
}

describe('execution status Unknown', () => {
  it('is waited out and said once', async () => {
    const { clock, api, lines, log } = setup();
    api.nextScript = { durationMs: 30_000, outcome: 'Succeeded', exitCode: 0, statusWhileRunning: 'Unknown' };
    const { name } = await api.startExecution();
    const outcome = await watchExecution(api, name, {
      clock,
      log,
      timeoutSec: 600,
      onTimeout: 'stop',
      stopOnCancel: true,
    });
    expect(outcome.status).toBe('Succeeded');
    expect(lines.filter((l) => l === "Azure reports the execution's status as Unknown; waiting.")).toHaveLength(1);
  });
});

describe('a suspended job', () => {
  it('is refused before any start, with how to resume it', async () => {
    const { clock, api, log } = setup();
    const job = { name: api.jobName, location: 'westeurope', runningState: 'Suspended' };
    await expect(startExecution(api, undefined, { clock, log, job })).rejects.toThrow(
      `Job '${api.jobName}' in resource group 'rg-data' is suspended (runningState Suspended), so it cannot start an execution: resume it with \`az rest --method post --url "${api.jobId}/resume?api-version=2026-07-01"\``,
    );
    expect(api.writes()).toEqual([]);
  });

  it('a job that is Ready starts', async () => {
    const { clock, api, log } = setup();
    const started = await startExecution(api, undefined, {
      clock,
      log,
      job: { location: 'westeurope', runningState: 'Ready' },
    });
    expect(started.name).toBeTruthy();
  });
});

describe('exit code without detailedStatus', () => {
  it('comes from the system events: the first non-zero code, else 0', () => {
    const events = [
      { replica: 'job-abc-r1', message: "Container 'main' was terminated with exit code '0' and reason 'Completed'" },
      {
        replica: 'job-abc-r2',
        message: "Container 'main' was terminated with exit code '3' and reason 'ProcessExited'",
      },
    ];
    expect(exitFromEvents(events)).toEqual({ exitCode: 3, exitFrom: 'job-abc-r2/main' });
    expect(exitFromEvents(events.slice(0, 1))).toEqual({ exitCode: 0, exitFrom: 'job-abc-r1/main' });
    expect(exitFromEvents([{ message: 'Pulling image' }])).toEqual({});
  });
});

describe('exit code without detailedStatus (api-versions before 2026-07-01)', () => {
  it('is 0 for a Succeeded execution (the platform requires every container to exit 0) and unknown otherwise', () => {
    expect(exitInfo({ status: 'Succeeded' })).toEqual({ exitCode: 0 });
    expect(exitInfo({ status: 'Failed' })).toEqual({});
    expect(exitInfo({ status: 'Running' })).toEqual({});
  });
});
