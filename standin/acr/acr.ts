/**
 * Azure Container Registry's data plane, for tests that build and push real images: the stand-in's token
 * service in front of a REAL registry (Debian's `docker-registry`, the reference distribution registry).
 *
 * One HTTPS host (`localhost:PORT`, the registry's login server, registered in ARM with that `loginServer`) serves
 * - `POST /oauth2/exchange` (grant_type=access_token, service, tenant, access_token): an Entra access token of the
 *   stand-in (audience ARM or https://containerregistry.azure.net) → `{ refresh_token }`, as ACR does for
 *   `az acr login` and the action;
 * - `GET|POST /oauth2/token`: the distribution token protocol. GET with Basic auth (user
 *   00000000-0000-0000-0000-000000000000 and an ACR refresh token, or the admin user and one of its passwords) or
 *   POST (grant_type=refresh_token|password) → `{ access_token }`, a JWT the registry accepts, granting the
 *   requested repository actions the caller may have: admin user all; an identity `pull` with
 *   Microsoft.ContainerRegistry/registries/pull/read and `push` with .../push/write on the registry (AcrPull,
 *   AcrPush, Reader, Contributor, Owner), from the stand-in's role assignments;
 * - `GET /acr/v1/NAME/_tags[?orderby=timedesc&n=N]`: ACR's tag listing (`{registry, imageName, tags: [{name,
 *   createdTime, lastUpdateTime, ...}]}`), read from the registry's `/v2/NAME/tags/list` with the caller's token
 *   (so the registry decides: a pull token is enough here; real ACR asks for `metadata_read`, which AcrPull has),
 *   ordered by when the stand-in saw each tag's manifest pushed through it (guess: tags pushed otherwise sort last);
 * - `/v2/...`: proxied to the real registry, which runs with token auth (realm = this host's /oauth2/token,
 *   service = the login server, rootcertbundle = the stand-in CA; the JWTs carry the TLS certificate in `x5c`) and
 *   TLS with the stand-in's certificate. The registry, not the stand-in, decides what a token allows.
 *
 * Errors are ACR's: `{"errors":[{"code":"UNAUTHORIZED","message":"..."}]}` with 401.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { isAuthorized, scopeCovers } from '../arm/authz.ts';
import type { RegistryRecord } from '../arm/state.ts';
import { httpsFetch, sendJson, type Host } from '../common/http.ts';
import type { StandIn } from '../index.ts';
import { createSigningKey, decodeJwt, signJwt, verifyJwtSignature, type SigningKey } from '../common/jwt.ts';
import { text } from '../common/text.ts';

/** The user name ACR expects with a refresh token (`docker login -u 00000000-0000-0000-0000-000000000000`). */
export const ACR_TOKEN_USER = '00000000-0000-0000-0000-000000000000';
const PULL_ACTION = 'Microsoft.ContainerRegistry/registries/pull/read';
const PUSH_ACTION = 'Microsoft.ContainerRegistry/registries/push/write';
const ACR_AUDIENCES = new Set([
  'https://management.azure.com',
  'https://management.core.windows.net',
  'https://containerregistry.azure.net',
]);

export interface StartAcrOptions {
  resourceGroup: string;
  /** Registry name (ARM). */
  name: string;
  /** Default false (as new registries are). */
  adminUserEnabled?: boolean;
  /** Path of the registry binary (default: `docker-registry` on PATH, then /usr/bin/docker-registry). */
  registryBinary?: string;
  /** ACR refresh tokens live 3 hours. */
  refreshTokenLifetimeSec?: number;
  /** ACR access tokens live 75 minutes. */
  accessTokenLifetimeSec?: number;
}

export interface AcrTokenGrant {
  /** Object id of the identity, or `admin:<username>`. */
  subject: string;
  requested: string[];
  /** `repository:<name>:<actions>` as granted ('' actions when none). */
  granted: string[];
}

export interface StandInAcr {
  name: string;
  /** `localhost:PORT`: the image host and the service name in tokens. */
  loginServer: string;
  url: string;
  /** The ARM registry record (its `id`, admin user and passwords). */
  registry: RegistryRecord;
  host: Host;
  /** Answered exchanges, in order: whose token, and whether a refresh token was issued. */
  exchanges: { oid?: string; ok: boolean; reason?: string }[];
  /** Every refresh token issued (for leak checks). */
  refreshTokens: string[];
  /** Answered token requests, in order. */
  grants: AcrTokenGrant[];
  /** The digest the registry itself reports for `repository:reference` (HEAD manifests), or undefined on 404. */
  manifestDigest(repository: string, reference: string): Promise<string | undefined>;
  /** The image config (`config` blob: Env, Cmd, Labels...) of `repository:reference`, read from the registry. */
  imageConfig(repository: string, reference: string): Promise<Record<string, unknown>>;
  /** What the registry process printed (for failure messages). */
  registryLog(): string;
  close(): Promise<void>;
}

/** The registry binary to use, or undefined when none is installed (tests then skip, saying so). */
export function findRegistryBinary(explicit?: string): string | undefined {
  const candidates = explicit
    ? [explicit]
    : [...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'docker-registry')), '/usr/bin/docker-registry'];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

function acrError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ code, message }] });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

interface Caller {
  subject: string;
  admin: boolean;
  principal?: { oid: string; appid: string };
}

/** Parses `repository:<name>:<a,b>` scopes (several may be space-separated in one parameter). */
export function parseScopes(values: string[]): { type: string; name: string; actions: string[] }[] {
  const out: { type: string; name: string; actions: string[] }[] = [];
  for (const value of values) {
    for (const scope of value.split(' ').filter(Boolean)) {
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      if (first < 0 || last === first) continue;
      out.push({
        type: scope.slice(0, first),
        name: scope.slice(first + 1, last),
        actions: scope
          .slice(last + 1)
          .split(',')
          .filter(Boolean),
      });
    }
  }
  return out;
}

/** What the token service and the proxy share: keys, lifetimes, the login server and what happened. */
interface AcrContext {
  standIn: StandIn;
  issuer: string;
  refreshKey: SigningKey;
  tokenKey: KeyObject;
  x5c: string[];
  refreshLifetime: number;
  accessLifetime: number;
  /** Set once the host exists (the handlers run only after that). */
  loginServer: string;
  registry?: RegistryRecord;
  /** Set once the registry listens. */
  registryPort: number;
  exchanges: StandInAcr['exchanges'];
  refreshTokens: string[];
  grants: AcrTokenGrant[];
  /** When each `repository:tag` manifest was pushed through the proxy (order and time), for `_tags`. */
  pushes: Map<string, { seq: number; at: string }>;
}

const nowSec = (): number => Math.floor(Date.now() / 1000);

function registryToken(
  ctx: AcrContext,
  subject: string,
  access: { type: string; name: string; actions: string[] }[],
): string {
  const iat = nowSec();
  const payload = {
    iss: ctx.issuer,
    sub: subject,
    aud: ctx.loginServer,
    exp: iat + ctx.accessLifetime,
    nbf: iat - 10,
    iat,
    jti: randomUUID(),
    access,
  };
  const head = { typ: 'JWT', alg: 'RS256', x5c: ctx.x5c };
  const input = `${Buffer.from(JSON.stringify(head)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), ctx.tokenKey).toString('base64url')}`;
}

/** Who presents `username`/`password` (Basic auth or a password/refresh_token grant), or a reason. */
function authenticate(ctx: AcrContext, username: string | undefined, password: string | undefined): Caller | string {
  const reg = ctx.registry!;
  if (username === undefined || password === undefined) return 'authentication required';
  if (username === ACR_TOKEN_USER) {
    const decoded = decodeJwt(password);
    if (!decoded || !verifyJwtSignature(decoded, [ctx.refreshKey.publicJwk]).ok) return 'invalid refresh token';
    const c = decoded.payload;
    if (c.grant_type !== 'refresh_token' || c.aud !== ctx.loginServer) return 'invalid refresh token';
    if (typeof c.exp !== 'number' || nowSec() >= c.exp) return 'refresh token expired';
    return {
      subject: String(c.sub),
      admin: false,
      principal: { oid: String(c.sub), appid: text(c.appid ?? '') },
    };
  }
  if (reg.adminUserEnabled && username === reg.username && reg.passwords.includes(password)) {
    return { subject: `admin:${username}`, admin: true };
  }
  return 'incorrect username or password';
}

function allowed(ctx: AcrContext, caller: Caller, action: string): boolean {
  if (caller.admin) return true;
  const p = caller.principal!;
  if (action === 'pull')
    return isAuthorized(ctx.standIn.arm.effectiveRoleAssignments(), p, PULL_ACTION, ctx.registry!.id);
  if (action === 'push')
    return isAuthorized(ctx.standIn.arm.effectiveRoleAssignments(), p, PUSH_ACTION, ctx.registry!.id);
  // delete and the catalog need more than AcrPush; Owner / Contributor have them.
  return isAuthorized(
    ctx.standIn.arm.effectiveRoleAssignments(),
    p,
    'Microsoft.ContainerRegistry/registries/write',
    ctx.registry!.id,
  );
}

/**
 * Whether the caller's only role on the registry is one still propagating (granted moments ago): the exchange then
 * answers 401 (Azure/acr#723; the body is ACR's generic one, a guess).
 */
function propagating(ctx: AcrContext, p: { oid: string; appid: string }): boolean {
  const arm = ctx.standIn.arm;
  const id = ctx.registry!.id;
  const mine = (a: { principalId: string; scope: string }): boolean =>
    [p.oid.toLowerCase(), p.appid.toLowerCase()].includes(a.principalId.toLowerCase()) && scopeCovers(a.scope, id);
  const pending = arm.roleAssignments.some(
    (a) => mine(a) && a.effectiveAt !== undefined && a.effectiveAt > arm.clock(),
  );
  return pending && !isAuthorized(arm.effectiveRoleAssignments(), p, PULL_ACTION, id);
}

/** POST /oauth2/exchange: an Entra access token becomes a refresh token for this registry. */
function exchange(ctx: AcrContext, res: ServerResponse, form: URLSearchParams): void {
  if (form.get('grant_type') !== 'access_token') {
    ctx.exchanges.push({ ok: false, reason: 'grant_type' });
    return acrError(res, 400, 'UNSUPPORTED', `grant_type '${form.get('grant_type') ?? ''}' is not supported.`);
  }
  if (form.get('service') !== ctx.loginServer) {
    ctx.exchanges.push({ ok: false, reason: 'service' });
    return acrError(res, 400, 'DENIED', `service '${form.get('service') ?? ''}' is not this registry.`);
  }
  const check = ctx.standIn.entra.verifyAccessToken(form.get('access_token') ?? '');
  if (!check.ok) {
    ctx.exchanges.push({ ok: false, reason: check.reason });
    return acrError(res, 401, 'UNAUTHORIZED', `The access token is ${check.reason}.`);
  }
  const c = check.claims;
  const tenant = form.get('tenant');
  if ((tenant && tenant !== c.tid) || !ACR_AUDIENCES.has(String(c.aud).replace(/\/+$/, ''))) {
    ctx.exchanges.push({ oid: c.oid, ok: false, reason: tenant && tenant !== c.tid ? 'tenant' : 'audience' });
    return acrError(res, 401, 'UNAUTHORIZED', 'The access token is not for this tenant or for Azure Resource Manager.');
  }
  if (propagating(ctx, { oid: c.oid, appid: String(c.appid ?? '') })) {
    ctx.exchanges.push({ oid: c.oid, ok: false, reason: 'propagating' });
    return acrError(
      res,
      401,
      'UNAUTHORIZED',
      'authentication required, visit https://aka.ms/acr/authorization for more information.',
    );
  }
  const iat = nowSec();
  const refresh = signJwt(
    {
      jti: randomUUID(),
      sub: c.oid,
      appid: c.appid,
      tenant: c.tid,
      grant_type: 'refresh_token',
      aud: ctx.loginServer,
      iss: ctx.issuer,
      nbf: iat,
      iat,
      exp: iat + ctx.refreshLifetime,
    },
    ctx.refreshKey,
  );
  ctx.exchanges.push({ oid: c.oid, ok: true });
  ctx.refreshTokens.push(refresh);
  sendJson(res, 200, { refresh_token: refresh });
}

/** /oauth2/token: a registry access token for the scopes the caller may have. */
function token(ctx: AcrContext, req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): void {
  let username: string | undefined;
  let password: string | undefined;
  let service: string | null;
  let scopes: string[];
  if (req.method === 'POST') {
    const form = new URLSearchParams(body.toString('utf8'));
    service = form.get('service');
    scopes = form.getAll('scope');
    const grant = form.get('grant_type');
    if (grant === 'refresh_token') {
      username = ACR_TOKEN_USER;
      password = form.get('refresh_token') ?? undefined;
    } else if (grant === 'password') {
      username = form.get('username') ?? undefined;
      password = form.get('password') ?? undefined;
    } else {
      return acrError(res, 400, 'UNSUPPORTED', `grant_type '${grant ?? ''}' is not supported.`);
    }
  } else {
    service = url.searchParams.get('service');
    scopes = url.searchParams.getAll('scope');
    const auth = header(req, 'authorization');
    if (auth?.toLowerCase().startsWith('basic ')) {
      const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) {
        username = decoded.slice(0, colon);
        password = decoded.slice(colon + 1);
      }
    }
  }
  if (service !== ctx.loginServer) {
    return acrError(res, 400, 'DENIED', `service '${service ?? ''}' is not this registry.`);
  }
  const caller = authenticate(ctx, username, password);
  if (typeof caller === 'string') {
    return acrError(
      res,
      401,
      'UNAUTHORIZED',
      `${caller}, visit https://aka.ms/acr/authorization for more information.`,
    );
  }
  const requested = parseScopes(scopes);
  const access = requested.map((s) => ({ ...s, actions: s.actions.filter((a) => allowed(ctx, caller, a)) }));
  ctx.grants.push({
    subject: caller.subject,
    requested: requested.map((s) => `${s.type}:${s.name}:${s.actions.join(',')}`),
    granted: access.map((s) => `${s.type}:${s.name}:${s.actions.join(',')}`),
  });
  sendJson(res, 200, { access_token: registryToken(ctx, caller.subject, access) });
}

/** /v2/...: forwarded to the registry as it is. */
function proxy(ctx: AcrContext, req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || ['connection', 'transfer-encoding', 'content-length', 'keep-alive'].includes(k)) continue;
      headers[k] = v;
    }
    if (body.length > 0 || !['GET', 'HEAD', 'DELETE'].includes(req.method ?? 'GET'))
      headers['content-length'] = String(body.length);
    const up = httpsRequest(
      {
        host: '127.0.0.1',
        port: ctx.registryPort,
        servername: 'localhost',
        method: req.method,
        path: url.pathname + url.search,
        headers,
        ca: ctx.standIn.tls.ca,
        agent: false,
      },
      (upRes) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(upRes.headers)) {
          if (v === undefined || ['connection', 'transfer-encoding', 'keep-alive'].includes(k)) continue;
          out[k] = v;
        }
        const pushed = req.method === 'PUT' ? /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname) : null;
        if (pushed && upRes.statusCode === 201)
          ctx.pushes.set(`${pushed[1]}:${pushed[2]}`, { seq: ctx.pushes.size + 1, at: new Date().toISOString() });
        res.writeHead(upRes.statusCode ?? 502, out);
        upRes.pipe(res);
        upRes.on('end', () => resolve());
        upRes.on('error', () => {
          res.destroy();
          resolve();
        });
      },
    );
    up.on('error', (err) => {
      if (!res.headersSent) acrError(res, 502, 'UNAVAILABLE', `The registry did not answer: ${err.message}`);
      else res.destroy();
      resolve();
    });
    up.end(body);
  });
}

/** ACR's `_tags`: the registry's tags/list (with the caller's token), in push order, ACR's shape. */
async function tags(
  ctx: AcrContext,
  req: IncomingMessage,
  res: ServerResponse,
  repository: string,
  url: URL,
): Promise<void> {
  const auth = req.headers.authorization;
  const r = await httpsFetch(`https://localhost:${ctx.registryPort}/v2/${repository}/tags/list`, {
    ca: ctx.standIn.tls.ca,
    headers: auth ? { authorization: auth } : {},
  });
  if (r.status !== 200) {
    const code = r.status === 404 ? 'NAME_UNKNOWN' : r.status === 401 ? 'UNAUTHORIZED' : 'DENIED';
    const message = r.status === 404 ? 'repository name not known to registry' : 'authentication required';
    return acrError(res, r.status, code, message);
  }
  const names = ((r.json as { tags?: string[] } | undefined)?.tags ?? []).slice();
  const seq = (t: string): number => ctx.pushes.get(`${repository}:${t}`)?.seq ?? 0;
  if (url.searchParams.get('orderby') === 'timedesc') names.sort((a, b) => seq(b) - seq(a));
  else if (url.searchParams.get('orderby') === 'timeasc') names.sort((a, b) => seq(a) - seq(b));
  const n = Number(url.searchParams.get('n') ?? '100') || 100;
  sendJson(res, 200, {
    registry: ctx.loginServer,
    imageName: repository,
    tags: names.slice(0, n).map((name) => {
      const at = ctx.pushes.get(`${repository}:${name}`)?.at ?? new Date(0).toISOString();
      return {
        name,
        createdTime: at,
        lastUpdateTime: at,
        signed: false,
        changeableAttributes: { deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: true },
      };
    }),
  });
}

export async function startAcr(standIn: StandIn, opts: StartAcrOptions): Promise<StandInAcr> {
  const binary = findRegistryBinary(opts.registryBinary);
  if (!binary) throw new Error('stand-in ACR: docker-registry is not installed (apt-get install docker-registry)');
  const ctx: AcrContext = {
    standIn,
    issuer: `${opts.name}.standin-acr`,
    refreshKey: createSigningKey(),
    tokenKey: createPrivateKey(standIn.tls.key),
    x5c: [new X509Certificate(standIn.tls.cert).raw.toString('base64')],
    refreshLifetime: opts.refreshTokenLifetimeSec ?? 3 * 3600,
    accessLifetime: opts.accessTokenLifetimeSec ?? 75 * 60,
    loginServer: '',
    registryPort: 0,
    exchanges: [],
    refreshTokens: [],
    grants: [],
    pushes: new Map(),
  };

  const host = await standIn.addHost(`acr-${opts.name}`, async (req, res, body, hc) => {
    const path = hc.url.pathname;
    if (path === '/oauth2/exchange' && req.method === 'POST') {
      return exchange(ctx, res, new URLSearchParams(body.toString('utf8')));
    }
    if (path === '/oauth2/token' && (req.method === 'GET' || req.method === 'POST')) {
      return token(ctx, req, res, hc.url, body);
    }
    if (path === '/v2' || path.startsWith('/v2/')) return proxy(ctx, req, res, hc.url, body);
    const listing = req.method === 'GET' ? /^\/acr\/v1\/(.+)\/_tags$/.exec(path) : null;
    if (listing) return tags(ctx, req, res, listing[1]!, hc.url);
    acrError(res, 404, 'NOT_FOUND', `${req.method ?? 'GET'} ${path} is not an ACR endpoint.`);
  });
  const loginServer = `localhost:${host.port}`;
  ctx.loginServer = loginServer;
  const registry = standIn.arm.addRegistry({
    resourceGroup: opts.resourceGroup,
    name: opts.name,
    adminUserEnabled: opts.adminUserEnabled ?? false,
    loginServer,
  });
  ctx.registry = registry;

  // The real registry, with token auth pointing at this host.
  const dir = mkdtempSync(join(tmpdir(), `standin-acr-${opts.name}-`));
  const config = {
    version: 0.1,
    log: { level: 'info', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
    http: {
      addr: '127.0.0.1:0',
      secret: randomBytes(16).toString('hex'),
      tls: { certificate: join(standIn.tls.dir, 'server.pem'), key: join(standIn.tls.dir, 'server.key') },
    },
    auth: {
      token: {
        realm: `${host.url}/oauth2/token`,
        service: loginServer,
        issuer: ctx.issuer,
        rootcertbundle: standIn.tls.caFile,
      },
    },
  };
  const configFile = join(dir, 'config.yml');
  writeFileSync(configFile, JSON.stringify(config, null, 2)); // YAML is a superset of JSON
  let log = '';
  const child: ChildProcess = spawn(binary, ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    ctx.registryPort = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('did not start within 15 s')), 15_000);
      const onData = (chunk: Buffer): void => {
        log += chunk.toString('utf8');
        const m = /listening on (?:127\.0\.0\.1|\[::\]):(\d+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with code ${code}`));
      });
    });
  } catch (err) {
    await cleanup();
    await host.close();
    throw new Error(`stand-in ACR: ${binary} ${(err as Error).message}:\n${log.slice(-2000)}`, { cause: err });
  }

  /** Reads straight from the registry (not through the proxy) with a pull token minted here. */
  const fromRegistry = (repository: string, tail: string, method: 'GET' | 'HEAD') =>
    httpsFetch(`https://localhost:${ctx.registryPort}/v2/${repository}/${tail}`, {
      method,
      ca: standIn.tls.ca,
      headers: {
        authorization: `Bearer ${registryToken(ctx, 'standin', [{ type: 'repository', name: repository, actions: ['pull'] }])}`,
        accept: [
          'application/vnd.oci.image.index.v1+json',
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.docker.distribution.manifest.list.v2+json',
          'application/vnd.docker.distribution.manifest.v2+json',
        ].join(', '),
      },
    });

  return {
    name: opts.name,
    loginServer,
    refreshTokens: ctx.refreshTokens,
    url: host.url,
    registry,
    host,
    exchanges: ctx.exchanges,
    grants: ctx.grants,
    registryLog: () => log,
    async manifestDigest(repository, reference) {
      const r = await fromRegistry(repository, `manifests/${reference}`, 'HEAD');
      if (r.status === 404) return undefined;
      if (r.status !== 200) throw new Error(`registry answered ${r.status} to HEAD ${repository}:${reference}`);
      return r.headers['docker-content-digest'];
    },
    async imageConfig(repository, reference) {
      const m = await fromRegistry(repository, `manifests/${reference}`, 'GET');
      const configDigest = (m.json as { config?: { digest?: string } } | undefined)?.config?.digest;
      if (m.status !== 200 || !configDigest)
        throw new Error(`registry answered ${m.status} for ${repository}:${reference}`);
      const b = await fromRegistry(repository, `blobs/${configDigest}`, 'GET');
      if (b.status !== 200) throw new Error(`registry answered ${b.status} for blob ${configDigest}`);
      return JSON.parse(b.text) as Record<string, unknown>;
    },
    close: cleanup,
  };
}
