/**
 * The custom roles of docs/azure-setup.md, with Azure's real permission names (`jobs/execution/read`,
 * `jobs/stop/execution/action`), are enough for what the docs say they allow: the deployer deploys and runs, the
 * runner starts, watches and stops (on timeout) a job it may not change. The actions are read from the docs, so
 * the docs and the test cannot drift apart.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, type Bed } from '../../test-support/e2e.ts';

const IMAGE = 'mcr.microsoft.com/k8se/quickstart-jobs:latest';
const docs = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'azure-setup.md'), 'utf8');
const deployerBlock = /"Actions": \[([^\]]*)\]/.exec(docs)?.[1] ?? '';
const DEPLOYER = [...deployerBlock.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
const RUNNER_DROPS = [
  'Microsoft.App/jobs/write',
  'Microsoft.App/jobs/listSecrets/action',
  'Microsoft.App/managedEnvironments/join/action',
  'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action',
];
const RUNNER = DEPLOYER.filter((a) => !RUNNER_DROPS.includes(a));

let bed: Bed;
beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.close();
});

/** A workflow identity (federated with the current GitHub subject) with exactly these actions on the resource group. */
function identityWith(actions: string[]): string {
  const clientId = randomUUID();
  const objectId = randomUUID();
  bed.standIn.entra.addApp({
    clientId,
    objectId,
    displayName: 'docs-role',
    federatedCredentials: [
      {
        name: 'main',
        issuer: bed.standIn.urls.github,
        subject: bed.world.subject,
        audiences: ['api://AzureADTokenExchange'],
      },
    ],
  });
  bed.standIn.arm.addRoleAssignment({
    principalId: objectId,
    scope: `/subscriptions/${bed.standIn.subscriptionId}/resourceGroups/${bed.world.resourceGroup}`,
    actions,
  });
  return clientId;
}

describe('the custom roles of the setup guide, with the real permission names', () => {
  it('the docs list the real names of reading and stopping one execution', () => {
    expect(DEPLOYER).toEqual(
      expect.arrayContaining(['Microsoft.App/jobs/execution/read', 'Microsoft.App/jobs/stop/execution/action']),
    );
    expect(DEPLOYER).not.toContain('Microsoft.App/jobs/stop/action');
  });

  it('the deployer role creates and updates the job and runs it', async () => {
    const client = identityWith(DEPLOYER);
    const r = await bed.run({
      'client-id': client,
      'job-name': 'roles-job',
      environment: bed.world.environment,
      image: IMAGE,
      start: 'true',
      logs: 'false',
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('created');
    expect(r.outputs['execution-status']).toBe('Succeeded');
  });

  it('the runner role starts, watches and stops an execution that runs too long', async () => {
    const client = identityWith(RUNNER);
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, 'roles-job', { durationMs: 120_000 });
    const r = await bed.run({
      'client-id': client,
      'job-name': 'roles-job',
      start: 'true',
      timeout: '3s',
      logs: 'false',
    });
    expect(r.outputs['execution-status']).toBe('TimedOut');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/did not finish within 3 s and was stopped\./);
    const stop = r.arm.find((q) => q.method === 'POST' && /\/executions\/[^/]+\/stop$/.test(q.path));
    expect(stop?.status).toBe(200);
  }, 60_000);
});
