/**
 * The core of the action, end to end: the bundled dist/index.js run as the GitHub runner runs it, against the
 * HTTPS stand-in of GitHub OIDC, Entra ID and Azure Resource Manager.
 *
 * Part of the core suite (split for parallel runs): start an execution, wait, time out, overrides.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_API_VERSIONS_WITH_2026_07_01 } from '../../standin/index.ts';
import { quickLro, suiteBed } from '../../test-support/e2e-suite.ts';
import { armExecution, armJob, type ArmJob } from '../../test-support/arm-json.ts';

// The field lists api-versions up to 2026-01-01 (the stand-in's default): this file's tests are about what the action
// does with 2026-07-01's answers (detailedStatus, runningState) and assert no warnings, so the region lists 2026-07-01.
const bed = suiteBed('run-job', quickLro({ arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01 } }));

function liveJob(name: string): ArmJob {
  return armJob(bed.standIn.arm.getJob(bed.world.resourceGroup, name), `job ${name}`);
}

describe('run and wait', () => {
  const job = 'erin-job';
  beforeAll(async () => {
    const r = await bed.run({
      'job-name': job,
      environment: bed.world.environment,
      image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest',
    });
    expect(r.exitCode).toBe(0);
  });

  it('starts an execution, waits for it and reports success', async () => {
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { durationMs: 1500, outcome: 'Succeeded' });
    const r = await bed.run({ 'job-name': job, start: 'true' });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs['execution-status']).toBe('Succeeded');
    expect(r.outputs['execution-name']).toMatch(new RegExp(`^${job}-[a-z0-9]{7}$`));
    expect(r.outputs['execution-id']).toContain(`/jobs/${job}/executions/${r.outputs['execution-name']}`);
    expect(r.outputs['exit-code']).toBe('0');
    expect(Number(r.outputs['execution-duration'])).toBeGreaterThanOrEqual(1);
    expect(r.outputs['portal-url']).toContain(`/jobs/${job}/executionHistory`);
    expect(r.outputs['job-operation']).toBeUndefined();
    expect(r.writes).toEqual([`POST Microsoft.App/jobs/${job}/start`]);
    expect(r.summary).toMatch(/Status \| ✅ Succeeded/);
    // One GitHub ID token serves the run while it stays valid (MSAL asks for the assertion twice per token).
    expect(r.requests.filter((q) => q.host === 'github')).toHaveLength(1);
    expect(r.log).toMatch(/Execution .*: Running/);
  });

  it('fails the step with status, exit code, reason and message when the execution fails', async () => {
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, {
      durationMs: 500,
      outcome: 'Failed',
      exitCode: 3,
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    const r = await bed.run({ 'job-name': job, start: 'true' });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      /ended Failed after \d+ s: container .* exited with code 3 \(Azure: BackoffLimitExceeded, Job has reached the specified backoff limit\)/,
    );
    expect(r.outputs['execution-status']).toBe('Failed');
    expect(r.outputs['exit-code']).toBe('3');
    expect(r.summary).toContain('Exit code | 3');
  });

  it('stops an execution that outlives the timeout and fails saying so', async () => {
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    const r = await bed.run({ 'job-name': job, start: 'true', timeout: '3s' });
    expect(r.exitCode).toBe(1);
    expect(r.errors[0]).toMatch(/did not finish within 3 s and was stopped/);
    expect(r.outputs['execution-status']).toBe('TimedOut');
    const name = r.outputs['execution-name']!;
    expect(r.writes).toEqual([
      `POST Microsoft.App/jobs/${job}/start`,
      `POST Microsoft.App/jobs/${job}/executions/${name}/stop`,
    ]);
    const exec = armExecution(
      bed.standIn.arm.listExecutions(bed.world.resourceGroup, job).find((e) => e.name === name),
      `execution ${name}`,
    );
    expect(exec.properties.status).toBe('Stopped');
    // The post step sees the execution handled and does nothing.
    expect(r.post?.exitCode).toBe(0);
    expect(r.post?.log ?? '').not.toMatch(/stopping/i);
  });

  it('leaves it running on timeout when on-timeout is leave', async () => {
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    const r = await bed.run({ 'job-name': job, start: 'true', timeout: '2s', 'on-timeout': 'leave' });
    expect(r.exitCode).toBe(1);
    expect(r.errors[0]).toMatch(/left running/);
    expect(r.writes).toEqual([`POST Microsoft.App/jobs/${job}/start`]);
    const name = r.outputs['execution-name']!;
    await bed.run({ 'job-name': job, start: 'false', image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest' });
    const exec = armExecution(
      bed.standIn.arm.listExecutions(bed.world.resourceGroup, job).find((e) => e.name === name),
      `execution ${name}`,
    );
    expect(exec.properties.status).toBe('Running');
  });

  it('starts without waiting when wait is false', async () => {
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { durationMs: 5000 });
    const r = await bed.run({ 'job-name': job, start: 'true', wait: 'false' });
    expect(r.exitCode).toBe(0);
    expect(r.outputs['execution-status']).toBe('Running');
    expect(r.arm.filter((q) => q.path.includes('/executions/'))).toEqual([]);
  });

  it('passes per-execution overrides in the start request without changing the job', async () => {
    const before = JSON.stringify(liveJob(job).properties.template);
    const r = await bed.run({
      'job-name': job,
      start: 'true',
      'execution-env-vars': 'RUN_DATE=2026-11-01',
      'execution-args': '--full\n--date=2026-11-01',
    });
    expect(r.errors).toEqual([]);
    const start = r.arm.find((q) => q.path.endsWith('/start'))!;
    expect(start.body).toMatchObject({
      containers: [
        {
          name: job,
          image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest',
          env: [{ name: 'RUN_DATE', value: '2026-11-01' }],
          args: ['--full', '--date=2026-11-01'],
        },
      ],
    });
    expect(JSON.stringify(liveJob(job).properties.template)).toBe(before);
    expect(r.writes).toEqual([`POST Microsoft.App/jobs/${job}/start`]);
  });

  it('explains a start-only run on a job that does not exist', async () => {
    const r = await bed.run({ 'job-name': 'no-such-job', start: 'true' });
    expect(r.errors).toEqual([expect.stringMatching(/Job 'no-such-job' was not found in resource group/)]);
    expect(r.writes).toEqual([]);
  });
});
