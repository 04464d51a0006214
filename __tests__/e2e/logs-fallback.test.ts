/**
 * What the job did, end to end: its containers' output streamed live into the workflow log (one group per
 * replica/container, reconnecting without printing a line twice, parallel and retried replicas), the Log
 * Analytics fallback when streaming is not possible, the diagnosis of failures, the summary's log tail and
 * links, and that a log outage or a missing role changes nothing but one warning.
 *
 * Part of the logs suite (split for parallel runs): Log Analytics fallback, log outages, missing roles, diagnosis.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_API_VERSIONS_WITH_2026_07_01, type ExecutionScript } from '../../standin/index.ts';
import { group, IMAGE, quickLro, suiteBed, text } from '../../test-support/e2e-suite.ts';

// The field lists api-versions up to 2026-01-01 (the stand-in's default): this file's tests are about what the action
// does with 2026-07-01's answers (detailedStatus, runningState) and assert no warnings, so the region lists 2026-07-01.
const bed = suiteBed('log-job', quickLro({ arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01 } }));
const { newJob, runScripted: run } = bed;
/** A plain job most tests run (each run's execution follows the script the test gives). */
let job: string;

beforeAll(async () => {
  job = await newJob();
});

describe('when live streaming is not possible', () => {
  it('reads the logs from Log Analytics after the execution, waiting for late ingestion', async () => {
    bed.standIn.faults.add({ host: 'logstream', kind: 'drop-before', times: Infinity });
    bed.standIn.logAnalytics.ingestionDelayMs = 1500;
    try {
      const r = await run(job, { durationMs: 300, logs: ['loaded 12 files', 'done'] }, { 'logs-wait': '20s' });
      expect(r.errors).toEqual([]);
      expect(r.warnings).toEqual([]);
      expect(r.outputs['execution-status']).toBe('Succeeded');
      expect(r.log).toMatch(/reading execution .* logs from Log Analytics \(waiting up to 20 s/);
      expect(text(group(r, /\(from Log Analytics\)$/))).toEqual(['loaded 12 files', 'done']);
      expect(r.summary).toMatch(/Last 2 lines of the log \(from Log Analytics\)/);
      // It asked more than once: the first answers came before ingestion.
      expect(r.requests.filter((q) => q.host === 'loganalytics').length).toBeGreaterThan(2);
    } finally {
      bed.standIn.faults.clear();
      bed.standIn.logAnalytics.ingestionDelayMs = 2000;
    }
  });

  it('says when the logs are not in Log Analytics yet, and links the query instead', async () => {
    bed.standIn.faults.add({ host: 'logstream', kind: 'drop-before', times: Infinity });
    bed.standIn.logAnalytics.ingestionDelayMs = 10 * 60_000;
    try {
      const r = await run(job, { durationMs: 300, logs: ['hello'] }, { 'logs-wait': '2s' });
      expect(r.outputs['execution-status']).toBe('Succeeded');
      // the stream host being down is worth a warning: no logs could be shown
      expect(r.warnings).toEqual([expect.stringMatching(/live streaming failed/)]);
      expect(r.log).toMatch(/No container logs of execution .* reached Log Analytics within \d+ s/);
      expect(r.summary).toMatch(/reached Log Analytics within/);
      expect(r.summary).toMatch(/\[Logs in Log Analytics\]\(/);
    } finally {
      bed.standIn.faults.clear();
      bed.standIn.logAnalytics.ingestionDelayMs = 2000;
    }
  });

  it('a log outage changes nothing but one warning', async () => {
    const script: ExecutionScript = { durationMs: 300, logs: ['x'], outcome: 'Failed', exitCode: 2 };
    const normal = await run(job, script);
    bed.standIn.faults.add({ host: 'logstream', kind: 'status', status: 503, times: Infinity });
    bed.standIn.faults.add({ host: 'loganalytics', kind: 'status', status: 503, times: Infinity });
    try {
      const r = await run(job, script, { 'logs-wait': '1s' });
      expect(r.exitCode).toBe(normal.exitCode);
      expect(r.warnings).toHaveLength(1);
      expect(r.warnings[0]).toMatch(/Could not show the job's logs: live streaming failed .*; Log Analytics failed/);
      const same = ['execution-status', 'exit-code', 'job-id'];
      expect(same.map((k) => r.outputs[k])).toEqual(same.map((k) => normal.outputs[k]));
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(/exited with code 2/);
    } finally {
      bed.standIn.faults.clear();
    }
  });

  it('names the roles needed when the identity may not read logs, in one warning', async () => {
    // Contributor, except for log streams and Log Analytics.
    const rg = `/subscriptions/${bed.world.subscriptionId}/resourceGroups/${bed.world.resourceGroup}`;
    const all = bed.standIn.arm.roleAssignments.filter((a) => a.principalId === bed.world.objectId);
    for (const a of all) bed.standIn.arm.removeRoleAssignment(a);
    bed.standIn.arm.addRoleAssignment({
      principalId: bed.world.objectId,
      scope: rg,
      actions: ['*'],
      notActions: ['Microsoft.App/jobs/getAuthToken/action', 'Microsoft.OperationalInsights/*'],
    });
    try {
      const r = await run(job, { durationMs: 300, logs: ['hidden'] }, { 'logs-wait': '1s' });
      expect(r.errors).toEqual([]);
      expect(r.outputs['execution-status']).toBe('Succeeded');
      expect(r.warnings).toHaveLength(1);
      expect(r.warnings[0]).toMatch(/Microsoft\.App\/jobs\/getAuthToken\/action.*such as Contributor on the job/);
      expect(r.warnings[0]).toMatch(/Log Analytics Reader/);
    } finally {
      for (const a of bed.standIn.arm.roleAssignments.filter((x) => x.principalId === bed.world.objectId))
        bed.standIn.arm.removeRoleAssignment(a);
      for (const a of all)
        bed.standIn.arm.addRoleAssignment({ principalId: a.principalId, scope: a.scope, role: a.roleName });
    }
  });
});

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
