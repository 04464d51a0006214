import { describe, expect, it } from 'vitest';
import { decidePull, isAcrServer, planRegistry } from '../../src/job/registry.ts';
import { baseConfig } from '../../test-support/config-fixture.ts';
import { FakeClock, FakeJobApi } from '../../test-support/fakes.ts';

const ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-reg/providers/Microsoft.ContainerRegistry/registries/localacr';
const BUILT = 'localhost:5000/weather:1.0';

function apiWith(adminUserEnabled: boolean): FakeJobApi {
  const api = new FakeJobApi(new FakeClock());
  api.registries = [{ id: ID, name: 'localacr', loginServer: 'localhost:5000', adminUserEnabled }];
  api.registryPasswords[ID] = { username: 'localacr', passwords: ['pw-one-123', 'pw-two-456'] };
  return api;
}

const building = (over = {}) => baseConfig({ image: BUILT, build: { context: '.', buildArgs: {} }, ...over });

describe('which registries count as Azure Container Registry', () => {
  it('an ACR suffix is enough, with no lookup', async () => {
    const api = apiWith(false);
    expect(await isAcrServer('hyf.azurecr.io', baseConfig({ image: 'hyf.azurecr.io/a:1' }), api)).toBe(true);
    expect(await isAcrServer('x.azurecr.cn', baseConfig(), api)).toBe(true);
    expect(api.calls).toEqual([]);
  });

  it('the host of the image being built counts when a registry of the subscription has it as login server', async () => {
    const api = apiWith(false);
    expect(await isAcrServer('localhost:5000', building(), api)).toBe(true);
    expect(await isAcrServer('ghcr.io', building({ image: 'ghcr.io/o/a:1' }), api)).toBe(false);
    // The subscription's registries are read once for the run.
    expect(api.calls).toEqual(['listRegistries']);
  });

  it('without a build, another host is not looked up (deploying a public image costs no listing)', async () => {
    const api = apiWith(true);
    expect(await isAcrServer('localhost:5000', baseConfig({ image: BUILT }), api)).toBe(false);
    expect(
      await planRegistry(baseConfig({ image: BUILT }), BUILT, undefined, { api, mask: () => {}, notice: () => {} }),
    ).toEqual({});
    expect(api.calls).toEqual([]);
  });
});

describe('the pull plan for a built image', () => {
  it('uses the admin user of the registry found by login server, like an *.azurecr.io one', async () => {
    const api = apiWith(true);
    const masked: string[] = [];
    const plan = await planRegistry(building(), BUILT, undefined, {
      api,
      mask: (v) => masked.push(v),
      notice: () => {},
    });
    expect(plan.credentials).toEqual({
      server: 'localhost:5000',
      username: 'localacr',
      passwordSecretRef: 'localhost5000-localacr',
    });
    expect(masked).toEqual(['pw-one-123', 'pw-two-456']);
  });

  it('decidePull fails before any credential is read when the admin user is disabled and no identity is given', async () => {
    const api = apiWith(false);
    await expect(decidePull(building(), BUILT, undefined, { api })).rejects.toThrow(
      /^Registry 'localacr' has its admin user disabled.*registry-identity/,
    );
    expect(api.calls).toEqual(['listRegistries']);
  });

  it('decidePull with registry-identity needs no lookup', async () => {
    const api = apiWith(false);
    expect(await decidePull(building({ registry: { identity: 'system' } }), BUILT, undefined, { api })).toEqual({
      kind: 'plan',
      plan: { credentials: { server: 'localhost:5000', identity: 'system' }, identity: { system: true } },
    });
    expect(api.calls).toEqual([]);
  });
});
