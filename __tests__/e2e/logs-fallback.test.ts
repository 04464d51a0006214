/**
 * What the job did, end to end: its containers' output streamed live into the workflow log (one group per
 * replica/container, reconnecting without printing a line twice, parallel and retried replicas), the Log
 * Analytics fallback when streaming is not possible, the diagnosis of failures, the summary's log tail and
 * links, and that a log outage or a missing role changes nothing but one warning.
 *
 * Part of the logs suite (split for parallel runs): Log Analytics fallback, log outages, missing roles, diagnosis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, type Bed, type E2eRun } from '../../test-support/e2e.ts';
import type { ExecutionScript } from '../../standin/index.ts';

const IMAGE = 'mcr.microsoft.com/k8se/quickstart-jobs:latest';
let bed: Bed;
let seq = 0;
/** A plain job most tests run (each run's execution follows the script the test gives). */
let job: string;

beforeAll(async () => {
  bed = await startBed();
  job = await newJob();
});
afterAll(async () => {
  await bed?.close();
});

/** A fresh job for one test. */
async function newJob(inputs: Record<string, string> = {}): Promise<string> {
  const name = `log-job-${++seq}`;
  const r = await bed.run({ 'job-name': name, environment: bed.world.environment, image: IMAGE, ...inputs });
  expect(r.errors).toEqual([]);
  return name;
}

function run(
  job: string,
  script: ExecutionScript,
  inputs: Record<string, string> = {},
  options: Parameters<Bed['run']>[1] = {},
): Promise<E2eRun> {
  bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, script);
  return bed.run(
    {
      'job-name': job,
      start: 'true',
      'log-analytics-endpoint': bed.standIn.urls.loganalytics,
      ...inputs,
    },
    options,
  );
}

describe('diagnosis', () => {
  it('explains an image that cannot be pulled: not found, or a registry that refuses the identity', async () => {
    const notFound = await run(job, { durationMs: 500, outcome: 'ImagePullFailure', pullError: 'NotFound' });
    expect(notFound.exitCode).toBe(1);
    expect(notFound.errors).toHaveLength(1);
    expect(notFound.errors[0]).toMatch(
      new RegExp(
        `the image '${IMAGE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' could not be pulled: it was not found in registry 'mcr\\.microsoft\\.com'; check the image name and tag`,
      ),
    );

    const acrJob = await newJob({ image: `${bed.world.registryServer}/weather:1`, 'registry-identity': 'system' });
    const refused = await run(acrJob, { durationMs: 500, outcome: 'ImagePullFailure', pullError: 'Unauthorized' });
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors[0]).toMatch(
      /could not be pulled: registry '.*' refused the job's system-assigned identity; grant it the AcrPull role on the registry/,
    );
    expect(refused.outputs['execution-status']).toBe('Failed');
  });

  it('explains a non-zero exit with the last log lines, in the error and the summary', async () => {
    const r = await run(
      job,
      {
        durationMs: 800,
        outcome: 'Failed',
        exitCode: 3,
        logs: [
          'connecting with s3cr3t-Pa55',
          'Traceback (most recent call last):',
          'ValueError: no data for 2026-11-01',
        ],
      },
      { secrets: 'db-password=s3cr3t-Pa55', 'env-vars': 'DB_PASSWORD=secretref:db-password' },
      { secrets: ['s3cr3t-Pa55'] }, // as the runner masks ${{ secrets.* }} values
    );
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/container .* exited with code 3/);
    expect(r.errors[0]).toMatch(
      /Last log lines of .*:\n.*\n.*Traceback \(most recent call last\):\n.*ValueError: no data for 2026-11-01/,
    );
    expect(r.summary).toContain('ValueError: no data for 2026-11-01');
    // a failed run links the query in the portal, on the environment's workspace
    expect(r.summary).toMatch(
      /\[Logs in Log Analytics\]\(https:\/\/portal\.azure\.com\/#@[^)]*Logs\.ReactView\/resourceId\/[^)]*law-standin[^)]*\)\s*$/,
    );
    // secrets masked: in the log by the runner, in the summary by the action
    expect(r.summary).not.toContain('s3cr3t-Pa55');
    expect(r.summary).toContain('connecting with ***');
    expect(r.log).not.toContain('s3cr3t-Pa55');
  });
});
