import { describe, expect, it } from 'vitest';
import type { Job, JobPatchProperties } from '@azure/arm-appcontainers';
import type { JobApi } from '../../src/azure/arm.ts';
import { deploy } from '../../src/job/deploy.ts';
import { parseDefinition } from '../../src/job/definition.ts';
import { baseConfig } from '../../test-support/config-fixture.ts';
import {
  addRunRecord,
  clashingTags,
  createWithRunRecord,
  recordOnJob,
  runRecordOf,
  runTags,
  withLiveRecord,
} from '../../src/job/run-record.ts';

const CTX = { serverUrl: 'https://github.com', repository: 'octo-org/octo-repo', runId: 4242, sha: 'abc1234def5678' };
const RECORD = runRecordOf(CTX)!;

describe('runRecordOf', () => {
  it('names the repository, the commit and the run URL', () => {
    expect(RECORD).toEqual({
      repository: 'octo-org/octo-repo',
      sha: 'abc1234def5678',
      runUrl: 'https://github.com/octo-org/octo-repo/actions/runs/4242',
    });
    expect(runTags(RECORD)).toEqual({
      'github-repository': 'octo-org/octo-repo',
      'github-sha': 'abc1234def5678',
      'github-run': 'https://github.com/octo-org/octo-repo/actions/runs/4242',
    });
  });

  it('uses a GitHub Enterprise server URL, without a trailing slash', () => {
    expect(runRecordOf({ ...CTX, serverUrl: 'https://ghe.example.com/' })!.runUrl).toBe(
      'https://ghe.example.com/octo-org/octo-repo/actions/runs/4242',
    );
  });

  it('records nothing outside a workflow run, or when a value is too long for an Azure tag', () => {
    expect(runRecordOf({ ...CTX, repository: undefined })).toBeUndefined();
    expect(runRecordOf({ ...CTX, runId: NaN })).toBeUndefined();
    expect(runRecordOf({ ...CTX, sha: '' })).toBeUndefined();
    expect(runRecordOf({ ...CTX, repository: `o/${'r'.repeat(300)}` })).toBeUndefined();
  });
});

describe('addRunRecord', () => {
  it('adds the record to a write, keeping every other tag', () => {
    const patch = addRunRecord({ tags: { team: 'ml' } }, { team: 'data', owner: 'alice' }, RECORD);
    expect(patch!.tags).toEqual({ team: 'ml', owner: 'alice', ...runTags(RECORD) });
    const onlyImage = addRunRecord({ properties: { template: {} } }, { owner: 'alice' }, RECORD);
    expect(onlyImage).toEqual({ properties: { template: {} }, tags: { owner: 'alice', ...runTags(RECORD) } });
  });

  it('never makes a write of its own: no patch stays no patch', () => {
    expect(addRunRecord(undefined, { team: 'data' }, RECORD)).toBeUndefined();
  });

  it('replaces another run’s record', () => {
    const patch = addRunRecord({ properties: {} }, runTags(runRecordOf({ ...CTX, runId: 1, sha: 'old' })!), RECORD);
    expect(patch!.tags).toEqual(runTags(RECORD));
  });

  it('puts the record on a job to create', () => {
    expect(createWithRunRecord({ location: 'x', tags: { a: 'b' } }, RECORD).tags).toEqual({
      a: 'b',
      ...runTags(RECORD),
    });
    expect(createWithRunRecord({ location: 'x' }, undefined).tags).toBeUndefined();
  });
});

describe('withLiveRecord and clashingTags', () => {
  it('plans tags with the live record, so another run’s record is not a change and a file cannot remove it', () => {
    const live = { team: 'data', ...runTags(RECORD) };
    expect(withLiveRecord({ team: 'data' }, live)).toEqual(live);
    expect(withLiveRecord({ team: 'data', 'github-run': 'mine' }, live)).toEqual(live);
    expect(withLiveRecord({ team: 'data', 'GitHub-Run': 'mine' }, { team: 'data' })).toEqual({ team: 'data' });
  });

  it('finds the user’s tags that the record replaces', () => {
    expect(clashingTags({ team: 'x', 'github-sha': 'y', 'GITHUB-RUN': 'z' })).toEqual(['github-sha', 'GITHUB-RUN']);
    expect(clashingTags(undefined)).toEqual([]);
  });
});

describe('recordOnJob', () => {
  it('reads the record an earlier run left', () => {
    expect(recordOnJob(runTags(RECORD))).toEqual(RECORD);
    expect(recordOnJob({ team: 'data' })).toBeUndefined();
  });
});

describe('deploy with the run record', () => {
  const live = (): Job => ({
    name: 'alice-weather-job',
    location: 'westeurope',
    tags: { team: 'data', ...runTags(runRecordOf({ ...CTX, runId: 1, sha: '0ld0ld0' })!) },
    configuration: {
      triggerType: 'Manual',
      replicaTimeout: 300,
      replicaRetryLimit: 0,
      manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
    },
    template: { containers: [{ name: 'main', image: 'mcr.microsoft.com/k8se/quickstart-jobs:1' }] },
  });
  function fakeApi(job: Job) {
    const written: JobPatchProperties[] = [];
    const created: Job[] = [];
    const api = {
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      listSecrets: () => Promise.resolve([]),
      getEnvironment: () => Promise.resolve({ location: 'westeurope' }),
      listRegistries: () => Promise.resolve([]),
      updateJob: (patch: JobPatchProperties) => {
        written.push(patch);
        return Promise.resolve(job);
      },
      createJob: (j: Job) => {
        created.push(j);
        return Promise.resolve(j);
      },
    } as unknown as JobApi;
    return { api, written, created };
  }
  const warnings: string[] = [];
  const deps = (api: JobApi) => ({
    api,
    mask: () => undefined,
    info: () => undefined,
    notice: () => undefined,
    warning: (m: string) => warnings.push(m),
    record: RECORD,
  });

  it('writes nothing when only the record differs (another run wrote last)', async () => {
    const f = fakeApi(live());
    const r = await deploy(
      baseConfig({ image: 'mcr.microsoft.com/k8se/quickstart-jobs:1', tags: { team: 'data' } }),
      live(),
      deps(f.api),
    );
    expect(r.operation).toBe('unchanged');
    expect(f.written).toEqual([]);
  });

  it('adds the record to the one PATCH a change makes, keeping the other tags, and restores them on rollback', async () => {
    const f = fakeApi(live());
    const r = await deploy(baseConfig({ imageTag: '2' }), live(), deps(f.api));
    expect(r.operation).toBe('updated');
    expect(f.written).toHaveLength(1);
    expect(f.written[0]!.tags).toEqual({ team: 'data', ...runTags(RECORD) });
    expect(r.changes.map((c) => c.field)).not.toContainEqual(expect.stringMatching(/github/));
    // The restore puts back the record of the run before.
    expect(r.restore!.tags).toMatchObject({ 'github-run': 'https://github.com/octo-org/octo-repo/actions/runs/1' });
  });

  it('keeps the record when the tags input names its keys, and says so', async () => {
    warnings.length = 0;
    const f = fakeApi(live());
    const r = await deploy(baseConfig({ tags: { team: 'ml', 'github-run': 'mine' } }), live(), deps(f.api));
    expect(r.operation).toBe('updated');
    expect(f.written[0]!.tags).toEqual({ team: 'ml', ...runTags(RECORD) });
    expect(warnings).toEqual([
      expect.stringMatching(/^Tags named 'github-run' in input 'tags' are ignored: the action sets them/),
    ]);
    expect(r.changes.map((c) => c.field)).toEqual(['tags[team]']);
  });

  it('puts the record on a job it creates', async () => {
    const f = fakeApi(live());
    await deploy(
      baseConfig({ image: 'mcr.microsoft.com/k8se/quickstart-jobs:1', environment: 'env' }),
      undefined,
      deps(f.api),
    );
    expect(f.created[0]!.tags).toEqual(runTags(RECORD));
  });

  it('keeps the record under a job-yaml file that names other tags or the record keys', async () => {
    warnings.length = 0;
    const def = parseDefinition(
      [
        'tags:',
        '  team: data',
        '  github-sha: from-the-file',
        'properties:',
        '  configuration: {triggerType: Manual, replicaTimeout: 300}',
      ].join('\n'),
      'job.yaml',
    );
    const f = fakeApi(live());
    const same = await deploy(baseConfig({}), live(), deps(f.api), def);
    expect(same.operation).toBe('unchanged');
    expect(f.written).toEqual([]);
    // A file saved with `az containerapp job show -o yaml` carries an old record: ignored without a warning.
    expect(warnings).toEqual([]);
    const changed = await deploy(baseConfig({ imageTag: '3' }), live(), deps(f.api), def);
    expect(changed.operation).toBe('updated');
    expect(f.written[0]!.tags).toEqual({ team: 'data', ...runTags(RECORD) });
  });
});
