/**
 * A hostile build, end to end: the bundled action builds a Dockerfile whose RUN step prints workflow commands and
 * fails. Neither the build's live output nor its last lines (printed again next to the error) may set an output
 * or state, add a mask, raise an annotation or stop the action's own commands.
 */
import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_API_VERSIONS_WITH_2026_07_01 } from '../../standin/index.ts';
import { missingBuildTools, useBuildBed } from '../../test-support/build-bed.ts';

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

describe.skipIf(missingBuildTools.length > 0)('a build that prints workflow commands', () => {
  const build = useBuildBed({
    registry: { resourceGroup: 'rg-registry', name: 'secacr' },
    folders: { app: { dockerfile: DOCKERFILE, busybox: true } },
    prefix: 'security-build',
  });
  // The field lists api-versions up to 2026-01-01 (the stand-in's default); this test asserts no warnings, so the
  // region lists 2026-07-01 (the fallback warning is field-defaults.test.ts's subject).
  beforeAll(() => build.bed.standIn.arm.setApiVersions(APP_API_VERSIONS_WITH_2026_07_01));

  it('its output and its last lines are text: no output, state, mask or annotation, and the action’s error stands', async () => {
    const r = await build.run({
      'job-name': 'hostile-build',
      image: `${build.acr.loginServer}/hostile:1`,
      'build-context': 'app',
      'registry-identity': 'system',
    });
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
    expect(readdirSync(r.runnerTemp).filter((f) => /login/.test(f))).toEqual([]);
  });
});
