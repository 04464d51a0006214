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
import * as actionsExec from '@actions/exec';
import type { TokenCredential } from '@azure/core-auth';
import type { Job } from '@azure/arm-appcontainers';
import { randomUUID } from 'node:crypto';
import {
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
import { join, relative, resolve } from 'node:path';
import type { JobApi, RegistryInfo } from '../azure/arm.js';
import type { Config } from '../inputs/config.js';
import { ActionError, describeAzureError } from '../common/errors.js';
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
  options: { env: Record<string, string>; input?: Buffer; silent?: boolean },
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
  const lines = output.split(/\r?\n/);
  const found = lines
    .map((l) => /^(?:(\S+): )?digest: (sha256:[0-9a-f]{64})\b/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null);
  const exact = tag ? found.find((m) => m[1] === tag) : undefined;
  return (exact ?? found[found.length - 1])?.[2];
}

/** The last `n` non-empty lines of a CLI's output (progress noise removed). */
export function lastLines(output: string, n = 12): string[] {
  return (
    output
      .split(/\r?\n/)
      // eslint-disable-next-line no-control-regex -- strips the terminal colour codes some CLIs print
      .map((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trimEnd())
      .filter((l) => l.trim() !== '')
      .slice(-n)
  );
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
  const text = output.toLowerCase();
  if (/repository name must be lowercase|must be lowercase/.test(text)) {
    return `image '${ctx.image}' has uppercase letters in its repository; container registries accept lowercase only: write '${repositoryOf(ctx.image).toLowerCase()}${ctx.image.slice(repositoryOf(ctx.image).length)}'`;
  }
  if (
    /cannot locate specified dockerfile|failed to read dockerfile|dockerfile: no such file|no such file or directory.*dockerfile|containerfile.*no such file/.test(
      text,
    )
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
  return JSON.stringify(parsed, null, 2);
}

/** The `tid` claim of an access token (the tenant ACR needs for the exchange), or undefined. */
export function tenantOf(accessToken: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      tid?: unknown;
    };
    return typeof payload.tid === 'string' ? payload.tid : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Effects

const defaultRun: Runner = async (tool, args, options) =>
  actionsExec.getExecOutput(tool, args, {
    env: options.env,
    ignoreReturnCode: true,
    silent: options.silent ?? false,
    ...(options.input ? { input: options.input } : {}),
  });

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

/** Which CLI builds: docker when its daemon answers, else podman. */
async function detectCli(run: Runner, env: Record<string, string>, log: BuildLog): Promise<ContainerCli> {
  let dockerProblem: string;
  try {
    const r = await run('docker', ['version', '--format', '{{.Server.Version}}'], { env, silent: true });
    if (r.exitCode === 0) {
      log.info(`Building with docker (engine ${r.stdout.trim() || 'unknown version'}).`);
      return 'docker';
    }
    dockerProblem = `docker is installed but its daemon does not answer: ${errorLine(lastLines(r.stderr + r.stdout)) ?? `exit code ${r.exitCode}`}`;
  } catch {
    dockerProblem = 'docker is not installed';
  }
  try {
    const r = await run('podman', ['version', '--format', '{{.Client.Version}}'], { env, silent: true });
    if (r.exitCode === 0) {
      log.info(`Building with podman ${r.stdout.trim()}; ${dockerProblem.replace(/\.$/, '')}.`);
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

/** Exchanges the identity's ARM token for an ACR refresh token (what `az acr login` does). */
async function acrRefreshToken(
  server: string,
  deps: { credential: TokenCredential; scope: string; fetch: typeof fetch; mask(value: string): void },
): Promise<string> {
  const token = await deps.credential.getToken(deps.scope);
  if (!token?.token) {
    throw new ActionError(
      `Could not get an Azure access token to log in to registry '${server}': check the identity inputs (client-id, tenant-id).`,
    );
  }
  deps.mask(token.token);
  const tenant = tenantOf(token.token);
  const form = new URLSearchParams({ grant_type: 'access_token', service: server, access_token: token.token });
  if (tenant) form.set('tenant', tenant);
  let response: Response;
  try {
    response = await deps.fetch(`https://${server}/oauth2/exchange`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new ActionError(
      `Could not reach registry '${server}' to log in (${cause}): check the registry host in input 'image' and the runner's network access to it.`,
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
    const said = body.errors?.[0]?.message ?? (text.trim().slice(0, 200) || response.statusText);
    throw new ActionError(
      `Registry '${server}' refused to exchange this identity's Azure token for a registry token (HTTP ${response.status}: ${said.replace(/\.$/, '')}): check that the registry is in the identity's tenant and that its 'authentication-as-arm' policy is enabled (az acr config authentication-as-arm show -r <registry>).`,
    );
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
  options: { env: Record<string, string>; input?: Buffer },
): Promise<ExecResult> {
  const token = randomUUID();
  log.info(`::stop-commands::${token}`);
  try {
    return await run(tool, args, options);
  } finally {
    log.info(`::${token}::`);
  }
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
  const env = cleanEnv(deps.env ?? process.env);
  const cwd = deps.cwd ?? process.cwd();
  const now = deps.now ?? Date.now;
  const server = registryHost(image) ?? DOCKER_HUB;

  // Checks that need no build: the paths, and that the job will be able to pull what is pushed.
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
      const base = env.RUNNER_TEMP && existsSync(env.RUNNER_TEMP) ? env.RUNNER_TEMP : tmpdir();
      mkdirSync(base, { recursive: true });
      const store = login === 'none' ? undefined : temporaryLoginStore(cli, server, env, base);
      const runEnv = store?.env ?? env;
      try {
        if (login !== 'none') {
          let user: string;
          let password: string;
          if (login === 'acr-identity') {
            log.info(
              `Logging in to ${server} with this workflow's Azure identity (ACR token exchange, no registry password); the login is kept in a temporary folder that is deleted after the push.`,
            );
            user = ACR_TOKEN_USER;
            password = await acrRefreshToken(server, {
              credential: deps.credential,
              scope: config.auth.armScope,
              fetch: deps.fetch ?? fetch,
              mask: log.mask,
            });
          } else {
            log.info(
              `Logging in to ${server} as ${config.registry.username} (registry-username / registry-password); the login is kept in a temporary folder that is deleted after the push.`,
            );
            user = config.registry.username!;
            password = config.registry.password ?? '';
            log.mask(password);
          }
          const r = await runQuoted(run, log, cli, ['login', server, '--username', user, '--password-stdin'], {
            env: runEnv,
            input: Buffer.from(password, 'utf8'),
          });
          if (r.exitCode !== 0) {
            throw failure(
              `Logging in to registry '${server}' with ${cli}`,
              r,
              ctx,
              `check that '${server}' is the registry in input 'image' and that the runner can reach it`,
            );
          }
        } else {
          log.info(
            `Not logging in to ${server}: using the CLI's existing login, if any (set registry-username and registry-password to log in).`,
          );
        }
        if (deps.signal?.aborted)
          throw new ActionError('The workflow run was cancelled before the build; nothing was built or deployed.');

        ctx.phase = 'build';
        const built = await runQuoted(run, log, cli, buildArguments(image, contextDir, dockerfile, build.buildArgs), {
          env: runEnv,
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

        ctx.phase = 'push';
        const digestFile = join(base, `digest-${randomUUID()}`);
        const pushArgs = cli === 'podman' ? ['push', '--digestfile', digestFile, image] : ['push', image];
        const pushed = await runQuoted(run, log, cli, pushArgs, { env: runEnv });
        if (pushed.exitCode !== 0) {
          rmSync(digestFile, { force: true });
          throw failure(
            `Pushing ${image} with ${cli}`,
            pushed,
            ctx,
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
              env: runEnv,
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
      if (error instanceof BuildFailure && error.lines.length > 0)
        log.info(`Last lines from ${error.cli} ${error.phase}:\n  ${error.lines.join('\n  ')}`);
      throw error;
    });
  if (deps.signal?.aborted) {
    throw new ActionError(`The workflow run was cancelled after ${result.image} was pushed; the job was not changed.`);
  }
  return result;
}
