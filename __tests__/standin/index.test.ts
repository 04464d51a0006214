/**
 * The composed stand-in: separate HTTPS hosts per service, the whole GitHub OIDC -> Entra -> ARM chain by
 * hand (what the action's authentication does), seedDefault, the shared request log, added hosts, close.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsFetch, sendJson } from '../../standin/common/http.ts';
import { startStandIn, type SeededWorld, type StandIn } from '../../standin/index.ts';

let standIn: StandIn;
let world: SeededWorld;

beforeAll(async () => {
  standIn = await startStandIn({
    tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    subscriptionId: '00000000-0000-0000-0000-0000000000aa',
  });
  world = standIn.seedDefault();
});

afterAll(async () => {
  await standIn.close();
});

describe('startStandIn', () => {
  it('serves each part on its own https://localhost:PORT and honours the given ids', () => {
    const ports = new Set<string>();
    for (const u of [standIn.urls.github, standIn.urls.authority, standIn.urls.arm]) {
      expect(u).toMatch(/^https:\/\/localhost:\d+$/);
      ports.add(new URL(u).port);
    }
    expect(ports.size).toBe(3);
    expect(standIn.tenantId).toBe('72f988bf-86f1-41af-91ab-2d7cd011db47');
    expect(standIn.subscriptionId).toBe('00000000-0000-0000-0000-0000000000aa');
    expect(standIn.oidc.requestUrl.startsWith(standIn.urls.github)).toBe(true);
    expect(standIn.oidc.requestToken.length).toBeGreaterThan(20);
    expect(standIn.arm.subscriptionId).toBe(standIn.subscriptionId);
  });

  it('seedDefault: a resource group, environment, registry, app with a federated credential and Contributor', async () => {
    expect(world).toMatchObject({
      tenantId: standIn.tenantId,
      subscriptionId: standIn.subscriptionId,
      resourceGroup: 'rg-standin',
      location: 'eastus',
      environment: 'env-standin',
      environmentId: `/subscriptions/${standIn.subscriptionId}/resourceGroups/rg-standin/providers/Microsoft.App/managedEnvironments/env-standin`,
      registryServer: 'standinacr.azurecr.io',
      registryUsername: 'standinacr',
      subject: 'repo:octo-org/octo-repo:ref:refs/heads/main',
      audience: 'api://AzureADTokenExchange',
    });
    expect(standIn.entra.apps.get(world.clientId)?.objectId).toBe(world.objectId);
    expect(standIn.arm.roleAssignments).toContainEqual(
      expect.objectContaining({
        principalId: world.objectId,
        roleName: 'Contributor',
        scope: `/subscriptions/${standIn.subscriptionId}`,
      }),
    );
  });

  it('GitHub ID token -> Entra access token (federated assertion) -> ARM, all logged per host', async () => {
    const before = standIn.requests.length;
    const id = await httpsFetch(`${standIn.oidc.requestUrl}&audience=api://AzureADTokenExchange`, {
      headers: { authorization: `Bearer ${standIn.oidc.requestToken}` },
    });
    expect(id.status).toBe(200);
    const assertion = (id.json as { value: string }).value;
    const tok = await httpsFetch(`${standIn.urls.authority}/${standIn.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: world.clientId,
        grant_type: 'client_credentials',
        scope: 'https://management.azure.com/.default',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }).toString(),
    });
    expect(tok.status, tok.text).toBe(200);
    const access = (tok.json as { access_token: string }).access_token;
    const rg = await httpsFetch(
      `${standIn.urls.arm}/subscriptions/${world.subscriptionId}/resourcegroups/${world.resourceGroup}?api-version=2022-09-01`,
      {
        headers: { authorization: `Bearer ${access}` },
      },
    );
    expect(rg.status).toBe(200);
    const log = standIn.requests.slice(before);
    expect(log.map((r) => `${r.host} ${r.method} ${r.status}`)).toEqual([
      'github GET 200',
      'entra POST 200',
      'arm GET 200',
    ]);
    expect(log[1]!.body).toContain('grant_type=client_credentials');
    expect(log[2]).toMatchObject({ principal: world.objectId, query: { 'api-version': '2022-09-01' } });
    expect(log.every((r) => typeof r.time === 'number' && r.durationMs >= 0)).toBe(true);
  });

  it('a second app without a role assignment is refused by ARM (seedDefault role: null)', async () => {
    const other = standIn.seedDefault({
      resourceGroup: 'rg-two',
      environment: 'env-two',
      registry: 'tworeg',
      role: null,
      registryAdminUserEnabled: false,
    });
    const t = standIn.entra.issueAccessToken({ clientId: other.clientId });
    const r = await httpsFetch(
      `${standIn.urls.arm}/subscriptions/${other.subscriptionId}/resourcegroups/rg-two?api-version=2022-09-01`,
      {
        headers: { authorization: `Bearer ${t}` },
      },
    );
    expect(r.status).toBe(403);
    expect(standIn.arm.registries.get('rg-two/tworeg')?.adminUserEnabled).toBe(false);
  });

  it('addHost: another host shares the log, faults and TLS', async () => {
    const host = await standIn.addHost('extra', (_req, res) => sendJson(res, 200, { ok: true }));
    expect(standIn.urls.extra).toBe(host.url);
    expect(host.url).not.toBe(standIn.urls.arm);
    expect((await httpsFetch(`${host.url}/x?y=1`)).json).toEqual({ ok: true });
    expect(standIn.requests.at(-1)).toMatchObject({ host: 'extra', path: '/x', query: { y: '1' }, status: 200 });
    standIn.faults.serverError({ host: 'extra' }, 502);
    expect((await httpsFetch(`${host.url}/x`)).status).toBe(502);
    await expect(standIn.addHost('extra', () => undefined)).rejects.toThrow(/exists/);
  });

  it('close() stops every host', async () => {
    const s = await startStandIn();
    const url = `${s.urls.arm}/`;
    expect((await httpsFetch(url)).status).toBe(401);
    await s.close();
    await expect(httpsFetch(url)).rejects.toThrow(/ECONNREFUSED|connect/);
  });
});
