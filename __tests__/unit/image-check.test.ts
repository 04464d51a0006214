/**
 * check-image against fake registries (a fake fetch that answers like ACR, Docker Hub, ghcr.io and mcr do): every
 * branch of the check, what it sends, and what the user reads.
 */
import type { Job } from '@azure/arm-appcontainers';
import type { TokenCredential } from '@azure/core-auth';
import { describe, expect, it } from 'vitest';
import { ActionError } from '../../src/common/errors.ts';
import type { Config } from '../../src/inputs/config.ts';
import { checkImage, imageToCheck, registryTarget, type ImageCheckDeps } from '../../src/job/image-check.ts';
import { baseConfig } from '../../test-support/config-fixture.ts';

const ACR = 'hyfregistry.azurecr.io';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const TENANT = '22222222-2222-2222-2222-222222222222';
/** An Entra access token shape (the check reads its tid claim). */
const ENTRA = `x.${Buffer.from(JSON.stringify({ tid: TENANT, oid: 'o' })).toString('base64url')}.sig`;

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  redirect?: string;
}

type Handler = (req: Sent) => Response | Promise<Response>;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** A fetch that routes "METHOD https://host/path" (query ignored) to handlers and records every request. */
function fakeFetch(routes: Record<string, Handler>): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const f = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const u = new URL(url);
    const req: Sent = {
      method: init.method ?? 'GET',
      url,
      headers: Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>)),
      ...(typeof init.body === 'string' ? { body: init.body } : {}),
      ...(init.redirect ? { redirect: init.redirect } : {}),
    };
    sent.push(req);
    const handler = routes[`${req.method} ${u.origin}${u.pathname}`];
    if (!handler) throw new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } });
    return handler(req);
  };
  return { fetch: f, sent };
}

/** An ACR that has `tags` (newest first) in repository `repo`, granting pull when `pull`. */
function acr(opts: { repo?: string; tags?: string[]; pull?: boolean; exchange?: number; token?: number } = {}) {
  const repo = opts.repo ?? 'alice-weather-pipeline';
  const tags = opts.tags ?? ['1.1', '1.0', 'latest'];
  const base = `https://${ACR}`;
  return {
    [`POST ${base}/oauth2/exchange`]: () =>
      opts.exchange
        ? json(opts.exchange, { errors: [{ code: 'UNAUTHORIZED', message: 'Token is not valid for this tenant.' }] })
        : json(200, { refresh_token: 'acr-refresh-token-123' }),
    [`POST ${base}/oauth2/token`]: () =>
      opts.token
        ? json(opts.token, { errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] })
        : json(200, { access_token: 'acr-access-token-456' }),
    [`HEAD ${base}/v2/${repo}/manifests/1.1`]: (r: Sent) =>
      opts.pull === false || r.headers.authorization !== 'Bearer acr-access-token-456'
        ? new Response(null, { status: 401 })
        : new Response(null, { status: 200, headers: { 'docker-content-digest': DIGEST } }),
    [`HEAD ${base}/v2/${repo}/manifests/1.2`]: () => new Response(null, { status: 404 }),
    [`HEAD ${base}/v2/${repo}/manifests/${DIGEST.replace('ab', 'cd')}`]: () => new Response(null, { status: 404 }),
    [`GET ${base}/acr/v1/${repo}/_tags`]: () =>
      json(200, { registry: ACR, imageName: repo, tags: tags.map((name) => ({ name, digest: DIGEST })) }),
    [`HEAD ${base}/v2/other/manifests/1.0`]: () => new Response(null, { status: 404 }),
    [`GET ${base}/acr/v1/other/_tags`]: () =>
      json(404, { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] }),
  } satisfies Record<string, Handler>;
}

const credential: TokenCredential = {
  getToken: async () => ({ token: ENTRA, expiresOnTimestamp: Date.now() + 3600e3 }),
};

function deps(f: typeof fetch, extra: Partial<ImageCheckDeps> = {}) {
  const lines: string[] = [];
  const masked: string[] = [];
  const d: ImageCheckDeps = {
    credential,
    api: { subscriptionId: 'sub', listRegistries: async () => [] },
    info: (m) => lines.push(m),
    mask: (v) => masked.push(v),
    fetch: f,
    ...extra,
  };
  return { d, lines, masked };
}

const config = (o: Partial<Config> = {}): Config => baseConfig({ image: `${ACR}/alice-weather-pipeline:1.1`, ...o });

async function failure(p: Promise<unknown>): Promise<ActionError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ActionError);
  return e as ActionError;
}

describe('check-image: Azure Container Registry with the workflow identity', () => {
  it('finds an existing tag: exchange, pull token, HEAD with the manifest media types; tokens masked', async () => {
    const { fetch, sent } = fakeFetch(acr());
    const { d, lines, masked } = deps(fetch);
    const r = await checkImage(config(), undefined, d);
    expect(r).toEqual({ outcome: 'found', image: `${ACR}/alice-weather-pipeline:1.1`, digest: DIGEST });
    expect(lines).toEqual([`Image ${ACR}/alice-weather-pipeline:1.1 exists in its registry (${DIGEST}).`]);
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      `POST https://${ACR}/oauth2/exchange`,
      `POST https://${ACR}/oauth2/token`,
      `HEAD https://${ACR}/v2/alice-weather-pipeline/manifests/1.1`,
    ]);
    const exchange = new URLSearchParams(sent[0]!.body);
    expect(Object.fromEntries(exchange)).toEqual({
      grant_type: 'access_token',
      service: ACR,
      access_token: ENTRA,
      tenant: TENANT,
    });
    const token = new URLSearchParams(sent[1]!.body);
    expect(Object.fromEntries(token)).toEqual({
      grant_type: 'refresh_token',
      service: ACR,
      scope: 'repository:alice-weather-pipeline:pull',
      refresh_token: 'acr-refresh-token-123',
    });
    expect(sent[2]!.headers.accept).toBe(
      'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json',
    );
    expect(sent.every((s) => s.redirect === 'manual')).toBe(true);
    expect(masked).toEqual(['acr-refresh-token-123', 'acr-access-token-456']);
  });

  it('fails on a missing tag with the newest tags that exist (ACR _tags, newest first)', async () => {
    const { fetch, sent } = fakeFetch(acr());
    const { d } = deps(fetch);
    const e = await failure(checkImage(config({ image: `${ACR}/alice-weather-pipeline:1.2` }), undefined, d));
    expect(e.message).toBe(
      `Image ${ACR}/alice-weather-pipeline:1.2 was not found: the repository has tags 1.1, 1.0, latest (newest first): fix 'image' (or 'image-tag').`,
    );
    const tags = new URL(sent.at(-1)!.url);
    expect(tags.pathname).toBe('/acr/v1/alice-weather-pipeline/_tags');
    expect(Object.fromEntries(tags.searchParams)).toEqual({ orderby: 'timedesc', n: '5' });
    expect(sent.at(-1)!.headers.authorization).toBe('Bearer acr-access-token-456');
  });

  it('with image-tag: checks the job image with the new tag and names image-tag in the fix', async () => {
    const live = {
      template: { containers: [{ name: 'main', image: `${ACR}/alice-weather-pipeline:1.0` }] },
    } as Job;
    const cfg = config({ image: undefined, imageTag: '1.2' });
    expect(imageToCheck(cfg, live)).toEqual({ image: `${ACR}/alice-weather-pipeline:1.2`, input: 'image-tag' });
    const { d } = deps(fakeFetch(acr()).fetch);
    const e = await failure(checkImage(cfg, live, d));
    expect(e.message).toMatch(/alice-weather-pipeline:1\.2 was not found: .* fix 'image-tag'\.$/);
  });

  it('says when the repository itself is missing, with the az command that lists them', async () => {
    const { d } = deps(fakeFetch(acr()).fetch);
    const e = await failure(checkImage(config({ image: `${ACR}/other:1.0` }), undefined, d));
    expect(e.message).toBe(
      `Image ${ACR}/other:1.0 was not found: registry ${ACR} has no repository 'other' (az acr repository list --name hyfregistry): fix 'image', or push the image first.`,
    );
  });

  it('a missing digest is reported as such', async () => {
    const { d } = deps(fakeFetch(acr()).fetch);
    const image = `${ACR}/alice-weather-pipeline@${DIGEST.replace('ab', 'cd')}`;
    const e = await failure(checkImage(config({ image }), undefined, d));
    expect(e.message).toContain(`Image ${image} was not found (no manifest with that digest): the repository has tags`);
  });

  it('falls back to /v2/NAME/tags/list when _tags is not allowed', async () => {
    const routes: Record<string, Handler> = {
      ...acr(),
      [`GET https://${ACR}/acr/v1/alice-weather-pipeline/_tags`]: () =>
        json(401, { errors: [{ code: 'UNAUTHORIZED' }] }),
      [`GET https://${ACR}/v2/alice-weather-pipeline/tags/list`]: () =>
        json(200, { name: 'alice-weather-pipeline', tags: ['1.0', '1.1', 'latest'] }),
    };
    const { d } = deps(fakeFetch(routes).fetch);
    const e = await failure(checkImage(config({ image: `${ACR}/alice-weather-pipeline:1.2` }), undefined, d));
    expect(e.message).toContain('the repository has tags 1.0, 1.1, latest: ');
  });

  it.each([
    [
      'the exchange is refused (401)',
      { exchange: 401 },
      /refused to exchange this workflow's Azure token \(HTTP 401: Token is not valid for this tenant\)/,
    ],
    [
      'the token endpoint refuses (403)',
      { token: 403 },
      /refused a 'repository:alice-weather-pipeline:pull' token to this workflow's identity \(HTTP 403/,
    ],
    [
      'the identity has no AcrPull (HEAD 401)',
      { pull: false },
      /does not let this workflow's identity read alice-weather-pipeline \(HTTP 401\)/,
    ],
  ])('skips with one line when %s, naming AcrPull, and does not fail', async (_name, opts, said) => {
    const { fetch, sent } = fakeFetch(acr(opts));
    const { d, lines } = deps(fetch);
    const r = await checkImage(config(), undefined, d);
    expect(r.outcome).toBe('skipped');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Image check skipped for hyfregistry\.azurecr\.io\/alice-weather-pipeline:1\.1: /);
    expect(lines[0]).toMatch(said);
    expect(lines[0]).toContain("give this workflow's identity the AcrPull role on the registry to enable it.");
    expect(lines[0]).not.toContain('\n');
    // No retries: each endpoint asked once.
    expect(new Set(sent.map((s) => s.url)).size).toBe(sent.length);
  });

  it('skips with one line when the registry cannot be reached', async () => {
    const { fetch, sent } = fakeFetch({});
    const { d, lines } = deps(fetch);
    const r = await checkImage(config(), undefined, d);
    expect(r.outcome).toBe('skipped');
    expect(sent).toHaveLength(1);
    expect(lines).toEqual([
      `Image check skipped for ${ACR}/alice-weather-pipeline:1.1: could not reach ${ACR} for the token exchange (ENOTFOUND); give this workflow's identity the AcrPull role on the registry to enable it.`,
    ]);
  });

  it('skips when the registry does not answer in time', async () => {
    const f = (async () => {
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    }) as unknown as typeof fetch;
    const { d, lines } = deps(f, { timeoutMs: 5000 });
    expect((await checkImage(config(), undefined, d)).outcome).toBe('skipped');
    expect(lines[0]).toContain('(no answer within 5 s)');
  });

  it.each(['exchange', 'token'])(
    'fails clearly when the %s endpoint redirects, without following it',
    async (which) => {
      const routes: Record<string, Handler> = {
        ...acr(),
        [`POST https://${ACR}/oauth2/${which}`]: () =>
          new Response(null, { status: 307, headers: { location: 'https://evil.example/steal' } }),
      };
      const { fetch, sent } = fakeFetch(routes);
      const { d } = deps(fetch);
      const e = await failure(checkImage(config(), undefined, d));
      expect(e.message).toContain(
        `with a redirect (HTTP 307 to https://evil.example/steal); the action never sends a token to another address`,
      );
      expect(e.message).toContain('check-image: false');
      expect(sent.some((s) => s.url.includes('evil.example'))).toBe(false);
    },
  );

  it('checks nothing with check-image: false, with build-context, or without an image', async () => {
    const { fetch, sent } = fakeFetch(acr());
    const { d, lines } = deps(fetch);
    expect(await checkImage(config({ checkImage: false }), undefined, d)).toEqual({ outcome: 'not-checked' });
    const build = { context: 'app', buildArgs: {} };
    expect(await checkImage(config({ build }), undefined, d)).toEqual({ outcome: 'not-checked' });
    expect(await checkImage(config({ image: undefined }), undefined, d)).toEqual({ outcome: 'not-checked' });
    expect(await checkImage(config({ image: undefined, imageTag: '2' }), undefined, d)).toEqual({
      outcome: 'not-checked',
    });
    expect(sent).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('never sends a local stand-in’s token to a registry that is not local', async () => {
    const { fetch, sent } = fakeFetch(acr());
    const { d, lines } = deps(fetch);
    const cfg = config();
    const local = { ...cfg, auth: { ...cfg.auth, authorityHost: 'https://127.0.0.1:8443' } };
    expect((await checkImage(local, undefined, d)).outcome).toBe('skipped');
    expect(sent).toEqual([]);
    expect(lines).toEqual([
      `Image check skipped for ${ACR}/alice-weather-pipeline:1.1: this run signs in to a local stand-in of Azure (authority-host 127.0.0.1:8443), whose tokens are not for ${ACR}.`,
    ]);
  });

  it('checks on a dry run too (it only reads)', async () => {
    const { d } = deps(fakeFetch(acr()).fetch);
    await expect(
      checkImage(config({ dryRun: true, image: `${ACR}/alice-weather-pipeline:1.2` }), undefined, d),
    ).rejects.toThrow(/was not found/);
  });
});

describe('check-image: an Azure registry under another name (custom domain, the stand-in)', () => {
  const HOST = 'registry.example.edu';
  const routes = (): Record<string, Handler> => ({
    [`GET https://${HOST}/v2/`]: () =>
      new Response(null, {
        status: 401,
        headers: { 'www-authenticate': `Bearer realm="https://${HOST}/oauth2/token",service="${HOST}"` },
      }),
    [`POST https://${HOST}/oauth2/exchange`]: () => json(200, { refresh_token: 'r-1234567' }),
    [`POST https://${HOST}/oauth2/token`]: () => json(200, { access_token: 'a-1234567' }),
    [`GET https://${HOST}/oauth2/token`]: () => json(200, { token: 'anon-1234567' }),
    [`HEAD https://${HOST}/v2/app/manifests/1`]: () => new Response(null, { status: 200 }),
  });

  it('uses the identity only when the subscription has a registry with that login server', async () => {
    const { fetch, sent } = fakeFetch(routes());
    const api = {
      subscriptionId: 's',
      listRegistries: async () => [{ id: '/x', name: 'eduacr', loginServer: HOST, adminUserEnabled: false }],
    };
    const { d } = deps(fetch, { api });
    expect((await checkImage(config({ image: `${HOST}/app:1` }), undefined, d)).outcome).toBe('found');
    expect(sent.map((s) => `${s.method} ${new URL(s.url).pathname}`)).toEqual([
      'GET /v2/',
      'POST /oauth2/exchange',
      'POST /oauth2/token',
      'HEAD /v2/app/manifests/1',
    ]);
  });

  it('never sends the Azure token to a host that is not one of the subscription’s registries', async () => {
    const { fetch, sent } = fakeFetch(routes());
    const { d } = deps(fetch);
    expect((await checkImage(config({ image: `${HOST}/app:1` }), undefined, d)).outcome).toBe('found');
    expect(sent.map((s) => `${s.method} ${new URL(s.url).pathname}`)).toEqual([
      'GET /v2/',
      'GET /oauth2/token',
      'HEAD /v2/app/manifests/1',
    ]);
    expect(JSON.stringify(sent)).not.toContain(ENTRA);
  });
});

describe('check-image: other registries (anonymous bearer flow, or registry-username)', () => {
  const hub = (tagsPages: string[][] = [['3.11', '3.12', '3.13']]): Record<string, Handler> => ({
    'GET https://registry-1.docker.io/v2/': () =>
      new Response(null, {
        status: 401,
        headers: {
          'www-authenticate': 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"',
        },
      }),
    'GET https://auth.docker.io/token': (r) =>
      r.headers.authorization === `Basic ${Buffer.from('student:s3cret-pw!').toString('base64')}` ||
      !r.headers.authorization
        ? json(200, { token: 'hub-token-1234', access_token: 'hub-token-1234' })
        : json(401, { details: 'incorrect username or password' }),
    'HEAD https://registry-1.docker.io/v2/library/python/manifests/3.12': () =>
      new Response(null, { status: 200, headers: { 'docker-content-digest': DIGEST } }),
    'HEAD https://registry-1.docker.io/v2/library/python/manifests/3.99': () => new Response(null, { status: 404 }),
    'HEAD https://registry-1.docker.io/v2/alice/private/manifests/1': () => new Response(null, { status: 401 }),
    'GET https://registry-1.docker.io/v2/library/python/tags/list': (r) => {
      const page = Number(new URL(r.url).searchParams.get('page') ?? '0');
      const next = page + 1 < tagsPages.length;
      return json(
        200,
        { name: 'library/python', tags: tagsPages[page] },
        next ? { link: `</v2/library/python/tags/list?page=${page + 1}&n=3>; rel="next"` } : {},
      );
    },
  });

  it('Docker Hub: library/ names, the realm from the challenge, anonymous token with the pull scope', async () => {
    const { fetch, sent } = fakeFetch(hub());
    const { d, lines } = deps(fetch);
    expect((await checkImage(config({ image: 'python:3.12' }), undefined, d)).outcome).toBe('found');
    expect(lines).toEqual([`Image python:3.12 exists in its registry (${DIGEST}).`]);
    const token = new URL(sent[1]!.url);
    expect(token.host).toBe('auth.docker.io');
    expect(Object.fromEntries(token.searchParams)).toEqual({
      service: 'registry.docker.io',
      scope: 'repository:library/python:pull',
    });
    expect(sent[1]!.headers.authorization).toBeUndefined();
    expect(sent[2]!.headers.authorization).toBe('Bearer hub-token-1234');
  });

  it('a missing tag lists the last few tags, following Link paging', async () => {
    const pages = [
      ['2.7', '3.0', '3.1'],
      ['3.10', '3.11', '3.12'],
      ['3.13', 'latest'],
    ];
    const { fetch, sent } = fakeFetch(hub(pages));
    const { d } = deps(fetch);
    const e = await failure(checkImage(config({ image: 'docker.io/library/python:3.99' }), undefined, d));
    expect(e.message).toBe(
      `Image docker.io/library/python:3.99 was not found: the repository has tags 3.10, 3.11, 3.12, 3.13, latest (the last 5 of 8): fix 'image' (or 'image-tag').`,
    );
    expect(sent.filter((s) => s.url.includes('/tags/list'))).toHaveLength(3);
  });

  it('a private or missing repository read anonymously: skipped, pointing at registry-username', async () => {
    const { d, lines } = deps(fakeFetch(hub()).fetch);
    expect((await checkImage(config({ image: 'alice/private:1' }), undefined, d)).outcome).toBe('skipped');
    expect(lines).toEqual([
      'Image check skipped for alice/private:1: registry-1.docker.io does not let anonymous readers read alice/private (HTTP 401); set registry-username and registry-password to enable it for a private image.',
    ]);
  });

  it('registry-username / registry-password: Basic auth to the token realm; the password is never printed', async () => {
    const password = 's3cret-pw!';
    const { fetch, sent } = fakeFetch(hub());
    const { d, lines } = deps(fetch);
    const cfg = config({ image: 'python:3.12', registry: { username: 'student', password } });
    expect((await checkImage(cfg, undefined, d)).outcome).toBe('found');
    expect(sent[1]!.headers.authorization).toBe(`Basic ${Buffer.from(`student:${password}`).toString('base64')}`);
    const wrong = config({ image: 'python:3.12', registry: { username: 'student', password: 'wrong-pw-999' } });
    const r = await checkImage(wrong, undefined, d);
    expect(r.outcome).toBe('skipped');
    expect(lines.at(-1)).toBe(
      "Image check skipped for python:3.12: auth.docker.io refused a 'repository:library/python:pull' token to registry-username 'student' (HTTP 401: incorrect username or password); check registry-username and registry-password to enable it.",
    );
    expect(lines.join('\n')).not.toContain(password);
    expect(lines.join('\n')).not.toContain('wrong-pw-999');
  });

  it('ACR with registry-username (admin user or token): Basic auth to its realm, then its newest tags', async () => {
    const routes: Record<string, Handler> = {
      ...acr(),
      [`GET https://${ACR}/v2/`]: () =>
        new Response(null, {
          status: 401,
          headers: { 'www-authenticate': `Bearer realm="https://${ACR}/oauth2/token",service="${ACR}"` },
        }),
      [`GET https://${ACR}/oauth2/token`]: (r) =>
        r.headers.authorization === `Basic ${Buffer.from('hyfregistry:admin-pw-123').toString('base64')}`
          ? json(200, { access_token: 'acr-access-token-456' })
          : json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] }),
    };
    const { fetch, sent } = fakeFetch(routes);
    const { d, lines } = deps(fetch);
    const registry = { username: 'hyfregistry', password: 'admin-pw-123' };
    const e = await failure(checkImage(config({ image: `${ACR}/alice-weather-pipeline:1.2`, registry }), undefined, d));
    expect(e.message).toContain('the repository has tags 1.1, 1.0, latest (newest first)');
    expect(sent.some((s) => s.url.includes('/oauth2/exchange'))).toBe(false);
    const wrong = { username: 'hyfregistry', password: 'nope-nope-1' };
    expect((await checkImage(config({ registry: wrong }), undefined, d)).outcome).toBe('skipped');
    expect(lines.at(-1)).toMatch(
      /to registry-username 'hyfregistry' \(HTTP 401: incorrect username or password\); check registry-username and registry-password to enable it\.$/,
    );
  });

  it('mcr.microsoft.com reads anonymously without a token', async () => {
    const { fetch, sent } = fakeFetch({
      'GET https://mcr.microsoft.com/v2/': () => new Response(null, { status: 200 }),
      'HEAD https://mcr.microsoft.com/v2/k8se/quickstart-jobs/manifests/latest': () =>
        new Response(null, { status: 200 }),
    });
    const { d } = deps(fetch);
    expect(
      (await checkImage(config({ image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest' }), undefined, d)).outcome,
    ).toBe('found');
    expect(sent[1]!.headers.authorization).toBeUndefined();
  });

  it('ghcr.io: a token realm on the same host; a token endpoint on http is not used', async () => {
    const routes: Record<string, Handler> = {
      'GET https://ghcr.io/v2/': () =>
        new Response(null, {
          status: 401,
          headers: { 'www-authenticate': 'Bearer realm="http://ghcr.io/token",service="ghcr.io"' },
        }),
    };
    const { fetch, sent } = fakeFetch(routes);
    const { d, lines } = deps(fetch);
    expect((await checkImage(config({ image: 'ghcr.io/octo/app:1' }), undefined, d)).outcome).toBe('skipped');
    expect(sent).toHaveLength(1);
    expect(lines[0]).toContain('is not HTTPS');
  });

  it('registry names and tags from the image', () => {
    expect(registryTarget('python')).toEqual({
      server: 'registry-1.docker.io',
      repository: 'library/python',
      reference: 'latest',
      isDigest: false,
    });
    expect(registryTarget('localhost:5000/a/b@' + DIGEST)).toEqual({
      server: 'localhost:5000',
      repository: 'a/b',
      reference: DIGEST,
      isDigest: true,
    });
  });
});
