/**
 * The bundled action against the stand-in's field defaults, untouched (standin/README.md): a region that lists
 * api-versions up to 2026-01-01, executions without detailedStatus, operations without Retry-After that take a
 * while, a suspended job the action cannot see as such, and a role still propagating.
 *
 * Part of the field-defaults suite (split in files so that no file holds the parallel run back): api-versions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, type Bed } from '../../test-support/e2e.ts';

const IMAGE = 'mcr.microsoft.com/k8se/quickstart-jobs:latest';
let bed: Bed;
let seq = 0;

beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.close();
});

const isApp = (r: { host: string; path: string }): boolean =>
  r.host === 'arm' && /\/providers\/Microsoft\.App\//i.test(r.path);

describe('a region without 2026-07-01', () => {
  it('creates, runs and reports a job: one refused call per step, everything else at a version the region lists', async () => {
    const job = `fd-job-${++seq}`;
    const r = await bed.run({ 'job-name': job, environment: bed.world.environment, image: IMAGE, start: 'true' });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('created');
    expect(r.outputs['execution-status']).toBe('Succeeded');
    const app = r.arm.filter(isApp);
    const refused = app.filter((q) => q.status === 400 && q.query['api-version'] === '2026-07-01');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeLessThanOrEqual(2); // main and post each learn it once
    const after = app.filter((q) => !refused.includes(q));
    expect(after.length).toBeGreaterThan(3);
    for (const q of after.filter((x) => !/containerappsjobOperation/i.test(x.path)))
      expect(bed.standIn.arm.apiVersions, `${q.method} ${q.path}`).toContain(q.query['api-version']);
    // The PUT's operation took the default second and had no Retry-After: the action polled it to the end.
    const put = app.find((q) => q.method === 'PUT' && q.status === 201);
    expect(put).toBeDefined();
    expect(bed.standIn.arm.getJob(bed.world.resourceGroup, job)).toMatchObject({
      properties: { provisioningState: 'Succeeded' },
    });
  });

  it('a failed execution fails the step with Azure status and exit code though no detailedStatus comes', async () => {
    const job = `fd-job-${++seq}`;
    expect((await bed.run({ 'job-name': job, environment: bed.world.environment, image: IMAGE })).errors).toEqual([]);
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { durationMs: 500, outcome: 'Failed', exitCode: 4 });
    const r = await bed.run({ 'job-name': job, start: 'true' });
    expect(r.exitCode).toBe(1);
    expect(r.outputs['execution-status']).toBe('Failed');
    const gets = r.arm.filter((q) => isApp(q) && q.method === 'GET' && /\/executions\/[^/]+$/.test(q.path));
    expect(gets.length).toBeGreaterThan(0);
    expect(gets.every((q) => q.query['api-version'] !== '2026-07-01' || q.status !== 200)).toBe(true);
    expect(r.outputs['exit-code']).toBe('4'); // from the system events
    expect(r.errors[0]).toMatch(/Failed/);
  });
});

describe('a suspended job', () => {
  it('below 2026-07-01 the action cannot see it: Azure refuses the start, and its words reach the user', async () => {
    const job = `fd-job-${++seq}`;
    const created = await bed.run({ 'job-name': job, environment: bed.world.environment, image: IMAGE });
    expect(created.errors).toEqual([]);
    const rec = [...bed.standIn.arm.jobs.values()].find((j) => j.name === job)!;
    rec.runningState = 'Suspended';
    const r = await bed.run({ 'job-name': job, start: 'true' });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain('ContainerAppsJobSuspended');
    expect(r.errors[0]).toContain('because the job is suspended');
    expect(bed.standIn.arm.listExecutions(bed.world.resourceGroup, job)).toEqual([]);
  });
});
