/**
 * Stand-in for GitHub Actions' OIDC token service, as `core.getIDToken()` uses it:
 *
 * - `GET {requestUrl}&audience=<aud>` with `Authorization: Bearer {requestToken}` answers `{"value":"<jwt>"}`;
 *   the request URL has the shape the runner hands out in ACTIONS_ID_TOKEN_REQUEST_URL
 *   (`.../_apis/distributedtask/hubs/Actions/plans/<guid>/jobs/<guid>/idtoken?api-version=2.0`).
 *   Without the right bearer token the answer is 401.
 * - `GET {issuer}/.well-known/openid-configuration` and `GET {issuer}/.well-known/jwks`, as
 *   https://token.actions.githubusercontent.com serves them.
 *
 * Tokens are RS256 JWTs with the claims GitHub documents (docs.github.com "OpenID Connect reference";
 * sample output of github/actions-oidc-debugger): `aud` defaults to the owner's URL (`https://github.com/<owner>`)
 * when no audience is asked for; `nbf` is 5 minutes before `iat` as in real tokens.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSigningKey, decodeJwt, signJwt, type JsonWebKey, type SigningKey } from '../common/jwt.ts';

export interface GitHubOidcOptions {
  /** Where this service is reachable, e.g. https://localhost:8443 or https://localhost:8443/github (no trailing slash needed). */
  baseUrl: string;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  /** Lifetime of issued ID tokens in seconds (default 300). */
  tokenLifetimeSec?: number;
  /** Initial claims merged over the defaults. */
  claims?: Record<string, unknown>;
}

export interface IssuedIdToken {
  jti: string;
  aud: string;
  sub: string;
  iat: number;
  exp: number;
  /** The token itself, so tests can prove it never shows up in what the action writes. */
  token: string;
}

const DEFAULT_LIFETIME_SEC = 300;

export class GitHubOidc {
  readonly baseUrl: string;
  readonly issuer: string;
  readonly requestUrl: string;
  readonly requestToken: string;
  /** Count of ID tokens issued through the token endpoint. */
  issued = 0;
  /** What was issued through the endpoint, oldest first. */
  readonly issuedTokens: IssuedIdToken[] = [];
  /** Editable default claims (everything except iss/aud/iat/nbf/exp/jti). */
  claims: Record<string, unknown>;
  tokenLifetimeSec: number;
  /** When set, the token endpoint answers with this status (and a GitHub-like message) instead of a token. */
  failWith: { status: number; message?: string } | undefined;

  private readonly clock: () => number;
  private readonly pathPrefix: string;
  private readonly tokenPath: string;
  private keys: SigningKey[];

  constructor(opts: GitHubOidcOptions) {
    const base = new URL(opts.baseUrl);
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.pathPrefix = base.pathname.replace(/\/+$/, '');
    this.issuer = this.baseUrl;
    this.clock = opts.clock ?? Date.now;
    this.tokenLifetimeSec = opts.tokenLifetimeSec ?? DEFAULT_LIFETIME_SEC;
    this.keys = [createSigningKey()];
    this.tokenPath = `${this.pathPrefix}/_apis/distributedtask/hubs/Actions/plans/${randomUUID()}/jobs/${randomUUID()}/idtoken`;
    this.requestUrl = `${base.origin}${this.tokenPath}?api-version=2.0`;
    // The real one is a JWT issued to the job; an opaque random string serves the same purpose here.
    this.requestToken = randomBytes(32).toString('base64url');
    const owner = 'octo-org';
    const repo = 'octo-repo';
    this.claims = {
      sub: `repo:${owner}/${repo}:ref:refs/heads/main`,
      ref: 'refs/heads/main',
      sha: 'd6cd1e2bd19e03a81132a23b2025920577f84e37',
      repository: `${owner}/${repo}`,
      repository_owner: owner,
      repository_owner_id: '65',
      repository_id: '74',
      repository_visibility: 'private',
      run_id: '5912347896',
      run_number: '42',
      run_attempt: '1',
      runner_environment: 'github-hosted',
      actor: 'octocat',
      actor_id: '583231',
      workflow: 'deploy',
      workflow_ref: `${owner}/${repo}/.github/workflows/deploy.yml@refs/heads/main`,
      workflow_sha: 'd6cd1e2bd19e03a81132a23b2025920577f84e37',
      head_ref: '',
      base_ref: '',
      event_name: 'push',
      ref_type: 'branch',
      ref_protected: 'false',
      job_workflow_ref: `${owner}/${repo}/.github/workflows/deploy.yml@refs/heads/main`,
      job_workflow_sha: 'd6cd1e2bd19e03a81132a23b2025920577f84e37',
      ...opts.claims,
    };
  }

  /** The JWKS as served at /.well-known/jwks (all keys, including rotated-out ones still published). */
  get jwks(): { keys: JsonWebKey[] } {
    return { keys: this.keys.map((k) => ({ ...k.publicJwk })) };
  }

  /** Start signing with a new key; the old one stays in the JWKS unless `dropOld`. */
  rotateKey(dropOld = false): void {
    const key = createSigningKey();
    this.keys = dropOld ? [key] : [key, ...this.keys];
  }

  /** Sets the subject for an environment-scoped job (`repo:o/r:environment:name`), as GitHub does. */
  useEnvironment(name: string | undefined): void {
    const repo = String(this.claims.repository);
    if (name === undefined) {
      delete this.claims.environment;
      this.claims.sub = `repo:${repo}:ref:${String(this.claims.ref)}`;
    } else {
      this.claims.environment = name;
      this.claims.sub = `repo:${repo}:environment:${name}`;
    }
  }

  /**
   * Mints an ID token without going through the endpoint (not counted in `issued`). `overrides` replace any
   * claim, including iss/aud/iat/nbf/exp; a claim set to undefined is left out.
   */
  mint(overrides: Record<string, unknown> = {}, opts: { key?: 'current' | 'foreign' } = {}): string {
    const now = Math.floor(this.clock() / 1000);
    const payload: Record<string, unknown> = {
      jti: randomUUID(),
      aud: `https://github.com/${String(this.claims.repository_owner)}`,
      ...this.claims,
      iss: this.issuer,
      nbf: now - 300,
      exp: now + this.tokenLifetimeSec,
      iat: now,
      ...overrides,
    };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    // A key the JWKS does not hold, for signature-failure tests.
    const key = opts.key === 'foreign' ? createSigningKey(this.keys[0]!.kid) : this.keys[0]!;
    return signJwt(payload, key);
  }

  /** True when a request path belongs to this service (for composition). */
  owns(pathname: string): boolean {
    return (
      pathname === this.tokenPath ||
      pathname === `${this.pathPrefix}/.well-known/openid-configuration` ||
      pathname === `${this.pathPrefix}/.well-known/jwks`
    );
  }

  handle(req: IncomingMessage, res: ServerResponse, _body: Buffer): void {
    const url = new URL(req.url ?? '/', 'https://standin.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === `${this.pathPrefix}/.well-known/openid-configuration` && req.method === 'GET') {
      return json(res, 200, this.discovery());
    }
    if (path === `${this.pathPrefix}/.well-known/jwks` && req.method === 'GET') {
      return json(res, 200, this.jwks);
    }
    if (path === this.tokenPath) {
      if (req.method !== 'GET' && req.method !== 'POST') return json(res, 405, { message: 'Method not allowed' });
      const auth = req.headers.authorization ?? '';
      const m = /^bearer\s+(.+)$/i.exec(auth);
      if (!m || m[1] !== this.requestToken) {
        // @actions/http-client turns this into "Failed request: (401)" → core.getIDToken's
        // "Failed to get ID Token. Error Code : 401".
        res.setHeader('WWW-Authenticate', 'Bearer');
        return json(res, 401, { message: 'Unauthorized: missing or invalid ACTIONS_ID_TOKEN_REQUEST_TOKEN' });
      }
      if (this.failWith) {
        return json(res, this.failWith.status, { message: this.failWith.message ?? 'Internal error' });
      }
      const audience = url.searchParams.get('audience');
      const token = this.mint(audience ? { aud: audience } : {});
      const payload = decodeJwt(token)!.payload as unknown as IssuedIdToken;
      this.issued += 1;
      this.issuedTokens.push({
        jti: payload.jti,
        aud: payload.aud,
        sub: payload.sub,
        iat: payload.iat,
        exp: payload.exp,
        token,
      });
      return json(res, 200, { value: token });
    }
    return json(res, 404, { message: `Not found: ${url.pathname}` });
  }

  /** As https://token.actions.githubusercontent.com/.well-known/openid-configuration answers. */
  discovery(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: `${this.issuer}/.well-known/jwks`,
      subject_types_supported: ['public', 'pairwise'],
      response_types_supported: ['id_token'],
      claims_supported: [
        'sub',
        'aud',
        'exp',
        'iat',
        'iss',
        'jti',
        'nbf',
        'ref',
        'sha',
        'repository',
        'repository_id',
        'repository_owner',
        'repository_owner_id',
        'enterprise',
        'enterprise_id',
        'run_id',
        'run_number',
        'run_attempt',
        'actor',
        'actor_id',
        'workflow',
        'workflow_ref',
        'workflow_sha',
        'head_ref',
        'base_ref',
        'event_name',
        'ref_type',
        'ref_protected',
        'environment',
        'environment_node_id',
        'job_workflow_ref',
        'job_workflow_sha',
        'repository_visibility',
        'runner_environment',
        'issuer_scope',
      ],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
    };
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}
