import type { Job, JobPatchProperties } from '@azure/arm-appcontainers';
import { describe, expect, it } from 'vitest';
import { mergePatch, jobToWire, same, toJson, type Json } from '../../src/job/definition.ts';
import { rollbackPatch } from '../../src/job/rollback.ts';
import { deploy } from '../../src/job/deploy.ts';
import type { JobApi } from '../../src/azure/arm.ts';
import { baseConfig } from '../../test-support/config-fixture.ts';
import { manualConfiguration } from '../../test-support/fixtures.ts';

const UAI =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-data/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-pull';

function before(): Job {
  return {
    name: 'alice-weather-job',
    location: 'westeurope',
    tags: { team: 'data' },
    configuration: manualConfiguration(), // secrets as GET returns them: names only
    template: {
      containers: [
        {
          name: 'main',
          image: 'hyfregistry.azurecr.io/weather:1.0',
          env: [{ name: 'LOG_LEVEL', value: 'INFO' }],
          resources: { cpu: 0.5, memory: '1Gi' },
        },
      ],
    },
  };
}

/** The live job after a merge patch, as the wire shape (what Azure would hold). */
function apply(job: Job, patch: JobPatchProperties, secrets?: { name: string; value: string }[]): unknown {
  const wire = jobToWire(job);
  if (secrets) (wire.properties as { configuration: { secrets: unknown } }).configuration.secrets = secrets;
  return mergePatch(wire, toJson(patch));
}

describe('rollbackPatch', () => {
  it('puts back the image, env vars, secrets (with the values read before), trigger, tags and identity', () => {
    const values = [{ name: 'postgres-url', value: 'postgres://old' }];
    const written: JobPatchProperties = {
      tags: { owner: 'alice' },
      identity: { type: 'UserAssigned', userAssignedIdentities: { [UAI]: {} } },
      properties: {
        configuration: {
          triggerType: 'Schedule',
          replicaTimeout: 600,
          manualTriggerConfig: null as never,
          scheduleTriggerConfig: { cronExpression: '0 6 * * *', parallelism: 1, replicaCompletionCount: 1 },
          secrets: [
            { name: 'postgres-url', value: 'postgres://new' },
            { name: 'api-key', value: 'k3y' },
          ],
        },
        template: {
          containers: [
            {
              name: 'main',
              image: 'hyfregistry.azurecr.io/weather:2.0',
              env: [{ name: 'RUN_MODE', value: 'full' }],
              resources: { cpu: 1, memory: '2Gi' },
            },
          ],
        },
      },
    };
    const restore = rollbackPatch(before(), written, values);
    expect(restore.properties?.configuration).toEqual({
      triggerType: 'Manual',
      replicaTimeout: 300,
      manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
      scheduleTriggerConfig: null,
      secrets: values,
    });
    expect(restore.tags).toEqual({ owner: null });
    expect(restore.identity).toEqual({ type: 'None', userAssignedIdentities: { [UAI]: null } });
    // Applying the write and then the restore gives back the job as it was (secret values included).
    const changed = apply(before(), written, values);
    const back = mergePatch(changed as never, toJson(restore));
    const original = jobToWire(before());
    (original.properties as { configuration: { secrets: unknown } }).configuration.secrets = values;
    // (an emptied map counts as absent, as Azure treats it)
    expect(same(back as Json, { ...original, identity: { type: 'None' } })).toBe(true);
    expect(JSON.stringify(back)).toContain('postgres://old');
  });

  it('touches nothing the write did not change', () => {
    const restore = rollbackPatch(before(), {
      properties: { configuration: { triggerType: 'Manual', replicaTimeout: 60 } },
    });
    expect(restore).toEqual({ properties: { configuration: { triggerType: 'Manual', replicaTimeout: 300 } } });
  });

  it('removes a user-assigned identity the write added and keeps the ones the job had', () => {
    const job = before();
    const other = UAI.replace('id-pull', 'id-old');
    job.identity = { type: 'UserAssigned', userAssignedIdentities: { [other]: {} } };
    const restore = rollbackPatch(job, {
      identity: { type: 'UserAssigned', userAssignedIdentities: { [other]: {}, [UAI]: {} } },
    });
    expect(restore.identity).toEqual({ type: 'UserAssigned', userAssignedIdentities: { [other]: {}, [UAI]: null } });
  });

  it('refuses to put back secrets without their values', () => {
    expect(() =>
      rollbackPatch(before(), {
        properties: {
          configuration: { triggerType: 'Manual', replicaTimeout: 300, secrets: [{ name: 'x', value: 'y' }] },
        },
      }),
    ).toThrow(/listSecrets/);
  });

  it('comes with a deploy that wrote: the image and the secrets as they were before', async () => {
    const live = before();
    live.template!.containers![0]!.image = 'mcr.microsoft.com/k8se/quickstart-jobs:1';
    const written: JobPatchProperties[] = [];
    const api = {
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      listSecrets: () => Promise.resolve([{ name: 'postgres-url', value: 'postgres://old' }]),
      updateJob: (patch: JobPatchProperties) => {
        written.push(patch);
        return Promise.resolve(live);
      },
    } as unknown as JobApi;
    const noop = (): void => undefined;
    const result = await deploy(
      baseConfig({ imageTag: '2', secrets: [{ name: 'postgres-url', value: 'postgres://new' }] }),
      live,
      { api, mask: noop, info: noop, notice: noop, warning: noop },
    );
    expect(result.operation).toBe('updated');
    expect(written).toHaveLength(1);
    expect(result.restore).toEqual({
      properties: {
        configuration: {
          triggerType: 'Manual',
          replicaTimeout: 300,
          secrets: [{ name: 'postgres-url', value: 'postgres://old' }],
        },
        template: {
          containers: [toJson(before().template!.containers![0]!)].map((c) => ({
            ...(c as object),
            image: 'mcr.microsoft.com/k8se/quickstart-jobs:1',
          })),
        },
      },
    });
  });
});
