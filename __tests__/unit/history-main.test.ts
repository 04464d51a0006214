/**
 * check-since and await-next-execution through main, in-process (FakeToolkit, FakeJobApi, virtual time): the
 * edges the end-to-end tests do not reach.
 */
import type { Job } from '@azure/arm-appcontainers';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/action/main.ts';
import {
  FakeClock,
  FakeJobApi,
  FakeToolkit,
  MAIN_INPUTS,
  OIDC_ENV,
  type ScriptedExecution,
} from '../../test-support/fakes.ts';

const IDS = MAIN_INPUTS;
const NOW = Date.UTC(2026, 11, 5, 7, 0, 0);
const HOUR = 3600_000;

function job(triggerType: string, cron?: string): Job {
  return {
    location: 'westeurope',
    configuration: {
      triggerType,
      replicaTimeout: 300,
      ...(cron ? { scheduleTriggerConfig: { cronExpression: cron } } : {}),
    },
    template: { containers: [{ name: 'main', image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest' }] },
  };
}

function setup(inputs: Record<string, string>, live: Job) {
  const clock = new FakeClock(NOW);
  const api = new FakeJobApi(clock);
  api.job = live;
  const kit = new FakeToolkit(api, { ...IDS, ...inputs }, { env: OIDC_ENV });
  /** An execution that started `agoMs` before now (oldest first, as the list's newest-first order needs). */
  const past = (name: string, agoMs: number, script: ScriptedExecution): void => {
    api.executions.set(name, { start: NOW - agoMs, script });
  };
  return { clock, api, kit, past, run: () => main({ toolkit: kit, clock }) };
}

const errors = (kit: FakeToolkit): string[] =>
  kit.lines.filter((l) => l.startsWith('::error::')).map((l) => l.slice(9));

describe('check-since through main', () => {
  it('with start: true, reports the check at once, then starts and watches an execution as usual', async () => {
    const { api, kit, past, run } = setup({ 'check-since': '25h', start: 'true' }, job('Manual'));
    past('run-a', 3 * HOUR, { durationMs: 60_000, outcome: 'Failed', exitCode: 2 });
    api.nextScript = { durationMs: 5_000, outcome: 'Succeeded', exitCode: 0 };
    await run();
    expect(errors(kit)).toEqual([
      expect.stringMatching(/^Job 'alice-weather-job' since 2026-12-04 06:00 UTC: 1 of 1 executions failed: run-a/),
    ]);
    expect(api.writes()).toEqual(['startExecution']);
    expect(kit.outputs).toMatchObject({
      'executions-checked': '1',
      'executions-failed': '1',
      'executions-missed': '0',
      'execution-status': 'Succeeded',
    });
    // The check's listing comes before the start.
    expect(kit.log.indexOf('run-a  Manual')).toBeLessThan(kit.log.indexOf('Started execution'));
  });

  it('names the newest five failed executions and how many more, each with a diagnosis from its status', async () => {
    const { api, kit, past, run } = setup({ 'check-since': '25h' }, job('Manual'));
    for (let i = 1; i <= 7; i++)
      past(`run-${i}`, (10 - i) * HOUR, { durationMs: 1000, outcome: 'Failed', exitCode: i });
    await run();
    expect(kit.failed).toMatch(/7 of 7 executions failed: run-3 \(Failed, exit code 3, .*run-7 .* and 2 more\./);
    expect(kit.log).toMatch(/Execution run-7 \(Failed\): .*exited with code 7/);
    // Only the newest five get a diagnosis (logs: false: no Log Analytics read).
    expect(kit.log).not.toMatch(/Execution run-2 \(Failed\)/);
    expect(api.writes()).toEqual([]);
  });

  it('expects no run due before the job was created, and says when a suspended job missed its runs', async () => {
    const created = { ...job('Schedule', '0 6 * * *'), systemData: { createdAt: new Date(NOW - 10 * HOUR) } };
    const a = setup({ 'check-since': '25h' }, created);
    a.past('run-today', HOUR, { durationMs: 1000, outcome: 'Succeeded', exitCode: 0 });
    await a.run();
    expect(a.kit.failed).toBeUndefined();
    expect(a.kit.outputs).toMatchObject({ 'executions-checked': '1', 'executions-missed': '0' });

    const b = setup({ 'check-since': '25h' }, { ...job('Schedule', '0 6 * * *'), runningState: 'Suspended' });
    await b.run();
    expect(b.kit.failed).toBe(
      "Job 'alice-weather-job' since 2026-12-04 06:00 UTC: 2 scheduled runs never started (schedule '0 6 * * *'): due 2026-12-04 06:00 UTC, 2026-12-05 06:00 UTC. The job is suspended (runningState Suspended): its schedule starts nothing until it is resumed.",
    );
  });
});

describe('await-next-execution through main', () => {
  it('follows the execution the schedule starts, saving it for post, and stops it when the run is cancelled', async () => {
    const { api, clock, kit, run } = setup({ 'await-next-execution': '2h' }, job('Schedule', '0 8 * * *'));
    // Before the step (more than a minute): not the next one.
    api.executions.set('earlier', { start: NOW - 120_000, script: { durationMs: 1000, outcome: 'Succeeded' } });
    clock.onSleep = () => {
      if (clock.now() >= NOW + HOUR && !api.executions.has('scheduled'))
        api.executions.set('scheduled', { start: clock.now(), script: { durationMs: 0, outcome: 'Hang' } });
      if (kit.state['execution-name'] === 'scheduled') kit.cancel('SIGINT');
    };
    await run();
    expect(kit.log).toContain(
      "Waiting up to 2h for the next execution of job alice-weather-job that its trigger starts (its schedule '0 8 * * *' next runs at 2026-12-05 08:00 UTC).",
    );
    expect(kit.state['execution-name']).toBe('scheduled');
    expect(api.writes()).toEqual(['stopExecution']);
    expect(kit.outputs['execution-status']).toBe('Cancelled');
  });

  it('fails at once when the run is cancelled while waiting, and says a Manual job has no trigger of its own', async () => {
    const a = setup({ 'await-next-execution': '1h' }, job('Schedule', '0 8 * * *'));
    a.clock.onSleep = () => a.kit.cancel('SIGTERM');
    await a.run();
    expect(a.kit.failed).toBe(
      "The workflow run was cancelled while waiting for the next execution of job 'alice-weather-job'; none had started.",
    );

    const b = setup({ 'await-next-execution': '90s' }, job('Manual'));
    await b.run();
    expect(b.kit.failed).toBe(
      "No execution of job 'alice-weather-job' started within 90s: job 'alice-weather-job' has trigger type Manual, which starts executions only when someone starts them.",
    );
  });
});
