/**
 * Runs a JavaScript action's entry points the way the GitHub Actions runner does, for end-to-end tests and the
 * demo. Follows actions/runner (ActionManifestManager, NodeScriptActionHandler, file commands, ProcessInvoker):
 *
 * - Inputs: every input declared in action.yml becomes `INPUT_<NAME>` (upper-cased, spaces → `_`, hyphens kept),
 *   holding the given value, else its default, else "" (the runner gives inputs without a default an empty
 *   default: ActionManifestManager.ConvertInputs). Unknown input names throw here (the runner only warns).
 * - Environment: a clean one (PATH, HOME, NODE_EXTRA_CA_CERTS from this process and nothing else), plus the
 *   variables the runner sets (GITHUB_*, RUNNER_*, CI) and fresh file-command files per step under
 *   RUNNER_TEMP/_runner_file_commands (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY, GITHUB_ENV, GITHUB_PATH).
 *   OIDC variables only when `oidc` is given (as with `permissions: id-token: write`). cwd = GITHUB_WORKSPACE.
 * - Output: workflow commands on stdout/stderr are interpreted (error/warning/notice/debug/group/endgroup/
 *   add-mask/stop-commands/echo, plus the deprecated set-output/save-state) with the toolkit's escaping decoded,
 *   and `log` is what a user sees: masked values replaced by `***` in later lines, annotations as
 *   "Error: …"/"Warning: …"/"Notice: …", groups as "▼ title" with indented content, debug lines only with `debug`.
 * - Post: runs `runs.post` when `post-if` (default always()) holds, with `STATE_<name>` from main's GITHUB_STATE,
 *   main's GITHUB_ENV/GITHUB_PATH applied, and the same inputs; also after a cancellation of a started main.
 * - Cancellation: SIGINT to the node process, SIGTERM 7.5 s later, then the process tree is killed 2.5 s after
 *   that (ProcessInvoker: SIGINT → SIGTERM → kill tree); timings overridable with `signalTimings`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export interface RunOptions {
  /** By input name as in action.yml. */
  inputs: Record<string, string>;
  /**
   * Extra environment for the steps (undefined removes a variable the harness would set). Outside vitest (whose
   * global setup exports NODE_EXTRA_CA_CERTS), pass the stand-in's CA here: `{ NODE_EXTRA_CA_CERTS: standIn.tls.caFile }`.
   */
  env?: Record<string, string | undefined>;
  /** Folder holding action.yml; default the repository root. */
  actionDir?: string;
  /** Sets ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN; absent or false = the job has no id-token permission. */
  oidc?: { requestUrl: string; requestToken: string } | false;
  /**
   * Cancel the run (as the runner does when the workflow is cancelled) when an output line matches: an event, so
   * that tests do not depend on how fast a loaded machine starts the action.
   */
  cancel?: { whenOutput: RegExp };
  /** SIGINT → SIGTERM delay and SIGTERM → SIGKILL delay (runner: 7500 and 2500 ms). */
  signalTimings?: { termAfterMs?: number; killAfterMs?: number };
  /** Default true when action.yml has runs.post; post-if is honoured either way. */
  runPost?: boolean;
  /** Per step; when exceeded the process tree is killed at once and the step counts as failed (default 300 s). */
  timeoutMs?: number;
  /** Live raw stdout of each step, e.g. for the demo. */
  onOutput?: (chunk: string) => void;
  /** Live lines of the user-visible log (masked, interpreted). */
  onLog?: (line: string) => void;
  /** Values masked from the start, as the runner masks the values of the `secrets` context. */
  secrets?: string[];
  /** Step debug logging (ACTIONS_STEP_DEBUG): sets RUNNER_DEBUG=1 and shows ::debug:: lines in the log. */
  debug?: boolean;
  /** GitHub context overrides. */
  github?: Partial<GitHubContext>;
  /** Workspace folder (default a fresh temporary one). */
  workspace?: string;
  /** Node binary (default process.execPath). */
  nodePath?: string;
  /** Keep RUNNER_TEMP and the workspace (default: removed after the run unless given). */
  keepTemp?: boolean;
}

export interface GitHubContext {
  repository: string;
  ref: string;
  sha: string;
  eventName: string;
  runId: string;
  runNumber: string;
  runAttempt: string;
  workflow: string;
  job: string;
  action: string;
  actor: string;
  serverUrl: string;
  apiUrl: string;
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  properties: Record<string, string>;
}

export interface StepResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** What a user sees in the step's log. */
  log: string;
  errors: string[];
  warnings: string[];
  notices: string[];
  /** Annotations with their properties (file, line, title, …), messages masked. */
  annotations: Annotation[];
  /** ::debug:: messages (always collected, shown in `log` only with `debug`). */
  debugs: string[];
  masks: string[];
  durationMs: number;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  /** Variables written to GITHUB_ENV. */
  exportedEnv: Record<string, string>;
  /** Entries written to GITHUB_PATH. */
  addedPath: string[];
  /** The step was killed for exceeding timeoutMs. */
  timedOut: boolean;
  /** Signals the harness sent, with milliseconds since the step started. */
  signalsSent: { signal: string; atMs: number }[];
}

export interface RunResult extends StepResult {
  post?: StepResult;
  cancelled: boolean;
  /** Why post did or did not run. */
  postSkippedReason?: string;
}

export interface ActionYml {
  name?: string;
  inputs?: Record<string, { default?: unknown; required?: unknown; description?: unknown } | null>;
  runs?: { using?: string; main?: string; post?: string; 'post-if'?: string; pre?: string };
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNNER_SIGTERM_AFTER_MS = 7500;
const RUNNER_KILL_AFTER_MS = 2500;
const SUMMARY_LIMIT = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 300_000;

export const DEFAULT_CONTEXT: GitHubContext = {
  repository: 'octo-org/octo-repo',
  ref: 'refs/heads/main',
  sha: 'd6cd1e2bd19e03a81132a23b2025920577f84e37',
  eventName: 'push',
  runId: '5912347896',
  runNumber: '42',
  runAttempt: '1',
  workflow: 'deploy',
  job: 'deploy',
  action: '__self',
  actor: 'octocat',
  serverUrl: 'https://github.com',
  apiUrl: 'https://api.github.com',
};

export function loadActionYml(actionDir: string): ActionYml {
  const file = ['action.yml', 'action.yaml'].map((f) => join(actionDir, f)).find((f) => existsSync(f));
  if (!file) throw new Error(`no action.yml in ${actionDir}`);
  return (parseYaml(readFileSync(file, 'utf8')) ?? {}) as ActionYml;
}

/** The INPUT_* variables the runner gives a step: defaults applied, then the given inputs. */
export function inputEnvironment(action: ActionYml, inputs: Record<string, string>): Record<string, string> {
  const declared = action.inputs ?? {};
  const unknown = Object.keys(inputs).filter((k) => !Object.hasOwn(declared, k));
  if (unknown.length > 0) {
    throw new Error(
      `Unexpected input(s) ${unknown.map((u) => `'${u}'`).join(', ')}, valid inputs are [${Object.keys(declared)
        .map((k) => `'${k}'`)
        .join(', ')}]`,
    );
  }
  const env: Record<string, string> = {};
  for (const [name, meta] of Object.entries(declared)) {
    const given = inputs[name];
    if (given !== undefined && typeof given !== 'string') throw new Error(`input '${name}' must be a string`);
    const def = meta?.default;
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] =
      given ?? (def === undefined || def === null ? '' : typeof def === 'string' ? def : JSON.stringify(def));
  }
  return env;
}

export async function runAction(options: RunOptions): Promise<RunResult> {
  const actionDir = resolve(options.actionDir ?? REPO_ROOT);
  const action = loadActionYml(actionDir);
  const runs = action.runs ?? {};
  if (!runs.using || !/^node\d+$/.test(runs.using)) throw new Error(`runs.using '${runs.using}' is not a node runtime`);
  if (!runs.main) throw new Error('runs.main is missing');
  const inputEnv = inputEnvironment(action, options.inputs);
  const actionName = action.name ?? 'action';

  const ctx = { ...DEFAULT_CONTEXT, ...options.github };
  const temp = mkdtempSync(join(tmpdir(), 'runner-'));
  const runnerTemp = join(temp, '_temp');
  const workspace = options.workspace ?? join(temp, 'work', ctx.repository.split('/')[1] ?? 'repo');
  mkdirSync(runnerTemp, { recursive: true });
  mkdirSync(workspace, { recursive: true });
  mkdirSync(join(runnerTemp, '_runner_file_commands'), { recursive: true });
  const eventPath = join(temp, '_github_workflow', 'event.json');
  mkdirSync(dirname(eventPath), { recursive: true });
  writeFileSync(eventPath, JSON.stringify(eventPayload(ctx), null, 2));

  const base = baseEnvironment(ctx, { runnerTemp, workspace, eventPath, temp });
  if (options.debug) base.RUNNER_DEBUG = '1';
  if (options.oidc) {
    base.ACTIONS_ID_TOKEN_REQUEST_URL = options.oidc.requestUrl;
    base.ACTIONS_ID_TOKEN_REQUEST_TOKEN = options.oidc.requestToken;
  }
  const masks = new Masker(options.secrets ?? []);

  try {
    const mainEnv = { ...base, ...inputEnv };
    applyOverrides(mainEnv, options.env);
    const header = renderHeader('Run', options.inputs, inputEnv, action);
    const main = await runStep({
      options,
      script: resolve(actionDir, runs.main),
      env: mainEnv,
      cwd: workspace,
      runnerTemp,
      masks,
      header,
      actionName,
      cancellable: true,
    });

    const cancelled = main.cancelled;
    const status: JobStatus = cancelled
      ? 'cancelled'
      : main.step.exitCode === 0 && !main.step.timedOut
        ? 'success'
        : 'failure';
    const result: RunResult = { ...main.step, cancelled };

    const postIf = runs['post-if'] ?? 'always()';
    if (!runs.post) {
      result.postSkippedReason = 'action has no runs.post';
    } else if (options.runPost === false) {
      result.postSkippedReason = 'runPost: false';
    } else if (!evaluateCondition(postIf, status)) {
      result.postSkippedReason = `post-if '${postIf}' is false (job status: ${status})`;
    } else {
      const postEnv: Record<string, string> = { ...base, ...main.step.exportedEnv, ...inputEnv };
      if (main.step.addedPath.length > 0) {
        postEnv.PATH = [...[...main.step.addedPath].reverse(), postEnv.PATH ?? ''].join(delimiter);
      }
      for (const [k, v] of Object.entries(main.step.state)) postEnv[`STATE_${k}`] = v;
      applyOverrides(postEnv, options.env);
      const post = await runStep({
        options,
        script: resolve(actionDir, runs.post),
        env: postEnv,
        cwd: workspace,
        runnerTemp,
        masks,
        header: `Post ${renderHeader('Run', options.inputs, inputEnv, action)}`,
        actionName,
        cancellable: false,
      });
      result.post = post.step;
    }
    return result;
  } finally {
    if (!options.keepTemp) rmSync(temp, { recursive: true, force: true });
  }
}

export type JobStatus = 'success' | 'failure' | 'cancelled';

/**
 * Evaluates a step condition as the runner does for post-if: always(), success(), failure(), cancelled(), !, &&,
 * ||, parentheses, true/false, optionally wrapped in ${{ }}. A condition without a status function is implicitly
 * `success() && (…)`.
 */
export function evaluateCondition(expr: string, status: JobStatus): boolean {
  let s = expr.trim();
  const wrapped = /^\$\{\{([\s\S]*)\}\}$/.exec(s);
  if (wrapped) s = wrapped[1]!.trim();
  const tokens = s.match(/\s*(always\(\)|success\(\)|failure\(\)|cancelled\(\)|true|false|&&|\|\||!|\(|\))\s*/gy);
  if (!tokens || tokens.join('').length !== s.length) throw new Error(`unsupported condition: ${expr}`);
  const toks = tokens.map((t) => t.trim());
  let i = 0;
  const value = (t: string): boolean => {
    switch (t) {
      case 'always()':
        return true;
      case 'success()':
        return status === 'success';
      case 'failure()':
        return status === 'failure';
      case 'cancelled()':
        return status === 'cancelled';
      case 'true':
        return true;
      case 'false':
        return false;
      default:
        throw new Error(`unexpected '${t}' in condition: ${expr}`);
    }
  };
  const primary = (): boolean => {
    const t = toks[i++];
    if (t === '!') return !primary();
    if (t === '(') {
      const v = or();
      if (toks[i++] !== ')') throw new Error(`missing ')' in condition: ${expr}`);
      return v;
    }
    if (t === undefined) throw new Error(`incomplete condition: ${expr}`);
    return value(t);
  };
  const and = (): boolean => {
    let v = primary();
    while (toks[i] === '&&') {
      i++;
      const r = primary();
      v = v && r;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (toks[i] === '||') {
      i++;
      const r = and();
      v = v || r;
    }
    return v;
  };
  const result = or();
  if (i !== toks.length) throw new Error(`unexpected '${toks[i]}' in condition: ${expr}`);
  const hasStatusFunction = /\b(always|success|failure|cancelled)\(\)/.test(s);
  return hasStatusFunction ? result : status === 'success' && result;
}

function baseEnvironment(
  ctx: GitHubContext,
  dirs: { runnerTemp: string; workspace: string; eventPath: string; temp: string },
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'NODE_EXTRA_CA_CERTS']) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  const [owner = 'octo-org'] = ctx.repository.split('/');
  const refName = ctx.ref.replace(/^refs\/(heads|tags)\//, '');
  return {
    ...env,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTION: ctx.action,
    GITHUB_ACTOR: ctx.actor,
    GITHUB_ACTOR_ID: '583231',
    GITHUB_TRIGGERING_ACTOR: ctx.actor,
    GITHUB_API_URL: ctx.apiUrl,
    GITHUB_GRAPHQL_URL: `${ctx.apiUrl}/graphql`,
    GITHUB_SERVER_URL: ctx.serverUrl,
    GITHUB_REPOSITORY: ctx.repository,
    GITHUB_REPOSITORY_ID: '74',
    GITHUB_REPOSITORY_OWNER: owner,
    GITHUB_REPOSITORY_OWNER_ID: '65',
    GITHUB_EVENT_NAME: ctx.eventName,
    GITHUB_EVENT_PATH: dirs.eventPath,
    GITHUB_REF: ctx.ref,
    GITHUB_REF_NAME: refName,
    GITHUB_REF_TYPE: ctx.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    GITHUB_REF_PROTECTED: 'false',
    GITHUB_BASE_REF: '',
    GITHUB_HEAD_REF: '',
    GITHUB_SHA: ctx.sha,
    GITHUB_RUN_ID: ctx.runId,
    GITHUB_RUN_NUMBER: ctx.runNumber,
    GITHUB_RUN_ATTEMPT: ctx.runAttempt,
    GITHUB_RETENTION_DAYS: '90',
    GITHUB_WORKFLOW: ctx.workflow,
    GITHUB_WORKFLOW_REF: `${ctx.repository}/.github/workflows/${ctx.workflow}.yml@${ctx.ref}`,
    GITHUB_WORKFLOW_SHA: ctx.sha,
    GITHUB_JOB: ctx.job,
    GITHUB_WORKSPACE: dirs.workspace,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'GitHub Actions 1000000001',
    RUNNER_ENVIRONMENT: 'github-hosted',
    RUNNER_TEMP: dirs.runnerTemp,
    RUNNER_TOOL_CACHE: join(dirs.temp, 'toolcache'),
    RUNNER_WORKSPACE: dirname(dirs.workspace),
  };
}

function eventPayload(ctx: GitHubContext): Record<string, unknown> {
  const [owner = 'octo-org', name = 'octo-repo'] = ctx.repository.split('/');
  return {
    ref: ctx.ref,
    before: '0000000000000000000000000000000000000000',
    after: ctx.sha,
    repository: {
      id: 74,
      name,
      full_name: ctx.repository,
      private: true,
      owner: { login: owner, id: 65, type: 'Organization' },
      html_url: `${ctx.serverUrl}/${ctx.repository}`,
      default_branch: 'main',
    },
    pusher: { name: ctx.actor },
    sender: { login: ctx.actor, id: 583231, type: 'User' },
    head_commit: { id: ctx.sha, message: 'Deploy', timestamp: new Date().toISOString() },
  };
}

function applyOverrides(env: Record<string, string>, overrides: Record<string, string | undefined> | undefined): void {
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
}

function renderHeader(
  verb: string,
  given: Record<string, string>,
  inputEnv: Record<string, string>,
  action: ActionYml,
): string {
  const lines = [`${verb} ./`];
  const shown = Object.keys(action.inputs ?? {}).filter(
    (k) => given[k] !== undefined || (action.inputs?.[k]?.default ?? undefined) !== undefined,
  );
  if (shown.length > 0) {
    lines.push('  with:');
    for (const k of shown) {
      const v = inputEnv[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] ?? '';
      lines.push(`    ${k}: ${v.includes('\n') ? v.split('\n')[0] + ' …' : v}`);
    }
  }
  return lines.join('\n');
}

/** Process groups of running steps, killed if this process exits first (no orphaned actions after a test run). */
const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

interface StepRun {
  step: StepResult;
  cancelled: boolean;
}

/** Fresh, empty file-command files for one step, as the runner creates them under RUNNER_TEMP. */
function createFileCommandFiles(runnerTemp: string): Record<'output' | 'state' | 'summary' | 'env' | 'path', string> {
  const dir = join(runnerTemp, '_runner_file_commands');
  const files = {
    output: join(dir, `set_output_${randomUUID()}`),
    state: join(dir, `save_state_${randomUUID()}`),
    summary: join(dir, `step_summary_${randomUUID()}`),
    env: join(dir, `set_env_${randomUUID()}`),
    path: join(dir, `add_path_${randomUUID()}`),
  };
  for (const f of Object.values(files)) writeFileSync(f, '');
  return files;
}

async function runStep(args: {
  options: RunOptions;
  script: string;
  env: Record<string, string>;
  cwd: string;
  runnerTemp: string;
  masks: Masker;
  header: string;
  actionName: string;
  cancellable: boolean;
}): Promise<StepRun> {
  const { options, env, masks } = args;
  const files = createFileCommandFiles(args.runnerTemp);
  const stepEnv = {
    ...env,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
  };

  const interpreter = new CommandInterpreter(masks, !!options.debug, options.onLog);
  interpreter.raw(args.header);
  const started = Date.now();
  const signalsSent: StepResult['signalsSent'] = [];
  const child = spawn(options.nodePath ?? process.execPath, [args.script], {
    cwd: args.cwd,
    env: stepEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group, so that the tree can be killed as the runner does.
    detached: true,
  });
  if (child.pid !== undefined) liveGroups.add(child.pid);
  let stdout = '';
  let stderr = '';
  let cancelled = false;
  let timedOut = false;
  let exited = false;
  const timers: NodeJS.Timeout[] = [];
  const send = (signal: NodeJS.Signals, tree = false): void => {
    if (exited || child.pid === undefined) return;
    signalsSent.push({ signal, atMs: Date.now() - started });
    try {
      if (tree) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  };
  const cancel = (): void => {
    if (cancelled || exited) return;
    cancelled = true;
    const term = options.signalTimings?.termAfterMs ?? RUNNER_SIGTERM_AFTER_MS;
    const kill = options.signalTimings?.killAfterMs ?? RUNNER_KILL_AFTER_MS;
    send('SIGINT');
    // Each delay counts from the signal before it, as the runner waits after each one (and so that a timer
    // firing late on a loaded machine does not shorten the next wait).
    timers.push(
      setTimeout(() => {
        send('SIGTERM');
        timers.push(setTimeout(() => send('SIGKILL', true), kill));
      }, term),
    );
  };
  timers.push(
    setTimeout(() => {
      timedOut = true;
      send('SIGKILL', true);
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
  );
  const whenOutput = args.cancellable ? options.cancel?.whenOutput : undefined;
  const lineBuffers = { stdout: '', stderr: '' };
  const onData = (stream: 'stdout' | 'stderr', chunk: string): void => {
    if (stream === 'stdout') {
      stdout += chunk;
      options.onOutput?.(chunk);
    } else {
      stderr += chunk;
    }
    const text = lineBuffers[stream] + chunk;
    const lines = text.split('\n');
    lineBuffers[stream] = lines.pop() ?? '';
    for (const line of lines) {
      interpreter.line(line.replace(/\r$/, ''));
      if (whenOutput) {
        whenOutput.lastIndex = 0;
        if (whenOutput.test(line)) cancel();
      }
    }
  };
  child.stdout.setEncoding('utf8').on('data', (c: string) => onData('stdout', c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => onData('stderr', c));

  const closed = new Promise<void>((r) => child.on('close', () => r()));
  const exit = await new Promise<{ code: number | null; signal: string | null }>((resolveExit, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolveExit({ code, signal }));
  });
  exited = true;
  if (child.pid !== undefined) liveGroups.delete(child.pid);
  for (const t of timers) clearTimeout(t);
  // Anything the step left behind in its process group goes, as the runner kills orphans at the end of the job.
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // the group is empty
  }
  await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
  for (const stream of ['stdout', 'stderr'] as const) {
    if (lineBuffers[stream]) interpreter.line(lineBuffers[stream]);
  }

  const { fileErrors, outputs, state, exportedEnv, addedPath, summary } = readFileCommands(files, interpreter);
  for (const e of fileErrors) interpreter.annotate('error', e, {});
  if (cancelled) interpreter.annotate('error', 'The operation was canceled.', {});
  if (timedOut) {
    // As the runner reports a step that exceeds timeout-minutes.
    const minutes = Math.round(((options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 60_000) * 100) / 100;
    interpreter.annotate('error', `The action '${args.actionName}' has timed out after ${minutes} minutes.`, {});
  }

  const exitCode = exit.code;
  const failedByFiles = fileErrors.length > 0 && exitCode === 0;
  return {
    cancelled,
    step: {
      exitCode: failedByFiles ? 1 : exitCode,
      signal: exit.signal,
      stdout,
      stderr,
      log: interpreter.lines.join('\n'),
      errors: interpreter.annotations.filter((a) => a.level === 'error').map((a) => a.message),
      warnings: interpreter.annotations.filter((a) => a.level === 'warning').map((a) => a.message),
      notices: interpreter.annotations.filter((a) => a.level === 'notice').map((a) => a.message),
      annotations: interpreter.annotations,
      debugs: interpreter.debugs,
      masks: masks.values(),
      durationMs: Date.now() - started,
      outputs,
      state,
      summary,
      exportedEnv,
      addedPath,
      timedOut,
      signalsSent,
    },
  };
}

/** What a step wrote to its file-command files (and the legacy set-output / save-state commands), as the runner reads them. */
function readFileCommands(
  files: Record<'output' | 'state' | 'summary' | 'env' | 'path', string>,
  interpreter: CommandInterpreter,
): {
  fileErrors: string[];
  outputs: Record<string, string>;
  state: Record<string, string>;
  exportedEnv: Record<string, string>;
  addedPath: string[];
  summary: string;
} {
  const fileErrors: string[] = [];
  const outputs = readKeyValueFile(files.output, 'output', fileErrors);
  const state = readKeyValueFile(files.state, 'state', fileErrors);
  const exportedEnv = readKeyValueFile(files.env, 'env', fileErrors);
  const addedPath = readFileSync(files.path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  Object.assign(outputs, interpreter.legacyOutputs);
  Object.assign(state, interpreter.legacyState);
  let summary = readFileSync(files.summary, 'utf8');
  if (Buffer.byteLength(summary) > SUMMARY_LIMIT) {
    fileErrors.push(
      `$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of 1024k, got ${Math.ceil(Buffer.byteLength(summary) / 1024)}k. For more information see: https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#adding-a-markdown-summary`,
    );
    summary = '';
  }
  return { fileErrors, outputs, state, exportedEnv, addedPath, summary };
}

/**
 * Parses a file-command file (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV) as the runner does: `name=value` lines
 * (the first `=` splits) and heredocs `name<<DELIMITER` … `DELIMITER`; a line with `=` before `<<` is a plain one.
 */
export function parseKeyValueFile(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      const key = line.slice(0, eq);
      if (!key) throw new Error(`Invalid format '${line}'. Name must not be empty`);
      result[key] = line.slice(eq + 1);
    } else if (heredoc >= 0) {
      const key = line.slice(0, heredoc);
      const delim = line.slice(heredoc + 2);
      if (!key) throw new Error(`Invalid format '${line}'. Name must not be empty`);
      if (!delim) throw new Error(`Invalid format '${line}'. Delimiter must not be empty`);
      const value: string[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        if (lines[i] === delim) {
          closed = true;
          break;
        }
        value.push(lines[i]!);
      }
      if (!closed) throw new Error(`Invalid value. Matching delimiter not found '${delim}'`);
      result[key] = value.join('\n');
    } else {
      throw new Error(`Invalid format '${line}'`);
    }
  }
  return result;
}

function readKeyValueFile(file: string, command: string, errors: string[]): Record<string, string> {
  try {
    return parseKeyValueFile(readFileSync(file, 'utf8'));
  } catch (e) {
    errors.push(`Unable to process file command '${command}' successfully.`, (e as Error).message);
    return {};
  }
}

/** Registered secret values and the encodings the runner's SecretMasker also hides. */
class Masker {
  private readonly set = new Set<string>();
  private ordered: string[] = [];
  private readonly registered: string[] = [];

  constructor(initial: string[]) {
    for (const v of initial) this.add(v);
  }

  add(value: string): void {
    const candidates = new Set<string>();
    const base = value.trim() === '' ? '' : value;
    if (!base) return;
    candidates.add(base);
    for (const line of base.split(/\r?\n/)) if (line.trim()) candidates.add(line);
    candidates.add(Buffer.from(base).toString('base64'));
    candidates.add(encodeURIComponent(base));
    candidates.add(JSON.stringify(base).slice(1, -1));
    for (const c of candidates) if (c) this.set.add(c);
    // Longest first, so that a value containing another is masked whole.
    this.ordered = [...this.set].sort((a, b) => b.length - a.length);
    this.registered.push(value);
  }

  values(): string[] {
    return [...this.registered];
  }

  apply(text: string): string {
    let out = text;
    for (const v of this.ordered) if (out.includes(v)) out = out.split(v).join('***');
    return out;
  }
}

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  data: string;
}

/** Parses `::name key=value,key=value::data`, decoding the toolkit's escapes; null when the line is none. */
export function parseWorkflowCommand(line: string): WorkflowCommand | null {
  const trimmed = line.trimStart();
  if (!trimmed.startsWith('::')) return null;
  const end = trimmed.indexOf('::', 2);
  if (end < 0) return null;
  const head = trimmed.slice(2, end);
  const data = unescapeData(trimmed.slice(end + 2));
  const space = head.indexOf(' ');
  const command = (space < 0 ? head : head.slice(0, space)).trim();
  if (!command) return null;
  const properties: Record<string, string> = {};
  if (space >= 0) {
    for (const part of head.slice(space + 1).split(',')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      properties[part.slice(0, eq).trim()] = unescapeProperty(part.slice(eq + 1));
    }
  }
  return { command, properties, data };
}

function unescapeData(s: string): string {
  return s.replace(/%(25|0D|0A)/gi, (_m, c: string) => ({ '25': '%', '0D': '\r', '0A': '\n' })[c.toUpperCase()]!);
}

function unescapeProperty(s: string): string {
  return s.replace(
    /%(25|0D|0A|3A|2C)/gi,
    (_m, c: string) => ({ '25': '%', '0D': '\r', '0A': '\n', '3A': ':', '2C': ',' })[c.toUpperCase()]!,
  );
}

class CommandInterpreter {
  readonly lines: string[] = [];
  readonly annotations: Annotation[] = [];
  readonly debugs: string[] = [];
  readonly legacyOutputs: Record<string, string> = {};
  readonly legacyState: Record<string, string> = {};
  private inGroup = false;
  private stopToken: string | undefined;
  private readonly masks: Masker;
  private readonly debug: boolean;
  private readonly onLog: ((line: string) => void) | undefined;

  constructor(masks: Masker, debug: boolean, onLog: ((line: string) => void) | undefined) {
    this.masks = masks;
    this.debug = debug;
    this.onLog = onLog;
  }

  raw(text: string): void {
    for (const l of text.split('\n')) this.emit(l, false);
  }

  annotate(level: Annotation['level'], message: string, properties: Record<string, string>): void {
    const masked = this.masks.apply(message);
    this.annotations.push({ level, message: masked, properties });
    const label = { error: 'Error', warning: 'Warning', notice: 'Notice' }[level];
    // The log shows the message; file/line/title go to the annotation.
    masked.split(/\r?\n/).forEach((l, i) => this.emit(i === 0 ? `${label}: ${l}` : l, true));
  }

  line(line: string): void {
    if (this.stopToken !== undefined) {
      if (line.trim() === `::${this.stopToken}::`) {
        this.stopToken = undefined;
        return;
      }
      this.emit(line, true);
      return;
    }
    const cmd = parseWorkflowCommand(line);
    if (!cmd) {
      this.emit(line, true);
      return;
    }
    switch (cmd.command) {
      case 'add-mask':
        this.masks.add(cmd.data);
        return;
      case 'error':
      case 'warning':
      case 'notice':
        this.annotate(cmd.command, cmd.data, cmd.properties);
        return;
      case 'debug':
        this.debugs.push(this.masks.apply(cmd.data));
        if (this.debug) this.emit(`##[debug]${cmd.data}`, true);
        return;
      case 'group':
        this.inGroup = false;
        this.emit(`▼ ${cmd.data}`, true);
        this.inGroup = true;
        return;
      case 'endgroup':
        this.inGroup = false;
        return;
      case 'stop-commands':
        this.stopToken = cmd.data;
        return;
      case 'echo':
        return;
      case 'set-output':
        if (cmd.properties.name) this.legacyOutputs[cmd.properties.name] = cmd.data;
        this.annotate(
          'warning',
          'The `set-output` command is deprecated and will be disabled soon. Please upgrade to using Environment Files. For more information see: https://github.blog/changelog/2022-10-11-github-actions-deprecating-save-state-and-set-output-commands/',
          {},
        );
        return;
      case 'save-state':
        if (cmd.properties.name) this.legacyState[cmd.properties.name] = cmd.data;
        this.annotate(
          'warning',
          'The `save-state` command is deprecated and will be disabled soon. Please upgrade to using Environment Files. For more information see: https://github.blog/changelog/2022-10-11-github-actions-deprecating-save-state-and-set-output-commands/',
          {},
        );
        return;
      default:
        // Unknown commands are printed as they are.
        this.emit(line, true);
    }
  }

  private emit(line: string, indentable: boolean): void {
    const shown = (indentable && this.inGroup ? '  ' : '') + this.masks.apply(line);
    this.lines.push(shown);
    this.onLog?.(shown);
  }
}
