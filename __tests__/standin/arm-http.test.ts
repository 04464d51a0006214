/**
 * The ARM stand-in over plain HTTPS: authentication, authorization, not-found, conflicts, schema and
 * api-version rejections, secrets, merge patches, the broken $filter, registries, throttling, headers,
 * and every main answer validated against the official spec.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpsFetch, type SimpleResponse } from '../../standin/common/http.ts';
import { APP_API_VERSIONS_WITH_2026_07_01, startStandIn, type SeededWorld, type StandIn } from '../../standin/index.ts';

let standIn: StandIn;
let world: SeededWorld;
let token: string;
let now = Date.parse('2026-08-01T10:00:00Z');

const V = '2026-07-01';

function jobPath(name: string, rg = world.resourceGroup): string {
  return `/subscriptions/${world.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.App/jobs/${name}`;
}

async function call(
  method: string,
  path: string,
  opts: { body?: unknown; auth?: string | null; version?: string | null; headers?: Record<string, string> } = {},
): Promise<SimpleResponse> {
  const url = new URL(path, standIn.urls.arm);
  if (opts.version !== null) url.searchParams.set('api-version', opts.version ?? V);
  const headers: Record<string, string> = { ...opts.headers };
  const auth = opts.auth === undefined ? `Bearer ${token}` : opts.auth;
  if (auth !== null) headers.authorization = auth;
  return httpsFetch(url.toString(), { method, headers, body: opts.body });
}

/** GET of an absolute URL handed out by the stand-in (operation status / Location), authenticated. */
function poll(url: string): Promise<SimpleResponse> {
  return httpsFetch(url, { headers: { authorization: `Bearer ${token}` } });
}

function jobBody(extra: { secrets?: unknown[]; image?: string; env?: unknown[] } = {}): Record<string, unknown> {
  return {
    location: 'East US',
    tags: { team: 'data', owner: 'alice' },
    properties: {
      environmentId: world.environmentId,
      configuration: {
        triggerType: 'Manual',
        replicaTimeout: 300,
        replicaRetryLimit: 1,
        secrets: extra.secrets ?? [{ name: 'pw', value: 'hunter2' }],
      },
      template: {
        containers: [
          {
            name: 'main',
            image: extra.image ?? 'standinacr.azurecr.io/app:1',
            env: extra.env ?? [
              { name: 'A', value: '1' },
              { name: 'PW', secretRef: 'pw' },
            ],
            resources: { cpu: 0.5, memory: '1Gi' },
          },
        ],
      },
    },
  };
}

/** Creates a job and polls its operation to the end. */
async function createJob(name: string, body = jobBody()): Promise<void> {
  const r = await call('PUT', jobPath(name), { body });
  expect(r.status, r.text).toBe(201);
  let s: SimpleResponse;
  do s = await poll(r.headers['azure-asyncoperation']!);
  while ((s.json as { status: string }).status === 'InProgress');
}

function err(r: SimpleResponse): { code: string; message: string } {
  return (r.json as { error: { code: string; message: string } }).error;
}

beforeAll(async () => {
  standIn = await startStandIn({
    clock: () => now,
    arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01, lro: { retryAfterSec: null, durationMs: 0 } },
  });
  world = standIn.seedDefault();
  token = standIn.entra.issueAccessToken({ clientId: world.clientId });
});

afterAll(async () => {
  await standIn.close();
});

beforeEach(() => {
  standIn.faults.clear();
  standIn.arm.setLro({ inProgressPolls: 1, patchMode: 'async', startMode: 'sync', stopMode: 'sync', putMode: 'async' });
  standIn.arm.setThrottling({ enabled: true, reads: { size: 250, refillPerSec: 25 } });
  standIn.arm.filterMode = 'invalid-parameter';
  standIn.arm.schemaErrorStyle = 'arm';
});

describe('authentication (401)', () => {
  it('missing header: AuthenticationFailed with a WWW-Authenticate challenge', async () => {
    const r = await call('GET', jobPath('x'), { auth: null });
    expect(r.status).toBe(401);
    expect(err(r)).toEqual({
      code: 'AuthenticationFailed',
      message: "Authentication failed. The 'Authorization' header is missing.",
    });
    expect(r.headers['www-authenticate']).toMatch(
      /^Bearer authorization_uri="https:\/\/localhost:\d+\/", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."$/,
    );
    expect(r.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('malformed header, invalid token, foreign signature', async () => {
    const basic = await call('GET', jobPath('x'), { auth: 'Basic dXNlcjpwdw==' });
    expect(err(basic)).toEqual({
      code: 'AuthenticationFailed',
      message: "Authentication failed. The 'Authorization' header is provided in an invalid format.",
    });
    const junk = await call('GET', jobPath('x'), { auth: 'Bearer not.a.jwt' });
    expect(junk.status).toBe(401);
    expect(err(junk)).toEqual({ code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' });
    const forged = token.split('.').slice(0, 2).join('.') + '.' + Buffer.from('x'.repeat(256)).toString('base64url');
    expect(err(await call('GET', jobPath('x'), { auth: `Bearer ${forged}` })).code).toBe('InvalidAuthenticationToken');
  });

  it('expired token: ExpiredAuthenticationToken with the real message', async () => {
    const short = standIn.entra.issueAccessToken({ clientId: world.clientId, lifetimeSec: 60 });
    now += 2 * 3600_000;
    try {
      const r = await call('GET', jobPath('x'), { auth: `Bearer ${short}` });
      expect(r.status).toBe(401);
      expect(err(r).code).toBe('ExpiredAuthenticationToken');
      expect(err(r).message).toMatch(
        /^The access token expiry UTC time '\d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d{2}:\d{2} (AM|PM)' is earlier than current UTC time '\d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d{2}:\d{2} (AM|PM)'\.$/,
      );
    } finally {
      now -= 2 * 3600_000;
    }
  });

  it('a token for another resource: InvalidAuthenticationTokenAudience', async () => {
    const graph = standIn.entra.issueAccessToken({ clientId: world.clientId, resource: 'https://graph.microsoft.com' });
    const r = await call('GET', jobPath('x'), { auth: `Bearer ${graph}` });
    expect(r.status).toBe(401);
    expect(err(r).code).toBe('InvalidAuthenticationTokenAudience');
    expect(err(r).message).toContain("wrong audience or resource 'https://graph.microsoft.com'");
  });
});

describe('authorization (403)', () => {
  it('a principal without any role assignment gets AuthorizationFailed with the real message', async () => {
    const clientId = randomUUID();
    const objectId = randomUUID();
    standIn.entra.addApp({ clientId, objectId, federatedCredentials: [] });
    const t = standIn.entra.issueAccessToken({ clientId });
    const r = await call('PUT', jobPath('denied'), { auth: `Bearer ${t}`, body: jobBody() });
    expect(r.status).toBe(403);
    expect(err(r)).toEqual({
      code: 'AuthorizationFailed',
      message: `The client '${clientId}' with object id '${objectId}' does not have authorization to perform action 'Microsoft.App/jobs/write' over scope '/subscriptions/${world.subscriptionId}/resourcegroups/${world.resourceGroup}/providers/Microsoft.App/jobs/denied' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    });
    expect(standIn.arm.getJob(world.resourceGroup, 'denied')).toBeUndefined();
  });

  it('Reader reads but cannot write, start or list secrets; the Jobs Operator can start but not write', async () => {
    await createJob('rbac');
    const reader = randomUUID();
    standIn.entra.addApp({ clientId: reader, federatedCredentials: [] });
    const readerOid = standIn.entra.apps.get(reader)!.objectId;
    standIn.arm.addRoleAssignment({
      principalId: readerOid,
      role: 'Reader',
      scope: `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}`,
    });
    const t = `Bearer ${standIn.entra.issueAccessToken({ clientId: reader })}`;
    expect((await call('GET', jobPath('rbac'), { auth: t })).status).toBe(200);
    expect(err(await call('PATCH', jobPath('rbac'), { auth: t, body: { tags: { a: 'b' } } })).message).toContain(
      "'Microsoft.App/jobs/write'",
    );
    expect(err(await call('POST', `${jobPath('rbac')}/start`, { auth: t })).message).toContain(
      "'Microsoft.App/jobs/start/action'",
    );
    expect(err(await call('POST', `${jobPath('rbac')}/listSecrets`, { auth: t })).message).toContain(
      "'Microsoft.App/jobs/listSecrets/action'",
    );

    const op = randomUUID();
    standIn.entra.addApp({ clientId: op, federatedCredentials: [] });
    // role assignments may name the client id too
    standIn.arm.addRoleAssignment({ principalId: op, role: 'Container Apps Jobs Operator', scope: jobPath('rbac') });
    const ot = `Bearer ${standIn.entra.issueAccessToken({ clientId: op })}`;
    expect((await call('POST', `${jobPath('rbac')}/start`, { auth: ot })).status).toBe(200);
    expect((await call('PATCH', jobPath('rbac'), { auth: ot, body: { tags: { a: 'b' } } })).status).toBe(403);
    // scope: the assignment on one job does not cover another
    expect((await call('GET', jobPath('other'), { auth: ot })).status).toBe(403);
  });

  it('creating a job needs join/action on the environment: LinkedAuthorizationFailed', async () => {
    const cid = randomUUID();
    standIn.entra.addApp({ clientId: cid, federatedCredentials: [] });
    const oid = standIn.entra.apps.get(cid)!.objectId;
    standIn.arm.addRoleAssignment({
      principalId: oid,
      actions: ['Microsoft.App/jobs/*'],
      scope: `/subscriptions/${world.subscriptionId}`,
    });
    const r = await call('PUT', jobPath('linked'), {
      auth: `Bearer ${standIn.entra.issueAccessToken({ clientId: cid })}`,
      body: jobBody(),
    });
    expect(r.status).toBe(403);
    expect(err(r).code).toBe('LinkedAuthorizationFailed');
    expect(err(r).message).toContain("'Microsoft.App/managedEnvironments/join/action' on the linked scope(s)");
  });
});

describe('not found (404)', () => {
  it('job, resource group, subscription, execution, environment, registry', async () => {
    expect(err(await call('GET', jobPath('ghost')))).toEqual({
      code: 'ResourceNotFound',
      message: `The Resource 'Microsoft.App/jobs/ghost' under resource group '${world.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    });
    const noRg = await call('GET', jobPath('ghost', 'rg-missing'));
    expect(noRg.status).toBe(404);
    expect(err(noRg)).toEqual({
      code: 'ResourceGroupNotFound',
      message: "Resource group 'rg-missing' could not be found.",
    });
    const otherSub = randomUUID();
    const sub = await call('GET', `/subscriptions/${otherSub}/resourceGroups/x/providers/Microsoft.App/jobs/y`);
    expect(err(sub)).toEqual({
      code: 'SubscriptionNotFound',
      message: `The subscription '${otherSub}' could not be found.`,
    });
    await createJob('has-no-exec');
    expect((await call('GET', `${jobPath('has-no-exec')}/executions/has-no-exec-aaaaaaa`)).status).toBe(404);
    expect(
      (
        await call(
          'GET',
          `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}/providers/Microsoft.App/managedEnvironments/nope`,
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await call(
          'GET',
          `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}/providers/Microsoft.ContainerRegistry/registries/nope`,
          { version: '2023-07-01' },
        )
      ).status,
    ).toBe(404);
  });
});

describe('long-running operations and conflicts', () => {
  it('PUT: 201 + Azure-AsyncOperation in the recorded shape, x-ms-async-operation-timeout PT15M', async () => {
    const r = await call('PUT', jobPath('lro'), { body: jobBody() });
    expect(r.status).toBe(201);
    expect((r.json as { properties: { provisioningState: string } }).properties.provisioningState).toBe('InProgress');
    expect(r.headers['x-ms-async-operation-timeout']).toBe('PT15M');
    const url = new URL(r.headers['azure-asyncoperation']!);
    expect(url.origin).toBe(standIn.urls.arm);
    expect(url.pathname).toMatch(
      new RegExp(
        `^/subscriptions/${world.subscriptionId}/providers/Microsoft.App/locations/eastus/containerappsjobOperationStatuses/[0-9a-f-]{36}$`,
      ),
    );
    expect(url.searchParams.get('api-version')).toBe(V);
    expect(url.searchParams.get('azureAsyncOperation')).toBe('true');
    for (const p of ['t', 'c', 's', 'h']) expect(url.searchParams.get(p)).toBeTruthy();
    // GET while in progress shows InProgress and counts as an observation
    const during = await call('GET', jobPath('lro'));
    expect((during.json as { properties: { provisioningState: string } }).properties.provisioningState).toBe(
      'InProgress',
    );
    const polled = await poll(url.toString());
    expect(polled.json).toMatchObject({ status: 'Succeeded', name: url.pathname.split('/').at(-1) });
  });

  it('409 while the previous operation is in progress; accepted once it ended', async () => {
    standIn.arm.setLro({ inProgressPolls: 1 });
    const put = await call('PUT', jobPath('busy'), { body: jobBody() });
    const patch = await call('PATCH', jobPath('busy'), { body: { tags: { x: 'y' } } });
    expect(patch.status).toBe(409);
    const opId = new URL(put.headers['azure-asyncoperation']!).pathname.split('/').at(-1);
    expect(err(patch)).toEqual({
      code: 'ContainerAppsJobOperationInProgress',
      message: `Cannot modify a container apps job 'busy' because there is an active provisioning operation in progress. OperationId: '${opId}'.`,
    });
    expect((await call('PUT', jobPath('busy'), { body: jobBody() })).status).toBe(409);
    expect((await call('DELETE', jobPath('busy'))).status).toBe(409);
    await poll(put.headers['azure-asyncoperation']!);
    await poll(put.headers['azure-asyncoperation']!);
    expect((await call('PATCH', jobPath('busy'), { body: { tags: { x: 'y' } } })).status).toBe(202);
  });

  it('PATCH 202 + Location + Retry-After, polled to 200 with the job; or 200 synchronously', async () => {
    await createJob('patchy');
    standIn.arm.setLro({ retryAfterSec: 0 });
    const r = await call('PATCH', jobPath('patchy'), { body: { tags: { stage: 'prod' } } });
    expect(r.status).toBe(202);
    expect(r.headers['retry-after']).toBe('0');
    expect(r.headers.location).toMatch(
      /\/providers\/Microsoft\.App\/locations\/eastus\/containerappsjobOperationResults\/[0-9a-f-]{36}\?api-version=2026-07-01$/,
    );
    expect((await poll(r.headers.location!)).status).toBe(202);
    const done = await poll(r.headers.location!);
    expect(done.status).toBe(200);
    expect((done.json as { tags: Record<string, string> }).tags).toEqual({
      team: 'data',
      owner: 'alice',
      stage: 'prod',
    });
    standIn.arm.setLro({ patchMode: 'sync', retryAfterSec: null });
    const sync = await call('PATCH', jobPath('patchy'), { body: { tags: { stage: null } } });
    expect(sync.status).toBe(200);
    expect((sync.json as { tags: Record<string, string> }).tags).toEqual({ team: 'data', owner: 'alice' });
  });

  it('a Failed operation reports its error on the status URL and its Location', async () => {
    standIn.arm.queueOperationOutcome({ outcome: 'Failed', error: { code: 'Boom', message: 'It broke.' } });
    const r = await call('PUT', jobPath('failing'), { body: jobBody() });
    await poll(r.headers['azure-asyncoperation']!);
    const s = await poll(r.headers['azure-asyncoperation']!);
    expect(s.json).toMatchObject({ status: 'Failed', error: { code: 'Boom', message: 'It broke.' } });
    expect((s.json as { endTime?: string }).endTime).toBeTruthy();
    expect(standIn.arm.getJob(world.resourceGroup, 'failing')!.properties).toMatchObject({
      provisioningState: 'Failed',
    });
    standIn.arm.queueOperationOutcome({ outcome: 'Canceled', kind: 'job-patch' });
    const p = await call('PATCH', jobPath('failing'), { body: { tags: { a: 'b' } } });
    await poll(p.headers.location!);
    const l = await poll(p.headers.location!);
    expect(l.status).toBe(400);
    expect(err(l).code).toBe('OperationCanceled');
  });

  it('DELETE: 202 + Location, job Deleting then gone; a missing job is 204', async () => {
    await createJob('doomed');
    const d = await call('DELETE', jobPath('doomed'));
    expect(d.status).toBe(202);
    expect(standIn.arm.getJob(world.resourceGroup, 'doomed')!.properties).toMatchObject({
      provisioningState: 'Deleting',
    });
    await poll(d.headers.location!);
    expect((await poll(d.headers.location!)).status).toBe(200);
    expect(standIn.arm.getJob(world.resourceGroup, 'doomed')).toBeUndefined();
    expect((await call('DELETE', jobPath('doomed'))).status).toBe(204);
  });
});

describe('request validation (400)', () => {
  it('an unknown member is rejected with its JSON path', async () => {
    const body = jobBody();
    (body.properties as { configuration: Record<string, unknown> }).configuration.replicaTimout = 30;
    const r = await call('PUT', jobPath('bad1'), { body });
    expect(r.status).toBe(400);
    expect(err(r).code).toBe('InvalidRequestContent');
    expect(err(r).message).toContain(
      "Could not find member 'replicaTimout' on object of type 'JobConfiguration'. Path 'properties.configuration.replicaTimout'",
    );
    expect(standIn.arm.getJob(world.resourceGroup, 'bad1')).toBeUndefined();
  });

  it('wrong types, unknown enum values, missing required members, formats', async () => {
    const wrongType = jobBody();
    (wrongType.properties as { configuration: Record<string, unknown> }).configuration.replicaTimeout = '300';
    expect(err(await call('PUT', jobPath('bad2'), { body: wrongType })).message).toContain(
      "Path 'properties.configuration.replicaTimeout'",
    );

    const badEnum = jobBody();
    (badEnum.properties as { configuration: Record<string, unknown> }).configuration.triggerType = 'Sometimes';
    expect(err(await call('PUT', jobPath('bad2'), { body: badEnum })).message).toContain('Sometimes');

    const noLocation = jobBody();
    delete noLocation.location;
    expect(err(await call('PUT', jobPath('bad2'), { body: noLocation })).message).toContain(
      "Required property 'location' not found",
    );

    const badIdentity = { ...jobBody(), identity: { type: 'Sometimes' } };
    expect((await call('PUT', jobPath('bad2'), { body: badIdentity })).status).toBe(400);

    const notJson = await call('PUT', jobPath('bad2'), { body: '{"location": ' });
    expect(err(notJson).code).toBe('InvalidRequestContent');
  });

  it('enum values are matched case-insensitively and answered canonically (as recorded)', async () => {
    const body = jobBody();
    (body.properties as { configuration: Record<string, unknown> }).configuration.triggerType = 'manual';
    const r = await call('PUT', jobPath('lowercase'), { body });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ properties: { configuration: { triggerType: 'Manual' } } });
  });

  it('read-only members are ignored (a GET body can be PUT back)', async () => {
    await createJob('roundtrip');
    const got = (await call('GET', jobPath('roundtrip'))).json as Record<string, unknown>;
    const conf = (got.properties as { configuration: { secrets: unknown[] } }).configuration;
    conf.secrets = [{ name: 'pw', value: 'again' }];
    const r = await call('PUT', jobPath('roundtrip'), { body: got });
    expect(r.status, r.text).toBe(200);
  });

  it('a PATCH of configuration without triggerType or replicaTimeout is rejected', async () => {
    await createJob('patch-rules');
    const r = await call('PATCH', jobPath('patch-rules'), {
      body: { properties: { configuration: { replicaRetryLimit: 3 } } },
    });
    expect(r.status).toBe(400);
    expect(err(r).message).toMatch(
      /Required property '(triggerType|replicaTimeout)' not found in JSON\. Path 'properties\.configuration'/,
    );
    const ok = await call('PATCH', jobPath('patch-rules'), {
      body: { properties: { configuration: { triggerType: 'Manual', replicaTimeout: 60, replicaRetryLimit: 3 } } },
    });
    expect(ok.status).toBe(202);
  });

  it('environmentId cannot change; secrets need values; secretRefs must exist; images are required', async () => {
    await createJob('rules');
    const otherEnv = standIn.arm.addManagedEnvironment({ resourceGroup: world.resourceGroup, name: 'env-two' });
    const move = await call('PATCH', jobPath('rules'), { body: { properties: { environmentId: otherEnv.id } } });
    expect(move.status).toBe(400);
    expect(err(move).message).toContain('cannot be changed');
    const noValue = await call('PATCH', jobPath('rules'), {
      body: { properties: { configuration: { triggerType: 'Manual', replicaTimeout: 60, secrets: [{ name: 'pw' }] } } },
    });
    expect(err(noValue).code).toBe('ContainerAppSecretInvalid');
    const dangling = await call('PUT', jobPath('rules2'), {
      body: jobBody({ secrets: [], env: [{ name: 'X', secretRef: 'nope' }] }),
    });
    expect(err(dangling).code).toBe('ContainerAppSecretRefNotFound');
    const noImage = await call('PUT', jobPath('rules2'), { body: jobBody({ image: '' }) });
    expect(err(noImage)).toEqual({
      code: 'ContainerAppImageRequired',
      message: "Container with name 'main' must have an 'Image' property specified.",
    });
    const moved = await call('PUT', jobPath('rules'), { body: { ...jobBody(), location: 'West Europe' } });
    expect(err(moved)).toEqual({
      code: 'InvalidResourceLocation',
      message: `The resource 'rules' already exists in location 'eastus' in resource group '${world.resourceGroup}'. A resource with the same name cannot be created in location 'westeurope'. Please select a new resource name.`,
    });
    const badName = await call('PUT', jobPath('Bad--Name'), { body: jobBody() });
    expect(badName.status).toBe(400);
  });

  it('a start template must conform to JobExecutionTemplate', async () => {
    await createJob('tmpl');
    const r = await call('POST', `${jobPath('tmpl')}/start`, { body: { containers: { name: 'main' } } });
    expect(r.status).toBe(400);
    expect(err(r).message).toContain("Path 'containers'");
    const probes = await call('POST', `${jobPath('tmpl')}/start`, {
      body: { containers: [{ name: 'main', probes: [] }] },
    });
    expect(err(probes).message).toContain("Could not find member 'probes' on object of type 'JobExecutionContainer'");
  });

  it('the RP problem-details shape is available (schemaErrorStyle)', async () => {
    standIn.arm.schemaErrorStyle = 'problem-details';
    const body = jobBody();
    (body.properties as { configuration: Record<string, unknown> }).configuration.eventTrigger = {};
    const r = await call('PUT', jobPath('pd'), { body });
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.json).toMatchObject({
      title: 'One or more validation errors occurred.',
      status: 400,
      errors: {
        $: [
          'Unknown properties eventTrigger in Microsoft.ContainerApps.WebApi.Views.Version20260701.JobConfiguration are not supported',
        ],
      },
    });
  });
});

describe('api-version', () => {
  it('unsupported: NoRegisteredProviderFound listing the supported versions and locations', async () => {
    standIn.arm.setApiVersions(['2025-07-01', '2025-10-02-preview', '2026-01-01']);
    try {
      const r = await call('GET', jobPath('any'), { version: '2026-07-01' });
      expect(r.status).toBe(400);
      expect(err(r).code).toBe('NoRegisteredProviderFound');
      expect(err(r).message).toMatch(
        /^No registered resource provider found for location 'eastus' and API version '2026-07-01' for type 'jobs'\. The supported api-versions are '2025-07-01, 2025-10-02-preview, 2026-01-01'\. The supported locations are '[a-z0-9, ]+'\.$/,
      );
      expect(r.headers['api-supported-versions']).toBe('2025-07-01, 2025-10-02-preview, 2026-01-01');
      expect((await call('GET', jobPath('any'), { version: '2026-01-01' })).status).toBe(404);
    } finally {
      standIn.arm.setApiVersions(APP_API_VERSIONS_WITH_2026_07_01);
    }
  });

  it('malformed: InvalidApiVersionParameter; missing: MissingApiVersionParameter', async () => {
    const bad = await call('GET', jobPath('any'), { version: 'latest' });
    expect(err(bad).code).toBe('InvalidApiVersionParameter');
    expect(err(bad).message).toMatch(
      /^The api-version 'latest' is invalid\. The supported versions are '2026-07-01,2026-01-01,/,
    );
    const none = await call('GET', jobPath('any'), { version: null });
    expect(err(none)).toEqual({
      code: 'MissingApiVersionParameter',
      message: 'The api-version query parameter (?api-version=) is required for all requests.',
    });
  });
});

describe('secrets are write-only', () => {
  it('GET strips values (names, keyVaultUrl, identity kept); listSecrets returns them; PATCH without secrets keeps them', async () => {
    await createJob(
      'secretive',
      jobBody({
        secrets: [
          { name: 'pw', value: 'hunter2' },
          { name: 'kv', keyVaultUrl: 'https://v.vault.azure.net/secrets/x', identity: 'system' },
        ],
      }),
    );
    const got = await call('GET', jobPath('secretive'));
    expect(got.text).not.toContain('hunter2');
    expect(
      (got.json as { properties: { configuration: { secrets: unknown } } }).properties.configuration.secrets,
    ).toEqual([{ name: 'pw' }, { name: 'kv', keyVaultUrl: 'https://v.vault.azure.net/secrets/x', identity: 'system' }]);
    const patched = await call('PATCH', jobPath('secretive'), {
      body: {
        properties: {
          template: { containers: [{ name: 'main', image: 'x:2', env: [{ name: 'PW', secretRef: 'pw' }] }] },
        },
      },
    });
    expect(patched.status).toBe(202);
    const list = await call('POST', `${jobPath('secretive')}/listSecrets`);
    expect(list.json).toEqual({
      value: [
        { name: 'pw', value: 'hunter2' },
        { name: 'kv', keyVaultUrl: 'https://v.vault.azure.net/secrets/x', identity: 'system' },
      ],
    });
    expect(standIn.arm.getJob(world.resourceGroup, 'secretive')!.properties).toMatchObject({
      configuration: { secrets: [{ name: 'pw', value: 'hunter2' }, { name: 'kv' }] },
    });
  });
});

describe('JSON merge patch (RFC 7396)', () => {
  it('merges objects, replaces arrays whole, removes with null', async () => {
    await createJob('merge');
    standIn.arm.setLro({ patchMode: 'sync' });
    const r = await call('PATCH', jobPath('merge'), {
      body: {
        tags: { owner: null, cost: 'low' },
        properties: {
          configuration: { triggerType: 'Manual', replicaTimeout: 600, manualTriggerConfig: { parallelism: 3 } },
          template: {
            containers: [{ name: 'main', image: 'standinacr.azurecr.io/app:2', env: [{ name: 'B', value: '2' }] }],
          },
        },
      },
    });
    expect(r.status, r.text).toBe(200);
    const job = r.json as {
      tags: unknown;
      properties: { configuration: Record<string, unknown>; template: { containers: Record<string, unknown>[] } };
    };
    expect(job.tags).toEqual({ team: 'data', cost: 'low' });
    expect(job.properties.configuration).toMatchObject({
      replicaTimeout: 600,
      replicaRetryLimit: 1,
      manualTriggerConfig: { parallelism: 3, replicaCompletionCount: 1 },
    });
    expect(job.properties.template.containers).toHaveLength(1);
    expect(job.properties.template.containers[0]!.env).toEqual([{ name: 'B', value: '2' }]);
    // the array was replaced: the container's resources came back as the service's defaults
    expect(job.properties.template.containers[0]!.resources).toEqual({ cpu: 0.5, memory: '1Gi', ephemeralStorage: '' });
  });
});

describe('executions list and $filter', () => {
  it('$filter is broken as in the real service: 400 InvalidParameterValue, or 500', async () => {
    await createJob('filtered');
    const r = await call('GET', `${jobPath('filtered')}/executions?$filter=${encodeURIComponent("name eq 'x'")}`);
    expect(r.status).toBe(400);
    expect(err(r)).toEqual({ code: 'InvalidParameterValue', message: 'The parameter filter has an invalid value.' });
    standIn.arm.filterMode = 'internal-error';
    const r2 = await call('GET', `${jobPath('filtered')}/executions?$filter=status%20eq%20'Running'`, {
      headers: { 'x-ms-correlation-request-id': 'c0ffee00-0000-0000-0000-000000000000' },
    });
    expect(r2.status).toBe(500);
    expect(err(r2)).toMatchObject({
      code: 'InternalServerError',
      message: 'Internal server error occurred. correlation ID: c0ffee00-0000-0000-0000-000000000000',
    });
    expect((await call('GET', `${jobPath('filtered')}/executions`)).status).toBe(200);
  });

  it('stop on a finished execution is a no-op 200; stopMultipleExecutions stops the running ones', async () => {
    await createJob('multi');
    standIn.arm.scriptExecutions(
      world.resourceGroup,
      'multi',
      { durationMs: 0 },
      { outcome: 'Hang' },
      { outcome: 'Hang' },
    );
    const done = (await call('POST', `${jobPath('multi')}/start`)).json as { name: string };
    await call('POST', `${jobPath('multi')}/start`);
    await call('POST', `${jobPath('multi')}/start`);
    expect((await call('POST', `${jobPath('multi')}/executions/${done.name}/stop`)).status).toBe(200);
    expect(standIn.arm.getExecution(world.resourceGroup, 'multi', done.name)!.properties).toMatchObject({
      status: 'Succeeded',
    });
    const all = await call('POST', `${jobPath('multi')}/stop`);
    expect(all.status).toBe(200);
    const value = (all.json as { value: { properties: { status: string } }[] }).value;
    expect(value.map((e) => e.properties.status)).toEqual(['Stopped', 'Stopped']);
  });
});

describe('environments, registries, resource groups', () => {
  it('GET resource group and managed environment', async () => {
    const rg = await call('GET', `/subscriptions/${world.subscriptionId}/resourcegroups/${world.resourceGroup}`, {
      version: '2022-09-01',
    });
    expect(rg.json).toMatchObject({
      name: world.resourceGroup,
      location: 'eastus',
      properties: { provisioningState: 'Succeeded' },
    });
    const env = await call('GET', world.environmentId);
    expect(env.json).toMatchObject({
      id: world.environmentId,
      type: 'Microsoft.App/managedEnvironments',
      location: 'East US',
      properties: {
        provisioningState: 'Succeeded',
        appLogsConfiguration: {
          destination: 'log-analytics',
          logAnalyticsConfiguration: { customerId: world.logAnalyticsCustomerId },
        },
      },
    });
  });

  it('registries: list in the subscription, get, listCredentials; admin disabled answers UnAuthorizedForCredentialOperations', async () => {
    const other = standIn.arm.addRegistry({ resourceGroup: 'rg-shared', name: 'SharedReg', adminUserEnabled: false });
    const list = await call(
      'GET',
      `/subscriptions/${world.subscriptionId}/providers/Microsoft.ContainerRegistry/registries`,
      { version: '2023-07-01' },
    );
    const servers = (
      list.json as { value: { properties: { loginServer: string; adminUserEnabled: boolean } }[] }
    ).value.map((v) => [v.properties.loginServer, v.properties.adminUserEnabled]);
    expect(servers).toEqual([
      [world.registryServer, true],
      ['sharedreg.azurecr.io', false],
    ]);
    const creds = await call('POST', `${world.registryId}/listCredentials`, { version: '2023-07-01' });
    expect(creds.json).toEqual({
      username: world.registryUsername,
      passwords: [
        { name: 'password', value: world.registryPassword },
        { name: 'password2', value: expect.any(String) as unknown },
      ],
    });
    const denied = await call('POST', `${other.id}/listCredentials`, { version: '2023-07-01' });
    expect(denied.status).toBe(400);
    expect(err(denied)).toEqual({
      code: 'UnAuthorizedForCredentialOperations',
      message: `Cannot perform credential operations for ${other.id} as admin user is disabled. Kindly enable admin user as per docs: https://docs.microsoft.com/en-us/azure/container-registry/container-registry-authentication#admin-account`,
    });
    // a principal with rights on one resource group only cannot list the subscription's registries
    const cid = randomUUID();
    standIn.entra.addApp({ clientId: cid, federatedCredentials: [] });
    standIn.arm.addRoleAssignment({
      principalId: cid,
      role: 'Contributor',
      scope: `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}`,
    });
    const t = `Bearer ${standIn.entra.issueAccessToken({ clientId: cid })}`;
    const sub = await call(
      'GET',
      `/subscriptions/${world.subscriptionId}/providers/Microsoft.ContainerRegistry/registries`,
      { version: '2023-07-01', auth: t },
    );
    expect(sub.status).toBe(403);
    expect(err(sub).message).toContain(`over scope '/subscriptions/${world.subscriptionId}' or the scope is invalid`);
    expect(
      (
        await call(
          'GET',
          `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}/providers/Microsoft.ContainerRegistry/registries`,
          { version: '2023-07-01', auth: t },
        )
      ).status,
    ).toBe(200);
  });
});

describe('headers, throttling and the request log', () => {
  it('sends ARM headers: request ids, correlation echo, remaining quota, api-supported-versions', async () => {
    const a = await call('GET', jobPath('ghost'), { headers: { 'x-ms-correlation-request-id': 'corr-1' } });
    const b = await call('GET', jobPath('ghost'));
    expect(a.headers['x-ms-correlation-request-id']).toBe('corr-1');
    expect(a.headers['x-ms-request-id']).not.toBe(b.headers['x-ms-request-id']);
    expect(Number(b.headers['x-ms-ratelimit-remaining-subscription-reads'])).toBeLessThan(
      Number(a.headers['x-ms-ratelimit-remaining-subscription-reads']),
    );
    expect(a.headers['x-ms-ratelimit-remaining-subscription-global-reads']).toBeTruthy();
    expect(a.headers['api-supported-versions']).toContain('2026-07-01');
    expect(a.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(a.headers['cache-control']).toBe('no-cache');
    const w = await call('POST', `${jobPath('ghost')}/start`);
    expect(w.headers['x-ms-ratelimit-remaining-subscription-writes']).toBeTruthy();
  });

  it('throttles reads per principal with a token bucket: 429 SubscriptionRequestsThrottled + Retry-After', async () => {
    standIn.arm.setThrottling({ reads: { size: 3, refillPerSec: 0.5 } });
    for (let i = 0; i < 3; i++) expect((await call('GET', jobPath('ghost'))).status).toBe(404);
    const r = await call('GET', jobPath('ghost'));
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('2');
    expect(err(r).code).toBe('SubscriptionRequestsThrottled');
    expect(err(r).message).toBe(
      `Number of 'read' requests for subscription '${world.subscriptionId}' actor '${world.objectId}' exceeded. Please try again after '2' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
    );
    now += 2000;
    expect((await call('GET', jobPath('ghost'))).status).toBe(404);
    // writes have their own bucket
    expect((await call('POST', `${jobPath('ghost')}/start`)).status).toBe(404);
  });

  it('logs every request with host, method, path, query, parsed body, status, time, duration and principal', async () => {
    const before = standIn.requests.length;
    await call('PATCH', jobPath('ghost'), { body: { tags: { a: 'b' } } });
    await call('GET', jobPath('ghost'), { auth: null });
    const [patch, anon] = standIn.requests.slice(before);
    expect(patch).toMatchObject({
      host: 'arm',
      method: 'PATCH',
      path: jobPath('ghost'),
      query: { 'api-version': V },
      body: { tags: { a: 'b' } },
      status: 404,
      time: now,
      principal: world.objectId,
    });
    expect(patch!.durationMs).toBeGreaterThanOrEqual(0);
    expect(anon).toMatchObject({ status: 401 });
    expect(anon!.principal).toBeUndefined();
  });
});
