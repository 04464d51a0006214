/**
 * Real Azure, not our model of it: the bundled action against answers the field shows (field-evidence.md): RFC
 * 7807 validation errors and gateway pages, answers cut off mid-body, 429 without Retry-After, a job busy with
 * another operation, a suspended job, a role that is still propagating, a registry only the resource group's
 * Contributor can see, and an api-version whose executions carry no detailedStatus.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_API_VERSIONS_WITH_2026_07_01, DEFAULT_APP_API_VERSIONS } from '../../standin/index.ts';
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

async function newJob(inputs: Record<string, string> = {}): Promise<string> {
  const name = `field-job-${++seq}`;
  const r = await bed.run({ 'job-name': name, environment: bed.world.environment, image: IMAGE, ...inputs });
  expect(r.errors).toEqual([]);
  return name;
}

/** Resolves when a request matching `test` has been answered (polls the stand-in's request log). */
async function requestSeen(test: (r: { method: string; path: string; status: number }) => boolean): Promise<void> {
  const from = bed.standIn.requests.length;
  while (!bed.standIn.requests.slice(from).some((r) => r.status !== 0 && test(r))) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('error shapes in the one error line', () => {
  it('RFC 7807 problem details keep their title, errors and traceId', async () => {
    const job = await newJob();
    bed.standIn.faults.add({
      host: 'arm',
      method: 'PATCH',
      kind: 'raw',
      status: 400,
      contentType: 'application/problem+json; charset=utf-8',
      body: JSON.stringify({
        type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
        title: 'One or more validation errors occurred.',
        status: 400,
        traceId: '00-8c1f6b2a51e4b7d3-01',
        errors: { $: ["Unknown properties 'foo' are not supported."] },
      }),
    });
    const r = await bed.run({ 'job-name': job, 'image-tag': 'v2' });
    expect(r.errors).toEqual([
      `Azure refused to update job '${job}' in resource group '${bed.world.resourceGroup}' (400 BadRequest): One or more validation errors occurred. Unknown properties 'foo' are not supported. (traceId 00-8c1f6b2a51e4b7d3-01).`,
    ]);
  });

  it('an HTML page from a gateway is cut to a short text', async () => {
    const job = await newJob();
    bed.standIn.faults.add({
      host: 'arm',
      method: 'PATCH',
      kind: 'raw',
      status: 403,
      contentType: 'text/html',
      body: '<html><head><title>403 Forbidden</title><style>h1{}</style></head><body><h1>403 Forbidden</h1><hr><center>Microsoft-Azure-Application-Gateway/v2</center></body></html>',
    });
    const r = await bed.run({ 'job-name': job, 'image-tag': 'v2' });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(
      '(403 Forbidden): HTTP 403 from a gateway: 403 Forbidden Microsoft-Azure-Application-Gateway/v2.',
    );
  });
});

describe('transport faults and paging', () => {
  it('retries answers cut off mid-body and 429s without Retry-After; follows nextLink to reconcile a lost start', async () => {
    const job = await newJob();
    const { arm, faults } = bed.standIn;
    arm.scriptExecutions(bed.world.resourceGroup, job, { durationMs: 100 }, { durationMs: 100 }, { durationMs: 800 });
    for (let i = 0; i < 2; i++) expect((await bed.run({ 'job-name': job, start: 'true' })).errors).toEqual([]);
    arm.executionsPageSize = 1;
    try {
      faults.add({ host: 'arm', method: 'GET', path: new RegExp(`/jobs/${job}$`), kind: 'drop-mid-body' });
      faults.add({ host: 'arm', method: 'GET', path: /\/executions\/[^/]+$/, kind: 'drop-mid-body' });
      faults.add({
        host: 'arm',
        method: 'PATCH',
        kind: 'raw',
        status: 429,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'TooManyRequests', message: 'The request is being throttled.' } }),
      });
      faults.dropAfter({ host: 'arm', method: 'POST', path: /\/start$/ });
      const r = await bed.run({ 'job-name': job, 'image-tag': 'v2', start: 'true' });
      expect(r.errors).toEqual([]);
      expect(r.outputs['execution-status']).toBe('Succeeded');
      expect(faults.active).toEqual([]);
      expect(r.log).not.toMatch(/pars(e|ing)/i);
      expect(r.log).toMatch(/was started by that request; following it/);
      // Three executions, one per page: the reconciliation read every page.
      expect(arm.listExecutions(bed.world.resourceGroup, job)).toHaveLength(3);
      expect(r.arm.filter((q) => q.method === 'GET' && q.path.endsWith('/executions')).length).toBeGreaterThanOrEqual(
        3,
      );
    } finally {
      arm.executionsPageSize = 100;
    }
  });
});

describe('a job busy with another operation', () => {
  it('waits for it, says so once, re-reads the job and applies the change', async () => {
    const job = await newJob();
    bed.standIn.faults.add({
      host: 'arm',
      method: 'PATCH',
      kind: 'status',
      status: 409,
      code: 'ContainerAppsJobOperationInProgress',
      message: `Cannot modify a container apps job '${job}' because there is an active provisioning operation in progress. OperationId: '4f0c2d9e-1b7a-4c55-9e0e-6d1c2b3a4f5e'`,
    });
    const r = await bed.run({ 'job-name': job, 'image-tag': 'v3' });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('updated');
    expect(r.log.match(/has another change in progress in Azure/g)).toHaveLength(1);
    expect(r.log).toMatch(/operation 4f0c2d9e-1b7a-4c55-9e0e-6d1c2b3a4f5e\): waiting up to 10 min/);
    expect(r.writes.filter((w) => w.startsWith('PATCH'))).toHaveLength(2);
    const wire = bed.standIn.arm.getJob(bed.world.resourceGroup, job) as {
      properties: { template: { containers: { image: string }[] } };
    };
    expect(wire.properties.template.containers[0]?.image).toMatch(/:v3$/);
  });
});

describe('suspended jobs and roles', () => {
  it('refuses to start a suspended job, saying how to resume it, before any start', async () => {
    const job = await newJob();
    const rec = [...bed.standIn.arm.jobs.values()].find((j) => j.name === job) as unknown as { runningState?: string };
    rec.runningState = 'Suspended';
    // runningState is shown from api-version 2026-07-01 only, which the stand-in lists only on request.
    bed.standIn.arm.setApiVersions(APP_API_VERSIONS_WITH_2026_07_01);
    try {
      const r = await bed.run({ 'job-name': job, start: 'true' });
      expect(r.exitCode).toBe(1);
      expect(r.errors[0]).toMatch(
        /^Job 'field-job-\d+' in resource group '.*' is suspended \(runningState Suspended\)/,
      );
      expect(r.errors[0]).toContain(`/providers/Microsoft.App/jobs/${job}/resume?api-version=2026-07-01`);
      expect(r.writes).toEqual([]);
    } finally {
      bed.standIn.arm.setApiVersions(DEFAULT_APP_API_VERSIONS);
    }
  });

  it('retries a start refused with 403 while a new role propagates, said once', async () => {
    const job = await newJob();
    const { arm } = bed.standIn;
    const contributor = arm.roleAssignments.find((a) => a.principalId === bed.world.objectId)!;
    arm.removeRoleAssignment(contributor);
    const reader = arm.addRoleAssignment({
      principalId: bed.world.objectId,
      role: 'Container Apps Jobs Reader',
      scope: `/subscriptions/${bed.world.subscriptionId}`,
    });
    // The grant "arrives" once Azure has refused the first start.
    const granted = requestSeen((q) => q.method === 'POST' && q.path.endsWith('/start') && q.status === 403).then(() =>
      arm.addRoleAssignment({
        principalId: bed.world.objectId,
        role: 'Contributor',
        scope: `/subscriptions/${bed.world.subscriptionId}`,
      }),
    );
    try {
      const r = await bed.run({ 'job-name': job, start: 'true', logs: 'false' });
      expect(r.errors).toEqual([]);
      expect(r.outputs['execution-status']).toBe('Succeeded');
      expect(
        r.log.match(
          /Azure refused to start job .* \(403 AuthorizationFailed\); a role granted in the last few minutes/g,
        ),
      ).toHaveLength(1);
      expect(arm.listExecutions(bed.world.resourceGroup, job)).toHaveLength(1);
    } finally {
      arm.removeRoleAssignment(reader);
      const added = await granted;
      arm.removeRoleAssignment(added);
      arm.addRoleAssignment({
        principalId: bed.world.objectId,
        role: 'Contributor',
        scope: `/subscriptions/${bed.world.subscriptionId}`,
      });
    }
  });

  it('finds the registry of its resource group with Contributor on the group only (RBAC-filtered resource list)', async () => {
    const { arm } = bed.standIn;
    const sub = `/subscriptions/${bed.world.subscriptionId}`;
    const contributor = arm.roleAssignments.find((a) => a.principalId === bed.world.objectId && a.scope === sub)!;
    arm.removeRoleAssignment(contributor);
    const group = arm.addRoleAssignment({
      principalId: bed.world.objectId,
      role: 'Contributor',
      scope: `${sub}/resourceGroups/${bed.world.resourceGroup}`,
    });
    try {
      const job = `field-job-${++seq}`;
      const r = await bed.run({
        'job-name': job,
        environment: bed.world.environment,
        image: `${bed.world.registryServer}/pipeline:1`,
      });
      expect(r.errors).toEqual([]);
      expect(r.outputs['job-operation']).toBe('created');
      const lists = r.arm.filter((q) => q.method === 'GET' && /\/resources$/.test(q.path));
      expect(lists.map((q) => q.query.$filter)).toEqual(["resourceType eq 'Microsoft.ContainerRegistry/registries'"]);
      const wire = arm.getJob(bed.world.resourceGroup, job) as {
        properties: { configuration: { registries: { server: string }[] } };
      };
      expect(wire.properties.configuration.registries[0]?.server).toBe(bed.world.registryServer);
    } finally {
      arm.removeRoleAssignment(group);
      arm.addRoleAssignment({ principalId: bed.world.objectId, role: 'Contributor', scope: sub });
    }
  });
});

describe('api-versions without detailedStatus', () => {
  it('takes the exit code from the system events when the executions carry no detailedStatus', async () => {
    const job = await newJob();
    bed.standIn.arm.setApiVersions(['2023-11-02-preview', '2024-03-01', '2025-01-01', '2025-07-01', '2026-01-01']);
    try {
      bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, {
        durationMs: 600,
        outcome: 'Failed',
        exitCode: 3,
      });
      const r = await bed.run({ 'job-name': job, start: 'true' });
      expect(r.exitCode).toBe(1);
      expect(r.outputs['execution-status']).toBe('Failed');
      expect(r.outputs['exit-code']).toBe('3');
      expect(r.errors[0]).toMatch(/exited with code 3/);
    } finally {
      bed.standIn.arm.setApiVersions(DEFAULT_APP_API_VERSIONS);
    }
  });
});
