import { describe, expect, it } from 'vitest';
import { fallbackApiVersion } from '../../src/azure/arm.ts';
import { startExecution } from '../../src/execution/execution.ts';
import { findLeaks, secretInputValues } from '../../test-support/e2e.ts';
import type { RunResult } from '../../test-support/harness.ts';
import { FakeClock, FakeJobApi } from '../../test-support/fakes.ts';

const log = { info: () => undefined, warning: () => undefined, debug: () => undefined };
const netError = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

describe('startExecution', () => {
  it('follows the execution a lost start created instead of starting another', async () => {
    const clock = new FakeClock();
    const api = new FakeJobApi(clock);
    const real = api.startExecution.bind(api);
    api.startExecution = async (t) => {
      await real(t);
      throw netError();
    };
    const started = await startExecution(api, undefined, { clock, log });
    expect(api.executions.size).toBe(1);
    expect(started.name).toBe([...api.executions.keys()][0]);
  });

  it('starts again when the lost start created nothing', async () => {
    const clock = new FakeClock();
    const api = new FakeJobApi(clock);
    const real = api.startExecution.bind(api);
    let first = true;
    api.startExecution = async (t) => {
      if (first) {
        first = false;
        throw netError();
      }
      return real(t);
    };
    await startExecution(api, undefined, { clock, log });
    expect(api.executions.size).toBe(1);
  });

  it('does not follow an execution another run started before the request', async () => {
    const clock = new FakeClock();
    const api = new FakeJobApi(clock);
    const other = await api.startExecution(); // another workflow run, 20 s earlier
    clock.t += 20_000;
    const real = api.startExecution.bind(api);
    let first = true;
    api.startExecution = async (t) => {
      if (first) {
        first = false;
        throw netError(); // lost before Azure acted
      }
      return real(t);
    };
    const started = await startExecution(api, undefined, { clock, log });
    expect(started.name).not.toBe(other.name);
    expect(api.executions.size).toBe(2);
  });

  it('does not follow an execution that runs another template', async () => {
    const clock = new FakeClock();
    const api = new FakeJobApi(clock);
    const real = api.startExecution.bind(api);
    let first = true;
    api.startExecution = async (t) => {
      if (first) {
        first = false;
        await real({ containers: [{ name: 'main', image: 'other:1' }] }); // another run, same second
        throw netError();
      }
      return real(t);
    };
    const sent = { containers: [{ name: 'main', image: 'mine:1' }] };
    const started = await startExecution(api, sent, { clock, log });
    expect(api.executions.get(started.name!)!.template).toEqual(sent);
  });

  it('fails, listing them, when it cannot tell which of several executions is its own', async () => {
    const clock = new FakeClock();
    const api = new FakeJobApi(clock);
    const real = api.startExecution.bind(api);
    api.startExecution = async (t) => {
      await real(t); // another run's, a second before
      clock.t += 1000;
      await real(t); // ours
      throw netError();
    };
    const error = await startExecution(api, undefined, { clock, log }).then(
      () => new Error('the start succeeded'),
      (e: Error) => e,
    );
    expect(String(error)).toMatch(
      /2 executions that run what this step sent started since then: alice-weather-job-exec002 \(started .*\), alice-weather-job-exec001 .*cannot tell which one is its own/,
    );
    expect(api.executions.size).toBe(2); // and no third start
  });

  it('says an execution may have started when it cannot read the executions after a lost start', async () => {
    const clock = new FakeClock();
    const api = new FakeJobApi(clock);
    api.startExecution = async () => {
      throw netError();
    };
    api.executionPages = async function* () {
      yield* [];
      throw Object.assign(new Error('Service Unavailable'), { statusCode: 503, code: 'ServiceUnavailable' });
    };
    await expect(startExecution(api, undefined, { clock, log })).rejects.toThrow(
      "The answer to the start request of job 'alice-weather-job' was lost and its executions could not be read (503 ServiceUnavailable: Service Unavailable), so an execution may have been started: check with az containerapp job execution list --name alice-weather-job --resource-group rg-data, stop it if needed, and rerun the step.",
    );
  });

  it('does not retry a start Azure refused', async () => {
    const clock = new FakeClock();
    const api = new FakeJobApi(clock);
    api.startExecution = async () => {
      throw Object.assign(new Error('denied'), { statusCode: 403, code: 'AuthorizationFailed' });
    };
    await expect(startExecution(api, undefined, { clock, log })).rejects.toThrow('denied');
    expect(api.calls).not.toContain('executionPages');
  });
});

describe('fallbackApiVersion', () => {
  const err = (code: string, message: string) => Object.assign(new Error(message), { code, statusCode: 400 });
  it('picks the newest known version Azure lists', () => {
    const e = err(
      'NoRegisteredProviderFound',
      "No registered resource provider found for location 'eastus' and API version '2026-07-01' for type 'jobs'. The supported api-versions are '2023-05-01, 2024-03-01, 2025-02-02-preview, 2026-01-01'. The supported locations are 'eastus'.",
    );
    expect(fallbackApiVersion(e, '2026-07-01')).toBe('2026-01-01');
  });
  it('ignores other errors and lists without a known version', () => {
    expect(fallbackApiVersion(err('ResourceNotFound', 'x'), '2026-07-01')).toBeUndefined();
    expect(
      fallbackApiVersion(err('InvalidApiVersionParameter', "The supported versions are '2019-01-01'."), '2026-07-01'),
    ).toBeUndefined();
  });
});

describe('secret scan of end-to-end runs', () => {
  const result = (stdout: string): RunResult =>
    ({ stdout, stderr: '', outputs: {}, summary: '', state: {}, post: undefined }) as unknown as RunResult;
  it('finds a secret printed outside ::add-mask::', () => {
    expect(findLeaks(result('::add-mask::hunter22\nhello'), ['hunter22'])).toEqual([]);
    expect(findLeaks(result('::add-mask::hunter22\nconnecting with hunter22'), ['hunter22'])).toEqual([
      'main stdout contains a secret (hunt…)',
    ]);
  });
  it('reads secret values from the secrets and registry-password inputs', () => {
    expect(
      secretInputValues({
        secrets: 'a=one1\n# c\nb=keyvaultref:https://x,identityref:system\nc=x=y',
        'registry-password': 'pw',
      }),
    ).toEqual(['one1', 'x=y', 'pw']);
  });
});
