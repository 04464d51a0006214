/**
 * Deploy edge cases, end to end against the stand-in: jobs with a sidecar and an init container (only container
 * inputs need container-name; nothing is written before a failure the inputs predict; per-execution overrides keep
 * the whole template), resource IDs that differ only in case (no needless PATCH), and the classic first-run
 * mistakes caught before any write.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_API_VERSIONS_WITH_2026_07_01 } from '../../standin/index.ts';
import { RUN_TAGS, startBed, type Bed, type E2eRun } from '../../test-support/e2e.ts';
import { armJob, armStartBody, type ArmJob } from '../../test-support/arm-json.ts';
import type { JsonObject } from '../../standin/arm/util.ts';

const PG_URL = 'postgres://bob:s1dec4r-pa55@db.example/weather';
const PUBLIC = 'mcr.microsoft.com/k8se/quickstart-jobs:latest';

let bed: Bed;
let workspace: string;
beforeAll(async () => {
  // The field lists api-versions up to 2026-01-01 (the stand-in's default): this file's tests are about what the action
  // does with 2026-07-01's answers (detailedStatus, runningState) and assert no warnings, so the region lists 2026-07-01.
  bed = await startBed({ arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01 } });
  bed.standIn.arm.setLro({ inProgressPolls: 0, retryAfterSec: null });
  workspace = mkdtempSync(join(tmpdir(), 'deploy-edges-'));
});
afterAll(async () => {
  await bed?.close();
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

function run(inputs: Record<string, string>): Promise<E2eRun> {
  return bed.run(inputs, { workspace });
}

function liveJob(name: string): ArmJob {
  return armJob(bed.standIn.arm.getJob(bed.world.resourceGroup, name), `job ${name}`);
}

/** A user-assigned identity's ID as Azure sometimes answers it (`resourcegroups`, lower-case provider). */
function uaiLower(name: string): string {
  return `/subscriptions/${bed.world.subscriptionId}/resourcegroups/${bed.world.resourceGroup.toLowerCase()}/providers/microsoft.managedidentity/userassignedidentities/${name}`;
}
/** The same ID as a user pastes it from the portal. */
function uaiPasted(name: string): string {
  return `/subscriptions/${bed.world.subscriptionId}/resourceGroups/${bed.world.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
}

/** A job with a main container, a sidecar and an init container, pulling with the registry's admin user. */
function seedSidecarJob(name: string, extra: { identity?: JsonObject; registries?: JsonObject[] } = {}): void {
  const server = bed.world.registryServer;
  bed.standIn.arm.seedJob(bed.world.resourceGroup, {
    name,
    location: bed.world.location,
    ...(extra.identity ? { identity: extra.identity } : {}),
    tags: { team: 'data' },
    properties: {
      environmentId: bed.world.environmentId,
      configuration: {
        triggerType: 'Manual',
        replicaTimeout: 300,
        replicaRetryLimit: 0,
        manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
        secrets: [
          { name: 'pg-url', value: PG_URL },
          { name: 'reg-pass', value: bed.world.registryPassword },
        ],
        registries: extra.registries ?? [
          { server, username: bed.world.registryUsername, passwordSecretRef: 'reg-pass' },
        ],
      },
      template: {
        initContainers: [{ name: 'migrate', image: `${server}/migrate:1`, resources: { cpu: 0.25, memory: '0.5Gi' } }],
        containers: [
          {
            name: 'main',
            image: `${server}/weather:1.0`,
            env: [{ name: 'PG_URL', secretRef: 'pg-url' }],
            resources: { cpu: 0.5, memory: '1Gi' },
          },
          { name: 'sidecar', image: PUBLIC, resources: { cpu: 0.25, memory: '0.5Gi' } },
        ],
      },
    },
  });
}

describe('a job with a sidecar and an init container', () => {
  const job = 'sidecar-job';
  beforeAll(() => seedSidecarJob(job));

  it('changes tags, replica-timeout and the trigger without container-name, leaving the containers alone', async () => {
    const before = liveJob(job).properties.template;
    const r = await run({
      'job-name': job,
      tags: 'owner=bob',
      'replica-timeout': '600',
      'trigger-type': 'Schedule',
      'cron-expression': '0 6 * * *',
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('updated');
    expect(r.writes).toEqual([`PATCH Microsoft.App/jobs/${job}`]);
    const after = liveJob(job);
    expect(after.tags).toEqual({ team: 'data', owner: 'bob', ...RUN_TAGS });
    expect(after.properties.configuration?.replicaTimeout).toBe(600);
    expect(after.properties.template).toEqual(before);
    expect(after.properties.configuration?.secrets).toContainEqual({ name: 'pg-url', value: PG_URL });
  });

  it('fails before any write when a container input has no container-name, naming the containers', async () => {
    const r = await run({ 'job-name': job, 'image-tag': '2.0', tags: 'owner=carol' });
    expect(r.exitCode).not.toBe(0);
    expect(r.errors.join('\n')).toMatch(/2 containers \(main, sidecar\).*container-name/);
    expect(r.writes).toEqual([]);
  });

  it('fails before any write when an execution override has no container-name (the deploy would succeed)', async () => {
    const r = await run({
      'job-name': job,
      tags: 'owner=dave',
      start: 'true',
      wait: 'false',
      'execution-env-vars': 'RUN_DATE=2026-11-01',
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.errors.join('\n')).toMatch(/container-name/);
    expect(r.writes).toEqual([]);
    expect(liveJob(job).tags?.owner).toBe('bob');
  });

  it('reports unchanged when the given settings equal the live ones', async () => {
    const r = await run({
      'job-name': job,
      'container-name': 'main',
      image: `${bed.world.registryServer}/weather:1.0`,
      'replica-timeout': '600',
      tags: 'owner=bob',
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('unchanged');
    expect(r.writes).toEqual([]);
  });

  it('starts an execution with overrides that keeps the init container and the sidecar', async () => {
    const r = await run({
      'job-name': job,
      'container-name': 'main',
      start: 'true',
      wait: 'false',
      'execution-env-vars': 'RUN_DATE=2026-11-01',
    });
    expect(r.errors).toEqual([]);
    const start = r.arm.find((q) => q.method === 'POST' && q.path.endsWith('/start'));
    const template = armStartBody(start?.body);
    expect(template.initContainers?.map((c) => c.name)).toEqual(['migrate']);
    expect(template.containers?.map((c) => c.name)).toEqual(['main', 'sidecar']);
    const main = template.containers?.find((c) => c.name === 'main');
    expect(main?.env).toEqual([
      { name: 'PG_URL', secretRef: 'pg-url' },
      { name: 'RUN_DATE', value: '2026-11-01' },
    ]);
  });
});

describe('resource IDs that differ only in case', () => {
  it('takes registry-identity as pasted when Azure answers it in lower case: unchanged, no PATCH', async () => {
    const job = 'case-registry-job';
    const id = uaiLower('id-pull');
    seedSidecarJob(job, {
      identity: { type: 'UserAssigned', userAssignedIdentities: { [id]: {} } },
      registries: [{ server: bed.world.registryServer, identity: id }],
    });
    const r = await run({
      'job-name': job,
      'container-name': 'main',
      image: `${bed.world.registryServer}/weather:1.0`,
      'registry-identity': uaiPasted('id-pull'),
      identity: uaiPasted('id-pull'),
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('unchanged');
    expect(r.writes).toEqual([]);
  });

  it('takes a job-yaml identity in another case as the same identity: no drift, no PATCH', async () => {
    const job = 'case-yaml-job';
    const id = uaiLower('id-files');
    seedSidecarJob(job, { identity: { type: 'UserAssigned', userAssignedIdentities: { [id]: {} } } });
    writeFileSync(
      join(workspace, 'case.yaml'),
      [
        'identity:',
        '  type: UserAssigned',
        '  userAssignedIdentities:',
        `    ${uaiPasted('id-files')}: {}`,
        'properties:',
        `  environmentId: ${bed.world.environmentId.replace('/resourceGroups/', '/resourcegroups/')}`,
        '  configuration:',
        '    replicaTimeout: 300',
        '',
      ].join('\n'),
    );
    const r = await run({ 'job-name': job, 'job-yaml': 'case.yaml' });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.outputs['job-operation']).toBe('unchanged');
    expect(r.writes).toEqual([]);
  });
});

describe('classic mistakes, caught before any write', () => {
  const job = 'classic-job';
  beforeAll(() => seedSidecarJob(job));

  it('an image without a registry host while the job pulls from a registry names the full reference', async () => {
    const r = await run({ 'job-name': job, 'container-name': 'main', image: 'alice-weather-pipeline:1.2' });
    expect(r.exitCode).not.toBe(0);
    expect(r.errors.join('\n')).toContain(`${bed.world.registryServer}/alice-weather-pipeline:1.2`);
    expect(r.writes).toEqual([]);
  });

  it('a secretref to a secret nobody defines names the secret and the fix', async () => {
    const r = await run({ 'job-name': job, 'container-name': 'main', 'env-vars': 'API_KEY=secretref:api-key' });
    expect(r.exitCode).not.toBe(0);
    expect(r.errors.join('\n')).toMatch(/secret 'api-key'.*input 'secrets'/);
    expect(r.writes).toEqual([]);
  });

  it('a secretref to a secret the job already has passes', async () => {
    const r = await run({ 'job-name': job, 'container-name': 'main', 'env-vars': 'DB=secretref:pg-url' });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('updated');
  });

  it('an image without a host and no registry anywhere says it comes from Docker Hub', async () => {
    const r = await run({
      'job-name': 'dockerhub-job',
      environment: bed.world.environment,
      image: 'busybox:1.36',
      'dry-run': 'true',
    });
    expect(r.errors).toEqual([]);
    expect(r.log).toMatch(/busybox:1\.36.*Docker Hub/);
  });
});
