/**
 * Reliability under faults, end to end: cancellation, transient and persistent Azure faults, a start whose answer
 * is lost, failed long-running operations, api-version fallback and executions stuck in Running.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APP_API_VERSIONS } from '../../standin/index.ts';
import { startBed, type Bed } from '../../test-support/e2e.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const IMAGE = 'mcr.microsoft.com/k8se/quickstart-jobs:latest';
let bed: Bed;
let seq = 0;

beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.close();
});

/** A fresh job for one test. */
async function newJob(inputs: Record<string, string> = {}): Promise<string> {
  const name = `rel-job-${++seq}`;
  const r = await bed.run({ 'job-name': name, environment: bed.world.environment, image: IMAGE, ...inputs });
  expect(r.errors).toEqual([]);
  return name;
}

function executions(job: string): Json[] {
  return bed.standIn.arm.listExecutions(bed.world.resourceGroup, job);
}

describe('cancellation', () => {
  it('stops the execution before the process is killed when the run is cancelled while waiting', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    const r = await bed.run({ 'job-name': job, start: 'true' }, { cancel: { whenOutput: /Execution .*: Running/ } });
    expect(r.cancelled).toBe(true);
    expect(r.signalsSent.map((s) => s.signal)).toEqual(['SIGINT']);
    expect(r.exitCode).toBe(1);
    expect(r.log).toMatch(/stopping execution .* \(stop-on-cancel\)/);
    expect(r.log).toMatch(/Stopped execution/);
    expect(r.outputs['execution-status']).toBe('Cancelled');
    const [exec] = executions(job);
    expect(exec!.properties.status).toBe('Stopped');
    // Post ran (post-if: always()) and found nothing left to do.
    expect(r.post?.exitCode).toBe(0);
    expect(r.post?.log ?? '').not.toMatch(/stopping it/);
  });

  it('lets the post step stop the execution when main was killed before it could', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    // Main's stop request fails once (its SDK waits ~1 s before retrying), and the runner kills main first.
    bed.standIn.faults.serverError({ host: 'arm', method: 'POST', path: /\/stop$/ }, 500);
    const r = await bed.run(
      { 'job-name': job, start: 'true' },
      { cancel: { whenOutput: /Execution .*: Running/ }, signalTimings: { termAfterMs: 150, killAfterMs: 150 } },
    );
    expect(r.signalsSent.map((s) => s.signal)).toEqual(['SIGINT', 'SIGTERM', 'SIGKILL']);
    expect(r.post?.log).toMatch(/stopping it \(stop-on-cancel\)/);
    expect(r.post?.log).toMatch(/Stopped execution/);
    const [exec] = executions(job);
    expect(exec!.properties.status).toBe('Stopped');
  });

  it('leaves the execution alone on cancel when stop-on-cancel is false', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    const r = await bed.run(
      { 'job-name': job, start: 'true', 'stop-on-cancel': 'false' },
      { cancel: { whenOutput: /Execution .*: Running/ } },
    );
    expect(r.exitCode).toBe(1);
    expect(r.writes.filter((w) => w.endsWith('/stop'))).toEqual([]);
    expect(executions(job)[0]!.properties.status).toBe('Running');
  });
});

describe('faults', () => {
  it('rides out throttling, server errors, dropped connections and slow answers on every call', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { durationMs: 2000 });
    const f = bed.standIn.faults;
    f.serverError({ host: 'arm', method: 'GET', path: new RegExp(`/jobs/${job}$`) }, 503, 1);
    f.throttle({ host: 'arm', method: 'PATCH' }, 1);
    f.serverError({ host: 'arm', method: 'GET', path: /OperationResults|OperationStatuses/i }, 502);
    f.throttle({ host: 'arm', method: 'POST', path: /\/start$/ }, 1);
    f.dropBefore({ host: 'arm', method: 'GET', path: /\/executions\/[^/]+$/ });
    f.latency({ host: 'arm', method: 'GET', path: /\/executions\/[^/]+$/, skip: 1 }, 1500);
    f.throttle({ host: 'entra', method: 'POST' }, 1);
    const r = await bed.run({ 'job-name': job, 'image-tag': 'v2', start: 'true' });
    expect(r.errors).toEqual([]);
    expect(r.outputs['execution-status']).toBe('Succeeded');
    expect(f.active.every((x) => x.remaining === 0)).toBe(true);
    expect(r.log).toMatch(/throttled the start .* \(429\); trying again in 1 s/);
    expect(executions(job)).toHaveLength(1);
  });

  it('rides out faults on the create path too (environment, registry discovery, PUT and its polls, secrets, stop)', async () => {
    const f = bed.standIn.faults;
    f.serverError({ host: 'arm', method: 'GET', path: /managedEnvironments/ }, 503, 1);
    f.dropBefore({ host: 'arm', method: 'GET', path: /Microsoft.ContainerRegistry\/registries$/ });
    f.throttle({ host: 'arm', method: 'POST', path: /listCredentials$/ }, 1);
    f.serverError({ host: 'arm', method: 'PUT' }, 500);
    f.latency({ host: 'arm', method: 'GET', path: /OperationStatuses|OperationResults/i }, 1200);
    const job = `rel-job-${++seq}`;
    const r = await bed.run({
      'job-name': job,
      environment: bed.world.environment,
      image: `${bed.world.registryServer}/pipeline:1`,
      secrets: 'api-key=k3y-value-123',
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('created');
    expect(f.active.every((x) => x.remaining === 0)).toBe(true);
    // Then an update that must read secrets (listSecrets fails once) and a run stopped on timeout (stop fails once).
    f.serverError({ host: 'arm', method: 'POST', path: /listSecrets$/ }, 503, 1);
    f.dropBefore({ host: 'arm', method: 'POST', path: /\/stop$/ });
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    const u = await bed.run({ 'job-name': job, secrets: 'api-key=k3y-value-456', start: 'true', timeout: '2s' });
    expect(u.outputs['job-operation']).toBe('updated');
    expect(u.errors).toEqual([expect.stringMatching(/did not finish within 2 s and was stopped/)]);
    expect(executions(job)[0]!.properties.status).toBe('Stopped');
    expect(bed.standIn.arm.getJob(bed.world.resourceGroup, job)!.properties).toMatchObject({
      configuration: { secrets: expect.arrayContaining([{ name: 'api-key', value: 'k3y-value-456' }]) },
    });
  });

  it("fails with Azure's error when creating a job ends Canceled", async () => {
    bed.standIn.arm.queueOperationOutcome({
      outcome: 'Canceled',
      error: { code: 'OperationCanceled', message: 'The operation was canceled by the platform' },
    });
    const r = await bed.run({ 'job-name': `rel-job-${++seq}`, environment: bed.world.environment, image: IMAGE });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^Azure canceled the operation to create job '.*' \(provisioning state Canceled\)/);
  });

  it("fails with Azure's code and message, not a stack trace, when a fault persists", async () => {
    const job = await newJob();
    bed.standIn.faults.serverError({ host: 'arm', method: 'GET', path: new RegExp(`/jobs/${job}$`), times: 10 }, 500);
    const r = await bed.run({ 'job-name': job, start: 'true' });
    bed.standIn.faults.clear();
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^Azure refused to read job '.*' in resource group '.*' \(500 InternalServerError\): Encountered internal server error/,
      ),
    ]);
    expect(r.log).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(r.writes).toEqual([]);
  });

  it('never starts twice when the answer to the start is lost after Azure acted', async () => {
    const job = await newJob();
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { durationMs: 1000 });
    bed.standIn.faults.dropAfter({ host: 'arm', method: 'POST', path: /\/start$/ });
    const r = await bed.run({ 'job-name': job, start: 'true' });
    expect(r.errors).toEqual([]);
    expect(r.log).toMatch(/was lost .* not started twice/);
    expect(r.log).toMatch(/was started by that request; following it/);
    expect(r.writes.filter((w) => w.endsWith('/start'))).toHaveLength(1);
    const all = executions(job);
    expect(all).toHaveLength(1);
    expect(r.outputs['execution-name']).toBe(all[0]!.name);
    expect(r.outputs['execution-status']).toBe('Succeeded');
  });

  it('starts again when the lost start never reached Azure', async () => {
    const job = await newJob();
    bed.standIn.faults.dropBefore({ host: 'arm', method: 'POST', path: /\/start$/ });
    const r = await bed.run({ 'job-name': job, start: 'true' });
    expect(r.errors).toEqual([]);
    expect(r.log).toMatch(/No execution was started by that request; starting job .* again/);
    expect(executions(job)).toHaveLength(1);
  });

  it("fails with Azure's error when a long-running update ends Failed", async () => {
    const job = await newJob();
    bed.standIn.arm.queueOperationOutcome({
      outcome: 'Failed',
      error: {
        code: 'ContainerAppJobProvisioningFailed',
        message: 'Failed to provision job: quota exceeded in region',
      },
    });
    const r = await bed.run({ 'job-name': job, 'image-tag': 'v3' });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/update job '.*'/);
    expect(r.errors[0]).toMatch(/quota exceeded in region/);
  });

  it('falls back to a supported api-version and warns once', async () => {
    const job = await newJob();
    bed.standIn.arm.setApiVersions(['2023-11-02-preview', '2024-03-01', '2025-01-01', '2025-07-01', '2026-01-01']);
    try {
      bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { durationMs: 500 });
      const r = await bed.run({ 'job-name': job, 'image-tag': 'v4', start: 'true' });
      expect(r.errors).toEqual([]);
      expect(r.warnings.filter((w) => /^Azure does not support .* api-version/.test(w))).toEqual([
        "Azure does not support Microsoft.App api-version 2026-07-01 here; using 2026-01-01 instead (set input 'api-version' to choose).",
      ]);
      // (the log stream's getAuthToken and replicas calls use their own preview version, as the Azure CLI does)
      const jobCalls = r.arm.slice(1).filter((q) => !/\/(getAuthToken|replicas)$|OperationalInsights/i.test(q.path));
      const versions = new Set(jobCalls.map((q) => q.query['api-version']));
      expect([...versions]).toEqual(['2026-01-01']);
      expect(r.outputs['execution-status']).toBe('Succeeded');
    } finally {
      bed.standIn.arm.setApiVersions(DEFAULT_APP_API_VERSIONS);
    }
  });

  it('stops an execution stuck in Running past the replica timeout, by its own deadline', async () => {
    const job = await newJob({ 'replica-timeout': '1' });
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang', ignoresReplicaTimeout: true });
    const r = await bed.run({ 'job-name': job, start: 'true' });
    expect(r.exitCode).toBe(1);
    expect(r.errors[0]).toMatch(/did not finish within 11 s and was stopped/);
    expect(executions(job)[0]!.properties.status).toBe('Stopped');
  }, 30_000);
});
