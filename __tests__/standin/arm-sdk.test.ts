/**
 * Conformance: the real management SDK (@azure/arm-appcontainers 4, modular and classic clients),
 * authenticated by the real ClientAssertionCredential against the stand-in's Entra ID with a token from
 * the stand-in's GitHub OIDC endpoint, drives the stand-in's ARM through every job operation the action uses.
 */
import { ContainerAppsAPIClient, type Job } from '@azure/arm-appcontainers';
import { createContainerAppsAPI, jobExecution, type ContainerAppsAPIContext } from '@azure/arm-appcontainers/api';
import * as jobs from '@azure/arm-appcontainers/api/jobs';
import { list as listExecutions } from '@azure/arm-appcontainers/api/jobsExecutions';
import { ClientAssertionCredential } from '@azure/identity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APP_API_VERSIONS_WITH_2026_07_01, startStandIn, type SeededWorld, type StandIn } from '../../standin/index.ts';

const SCOPE = 'https://management.azure.com/.default';
const FAST = { updateIntervalInMs: 5 };

let standIn: StandIn;
let world: SeededWorld;
let ctx: ContainerAppsAPIContext;
let credential: ClientAssertionCredential;

async function githubIdToken(): Promise<string> {
  const r = await fetch(`${standIn.oidc.requestUrl}&audience=${encodeURIComponent('api://AzureADTokenExchange')}`, {
    headers: { authorization: `Bearer ${standIn.oidc.requestToken}` },
  });
  expect(r.status).toBe(200);
  return ((await r.json()) as { value: string }).value;
}

function client(apiVersion?: string): ContainerAppsAPIContext {
  return createContainerAppsAPI(credential, world.subscriptionId, {
    endpoint: standIn.urls.arm,
    credentials: { scopes: [SCOPE] },
    retryOptions: { maxRetries: 0 },
    ...(apiVersion ? { apiVersion } : {}),
  });
}

function jobBody(image = 'standinacr.azurecr.io/weather:1'): Job {
  return {
    location: 'East US',
    environmentId: world.environmentId,
    configuration: {
      triggerType: 'Manual',
      replicaTimeout: 300,
      replicaRetryLimit: 0,
      manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
      secrets: [{ name: 'db-password', value: 's3cret' }],
    },
    template: {
      containers: [
        {
          name: 'main',
          image,
          env: [
            { name: 'MODE', value: 'batch' },
            { name: 'DB_PASSWORD', secretRef: 'db-password' },
          ],
          resources: { cpu: 0.5, memory: '1Gi' },
        },
      ],
    },
  };
}

async function waitForStatus(name: string, jobName: string, done: (s: string | undefined) => boolean) {
  for (let i = 0; i < 200; i++) {
    const e = await jobExecution(ctx, world.resourceGroup, jobName, name);
    if (done(e.status)) return e;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`execution ${name} never reached the expected status`);
}

const armPaths = () => standIn.requests.filter((r) => r.host === 'arm').map((r) => `${r.method} ${r.status} ${r.path}`);

beforeAll(async () => {
  standIn = await startStandIn({
    arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01, lro: { retryAfterSec: null, durationMs: 0 } },
  });
  world = standIn.seedDefault();
  credential = new ClientAssertionCredential(world.tenantId, world.clientId, githubIdToken, {
    authorityHost: standIn.urls.authority,
    disableInstanceDiscovery: true,
  });
  ctx = client();
});

afterAll(async () => {
  await standIn.close();
});

beforeEach(() => {
  standIn.arm.setLro({ inProgressPolls: 2, startMode: 'sync', patchMode: 'async', stopMode: 'sync' });
  standIn.arm.executionsPageSize = 100;
});

describe('@azure/arm-appcontainers against the stand-in', () => {
  it('creates a job: PUT 201 + Azure-AsyncOperation, polled InProgress twice, then Succeeded, then GET', async () => {
    const before = standIn.requests.length;
    const job = await jobs.createOrUpdate(ctx, world.resourceGroup, 'sdk-create', jobBody(), FAST);
    expect(job.provisioningState).toBe('Succeeded');
    expect(job.id).toBe(
      `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}/providers/Microsoft.App/jobs/sdk-create`,
    );
    expect(job.configuration?.secrets).toEqual([{ name: 'db-password' }]);
    expect(job.template?.containers?.[0]?.resources?.ephemeralStorage).toBe('');

    const arm = standIn.requests.slice(before).filter((r) => r.host === 'arm');
    const shape = arm.map((r) => `${r.method} ${r.status} ${r.path.split('/').slice(-2).join('/')}`);
    const opId = arm[1]!.path.split('/').at(-1);
    expect(shape).toEqual([
      'PUT 201 jobs/sdk-create',
      `GET 200 containerappsjobOperationStatuses/${opId}`,
      `GET 200 containerappsjobOperationStatuses/${opId}`,
      `GET 200 containerappsjobOperationStatuses/${opId}`,
      'GET 200 jobs/sdk-create',
    ]);
    expect(arm[0]!.principal).toBe(world.objectId);
    // the token came from the real Entra exchange with the GitHub ID token as assertion
    expect(standIn.requests.some((r) => r.host === 'entra' && r.method === 'POST')).toBe(true);
    expect(standIn.requests.some((r) => r.host === 'github' && r.status === 200)).toBe(true);
  });

  it('gets a job (secret values stripped) and lists its secrets (values included)', async () => {
    await jobs.createOrUpdate(ctx, world.resourceGroup, 'sdk-get', jobBody(), FAST);
    const job = await jobs.get(ctx, world.resourceGroup, 'sdk-get');
    expect(job.name).toBe('sdk-get');
    expect(job.type).toBe('Microsoft.App/jobs');
    expect(job.eventStreamEndpoint).toMatch(/\/containerApps\/sdk-get\/eventstream$/);
    expect(job.configuration?.secrets?.[0]).toEqual({ name: 'db-password' });
    const secrets = await jobs.listSecrets(ctx, world.resourceGroup, 'sdk-get');
    expect(secrets.value).toEqual([{ name: 'db-password', value: 's3cret' }]);
    const missing = await jobs.get(ctx, world.resourceGroup, 'nope').catch((e: unknown) => e);
    expect(missing).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('updates a job: PATCH 202 + Location polled until 200 with the job; secrets kept', async () => {
    await jobs.createOrUpdate(ctx, world.resourceGroup, 'sdk-update', jobBody(), FAST);
    const before = standIn.requests.length;
    const updated = await jobs.update(
      ctx,
      world.resourceGroup,
      'sdk-update',
      {
        properties: {
          template: {
            containers: [
              { name: 'main', image: 'standinacr.azurecr.io/weather:2', env: [{ name: 'MODE', value: 'x' }] },
            ],
          },
        },
      },
      FAST,
    );
    expect(updated.provisioningState).toBe('Succeeded');
    expect(updated.template?.containers?.[0]?.image).toBe('standinacr.azurecr.io/weather:2');
    expect(updated.template?.containers?.[0]?.env).toEqual([{ name: 'MODE', value: 'x' }]);
    const arm = standIn.requests.slice(before).filter((r) => r.host === 'arm');
    expect(arm.map((r) => `${r.method} ${r.status}`)).toEqual(['PATCH 202', 'GET 202', 'GET 202', 'GET 200']);
    expect(arm[1]!.path).toMatch(/\/containerappsjobOperationResults\//);
    expect((await jobs.listSecrets(ctx, world.resourceGroup, 'sdk-update')).value).toEqual([
      { name: 'db-password', value: 's3cret' },
    ]);
  });

  it('starts synchronously (200 {id,name}) and polls the execution to Succeeded', async () => {
    await jobs.createOrUpdate(ctx, world.resourceGroup, 'sdk-start', jobBody(), FAST);
    // Long enough to still be Running at the first read on a loaded machine; the end is polled for.
    standIn.arm.scriptExecutions(world.resourceGroup, 'sdk-start', { durationMs: 1500 });
    const started = await jobs.start(ctx, world.resourceGroup, 'sdk-start', FAST);
    expect(started.name).toMatch(/^sdk-start-[a-z0-9]{7}$/);
    expect(started.id).toBe(
      `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}/providers/Microsoft.App/jobs/sdk-start/executions/${started.name}`,
    );
    const last = standIn.requests.filter((r) => r.host === 'arm' && r.method === 'POST').at(-1)!;
    expect(last.status).toBe(200);
    const first = await jobExecution(ctx, world.resourceGroup, 'sdk-start', started.name!);
    expect(first.status).toBe('Running');
    const done = await waitForStatus(started.name!, 'sdk-start', (s) => s !== 'Running');
    expect(done.status).toBe('Succeeded');
    expect(done.endTime).toBeInstanceOf(Date);
    expect(done.detailedStatus?.replicas?.[0]?.containers?.[0]).toMatchObject({
      name: 'main',
      code: 0,
      status: 'Succeeded',
    });
  });

  it('starts with a template override and in the 202 + Location mode', async () => {
    await jobs.createOrUpdate(ctx, world.resourceGroup, 'sdk-start-async', jobBody(), FAST);
    standIn.arm.setLro({ startMode: 'async' });
    const before = standIn.requests.length;
    const started = await jobs.start(ctx, world.resourceGroup, 'sdk-start-async', {
      ...FAST,
      template: {
        containers: [
          { name: 'main', image: 'standinacr.azurecr.io/weather:1', env: [{ name: 'RUN_DATE', value: '2026-01-02' }] },
        ],
      },
    });
    expect(started.name).toMatch(/^sdk-start-async-[a-z0-9]{7}$/);
    const arm = standIn.requests.slice(before).filter((r) => r.host === 'arm');
    expect(arm.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 202', 'GET 202', 'GET 202', 'GET 200']);
    const e = await jobExecution(ctx, world.resourceGroup, 'sdk-start-async', started.name!);
    expect(e.template?.containers?.[0]?.env).toEqual([{ name: 'RUN_DATE', value: '2026-01-02' }]);
  });

  it('reports a failed execution with its exit code, reason and message', async () => {
    await jobs.createOrUpdate(ctx, world.resourceGroup, 'sdk-fail', jobBody(), FAST);
    standIn.arm.scriptExecutions(world.resourceGroup, 'sdk-fail', { durationMs: 20, outcome: 'Failed', exitCode: 3 });
    const started = await jobs.start(ctx, world.resourceGroup, 'sdk-fail', FAST);
    const done = await waitForStatus(started.name!, 'sdk-fail', (s) => s !== 'Running');
    expect(done.status).toBe('Failed');
    expect(done.reason).toBe('BackoffLimitExceeded');
    expect(done.message).toBe('Job has reached the specified backoff limit');
    expect(done.detailedStatus?.replicas?.[0]?.containers?.[0]).toMatchObject({ code: 3, status: 'Failed' });
  });

  it('stops a hanging execution (200) and it becomes Stopped; also in the 202 mode', async () => {
    await jobs.createOrUpdate(ctx, world.resourceGroup, 'sdk-stop', jobBody(), FAST);
    standIn.arm.scriptExecutions(world.resourceGroup, 'sdk-stop', { outcome: 'Hang' }, { outcome: 'Hang' });
    const a = await jobs.start(ctx, world.resourceGroup, 'sdk-stop', FAST);
    await jobs.stopExecution(ctx, world.resourceGroup, 'sdk-stop', a.name!, FAST);
    expect((await jobExecution(ctx, world.resourceGroup, 'sdk-stop', a.name!)).status).toBe('Stopped');

    standIn.arm.setLro({ stopMode: 'async' });
    const b = await jobs.start(ctx, world.resourceGroup, 'sdk-stop', FAST);
    const before = standIn.requests.length;
    await jobs.stopExecution(ctx, world.resourceGroup, 'sdk-stop', b.name!, FAST);
    expect(standIn.requests.slice(before).map((r) => `${r.method} ${r.status}`)).toEqual([
      'POST 202',
      'GET 202',
      'GET 202',
      'GET 200',
    ]);
    expect((await jobExecution(ctx, world.resourceGroup, 'sdk-stop', b.name!)).status).toBe('Stopped');
  });

  it('lists executions newest first across nextLink pages', async () => {
    await jobs.createOrUpdate(ctx, world.resourceGroup, 'sdk-list', jobBody(), FAST);
    standIn.arm.executionsPageSize = 2;
    const names: string[] = [];
    for (let i = 0; i < 5; i++) names.push((await jobs.start(ctx, world.resourceGroup, 'sdk-list', FAST)).name!);
    const before = standIn.requests.length;
    const seen: string[] = [];
    for await (const e of listExecutions(ctx, world.resourceGroup, 'sdk-list')) seen.push(e.name!);
    expect(seen).toEqual([...names].reverse());
    const pages = standIn.requests.slice(before);
    expect(pages).toHaveLength(3);
    expect(pages[1]!.query.$skiptoken).toBeTruthy();
    expect(pages.every((p) => p.query['api-version'] === '2026-07-01' && p.status === 200)).toBe(true);
  });

  it('works at an older api-version (no detailedStatus / reason / message before 2026-07-01)', async () => {
    const old = client('2025-07-01');
    await jobs.createOrUpdate(old, world.resourceGroup, 'sdk-old', jobBody(), FAST);
    standIn.arm.scriptExecutions(world.resourceGroup, 'sdk-old', { durationMs: 0, outcome: 'Failed' });
    const started = await jobs.start(old, world.resourceGroup, 'sdk-old', FAST);
    const e = await jobExecution(old, world.resourceGroup, 'sdk-old', started.name!);
    expect(e.status).toBe('Failed');
    expect(e.detailedStatus).toBeUndefined();
    expect(e.reason).toBeUndefined();
    expect(
      standIn.requests.filter((r) => r.path.endsWith('/sdk-old')).every((r) => r.query['api-version'] === '2025-07-01'),
    ).toBe(true);
  });

  it('surfaces a failed provisioning as the operation error', async () => {
    standIn.arm.queueOperationOutcome({
      outcome: 'Failed',
      error: { code: 'ContainerAppJobProvisioningFailed', message: 'boom' },
    });
    const err = (await jobs
      .createOrUpdate(ctx, world.resourceGroup, 'sdk-broken', jobBody(), FAST)
      .catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(String(err.message)).toMatch(/boom/);
    expect(standIn.arm.getJob(world.resourceGroup, 'sdk-broken')?.properties).toMatchObject({
      provisioningState: 'Failed',
    });
  });

  it('the classic ContainerAppsAPIClient works too', async () => {
    await jobs.createOrUpdate(ctx, world.resourceGroup, 'sdk-classic', jobBody(), FAST);
    const classic = new ContainerAppsAPIClient(credential, world.subscriptionId, {
      endpoint: standIn.urls.arm,
      credentials: { scopes: [SCOPE] },
    });
    const job = await classic.jobs.get(world.resourceGroup, 'sdk-classic');
    expect(job.provisioningState).toBe('Succeeded');
    expect(armPaths().at(-1)).toMatch(/^GET 200 .*\/jobs\/sdk-classic$/);
  });
});
