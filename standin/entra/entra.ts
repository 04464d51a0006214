/**
 * Stand-in for Microsoft Entra ID (the v2 endpoint of one tenant), enough for MSAL / @azure/identity's
 * ClientAssertionCredential with a GitHub OIDC token as the client assertion (workload identity federation):
 *
 * - `GET /{tenant}/v2.0/.well-known/openid-configuration` (what msal-node asks for), the v1-style
 *   `GET /{tenant}/.well-known/openid-configuration`, the key sets `/{tenant}/discovery/v2.0/keys`,
 *   `/{tenant}/discovery/keys`, `/common/discovery/keys`, and instance discovery `/common/discovery/instance`.
 * - `POST /{tenant}/oauth2/v2.0/token` (`scope`) and the v1 `POST /{tenant}/oauth2/token` (`resource`) for
 *   `grant_type=client_credentials` with `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
 *   The assertion is checked against the app's federated identity credentials (issuer, subject, audience), its
 *   signature against the trusted issuer's JWKS, and its exp/nbf with a 5-minute clock skew (the default
 *   TokenValidationParameters.DefaultClockSkew of Microsoft.IdentityModel, which Entra uses).
 * - Access tokens are RS256 JWTs in Entra's v1 app-token shape (ARM asks for v1 tokens): iss
 *   `https://sts.windows.net/{tid}/`, aud = the scope's resource, appid, appidacr, idtyp, oid, sub, tid, ver.
 *
 * Errors are answered in Entra's shape: `{ error, error_description, error_codes, timestamp, trace_id,
 * correlation_id, error_uri }` where error_description is `AADSTSnnnn: <text> Trace ID: … Correlation ID: …
 * Timestamp: …`. Since late 2023 Entra separates those trailer fields with spaces (bodies from 2023-12 onward in
 * AzureAD/microsoft-authentication-library-for-dotnet tests, Azure/login#482 (2024), hashicorp quickstart test logs
 * (2026-01)); before that with "\r\n" (Azure/azure-workload-identity#616, 2022). `descriptionStyle: 'crlf'` gives
 * the older form. Each message text below cites where it was seen.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createSigningKey,
  decodeJwt,
  signJwt,
  verifyJwtSignature,
  type JwksSource,
  type JsonWebKey,
  type SigningKey,
} from '../common/jwt.ts';
import { text } from '../common/text.ts';

export interface FederatedCredential {
  issuer: string;
  subject: string;
  audiences: string[];
  name?: string;
}

export interface EntraApp {
  clientId: string;
  /** Object id of the service principal (the `oid` of its tokens, what role assignments name). */
  objectId?: string;
  displayName?: string;
  federatedCredentials: FederatedCredential[];
}

export interface TrustedIssuer {
  issuer: string;
  jwks: () => JwksSource;
}

export interface EntraIdOptions {
  /** Authority host as clients see it, e.g. https://localhost:8443 (what `authorityHost` is set to). */
  baseUrl: string;
  tenantId: string;
  /** Shown where Entra names the directory (AADSTS700016, AADSTS500011); default the tenant id. */
  tenantName?: string;
  clock?: () => number;
  /** Access token lifetime in seconds (Entra: 3599 for client credentials; default 3599). */
  tokenLifetimeSec?: number;
  trustedIssuers?: TrustedIssuer[];
  /** Resources (application ID URIs) whose service principals exist in the tenant. */
  resources?: string[];
  /** Allowed clock skew in seconds for assertion exp/nbf (default 300). */
  clockSkewSec?: number;
  /** How the Trace ID / Correlation ID / Timestamp trailer of error_description is separated (default 'current'). */
  descriptionStyle?: 'current' | 'crlf';
}

export type AccessTokenCheck =
  | {
      ok: true;
      claims: { oid: string; appid: string; tid: string; aud: string; exp: number } & Record<string, unknown>;
    }
  | { ok: false; reason: 'expired' | 'invalid'; expiredAt?: number };

export interface TokenRequestRecord {
  at: number;
  tenant: string;
  clientId?: string;
  scope?: string;
  assertion?: { iss?: unknown; sub?: unknown; aud?: unknown; exp?: unknown };
  /** 'issued' or the AADSTS code of the rejection. */
  outcome: 'issued' | number;
}

/** The resources of the public cloud and the sovereign clouds that ARM / Graph / Key Vault / Storage / Log Analytics answer as. */
export const DEFAULT_RESOURCES = [
  'https://management.azure.com',
  'https://management.core.windows.net',
  'https://management.chinacloudapi.cn',
  'https://management.core.chinacloudapi.cn',
  'https://management.usgovcloudapi.net',
  'https://management.core.usgovcloudapi.net',
  'https://graph.microsoft.com',
  'https://vault.azure.net',
  'https://storage.azure.com',
  'https://api.loganalytics.io',
  'https://api.loganalytics.azure.cn',
  'https://api.loganalytics.us',
];

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const WIF_DOC = 'https://learn.microsoft.com/entra/workload-id/workload-identity-federation';

class EntraError extends Error {
  readonly status: number;
  readonly error: string;
  readonly code: number;
  readonly text: string;
  constructor(status: number, error: string, code: number, text: string) {
    super(`AADSTS${code}: ${text}`);
    this.status = status;
    this.error = error;
    this.code = code;
    this.text = text;
  }
}

/** AADSTS900144, invalid_request, 400: "The request body must contain the following parameter: 'scope'." */
function missingParameter(name: string): EntraError {
  // (seen live, Entra tenant logs quoted in several MCP server changelogs; 'client_id' form in MSAL-Go tests).
  return new EntraError(
    400,
    'invalid_request',
    900144,
    `The request body must contain the following parameter: '${name}'.`,
  );
}

/** The resource a token request asks for: v2 `scope` (one `<resource>/.default`) or v1 `resource`. */
function requestedResource(version: 1 | 2, form: URLSearchParams, record: TokenRequestRecord): string {
  if (version === 2) {
    const scope = form.get('scope');
    if (!scope) throw missingParameter('scope');
    record.scope = scope;
    const scopes = scope.split(/\s+/).filter((s) => s && !['openid', 'profile', 'offline_access'].includes(s));
    const first = scopes[0] ?? '';
    if (scopes.length !== 1 || !first.endsWith('/.default')) {
      // AADSTS1002012, invalid_scope, 400 (MSAL.NET test fixture GetMtlsInvalidScopeError1002012, 2023-12;
      // msticpy#923, 2026).
      throw new EntraError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scopes.join(' ') || scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    return first.slice(0, -'/.default'.length);
  } else {
    const r = form.get('resource');
    if (!r) throw missingParameter('resource');
    record.scope = r;
    return r;
  }
}

export class EntraId {
  readonly baseUrl: string;
  readonly tenantId: string;
  tenantName: string;
  tokenLifetimeSec: number;
  clockSkewSec: number;
  descriptionStyle: 'current' | 'crlf';
  /** Count of access tokens issued. */
  tokensIssued = 0;
  /** Every token request, oldest first. */
  readonly tokenRequests: TokenRequestRecord[] = [];
  /** Every access token issued, so tests can prove none shows up in what the action writes. */
  readonly issuedAccessTokens: string[] = [];
  readonly apps = new Map<string, Required<Pick<EntraApp, 'clientId' | 'objectId' | 'displayName'>> & EntraApp>();
  readonly trustedIssuers: TrustedIssuer[];
  readonly resources: Set<string>;

  private readonly clock: () => number;
  private readonly pathPrefix: string;
  private keys: SigningKey[];

  constructor(opts: EntraIdOptions) {
    const base = new URL(opts.baseUrl);
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.pathPrefix = base.pathname.replace(/\/+$/, '');
    this.tenantId = opts.tenantId;
    this.tenantName = opts.tenantName ?? opts.tenantId;
    this.clock = opts.clock ?? Date.now;
    this.tokenLifetimeSec = opts.tokenLifetimeSec ?? 3599;
    this.clockSkewSec = opts.clockSkewSec ?? 300;
    this.descriptionStyle = opts.descriptionStyle ?? 'current';
    this.trustedIssuers = [...(opts.trustedIssuers ?? [])];
    this.resources = new Set((opts.resources ?? DEFAULT_RESOURCES).map(normalizeResource));
    this.keys = [createSigningKey()];
  }

  /** Issuer of the access tokens (v1 tokens, as ARM receives them). */
  get accessTokenIssuer(): string {
    return `https://sts.windows.net/${this.tenantId}/`;
  }

  /** Issuer named by the v2 discovery document. */
  get issuer(): string {
    return `${this.baseUrl}/${this.tenantId}/v2.0`;
  }

  get tokenEndpoint(): string {
    return `${this.baseUrl}/${this.tenantId}/oauth2/v2.0/token`;
  }

  get jwks(): { keys: JsonWebKey[] } {
    return { keys: this.keys.map((k) => ({ ...k.publicJwk })) };
  }

  /** Registers (or replaces) an app registration / service principal by client id. */
  addApp(app: EntraApp): void {
    this.apps.set(app.clientId.toLowerCase(), {
      ...app,
      objectId: app.objectId ?? randomUUID(),
      displayName: app.displayName ?? `app-${app.clientId.slice(0, 8)}`,
      federatedCredentials: app.federatedCredentials.map((f) => ({ ...f, audiences: [...f.audiences] })),
    });
  }

  removeApp(clientId: string): void {
    this.apps.delete(clientId.toLowerCase());
  }

  trustIssuer(issuer: TrustedIssuer): void {
    this.trustedIssuers.push(issuer);
  }

  /** Signs a new access token directly (not counted), e.g. for ARM tests that need a token without the dance. */
  issueAccessToken(opts: { clientId: string; resource?: string; lifetimeSec?: number }): string {
    const app = this.apps.get(opts.clientId.toLowerCase());
    if (!app) throw new Error(`no app ${opts.clientId}`);
    return this.signAccessToken(app, opts.resource ?? 'https://management.azure.com', opts.lifetimeSec);
  }

  verifyAccessToken(token: string, opts: { skewSec?: number } = {}): AccessTokenCheck {
    const decoded = decodeJwt(token);
    if (!decoded) return { ok: false, reason: 'invalid' };
    if (!verifyJwtSignature(decoded, this.jwks).ok) return { ok: false, reason: 'invalid' };
    const c = decoded.payload;
    if (c.iss !== this.accessTokenIssuer || c.tid !== this.tenantId) return { ok: false, reason: 'invalid' };
    if (typeof c.exp !== 'number' || typeof c.oid !== 'string' || typeof c.appid !== 'string') {
      return { ok: false, reason: 'invalid' };
    }
    if (typeof c.aud !== 'string') return { ok: false, reason: 'invalid' };
    const now = this.clock() / 1000;
    const skew = opts.skewSec ?? 0;
    if (typeof c.nbf === 'number' && now + skew < c.nbf) return { ok: false, reason: 'invalid' };
    if (now >= c.exp + skew) return { ok: false, reason: 'expired', expiredAt: c.exp };
    return {
      ok: true,
      claims: { ...c, oid: c.oid, appid: c.appid, tid: c.tid, aud: c.aud, exp: c.exp },
    };
  }

  /** True when a request path belongs to this service (for composition). */
  owns(pathname: string): boolean {
    if (!pathname.startsWith(`${this.pathPrefix}/`)) return false;
    const rest = pathname.slice(this.pathPrefix.length);
    return /^\/[^/]+\/(v2\.0\/\.well-known\/openid-configuration|\.well-known\/openid-configuration|discovery\/(v2\.0\/)?keys|discovery\/instance|oauth2\/(v2\.0\/)?token)\/?$/.test(
      rest,
    );
  }

  handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', 'https://standin.invalid');
    // Entra echoes the client's request id as the correlation id; msal-node sends it as a query parameter.
    const correlationId =
      headerValue(req, 'client-request-id') ?? url.searchParams.get('client-request-id') ?? randomUUID();
    const path = url.pathname.startsWith(this.pathPrefix) ? url.pathname.slice(this.pathPrefix.length) : url.pathname;
    const m = /^\/([^/]+)\/(.*?)\/?$/.exec(path);
    try {
      if (!m) throw new EntraError(404, 'not_found', 0, 'not found');
      const [, tenant, rest] = m as unknown as [string, string, string];
      if (req.method === 'GET') {
        if (rest === 'discovery/instance' && tenant === 'common')
          return this.json(res, 200, this.instanceDiscovery(url));
        if (rest === 'discovery/keys' && tenant === 'common') return this.json(res, 200, this.jwks);
        if (
          rest === 'v2.0/.well-known/openid-configuration' ||
          rest === '.well-known/openid-configuration' ||
          rest === 'discovery/v2.0/keys' ||
          rest === 'discovery/keys'
        ) {
          this.checkTenant(tenant);
          if (rest === 'v2.0/.well-known/openid-configuration') return this.json(res, 200, this.discoveryV2());
          if (rest === '.well-known/openid-configuration') return this.json(res, 200, this.discoveryV1());
          return this.json(res, 200, this.jwks);
        }
      }
      if (rest === 'oauth2/v2.0/token' || rest === 'oauth2/token') {
        if (req.method !== 'POST') {
          // AADSTS900561 as Entra answers a GET on the token endpoint.
          throw new EntraError(
            400,
            'invalid_request',
            900561,
            'The endpoint only accepts POST requests. Received a GET request.',
          );
        }
        return this.json(res, 200, this.token(tenant, rest === 'oauth2/token' ? 1 : 2, body));
      }
      throw new EntraError(404, 'not_found', 0, 'not found');
    } catch (e) {
      if (!(e instanceof EntraError)) throw e;
      if (e.code === 0)
        return this.json(res, 404, { error: 'not_found', error_description: `${url.pathname} not found` });
      return this.json(res, e.status, this.errorBody(e, correlationId), correlationId);
    }
  }

  discoveryV2(): Record<string, unknown> {
    const t = `${this.baseUrl}/${this.tenantId}`;
    // Shape of https://login.microsoftonline.com/{tid}/v2.0/.well-known/openid-configuration (as logged by MSAL in
    // Azure/azure-workload-identity#682).
    return {
      token_endpoint: `${t}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${t}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${t}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
      authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${t}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${t}/oauth2/v2.0/logout`,
      claims_supported: [
        'sub',
        'iss',
        'cloud_instance_name',
        'cloud_instance_host_name',
        'cloud_graph_host_name',
        'msgraph_host',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'acr',
        'nonce',
        'preferred_username',
        'name',
        'tid',
        'ver',
        'at_hash',
        'c_hash',
        'email',
      ],
      kerberos_endpoint: `${t}/kerberos`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    };
  }

  discoveryV1(): Record<string, unknown> {
    const t = `${this.baseUrl}/${this.tenantId}`;
    return {
      token_endpoint: `${t}/oauth2/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${this.baseUrl}/common/discovery/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
      scopes_supported: ['openid'],
      issuer: this.accessTokenIssuer,
      microsoft_multi_refresh_token: true,
      authorization_endpoint: `${t}/oauth2/authorize`,
      device_authorization_endpoint: `${t}/oauth2/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${t}/oauth2/logout`,
      claims_supported: [
        'sub',
        'iss',
        'cloud_instance_name',
        'cloud_instance_host_name',
        'cloud_graph_host_name',
        'msgraph_host',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'acr',
        'amr',
        'nonce',
        'email',
        'given_name',
        'family_name',
        'nickname',
      ],
      check_session_iframe: `${t}/oauth2/checksession`,
      userinfo_endpoint: `${t}/openid/userinfo`,
      kerberos_endpoint: `${t}/kerberos`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    };
  }

  private instanceDiscovery(url: URL): Record<string, unknown> {
    const host = new URL(this.baseUrl).host;
    const authz = url.searchParams.get('authorization_endpoint') ?? `${this.baseUrl}/common/oauth2/v2.0/authorize`;
    const tenant = /\/\/[^/]+(?:\/[^/]+)*?\/([^/]+)\/oauth2\//.exec(authz)?.[1] ?? 'common';
    return {
      tenant_discovery_endpoint: `${this.baseUrl}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    };
  }

  private checkTenant(tenant: string): void {
    if (tenant.toLowerCase() === this.tenantId.toLowerCase()) return;
    // AADSTS90002, invalid_tenant, 400: seen on the discovery endpoint in Azure/azure-cli#22145 (2022) and
    // Azure Key Vault provider logs (2024-07, space-separated trailer).
    throw new EntraError(
      400,
      'invalid_tenant',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    );
  }

  private token(tenant: string, version: 1 | 2, body: Buffer): Record<string, unknown> {
    const record: TokenRequestRecord = { at: this.clock(), tenant, outcome: 'issued' };
    this.tokenRequests.push(record);
    try {
      const result = this.tokenInner(tenant, version, new URLSearchParams(body.toString('utf8')), record);
      this.tokensIssued += 1;
      return result;
    } catch (e) {
      if (e instanceof EntraError) record.outcome = e.code;
      throw e;
    }
  }

  private tokenInner(
    tenant: string,
    version: 1 | 2,
    form: URLSearchParams,
    record: TokenRequestRecord,
  ): Record<string, unknown> {
    this.checkTenant(tenant);
    const grantType = form.get('grant_type');
    if (!grantType) throw missingParameter('grant_type');
    if (grantType !== 'client_credentials') {
      // AADSTS70003, unsupported_grant_type (reference-aadsts-error-codes: "UnsupportedGrantType - The app returned an
      // unsupported grant type."). Exact live wording not found; this wording is assembled.
      throw new EntraError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grantType}'.`,
      );
    }
    const clientId = form.get('client_id');
    if (!clientId) throw missingParameter('client_id');
    record.clientId = clientId;

    const resource = requestedResource(version, form, record);

    const app = this.apps.get(clientId.toLowerCase());
    if (!app) {
      // AADSTS700016, unauthorized_client, 400 (terraform log 2026-05 in a public repo; Azure Secrets Store CSI
      // troubleshooting docs; Vipps FAQ).
      throw new EntraError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${this.tenantName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }

    this.checkAssertion(app, form, record);

    if (!this.resources.has(normalizeResource(resource))) {
      // AADSTS500011, invalid_resource, 400 (elastic/integrations issue quoting a 2023-05 response).
      throw new EntraError(
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${this.tenantName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      );
    }

    const now = this.clock() / 1000;
    const token = this.signAccessToken(app, resource);
    this.issuedAccessTokens.push(token);
    const lifetime = this.tokenLifetimeSec;
    if (version === 1) {
      const nowSec = Math.floor(now);
      return {
        token_type: 'Bearer',
        expires_in: String(lifetime),
        ext_expires_in: String(lifetime),
        expires_on: String(nowSec + lifetime),
        not_before: String(nowSec - 300),
        resource,
        access_token: token,
      };
    }
    return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token };
  }

  /** The client assertion: a JWT from a trusted issuer matching one of the app's federated credentials, in time. */
  private checkAssertion(app: EntraApp, form: URLSearchParams, record: TokenRequestRecord): void {
    const assertion = form.get('client_assertion');
    if (!assertion || form.get('client_assertion_type') !== JWT_BEARER) {
      // AADSTS7000218, invalid_client, 401 (Azure-Samples/active-directory-dotnetcore-console-up-v2#10).
      throw new EntraError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    const decoded = decodeJwt(assertion);
    if (!decoded) {
      // AADSTS50027 "JWT token is invalid or malformed." (reference-aadsts-error-codes: InvalidJwtToken).
      throw new EntraError(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.');
    }
    const { iss, sub, aud, exp, nbf } = decoded.payload;
    record.assertion = { iss, sub, aud, exp };
    const auds = Array.isArray(aud) ? aud.map(String) : aud === undefined ? [] : [text(aud)];
    const audText = auds.join(',');

    const byIssuer = app.federatedCredentials.filter((f) => f.issuer === iss);
    if (byIssuer.length === 0) {
      // AADSTS70021, invalid_request, 400, naming the presented issuer/subject/audience
      // (Azure/azure-workload-identity#616 and #340, Azure DevOps workload identity troubleshooting docs).
      throw new EntraError(
        400,
        'invalid_request',
        70021,
        `No matching federated identity record found for presented assertion. Assertion Issuer: '${String(iss)}'. Assertion Subject: '${String(sub)}'. Assertion Audience: '${audText}'. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation`,
      );
    }
    const bySubject = byIssuer.filter((f) => f.subject === sub);
    if (bySubject.length === 0) {
      if (typeof sub === 'string' && byIssuer.some((f) => f.subject.toLowerCase() === sub.toLowerCase())) {
        // AADSTS7002138, invalid_client, 401 (case-sensitive matching since 2024-08: Azure/login#515, #517).
        throw new EntraError(
          401,
          'invalid_client',
          7002138,
          `No matching federated identity record found for presented assertion subject '${sub}'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. See documentation at: ${WIF_DOC}. See breaking change notification and remediation at: https://learn.microsoft.com/en-us/entra/identity-platform/reference-breaking-changes#august-2024.`,
        );
      }
      // AADSTS700213, invalid_client, 401 (hashicorp azure quickstart test logs 2026-01/02, dotnet/maui#31978,
      // Azure/login#482).
      throw new EntraError(
        401,
        'invalid_client',
        700213,
        `No matching federated identity record found for presented assertion subject '${String(sub)}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${WIF_DOC}`,
      );
    }
    if (!bySubject.some((f) => f.audiences.some((a) => auds.includes(a)))) {
      // AADSTS700212, invalid_client, 401 (test fixture quoting a 2024-04 response, AzureAccessTokenProviderTest).
      throw new EntraError(
        401,
        'invalid_client',
        700212,
        `No matching federated identity record found for presented assertion audience '${audText}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation`,
      );
    }

    const trusted = this.trustedIssuers.find((t) => t.issuer === iss);
    if (!trusted) {
      // Entra cannot fetch the issuer's OIDC metadata: "AADSTS501661: Request to External OIDC endpoint failed."
      // (GitLab docs, "Connect to cloud services" / Azure troubleshooting). The error/status pair is assumed.
      throw new EntraError(400, 'invalid_request', 501661, 'Request to External OIDC endpoint failed.');
    }
    const sig = verifyJwtSignature(decoded, trusted.jwks());
    if (!sig.ok) {
      if (sig.reason === 'unknown-kid') {
        // AADSTS7000272, invalid_client, 401 (Azure/azure-workload-identity#1232, 2024-01).
        throw new EntraError(
          401,
          'invalid_client',
          7000272,
          `The certificate with identifier ${text(decoded.header.kid ?? decoded.header.x5t ?? '')} used to sign the federated credential could not be found in the metadata of identity provider ${String(iss)}. Please validate that your Identity Provider's metadata exposes the key used to sign the incoming token.`,
        );
      }
      // AADSTS700027, invalid_client, 401: title of AzureAD/passport-azure-ad#453 plus the reason text of
      // AADSTS900384 (MicrosoftDocs/azure-docs#35448). Assembled; the live federated wording was not found.
      throw new EntraError(
        401,
        'invalid_client',
        700027,
        'Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.]',
      );
    }

    const now = this.clock() / 1000;
    const skew = this.clockSkewSec;
    const expOk = typeof exp === 'number' && now <= exp + skew;
    const nbfOk = typeof nbf !== 'number' || now + skew >= nbf;
    if (!expOk || !nbfOk) {
      // AADSTS700024, invalid_client, 401 (risingwavelabs/risingwave#17123 2024-06; microsoft-authentication-
      // library-for-java#984 2025-08, with the learn.microsoft.com link). Times with 7 fractional digits; a missing
      // nbf shows as 1970-01-01.
      throw new EntraError(
        401,
        'invalid_client',
        700024,
        `Client assertion is not within its valid time range. Current time: ${dotnetTime(now * 1000)}, assertion valid from ${dotnetTime(typeof nbf === 'number' ? nbf * 1000 : 0)}, expiry time of assertion ${dotnetTime(typeof exp === 'number' ? exp * 1000 : 0)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
      );
    }
  }

  private signAccessToken(app: { clientId: string; objectId: string }, resource: string, lifetimeSec?: number): string {
    const now = Math.floor(this.clock() / 1000);
    const lifetime = lifetimeSec ?? this.tokenLifetimeSec;
    return signJwt(
      {
        // The resource as asked for: scope https://management.azure.com/.default → aud https://management.azure.com.
        aud: resource,
        iss: this.accessTokenIssuer,
        // Entra backdates iat/nbf by five minutes.
        iat: now - 300,
        nbf: now - 300,
        exp: now + lifetime,
        aio: randomBytes(48).toString('base64'),
        appid: app.clientId,
        appidacr: '2',
        idp: this.accessTokenIssuer,
        idtyp: 'app',
        oid: app.objectId,
        rh: `1.${randomBytes(40).toString('base64url')}.`,
        sub: app.objectId,
        tid: this.tenantId,
        uti: randomBytes(16).toString('base64url'),
        ver: '1.0',
        xms_idrel: '7 24',
      },
      this.keys[0]!,
    );
  }

  private errorBody(e: EntraError, correlationId: string): Record<string, unknown> {
    const traceId = randomUUID();
    const timestamp = entraTimestamp(this.clock());
    const sep = this.descriptionStyle === 'crlf' ? '\r\n' : ' ';
    return {
      error: e.error,
      error_description: `AADSTS${e.code}: ${e.text}${sep}Trace ID: ${traceId}${sep}Correlation ID: ${correlationId}${sep}Timestamp: ${timestamp}`,
      error_codes: [e.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${e.code}`,
    };
  }

  private json(res: ServerResponse, status: number, body: unknown, correlationId?: string): void {
    const text = JSON.stringify(body);
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store, no-cache',
      Pragma: 'no-cache',
      'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
      'X-Content-Type-Options': 'nosniff',
      'x-ms-request-id': randomUUID(),
      'x-ms-ests-server': '2.1.99999.0 - standin',
    };
    if (correlationId) headers['client-request-id'] = correlationId;
    res.writeHead(status, headers);
    res.end(text);
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function normalizeResource(r: string): string {
  return r.replace(/\/+$/, '').toLowerCase();
}

/** "2024-06-04 11:40:28Z", as in Entra's `timestamp`. */
function entraTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** "2024-06-04T11:40:28.3451933Z" (.NET round-trip format, 7 fractional digits). */
function dotnetTime(ms: number): string {
  const d = new Date(Math.floor(ms));
  const frac = String(Math.round((ms - Math.floor(ms / 1000) * 1000) * 10_000)).padStart(7, '0');
  return `${d.toISOString().slice(0, 19)}.${frac}Z`;
}
