/**
 * A hostile build, end to end: the bundled action builds a Dockerfile whose RUN step prints workflow commands and
 * fails. Neither the build's live output nor its last lines (printed again next to the error) may set an output
 * or state, add a mask, raise an annotation or stop the action's own commands.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRegistryBinary, startAcr, type StandInAcr } from '../../standin/acr/acr.ts';
import { containerTools, which, type ContainerTools } from '../../test-support/containers.ts';
import { startBed, type Bed } from '../../test-support/e2e.ts';

const SBIN = ['/usr/sbin', '/sbin'];
const missing = [
  !findRegistryBinary() && 'docker-registry',
  !which('podman', SBIN) && 'podman',
  !which('runc', SBIN) && 'runc',
  !existsSync('/bin/busybox') && 'busybox-static',
].filter((m): m is string => typeof m === 'string');

/** Lines a malicious (or careless) build prints before it fails. */
const HOSTILE = [
  '::set-output name=image::evil.example/hijacked:1',
  '::save-state name=job-done::true',
  '::add-mask::Building',
  '::error::not from the action',
  '::stop-commands::guessed',
  '::guessed::',
];
const DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "${HOSTILE.map((l) => `echo '${l}'; echo '${l}' >&2`).join('; ')}; exit 3"]
`;

let bed: Bed;
let acr: StandInAcr;
let tools: ContainerTools;
let workspace: string;
const temps: string[] = [];

describe.skipIf(missing.length > 0)('a build that prints workflow commands', () => {
  beforeAll(async () => {
    bed = await startBed();
    acr = await startAcr(bed.standIn, { resourceGroup: 'rg-registry', name: 'secacr' });
    tools = containerTools(bed.standIn.tls.caFile);
    workspace = mkdtempSync(join(tmpdir(), 'security-build-'));
    mkdirSync(join(workspace, 'app'));
    copyFileSync(tools.busybox!, join(workspace, 'app', 'busybox'));
    writeFileSync(join(workspace, 'app', 'Dockerfile'), DOCKERFILE);
  });
  afterAll(async () => {
    await acr?.close();
    await bed?.close();
    tools?.close();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  });

  it('its output and its last lines are text: no output, state, mask or annotation, and the action’s error stands', async () => {
    const runnerTemp = mkdtempSync(join(tmpdir(), 'security-build-temp-'));
    temps.push(runnerTemp);
    const r = await bed.run(
      {
        environment: bed.world.environment,
        'job-name': 'hostile-build',
        image: `${acr.loginServer}/hostile:1`,
        'build-context': 'app',
        'registry-identity': 'system',
      },
      {
        workspace,
        env: {
          NODE_EXTRA_CA_CERTS: bed.standIn.tls.caFile,
          ...tools.env,
          DOCKER_HOST: 'unix:///nonexistent/docker.sock',
          RUNNER_TEMP: runnerTemp,
        },
      },
    );
    expect(r.exitCode).toBe(1);
    // The last lines were printed next to the error, as text.
    const tail = r.log.slice(r.log.indexOf('Last lines from podman build:'));
    const tailLines = tail.split('\n').map((l) => l.trim());
    expect(tailLines).toContain('::set-output name=image::evil.example/hijacked:1');
    expect(tailLines).toContain('::add-mask::Building');
    expect(r.outputs.image).toBeUndefined();
    expect(Object.values(r.outputs)).not.toContain('evil.example/hijacked:1');
    expect(r.state['job-done']).toBeUndefined();
    expect(r.masks).not.toContain('Building');
    expect(r.log).toContain('Building'); // not masked
    // One error, the action's own (a stop-commands from the build did not swallow it), and no other annotation.
    expect(r.errors).toEqual([expect.stringMatching(/^Building .* with podman failed \(exit code \d+/)]);
    expect(r.warnings).toEqual([]);
    expect(r.annotations).toHaveLength(1);
    // The login did not outlive the step.
    expect(readdirSync(runnerTemp).filter((f) => /login/.test(f))).toEqual([]);
  });
});
