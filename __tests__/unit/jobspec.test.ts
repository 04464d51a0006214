import type { Job } from '@azure/arm-appcontainers';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/inputs/config.ts';
import type { JobApi } from '../../src/azure/arm.ts';
import { deploy, desiredJob } from '../../src/job/deploy.ts';
import { diffJobs, jobToWire, toJson, type Obj } from '../../src/job/definition.ts';
import { executionTemplate, hasContainerInputs, targetContainer, type RegistryPlan } from '../../src/job/spec.ts';
import { baseConfig } from '../../test-support/config-fixture.ts';
import { armJobBody } from '../../test-support/arm-json.ts';
import { manualConfiguration } from '../../test-support/fixtures.ts';

const ENV_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-data/providers/Microsoft.App/managedEnvironments/env-data';

function liveJob(): Job {
  return {
    name: 'alice-weather-job',
    location: 'westeurope',
    tags: { team: 'data' },
    environmentId: ENV_ID,
    configuration: manualConfiguration({ registries: [{ server: 'hyfregistry.azurecr.io', identity: 'system' }] }),
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

/** The engine's pure part: the live job with the inputs laid over it, diffed against the live job. */
function plan(
  config: Config,
  live: Job,
  opts: { registry?: RegistryPlan; secrets?: { name: string; value: string }[] } = {},
): ReturnType<typeof diffJobs> {
  const base = jobToWire(live);
  if (opts.secrets) ((base.properties as Obj).configuration as Obj).secrets = toJson(opts.secrets);
  const target = hasContainerInputs(config) ? targetContainer(live, config.containerName).name : undefined;
  return diffJobs(base, desiredJob(config, base, base, { registry: opts.registry ?? {}, target }));
}

/** A dry-run create: the job as it would be sent (no call to Azure but the ones the inputs need). */
async function planCreate(config: Config): Promise<Job> {
  const api = { subscriptionId: '00000000-0000-0000-0000-000000000000' } as JobApi;
  const noop = (): void => undefined;
  const result = await deploy({ ...config, environment: 'env-data', location: 'westeurope', dryRun: true }, undefined, {
    api,
    mask: noop,
    info: noop,
    notice: noop,
    warning: noop,
  });
  expect(result.operation).toBe('created');
  return result.job;
}

describe('create (dry run)', () => {
  it('applies the create defaults a student needs (timeout 300, no retries, 0.5 vCPU / 1Gi, Manual)', async () => {
    const job = await planCreate(
      baseConfig({ image: 'hyfregistry.azurecr.io/alice-weather-pipeline:abc', registry: { identity: 'system' } }),
    );
    expect(job.configuration).toMatchObject({
      triggerType: 'Manual',
      replicaTimeout: 300,
      replicaRetryLimit: 0,
      manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
      registries: [{ server: 'hyfregistry.azurecr.io', identity: 'system' }],
    });
    expect(job.template?.containers?.[0]).toMatchObject({
      name: 'alice-weather-job',
      image: 'hyfregistry.azurecr.io/alice-weather-pipeline:abc',
      resources: { cpu: 0.5, memory: '1Gi' },
    });
    expect(job.identity?.type).toBe('SystemAssigned');
    expect(job.environmentId).toBe(ENV_ID);
  });

  it('builds a schedule trigger with the cron expression', async () => {
    const job = await planCreate(
      baseConfig({
        image: 'mcr.microsoft.com/k8se/quickstart-jobs:1',
        triggerType: 'Schedule',
        cronExpression: '0 6 * * *',
      }),
    );
    expect(job.configuration?.scheduleTriggerConfig).toEqual({
      cronExpression: '0 6 * * *',
      parallelism: 1,
      replicaCompletionCount: 1,
    });
    expect(job.configuration?.manualTriggerConfig).toBeUndefined();
  });

  it('refuses an Event trigger from inputs (scale rules need job-yaml)', async () => {
    await expect(
      planCreate(baseConfig({ image: 'mcr.microsoft.com/k8se/quickstart-jobs:1', triggerType: 'Event' })),
    ).rejects.toThrow(/job-yaml/);
  });
});

describe('update plan (inputs laid over the live job, one diff)', () => {
  it('changes only the image when only image-tag is given, keeping repository, env and secrets', () => {
    const p = plan(baseConfig({ imageTag: '2.0' }), liveJob());
    expect(p.changes).toEqual([
      {
        field: 'template.containers[alice-weather-job].image',
        from: 'hyfregistry.azurecr.io/alice-weather-pipeline:1.0',
        to: 'hyfregistry.azurecr.io/alice-weather-pipeline:2.0',
      },
    ]);
    expect(p.patch).toEqual({
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
    const p = plan(
      baseConfig({
        image: 'hyfregistry.azurecr.io/alice-weather-pipeline:1.0',
        replicaTimeout: 300,
        envVars: [{ name: 'LOG_LEVEL', value: 'INFO' }],
        tags: { team: 'data' },
        triggerType: 'Manual',
      }),
      liveJob(),
    );
    expect(p.patch).toBeUndefined();
    expect(p.changes).toEqual([]);
  });

  it('merges env vars by default and replaces them with env-vars-update: replace', () => {
    const merged = plan(baseConfig({ envVars: [{ name: 'RUN_MODE', value: 'full' }] }), liveJob());
    expect(armJobBody(merged.patch).properties?.template?.containers?.[0]?.env).toEqual([
      { name: 'LOG_LEVEL', value: 'INFO' },
      { name: 'POSTGRES_URL', secretRef: 'postgres-url' },
      { name: 'RUN_MODE', value: 'full' },
    ]);
    const replaced = plan(
      baseConfig({ envVars: [{ name: 'RUN_MODE', value: 'full' }], envVarsUpdate: 'replace' }),
      liveJob(),
    );
    expect(armJobBody(replaced.patch).properties?.template?.containers?.[0]?.env).toEqual([
      { name: 'RUN_MODE', value: 'full' },
    ]);
    expect(replaced.changes.map((c) => c.field)).toEqual([
      'template.containers[alice-weather-job].env[LOG_LEVEL]',
      'template.containers[alice-weather-job].env[POSTGRES_URL]',
      'template.containers[alice-weather-job].env[RUN_MODE]',
    ]);
  });

  it('sends the full secrets list (existing values kept) when adding a secret, with required configuration fields', () => {
    const p = plan(baseConfig({ secrets: [{ name: 'storage-key', value: 's3cr3t-new' }] }), liveJob(), {
      secrets: [{ name: 'postgres-url', value: 'postgres://x' }],
    });
    expect(armJobBody(p.patch).properties?.configuration).toEqual({
      triggerType: 'Manual',
      replicaTimeout: 300,
      secrets: [
        { name: 'postgres-url', value: 'postgres://x' },
        { name: 'storage-key', value: 's3cr3t-new' },
      ],
    });
    expect(JSON.stringify(p.changes)).not.toContain('s3cr3t-new');
  });

  it('writes nothing when a given secret already has that value', () => {
    const p = plan(baseConfig({ secrets: [{ name: 'postgres-url', value: 'postgres://x' }] }), liveJob(), {
      secrets: [{ name: 'postgres-url', value: 'postgres://x' }],
    });
    expect(p.patch).toBeUndefined();
  });

  it('switches Manual to Schedule, clearing the manual trigger block', () => {
    const p = plan(baseConfig({ triggerType: 'Schedule', cronExpression: '0 6 * * *' }), liveJob());
    expect(armJobBody(p.patch).properties?.configuration).toEqual({
      triggerType: 'Schedule',
      replicaTimeout: 300,
      scheduleTriggerConfig: { parallelism: 1, replicaCompletionCount: 1, cronExpression: '0 6 * * *' },
      manualTriggerConfig: null,
    });
  });

  it('changes the replica timeout and adds a tag without dropping existing ones', () => {
    const p = plan(baseConfig({ replicaTimeout: 600, tags: { owner: 'alice' } }), liveJob());
    expect(p.patch).toEqual({
      properties: { configuration: { triggerType: 'Manual', replicaTimeout: 600 } },
      tags: { owner: 'alice' },
    });
  });

  it('asks for container-name when a container input meets several containers', () => {
    const job = liveJob();
    job.template!.containers!.push({ name: 'sidecar', image: 'busybox' });
    expect(() => plan(baseConfig({ imageTag: '2' }), job)).toThrow(/set input 'container-name'/);
  });

  it('changes tags and the timeout of a job with several containers without container-name', () => {
    const job = liveJob();
    job.template!.containers!.push({ name: 'sidecar', image: 'busybox' });
    const p = plan(baseConfig({ replicaTimeout: 60, tags: { owner: 'bob' } }), job);
    expect(Object.keys(armJobBody(p.patch).properties ?? {})).toEqual(['configuration']);
  });

  it('sees a user-assigned identity pasted in another case as the same one (no change)', () => {
    const lower =
      '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-data/providers/microsoft.managedidentity/userassignedidentities/id-pull';
    const job = liveJob();
    job.identity = { type: 'UserAssigned', userAssignedIdentities: { [lower]: {} } };
    job.configuration!.registries = [{ server: 'hyfregistry.azurecr.io', identity: lower }];
    const pasted =
      '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-data/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-pull';
    const p = plan(baseConfig({ identity: { system: false, userAssigned: [pasted] } }), job, {
      registry: {
        credentials: { server: 'hyfregistry.azurecr.io', identity: pasted },
        identity: { userAssigned: pasted },
      },
    });
    expect(p.patch).toBeUndefined();
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
  it('keeps the init containers and the other containers (Azure replaces the template whole)', () => {
    const job = liveJob();
    job.template!.containers!.push({ name: 'sidecar', image: 'busybox:1', env: [{ name: 'A', value: '1' }] });
    job.template!.initContainers = [{ name: 'migrate', image: 'hyfregistry.azurecr.io/migrate:1' }];
    const t = executionTemplate(
      baseConfig({ containerName: 'alice-weather-job', execution: { args: ['--full'] } }),
      job,
    );
    expect(t?.initContainers).toEqual([{ name: 'migrate', image: 'hyfregistry.azurecr.io/migrate:1' }]);
    expect(t?.containers?.map((c) => [c.name, c.args])).toEqual([
      ['alice-weather-job', ['--full']],
      ['sidecar', undefined],
    ]);
    expect(t?.containers?.[1]?.env).toEqual([{ name: 'A', value: '1' }]);
  });
  it('is absent without overrides', () => {
    expect(executionTemplate(baseConfig(), liveJob())).toBeUndefined();
  });
});
