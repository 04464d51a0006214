/**
 * Real Azure, not our model of it: the bundled action against answers the field shows (field-evidence.md):
 * a suspended job, a role that is still propagating, and a registry
 * only the resource group's Contributor can see.
 *
 * Part of the field-azure suite (split in files so that no file holds the parallel run back).
 */
import { describe, expect, it } from 'vitest';
import { APP_API_VERSIONS_WITH_2026_07_01, DEFAULT_APP_API_VERSIONS } from '../../standin/index.ts';
import { quickLro, suiteBed } from '../../test-support/e2e-suite.ts';

const bed = suiteBed('field-job', quickLro());
const { newJob } = bed;

/** Resolves when a request matching `test` has been answered (polls the stand-in's request log). */
async function requestSeen(test: (r: { method: string; path: string; status: number }) => boolean): Promise<void> {
  const from = bed.standIn.requests.length;
  while (!bed.standIn.requests.slice(from).some((r) => r.status !== 0 && test(r))) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

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
      const job = bed.nextJobName();
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
