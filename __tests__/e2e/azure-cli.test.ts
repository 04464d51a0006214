/**
 * auth-type: azure-cli signs in through the bundle: the action runs `az account get-access-token` (as after
 * azure/login) and uses its token against ARM. Here `az` is a small script first on PATH that answers with an
 * access token the stand-in's Entra ID signed, in the JSON shape the Azure CLI prints (accessToken, expiresOn,
 * expires_on, subscription, tenant, tokenType), and records the arguments it was given.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBed, type Bed } from '../../test-support/e2e.ts';

let bed: Bed;
let dir: string;
beforeAll(async () => {
  bed = await startBed();
  dir = mkdtempSync(join(tmpdir(), 'az-cli-'));
});
afterAll(async () => {
  await bed?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('signs in with the Azure CLI login of an earlier step and deploys (auth-type: azure-cli)', async () => {
  const expires = Math.floor(Date.now() / 1000) + 3600;
  writeFileSync(
    join(dir, 'token.json'),
    JSON.stringify({
      accessToken: bed.standIn.entra.issueAccessToken({ clientId: bed.world.clientId }),
      expiresOn: new Date(expires * 1000).toISOString().replace('T', ' ').slice(0, 19),
      expires_on: expires,
      subscription: bed.world.subscriptionId,
      tenant: bed.world.tenantId,
      tokenType: 'Bearer',
    }),
  );
  const az = join(dir, 'az');
  writeFileSync(az, `#!/bin/sh\necho "$*" >> '${join(dir, 'calls')}'\ncat '${join(dir, 'token.json')}'\n`);
  chmodSync(az, 0o755);

  const r = await bed.run(
    {
      'job-name': 'alice-weather-job',
      'auth-type': 'azure-cli',
      'client-id': '',
      environment: bed.world.environment,
      image: `${bed.world.registryServer}/alice-weather-pipeline:1.2`,
    },
    {
      oidc: false,
      env: { NODE_EXTRA_CA_CERTS: bed.standIn.tls.caFile, PATH: `${dir}${delimiter}${process.env.PATH ?? ''}` },
    },
  );
  expect(r.errors).toEqual([]);
  expect(r.outputs['job-operation']).toBe('created');
  const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
  expect(calls[0]).toMatch(/^account get-access-token --output json --resource https:\/\/management\.azure\.com/);
  expect(r.requests.filter((q) => q.host === 'github' || q.host === 'entra')).toEqual([]);
  expect(r.arm.length).toBeGreaterThan(0);
});
