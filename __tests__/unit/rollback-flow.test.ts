import { describe, expect, it } from 'vitest';
import type { Job, JobPatchProperties, Secret } from '@azure/arm-appcontainers';
import {
  describeRestored,
  jobDifferences,
  rollBack,
  secretDifferences,
  type RollbackInput,
} from '../../src/job/rollback-flow.ts';
import { jobToWire, mergePatch, toJson, wireToJob, type Obj } from '../../src/job/definition.ts';
import { FakeClock } from '../../test-support/fakes.ts';

const BEFORE: Job = {
  location: 'eastus',
  tags: { team: 'data' },
  environmentId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/managedEnvironments/env',
  configuration: {
    triggerType: 'Manual',
    replicaTimeout: 300,
    manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
    secrets: [{ name: 'api-key' }],
  },
  template: {
    containers: [
      {
        name: 'main',
        image: 'acr.example/app:1',
        env: [{ name: 'MODE', value: 'full' }],
        resources: { cpu: 0.5, memory: '1Gi' },
      },
    ],
  },
};
const SECRETS_BEFORE: Secret[] = [{ name: 'api-key', value: 'old-key-value' }];
const SECRETS_WRITTEN: Secret[] = [{ name: 'api-key', value: 'new-key-value' }];

/** The step's forward write, and the patch that undoes it. */
const FORWARD: JobPatchProperties = {
  tags: { team: 'data', 'github-run': 'https://github.com/o/r/actions/runs/2' },
  properties: {
    configuration: { triggerType: 'Manual', replicaTimeout: 300, secrets: SECRETS_WRITTEN },
    template: { containers: [{ ...BEFORE.template!.containers![0]!, image: 'acr.example/app:2', env: [] }] },
  },
};
const RESTORE: JobPatchProperties = {
  tags: { team: 'data', 'github-run': 'https://github.com/o/r/actions/runs/2' },
  properties: {
    configuration: { triggerType: 'Manual', replicaTimeout: 300, secrets: SECRETS_BEFORE },
    template: { containers: BEFORE.template!.containers },
  },
};

type Fault = 'drop-after' | 'drop-before' | 409 | 429 | 400;

/** A job store that applies PATCHes as a JSON merge patch, with faults on the next PATCHes. */
class Store {
  job: Obj;
  secrets: Secret[];
  faults: Fault[] = [];
  patches = 0;
  /** Called on each read: lets a test change the job "between" calls. */
  onRead?: (s: Store) => void;
  constructor(job: Job, secrets: Secret[]) {
    this.job = jobToWire(job);
    this.secrets = structuredClone(secrets);
  }
  apply(patch: JobPatchProperties): void {
    const { properties, ...rest } = patch;
    const secrets = properties?.configuration?.secrets;
    if (secrets) this.secrets = structuredClone(secrets);
    const wire = toJson({ ...rest, properties }) as Obj;
    const conf = (wire.properties as Obj | undefined)?.configuration as Obj | undefined;
    if (conf?.secrets) conf.secrets = (conf.secrets as Obj[]).map((s) => ({ name: s.name! }));
    if (wire.tags) this.job.tags = null; // tags go whole
    this.job = mergePatch(this.job, wire) as Obj;
  }
  api = {
    getJob: async (): Promise<Job> => {
      this.onRead?.(this);
      return wireToJob(structuredClone(this.job));
    },
    listSecrets: async (): Promise<Secret[]> => structuredClone(this.secrets),
    updateJob: async (patch: JobPatchProperties): Promise<Job> => {
      this.patches++;
      const fault = this.faults.shift();
      if (fault === 'drop-before') throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      if (typeof fault === 'number') {
        const code = {
          409: 'ContainerAppLockConflict',
          429: 'SubscriptionRequestsThrottled',
          400: 'InvalidRequestContent',
        }[fault];
        throw Object.assign(new Error(`${code} happened`), { statusCode: fault, code });
      }
      this.apply(patch);
      if (fault === 'drop-after') throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      return wireToJob(structuredClone(this.job));
    },
  };
}

function setup(): { store: Store; input: RollbackInput; clock: FakeClock; log: string[] } {
  const store = new Store(BEFORE, SECRETS_BEFORE);
  store.apply(FORWARD);
  const written = wireToJob(structuredClone(store.job));
  const input: RollbackInput = {
    jobName: 'job',
    before: BEFORE,
    written,
    patch: RESTORE,
    changes: [
      { field: 'template.containers[main].image', from: 'acr.example/app:1', to: 'acr.example/app:2' },
      { field: 'template.containers[main].env[MODE]', from: 'full', to: undefined },
      { field: 'configuration.secrets[api-key]', from: '(set)', to: '(new value)' },
    ],
    secretsWritten: SECRETS_WRITTEN,
    extraTags: { 'github-run': 'https://github.com/o/r/actions/runs/2' },
  };
  return { store, input, clock: new FakeClock(), log: [] };
}

function deps(s: ReturnType<typeof setup>) {
  return {
    api: s.store.api,
    clock: s.clock,
    info: (m: string) => s.log.push(m),
    warning: (m: string) => s.log.push(m),
  };
}

const restoredJob = (): Obj =>
  jobToWire({ ...BEFORE, tags: { ...BEFORE.tags, 'github-run': 'https://github.com/o/r/actions/runs/2' } });

describe('rollBack', () => {
  it('puts back image, env and the secret value read before the change, and says what', async () => {
    const s = setup();
    const r = await rollBack(s.input, deps(s));
    expect(r).toEqual({ rolledBack: true, restored: 'image acr.example/app:1, env MODE=full, secret api-key' });
    expect(s.store.job).toEqual(restoredJob());
    expect(s.store.secrets).toEqual(SECRETS_BEFORE);
    expect(s.store.patches).toBe(1);
  });

  for (const fault of ['drop-after', 'drop-before', 409, 429] as const) {
    it(`ends with the job as before and every secret kept when the PATCH answer is ${fault}`, async () => {
      const s = setup();
      s.store.faults = [fault];
      const r = await rollBack(s.input, deps(s));
      expect(r.rolledBack).toBe(true);
      expect(s.store.job).toEqual(restoredJob());
      expect(s.store.secrets).toEqual(SECRETS_BEFORE);
      // A drop after the write is seen on reading back: not written twice.
      expect(s.store.patches).toBe(fault === 'drop-after' ? 1 : 2);
      expect(s.log.join('\n')).toMatch(/reading the job back/);
    });
  }

  it('gives up after a minute of busy answers, leaving the job whole as the step wrote it', async () => {
    const s = setup();
    s.store.faults = Array<Fault>(10).fill(409);
    const written = structuredClone(s.store.job);
    const r = await rollBack(s.input, deps(s));
    expect(r.rolledBack).toBe(false);
    expect(r).toHaveProperty('reason');
    expect((r as { reason: string }).reason).toMatch(/409 ContainerAppLockConflict/);
    expect(s.store.job).toEqual(written);
    expect(s.store.secrets).toEqual(SECRETS_WRITTEN);
  });

  it('does not overwrite a change someone else made after the step wrote', async () => {
    const s = setup();
    (s.store.job.tags as Obj).owner = 'bob';
    const r = await rollBack(s.input, deps(s));
    expect(r).toEqual({ rolledBack: false, conflict: true, fields: ['tags.owner'] });
    expect(s.store.patches).toBe(0);
  });

  it('does not overwrite a secret value someone else changed (a GET cannot show it)', async () => {
    const s = setup();
    s.store.secrets = [{ name: 'api-key', value: 'bobs-value' }];
    const r = await rollBack(s.input, deps(s));
    expect(r).toEqual({ rolledBack: false, conflict: true, fields: ['secret api-key'] });
    expect(s.store.patches).toBe(0);
  });

  it('stops when someone else writes while the rollback waits for a busy job', async () => {
    const s = setup();
    s.store.faults = [409];
    let reads = 0;
    s.store.onRead = (st) => {
      if (++reads === 2) ((st.job.properties as Obj).configuration as Obj).replicaTimeout = 900;
    };
    const r = await rollBack(s.input, deps(s));
    expect(r).toMatchObject({ rolledBack: false, conflict: true });
    expect((r as { fields: string[] }).fields).toContain('properties.configuration.replicaTimeout');
    expect(s.store.patches).toBe(1);
  });

  it('keeps Azure’s error when it refuses the rollback', async () => {
    const s = setup();
    s.store.faults = [400];
    const r = await rollBack(s.input, deps(s));
    expect(r.rolledBack).toBe(false);
    expect((r as { reason: string }).reason).toContain('400 InvalidRequestContent');
  });
});

describe('jobDifferences and secretDifferences', () => {
  it('names container fields by container name and ignores read-only members', () => {
    const other: Job = structuredClone(BEFORE);
    other.template!.containers![0]!.image = 'x';
    (other as { provisioningState?: string }).provisioningState = 'Succeeded';
    expect(jobDifferences(BEFORE, other)).toEqual(['properties.template.containers[main].image']);
    expect(jobDifferences(BEFORE, structuredClone(BEFORE))).toEqual([]);
  });

  it('compares secret values without showing them', () => {
    expect(secretDifferences(SECRETS_BEFORE, SECRETS_WRITTEN)).toEqual(['secret api-key']);
    expect(secretDifferences(SECRETS_BEFORE, [...SECRETS_BEFORE, { name: 'b', value: 'v' }])).toEqual(['secret b']);
  });
});

describe('describeRestored', () => {
  it('says what each setting gets back, secrets by name only, added settings as removed', () => {
    expect(
      describeRestored([
        { field: 'configuration.triggerType', from: 'Manual', to: 'Schedule' },
        { field: 'configuration.secrets[api-key]', from: '(set)', to: '(new value)' },
        { field: 'configuration.secrets[new-one]', to: '(new value)' },
        { field: 'template.containers[main].image', from: 'a:1', to: 'a:2' },
        { field: 'template.containers[main].env[MODE]', from: 'full', to: 'lite' },
        { field: 'template.containers[main].env[NEW]', to: '1' },
        { field: 'template.containers[main].resources.memory', from: '1Gi', to: '2Gi' },
        { field: 'tags[team]', from: 'data', to: 'ml' },
        { field: 'identity.type', to: 'SystemAssigned' },
      ]),
    ).toBe(
      'trigger Manual, secret api-key, secret new-one (removed), image a:1, env MODE=full, env NEW (removed), memory 1Gi, tag team=data, identity.type (removed)',
    );
  });
});

describe('jobDifferences across Azure answers', () => {
  it('ignores what no write can change, spelled differently by different answers', () => {
    const other: Job = structuredClone(BEFORE);
    other.location = 'East US';
    other.environmentId = other.environmentId!.toUpperCase();
    expect(jobDifferences(BEFORE, other)).toEqual([]);
  });
});
