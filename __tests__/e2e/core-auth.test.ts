/**
 * The core of the action, end to end: the bundled dist/index.js run as the GitHub runner runs it, against the
 * HTTPS stand-in of GitHub OIDC, Entra ID and Azure Resource Manager.
 *
 * Part of the core suite (split for parallel runs): bad inputs and authentication (OIDC, Entra, roles, clouds).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, type Bed } from '../../test-support/e2e.ts';
import { quickLro } from '../../test-support/e2e-suite.ts';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed(quickLro());
  // The job the sign-in tests update (created by the deploy tests when this was one file).
  const r = await bed.run({ 'job-name': 'alice-weather-job', environment: bed.world.environment, image: image('1.0') });
  expect(r.errors).toEqual([]);
});
afterAll(async () => {
  await bed?.close();
});

function image(tag: string): string {
  return `${bed.world.registryServer}/alice-weather-pipeline:${tag}`;
}

describe('inputs and authentication', () => {
  it('rejects a bad input with one error line before any request', async () => {
    const r = await bed.run({ 'job-name': 'Alice_Weather', image: 'x:1' });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/job-name/);
    expect(r.requests).toEqual([]);
  });

  it('says how to fix a missing id-token permission', async () => {
    const r = await bed.run({ 'job-name': 'alice-weather-job', start: 'true' }, { oidc: false });
    expect(r.errors).toEqual([expect.stringMatching(/permissions: id-token: write/)]);
    expect(r.requests).toEqual([]);
  });

  it("shows the token's issuer, subject and audience when Entra has no matching federated credential", async () => {
    const other = await startBed({}, { subject: 'repo:octo-org/octo-repo:environment:production' });
    try {
      const r = await other.run({ 'job-name': 'alice-weather-job', start: 'true' });
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(/AADSTS700213/);
      expect(r.errors[0]).toContain("subject 'repo:octo-org/octo-repo:ref:refs/heads/main'");
      expect(r.errors[0]).toContain(`issuer '${other.standIn.urls.github}`);
      expect(r.errors[0]).toContain("audience 'api://AzureADTokenExchange'");
      expect(r.errors[0]).toMatch(/federated credential/);
      expect(r.arm).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it("keeps Azure's code and message when the identity has no role, and says the fix", async () => {
    const other = await startBed({}, { role: null });
    try {
      const r = await other.run({ 'job-name': 'alice-weather-job', start: 'true' });
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(
        /\(403 AuthorizationFailed\): The client '.*' with object id '.*' does not have authorization to perform action 'Microsoft.App\/jobs\/read'/,
      );
      expect(r.errors[0]).toMatch(/Fix: give the identity a role/);
    } finally {
      await other.close();
    }
  });

  it('explains a missing azure/login for auth-type azure-cli', async () => {
    const r = await bed.run({ 'job-name': 'alice-weather-job', start: 'true', 'auth-type': 'azure-cli' });
    expect(r.errors).toEqual([expect.stringMatching(/azure\/login/)]);
    expect(r.arm).toEqual([]);
  });

  it("signs in with the runner's managed identity (auth-type managed-identity, App Service style endpoint)", async () => {
    const secretHeader = 'msi-header-0123456789';
    const calls: string[] = [];
    await bed.standIn.addHost('msi', (req, res) => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      calls.push(`${url.searchParams.get('resource')} ${req.headers['x-identity-header'] === secretHeader}`);
      if (req.headers['x-identity-header'] !== secretHeader) {
        res.writeHead(401).end();
        return;
      }
      const token = bed.standIn.entra.issueAccessToken({ clientId: bed.world.clientId });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          access_token: token,
          expires_on: String(Math.floor(Date.now() / 1000) + 3600),
          resource: url.searchParams.get('resource'),
          token_type: 'Bearer',
          client_id: bed.world.clientId,
        }),
      );
    });
    const r = await bed.run(
      {
        'job-name': 'alice-weather-job',
        'auth-type': 'managed-identity',
        'client-id': '',
        'tenant-id': '',
        image: image('1.1'),
      },
      { oidc: false, env: { IDENTITY_ENDPOINT: `${bed.standIn.urls.msi}/msi/token`, IDENTITY_HEADER: secretHeader } },
    );
    expect(r.errors).toEqual([]);
    expect(r.log).toContain('Signing in with the managed identity.');
    expect(calls[0]).toBe('https://management.azure.com true');
    expect(r.requests.filter((q) => q.host === 'github')).toEqual([]);
  });

  it("uses the sovereign cloud's management scope with endpoint overrides", async () => {
    const r = await bed.run({
      'job-name': 'alice-weather-job',
      cloud: 'AzureUSGovernment',
      start: 'false',
      image: image('1.1'),
    });
    const token = r.requests.find(
      (q) => q.host === 'entra' && q.method === 'POST' && String(q.body).includes('scope='),
    );
    expect(decodeURIComponent(String(token?.body))).toContain('scope=https://management.usgovcloudapi.net/.default');
  });
});
