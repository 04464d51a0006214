/**
 * The runner harness, proven with a fixture action (__tests__/fixtures/echo-action) independent of the real one.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  evaluateCondition,
  inputEnvironment,
  loadActionYml,
  parseKeyValueFile,
  parseWorkflowCommand,
  runAction,
  type RunResult,
} from '../test-support/harness.ts';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'echo-action');

const temps: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'harness-test-'));
  temps.push(d);
  return d;
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The fixture with another post-if (its action.yml in a temp folder, pointing at the fixture's scripts). */
function fixtureWithPostIf(postIf: string): string {
  const dir = tempDir();
  const yml = readFileSync(join(FIXTURE, 'action.yml'), 'utf8')
    .replace('main: main.mjs', `main: ${join(FIXTURE, 'main.mjs')}`)
    .replace('post: post.mjs', `post: ${join(FIXTURE, 'post.mjs')}`)
    .replace('post-if: always()', `post-if: "${postIf}"`);
  writeFileSync(join(dir, 'action.yml'), yml);
  return dir;
}

function jsonLine(r: { stdout: string }, prefix: string): unknown {
  const line = r.stdout.split('\n').find((l) => l.startsWith(`${prefix} `));
  if (!line) throw new Error(`no ${prefix} line in:\n${r.stdout}`);
  return JSON.parse(line.slice(prefix.length + 1));
}

function signalsSeen(file: string): { signal: string; at: number }[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([signal, at]) => ({ signal: signal!, at: Number(at) }));
}

describe('runAction: inputs and environment', () => {
  it('applies action.yml defaults, then the given inputs, as INPUT_<NAME> (spaces → _, hyphens kept)', async () => {
    const r = await runAction({ actionDir: FIXTURE, inputs: { name: 'Ada', greeting: 'hi' } });
    expect(r.exitCode).toBe(0);
    expect(jsonLine(r, 'INPUTS')).toEqual({
      INPUT_NAME: 'Ada',
      INPUT_GREETING: 'hi',
      INPUT_SECRET: '',
      INPUT_MODE: 'ok',
      'INPUT_SIGNAL-LOG': '',
      INPUT_INPUT_WITH_SPACES: 'spaced',
    });
    expect(r.outputs.greeting).toBe('hi, Ada!');
  });

  it('throws on an input the action does not declare, before running anything', async () => {
    await expect(runAction({ actionDir: FIXTURE, inputs: { name: 'Ada', nmae: 'typo' } })).rejects.toThrow(
      "Unexpected input(s) 'nmae', valid inputs are ['name', 'greeting', 'secret', 'mode', 'signal-log', 'input with spaces']",
    );
  });

  it('gives a clean environment with the runner variables and no OIDC variables unless asked', async () => {
    process.env.AZURE_CLIENT_ID = 'leaked-from-parent';
    process.env.ACTIONS_ID_TOKEN_REQUEST_URL = 'https://leak.example';
    let r: RunResult;
    try {
      r = await runAction({
        actionDir: FIXTURE,
        inputs: { name: 'Ada' },
        env: { EXTRA: 'yes', GITHUB_JOB: undefined },
      });
    } finally {
      delete process.env.AZURE_CLIENT_ID;
      delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
    }
    const keys = jsonLine(r, 'ENVKEYS') as string[];
    expect(keys).not.toContain('AZURE_CLIENT_ID');
    expect(keys).not.toContain('ACTIONS_ID_TOKEN_REQUEST_URL');
    expect(keys).not.toContain('ACTIONS_ID_TOKEN_REQUEST_TOKEN');
    expect(keys).not.toContain('GITHUB_JOB');
    expect(keys).toContain('EXTRA');
    for (const k of [
      'PATH',
      'HOME',
      'CI',
      'GITHUB_ACTIONS',
      'GITHUB_REPOSITORY',
      'GITHUB_REPOSITORY_OWNER',
      'GITHUB_SERVER_URL',
      'GITHUB_API_URL',
      'GITHUB_RUN_ID',
      'GITHUB_RUN_ATTEMPT',
      'GITHUB_RUN_NUMBER',
      'GITHUB_WORKFLOW',
      'GITHUB_ACTION',
      'GITHUB_EVENT_NAME',
      'GITHUB_EVENT_PATH',
      'GITHUB_SHA',
      'GITHUB_REF',
      'GITHUB_WORKSPACE',
      'RUNNER_TEMP',
      'RUNNER_OS',
      'GITHUB_OUTPUT',
      'GITHUB_STATE',
      'GITHUB_STEP_SUMMARY',
      'GITHUB_ENV',
      'GITHUB_PATH',
    ]) {
      expect(keys).toContain(k);
    }
    const allowedFromParent = new Set(['PATH', 'HOME', 'NODE_EXTRA_CA_CERTS', 'EXTRA']);
    expect(keys.filter((k) => !/^(GITHUB_|RUNNER_|INPUT_)/.test(k) && k !== 'CI' && !allowedFromParent.has(k))).toEqual(
      [],
    );
    expect(r.stdout).toMatch(/^CWD .*\/work\/octo-repo$/m);
  });

  it('sets the OIDC request variables when the job has id-token permission', async () => {
    const r = await runAction({
      actionDir: FIXTURE,
      inputs: { name: 'Ada' },
      oidc: { requestUrl: 'https://localhost:1/_apis/x/idtoken?api-version=2.0', requestToken: 'tok' },
    });
    const keys = jsonLine(r, 'ENVKEYS') as string[];
    expect(keys).toContain('ACTIONS_ID_TOKEN_REQUEST_URL');
    expect(keys).toContain('ACTIONS_ID_TOKEN_REQUEST_TOKEN');
  });
});

describe('runAction: file commands, workflow commands and the log', () => {
  it('parses outputs, state (heredoc and name=value), summary, GITHUB_ENV and GITHUB_PATH', async () => {
    const r = await runAction({ actionDir: FIXTURE, inputs: { name: 'Ada' } });
    expect(r.outputs).toEqual({ greeting: 'hello, Ada!', multi: 'line one\nline two', plain: 'a=b=c' });
    expect(r.state).toEqual({ started: 'yes', 'multi-state': 'first\nsecond' });
    expect(r.summary).toBe('<h1>Fixture summary</h1>\nGreeted Ada.\n');
    expect(r.exportedEnv).toEqual({ FROM_MAIN: 'exported by main' });
    expect(r.addedPath).toEqual(['/opt/fixture/bin']);
  });

  it('masks ::add-mask:: values in later log lines, keeps stdout raw, and masks pre-registered secrets', async () => {
    const r = await runAction({ actionDir: FIXTURE, inputs: { name: 'Ada', secret: 'hunter2' } });
    expect(r.masks).toEqual(['hunter2']);
    expect(r.stdout).toContain('the secret is hunter2');
    expect(r.log).toContain('the secret is ***');
    expect(r.log).not.toMatch(/the secret is hunter2/);
    // Printed before the mask was registered: visible, as in a real run.
    expect(r.log).toContain('"INPUT_SECRET":"hunter2"');
    expect(r.post!.log).toContain('secret again: ***');
    expect(r.post!.log).toContain('    secret: ***');

    const pre = await runAction({
      actionDir: FIXTURE,
      inputs: { name: 'Ada', secret: 'hunter2' },
      secrets: ['hunter2'],
    });
    expect(pre.log).not.toContain('hunter2');
  });

  it('interprets annotations, groups, debug and stop-commands, decoding the toolkit escapes', async () => {
    const r = await runAction({ actionDir: FIXTURE, inputs: { name: 'Ada', mode: 'fail' } });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual(['first line\nsecond line', 'it failed on purpose']);
    expect(r.warnings).toEqual(['careful: 50% done']);
    expect(r.notices).toEqual(['just so you know']);
    expect(r.annotations[0]).toEqual({
      level: 'warning',
      message: 'careful: 50% done',
      properties: { title: 'Heads up, really', file: 'src/a.ts', line: '3' },
    });
    expect(r.debugs).toEqual(['a debug line']);
    const log = r.log.split('\n');
    expect(log).toContain('▼ Details');
    expect(log).toContain('  inside the group');
    expect(log).toContain('after the group');
    expect(log).toContain('Warning: careful: 50% done');
    expect(log).toContain('Notice: just so you know');
    expect(log.slice(log.indexOf('Error: first line'), log.indexOf('Error: first line') + 3)).toEqual([
      'Error: first line',
      'second line',
      'Error: it failed on purpose',
    ]);
    expect(log).toContain('::error::not a command while stopped');
    expect(r.log).not.toContain('a debug line');
    expect(r.log).not.toContain('::add-mask::');

    const debug = await runAction({ actionDir: FIXTURE, inputs: { name: 'Ada' }, debug: true });
    expect(debug.log).toContain('##[debug]a debug line');
    expect(jsonLine(debug, 'ENVKEYS')).toContain('RUNNER_DEBUG');
  });

  it('streams stdout live and the interpreted log lines', async () => {
    const chunks: string[] = [];
    const lines: string[] = [];
    const r = await runAction({
      actionDir: FIXTURE,
      inputs: { name: 'Ada', secret: 'hunter2' },
      onOutput: (c) => chunks.push(c),
      onLog: (l) => lines.push(l),
      runPost: false,
    });
    expect(chunks.join('')).toBe(r.stdout);
    expect(lines.join('\n')).toBe(r.log);
    expect(r.post).toBeUndefined();
    expect(r.postSkippedReason).toBe('runPost: false');
  });
});

describe('runAction: post step', () => {
  it('gives post the STATE_ variables, main’s exported env and path, and the inputs', async () => {
    const r = await runAction({ actionDir: FIXTURE, inputs: { name: 'Ada' } });
    expect(jsonLine(r.post!, 'STATE')).toEqual({ STATE_started: 'yes', 'STATE_multi-state': 'first\nsecond' });
    expect(r.post!.stdout).toContain('started=yes');
    expect(r.post!.stdout).toContain('FROM_MAIN=exported by main');
    expect(r.post!.stdout).toContain('PATH_HAS_FIXTURE=true');
    expect(r.post!.outputs).toEqual({ 'post-output': 'from post' });
    expect(r.post!.summary).toBe('post summary');
    expect(r.post!.log.split('\n')[0]).toBe('Post Run ./');
  });

  it.each([
    ['always()', 'fail', true],
    ['success()', 'ok', true],
    ['success()', 'fail', false],
    ['failure()', 'fail', true],
    ['failure()', 'ok', false],
    ['cancelled()', 'ok', false],
    ['${{ !cancelled() }}', 'fail', true],
  ])('post-if %s after a main that ends %s runs post: %s', async (postIf, mode, runs) => {
    const r = await runAction({ actionDir: fixtureWithPostIf(postIf), inputs: { name: 'Ada', mode } });
    expect(r.post !== undefined).toBe(runs);
    if (!runs) expect(r.postSkippedReason).toContain(`post-if '${postIf}' is false`);
  });

  it('runs a cancelled() post after a cancellation', async () => {
    const r = await runAction({
      actionDir: fixtureWithPostIf('cancelled()'),
      inputs: { name: 'Ada', mode: 'exit-on-sigint' },
      cancel: { whenOutput: /waiting for a signal/ },
    });
    expect(r.cancelled).toBe(true);
    expect(r.post?.stdout).toContain('post done');
  });
});

describe('runAction: cancellation and timeouts', () => {
  it('sends SIGINT, then SIGTERM after the given delay, then kills the tree', async () => {
    const log = join(tempDir(), 'signals.log');
    const r = await runAction({
      actionDir: FIXTURE,
      inputs: { name: 'Ada', mode: 'wait', 'signal-log': log },
      cancel: { whenOutput: /waiting for a signal/ },
      signalTimings: { termAfterMs: 400, killAfterMs: 300 },
    });
    expect(r.cancelled).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe('SIGKILL');
    expect(r.signalsSent.map((s) => s.signal)).toEqual(['SIGINT', 'SIGTERM', 'SIGKILL']);
    const [int, term, kill] = r.signalsSent.map((s) => s.atMs) as [number, number, number];
    expect(term - int).toBeGreaterThanOrEqual(390);
    // Upper bounds leave room for timers firing late on a loaded machine; the lower bounds are exact.
    expect(term - int).toBeLessThan(400 + 1500);
    expect(kill - term).toBeGreaterThanOrEqual(290);
    expect(kill - term).toBeLessThan(300 + 1500);
    const seen = signalsSeen(log);
    expect(seen.map((s) => s.signal)).toEqual(['READY', 'SIGINT', 'SIGTERM']);
    // The child's handlers may run late under load, so only half the delay is required between them.
    expect(seen[2]!.at - seen[1]!.at).toBeGreaterThanOrEqual(200);
    expect(r.errors).toContain('The operation was canceled.');
    // post-if: always() runs after a cancellation of a started main.
    expect(r.post?.stdout).toContain('post done');
  });

  it('lets an action that exits on SIGINT end there; Node without handlers dies of SIGINT', async () => {
    const handled = await runAction({
      actionDir: FIXTURE,
      inputs: { name: 'Ada', mode: 'exit-on-sigint' },
      // Cancel once the action says it is waiting (its SIGINT handler is installed by then), not after a delay:
      // a loaded machine may take longer than any delay to start node and load the action.
      cancel: { whenOutput: /waiting for a signal/ },
      signalTimings: { termAfterMs: 2000, killAfterMs: 2000 },
    });
    expect(handled.exitCode).toBe(130);
    expect(handled.signalsSent.map((s) => s.signal)).toEqual(['SIGINT']);
    expect(handled.log).toContain('stopping on SIGINT');

    const unhandled = await runAction({
      actionDir: FIXTURE,
      inputs: { name: 'Ada', mode: 'wait-default' },
      cancel: { whenOutput: /waiting for a signal/ },
      runPost: false,
    });
    expect(unhandled.signal).toBe('SIGINT');
    expect(unhandled.signalsSent.map((s) => s.signal)).toEqual(['SIGINT']);
  });

  it('uses the runner’s 7.5 s and 2.5 s by default', { timeout: 20_000 }, async () => {
    const log = join(tempDir(), 'signals.log');
    const r = await runAction({
      actionDir: FIXTURE,
      inputs: { name: 'Ada', mode: 'wait', 'signal-log': log },
      cancel: { whenOutput: /waiting for a signal/ },
      runPost: false,
    });
    const [int, term, kill] = r.signalsSent.map((s) => s.atMs) as [number, number, number];
    expect(term - int).toBeGreaterThanOrEqual(7490);
    expect(term - int).toBeLessThan(7500 + 1500);
    expect(kill - term).toBeGreaterThanOrEqual(2490);
    expect(kill - term).toBeLessThan(2500 + 1500);
    expect(r.signal).toBe('SIGKILL');
    expect(signalsSeen(log).map((s) => s.signal)).toEqual(['READY', 'SIGINT', 'SIGTERM']);
  });

  it('kills a step that exceeds timeoutMs', async () => {
    const r = await runAction({
      actionDir: FIXTURE,
      inputs: { name: 'Ada', mode: 'wait-default' },
      timeoutMs: 1000,
      runPost: false,
    });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    expect(r.cancelled).toBe(false);
    expect(r.durationMs).toBeLessThan(5000);
    expect(r.errors).toEqual(["The action 'Echo fixture' has timed out after 0.02 minutes."]);
  });
});

describe('harness parsers', () => {
  it('parses file commands as the runner does', () => {
    expect(parseKeyValueFile('a=1\r\nb<<EOF\r\nx\r\ny=z\r\nEOF\r\nc=d<<e\n\n')).toEqual({
      a: '1',
      b: 'x\ny=z',
      c: 'd<<e',
    });
    expect(() => parseKeyValueFile('a<<EOF\nno end\n')).toThrow("Matching delimiter not found 'EOF'");
    expect(() => parseKeyValueFile('no separator\n')).toThrow("Invalid format 'no separator'");
  });

  it('parses workflow commands with the toolkit escapes', () => {
    expect(parseWorkflowCommand('::error file=a%3Ab.ts,line=3,title=x%2Cy::50%25%0Anext')).toEqual({
      command: 'error',
      properties: { file: 'a:b.ts', line: '3', title: 'x,y' },
      data: '50%\nnext',
    });
    expect(parseWorkflowCommand('::add-mask::%2525')).toEqual({ command: 'add-mask', properties: {}, data: '%25' });
    expect(parseWorkflowCommand('plain line')).toBeNull();
    expect(parseWorkflowCommand(':: nope')).toBeNull();
  });

  it('evaluates post-if conditions', () => {
    expect(evaluateCondition('always()', 'cancelled')).toBe(true);
    expect(evaluateCondition('success() || failure()', 'cancelled')).toBe(false);
    expect(evaluateCondition('${{ !cancelled() && (failure() || success()) }}', 'failure')).toBe(true);
    expect(evaluateCondition('true', 'failure')).toBe(false);
    expect(() => evaluateCondition("github.event_name == 'push'", 'success')).toThrow('unsupported condition');
  });

  it('builds the repository action’s inputs with its defaults', () => {
    const env = inputEnvironment(loadActionYml(join(FIXTURE, '..', '..', '..')), {
      'resource-group': 'rg',
      'job-name': 'job',
    });
    expect(env).toMatchObject({
      'INPUT_RESOURCE-GROUP': 'rg',
      'INPUT_JOB-NAME': 'job',
      INPUT_AUDIENCE: 'api://AzureADTokenExchange',
      INPUT_START: 'false',
      'INPUT_CLIENT-ID': '',
    });
  });
});
