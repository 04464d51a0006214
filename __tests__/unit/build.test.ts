import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildAndPush,
  buildArguments,
  BuildFailure,
  digestReference,
  errorLine,
  knownFix,
  lastLines,
  pushedDigest,
  temporaryDockerConfig,
  type BuildDeps,
  type BuildLog,
  type ExecResult,
  type FailureContext,
  type Runner,
} from '../../src/build/build.ts';
import { ActionError } from '../../src/common/errors.ts';
import { baseConfig } from '../../test-support/config-fixture.ts';
import { FakeClock, FakeJobApi } from '../../test-support/fakes.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const ACR_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shared/providers/Microsoft.ContainerRegistry/registries/hyfregistry';

describe('pure parts', () => {
  it('digestReference keeps the repository and replaces the tag with the digest', () => {
    expect(digestReference('hyf.azurecr.io/team/app:1.0', DIGEST)).toBe(`hyf.azurecr.io/team/app@${DIGEST}`);
    expect(digestReference('localhost:5000/app:v1', DIGEST)).toBe(`localhost:5000/app@${DIGEST}`);
    expect(digestReference('localhost:5000/app', DIGEST)).toBe(`localhost:5000/app@${DIGEST}`);
  });

  it('buildArguments: an argument array with the target platform, the Dockerfile and each build-arg as one item', () => {
    expect(buildArguments('r.azurecr.io/a:1', '/w/app', '/w/app/Dockerfile.prod', { A: 'x y', B: 'a=b' })).toEqual([
      'build',
      '--tag',
      'r.azurecr.io/a:1',
      '--platform',
      'linux/amd64',
      '--file',
      '/w/app/Dockerfile.prod',
      '--build-arg',
      'A=x y',
      '--build-arg',
      'B=a=b',
      '/w/app',
    ]);
    expect(buildArguments('r.azurecr.io/a:1', '/w', undefined, {})).toEqual([
      'build',
      '--tag',
      'r.azurecr.io/a:1',
      '--platform',
      'linux/amd64',
      '/w',
    ]);
  });

  it('pushedDigest reads the digest docker push prints for the tag', () => {
    const out = [
      'The push refers to repository [hyf.azurecr.io/app]',
      '5f70bf18a086: Pushed',
      `1.0: digest: ${DIGEST} size: 527`,
    ].join('\n');
    expect(pushedDigest(out, '1.0')).toBe(DIGEST);
    const other = `sha256:${'cd'.repeat(32)}`;
    expect(pushedDigest(`latest: digest: ${other} size: 1\n1.0: digest: ${DIGEST} size: 2`, '1.0')).toBe(DIGEST);
    expect(pushedDigest('Writing manifest to image destination', '1.0')).toBeUndefined();
  });

  it('lastLines drops blank lines and colour codes; errorLine picks the last line that reads like an error', () => {
    const lines = lastLines('step 1\n\n\x1b[31mError: failed to solve\x1b[0m\ncleanup done\n');
    expect(lines).toEqual(['step 1', 'Error: failed to solve', 'cleanup done']);
    expect(errorLine(lines)).toBe('Error: failed to solve');
    expect(errorLine(['all good'])).toBe('all good');
    expect(errorLine([`error: ${'x'.repeat(400)}`])!.length).toBe(240);
  });

  it('temporaryDockerConfig keeps other logins and settings, drops the credential store and the helper for the server, and names the server in auths (so docker picks no keyring helper)', () => {
    const original = JSON.stringify({
      auths: { 'ghcr.io': { auth: 'abc' } },
      credsStore: 'desktop',
      credHelpers: { 'hyf.azurecr.io': 'acr-env', 'gcr.io': 'gcloud' },
      currentContext: 'remote',
    });
    expect(JSON.parse(temporaryDockerConfig(original, 'hyf.azurecr.io'))).toEqual({
      auths: { 'ghcr.io': { auth: 'abc' }, 'hyf.azurecr.io': {} },
      credHelpers: { 'gcr.io': 'gcloud' },
      currentContext: 'remote',
    });
    expect(JSON.parse(temporaryDockerConfig(undefined, 'x'))).toEqual({ auths: { x: {} } });
    expect(JSON.parse(temporaryDockerConfig('not json', 'x'))).toEqual({ auths: { x: {} } });
  });
});

describe('knownFix', () => {
  const ctx = (over: Partial<FailureContext> = {}): FailureContext => ({
    cli: 'docker',
    phase: 'push',
    image: 'hyf.azurecr.io/app:1',
    server: 'hyf.azurecr.io',
    login: 'acr-identity',
    ...over,
  });

  it('push denied with the OIDC login: the AcrPush role assignment, with the registry scope', () => {
    const fix = knownFix(
      'unauthorized: authentication required, visit https://aka.ms/acr/authorization for more information.',
      ctx({
        clientId: 'client-1',
        registry: { id: ACR_ID, name: 'hyfregistry', loginServer: 'hyf.azurecr.io', adminUserEnabled: false },
      }),
    );
    expect(fix).toBe(
      `the identity 'client-1' may not push to registry 'hyfregistry': give it the AcrPush role on the registry (az role assignment create --role AcrPush --assignee client-1 --scope ${ACR_ID})`,
    );
  });

  it('not logged in to another registry: registry-username / registry-password or a login step', () => {
    expect(
      knownFix('denied: requested access to the resource is denied', ctx({ login: 'none', server: 'ghcr.io' })),
    ).toMatch(/^not logged in to registry 'ghcr.io': set inputs registry-username and registry-password/);
    expect(
      knownFix('unauthorized: incorrect username or password', ctx({ login: 'credentials', phase: 'login' })),
    ).toMatch(/refused registry-username and registry-password/);
  });

  it('repository not lowercase, no Dockerfile, no daemon, no buildx, image not loaded, foreign CPU', () => {
    expect(
      knownFix('invalid reference format: repository name must be lowercase', ctx({ image: 'r.io/MyApp:1' })),
    ).toMatch(/lowercase only: write 'r.io\/myapp:1'/);
    expect(
      knownFix(
        'ERROR: failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory',
        ctx({ phase: 'build' }),
      ),
    ).toMatch(/has no Dockerfile/);
    expect(
      knownFix(
        'unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat /w/Dockerfile: no such file or directory',
        ctx({ phase: 'build', dockerfileInput: 'x/Dockerfile' }),
      ),
    ).toMatch(/^input 'dockerfile' \('x\/Dockerfile'\) was not found/);
    expect(
      knownFix(
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
        ctx({ phase: 'build' }),
      ),
    ).toMatch(/Docker daemon is not running/);
    expect(
      knownFix('ERROR: BuildKit is enabled but the buildx component is missing or broken.', ctx({ phase: 'build' })),
    ).toMatch(/install docker-buildx/);
    expect(knownFix('An image does not exist locally with the tag: hyf.azurecr.io/app', ctx())).toMatch(
      /driver: docker/,
    );
    expect(knownFix('exec /bin/sh: exec format error', ctx({ phase: 'build' }))).toMatch(/setup-qemu-action/);
  });

  it('a build step that fails on file permissions is not mistaken for a registry login problem', () => {
    expect(knownFix('/bin/sh: 1: ./run.sh: Permission denied', ctx({ phase: 'build' }))).toBeUndefined();
    expect(knownFix('pull access denied for private/base, repository does not exist', ctx({ phase: 'build' }))).toMatch(
      /could not pull a base image/,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The orchestration, with a scripted CLI (what the CLI answers is scripted; what the action sends it is checked)

function jwt(payload: Record<string, unknown>): string {
  const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc(payload)}.c2ln`;
}

interface Call {
  tool: string;
  args: string[];
  env: Record<string, string>;
  input?: string;
  /** What the temporary login store held when the call ran. */
  store?: { dir: string; config?: string; entries: string[] };
}

function scriptedCli(answers: {
  docker?: 'ok' | 'no-daemon' | 'missing';
  podman?: boolean;
  push?: ExecResult;
  build?: ExecResult;
  login?: ExecResult;
}): { run: Runner; calls: Call[] } {
  const calls: Call[] = [];
  const run: Runner = async (tool, args, options) => {
    const dir = options.env.DOCKER_CONFIG;
    const call: Call = {
      tool,
      args,
      env: options.env,
      ...(options.input ? { input: options.input.toString('utf8') } : {}),
      ...(dir && existsSync(dir)
        ? {
            store: {
              dir,
              config: existsSync(join(dir, 'config.json')) ? readFileSync(join(dir, 'config.json'), 'utf8') : undefined,
              entries: ['cli-plugins', 'buildx'].filter((e) => existsSync(join(dir, e))),
            },
          }
        : {}),
    };
    calls.push(call);
    const ok: ExecResult = { exitCode: 0, stdout: '', stderr: '' };
    if (args[0] === 'version') {
      if (tool === 'docker') {
        if ((answers.docker ?? 'ok') === 'missing') throw new Error('Unable to locate executable file: docker');
        if (answers.docker === 'no-daemon')
          return {
            exitCode: 1,
            stdout: '',
            stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.',
          };
        return { ...ok, stdout: '28.2.2\n' };
      }
      if (!answers.podman) throw new Error('Unable to locate executable file: podman');
      return { ...ok, stdout: '4.3.1\n' };
    }
    if (args[0] === 'login') return answers.login ?? { ...ok, stdout: 'Login Succeeded' };
    if (args[0] === 'build') return answers.build ?? ok;
    if (args[0] === 'push') {
      if (tool === 'podman') {
        const file = args[args.indexOf('--digestfile') + 1]!;
        writeFileSync(file, DIGEST);
      }
      return answers.push ?? { ...ok, stdout: `1.0: digest: ${DIGEST} size: 527\n` };
    }
    return ok;
  };
  return { run, calls };
}

function recordingLog(): BuildLog & { lines: string[]; masked: string[] } {
  const lines: string[] = [];
  const masked: string[] = [];
  return {
    lines,
    masked,
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    debug: () => undefined,
    mask: (v) => masked.push(v),
    group: async (name, fn) => {
      lines.push(`group: ${name}`);
      return fn();
    },
  };
}

describe('buildAndPush', () => {
  let home: string;
  let workspace: string;
  let runnerTemp: string;
  const accessToken = jwt({ tid: 'tenant-from-token', aud: 'https://management.azure.com' });
  const refreshToken = 'acr-refresh-token-value';

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'build-unit-home-'));
    workspace = mkdtempSync(join(tmpdir(), 'build-unit-ws-'));
    runnerTemp = mkdtempSync(join(tmpdir(), 'build-unit-temp-'));
    mkdirSync(join(workspace, 'app'));
    writeFileSync(join(workspace, 'app', 'Dockerfile'), 'FROM scratch\n');
  });
  afterEach(() => {
    for (const d of [home, workspace, runnerTemp]) rmSync(d, { recursive: true, force: true });
  });

  function setup(image: string, configOver: Parameters<typeof baseConfig>[0] = {}) {
    const api = new FakeJobApi(new FakeClock());
    api.registries = [{ id: ACR_ID, name: 'hyfregistry', loginServer: 'hyf.azurecr.io', adminUserEnabled: false }];
    const exchanges: URLSearchParams[] = [];
    const fetchStub = (async (url: string | URL | Request, init?: RequestInit) => {
      expect(url instanceof Request ? url.url : url.toString()).toBe('https://hyf.azurecr.io/oauth2/exchange');
      exchanges.push(new URLSearchParams(init?.body as string));
      return new Response(JSON.stringify({ refresh_token: refreshToken }), { status: 200 });
    }) as typeof fetch;
    const config = baseConfig({
      image,
      build: { context: 'app', buildArgs: {} },
      registry: { identity: 'system' },
      ...configOver,
    });
    const log = recordingLog();
    const credential = { getToken: async () => ({ token: accessToken, expiresOnTimestamp: Date.now() + 3600_000 }) };
    /** Runs buildAndPush with these fakes and `run` as the container CLI; `over` replaces single dependencies. */
    const runBuild = (run: Runner, over: Partial<BuildDeps> = {}) =>
      buildAndPush(config, {
        api,
        credential,
        live: undefined,
        run,
        log,
        env: { HOME: home, RUNNER_TEMP: runnerTemp },
        fetch: fetchStub,
        cwd: workspace,
        ...over,
      });
    return { api, exchanges, fetchStub, config, log, credential, runBuild };
  }

  it('docker + ACR: exchanges the identity token, logs in on stdin into a temporary config, pushes, returns the digest', async () => {
    mkdirSync(join(home, '.docker', 'cli-plugins'), { recursive: true });
    writeFileSync(
      join(home, '.docker', 'config.json'),
      JSON.stringify({ credsStore: 'desktop', auths: { 'ghcr.io': { auth: 'keep' } } }),
    );
    const before = readFileSync(join(home, '.docker', 'config.json'), 'utf8');
    const { exchanges, log, runBuild } = setup('hyf.azurecr.io/app:1.0');
    const cli = scriptedCli({ docker: 'ok' });
    const result = await runBuild(cli.run, { env: { HOME: home, PATH: '/usr/bin', RUNNER_TEMP: runnerTemp } });
    expect(result).toMatchObject({ image: `hyf.azurecr.io/app@${DIGEST}`, digest: DIGEST, cli: 'docker' });

    expect(exchanges.map((f) => Object.fromEntries(f))).toEqual([
      { grant_type: 'access_token', service: 'hyf.azurecr.io', access_token: accessToken, tenant: 'tenant-from-token' },
    ]);
    expect(log.masked).toEqual([accessToken, refreshToken]);

    const [, login, build, push] = cli.calls;
    expect(login!.args).toEqual([
      'login',
      'hyf.azurecr.io',
      '--username',
      '00000000-0000-0000-0000-000000000000',
      '--password-stdin',
    ]);
    expect(login!.input).toBe(refreshToken);
    for (const c of cli.calls) expect(c.args.join(' ')).not.toContain(refreshToken);
    // The temporary config: other logins kept, no credential store, the user's plugins reachable.
    expect(login!.store!.dir.startsWith(runnerTemp)).toBe(true);
    expect(JSON.parse(login!.store!.config!)).toEqual({ auths: { 'ghcr.io': { auth: 'keep' }, 'hyf.azurecr.io': {} } });
    expect(login!.store!.entries).toEqual(['cli-plugins']);
    expect(build!.env.DOCKER_CONFIG).toBe(login!.store!.dir);
    expect(build!.args).toEqual([
      'build',
      '--tag',
      'hyf.azurecr.io/app:1.0',
      '--platform',
      'linux/amd64',
      join(workspace, 'app'),
    ]);
    expect(push!.args).toEqual(['push', 'hyf.azurecr.io/app:1.0']);
    // Removed afterwards (the link, not the user's plugins); the user's own config untouched.
    expect(existsSync(login!.store!.dir)).toBe(false);
    expect(lstatSync(join(home, '.docker', 'cli-plugins')).isDirectory()).toBe(true);
    expect(readFileSync(join(home, '.docker', 'config.json'), 'utf8')).toBe(before);
  });

  it('podman when docker has no daemon: REGISTRY_AUTH_FILE in a temporary folder, digest from --digestfile', async () => {
    const { log, runBuild } = setup('hyf.azurecr.io/app:1.0');
    const cli = scriptedCli({ docker: 'no-daemon', podman: true });
    const result = await runBuild(cli.run);
    expect(result.cli).toBe('podman');
    expect(result.image).toBe(`hyf.azurecr.io/app@${DIGEST}`);
    expect(log.lines.join('\n')).toMatch(
      /Building with podman 4\.3\.1; docker is installed but its daemon does not answer/,
    );
    const login = cli.calls.find((c) => c.args[0] === 'login')!;
    const authFile = login.env.REGISTRY_AUTH_FILE ?? '';
    expect(authFile.startsWith(runnerTemp)).toBe(true);
    expect(existsSync(authFile)).toBe(false);
    expect(cli.calls.find((c) => c.args[0] === 'push')!.args.slice(0, 2)).toEqual(['push', '--digestfile']);
  });

  it('registry-username / registry-password: no token exchange, the password on stdin and masked', async () => {
    const { exchanges, log, runBuild } = setup('registry.example.com/app:2', {
      registry: { username: 'robot', password: 'pa55-w0rd-robot' },
    });
    const cli = scriptedCli({
      docker: 'ok',
      push: { exitCode: 0, stdout: `2: digest: ${DIGEST} size: 1`, stderr: '' },
    });
    const result = await runBuild(cli.run);
    expect(result.image).toBe(`registry.example.com/app@${DIGEST}`);
    expect(exchanges).toEqual([]);
    expect(log.masked).toEqual(['pa55-w0rd-robot']);
    const login = cli.calls.find((c) => c.args[0] === 'login')!;
    expect(login.args).toEqual(['login', 'registry.example.com', '--username', 'robot', '--password-stdin']);
    expect(login.input).toBe('pa55-w0rd-robot');
  });

  it('another registry and no credentials: no login, no temporary store (the CLI’s own login is used)', async () => {
    const { api, runBuild } = setup('ghcr.io/octo/app:3', { registry: {} });
    const cli = scriptedCli({
      docker: 'ok',
      push: { exitCode: 0, stdout: `3: digest: ${DIGEST} size: 1`, stderr: '' },
    });
    await runBuild(cli.run);
    expect(cli.calls.map((c) => c.args[0])).toEqual(['version', 'build', 'push']);
    expect(cli.calls.every((c) => c.env.DOCKER_CONFIG === undefined)).toBe(true);
    // One lookup (is ghcr.io a registry of the subscription?), shared by the pull check and the login decision.
    expect(api.calls).toEqual(['listRegistries']);
  });

  it('a denied push fails with the CLI’s line and the AcrPush fix, and still removes the login', async () => {
    const { log, runBuild } = setup('hyf.azurecr.io/app:1.0');
    const cli = scriptedCli({
      docker: 'ok',
      push: {
        exitCode: 1,
        stdout: 'The push refers to repository [hyf.azurecr.io/app]\n',
        stderr: 'unauthorized: authentication required, visit https://aka.ms/acr/authorization for more information.\n',
      },
    });
    const error = await runBuild(cli.run).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildFailure);
    expect((error as Error).message).toBe(
      `Pushing hyf.azurecr.io/app:1.0 with docker failed (exit code 1: unauthorized: authentication required, visit https://aka.ms/acr/authorization for more information): the identity '11111111-1111-1111-1111-111111111111' may not push to registry 'hyfregistry': give it the AcrPush role on the registry (az role assignment create --role AcrPush --assignee 11111111-1111-1111-1111-111111111111 --scope ${ACR_ID}).`,
    );
    const at = log.lines.indexOf('Last lines from docker push:');
    expect(at).toBeGreaterThan(-1);
    expect(log.lines[at + 1]).toMatch(/^::stop-commands::[0-9a-f]{32}$/);
    expect(log.lines[at + 2]).toBe(
      '  unauthorized: authentication required, visit https://aka.ms/acr/authorization for more information.',
    );
    expect(log.lines[at + 3]).toBe(`::${log.lines[at + 1]!.slice('::stop-commands::'.length)}::`);
    const login = cli.calls.find((c) => c.args[0] === 'login')!;
    expect(existsSync(login.store!.dir)).toBe(false);
  });

  it('no container CLI: one sentence naming build-context and the fix', async () => {
    const { runBuild } = setup('hyf.azurecr.io/app:1.0');
    const cli = scriptedCli({ docker: 'missing', podman: false });
    await expect(runBuild(cli.run, { env: { HOME: home } })).rejects.toThrow(
      new ActionError(
        "Input 'build-context' needs a container CLI on the runner, but podman is not installed and docker is not installed: use a GitHub-hosted Ubuntu runner (it has Docker), or install Docker or Podman on the self-hosted runner.",
      ),
    );
  });

  it('a build context that is not a folder fails before any command runs', async () => {
    const { runBuild } = setup('hyf.azurecr.io/app:1.0', {
      build: { context: 'src', buildArgs: {} },
    });
    const cli = scriptedCli({ docker: 'ok' });
    await expect(runBuild(cli.run, { env: { HOME: home } })).rejects.toThrow(
      /^Input 'build-context' is 'src', which is not a folder in the workspace .*actions\/checkout/,
    );
    expect(cli.calls).toEqual([]);
  });

  it('a refused token exchange is retried for two minutes (a role granted moments ago), then says which registry and what to check', async () => {
    const { runBuild } = setup('hyf.azurecr.io/app:1.0');
    let exchanges = 0;
    const refuse = (async () => {
      exchanges++;
      return new Response(
        JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'The access token is invalid.' }] }),
        {
          status: 401,
        },
      );
    }) as unknown as typeof fetch;
    const cli = scriptedCli({ docker: 'ok' });
    let t = 0;
    const lines: string[] = [];
    const log = {
      info: (m: string) => lines.push(m),
      warning: () => {},
      debug: () => {},
      mask: () => {},
      group: async <T>(_: string, f: () => Promise<T>) => f(),
    };
    await expect(
      runBuild(cli.run, { fetch: refuse, now: () => t, sleep: async (ms) => void (t += ms), log }),
    ).rejects.toThrow(
      "Registry 'hyf.azurecr.io' refused to exchange this identity's Azure token for a registry token (HTTP 401: The access token is invalid): check that the registry is in the identity's tenant and that its 'authentication-as-arm' policy is enabled (az acr config authentication-as-arm show -r <registry>), and that the identity has AcrPush on it.",
    );
    expect(t).toBeLessThanOrEqual(120_000);
    expect(exchanges).toBe(6); // at 0, 5, 15, 35, 65 and 95 s
    expect(lines.filter((l) => l.includes('retrying for up to 2 minutes'))).toHaveLength(1);
    expect(cli.calls.map((c) => c.args[0])).toEqual(['version']);
  });

  it('a token exchange refused at first and accepted once the role applies goes on with the push', async () => {
    const { runBuild } = setup('hyf.azurecr.io/app:1.0');
    let exchanges = 0;
    const later = (async (url: string) => {
      if (!String(url).endsWith('/oauth2/exchange')) throw new Error(`unexpected ${String(url)}`);
      exchanges++;
      return exchanges < 3
        ? new Response('{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}', { status: 401 })
        : new Response(JSON.stringify({ refresh_token: 'refresh-token-value' }), { status: 200 });
    }) as unknown as typeof fetch;
    const cli = scriptedCli({ docker: 'ok' });
    let t = 0;
    await runBuild(cli.run, { fetch: later, now: () => t, sleep: async (ms) => void (t += ms) });
    expect(exchanges).toBe(3);
    expect(cli.calls.map((c) => c.args[0])).toContain('push');
  });

  describe('credentials on disk and in child processes', () => {
    it('gives the CLI only what it needs of the environment: no inputs, no runner tokens', async () => {
      const { runBuild } = setup('hyf.azurecr.io/app:1.0');
      const cli = scriptedCli({ docker: 'ok' });
      await runBuild(cli.run, {
        env: {
          HOME: home,
          PATH: '/usr/bin',
          RUNNER_TEMP: runnerTemp,
          HTTPS_PROXY: 'http://proxy:3128',
          XDG_RUNTIME_DIR: '/run/user/1001',
          DOCKER_HOST: 'unix:///var/run/docker.sock',
          INPUT_SECRETS: 'db-password=hunter2',
          'INPUT_REGISTRY-PASSWORD': 'hunter3',
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc-request-token',
          ACTIONS_RUNTIME_TOKEN: 'runtime-token',
          GITHUB_TOKEN: 'ghs_token',
          AZURE_CLIENT_SECRET: 'sp-secret',
        },
      });
      for (const call of cli.calls) {
        expect(Object.keys(call.env).sort()).toEqual(
          expect.arrayContaining(['DOCKER_HOST', 'HOME', 'HTTPS_PROXY', 'PATH', 'XDG_RUNTIME_DIR']),
        );
        expect(JSON.stringify(call.env)).not.toMatch(/hunter|oidc-request-token|runtime-token|ghs_token|sp-secret/);
      }
    });

    it('a cancel during the build stops the CLI and removes the temporary login at once', async () => {
      const { runBuild } = setup('hyf.azurecr.io/app:1.0');
      const cancel = new AbortController();
      let loginDir: string | undefined;
      const run: Runner = async (tool, args, options) => {
        if (args[0] === 'version') return { exitCode: 0, stdout: '28\n', stderr: '' };
        if (args[0] === 'login') {
          loginDir = options.env.DOCKER_CONFIG;
          return { exitCode: 0, stdout: 'Login Succeeded', stderr: '' };
        }
        // The build runs until the signal it was given aborts (as the real CLI is killed).
        expect(options.signal).toBeDefined();
        setTimeout(() => cancel.abort(), 1);
        await new Promise((_, reject) =>
          options.signal!.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
        );
        return { exitCode: 0, stdout: '', stderr: '' };
      };
      await expect(runBuild(run, { signal: cancel.signal })).rejects.toThrow(/cancelled during 'docker build'/);
      expect(loginDir).toBeDefined();
      expect(existsSync(loginDir!)).toBe(false);
    });

    it('warns when a build-args value is a secret (it stays in the image history)', async () => {
      const { runBuild } = setup('hyf.azurecr.io/app:1.0', {
        build: { context: 'app', buildArgs: { DB_URL: 'postgres://u:hunter22@db/x', MODE: 'prod' } },
        secretValues: ['hunter22'],
      });
      const cli = scriptedCli({ docker: 'ok' });
      const warnings: string[] = [];
      await runBuild(cli.run, {
        log: { ...recordingLog(), warning: (m: string) => warnings.push(m) },
      });
      expect(warnings).toEqual([expect.stringMatching(/^Input 'build-args' passes a secret value as DB_URL: /)]);
      expect(warnings.join()).not.toContain('hunter22');
    });

    it('never follows a redirect of the ACR token exchange', async () => {
      const { runBuild } = setup('hyf.azurecr.io/app:1.0');
      const inits: RequestInit[] = [];
      const redirecting = (async (_url: string | URL | Request, init?: RequestInit) => {
        inits.push(init ?? {});
        return new Response(null, { status: 307, headers: { location: 'https://evil.example/steal' } });
      }) as typeof fetch;
      const cli = scriptedCli({ docker: 'ok' });
      await expect(runBuild(cli.run, { fetch: redirecting })).rejects.toThrow(
        /answered the token exchange with a redirect to https:\/\/evil\.example\/steal, which the action does not follow/,
      );
      expect(inits[0]!.redirect).toBe('manual');
      expect(cli.calls.map((c) => c.args[0])).toEqual(['version']);
    });
  });
});
