/**
 * The container registry data plane, read-only: what the image check (src/job/image-check.ts) needs to ask a
 * registry whether a tag or digest exists, and which tags it has.
 *
 * - Azure Container Registry: the workflow identity's Entra access token is exchanged for an ACR refresh token
 *   (`POST /oauth2/exchange`), then for an access token with one repository scope (`POST /oauth2/token`); tags come
 *   newest first from `GET /acr/v1/NAME/_tags?orderby=timedesc`.
 * - Other registries (Docker Hub, ghcr.io, mcr.microsoft.com, ...): the distribution token protocol from the
 *   `WWW-Authenticate: Bearer realm=...,service=...` challenge of `GET /v2/`, anonymous or with Basic credentials;
 *   tags from `GET /v2/NAME/tags/list` (Link paging).
 *
 * No request follows a redirect: a token endpoint that redirects fails the step (a token is never sent to an
 * address the user did not name); any other redirect is an answer the check cannot use. A registry that cannot be
 * read (refused, unreachable, no answer within the timeout) is reported as `RegistryUnreadable` with the reason,
 * once, without retrying. Everything a registry answers is untrusted text: only short, cleaned excerpts of it reach
 * a message.
 */
import { ActionError } from '../common/errors.js';

export type Fetch = typeof fetch;

export interface RegistryHttp {
  fetch: Fetch;
  /** Per request (default 15 s): a registry that does not answer in time is skipped, not waited for. */
  timeoutMs?: number;
}

/** The registry cannot be read with what this run has; `reason` completes "the image check was skipped: ...". */
export class RegistryUnreadable extends Error {
  override name = 'RegistryUnreadable';
  readonly status: number | undefined;
  /** What would let the check run, when the caller's usual advice does not fit ('' for none). */
  readonly hint: string | undefined;
  constructor(reason: string, status?: number, hint?: string) {
    super(reason);
    this.status = status;
    this.hint = hint;
  }
}

/** The media types the check accepts for a manifest: OCI index and manifest, Docker manifest list and v2. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** At most `max` characters of untrusted text, on one line, without control characters. */
export function excerpt(text: string, max = 160): string {
  const flat = text
    .slice(0, max * 2)
    // eslint-disable-next-line no-control-regex -- control characters (and so line breaks) never reach a message
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** What a registry said in an error body (`{"errors":[{"message"}]}`, `{"details"}`, `{"error_description"}`). */
export function errorMessageOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as {
      errors?: { message?: unknown; code?: unknown }[];
      details?: unknown;
      error_description?: unknown;
      message?: unknown;
    };
    const first = body.errors?.[0];
    const said = first?.message ?? body.details ?? body.error_description ?? body.message ?? first?.code;
    return typeof said === 'string' && said.trim() ? excerpt(said).replace(/\.$/, '') : undefined;
  } catch {
    return text.trim() ? excerpt(text).replace(/\.$/, '') : undefined;
  }
}

export interface Challenge {
  /** Lower-cased: 'bearer' or 'basic'. */
  scheme: string;
  params: Record<string, string>;
}

/** Parses one `WWW-Authenticate` challenge (`Bearer realm="...",service="...",scope="..."`); linear in its length. */
export function parseChallenge(header: string | null | undefined): Challenge | undefined {
  if (!header) return undefined;
  const text = header.slice(0, 4096).trim();
  const space = text.indexOf(' ');
  const scheme = (space < 0 ? text : text.slice(0, space)).toLowerCase();
  if (!/^[a-z][a-z0-9_-]*$/.test(scheme)) return undefined;
  const params: Record<string, string> = {};
  const pair = /\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/y;
  pair.lastIndex = space < 0 ? text.length : space + 1;
  for (let m = pair.exec(text); m; m = pair.exec(text)) {
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
    if (pair.lastIndex >= text.length) break;
  }
  return { scheme, params };
}

/** The reason a request did not get an answer (DNS, refused, TLS, timeout). */
function networkReason(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  return excerpt(e.cause?.code ?? e.cause?.message ?? e.message ?? String(error), 120);
}

interface SendOptions {
  method: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** A token endpoint: a redirect fails the step. */
  token?: boolean;
  /** For messages: "the token exchange", "the manifest of X", ... */
  what: string;
}

/** One request, never following a redirect; an unreachable registry becomes RegistryUnreadable. */
async function send(url: string, http: RegistryHttp, options: SendOptions): Promise<Response> {
  const timeoutMs = http.timeoutMs ?? 15_000;
  let response: Response;
  try {
    response = await http.fetch(url, {
      method: options.method,
      redirect: 'manual',
      headers: options.headers ?? {},
      ...(options.body !== undefined ? { body: options.body } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new RegistryUnreadable(
      `could not reach ${new URL(url).host} for ${options.what} (${networkReason(error, timeoutMs)})`,
    );
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel().catch(() => undefined);
    const location = excerpt(response.headers.get('location') ?? 'nowhere', 120);
    if (options.token) {
      throw new ActionError(
        `Registry ${new URL(url).host} answered ${options.what} at ${url} with a redirect (HTTP ${response.status} to ${location}); the action never sends a token to another address: check the registry host in input 'image', or set check-image: false to skip the image check.`,
      );
    }
    throw new RegistryUnreadable(
      `${new URL(url).host} answered ${options.what} with a redirect (HTTP ${response.status} to ${location})`,
      response.status,
    );
  }
  return response;
}

async function tokenFrom(response: Response, field: 'refresh_token' | 'access_token' | 'token'): Promise<string> {
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  const value = body[field] ?? (field === 'token' ? body.access_token : undefined);
  return typeof value === 'string' ? value : '';
}

async function refusal(response: Response, who: string): Promise<RegistryUnreadable> {
  const said = errorMessageOf(await response.text().catch(() => ''));
  return new RegistryUnreadable(`${who} (HTTP ${response.status}${said ? `: ${said}` : ''})`, response.status);
}

/** Exchanges an Entra access token for an ACR refresh token (what `az acr login` does). */
export async function acrRefreshToken(
  server: string,
  entraToken: string,
  tenant: string | undefined,
  http: RegistryHttp,
): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'access_token', service: server, access_token: entraToken });
  if (tenant) form.set('tenant', tenant);
  const response = await send(`https://${server}/oauth2/exchange`, http, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    token: true,
    what: 'the token exchange',
  });
  if (!response.ok) throw await refusal(response, `${server} refused to exchange this workflow's Azure token`);
  const token = await tokenFrom(response, 'refresh_token');
  if (!token) throw new RegistryUnreadable(`${server} answered the token exchange without a refresh token`);
  return token;
}

/** An ACR access token for `scope` (e.g. `repository:NAME:pull`) from a refresh token. */
export async function acrAccessToken(
  server: string,
  refreshToken: string,
  scope: string,
  http: RegistryHttp,
): Promise<string> {
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    service: server,
    scope,
    refresh_token: refreshToken,
  });
  const response = await send(`https://${server}/oauth2/token`, http, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    token: true,
    what: 'the token request',
  });
  if (!response.ok) throw await refusal(response, `${server} refused a '${scope}' token to this workflow's identity`);
  const token = await tokenFrom(response, 'access_token');
  if (!token) throw new RegistryUnreadable(`${server} answered the token request without an access token`);
  return token;
}

/** `GET /v2/` without credentials: 200 (anonymous reads), or 401 with the challenge that says how to get a token. */
export async function probe(server: string, http: RegistryHttp): Promise<{ status: number; challenge?: Challenge }> {
  const response = await send(`https://${server}/v2/`, http, { method: 'GET', what: 'GET /v2/' });
  await response.body?.cancel().catch(() => undefined);
  const challenge = parseChallenge(response.headers.get('www-authenticate'));
  return { status: response.status, ...(challenge ? { challenge } : {}) };
}

/** A bearer token from a challenge's realm (the distribution token protocol), anonymous or with Basic credentials. */
export async function bearerToken(
  challenge: Challenge,
  scope: string,
  basic: { username: string; password: string } | undefined,
  http: RegistryHttp,
): Promise<string> {
  let realm: URL;
  try {
    realm = new URL(challenge.params.realm ?? '');
  } catch {
    throw new RegistryUnreadable(`the registry's challenge names no usable token realm`);
  }
  if (realm.protocol !== 'https:') {
    throw new RegistryUnreadable(`the registry's token realm ${excerpt(realm.origin, 80)} is not HTTPS`);
  }
  if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
  realm.searchParams.set('scope', scope);
  const headers: Record<string, string> = {};
  if (basic) {
    headers.authorization = `Basic ${Buffer.from(`${basic.username}:${basic.password}`, 'utf8').toString('base64')}`;
  }
  const response = await send(realm.toString(), http, {
    method: 'GET',
    headers,
    token: true,
    what: 'the token request',
  });
  if (!response.ok) {
    throw await refusal(
      response,
      `${realm.host} refused a '${scope}' token ${basic ? `to registry-username '${basic.username}'` : 'to anonymous readers'}`,
    );
  }
  const token = await tokenFrom(response, 'token');
  if (!token) throw new RegistryUnreadable(`${realm.host} answered the token request without a token`);
  return token;
}

function authHeaders(authorization: string | undefined, accept?: string): Record<string, string> {
  return { ...(authorization ? { authorization } : {}), ...(accept ? { accept } : {}) };
}

/** `HEAD /v2/NAME/manifests/REF`: 200 with the digest when it exists, 404 when not, 401/403 when not allowed. */
export async function headManifest(
  server: string,
  repository: string,
  reference: string,
  authorization: string | undefined,
  http: RegistryHttp,
): Promise<{ status: number; digest?: string }> {
  const response = await send(`https://${server}/v2/${repository}/manifests/${reference}`, http, {
    method: 'HEAD',
    headers: authHeaders(authorization, MANIFEST_ACCEPT),
    what: `the manifest of ${repository}:${reference}`,
  });
  await response.body?.cancel().catch(() => undefined);
  const digest = response.headers.get('docker-content-digest') ?? '';
  return { status: response.status, ...(/^sha256:[0-9a-f]{64}$/.test(digest) ? { digest } : {}) };
}

/** A tag as registries may name them; anything else a registry returns is dropped. */
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface TagList {
  status: number;
  /** Newest first for ACR; for other registries the last ones in the registry's order. */
  tags?: string[];
  /** How many tags the registry listed (other registries; when known). */
  total?: number;
  /** ACR's `_tags?orderby=timedesc`: the newest first. */
  newestFirst?: boolean;
}

/** ACR: the `n` newest tags of a repository (`GET /acr/v1/NAME/_tags?orderby=timedesc&n=N`). */
export async function acrTags(
  server: string,
  repository: string,
  authorization: string,
  http: RegistryHttp,
  n = 5,
): Promise<TagList> {
  const url = `https://${server}/acr/v1/${repository}/_tags?orderby=timedesc&n=${n}`;
  const response = await send(url, http, {
    method: 'GET',
    headers: authHeaders(authorization, 'application/json'),
    what: `the tags of ${repository}`,
  });
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    return { status: response.status };
  }
  const body = (await response.json().catch(() => ({}))) as { tags?: { name?: unknown }[] };
  const tags = (Array.isArray(body.tags) ? body.tags : [])
    .map((t) => t?.name)
    .filter((t): t is string => typeof t === 'string' && TAG_RE.test(t));
  return { status: response.status, tags: tags.slice(0, n), newestFirst: true };
}

/** The next page of a `Link: </v2/...?last=x&n=y>; rel="next"` header, on the same server only. */
export function nextPage(link: string | null, server: string): string | undefined {
  if (!link) return undefined;
  const text = link.slice(0, 2048);
  const open = text.indexOf('<');
  const close = text.indexOf('>', open + 1);
  if (open < 0 || close < 0 || !/rel="?next"?/.test(text.slice(close))) return undefined;
  const target = text.slice(open + 1, close);
  try {
    const url = new URL(target, `https://${server}`);
    return url.host === server && url.protocol === 'https:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** `GET /v2/NAME/tags/list`, following Link paging (at most `maxPages`); keeps the last `n` tags. */
export async function listTags(
  server: string,
  repository: string,
  authorization: string | undefined,
  http: RegistryHttp,
  n = 5,
  maxPages = 10,
): Promise<TagList> {
  let url: string | undefined = `https://${server}/v2/${repository}/tags/list`;
  let last: string[] = [];
  let total = 0;
  let status = 0;
  for (let page = 0; url && page < maxPages; page++) {
    const response: Response = await send(url, http, {
      method: 'GET',
      headers: authHeaders(authorization, 'application/json'),
      what: `the tags of ${repository}`,
    });
    status = response.status;
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return { status };
    }
    const body = (await response.json().catch(() => ({}))) as { tags?: unknown };
    const tags = (Array.isArray(body.tags) ? body.tags : []).filter(
      (t): t is string => typeof t === 'string' && TAG_RE.test(t),
    );
    total += tags.length;
    last = [...last, ...tags].slice(-n);
    url = nextPage(response.headers.get('link'), server);
  }
  return { status, tags: last, total };
}
