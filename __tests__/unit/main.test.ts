/**
 * The main and post steps in-process: the runner's I/O and Azure are fakes (FakeToolkit, FakeJobApi) and time is
 * virtual (FakeClock), so a whole run (deploy, start, watch, report) takes milliseconds.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/action/main.ts';
import { post } from '../../src/action/post.ts';
import {
  FakeClock,
  FakeJobApi,
  FakeToolkit,
  MAIN_INPUTS,
  OIDC_ENV,
  type ScriptedExecution,
} from '../../test-support/fakes.ts';

const IDS = MAIN_INPUTS;
const CREATE = {
  environment: 'env-data',
  image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest',
};

function setup(inputs: Record<string, string>, script?: ScriptedExecution) {
  const clock = new FakeClock();
  const api = new FakeJobApi(clock);
  if (script) api.nextScript = script;
  const kit = new FakeToolkit(api, { ...IDS, ...inputs }, { env: OIDC_ENV });
  return { clock, api, kit, run: () => main({ toolkit: kit, clock }) };
}

/** Runs main, then post with the state main saved (as the runner does). */
async function runPost(kit: FakeToolkit): Promise<FakeToolkit> {
  const postKit = new FakeToolkit(kit.api, {}, { state: kit.state, env: { ...OIDC_ENV } });
  Object.assign(postKit, { getInput: (n: string) => kit.getInput(n) });
  await post({ toolkit: postKit });
  return postKit;
}

describe('main, in-process', () => {
  it('creates the job, starts an execution, waits for it and reports success', async () => {
    const { api, kit, run } = setup(
      { ...CREATE, start: 'true' },
      { durationMs: 4000, outcome: 'Succeeded', exitCode: 0 },
    );
    await run();
    expect(kit.failed).toBeUndefined();
    expect(api.writes()).toEqual(['createJob', 'startExecution']);
    expect(kit.outputs).toMatchObject({
      'job-operation': 'created',
      'execution-status': 'Succeeded',
      'execution-duration': '4',
      'exit-code': '0',
    });
    expect(kit.log).toMatch(/Execution alice-weather-job-exec001 succeeded in 4 s\./);
    expect(kit.state['execution-done']).toBe('true');
    expect(kit.summary).toMatch(/Succeeded/);
  });

  it('fails with the exit code when the execution fails', async () => {
    const { kit, run } = setup({ ...CREATE, start: 'true' }, { durationMs: 2000, outcome: 'Failed', exitCode: 3 });
    await run();
    expect(kit.failed).toMatch(/Execution 'alice-weather-job-exec001' of job 'alice-weather-job' ended Failed/);
    expect(kit.failed).toMatch(/exited with code 3/);
    expect(kit.outputs).toMatchObject({ 'execution-status': 'Failed', 'exit-code': '3' });
  });

  it('stops an execution that outlives the timeout', async () => {
    const { api, kit, run } = setup({ ...CREATE, start: 'true', timeout: '60' }, { durationMs: 0, outcome: 'Hang' });
    await run();
    expect(api.writes()).toEqual(['createJob', 'startExecution', 'stopExecution']);
    expect(kit.failed).toMatch(/did not finish within 60 s and was stopped/);
    expect(kit.outputs['execution-status']).toBe('TimedOut');
    expect(kit.state['execution-done']).toBe('true');
  });

  it('stops the execution when the workflow run is cancelled while it waits', async () => {
    const { api, clock, kit, run } = setup({ ...CREATE, start: 'true' }, { durationMs: 0, outcome: 'Hang' });
    clock.onSleep = () => {
      if (clock.sleeps.length === 3) kit.cancel('SIGINT');
    };
    await run();
    expect(kit.log).toMatch(/Received SIGINT/);
    expect(api.writes()).toEqual(['createJob', 'startExecution', 'stopExecution']);
    expect(kit.outputs['execution-status']).toBe('Cancelled');
    expect(kit.failed).toMatch(/cancelled while execution .* was running; the execution was stopped/);
  });

  it('does not wait with wait: false and leaves nothing for post', async () => {
    const { api, kit, run } = setup({ ...CREATE, start: 'true', wait: 'false' }, { durationMs: 0, outcome: 'Hang' });
    await run();
    expect(kit.failed).toBeUndefined();
    expect(kit.outputs['execution-status']).toBe('Running');
    expect(api.calls).not.toContain('getExecution');
    const postKit = await runPost(kit);
    expect(postKit.connects).toBe(0);
  });

  it('writes nothing on a dry run', async () => {
    const { api, kit, run } = setup({ ...CREATE, start: 'true', 'dry-run': 'true' });
    await run();
    expect(kit.failed).toBeUndefined();
    expect(api.writes()).toEqual([]);
    expect(kit.log).toMatch(/would be created \(dry run: nothing written\)/);
  });
});

describe('main when Azure misbehaves', () => {
  it('reports a vanished execution as NotFound, naming it, not as an unexpected error', async () => {
    const { api, clock, kit, run } = setup({ ...CREATE, start: 'true' }, { durationMs: 0, outcome: 'Hang' });
    clock.onSleep = () => {
      if (clock.sleeps.length === 3) api.executions.clear();
    };
    await run();
    expect(kit.failed).toMatch(
      /Execution 'alice-weather-job-exec001' of job 'alice-weather-job' no longer exists \(404 ResourceNotFound/,
    );
    expect(kit.failed).not.toMatch(/Unexpected error/);
    expect(kit.outputs['execution-status']).toBe('NotFound');
    expect(kit.state['execution-done']).toBe('true');
  });

  it('stops the execution when Azure stops answering reads, and says so', async () => {
    const { api, kit, run } = setup({ ...CREATE, start: 'true' }, { durationMs: 0, outcome: 'Hang' });
    api.readsFail = Number.POSITIVE_INFINITY;
    await run();
    expect(kit.failed).toMatch(
      /Azure did not answer reads of execution 'alice-weather-job-exec001' of job 'alice-weather-job'/,
    );
    expect(kit.failed).toMatch(/503 ServiceUnavailable/);
    expect(kit.failed).toMatch(/the action stopped it/);
    expect(api.writes()).toContain('stopExecution');
    expect(kit.outputs['execution-status']).toBe('Unknown');
  });

  it('leaves the execution when on-timeout is leave and Azure stops answering, saying what it left', async () => {
    const { api, kit, run } = setup(
      { ...CREATE, start: 'true', 'on-timeout': 'leave' },
      { durationMs: 0, outcome: 'Hang' },
    );
    api.readsFail = Number.POSITIVE_INFINITY;
    await run();
    expect(api.writes()).not.toContain('stopExecution');
    expect(kit.failed).toMatch(/left as it is \(on-timeout: leave\) and may still be running/);
    expect(kit.failed).toMatch(/--job-execution-name alice-weather-job-exec001/);
  });

  it('says a failed stop failed, with Azure code, and post stops it even when its read fails', async () => {
    const { api, kit, run } = setup({ ...CREATE, start: 'true', timeout: '60' }, { durationMs: 0, outcome: 'Hang' });
    api.stopsFail = 1;
    await run();
    expect(kit.failed).toMatch(
      /stopping it failed \(503 ServiceUnavailable: The service is unavailable\), so it may still be running/,
    );
    expect(kit.failed).toMatch(
      /az containerapp job stop --name alice-weather-job --resource-group rg-data --job-execution-name alice-weather-job-exec001/,
    );
    expect(kit.failed).not.toMatch(/left running \(on-timeout: leave\)/);
    expect(kit.state['execution-done']).toBeUndefined();
    api.readsFail = 1;
    const postKit = await runPost(kit);
    expect(postKit.log).toMatch(/Could not read execution 'alice-weather-job-exec001' .*stopping it anyway/);
    expect(postKit.log).toMatch(/Stopped execution alice-weather-job-exec001/);
    expect(api.executions.get('alice-weather-job-exec001')!.stoppedAt).toBeDefined();
  });

  it('names the job and keeps the code of an error it did not expect', async () => {
    const { kit, run } = setup({ ...CREATE, start: 'true' });
    kit.connect = () => {
      throw Object.assign(new Error('MSAL cache is corrupt'), { code: 'CacheError' });
    };
    await run();
    expect(kit.failed).toBe(
      "Unexpected error while trying to sign in to Azure (job 'alice-weather-job' in resource group 'rg-data'): CacheError: MSAL cache is corrupt. Rerun the step; if it happens again, report it with this message.",
    );
  });
});

describe('post, in-process', () => {
  const killedMain = { 'execution-name': 'alice-weather-job-exec001', isPost: 'true' };

  async function postAfterKilledMain(inputs: Record<string, string>) {
    const clock = new FakeClock();
    const api = new FakeJobApi(clock);
    api.nextScript = { durationMs: 0, outcome: 'Hang' };
    await api.startExecution();
    const kit = new FakeToolkit(
      api,
      { ...IDS, ...CREATE, start: 'true', ...inputs },
      { state: killedMain, env: OIDC_ENV },
    );
    await post({ toolkit: kit });
    return { api, kit };
  }

  it('stops the execution main was killed before it could stop', async () => {
    const { api, kit } = await postAfterKilledMain({});
    expect(kit.log).toMatch(
      /The main step ended while execution alice-weather-job-exec001 was Running: stopping it \(stop-on-cancel\)/,
    );
    expect(api.writes()).toEqual(['startExecution', 'stopExecution']);
  });

  it('leaves it alone with stop-on-cancel: false', async () => {
    const { api, kit } = await postAfterKilledMain({ 'stop-on-cancel': 'false' });
    expect(kit.connects).toBe(0);
    expect(api.writes()).toEqual(['startExecution']);
  });
});
