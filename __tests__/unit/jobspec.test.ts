import type { Job } from '@azure/arm-appcontainers';
import { describe, expect, it } from 'vitest';
import { buildNewJob, executionTemplate, planUpdate } from '../../src/job/spec.ts';
import { baseConfig } from '../../test-support/config-fixture.ts';

const ENV_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-data/providers/Microsoft.App/managedEnvironments/env-data';

function liveJob(): Job {
  return {
    name: 'alice-weather-job',
    location: 'westeurope',
    tags: { team: 'data' },
    environmentId: ENV_ID,
    configuration: {
      triggerType: 'Manual',
      replicaTimeout: 300,
      replicaRetryLimit: 0,
      manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
      secrets: [{ name: 'postgres-url' }],
      registries: [{ server: 'hyfregistry.azurecr.io', identity: 'system' }],
    },
    template: {
      containers: [
        {
          name: 'alice-weather-job',
          image: 'hyfregistry.azurecr.io/alice-weather-pipeline:1.0',
          env: [
            { name: 'LOG_LEVEL', value: 'INFO' },
            { name: 'POSTGRES_URL', secretRef: 'postgres-url' },
          ],
          resources: { cpu: 0.5, memory: '1Gi' },
        },
      ],
    },
  };
}

describe('buildNewJob', () => {
  it('applies the create defaults a student needs (timeout 300, no retries, 0.5 vCPU / 1Gi, Manual)', () => {
    const job = buildNewJob(baseConfig({ image: 'hyfregistry.azurecr.io/alice-weather-pipeline:abc' }), {
      environmentId: ENV_ID,
      location: 'westeurope',
      image: 'hyfregistry.azurecr.io/alice-weather-pipeline:abc',
      registry: { credentials: { server: 'hyfregistry.azurecr.io', identity: 'system' }, identity: { system: true } },
    });
    expect(job.configuration).toMatchObject({
      triggerType: 'Manual',
      replicaTimeout: 300,
      replicaRetryLimit: 0,
      manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
      registries: [{ server: 'hyfregistry.azurecr.io', identity: 'system' }],
    });
    expect(job.template?.containers?.[0]).toMatchObject({
      name: 'alice-weather-job',
      resources: { cpu: 0.5, memory: '1Gi' },
    });
    expect(job.identity?.type).toBe('SystemAssigned');
  });

  it('builds a schedule trigger with the cron expression', () => {
    const job = buildNewJob(baseConfig({ image: 'nginx:1', triggerType: 'Schedule', cronExpression: '0 6 * * *' }), {
      environmentId: ENV_ID,
      location: 'westeurope',
      image: 'nginx:1',
      registry: {},
    });
    expect(job.configuration?.scheduleTriggerConfig).toEqual({
      cronExpression: '0 6 * * *',
      parallelism: 1,
      replicaCompletionCount: 1,
    });
    expect(job.configuration?.manualTriggerConfig).toBeUndefined();
  });
});

describe('planUpdate', () => {
  it('changes only the image when only image-tag is given, keeping repository, env and secrets', () => {
    const plan = planUpdate(baseConfig({ imageTag: '2.0' }), liveJob(), { registry: {} });
    expect(plan.changes).toEqual([
      {
        field: 'image',
        from: 'hyfregistry.azurecr.io/alice-weather-pipeline:1.0',
        to: 'hyfregistry.azurecr.io/alice-weather-pipeline:2.0',
      },
    ]);
    expect(plan.patch).toEqual({
      properties: {
        template: {
          containers: [
            { ...liveJob().template!.containers![0], image: 'hyfregistry.azurecr.io/alice-weather-pipeline:2.0' },
          ],
        },
      },
    });
  });

  it('reports no patch when the job already matches', () => {
    const plan = planUpdate(
      baseConfig({
        image: 'hyfregistry.azurecr.io/alice-weather-pipeline:1.0',
        replicaTimeout: 300,
        envVars: [{ name: 'LOG_LEVEL', value: 'INFO' }],
      }),
      liveJob(),
      { registry: {} },
    );
    expect(plan.patch).toBeUndefined();
    expect(plan.changes).toEqual([]);
  });

  it('merges env vars by default and replaces them with env-vars-update: replace', () => {
    const merged = planUpdate(baseConfig({ envVars: [{ name: 'RUN_MODE', value: 'full' }] }), liveJob(), {
      registry: {},
    });
    expect(merged.patch?.properties?.template?.containers?.[0]?.env).toEqual([
      { name: 'LOG_LEVEL', value: 'INFO' },
      { name: 'POSTGRES_URL', secretRef: 'postgres-url' },
      { name: 'RUN_MODE', value: 'full' },
    ]);
    const replaced = planUpdate(
      baseConfig({ envVars: [{ name: 'RUN_MODE', value: 'full' }], envVarsUpdate: 'replace' }),
      liveJob(),
      { registry: {} },
    );
    expect(replaced.patch?.properties?.template?.containers?.[0]?.env).toEqual([{ name: 'RUN_MODE', value: 'full' }]);
    expect(replaced.changes.map((c) => c.field)).toEqual(['env LOG_LEVEL', 'env POSTGRES_URL', 'env RUN_MODE']);
  });

  it('sends the full secrets list (existing values kept) when adding a secret, with required configuration fields', () => {
    const plan = planUpdate(baseConfig({ secrets: [{ name: 'storage-key', value: 's3cr3t-new' }] }), liveJob(), {
      registry: {},
      existingSecrets: [{ name: 'postgres-url', value: 'postgres://x' }],
    });
    expect(plan.patch?.properties?.configuration).toEqual({
      triggerType: 'Manual',
      replicaTimeout: 300,
      secrets: [
        { name: 'postgres-url', value: 'postgres://x' },
        { name: 'storage-key', value: 's3cr3t-new' },
      ],
    });
    expect(JSON.stringify(plan.changes)).not.toContain('s3cr3t-new');
  });

  it('writes nothing when a given secret already has that value', () => {
    const plan = planUpdate(baseConfig({ secrets: [{ name: 'postgres-url', value: 'postgres://x' }] }), liveJob(), {
      registry: {},
      existingSecrets: [{ name: 'postgres-url', value: 'postgres://x' }],
    });
    expect(plan.patch).toBeUndefined();
  });

  it('switches Manual to Schedule, clearing the manual trigger block', () => {
    const plan = planUpdate(baseConfig({ triggerType: 'Schedule', cronExpression: '0 6 * * *' }), liveJob(), {
      registry: {},
    });
    expect(plan.patch?.properties?.configuration).toEqual({
      triggerType: 'Schedule',
      replicaTimeout: 300,
      scheduleTriggerConfig: { parallelism: 1, replicaCompletionCount: 1, cronExpression: '0 6 * * *' },
      manualTriggerConfig: null,
    });
  });

  it('changes the replica timeout and merges tags without dropping existing ones', () => {
    const plan = planUpdate(baseConfig({ replicaTimeout: 600, tags: { owner: 'alice' } }), liveJob(), { registry: {} });
    expect(plan.patch).toEqual({
      properties: { configuration: { triggerType: 'Manual', replicaTimeout: 600 } },
      tags: { team: 'data', owner: 'alice' },
    });
  });

  it('asks for container-name when the job has several containers', () => {
    const job = liveJob();
    job.template!.containers!.push({ name: 'sidecar', image: 'busybox' });
    expect(() => planUpdate(baseConfig({ imageTag: '2' }), job, { registry: {} })).toThrow(
      /set input 'container-name'/,
    );
  });
});

describe('executionTemplate', () => {
  it('overrides env for one execution, merged over the job env', () => {
    const t = executionTemplate(
      baseConfig({ execution: { envVars: [{ name: 'RUN_DATE', value: '2026-11-01' }] } }),
      liveJob(),
    );
    expect(t?.containers?.[0]?.env).toEqual([
      { name: 'LOG_LEVEL', value: 'INFO' },
      { name: 'POSTGRES_URL', secretRef: 'postgres-url' },
      { name: 'RUN_DATE', value: '2026-11-01' },
    ]);
    expect(t?.containers?.[0]?.image).toBe('hyfregistry.azurecr.io/alice-weather-pipeline:1.0');
  });
  it('is absent without overrides', () => {
    expect(executionTemplate(baseConfig(), liveJob())).toBeUndefined();
  });
});
