/**
 * The stand-in's identity providers, driven by the real clients: @actions/core's getIDToken for the GitHub
 * OIDC endpoint and @azure/identity's ClientAssertionCredential (msal-node) for Entra ID, over HTTPS.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClientAssertionCredential } from '@azure/identity';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EntraId } from '../../standin/entra/entra.ts';
import { GitHubOidc } from '../../standin/github/oidc.ts';
import { decodeJwt, verifyJwtSignature } from '../../standin/common/jwt.ts';
import { ensureTls } from '../../standin/common/tls.ts';

type Handler = { handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void };

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';
const AZURE_AUDIENCE = 'api://AzureADTokenExchange';
const ARM_SCOPE = 'https://management.azure.com/.default';

interface Served {
  server: Server;
  url: string;
  target: { current: Handler | undefined };
  /** "METHOD /path" of every request. */
  requests: string[];
}

async function serve(): Promise<Served> {
  const tls = ensureTls();
  const target: Served['target'] = { current: undefined };
  const requests: string[] = [];
  const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    requests.push(`${req.method} ${new URL(req.url ?? '/', 'https://x').pathname}`);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        target.current!.handle(req, res, Buffer.concat(chunks));
      } catch (e: unknown) {
        res.statusCode = 500;
        res.end(String(e));
      }
    });
  });
  // As the stand-in's hosts: idle sockets are closed by the client first (Node's 5 s default let a client reuse a
  // socket the server was closing: "fetch failed" under load).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `https://localhost:${(server.address() as { port: number }).port}`, target, requests };
}

let ghSrv: Served;
let entraSrv: Served;
let gh: GitHubOidc;
let entra: EntraId;

function newProviders(opts: { tokenLifetimeSec?: number; clock?: () => number } = {}): void {
  gh = new GitHubOidc({ baseUrl: ghSrv.url, ...(opts.clock ? { clock: opts.clock } : {}) });
  entra = new EntraId({
    baseUrl: entraSrv.url,
    tenantId: TENANT,
    trustedIssuers: [{ issuer: gh.issuer, jwks: () => gh.jwks }],
    ...opts,
  });
  entra.addApp({
    clientId: CLIENT,
    federatedCredentials: [{ issuer: gh.issuer, subject: String(gh.claims.sub), audiences: [AZURE_AUDIENCE] }],
  });
  ghSrv.target.current = gh;
  entraSrv.target.current = entra;
  ghSrv.requests.length = 0;
  entraSrv.requests.length = 0;
}

/** What an action does: ask the GitHub endpoint for an ID token with the Azure audience. */
async function fetchIdToken(audience = AZURE_AUDIENCE): Promise<string> {
  const r = await fetch(`${gh.requestUrl}&audience=${encodeURIComponent(audience)}`, {
    headers: { authorization: `Bearer ${gh.requestToken}` },
  });
  expect(r.status).toBe(200);
  return ((await r.json()) as { value: string }).value;
}

function credential(opts: { tenant?: string; clientId?: string; assertion?: () => Promise<string> } = {}) {
  return new ClientAssertionCredential(
    opts.tenant ?? TENANT,
    opts.clientId ?? CLIENT,
    opts.assertion ?? (() => fetchIdToken()),
    { authorityHost: entraSrv.url, disableInstanceDiscovery: true },
  );
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/** A raw token request, to check Entra's exact error body. */
async function postToken(form: Record<string, string>, tenant = TENANT, requestId = randomUUID()) {
  const r = await fetch(`${entraSrv.url}/${tenant}/oauth2/v2.0/token?client-request-id=${requestId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown>, requestId };
}

function assertionForm(assertion: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    client_id: CLIENT,
    scope: ARM_SCOPE,
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
    ...extra,
  };
}

const TRAILER = / Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/;

function expectEntraError(
  res: { status: number; body: Record<string, unknown>; requestId: string },
  status: number,
  error: string,
  code: number,
  text: string | RegExp,
): void {
  expect(res.status).toBe(status);
  const b = res.body;
  expect(Object.keys(b)).toEqual([
    'error',
    'error_description',
    'error_codes',
    'timestamp',
    'trace_id',
    'correlation_id',
    'error_uri',
  ]);
  expect(b.error).toBe(error);
  expect(b.error_codes).toEqual([code]);
  expect(b.correlation_id).toBe(res.requestId);
  expect(b.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  expect(b.error_uri).toBe(`https://login.microsoftonline.com/error?code=${code}`);
  const desc = String(b.error_description);
  expect(desc).toMatch(TRAILER);
  expect(desc).toContain(
    `Trace ID: ${String(b.trace_id)} Correlation ID: ${res.requestId} Timestamp: ${String(b.timestamp)}`,
  );
  const message = desc.replace(TRAILER, '');
  if (typeof text === 'string') expect(message).toBe(`AADSTS${code}: ${text}`);
  else expect(message).toMatch(text);
}

beforeAll(async () => {
  ghSrv = await serve();
  entraSrv = await serve();
});
afterAll(() => {
  ghSrv.server.closeAllConnections();
  ghSrv.server.close();
  entraSrv.server.closeAllConnections();
  entraSrv.server.close();
});
beforeEach(() => newProviders());

describe('GitHub OIDC token endpoint', () => {
  it('has the runner-shaped request URL and answers 401 without the right bearer token', async () => {
    expect(gh.requestUrl).toMatch(
      /^https:\/\/localhost:\d+\/_apis\/distributedtask\/hubs\/Actions\/plans\/[0-9a-f-]{36}\/jobs\/[0-9a-f-]{36}\/idtoken\?api-version=2\.0$/,
    );
    const none = await fetch(`${gh.requestUrl}&audience=x`);
    expect(none.status).toBe(401);
    const wrong = await fetch(`${gh.requestUrl}&audience=x`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(gh.issued).toBe(0);
  });

  it('issues RS256 ID tokens with GitHub claims, verifiable with its JWKS, through core.getIDToken', async () => {
    const core = await import('@actions/core');
    process.env.ACTIONS_ID_TOKEN_REQUEST_URL = gh.requestUrl;
    process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = gh.requestToken;
    let token: string;
    // getIDToken prints ::debug:: and ::add-mask:: workflow commands; keep them out of the test output.
    const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      token = await core.getIDToken(AZURE_AUDIENCE);
    } finally {
      quiet.mockRestore();
      delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
      delete process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    }
    expect(gh.issued).toBe(1);
    const d = decodeJwt(token)!;
    expect(d.header).toMatchObject({ typ: 'JWT', alg: 'RS256' });
    const c = d.payload;
    expect(c).toMatchObject({
      iss: gh.issuer,
      aud: AZURE_AUDIENCE,
      sub: 'repo:octo-org/octo-repo:ref:refs/heads/main',
      repository: 'octo-org/octo-repo',
      repository_owner: 'octo-org',
      ref: 'refs/heads/main',
      event_name: 'push',
      job_workflow_ref: 'octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main',
      runner_environment: 'github-hosted',
    });
    expect(c.exp as number).toBe((c.iat as number) + 300);
    expect(c.nbf as number).toBeLessThanOrEqual(c.iat as number);
    expect(c.jti).toMatch(/^[0-9a-f-]{36}$/);

    const jwks = (await (await fetch(`${gh.issuer}/.well-known/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys[0]!.kid).toBe(d.header.kid);
    expect(verifyJwtSignature(d, jwks)).toEqual({ ok: true });
    const disc = (await (await fetch(`${gh.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(disc).toMatchObject({ issuer: gh.issuer, jwks_uri: `${gh.issuer}/.well-known/jwks` });
  });

  it('defaults aud to the owner URL, and honours lifetime, claims edits and environments', async () => {
    gh.tokenLifetimeSec = 60;
    gh.useEnvironment('production');
    const r = await fetch(gh.requestUrl, { headers: { authorization: `Bearer ${gh.requestToken}` } });
    const body = (await r.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['value']);
    const c = decodeJwt(String(body.value))!.payload;
    expect(c.aud).toBe('https://github.com/octo-org');
    expect(c.sub).toBe('repo:octo-org/octo-repo:environment:production');
    expect(c.environment).toBe('production');
    expect((c.exp as number) - (c.iat as number)).toBe(60);
    expect(gh.issuedTokens).toHaveLength(1);
    expect(gh.issuedTokens[0]!.aud).toBe('https://github.com/octo-org');
  });
});

describe('Entra ID token exchange with ClientAssertionCredential', () => {
  it('serves discovery documents with every endpoint on its own host', async () => {
    const v2 = (await (
      await fetch(`${entraSrv.url}/${TENANT}/v2.0/.well-known/openid-configuration`)
    ).json()) as Record<string, string>;
    for (const k of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri']) {
      expect(v2[k]!.startsWith(`${entraSrv.url}/${TENANT}/`)).toBe(true);
    }
    expect(v2.token_endpoint).toBe(`${entraSrv.url}/${TENANT}/oauth2/v2.0/token`);
    const v1 = (await (await fetch(`${entraSrv.url}/${TENANT}/.well-known/openid-configuration`)).json()) as Record<
      string,
      string
    >;
    expect(v1.issuer).toBe(`https://sts.windows.net/${TENANT}/`);
    const keys = (await (await fetch(v2.jwks_uri!)).json()) as { keys: { kid: string; kty: string }[] };
    expect(keys.keys[0]).toMatchObject({ kty: 'RSA' });
  });

  it('exchanges a GitHub ID token for an ARM access token that verifyAccessToken accepts', async () => {
    const t = await credential().getToken(ARM_SCOPE);
    // What msal-node (5.x, under @azure/identity 4.13) asks for: v2 discovery, then the token endpoint; no v1
    // discovery, no instance discovery (disabled), no key set.
    expect(entraSrv.requests).toEqual([
      `GET /${TENANT}/v2.0/.well-known/openid-configuration`,
      `POST /${TENANT}/oauth2/v2.0/token`,
    ]);
    const check = entra.verifyAccessToken(t.token);
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    const app = entra.apps.get(CLIENT)!;
    expect(check.claims).toMatchObject({
      aud: 'https://management.azure.com',
      iss: `https://sts.windows.net/${TENANT}/`,
      appid: CLIENT,
      oid: app.objectId,
      sub: app.objectId,
      tid: TENANT,
      idtyp: 'app',
      ver: '1.0',
    });
    expect(Math.abs(t.expiresOnTimestamp / 1000 - check.claims.exp)).toBeLessThanOrEqual(2);
    expect(entra.tokensIssued).toBe(1);
    expect(gh.issued).toBeGreaterThanOrEqual(1);
    expect(entra.tokenRequests.at(-1)).toMatchObject({
      clientId: CLIENT,
      scope: ARM_SCOPE,
      outcome: 'issued',
      assertion: { iss: gh.issuer, aud: AZURE_AUDIENCE },
    });
  });

  it('answers the success body as Entra does', async () => {
    const r = await postToken(assertionForm(gh.mint({ aud: AZURE_AUDIENCE })));
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(['token_type', 'expires_in', 'ext_expires_in', 'access_token']);
    expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
  });

  it('comes back for a new token and a new assertion when the access token nears expiry', async () => {
    // msal-node renews a cached token 300 s before it expires: a 305 s token is served from cache for ~5 s (room
    // for a loaded machine between the first two calls).
    newProviders({ tokenLifetimeSec: 305 });
    const cred = credential();
    const first = await cred.getToken(ARM_SCOPE);
    const cached = await cred.getToken(ARM_SCOPE);
    expect(cached.token).toBe(first.token);
    expect(entra.tokensIssued).toBe(1);
    const assertionsBefore = gh.issued;
    const firstAssertion = entra.tokenRequests[0]!.assertion;
    // Poll: msal renews once the cached token is within 300 s of expiry (about 5 s from now).
    let renewed = cached;
    const deadline = Date.now() + 20_000;
    while (renewed.token === first.token && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      renewed = await cred.getToken(ARM_SCOPE);
    }
    expect(renewed.token).not.toBe(first.token);
    expect(entra.tokensIssued).toBe(2);
    expect(gh.issued).toBeGreaterThan(assertionsBefore);
    expect(entra.tokenRequests[1]!.assertion).not.toEqual(firstAssertion);
    expect(entra.verifyAccessToken(renewed.token).ok).toBe(true);
  });

  it('reports an access token past its expiry as expired, with the time', () => {
    let now = Date.now();
    newProviders({ tokenLifetimeSec: 60, clock: () => now });
    const token = entra.issueAccessToken({ clientId: CLIENT });
    expect(entra.verifyAccessToken(token).ok).toBe(true);
    now += 61_000;
    const check = entra.verifyAccessToken(token);
    expect(check).toEqual({ ok: false, reason: 'expired', expiredAt: Math.floor((now - 61_000) / 1000) + 60 });
    expect(entra.verifyAccessToken(token, { skewSec: 300 }).ok).toBe(true);
  });

  it('rejects forged and foreign access tokens as invalid', () => {
    const token = entra.issueAccessToken({ clientId: CLIENT });
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, oid: 'someone-else' })).toString('base64url')}.${s}`;
    expect(entra.verifyAccessToken(forged)).toEqual({ ok: false, reason: 'invalid' });
    expect(entra.verifyAccessToken('not.a.jwt')).toEqual({ ok: false, reason: 'invalid' });
    const other = new EntraId({ baseUrl: entraSrv.url, tenantId: TENANT });
    other.addApp({ clientId: CLIENT, federatedCredentials: [] });
    expect(entra.verifyAccessToken(other.issueAccessToken({ clientId: CLIENT }))).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });
});

describe('Entra ID rejections, as Entra answers them', () => {
  afterEach(() => {
    expect(entra.tokensIssued).toBe(0);
  });

  it('AADSTS700016: application not found in the directory', async () => {
    const unknown = '99999999-8888-7777-6666-555555555555';
    const err = await rejection(credential({ clientId: unknown }).getToken(ARM_SCOPE));
    expect(err.message).toContain(`AADSTS700016: Application with identifier '${unknown}' was not found`);
    const r = await postToken(assertionForm(gh.mint({ aud: AZURE_AUDIENCE }), { client_id: unknown }));
    expectEntraError(
      r,
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${unknown}' was not found in the directory '${TENANT}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  });

  it('AADSTS700024: assertion expired beyond the clock skew, with current and assertion times', async () => {
    const now = Math.floor(Date.now() / 1000);
    const stale = gh.mint({ aud: AZURE_AUDIENCE, iat: now - 3600, nbf: now - 3900, exp: now - 3300 });
    const err = await rejection(credential({ assertion: async () => stale }).getToken(ARM_SCOPE));
    expect(err.message).toContain('AADSTS700024: Client assertion is not within its valid time range.');
    const r = await postToken(assertionForm(stale));
    const iso = (s: number) => `${new Date(s * 1000).toISOString().slice(0, 19)}.0000000Z`;
    expectEntraError(
      r,
      401,
      'invalid_client',
      700024,
      new RegExp(
        `^AADSTS700024: Client assertion is not within its valid time range\\. Current time: \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{7}Z, assertion valid from ${iso(now - 3900).replace(/\./g, '\\.')}, expiry time of assertion ${iso(now - 3300).replace(/\./g, '\\.')}\\. Review the documentation at https://learn\\.microsoft\\.com/entra/identity-platform/certificate-credentials \\.$`,
      ),
    );
  });

  it('accepts an assertion expired within the 5-minute skew, and rejects one not yet valid', async () => {
    const now = Math.floor(Date.now() / 1000);
    const justExpired = gh.mint({ aud: AZURE_AUDIENCE, iat: now - 400, nbf: now - 400, exp: now - 120 });
    expect((await postToken(assertionForm(justExpired))).status).toBe(200);
    entra.tokensIssued = 0; // this test is about the time window; the afterEach checks the rejection
    const future = gh.mint({ aud: AZURE_AUDIENCE, iat: now + 900, nbf: now + 900, exp: now + 1200 });
    const r = await postToken(assertionForm(future));
    expect(r.status).toBe(401);
    expect(r.body.error_codes).toEqual([700024]);
  });

  it('AADSTS70021: no federated credential for the issuer, naming issuer, subject and audience', async () => {
    entra.addApp({
      clientId: CLIENT,
      federatedCredentials: [
        {
          issuer: 'https://token.actions.githubusercontent.com',
          subject: String(gh.claims.sub),
          audiences: [AZURE_AUDIENCE],
        },
      ],
    });
    const err = await rejection(credential().getToken(ARM_SCOPE));
    expect(err.message).toContain('AADSTS70021: No matching federated identity record found for presented assertion.');
    const r = await postToken(assertionForm(gh.mint({ aud: AZURE_AUDIENCE })));
    expectEntraError(
      r,
      400,
      'invalid_request',
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${gh.issuer}'. Assertion Subject: 'repo:octo-org/octo-repo:ref:refs/heads/main'. Assertion Audience: '${AZURE_AUDIENCE}'. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation`,
    );
  });

  it('AADSTS700213: no federated credential for the subject (job in an environment)', async () => {
    gh.useEnvironment('production');
    const err = await rejection(credential().getToken(ARM_SCOPE));
    expect(err.message).toContain(
      "AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:octo-org/octo-repo:environment:production'.",
    );
    const r = await postToken(assertionForm(gh.mint({ aud: AZURE_AUDIENCE })));
    expectEntraError(
      r,
      401,
      'invalid_client',
      700213,
      "No matching federated identity record found for presented assertion subject 'repo:octo-org/octo-repo:environment:production'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation",
    );
  });

  it('AADSTS7002138: the subject matches only case-insensitively', async () => {
    gh.claims.sub = 'repo:Octo-Org/octo-repo:ref:refs/heads/main';
    const r = await postToken(assertionForm(gh.mint({ aud: AZURE_AUDIENCE })));
    expect(r.status).toBe(401);
    expect(r.body.error_codes).toEqual([7002138]);
    expect(String(r.body.error_description)).toContain(
      'The subject matches with case-insensitive comparison, but not with case-sensitive comparison.',
    );
  });

  it('AADSTS700212: the audience does not match', async () => {
    const err = await rejection(
      credential({ assertion: () => fetchIdToken('https://github.com/octo-org') }).getToken(ARM_SCOPE),
    );
    expect(err.message).toContain(
      "AADSTS700212: No matching federated identity record found for presented assertion audience 'https://github.com/octo-org'.",
    );
  });

  it('AADSTS7000272: signed with a key the issuer does not publish', async () => {
    const r = await postToken(assertionForm(gh.mint({ aud: AZURE_AUDIENCE }, { key: 'foreign' })));
    // Same kid, other key: the signature does not verify.
    expect(r.status).toBe(401);
    expect(r.body.error_codes).toEqual([700027]);
    const signed = gh.mint({ aud: AZURE_AUDIENCE });
    gh.rotateKey(true);
    const r2 = await postToken(assertionForm(signed));
    expect(r2.body.error_codes).toEqual([7000272]);
    expect(String(r2.body.error_description)).toContain(
      `used to sign the federated credential could not be found in the metadata of identity provider ${gh.issuer}.`,
    );
  });

  it('AADSTS90002: tenant not found, on discovery and on the token endpoint', async () => {
    const other = '00000000-1111-2222-3333-444444444444';
    const err = await rejection(credential({ tenant: other }).getToken(ARM_SCOPE));
    // msal-node reports a failed discovery as endpoints_resolution_error, as it does against Entra.
    expect(err.message).toContain('endpoints_resolution_error');
    const requestId = randomUUID();
    const d = await fetch(`${entraSrv.url}/${other}/v2.0/.well-known/openid-configuration`, {
      headers: { 'client-request-id': requestId },
    });
    expectEntraError(
      { status: d.status, body: (await d.json()) as Record<string, unknown>, requestId },
      400,
      'invalid_tenant',
      90002,
      `Tenant '${other}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    );
    const r = await postToken(assertionForm(gh.mint({ aud: AZURE_AUDIENCE })), other);
    expect(r.body.error_codes).toEqual([90002]);
  });

  it('AADSTS1002012: a scope without /.default in client credentials', async () => {
    const scope = 'https://management.azure.com/user_impersonation';
    const err = await rejection(credential().getToken(scope));
    expect(err.message).toContain('AADSTS1002012');
    const r = await postToken(assertionForm(gh.mint({ aud: AZURE_AUDIENCE }), { scope }));
    expectEntraError(
      r,
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  });

  it('AADSTS500011: a resource with no service principal in the tenant', async () => {
    const err = await rejection(credential().getToken('https://nothing.example.com/.default'));
    expect(err.message).toContain(
      `AADSTS500011: The resource principal named https://nothing.example.com was not found in the tenant named ${TENANT}.`,
    );
  });

  it('AADSTS900144 / AADSTS7000218: missing parameters', async () => {
    const noScope = await postToken({ client_id: CLIENT, grant_type: 'client_credentials' });
    expectEntraError(
      noScope,
      400,
      'invalid_request',
      900144,
      "The request body must contain the following parameter: 'scope'.",
    );
    const noAssertion = await postToken({ client_id: CLIENT, grant_type: 'client_credentials', scope: ARM_SCOPE });
    expectEntraError(
      noAssertion,
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  });

  it('can give the pre-2023 CRLF trailer', async () => {
    entra.descriptionStyle = 'crlf';
    const r = await postToken(assertionForm(gh.mint({ aud: AZURE_AUDIENCE }), { client_id: 'nobody' }));
    expect(String(r.body.error_description)).toMatch(
      /tenant\.\r\nTrace ID: .+\r\nCorrelation ID: .+\r\nTimestamp: .+Z$/,
    );
  });
});
