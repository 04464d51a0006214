/**
 * The run record, end to end: every write carries the tags naming the workflow run that made it (in the same write),
 * a run that changes nothing still writes nothing, a later run's summary says which run last changed the job, and
 * the tags input cannot remove the record. Also the usage line of a finished execution.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, type Bed } from '../../test-support/e2e.ts';
import { renderedText } from '../../test-support/markdown.ts';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.close();
});

const IMAGE = 'mcr.microsoft.com/k8se/quickstart-jobs';
const REPO = 'octo-org/octo-repo';
const run = (id: string, sha: string) => ({ github: { runId: id, sha, repository: REPO } });
const url = (id: string): string => `https://github.com/${REPO}/actions/runs/${id}`;
const tags = (name: string): Record<string, string> =>
  (bed.standIn.arm.getJob(bed.world.resourceGroup, name) as { tags: Record<string, string> }).tags;

describe('run record', () => {
  const job = 'record-job';

  it('tags a job it creates with the run that created it', async () => {
    const r = await bed.run(
      { 'job-name': job, environment: bed.world.environment, image: `${IMAGE}:1`, tags: 'team=data' },
      run('1001', 'aaaaaaa1111111111111111111111111111111111'),
    );
    expect(r.errors).toEqual([]);
    expect(r.writes).toEqual([`PUT Microsoft.App/jobs/${job}`]);
    expect(tags(job)).toEqual({
      team: 'data',
      'github-repository': REPO,
      'github-sha': 'aaaaaaa1111111111111111111111111111111111',
      'github-run': url('1001'),
    });
  });

  it('writes nothing when only the run differs, and says which run last changed the job', async () => {
    const r = await bed.run(
      { 'job-name': job, image: `${IMAGE}:1`, tags: 'team=data' },
      run('1002', 'bbbbbbb2222222222222222222222222222222222'),
    );
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('unchanged');
    expect(r.writes).toEqual([]);
    expect(tags(job)['github-run']).toBe(url('1001'));
    expect(r.summary).toContain(`Job last changed by <${url('1001')}> (\`aaaaaaa\`).`);
  });

  it('adds the record to the one PATCH a change makes; the tags input merges and cannot remove it', async () => {
    const r = await bed.run(
      { 'job-name': job, 'image-tag': '2', tags: 'owner=alice\ngithub-run=my-own-value' },
      run('1003', 'ccccccc3333333333333333333333333333333333'),
    );
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('updated');
    expect(r.writes).toEqual([`PATCH Microsoft.App/jobs/${job}`]);
    expect(tags(job)).toEqual({
      team: 'data',
      owner: 'alice',
      'github-repository': REPO,
      'github-sha': 'ccccccc3333333333333333333333333333333333',
      'github-run': url('1003'),
    });
    expect(r.warnings).toEqual([expect.stringMatching(/^Tags named 'github-run' in input 'tags' are ignored/)]);
    expect(r.summary).toContain(`Before this step, the job was last changed by <${url('1001')}>`);
    // The change list shows what the user asked for, not the record.
    expect(renderedText(r.summary)).not.toMatch(/\| tags\[github-/);
  });

  it('shows what a finished execution used and its estimated cost', async () => {
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { durationMs: 1500, outcome: 'Succeeded' });
    const r = await bed.run(
      { 'job-name': job, start: 'true' },
      run('1004', 'ddddddd4444444444444444444444444444444444'),
    );
    expect(r.errors).toEqual([]);
    const text = renderedText(r.summary);
    const duration = Number(r.outputs['execution-duration']);
    // The create defaults: 0.5 vCPU and 1 GiB, parallelism 1.
    expect(text).toContain(`${duration * 0.5} vCPU-seconds and ${duration} GiB-seconds`);
    expect(text).toMatch(/free grant .* is not subtracted/);
    // Starting an execution is not a write to the job: the record stays.
    expect(tags(job)['github-run']).toBe(url('1003'));
  });
});
