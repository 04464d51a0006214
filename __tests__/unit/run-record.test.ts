import { describe, expect, it } from 'vitest';
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
