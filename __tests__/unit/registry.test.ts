import { describe, expect, it } from 'vitest';
import { planRegistry, registrySecretName } from '../../src/job/registry.ts';
import { baseConfig } from '../../test-support/config-fixture.ts';
import { FakeClock, FakeJobApi } from '../../test-support/fakes.ts';

const ACR_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shared/providers/Microsoft.ContainerRegistry/registries/hyfregistry';
const IMAGE = 'hyfregistry.azurecr.io/alice-weather-pipeline:1.0';

function setup(adminUserEnabled: boolean) {
  const api = new FakeJobApi(new FakeClock());
  api.registries = [{ id: ACR_ID, name: 'hyfregistry', loginServer: 'hyfregistry.azurecr.io', adminUserEnabled }];
  api.registryPasswords[ACR_ID] = { username: 'hyfregistry', passwords: ['adm1n-pw-1', 'adm1n-pw-2'] };
  const masked: string[] = [];
  const notices: string[] = [];
  return {
    api,
    masked,
    notices,
    deps: { api, mask: (v: string) => masked.push(v), notice: (m: string) => notices.push(m) },
  };
}

describe('planRegistry', () => {
  it('uses the ACR admin credentials for an ACR image with no identity given, masking them first', async () => {
    const { deps, masked, notices } = setup(true);
    const plan = await planRegistry(baseConfig({ image: IMAGE }), IMAGE, undefined, deps);
    expect(plan.credentials).toEqual({
      server: 'hyfregistry.azurecr.io',
      username: 'hyfregistry',
      passwordSecretRef: 'hyfregistryazurecrio-hyfregistry',
    });
    expect(plan.secret).toEqual({ name: 'hyfregistryazurecrio-hyfregistry', value: 'adm1n-pw-1' });
    expect(masked).toEqual(['adm1n-pw-1', 'adm1n-pw-2']);
    expect(notices[0]).toMatch(/registry-identity/);
    expect(notices.join()).not.toContain('adm1n');
  });

  it('fails before writing when the admin user is disabled, naming registry-identity and AcrPull', async () => {
    const { deps, api } = setup(false);
    await expect(planRegistry(baseConfig({ image: IMAGE }), IMAGE, undefined, deps)).rejects.toThrow(
      /registry-identity.*AcrPull/,
    );
    expect(api.writes()).toEqual([]);
  });

  it('fails when the registry is not in the subscription', async () => {
    const { deps } = setup(true);
    deps.api.registries = [];
    await expect(planRegistry(baseConfig({ image: IMAGE }), IMAGE, undefined, deps)).rejects.toThrow(
      /not in subscription/,
    );
  });

  it('uses registry-identity without looking up the registry', async () => {
    const { deps, api } = setup(true);
    const plan = await planRegistry(
      baseConfig({ image: IMAGE, registry: { identity: 'system' } }),
      IMAGE,
      undefined,
      deps,
    );
    expect(plan).toEqual({
      credentials: { server: 'hyfregistry.azurecr.io', identity: 'system' },
      identity: { system: true },
    });
    expect(api.calls).toEqual([]);
  });

  it('keeps the pull configuration a job already has for that registry', async () => {
    const { deps, api } = setup(true);
    const live = {
      location: 'westeurope',
      configuration: {
        triggerType: 'Manual',
        replicaTimeout: 300,
        registries: [{ server: 'hyfregistry.azurecr.io', identity: 'system' }],
      },
    };
    expect(await planRegistry(baseConfig({ imageTag: '2.0' }), IMAGE, live, deps)).toEqual({});
    expect(api.calls).toEqual([]);
  });

  it('needs nothing for public images', async () => {
    const { deps } = setup(true);
    expect(
      await planRegistry(
        baseConfig({ image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest' }),
        'mcr.microsoft.com/k8se/quickstart-jobs:latest',
        undefined,
        deps,
      ),
    ).toEqual({});
  });

  it('names password secrets like the Azure CLI', () => {
    expect(registrySecretName('myreg.azurecr.io', 'MyReg')).toBe('myregazurecrio-myreg');
  });
});
