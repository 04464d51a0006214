/**
 * on-failure: rollback, end to end: the bundled action through the runner harness against the stand-in. A failed
 * or timed-out execution after a change puts back everything the step changed (secrets with their old values);
 * a job the step created is left; a job someone else changed meanwhile is not overwritten; the rollback's own
 * write survives throttling, a dropped answer and a busy job without losing a secret or leaving a half-written job.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, type Bed, type E2eRun } from '../../test-support/e2e.ts';
import { quickLro } from '../../test-support/e2e-suite.ts';

/** What the tests read of a job as the stand-in keeps it (secret values included). */
interface LiveJob {
  tags?: Record<string, string>;
  properties: {
    provisioningState?: string;
    configuration: Record<string, unknown> & { secrets?: { name: string; value?: string }[] };
    template: { containers: { image?: string }[] };
  };
}

let bed: Bed;
let seq = 0;
beforeAll(async () => {
  bed = await startBed(quickLro());
});
afterAll(async () => {
  await bed?.close();
});

const image = (tag: string): string => `${bed.world.registryServer}/pipeline:${tag}`;
const liveJob = (name: string): LiveJob => bed.standIn.arm.getJob(bed.world.resourceGroup, name) as unknown as LiveJob;

/** The parts of a job a rollback must put back (secrets with values), without the run record. */
function shape(name: string) {
  const j = liveJob(name);
  const tags = Object.fromEntries(Object.entries(j.tags ?? {}).filter(([k]) => !k.startsWith('github-')));
  return {
    tags,
    configuration: {
      triggerType: j.properties.configuration.triggerType,
      replicaTimeout: j.properties.configuration.replicaTimeout,
      manualTriggerConfig: j.properties.configuration.manualTriggerConfig,
      scheduleTriggerConfig: j.properties.configuration.scheduleTriggerConfig,
      secrets: j.properties.configuration.secrets,
      registries: j.properties.configuration.registries,
    },
    template: j.properties.template,
  };
}

/** A job made by a first run: image v1, two env vars, a secret, a tag. */
async function seedJob(): Promise<string> {
  const name = `rb-job-${++seq}`;
  const r = await bed.run({
    'job-name': name,
    environment: bed.world.environment,
    image: image('1'),
    'env-vars': 'MODE=full\nAPI_KEY=secretref:api-key',
    secrets: 'api-key=old-key-value-111',
    tags: 'team=data',
  });
  expect(r.errors).toEqual([]);
  return name;
}

/** The change a failing deploy makes: image, env, the secret's value, resources, a tag. */
const CHANGE = {
  image: '',
  'env-vars': 'MODE=lite\nNEW_FLAG=1',
  secrets: 'api-key=new-key-value-222',
  cpu: '1',
  memory: '2Gi',
  tags: 'team=ml',
  start: 'true',
  'on-failure': 'rollback',
};

async function failingDeploy(name: string, extra: Record<string, string> = {}): Promise<E2eRun> {
  bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, name, { outcome: 'Failed', exitCode: 3 });
  return bed.run({ 'job-name': name, ...CHANGE, image: image('2'), ...extra });
}

const SECRET_BEFORE = { name: 'api-key', value: 'old-key-value-111' };

describe('on-failure: rollback', () => {
  it('puts back everything the step changed when the execution fails, and says what in one error', async () => {
    const name = await seedJob();
    const before = shape(name);
    const r = await failingDeploy(name);
    expect(r.exitCode).toBe(1);
    expect(r.outputs['job-operation']).toBe('updated');
    expect(r.outputs['rolled-back']).toBe('true');
    // The image output is what is deployed now: the image from before the step.
    expect(r.outputs.image).toBe(image('1'));
    expect(r.errors).toHaveLength(1);
    const error = r.errors[0]!;
    expect(error).toMatch(/^Execution '.*' of job 'rb-job-\d+' ended Failed/);
    expect(error).toContain('The job was rolled back: ');
    expect(error).toContain(`image ${image('1')}`);
    expect(error).toContain('env MODE=full');
    expect(error).toContain('secret api-key');
    expect(error).not.toContain('old-key-value');
    const after = shape(name);
    expect(after).toEqual(before);
    expect(after.configuration.secrets).toContainEqual(SECRET_BEFORE);
    // One write forward, one back.
    expect(r.writes.filter((w) => w.startsWith('PATCH'))).toHaveLength(2);
    expect(r.summary).toContain('Rolled back:');
  });

  it('rolls back when the execution does not finish in time (stopped on timeout)', async () => {
    const name = await seedJob();
    const before = shape(name);
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, name, { outcome: 'Hang' });
    const r = await bed.run({ 'job-name': name, ...CHANGE, image: image('2'), timeout: '2s' });
    expect(r.errors).toEqual([
      expect.stringMatching(/did not finish within 2 s and was stopped.*rolled back: .*image/s),
    ]);
    expect(r.outputs['rolled-back']).toBe('true');
    expect(shape(name)).toEqual(before);
  });

  it('leaves the job as deployed when the execution succeeds (rolled-back false)', async () => {
    const name = await seedJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, name, { outcome: 'Succeeded' });
    const r = await bed.run({ 'job-name': name, ...CHANGE, image: image('2') });
    expect(r.errors).toEqual([]);
    expect(r.outputs['rolled-back']).toBe('false');
    expect(liveJob(name).properties.template.containers[0]!.image).toBe(image('2'));
  });

  it('leaves a job this step created as it is, and says so', async () => {
    const name = `rb-job-${++seq}`;
    // The job does not exist yet, so its first execution follows the default script.
    const saved = bed.standIn.arm.defaultExecutionScript;
    bed.standIn.arm.setDefaultExecutionScript({ outcome: 'Failed', exitCode: 2 });
    try {
      const r = await bed.run({
        'job-name': name,
        environment: bed.world.environment,
        image: image('1'),
        start: 'true',
        'on-failure': 'rollback',
      });
      expect(r.exitCode).toBe(1);
      expect(r.outputs['job-operation']).toBe('created');
      expect(r.errors).toEqual([expect.stringMatching(/ended Failed.*created by this step.*left as it is/s)]);
      expect(r.outputs['rolled-back']).toBe('false');
      expect(liveJob(name)).toBeDefined();
      expect(r.writes.filter((w) => w.startsWith('PATCH'))).toEqual([]);
    } finally {
      bed.standIn.arm.setDefaultExecutionScript(saved);
    }
  });

  it('does not overwrite a change someone else made while the execution ran', async () => {
    const name = await seedJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, name, {
      outcome: 'Failed',
      exitCode: 3,
      durationMs: 1500,
    });
    let changed = false;
    const r = await bed.run(
      { 'job-name': name, ...CHANGE, image: image('2') },
      {
        // Someone else tags the job (as the portal would) once the execution has started.
        onLog: (line) => {
          if (changed || !/^Started execution/.test(line)) return;
          changed = true;
          const job = liveJob(name);
          const body = { ...job, tags: { ...job.tags, owner: 'bob' } };
          bed.standIn.arm.seedJob(
            bed.world.resourceGroup,
            body as unknown as Parameters<typeof bed.standIn.arm.seedJob>[1],
            {
              name,
            },
          );
        },
      },
    );
    expect(changed).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(r.outputs['rolled-back']).toBe('false');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/ended Failed/);
    expect(r.errors[0]).toMatch(/Not rolled back: job '.*' was changed after this step wrote it \(tags\.owner\)/);
    // Their change and ours stay; nothing was written back.
    expect(liveJob(name).tags!.owner).toBe('bob');
    expect(liveJob(name).properties.template.containers[0]!.image).toBe(image('2'));
    expect(r.writes.filter((w) => w.startsWith('PATCH'))).toHaveLength(1);
  });
});

describe('on-failure: rollback with a job-yaml file', () => {
  it('puts back what the file changed: the trigger and its schedule, the replica timeout, a new env var', async () => {
    const name = await seedJob();
    const before = shape(name);
    const workspace = mkdtempSync(join(tmpdir(), 'rollback-yaml-'));
    try {
      writeFileSync(
        join(workspace, 'job.yaml'),
        [
          'properties:',
          '  configuration:',
          '    triggerType: Schedule',
          '    replicaTimeout: 900',
          '    scheduleTriggerConfig:',
          "      cronExpression: '0 6 * * *'",
          '  template:',
          '    containers:',
          `      - name: ${name}`,
          '        env:',
          '          - name: MODE',
          '            value: full',
          '          - name: API_KEY',
          '            secretRef: api-key',
          '          - name: FROM_FILE',
          "            value: 'yes'",
          '',
        ].join('\n'),
      );
      bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, name, { outcome: 'Failed', exitCode: 4 });
      const r = await bed.run(
        { 'job-name': name, 'job-yaml': 'job.yaml', image: image('3'), start: 'true', 'on-failure': 'rollback' },
        { workspace },
      );
      expect(r.outputs['job-operation']).toBe('updated');
      expect(r.outputs['rolled-back']).toBe('true');
      expect(r.errors).toEqual([expect.stringMatching(/The job was rolled back: .*trigger Manual/)]);
      expect(shape(name)).toEqual(before);
      expect(liveJob(name).properties.configuration.scheduleTriggerConfig ?? null).toBeNull();
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });
});

describe('on-failure: rollback under faults on its own write', () => {
  const cases: [string, () => void][] = [
    ['throttled (429)', () => bed.standIn.faults.throttle({ host: 'arm', method: 'PATCH', skip: 1 }, 1)],
    ['dropped after Azure acted', () => bed.standIn.faults.dropAfter({ host: 'arm', method: 'PATCH', skip: 1 })],
    [
      'refused with 409 (another operation in progress)',
      () =>
        bed.standIn.faults.add({
          host: 'arm',
          method: 'PATCH',
          skip: 1,
          times: 2,
          kind: 'status',
          status: 409,
          code: 'ContainerAppLockConflict',
          message:
            'Cannot modify container App because another modification is in progress. Please retry the operation.',
        }),
    ],
  ];
  for (const [label, inject] of cases) {
    it(`puts the job back whole, secrets included, when the rollback's PATCH is ${label}`, async () => {
      const name = await seedJob();
      const before = shape(name);
      inject();
      try {
        const r = await failingDeploy(name);
        expect(bed.standIn.faults.active.every((f) => f.remaining === 0)).toBe(true);
        // A lost or busy answer is settled by reading the job back, not by writing blindly again.
        if (!label.startsWith('throttled'))
          expect(r.log).toMatch(/reading the job back in \d+ s to see whether it was written/);
        expect(r.outputs['rolled-back']).toBe('true');
        expect(r.errors).toEqual([expect.stringMatching(/The job was rolled back: .*image/)]);
        expect(shape(name)).toEqual(before);
        expect(liveJob(name).properties.provisioningState).toBe('Succeeded');
      } finally {
        bed.standIn.faults.clear();
      }
    });
  }
});
