/**
 * Build and push in one step, end to end with real parts: the bundled action builds a real image with podman (and
 * with the docker CLI, through podman's Docker-compatible API), logs in to a real registry (Debian's
 * docker-registry) through the stand-in's ACR token exchange with its OIDC identity, pushes, and deploys the job
 * with the digest the registry itself reports.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingBuildTools, SBIN, useBuildBed, type BuildBed } from '../../test-support/build-bed.ts';
import { which } from '../../test-support/containers.ts';
import { armJob, type ArmJob } from '../../test-support/arm-json.ts';
import { quickLro } from '../../test-support/e2e-suite.ts';

const hasDocker = which('docker') !== undefined;
if (missingBuildTools.length > 0) {
  console.warn(
    `SKIPPING the build-and-push end-to-end tests: ${missingBuildTools.join(', ')} not installed (apt-get install docker-registry podman runc busybox-static; .ci/run installs them).`,
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

const REGISTRY_RG = 'rg-registry';
/** The test bed of the build tests (set when the describe below is collected). */
let build: BuildBed;

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

function liveJob(name: string): ArmJob {
  return armJob(build.bed.standIn.arm.getJob(build.bed.world.resourceGroup, name), `job ${name}`);
}

function secondsOf(r: { log: string }): number | undefined {
  const m = /built and pushed in ([\d.]+) s/.exec(r.log);
  return m ? Number(m[1]) : undefined;
}

describe.skipIf(missingBuildTools.length > 0)('build-context: build, push and deploy by digest', () => {
  build = useBuildBed({
    registry: { resourceGroup: REGISTRY_RG, name: 'buildacr' },
    folders: { app: { dockerfile: DOCKERFILE, busybox: true }, broken: { dockerfile: BAD_DOCKERFILE } },
    prefix: 'build',
    standIn: quickLro(),
  });

  it('builds with podman, logs in with the OIDC identity (no password), pushes and deploys the registry digest', async () => {
    const image = `${build.acr.loginServer}/weather:1.0`;
    const r = await build.run({
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
    const digest = await build.acr.manifestDigest('weather', '1.0');
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const deployed = `${build.acr.loginServer}/weather@${digest}`;
    expect(r.outputs.image).toBe(deployed);
    const job = liveJob('weather-build').properties;
    expect(job.template?.containers?.[0]?.image).toBe(deployed);
    expect(job.configuration?.registries).toEqual([{ server: build.acr.loginServer, identity: 'system' }]);
    expect(liveJob('weather-build').identity?.type).toBe('SystemAssigned');
    expect(r.writes).toEqual(['PUT Microsoft.App/jobs/weather-build']);

    // The build argument reached the pushed image.
    const config = await build.acr.imageConfig('weather', '1.0');
    expect((config.config as { Env?: string[] }).Env).toContain(`GREETING=${GREETING}`);
    expect(config.architecture).toBe('amd64');

    // Login: the identity's token exchanged for an ACR refresh token, given to podman on stdin only.
    expect(build.acr.exchanges).toEqual([{ oid: build.bed.world.objectId, ok: true }]);
    expect(build.acr.grants.filter((g) => g.subject === build.bed.world.objectId).map((g) => g.granted)).toContainEqual(
      ['repository:weather:pull,push'],
    );
    const cmds = commands(r);
    expect(cmds).toEqual([
      `[command]${which('podman', SBIN)} login ${build.acr.loginServer} --username 00000000-0000-0000-0000-000000000000 --password-stdin`,
      `[command]${which('podman', SBIN)} build --tag ${image} --platform linux/amd64 --build-arg GREETING=${GREETING} ${join(build.workspace, 'app')}`,
      expect.stringMatching(new RegExp(`^\\[command\\]\\S+ push --digestfile \\S+ ${image.replace(/\./g, '\\.')}$`)),
    ]);
    for (const token of build.acr.refreshTokens) expect(r.masks).toContain(token);

    // What the user sees: a group, the CLI chosen and why, the digest.
    expect(r.log).toContain(`▼ Build and push ${image}`);
    expect(r.log).toMatch(
      /Building with podman [\d.]+; docker (is not installed|is installed but its daemon does not answer)/,
    );
    expect(r.log).toContain(`Pushed ${image} (${digest})`);

    // No credential left behind: the temporary login store is gone, and no default store has the registry.
    expect(readdirSync(r.runnerTemp).filter((f) => /login|digest/.test(f))).toEqual([]);
    expect(loginsLeftFor(build.acr.loginServer)).toEqual([]);
  });

  it.skipIf(!hasDocker)('builds with the docker CLI the same way (through podman’s Docker API)', async () => {
    const api = await build.tools.startDockerApi();
    try {
      const image = `${build.acr.loginServer}/weather:docker-1`;
      const r = await build.run(
        { 'job-name': 'weather-docker', image, 'build-context': 'app', 'registry-identity': 'system' },
        { DOCKER_HOST: api.dockerHost },
      );
      expect(r.errors).toEqual([]);
      expect(r.exitCode).toBe(0);
      console.log(`build e2e (docker CLI): built and pushed in ${secondsOf(r)} s; step ${r.durationMs} ms`);
      const digest = await build.acr.manifestDigest('weather', 'docker-1');
      expect(r.outputs.image).toBe(`${build.acr.loginServer}/weather@${digest}`);
      expect(liveJob('weather-docker').properties.template?.containers?.[0]?.image).toBe(r.outputs.image);
      expect(r.log).toMatch(/Building with docker \(engine /);
      const cmds = commands(r);
      expect(cmds[0]).toBe(
        `[command]${which('docker')} login ${build.acr.loginServer} --username 00000000-0000-0000-0000-000000000000 --password-stdin`,
      );
      expect(cmds[2]).toBe(`[command]${which('docker')} push ${image}`);
      expect(readdirSync(r.runnerTemp).filter((f) => /login/.test(f))).toEqual([]);
      expect(loginsLeftFor(build.acr.loginServer)).toEqual([]);
    } finally {
      await api.close();
    }
  });

  it('a broken Dockerfile fails the step with the builder’s error, and nothing is pushed or deployed', async () => {
    const image = `${build.acr.loginServer}/weather:broken`;
    const r = await build.run({
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
    expect(await build.acr.manifestDigest('weather', 'broken')).toBeUndefined();
    expect(r.writes).toEqual([]);
    expect(build.bed.standIn.arm.getJob(build.bed.world.resourceGroup, 'weather-broken')).toBeUndefined();
  });

  it('a missing Dockerfile fails before anything runs, naming the input', async () => {
    const exchanges = build.acr.exchanges.length;
    const r = await build.run({
      'job-name': 'weather-missing',
      image: `${build.acr.loginServer}/weather:missing`,
      'build-context': 'app',
      dockerfile: 'app/Containerfile',
      'registry-identity': 'system',
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      `Input 'dockerfile' is 'app/Containerfile', which is not a file in the workspace (${join(build.workspace, 'app', 'Containerfile')}): give the Dockerfile's path relative to the workspace.`,
    ]);
    expect(commands(r)).toEqual([]);
    expect(build.acr.exchanges.length).toBe(exchanges);
    expect(r.writes).toEqual([]);
  });

  it('push denied (the identity may deploy but has no AcrPush): a clear error with the role to assign', async () => {
    const arm = build.bed.standIn.arm;
    const sub = `/subscriptions/${build.bed.world.subscriptionId}`;
    const original = arm.roleAssignments.filter((a) => a.principalId === build.bed.world.objectId);
    for (const a of original) arm.removeRoleAssignment(a);
    const added = [
      arm.addRoleAssignment({ principalId: build.bed.world.objectId, role: 'Reader', scope: sub }),
      arm.addRoleAssignment({
        principalId: build.bed.world.objectId,
        role: 'Contributor',
        scope: `${sub}/resourceGroups/${build.bed.world.resourceGroup}`,
      }),
    ];
    try {
      const image = `${build.acr.loginServer}/weather:denied`;
      const grantsBefore = build.acr.grants.length;
      const r = await build.run({
        'job-name': 'weather-denied',
        image,
        'build-context': 'app',
        'registry-identity': 'system',
      });
      expect(r.exitCode).toBe(1);
      expect(r.errors).toEqual([
        expect.stringMatching(
          new RegExp(
            `^Pushing ${image.replace(/\./g, '\\.')} with podman failed \\(exit code \\d+: .+\\): the identity '${build.bed.world.clientId}' may not push to registry 'buildacr': give it the AcrPush role on the registry \\(az role assignment create --role AcrPush --assignee ${build.bed.world.clientId} --scope ${build.acr.registry.id}\\)\\.$`,
          ),
        ),
      ]);
      // The identity asked for push and was granted pull only; the registry itself refused the push.
      const asked = build.acr.grants.slice(grantsBefore).filter((g) => g.subject === build.bed.world.objectId);
      expect(asked.flatMap((g) => g.requested)).toContain('repository:weather:pull,push');
      expect(asked.flatMap((g) => g.granted)).toContain('repository:weather:pull');
      expect(asked.flatMap((g) => g.granted).filter((s) => s.includes('push'))).toEqual([]);
      expect(await build.acr.manifestDigest('weather', 'denied')).toBeUndefined();
      expect(r.writes).toEqual([]);
    } finally {
      for (const a of added) arm.removeRoleAssignment(a);
      for (const a of original) arm.addRoleAssignment({ principalId: a.principalId, role: a.roleName, scope: a.scope });
    }
  });

  it('registry-username / registry-password log in for the push and become the job’s pull credentials', async () => {
    build.acr.registry.adminUserEnabled = true;
    try {
      const image = `${build.acr.loginServer}/weather:admin`;
      const password = build.acr.registry.passwords[0];
      const exchanges = build.acr.exchanges.length;
      const r = await build.run({
        'job-name': 'weather-admin',
        image,
        'build-context': 'app',
        'registry-username': build.acr.registry.username,
        'registry-password': password,
      });
      expect(r.errors).toEqual([]);
      expect(r.exitCode).toBe(0);
      const digest = await build.acr.manifestDigest('weather', 'admin');
      expect(r.outputs.image).toBe(`${build.acr.loginServer}/weather@${digest}`);
      expect(build.acr.exchanges.length).toBe(exchanges);
      expect(build.acr.grants[build.acr.grants.length - 1]!.subject).toBe(`admin:${build.acr.registry.username}`);
      expect(commands(r)[0]).toMatch(
        new RegExp(`login ${build.acr.loginServer} --username ${build.acr.registry.username} --password-stdin$`),
      );
      expect(r.masks).toContain(password);
      const job = liveJob('weather-admin').properties;
      expect(job.configuration?.registries).toEqual([
        {
          server: build.acr.loginServer,
          username: build.acr.registry.username,
          passwordSecretRef: expect.any(String) as unknown,
        },
      ]);
    } finally {
      build.acr.registry.adminUserEnabled = false;
    }
  });

  it('with no pull identity and the admin user disabled, it fails before building', async () => {
    const exchanges = build.acr.exchanges.length;
    const r = await build.run({
      'job-name': 'weather-nopull',
      image: `${build.acr.loginServer}/weather:nopull`,
      'build-context': 'app',
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(/^Registry 'buildacr' has its admin user disabled.*registry-identity/),
    ]);
    expect(commands(r)).toEqual([]);
    expect(build.acr.exchanges.length).toBe(exchanges);
    expect(r.writes).toEqual([]);
  });

  it('dry-run says what it would build and builds, pushes and writes nothing', async () => {
    const exchanges = build.acr.exchanges.length;
    const r = await build.run({
      'job-name': 'weather-dry',
      image: `${build.acr.loginServer}/weather:dry`,
      'build-context': 'app',
      'registry-identity': 'system',
      'dry-run': 'true',
    });
    expect(r.errors).toEqual([]);
    expect(r.log).toContain(`Dry run: would build app (app/Dockerfile)`);
    expect(commands(r)).toEqual([]);
    expect(build.acr.exchanges.length).toBe(exchanges);
    expect(await build.acr.manifestDigest('weather', 'dry')).toBeUndefined();
    expect(r.writes).toEqual([]);
  });
});
