/**
 * The core of the action, end to end: the bundled dist/index.js run as the GitHub runner runs it, against the
 * HTTPS stand-in of GitHub OIDC, Entra ID and Azure Resource Manager.
 *
 * Part of the core suite (split for parallel runs): deploy (create, update, unchanged, secrets, triggers,
 * registries).
 */
import { describe, expect, it } from 'vitest';
import { RUN_TAGS, startBed } from '../../test-support/e2e.ts';
import { quickLro, suiteBed } from '../../test-support/e2e-suite.ts';
import { armJob, armJobBody, type ArmJob } from '../../test-support/arm-json.ts';

const PG_URL = 'postgres://alice:pa55-w0rd-xyz@db.example/weather';

const bed = suiteBed('deploy-job', quickLro());

function image(tag: string): string {
  return `${bed.world.registryServer}/alice-weather-pipeline:${tag}`;
}

/** What the action itself printed, apart from the ::add-mask:: commands that hide values. */
function printed(r: { stdout: string; post?: { stdout: string } }): string {
  return (r.stdout + (r.post?.stdout ?? ''))
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
}

function liveJob(name: string): ArmJob {
  return armJob(bed.standIn.arm.getJob(bed.world.resourceGroup, name), `job ${name}`);
}

describe('deploy', () => {
  const job = 'alice-weather-job';

  it('creates a job with the create defaults, env vars, a secret and ACR admin credentials', async () => {
    const r = await bed.run({
      'job-name': job,
      environment: bed.world.environment,
      image: image('1.0'),
      'env-vars': 'LOG_LEVEL=INFO\nPOSTGRES_URL=secretref:postgres-url',
      secrets: `postgres-url=${PG_URL}`,
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs['job-operation']).toBe('created');
    expect(r.outputs['job-id']).toBe(
      `/subscriptions/${bed.world.subscriptionId}/resourceGroups/${bed.world.resourceGroup}/providers/Microsoft.App/jobs/${job}`,
    );
    expect(r.outputs.image).toBe(image('1.0'));
    expect(r.writes).toEqual([`PUT Microsoft.App/jobs/${job}`]);

    const props = liveJob(job).properties;
    expect(props.environmentId).toBe(bed.world.environmentId);
    expect(props.configuration).toMatchObject({
      triggerType: 'Manual',
      replicaTimeout: 300,
      replicaRetryLimit: 0,
      manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
    });
    expect(props.configuration?.registries).toEqual([
      expect.objectContaining({ server: bed.world.registryServer, username: bed.world.registryUsername }),
    ]);
    const secretNames = (props.configuration?.secrets ?? []).map((s) => s.name).sort();
    expect(secretNames).toHaveLength(2);
    expect(props.configuration?.secrets).toContainEqual({ name: 'postgres-url', value: PG_URL });
    expect(props.template?.containers?.[0]).toMatchObject({
      name: job,
      image: image('1.0'),
      env: [
        { name: 'LOG_LEVEL', value: 'INFO' },
        { name: 'POSTGRES_URL', secretRef: 'postgres-url' },
      ],
      resources: { cpu: 0.5, memory: '1Gi' },
    });
    // The admin password is masked and the user is told to prefer an identity.
    expect(r.masks).toContain(bed.world.registryPassword);
    expect(r.notices.join('\n')).toMatch(/registry-identity/);
    for (const secret of [PG_URL, bed.world.registryPassword]) {
      expect(printed(r)).not.toContain(secret);
      expect(r.summary).not.toContain(secret);
      expect(JSON.stringify(r.outputs)).not.toContain(secret);
    }
    expect(r.summary).toContain('**created**');
  });

  it('updates only the image tag with PATCH, keeping env vars and secrets', async () => {
    const r = await bed.run({ 'job-name': job, 'image-tag': '1.1' });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('updated');
    expect(r.outputs.image).toBe(image('1.1'));
    expect(r.writes).toEqual([`PATCH Microsoft.App/jobs/${job}`]);
    const patch = armJobBody(r.arm.find((q) => q.method === 'PATCH')?.body);
    // The image, and the run record (tags) riding on the same write.
    expect(Object.keys(patch).sort()).toEqual(['properties', 'tags']);
    expect(patch.tags).toEqual(RUN_TAGS);
    expect(Object.keys(patch.properties ?? {})).toEqual(['template']);
    const props = liveJob(job).properties;
    expect(props.template?.containers?.[0]?.image).toBe(image('1.1'));
    expect(props.template?.containers?.[0]?.env).toHaveLength(2);
    expect(props.configuration?.secrets).toContainEqual({ name: 'postgres-url', value: PG_URL });
    expect(r.log).toMatch(/image: .*:1\.0 -> .*:1\.1/);
  });

  it('reports unchanged and writes nothing when the job already matches', async () => {
    const r = await bed.run({ 'job-name': job, image: image('1.1'), 'env-vars': 'LOG_LEVEL=INFO' });
    expect(r.exitCode).toBe(0);
    expect(r.outputs['job-operation']).toBe('unchanged');
    expect(r.writes).toEqual([]);
    expect(r.summary).toContain('nothing was written');
  });

  it('adds a secret without losing the existing ones, and replaces env vars when asked', async () => {
    const r = await bed.run({
      'job-name': job,
      secrets: 'storage-key=st0rage-k3y-value',
      'env-vars': 'STORAGE_KEY=secretref:storage-key',
      'env-vars-update': 'replace',
    });
    expect(r.errors).toEqual([]);
    expect(r.writes).toEqual([`PATCH Microsoft.App/jobs/${job}`]);
    expect(r.arm.map((q) => q.method + ' ' + q.path.split('/').pop())).toContain('POST listSecrets');
    const props = liveJob(job).properties;
    expect(props.configuration?.secrets).toContainEqual({ name: 'postgres-url', value: PG_URL });
    expect(props.configuration?.secrets).toContainEqual({ name: 'storage-key', value: 'st0rage-k3y-value' });
    expect(props.template?.containers?.[0]?.env).toEqual([{ name: 'STORAGE_KEY', secretRef: 'storage-key' }]);
    expect(printed(r)).not.toContain('st0rage-k3y-value');
    expect(r.masks).toContain('st0rage-k3y-value');
  });

  it('changes the trigger to a schedule and the replica timeout', async () => {
    const r = await bed.run({
      'job-name': job,
      'trigger-type': 'Schedule',
      'cron-expression': '0 6 * * *',
      'replica-timeout': '600',
    });
    expect(r.errors).toEqual([]);
    const conf = liveJob(job).properties.configuration;
    expect(conf?.triggerType).toBe('Schedule');
    expect(conf?.scheduleTriggerConfig).toMatchObject({ cronExpression: '0 6 * * *' });
    expect(conf?.manualTriggerConfig ?? null).toBeNull();
    expect(conf?.replicaTimeout).toBe(600);
    expect(conf?.secrets).toHaveLength(3);
    // What a schedule means for cost, once, when it starts: it runs until the job is deleted, in UTC.
    expect(r.notices).toEqual([
      expect.stringMatching(
        /^Job '.+' now runs on its own on schedule '0 6 \* \* \*' \(UTC\), every time, until the job is deleted or its trigger changed: each run is billed per vCPU-second and GiB-second of its replicas\. Next runs \(UTC\) of '0 6 \* \* \*': \d{4}-\d\d-\d\d 06:00, /,
      ),
    ]);
    const again = await bed.run({ 'job-name': job, 'trigger-type': 'Schedule', 'cron-expression': '0 6 * * *' });
    expect(again.outputs['job-operation']).toBe('unchanged');
    expect(again.notices).toEqual([]);
  });

  it('fails with the fix when creating a job without an environment, and writes nothing', async () => {
    const r = await bed.run({ 'job-name': 'bob-weather-job', image: image('1.0') });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/needs input 'environment'/);
    expect(r.writes).toEqual([]);
  });

  it('fails when the environment does not exist, naming it', async () => {
    const r = await bed.run({ 'job-name': 'bob-weather-job', image: image('1.0'), environment: 'env-nope' });
    expect(r.errors).toEqual([expect.stringMatching(/environment 'env-nope' was not found in resource group/)]);
    expect(r.writes).toEqual([]);
  });

  it('fails before writing when the registry admin user is disabled', async () => {
    const other = await startBed({}, { registryAdminUserEnabled: false });
    try {
      const r = await other.run({
        'job-name': 'carol-job',
        environment: other.world.environment,
        image: `${other.world.registryServer}/carol:1`,
      });
      expect(r.errors).toEqual([expect.stringMatching(/admin user disabled.*registry-identity.*AcrPull/)]);
      expect(r.writes).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('creates a job that pulls with a managed identity when registry-identity is system', async () => {
    const r = await bed.run({
      'job-name': 'dave-job',
      environment: bed.world.environment,
      image: image('2.0'),
      'registry-identity': 'system',
    });
    expect(r.errors).toEqual([]);
    const j = liveJob('dave-job');
    expect(j.identity?.type).toBe('SystemAssigned');
    expect(j.properties.configuration?.registries).toEqual([{ server: bed.world.registryServer, identity: 'system' }]);
    expect(j.properties.configuration?.secrets ?? []).toEqual([]);
  });
});
