/**
 * What the rollback end-to-end tests share (__tests__/e2e/rollback*.test.ts): a job made by a first run, the change
 * a failing deploy makes, and the parts of a job a rollback must put back (secrets with their values).
 */
import { expect } from 'vitest';
import type { Bed, E2eRun } from './e2e.ts';

/** What the tests read of a job as the stand-in keeps it (secret values included). */
export interface LiveJob {
  tags?: Record<string, string>;
  properties: {
    provisioningState?: string;
    configuration: Record<string, unknown> & { secrets?: { name: string; value?: string }[] };
    template: { containers: { image?: string }[] };
  };
}

/** The change a failing deploy makes: image, env, the secret's value, resources, a tag. */
export const CHANGE = {
  image: '',
  'env-vars': 'MODE=lite\nNEW_FLAG=1',
  secrets: 'api-key=new-key-value-222',
  cpu: '1',
  memory: '2Gi',
  tags: 'team=ml',
  start: 'true',
  'on-failure': 'rollback',
};

export const SECRET_BEFORE = { name: 'api-key', value: 'old-key-value-111' };

export function rollbackBed(bed: () => Bed, prefix = 'rb-job') {
  let seq = 0;
  const next = (): string => `${prefix}-${++seq}`;
  const image = (tag: string): string => `${bed().world.registryServer}/pipeline:${tag}`;
  const liveJob = (name: string): LiveJob =>
    bed().standIn.arm.getJob(bed().world.resourceGroup, name) as unknown as LiveJob;

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
    const name = next();
    const r = await bed().run({
      'job-name': name,
      environment: bed().world.environment,
      image: image('1'),
      'env-vars': 'MODE=full\nAPI_KEY=secretref:api-key',
      secrets: 'api-key=old-key-value-111',
      tags: 'team=data',
    });
    expect(r.errors).toEqual([]);
    return name;
  }

  async function failingDeploy(name: string, extra: Record<string, string> = {}): Promise<E2eRun> {
    bed().standIn.arm.scriptExecutions(bed().world.resourceGroup, name, { outcome: 'Failed', exitCode: 3 });
    return bed().run({ 'job-name': name, ...CHANGE, image: image('2'), ...extra });
  }

  return { next, image, liveJob, shape, seedJob, failingDeploy };
}
