/**
 * Build and push (input build-context): build the image with the runner's container CLI (docker, or podman, which
 * is docker-compatible), tag it as `image`, push it, and return the pushed digest reference (`repo@sha256:...`) so
 * the job runs exactly what was built; the tag stays on the image for humans.
 *
 * Registry login: for Azure Container Registry (by host suffix, or a registry in the subscription with that login
 * server) the action's own Entra identity: an ARM-scoped access token from the same credential is exchanged at
 * `https://<login-server>/oauth2/exchange` for an ACR refresh token, and the CLI logs in with it as user
 * 00000000-0000-0000-0000-000000000000. Other registries use registry-username / registry-password; with neither,
 * the CLI's existing login (e.g. docker/login-action) is used. The password goes to the CLI on stdin, masked
 * first, never on a command line; the login lands in a temporary config (DOCKER_CONFIG / REGISTRY_AUTH_FILE) that
 * is deleted afterwards, so no credential stays on a shared runner.
 *
 * The CLI runs through @actions/exec with argument arrays (no shell), its output in a collapsible group with
 * workflow commands disabled; a failure ends with the CLI's last lines and, for known cases, the fix.
 */
import * as core from '@actions/core';
import { mask } from '../common/secrets.js';
import { spawn } from 'node:child_process';
import type { TokenCredential } from '@azure/core-auth';
import type { Job } from '@azure/arm-appcontainers';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  accessSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join, relative, resolve } from 'node:path';
import type { JobApi, RegistryInfo } from '../azure/arm.js';
import type { Config } from '../inputs/config.js';
import { ActionError, describeAzureError } from '../common/errors.js';
import { capLine, freshToken, LineSplitter, printUntrusted } from '../common/untrusted.js';
import { jwtTenant } from '../common/jwt.js';
import { registryHost, repositoryOf } from '../common/image.js';
import { decidePull, isAcrServer, registriesOf } from '../job/registry.js';

export type ContainerCli = 'docker' | 'podman';

/** The user name ACR expects with a refresh token. */
export const ACR_TOKEN_USER = '00000000-0000-0000-0000-000000000000';
/** Container Apps runs linux/amd64 images only. */
export const TARGET_PLATFORM = 'linux/amd64';
const DOCKER_HUB = 'docker.io';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool with an argument array (never a shell). `silent` keeps the command and its output out of the log. */
export type Runner = (
  tool: string,
  args: string[],
  options: { env: Record<string, string>; input?: Buffer; silent?: boolean; signal?: AbortSignal },
) => Promise<ExecResult>;

export interface BuildLog {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  /** core.setSecret */
  mask(value: string): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export interface BuildDeps {
  api: Pick<JobApi, 'listRegistries' | 'subscriptionId'>;
  credential: TokenCredential;
  /** The job as it is now (for the pull check before building). */
  live: Job | undefined;
  signal?: AbortSignal;
  run?: Runner;
  log?: BuildLog;
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  /** The workspace (default process.cwd()). */
  cwd?: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface BuildResult {
  /** `repo@sha256:...`: what the job is deployed with (on a dry run, the tag reference: nothing was pushed). */
  image: string;
  /** The pushed tag reference (the `image` input). */
  tagged: string;
  /** Absent on a dry run. */
  digest?: string;
  cli?: ContainerCli;
  seconds: number;
}

/** A failed CLI step: the message is the error line; `lines` are the CLI's last lines, printed before it. */
export class BuildFailure extends ActionError {
  override name = 'BuildFailure';
  readonly lines: string[];
  readonly cli: ContainerCli;
  readonly phase: FailureContext['phase'];
  constructor(message: string, cli: ContainerCli, phase: FailureContext['phase'], lines: string[]) {
    super(message);
    this.cli = cli;
    this.phase = phase;
    this.lines = lines;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Pure parts

/** `repo@digest` for a pushed `repo[:tag]`. */
export function digestReference(image: string, digest: string): string {
  return `${repositoryOf(image)}@${digest}`;
}

/** The arguments of `<cli> build`. Paths are as the CLI should see them (absolute). */
export function buildArguments(
  tag: string,
  contextDir: string,
  dockerfile: string | undefined,
  buildArgs: Record<string, string>,
): string[] {
  const args = ['build', '--tag', tag, '--platform', TARGET_PLATFORM];
  if (dockerfile) args.push('--file', dockerfile);
  for (const [name, value] of Object.entries(buildArgs)) args.push('--build-arg', `${name}=${value}`);
  args.push(contextDir);
  return args;
}

/** The digest `docker push` reports for `tag` ("<tag>: digest: sha256:<hex> size: <n>"). */
export function pushedDigest(output: string, tag: string | undefined): string | undefined {
  const lines = output.split('\n');
  const found = lines
    .map((l) => /^(?:(\S+): )?digest: (sha256:[0-9a-f]{64})\b/.exec(capLine(l, 4096).trim()))
    .filter((m): m is RegExpExecArray => m !== null);
  const exact = tag ? found.find((m) => m[1] === tag) : undefined;
  return (exact ?? found[found.length - 1])?.[2];
}

// eslint-disable-next-line no-control-regex -- strips the terminal colour codes some CLIs print
const COLOUR_CODE = /\x1b\[[0-9;]*[A-Za-z]/g;

/** The last `n` non-empty lines of a CLI's output (progress noise removed). */
export function lastLines(output: string, n = 12): string[] {
  const out: string[] = [];
  // From the end, so a megabyte of output costs one pass; each line cut to 1 KiB.
  let end = output.length;
  while (end > 0 && out.length < n) {
    const nl = output.lastIndexOf('\n', end - 1);
    const raw = output.slice(nl + 1, end);
    end = nl < 0 ? 0 : nl;
    const line = capLine(raw, 1024).replace(COLOUR_CODE, '').trimEnd();
    if (line.trim() !== '') out.unshift(line);
  }
  return out;
}

/** The most telling line: the last one that reads like an error, else the last line. */
export function errorLine(lines: string[]): string | undefined {
  const err = [...lines].reverse().find((l) => /error|denied|unauthori[sz]ed|failed|not found|invalid|cannot/i.test(l));
  const line = (err ?? lines[lines.length - 1])?.trim();
  return line && line.length > 240 ? `${line.slice(0, 239)}…` : line;
}

export interface FailureContext {
  cli: ContainerCli;
  phase: 'login' | 'build' | 'push';
  image: string;
  server: string;
  /** How the action logged in. */
  login: 'acr-identity' | 'credentials' | 'none';
  registry?: RegistryInfo;
  clientId?: string;
  dockerfileInput?: string;
}

/** The fix for a known failure, from the CLI's output; undefined when the output matches no known case. */
export function knownFix(output: string, ctx: FailureContext): string | undefined {
  // The end of the output is where a CLI says why it failed; a bounded, lowercased copy is matched.
  const text = output.slice(-256 * 1024).toLowerCase();
  if (/repository name must be lowercase|must be lowercase/.test(text)) {
    return `image '${ctx.image}' has uppercase letters in its repository; container registries accept lowercase only: write '${repositoryOf(ctx.image).toLowerCase()}${ctx.image.slice(repositoryOf(ctx.image).length)}'`;
  }
  if (
    /cannot locate specified dockerfile|failed to read dockerfile|dockerfile: no such file/.test(text) ||
    onOneLine(text, 'no such file or directory', 'dockerfile') ||
    onOneLine(text, 'containerfile', 'no such file')
  ) {
    return ctx.dockerfileInput
      ? `input 'dockerfile' ('${ctx.dockerfileInput}') was not found: give its path relative to the workspace, and check out the repository first (actions/checkout)`
      : `the build context has no Dockerfile: add one, or set input 'dockerfile' to its path relative to the workspace`;
  }
  if (/cannot connect to the docker daemon|is the docker daemon running|docker daemon is not running/.test(text)) {
    return `the Docker daemon is not running on this runner: use a GitHub-hosted Ubuntu runner, start Docker, or install podman`;
  }
  if (/buildx component is missing|buildkit is enabled but the buildx component/.test(text)) {
    return `Docker has BuildKit enabled but no buildx plugin: install docker-buildx on the runner (or set DOCKER_BUILDKIT=0 to use the legacy builder)`;
  }
  if (/does not exist locally with the tag|an image does not exist locally/.test(text)) {
    return `the build did not load the image into Docker (a buildx builder with the docker-container driver, e.g. from docker/setup-buildx-action, keeps it in its cache): remove that step or set its 'driver: docker'`;
  }
  if (/exec format error/.test(text)) {
    return `a RUN step ran a binary for another CPU: the image is built for ${TARGET_PLATFORM} (what Container Apps runs), so on an ARM runner set up emulation first (docker/setup-qemu-action) or use an x64 runner`;
  }
  if (ctx.phase === 'build') {
    if (/pull access denied|unauthori[sz]ed|authentication required|insufficient_scope/.test(text)) {
      return `the build could not pull a base image (FROM): if it is private, log in to its registry before this step (docker/login-action), or build from a public base`;
    }
    return undefined;
  }
  if (
    /unauthori[sz]ed|authentication required|denied|insufficient_scope|no basic auth credentials|forbidden/.test(text)
  ) {
    if (ctx.login === 'acr-identity') {
      const scope =
        ctx.registry?.id ?? `<the registry's resource ID (az acr show -n ${ctx.server.split('.')[0]} --query id)>`;
      return `the identity${ctx.clientId ? ` '${ctx.clientId}'` : ''} may not push to registry '${ctx.registry?.name ?? ctx.server}': give it the AcrPush role on the registry (az role assignment create --role AcrPush --assignee ${ctx.clientId ?? '<client-id>'} --scope ${scope})`;
    }
    if (ctx.login === 'credentials') {
      return `registry '${ctx.server}' refused registry-username and registry-password: check them, and that the account may ${ctx.phase === 'push' ? 'push to' : 'log in to'} '${repositoryOf(ctx.image)}'`;
    }
    return `not logged in to registry '${ctx.server}': set inputs registry-username and registry-password (or log in before this step, e.g. with docker/login-action)`;
  }
  return undefined;
}

/** `first` then `second` on one line of `text`, in linear time (a regex `first.*second` is quadratic). */
function onOneLine(text: string, first: string, second: string): boolean {
  let from = 0;
  for (;;) {
    const at = text.indexOf(first, from);
    if (at < 0) return false;
    const lineEnd = text.indexOf('\n', at);
    const end = lineEnd < 0 ? text.length : lineEnd;
    if (text.slice(at + first.length, end).includes(second)) return true;
    from = end + 1;
  }
}

/**
 * A copy of the user's Docker config.json for the temporary config: keeps other registries' logins and settings,
 * drops the credential store and a credential helper for `server`, so the new login lands in the temporary file.
 */
export function temporaryDockerConfig(original: string | undefined, server: string): string {
  let parsed: Record<string, unknown> = {};
  if (original) {
    try {
      const value = JSON.parse(original) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value as Record<string, unknown>;
    } catch {
      parsed = {};
    }
  }
  delete parsed.credsStore;
  const helpers = parsed.credHelpers;
  if (helpers && typeof helpers === 'object') {
    const copy = { ...(helpers as Record<string, unknown>) };
    delete copy[server];
    parsed.credHelpers = copy;
  }
  // An explicit entry: docker picks a keyring helper by itself (pass, secretservice) for a config that holds no
  // login at all, which would keep the registry token after the temporary folder is gone.
  const auths = parsed.auths && typeof parsed.auths === 'object' ? (parsed.auths as Record<string, unknown>) : {};
  parsed.auths = { ...auths, [server]: auths[server] ?? {} };
  return JSON.stringify(parsed, null, 2);
}

// ---------------------------------------------------------------------------------------------------------------
// Effects

/** Lines of a CLI's output kept for the failure analysis (the rest is printed, not kept). */
const KEPT_LINES = 2000;
const KEPT_LINE_CHARS = 8 * 1024;

/** What a stream printed: its last lines, each line cut (memory stays bounded for any output). */
class Kept {
  private readonly splitter = new LineSplitter();
  private readonly lines: string[] = [];
  private readonly print: ((line: string) => void) | undefined;
  constructor(print: ((line: string) => void) | undefined) {
    this.print = print;
  }
  push(chunk: string): void {
    for (const line of this.splitter.push(chunk)) this.keep(line);
  }
  text(): string {
    const last = this.splitter.end();
    if (last !== undefined) this.keep(last);
    return this.lines.join('\n');
  }
  private keep(line: string): void {
    this.print?.(line);
    this.lines.push(capLine(line, KEPT_LINE_CHARS));
    if (this.lines.length > KEPT_LINES * 2) this.lines.splice(0, this.lines.length - KEPT_LINES);
  }
}

/** The executable `tool` on `PATH` (as @actions/io's which), or undefined. */
function resolveTool(tool: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Runs the CLI without a shell, with exactly the environment given; its output printed line by line (each line
 * capped) unless silent; killed when `signal` aborts (the workflow run was cancelled).
 */
const defaultRun: Runner = (tool, args, options) =>
  new Promise((resolvePromise, reject) => {
    const path = resolveTool(tool, options.env.PATH ?? '');
    if (!path) {
      reject(new Error(`Unable to locate executable file: ${tool}`));
      return;
    }
    const print = options.silent ? undefined : (line: string) => process.stdout.write(`${capLine(line)}\n`);
    if (!options.silent) process.stdout.write(`[command]${path} ${args.join(' ')}\n`);
    const child = spawn(path, args, {
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const out = new Kept(print);
    const err = new Kept(print);
    child.stdout.setEncoding('utf8').on('data', (c: string) => out.push(c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => err.push(c));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? undefined);
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolvePromise({ exitCode: code ?? (signal ? 128 : 1), stdout: out.text(), stderr: err.text() }),
    );
  });

/**
 * What a container CLI needs of the runner's environment: not the action's inputs (INPUT_SECRETS,
 * INPUT_REGISTRY-PASSWORD), the runner's tokens (ACTIONS_*, GITHUB_TOKEN) or anything else a build tool or a
 * credential helper it starts could read.
 */
const CHILD_ENV_NAMES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TERM',
  'TMPDIR',
  'TEMP',
  'TMP',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REGISTRY_AUTH_FILE',
  'CONTAINER_HOST',
  'CONTAINER_CONNECTION',
  'DBUS_SESSION_BUS_ADDRESS',
  'SYSTEMROOT',
  'PATHEXT',
]);
const CHILD_ENV_PREFIXES = ['LC_', 'XDG_', 'DOCKER_', 'BUILDKIT_', 'BUILDX_', 'CONTAINERS_', 'PODMAN_', 'COMPOSE_'];

export function childEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (CHILD_ENV_NAMES.has(name) || CHILD_ENV_PREFIXES.some((p) => name.startsWith(p))) out[name] = value;
  }
  return out;
}

const defaultLog: BuildLog = {
  info: core.info,
  warning: core.warning,
  debug: core.debug,
  mask,
  group: core.group,
};

function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** A version a CLI printed, when it looks like one (its output is not printed raw outside a stop-commands block). */
function versionOf(output: string): string | undefined {
  const v = output.trim();
  return /^[\w.+~-]{1,64}$/.test(v) ? v : undefined;
}

/** Which CLI builds: docker when its daemon answers, else podman. */
async function detectCli(run: Runner, env: Record<string, string>, log: BuildLog): Promise<ContainerCli> {
  let dockerProblem: string;
  try {
    const r = await run('docker', ['version', '--format', '{{.Server.Version}}'], { env, silent: true });
    if (r.exitCode === 0) {
      log.info(`Building with docker (engine ${versionOf(r.stdout) ?? 'unknown version'}).`);
      return 'docker';
    }
    dockerProblem = `docker is installed but its daemon does not answer: ${errorLine(lastLines(r.stderr + r.stdout)) ?? `exit code ${r.exitCode}`}`;
  } catch {
    dockerProblem = 'docker is not installed';
  }
  try {
    const r = await run('podman', ['version', '--format', '{{.Client.Version}}'], { env, silent: true });
    if (r.exitCode === 0) {
      log.info(
        `Building with podman ${versionOf(r.stdout) ?? '(unknown version)'}; ${dockerProblem.replace(/\.$/, '')}.`,
      );
      return 'podman';
    }
  } catch {
    // not installed either
  }
  throw new ActionError(
    `Input 'build-context' needs a container CLI on the runner, but podman is not installed and ${dockerProblem.replace(/\.$/, '')}: use a GitHub-hosted Ubuntu runner (it has Docker), or install Docker or Podman on the self-hosted runner.`,
  );
}

/** A temporary login store for the CLI, removed by `dispose`. */
function temporaryLoginStore(
  cli: ContainerCli,
  server: string,
  env: Record<string, string>,
  base: string,
): { env: Record<string, string>; dispose(): void } {
  const dir = mkdtempSync(join(base, `${cli}-login-`));
  const dispose = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    if (cli === 'podman') {
      const file = join(dir, 'auth.json');
      const previous = env.REGISTRY_AUTH_FILE;
      if (previous && existsSync(previous)) copyFileSync(previous, file);
      else writeFileSync(file, '{"auths":{}}\n', { mode: 0o600 });
      return { env: { ...env, REGISTRY_AUTH_FILE: file }, dispose };
    }
    // docker: the user's config dir mirrored (plugins, buildx builders, contexts), config.json copied without a
    // credential store so the login is written to this folder only.
    const original = env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
    let configText: string | undefined;
    if (existsSync(original) && statSync(original).isDirectory()) {
      for (const entry of readdirSync(original)) {
        if (entry === 'config.json') configText = readFileSync(join(original, entry), 'utf8');
        else symlinkSync(join(original, entry), join(dir, entry));
      }
    }
    writeFileSync(join(dir, 'config.json'), temporaryDockerConfig(configText, server), { mode: 0o600 });
    return { env: { ...env, DOCKER_CONFIG: dir }, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

interface ExchangeDeps {
  credential: TokenCredential;
  scope: string;
  fetch: typeof fetch;
  mask(value: string): void;
  info(message: string): void;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** How long a refused exchange is retried: a role granted minutes ago is not effective yet (Azure/acr#723). */
export const ROLE_PROPAGATION_MS = 2 * 60_000;

/**
 * Exchanges the identity's ARM token for an ACR refresh token (what `az acr login` does). A 401/403 is retried
 * for up to ROLE_PROPAGATION_MS with one line saying so (a push the step cannot do would fail it anyway).
 */
async function acrRefreshToken(server: string, deps: ExchangeDeps): Promise<string> {
  const until = deps.now() + ROLE_PROPAGATION_MS;
  for (let wait = 5_000; ; wait = Math.min(wait * 2, 30_000)) {
    const result = await exchangeOnce(server, deps);
    if (typeof result === 'string') return result;
    if (deps.now() + wait > until) throw result.error;
    if (wait === 5_000)
      deps.info(
        `Registry '${server}' refused this identity (HTTP ${result.status}); a role granted in the last minutes takes a while to apply: retrying for up to ${ROLE_PROPAGATION_MS / 60_000} minutes.`,
      );
    await deps.sleep(wait);
  }
}

async function exchangeOnce(
  server: string,
  deps: ExchangeDeps,
): Promise<string | { status: number; error: ActionError }> {
  const token = await deps.credential.getToken(deps.scope);
  if (!token?.token) {
    throw new ActionError(
      `Could not get an Azure access token to log in to registry '${server}': check the identity inputs (client-id, tenant-id).`,
    );
  }
  deps.mask(token.token);
  const tenant = jwtTenant(token.token);
  const form = new URLSearchParams({ grant_type: 'access_token', service: server, access_token: token.token });
  if (tenant) form.set('tenant', tenant);
  let response: Response;
  try {
    // Never followed: a redirect would carry the Azure token to wherever the registry (or a proxy) points.
    response = await deps.fetch(`https://${server}/oauth2/exchange`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      redirect: 'manual',
    });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new ActionError(
      `Could not reach registry '${server}' to log in (${cause}): check the registry host in input 'image' and the runner's network access to it.`,
    );
  }
  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    throw new ActionError(
      `Registry '${server}' answered the token exchange with a redirect${response.headers.get('location') ? ` to ${capLine(response.headers.get('location') ?? '', 200)}` : ''}, which the action does not follow (it would send the Azure token elsewhere): check the registry host in input 'image'.`,
    );
  }
  const text = await response.text();
  let body: { refresh_token?: string; errors?: { message?: string }[] } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON
  }
  if (!response.ok || !body.refresh_token) {
    const said = capLine(body.errors?.[0]?.message ?? (text.trim().slice(0, 200) || response.statusText), 200);
    const error = new ActionError(
      `Registry '${server}' refused to exchange this identity's Azure token for a registry token (HTTP ${response.status}: ${said.replace(/\.$/, '')}): check that the registry is in the identity's tenant and that its 'authentication-as-arm' policy is enabled (az acr config authentication-as-arm show -r <registry>), and that the identity has AcrPush on it.`,
    );
    if (response.status === 401 || response.status === 403) return { status: response.status, error };
    throw error;
  }
  deps.mask(body.refresh_token);
  return body.refresh_token;
}

function failure(what: string, result: ExecResult, ctx: FailureContext, generic: string): BuildFailure {
  const output = `${result.stdout}\n${result.stderr}`;
  const lines = lastLines(result.stderr.trim() ? result.stderr : result.stdout);
  const fix = knownFix(output, ctx) ?? generic;
  const said = errorLine(lines);
  return new BuildFailure(
    `${what} failed (exit code ${result.exitCode}${said ? `: ${said.replace(/\.$/, '')}` : ''}): ${fix}.`,
    ctx.cli,
    ctx.phase,
    lines,
  );
}

/** Runs the CLI with workflow commands in its output disabled (a build's output is not the action's to obey). */
async function runQuoted(
  run: Runner,
  log: BuildLog,
  tool: string,
  args: string[],
  options: { env: Record<string, string>; input?: Buffer; signal?: AbortSignal },
): Promise<ExecResult> {
  // A fresh token each time: one printed earlier in the public log could be echoed by this output.
  const token = freshToken();
  log.info(`::stop-commands::${token}`);
  try {
    return await run(tool, args, options);
  } catch (error) {
    if (options.signal?.aborted) {
      throw new ActionError(`The workflow run was cancelled during '${tool} ${args[0] ?? ''}'; nothing was deployed.`);
    }
    throw error;
  } finally {
    log.info(`::${token}::`);
  }
}

/** Warns when a build-args value is a known secret: build arguments stay readable in the image's history. */
function warnSecretBuildArgs(
  buildArgs: Readonly<Record<string, string>>,
  secrets: readonly string[],
  log: BuildLog,
): void {
  const known = new Set(secrets.filter((v) => v.length >= 4));
  const names = Object.entries(buildArgs)
    .filter(([, value]) => known.has(value) || [...known].some((secret) => value.includes(secret)))
    .map(([name]) => name);
  if (names.length) {
    log.warning(
      `Input 'build-args' passes a secret value as ${names.join(', ')}: build arguments are stored in the image's history (docker history shows them) for anyone who can pull it; pass secrets to the job with input 'secrets' instead.`,
    );
  }
}

/** The build context and the Dockerfile, checked before anything runs (the effective file: the context's Dockerfile). */
function checkBuildPaths(
  build: NonNullable<Config['build']>,
  cwd: string,
): { contextDir: string; dockerfile: string | undefined; effectiveDockerfile: string } {
  const contextDir = resolve(cwd, build.context);
  if (!existsSync(contextDir) || !statSync(contextDir).isDirectory()) {
    throw new ActionError(
      `Input 'build-context' is '${build.context}', which is not a folder in the workspace (${contextDir}): check out the repository first (actions/checkout) or fix the path.`,
    );
  }
  const dockerfile = build.dockerfile ? resolve(cwd, build.dockerfile) : undefined;
  const effectiveDockerfile = dockerfile ?? join(contextDir, 'Dockerfile');
  if (!existsSync(effectiveDockerfile) || !statSync(effectiveDockerfile).isFile()) {
    throw new ActionError(
      build.dockerfile
        ? `Input 'dockerfile' is '${build.dockerfile}', which is not a file in the workspace (${effectiveDockerfile}): give the Dockerfile's path relative to the workspace.`
        : `Input 'build-context' ('${build.context}') has no Dockerfile (${effectiveDockerfile}): add one, or set input 'dockerfile' to its path relative to the workspace.`,
    );
  }
  return { contextDir, dockerfile, effectiveDockerfile };
}

/** What the steps inside the build group share: the CLI, where it runs, and what a failure reports. */
interface BuildSession {
  run: Runner;
  log: BuildLog;
  cli: ContainerCli;
  server: string;
  env: Record<string, string>;
  signal: { signal?: AbortSignal };
  ctx: FailureContext;
}

/** Logs the CLI in to the registry (the identity's ACR token, or registry-username/password), or says why not. */
async function logIn(s: BuildSession, config: Config, deps: BuildDeps): Promise<void> {
  const { log, server, cli } = s;
  if (s.ctx.login === 'none') {
    log.info(
      `Not logging in to ${server}: using the CLI's existing login, if any (set registry-username and registry-password to log in).`,
    );
    return;
  }
  let user: string;
  let password: string;
  if (s.ctx.login === 'acr-identity') {
    log.info(
      `Logging in to ${server} with this workflow's Azure identity (ACR token exchange, no registry password); the login is kept in a temporary folder that is deleted after the push.`,
    );
    user = ACR_TOKEN_USER;
    password = await acrRefreshToken(server, {
      credential: deps.credential,
      scope: config.auth.armScope,
      fetch: deps.fetch ?? fetch,
      mask: (value) => log.mask(value),
      info: (message) => log.info(message),
      now: deps.now ?? Date.now,
      sleep: deps.sleep ?? ((ms) => sleep(ms, undefined, { signal: deps.signal })),
    });
  } else {
    log.info(
      `Logging in to ${server} as ${config.registry.username} (registry-username / registry-password); the login is kept in a temporary folder that is deleted after the push.`,
    );
    user = config.registry.username!;
    password = config.registry.password ?? '';
    log.mask(password);
  }
  const r = await runQuoted(s.run, log, cli, ['login', server, '--username', user, '--password-stdin'], {
    env: s.env,
    input: Buffer.from(password, 'utf8'),
    ...s.signal,
  });
  if (r.exitCode !== 0) {
    throw failure(
      `Logging in to registry '${server}' with ${cli}`,
      r,
      s.ctx,
      `check that '${server}' is the registry in input 'image' and that the runner can reach it`,
    );
  }
}

/** Pushes the image and returns the digest the registry stored (podman's digest file, docker's output or inspect). */
async function pushImage(s: BuildSession, image: string, base: string): Promise<string> {
  const { run, log, cli } = s;
  s.ctx.phase = 'push';
  const digestFile = join(base, `digest-${randomUUID()}`);
  const pushArgs = cli === 'podman' ? ['push', '--digestfile', digestFile, image] : ['push', image];
  const pushed = await runQuoted(run, log, cli, pushArgs, { env: s.env, ...s.signal });
  if (pushed.exitCode !== 0) {
    rmSync(digestFile, { force: true });
    throw failure(
      `Pushing ${image} with ${cli}`,
      pushed,
      s.ctx,
      `check that the registry accepts pushes to '${repositoryOf(image)}' from this identity`,
    );
  }
  let digest: string | undefined;
  if (cli === 'podman') {
    digest = existsSync(digestFile) ? readFileSync(digestFile, 'utf8').trim() : undefined;
    rmSync(digestFile, { force: true });
  } else {
    digest = pushedDigest(`${pushed.stdout}\n${pushed.stderr}`, image.slice(repositoryOf(image).length + 1));
    if (!digest) {
      const inspected = await run(cli, ['image', 'inspect', '--format', '{{json .RepoDigests}}', image], {
        env: s.env,
        silent: true,
      });
      const repo = repositoryOf(image);
      const digests = inspected.exitCode === 0 ? (JSON.parse(inspected.stdout.trim() || '[]') as string[]) : [];
      digest = digests.find((d) => d.startsWith(`${repo}@`))?.slice(repo.length + 1);
    }
  }
  if (!digest || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new ActionError(
      `Pushed ${image}, but ${cli} did not report the pushed digest, so the job cannot be deployed by digest: rerun the job, or deploy the tag with a separate step (image without build-context).`,
    );
  }
  return digest;
}

/**
 * Builds and pushes `config.image` from `config.build`; returns the digest reference to deploy. On a dry run,
 * only says what it would do (nothing is built or pushed) and returns the tag reference.
 */
export async function buildAndPush(config: Config, deps: BuildDeps): Promise<BuildResult> {
  const build = config.build;
  const image = config.image;
  if (!build || !image) throw new Error('buildAndPush needs build-context and image');
  const log = deps.log ?? defaultLog;
  const run = deps.run ?? defaultRun;
  const env = childEnv(cleanEnv(deps.env ?? process.env));
  const cwd = deps.cwd ?? process.cwd();
  const now = deps.now ?? Date.now;
  const server = registryHost(image) ?? DOCKER_HUB;
  const runnerTemp = (deps.env ?? process.env).RUNNER_TEMP;
  warnSecretBuildArgs(build.buildArgs, config.secretValues, log);

  // Checks that need no build: the paths, and that the job will be able to pull what is pushed.
  const { contextDir, dockerfile, effectiveDockerfile } = checkBuildPaths(build, cwd);
  const registries = `the container registries of subscription '${deps.api.subscriptionId}'`;
  await decidePull(config, image, deps.live, { api: deps.api }).catch((error: unknown) => {
    throw describeAzureError(error, 'list', registries);
  });

  if (config.dryRun) {
    log.info(
      `Dry run: would build ${relative(cwd, contextDir) || '.'} (${relative(cwd, effectiveDockerfile)}) with docker or podman, push ${image} and deploy it by digest; nothing is built or pushed.`,
    );
    return { image, tagged: image, seconds: 0 };
  }

  const acr =
    !config.registry.username &&
    (await isAcrServer(server, config, deps.api).catch((error: unknown) => {
      throw describeAzureError(error, 'list', registries);
    }));
  // The registry's resource (for the AcrPush hint); a failed listing only makes that hint vaguer.
  const registry = acr
    ? await registriesOf(deps.api).then(
        (all) => all.find((r) => r.loginServer === server),
        () => undefined,
      )
    : undefined;
  const login: FailureContext['login'] = config.registry.username ? 'credentials' : acr ? 'acr-identity' : 'none';

  const signal = deps.signal ? { signal: deps.signal } : {};
  const result = await log
    .group(`Build and push ${image}`, async () => {
      const started = now();
      const cli = await detectCli(run, env, log);
      const ctx: FailureContext = {
        cli,
        phase: 'login',
        image,
        server,
        login,
        ...(registry ? { registry } : {}),
        ...(config.auth.clientId ? { clientId: config.auth.clientId } : {}),
        ...(build.dockerfile ? { dockerfileInput: build.dockerfile } : {}),
      };
      const base = runnerTemp && existsSync(runnerTemp) ? runnerTemp : tmpdir();
      mkdirSync(base, { recursive: true });
      const store = login === 'none' ? undefined : temporaryLoginStore(cli, server, env, base);
      const session: BuildSession = { run, log, cli, server, env: store?.env ?? env, signal, ctx };
      try {
        await logIn(session, config, deps);
        if (deps.signal?.aborted)
          throw new ActionError('The workflow run was cancelled before the build; nothing was built or deployed.');

        ctx.phase = 'build';
        const built = await runQuoted(run, log, cli, buildArguments(image, contextDir, dockerfile, build.buildArgs), {
          env: session.env,
          ...signal,
        });
        if (built.exitCode !== 0) {
          throw failure(
            `Building ${image} from '${build.context}' with ${cli}`,
            built,
            ctx,
            `fix the Dockerfile or the build context (the build's output is in the group above)`,
          );
        }
        if (deps.signal?.aborted)
          throw new ActionError('The workflow run was cancelled after the build; nothing was pushed or deployed.');

        const digest = await pushImage(session, image, base);
        const result: BuildResult = {
          image: digestReference(image, digest),
          tagged: image,
          digest,
          cli,
          seconds: Math.round((now() - started) / 100) / 10,
        };
        log.info(`Pushed ${image} (${digest}); built and pushed in ${result.seconds} s. Deploying ${result.image}.`);
        return result;
      } finally {
        store?.dispose();
      }
    })
    .catch((error: unknown) => {
      // Outside the collapsed group, so the reason is visible next to the error.
      // The CLI's lines are untrusted: printed where they cannot run a workflow command.
      if (error instanceof BuildFailure && error.lines.length > 0) {
        log.info(`Last lines from ${error.cli} ${error.phase}:`);
        printUntrusted(
          (line) => log.info(line),
          error.lines.map((l) => `  ${l}`),
        );
      }
      throw error;
    });
  if (deps.signal?.aborted) {
    throw new ActionError(`The workflow run was cancelled after ${result.image} was pushed; the job was not changed.`);
  }
  return result;
}
