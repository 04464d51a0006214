/**
 * on-failure: rollback, end to end: the bundled action through the runner harness against the stand-in. A failed
 * or timed-out execution after a change puts back everything the step changed (secrets with their old values);
 * a job the step created is left; a job someone else changed meanwhile is not overwritten. (The rollback's own
 * write under faults: rollback-faults.test.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, type Bed } from '../../test-support/e2e.ts';
import { quickLro } from '../../test-support/e2e-suite.ts';
import { CHANGE, rollbackBed, SECRET_BEFORE } from '../../test-support/rollback-bed.ts';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed(quickLro());
});
afterAll(async () => {
  await bed?.close();
});
const { next, image, liveJob, shape, seedJob, failingDeploy } = rollbackBed(() => bed);

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
    const name = next();
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
