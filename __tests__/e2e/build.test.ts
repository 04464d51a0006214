/**
 * Build and push in one step, end to end with real parts: the bundled action builds a real image with podman (and
 * with the docker CLI, through podman's Docker-compatible API), logs in to a real registry (Debian's
 * docker-registry) through the stand-in's ACR token exchange with its OIDC identity, pushes, and deploys the job
 * with the digest the registry itself reports.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  copyFileSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRegistryBinary, startAcr, type StandInAcr } from '../../standin/acr/acr.ts';
import type { RunOptions } from '../../test-support/harness.ts';
import { containerTools, which, type ContainerTools } from '../../test-support/containers.ts';
import { findLeaks, startBed, type Bed, type E2eRun } from '../../test-support/e2e.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SBIN = ['/usr/sbin', '/sbin'];
const missing = [
  !findRegistryBinary() && 'docker-registry',
  !which('podman', SBIN) && 'podman',
  !which('runc', SBIN) && 'runc',
  !existsSync('/bin/busybox') && 'busybox-static',
].filter((m): m is string => typeof m === 'string');
const hasDocker = which('docker') !== undefined;
if (missing.length > 0) {
  console.warn(
    `SKIPPING the build-and-push end-to-end tests: ${missing.join(', ')} not installed (apt-get install docker-registry podman runc busybox-static; .ci/run installs them).`,
  );
} else if (!hasDocker) {
  console.warn('SKIPPING the docker CLI build case: no docker CLI on PATH (the podman cases still run).');
}

const GREETING = 'hello from the build';
const DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
ARG GREETING=unset
ENV GREETING=\${GREETING}
RUN ["/bin/busybox", "sh", "-c", "echo \\"$GREETING\\" > /greeting"]
CMD ["/bin/busybox", "cat", "/greeting"]
`;
const BAD_DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
RUNN echo this instruction does not exist
`;

let bed: Bed;
let acr: StandInAcr;
let tools: ContainerTools;
let workspace: string;
const REGISTRY_RG = 'rg-registry';
/** RUNNER_TEMP folders of the runs, removed at the end. */
const temps: string[] = [];

/** Login stores a step may leave behind if it does not clean up (podman's and docker's defaults). */
function defaultLoginFiles(): string[] {
  return [
    `/run/containers/${process.getuid?.() ?? 0}/auth.json`,
    join(homedir(), '.config', 'containers', 'auth.json'),
    join(homedir(), '.docker', 'config.json'),
  ];
}

function loginsLeftFor(server: string): string[] {
  return defaultLoginFiles().filter((f) => existsSync(f) && readFileSync(f, 'utf8').includes(server));
}

function commands(r: { stdout: string }): string[] {
  return r.stdout.split('\n').filter((l) => l.startsWith('[command]'));
}

/** Runs the action with the workspace and the tools' configuration; RUNNER_TEMP is kept to look into afterwards. */
async function run(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<E2eRun & { runnerTemp: string }> {
  const runnerTemp = mkdtempSync(join(tmpdir(), 'build-runner-temp-'));
  temps.push(runnerTemp);
  const options: Partial<RunOptions> = {
    workspace,
    env: {
      NODE_EXTRA_CA_CERTS: bed.standIn.tls.caFile,
      ...tools.env,
      // The podman cases: no Docker engine answers, whatever this machine has.
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
      RUNNER_TEMP: runnerTemp,
      ...env,
    },
  };
  const r = await bed.run({ environment: bed.world.environment, ...inputs }, options);
  const leaks = findLeaks(r, acr.refreshTokens);
  if (leaks.length) throw new Error(`The action leaked registry tokens: ${leaks.join('; ')}`);
  return { ...r, runnerTemp };
}

function liveJob(name: string): Json {
  return bed.standIn.arm.getJob(bed.world.resourceGroup, name) as Json;
}

function secondsOf(r: { log: string }): number | undefined {
  const m = /built and pushed in ([\d.]+) s/.exec(r.log);
  return m ? Number(m[1]) : undefined;
}

describe.skipIf(missing.length > 0)('build-context: build, push and deploy by digest', () => {
  beforeAll(async () => {
    bed = await startBed();
    acr = await startAcr(bed.standIn, { resourceGroup: REGISTRY_RG, name: 'buildacr' });
    tools = containerTools(bed.standIn.tls.caFile);
    workspace = mkdtempSync(join(tmpdir(), 'build-workspace-'));
    mkdirSync(join(workspace, 'app'));
    copyFileSync(tools.busybox!, join(workspace, 'app', 'busybox'));
    writeFileSync(join(workspace, 'app', 'Dockerfile'), DOCKERFILE);
    mkdirSync(join(workspace, 'broken'));
    writeFileSync(join(workspace, 'broken', 'Dockerfile'), BAD_DOCKERFILE);
  });
  afterAll(async () => {
    await acr?.close();
    await bed?.close();
    tools?.close();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  });

  it('builds with podman, logs in with the OIDC identity (no password), pushes and deploys the registry digest', async () => {
    const image = `${acr.loginServer}/weather:1.0`;
    const r = await run({
      'job-name': 'weather-build',
      image,
      'build-context': 'app',
      'build-args': `GREETING=${GREETING}`,
      'registry-identity': 'system',
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    console.log(`build e2e (podman): built and pushed in ${secondsOf(r)} s; step ${r.durationMs} ms`);

    // The job runs exactly what the registry holds under the tag.
    const digest = await acr.manifestDigest('weather', '1.0');
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const deployed = `${acr.loginServer}/weather@${digest}`;
    expect(r.outputs.image).toBe(deployed);
    const job = liveJob('weather-build').properties;
    expect(job.template.containers[0].image).toBe(deployed);
    expect(job.configuration.registries).toEqual([{ server: acr.loginServer, identity: 'system' }]);
    expect(liveJob('weather-build').identity.type).toBe('SystemAssigned');
    expect(r.writes).toEqual(['PUT Microsoft.App/jobs/weather-build']);

    // The build argument reached the pushed image.
    const config = await acr.imageConfig('weather', '1.0');
    expect((config.config as Json).Env).toContain(`GREETING=${GREETING}`);
    expect(config.architecture).toBe('amd64');

    // Login: the identity's token exchanged for an ACR refresh token, given to podman on stdin only.
    expect(acr.exchanges).toEqual([{ oid: bed.world.objectId, ok: true }]);
    expect(acr.grants.filter((g) => g.subject === bed.world.objectId).map((g) => g.granted)).toContainEqual([
      'repository:weather:pull,push',
    ]);
    const cmds = commands(r);
    expect(cmds).toEqual([
      `[command]${which('podman', SBIN)} login ${acr.loginServer} --username 00000000-0000-0000-0000-000000000000 --password-stdin`,
      `[command]${which('podman', SBIN)} build --tag ${image} --platform linux/amd64 --build-arg GREETING=${GREETING} ${join(workspace, 'app')}`,
      expect.stringMatching(new RegExp(`^\\[command\\]\\S+ push --digestfile \\S+ ${image.replace(/\./g, '\\.')}$`)),
    ]);
    for (const token of acr.refreshTokens) expect(r.masks).toContain(token);

    // What the user sees: a group, the CLI chosen and why, the digest.
    expect(r.log).toContain(`▼ Build and push ${image}`);
    expect(r.log).toMatch(
      /Building with podman [\d.]+; docker (is not installed|is installed but its daemon does not answer)/,
    );
    expect(r.log).toContain(`Pushed ${image} (${digest})`);

    // No credential left behind: the temporary login store is gone, and no default store has the registry.
    expect(readdirSync(r.runnerTemp).filter((f) => /login|digest/.test(f))).toEqual([]);
    expect(loginsLeftFor(acr.loginServer)).toEqual([]);
  });

  it.skipIf(!hasDocker)('builds with the docker CLI the same way (through podman’s Docker API)', async () => {
    const api = await tools.startDockerApi();
    try {
      const image = `${acr.loginServer}/weather:docker-1`;
      const r = await run(
        { 'job-name': 'weather-docker', image, 'build-context': 'app', 'registry-identity': 'system' },
        { DOCKER_HOST: api.dockerHost },
      );
      expect(r.errors).toEqual([]);
      expect(r.exitCode).toBe(0);
      console.log(`build e2e (docker CLI): built and pushed in ${secondsOf(r)} s; step ${r.durationMs} ms`);
      const digest = await acr.manifestDigest('weather', 'docker-1');
      expect(r.outputs.image).toBe(`${acr.loginServer}/weather@${digest}`);
      expect(liveJob('weather-docker').properties.template.containers[0].image).toBe(r.outputs.image);
      expect(r.log).toMatch(/Building with docker \(engine /);
      const cmds = commands(r);
      expect(cmds[0]).toBe(
        `[command]${which('docker')} login ${acr.loginServer} --username 00000000-0000-0000-0000-000000000000 --password-stdin`,
      );
      expect(cmds[2]).toBe(`[command]${which('docker')} push ${image}`);
      expect(readdirSync(r.runnerTemp).filter((f) => /login/.test(f))).toEqual([]);
      expect(loginsLeftFor(acr.loginServer)).toEqual([]);
    } finally {
      await api.close();
    }
  });

  it('a broken Dockerfile fails the step with the builder’s error, and nothing is pushed or deployed', async () => {
    const image = `${acr.loginServer}/weather:broken`;
    const r = await run({
      'job-name': 'weather-broken',
      image,
      'build-context': 'app',
      dockerfile: 'broken/Dockerfile',
      'registry-identity': 'system',
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Building ${image.replace(/\./g, '\\.')} from 'app' with podman failed \\(exit code \\d+: .*unknown instruction.*RUNN.*\\): fix the Dockerfile or the build context`,
          'i',
        ),
      ),
    ]);
    expect(r.log).toContain('Last lines from podman build:');
    expect(await acr.manifestDigest('weather', 'broken')).toBeUndefined();
    expect(r.writes).toEqual([]);
    expect(bed.standIn.arm.getJob(bed.world.resourceGroup, 'weather-broken')).toBeUndefined();
  });

  it('a missing Dockerfile fails before anything runs, naming the input', async () => {
    const exchanges = acr.exchanges.length;
    const r = await run({
      'job-name': 'weather-missing',
      image: `${acr.loginServer}/weather:missing`,
      'build-context': 'app',
      dockerfile: 'app/Containerfile',
      'registry-identity': 'system',
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      `Input 'dockerfile' is 'app/Containerfile', which is not a file in the workspace (${join(workspace, 'app', 'Containerfile')}): give the Dockerfile's path relative to the workspace.`,
    ]);
    expect(commands(r)).toEqual([]);
    expect(acr.exchanges.length).toBe(exchanges);
    expect(r.writes).toEqual([]);
  });

  it('push denied (the identity may deploy but has no AcrPush): a clear error with the role to assign', async () => {
    const arm = bed.standIn.arm;
    const sub = `/subscriptions/${bed.world.subscriptionId}`;
    const original = arm.roleAssignments.filter((a) => a.principalId === bed.world.objectId);
    for (const a of original) arm.removeRoleAssignment(a);
    const added = [
      arm.addRoleAssignment({ principalId: bed.world.objectId, role: 'Reader', scope: sub }),
      arm.addRoleAssignment({
        principalId: bed.world.objectId,
        role: 'Contributor',
        scope: `${sub}/resourceGroups/${bed.world.resourceGroup}`,
      }),
    ];
    try {
      const image = `${acr.loginServer}/weather:denied`;
      const grantsBefore = acr.grants.length;
      const r = await run({
        'job-name': 'weather-denied',
        image,
        'build-context': 'app',
        'registry-identity': 'system',
      });
      expect(r.exitCode).toBe(1);
      expect(r.errors).toEqual([
        expect.stringMatching(
          new RegExp(
            `^Pushing ${image.replace(/\./g, '\\.')} with podman failed \\(exit code \\d+: .+\\): the identity '${bed.world.clientId}' may not push to registry 'buildacr': give it the AcrPush role on the registry \\(az role assignment create --role AcrPush --assignee ${bed.world.clientId} --scope ${acr.registry.id}\\)\\.$`,
          ),
        ),
      ]);
      // The identity asked for push and was granted pull only; the registry itself refused the push.
      const asked = acr.grants.slice(grantsBefore).filter((g) => g.subject === bed.world.objectId);
      expect(asked.flatMap((g) => g.requested)).toContain('repository:weather:pull,push');
      expect(asked.flatMap((g) => g.granted)).toContain('repository:weather:pull');
      expect(asked.flatMap((g) => g.granted).filter((s) => s.includes('push'))).toEqual([]);
      expect(await acr.manifestDigest('weather', 'denied')).toBeUndefined();
      expect(r.writes).toEqual([]);
    } finally {
      for (const a of added) arm.removeRoleAssignment(a);
      for (const a of original) arm.addRoleAssignment({ principalId: a.principalId, role: a.roleName, scope: a.scope });
    }
  });

  it('registry-username / registry-password log in for the push and become the job’s pull credentials', async () => {
    acr.registry.adminUserEnabled = true;
    try {
      const image = `${acr.loginServer}/weather:admin`;
      const password = acr.registry.passwords[0];
      const exchanges = acr.exchanges.length;
      const r = await run({
        'job-name': 'weather-admin',
        image,
        'build-context': 'app',
        'registry-username': acr.registry.username,
        'registry-password': password,
      });
      expect(r.errors).toEqual([]);
      expect(r.exitCode).toBe(0);
      const digest = await acr.manifestDigest('weather', 'admin');
      expect(r.outputs.image).toBe(`${acr.loginServer}/weather@${digest}`);
      expect(acr.exchanges.length).toBe(exchanges);
      expect(acr.grants[acr.grants.length - 1]!.subject).toBe(`admin:${acr.registry.username}`);
      expect(commands(r)[0]).toMatch(
        new RegExp(`login ${acr.loginServer} --username ${acr.registry.username} --password-stdin$`),
      );
      expect(r.masks).toContain(password);
      const job = liveJob('weather-admin').properties;
      expect(job.configuration.registries).toEqual([
        {
          server: acr.loginServer,
          username: acr.registry.username,
          passwordSecretRef: expect.any(String),
        },
      ]);
    } finally {
      acr.registry.adminUserEnabled = false;
    }
  });

  it('with no pull identity and the admin user disabled, it fails before building', async () => {
    const exchanges = acr.exchanges.length;
    const r = await run({
      'job-name': 'weather-nopull',
      image: `${acr.loginServer}/weather:nopull`,
      'build-context': 'app',
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(/^Registry 'buildacr' has its admin user disabled.*registry-identity/),
    ]);
    expect(commands(r)).toEqual([]);
    expect(acr.exchanges.length).toBe(exchanges);
    expect(r.writes).toEqual([]);
  });

  it('dry-run says what it would build and builds, pushes and writes nothing', async () => {
    const exchanges = acr.exchanges.length;
    const r = await run({
      'job-name': 'weather-dry',
      image: `${acr.loginServer}/weather:dry`,
      'build-context': 'app',
      'registry-identity': 'system',
      'dry-run': 'true',
    });
    expect(r.errors).toEqual([]);
    expect(r.log).toContain(`Dry run: would build app (app/Dockerfile)`);
    expect(commands(r)).toEqual([]);
    expect(acr.exchanges.length).toBe(exchanges);
    expect(await acr.manifestDigest('weather', 'dry')).toBeUndefined();
    expect(r.writes).toEqual([]);
  });
});
