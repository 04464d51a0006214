/**
 * Authentication: GitHub OIDC federated with Entra ID (a fresh GitHub ID token each time a new Azure token is
 * needed, so runs longer than an hour keep working), an earlier azure/login (Azure CLI), or the managed
 * identity of a self-hosted runner in Azure. Failures become one clear sentence with the fix.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { AzureCliCredential, ClientAssertionCredential, ManagedIdentityCredential } from '@azure/identity';
import type { AuthConfig } from '../inputs/config.js';
import { ActionError } from '../common/errors.js';
import { jwtClaims } from '../common/jwt.js';

export type ResolvedAuth = 'oidc' | 'azure-cli' | 'managed-identity';

export interface AuthDeps {
  /** core.getIDToken */
  getIDToken(audience: string): Promise<string>;
  env: Record<string, string | undefined>;
  debug?(message: string): void;
}

const PUBLIC_AUTHORITIES = new Set([
  'https://login.microsoftonline.com',
  'https://login.chinacloudapi.cn',
  'https://login.microsoftonline.us',
]);

/** Which kind of sign-in `auth-type: auto` means here. */
export function resolveAuthType(auth: AuthConfig, env: Record<string, string | undefined>): ResolvedAuth {
  if (auth.type !== 'auto') return auth.type;
  if (auth.clientId && auth.tenantId) return 'oidc';
  if (env.ACTIONS_ID_TOKEN_REQUEST_URL && (auth.clientId || auth.tenantId)) return 'oidc';
  return 'azure-cli';
}

export interface TokenClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
}

/** Reads the (unverified) claims of a JWT, for error messages. Never returns or prints the token itself. */
export function readClaims(jwt: string): TokenClaims {
  return jwtClaims(jwt);
}

/** A GitHub ID token is reused as the client assertion only while it stays valid for at least this long. */
const ASSERTION_REUSE_MARGIN_MS = 60_000;

const ID_TOKEN_PERMISSION_HINT =
  "add 'permissions: id-token: write' (with 'contents: read') to the workflow or the job that runs this step";

function describeOidcRequestError(error: unknown): ActionError {
  const text = error instanceof Error ? error.message : String(error);
  if (/ACTIONS_ID_TOKEN_REQUEST_(URL|TOKEN)/.test(text)) {
    return new ActionError(
      `GitHub did not give this job an OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is not set): ${ID_TOKEN_PERMISSION_HINT}; pull requests from forks never get one, so use auth-type: azure-cli after azure/login there.`,
    );
  }
  return new ActionError(
    `Could not get an OIDC token from GitHub: ${text}. Check that the workflow has ${ID_TOKEN_PERMISSION_HINT.replace(/^add /, '')}.`,
  );
}

interface EntraErrorLike {
  message?: string;
  errorResponse?: { error?: string; errorDescription?: string };
}

function aadstsCode(text: string): string | undefined {
  return /AADSTS\d+/.exec(text)?.[0];
}

/** Turns an Entra rejection of the GitHub token into a message that says what to fix. */
export function describeEntraError(error: unknown, auth: AuthConfig, claims: TokenClaims | undefined): ActionError {
  const e = (error ?? {}) as EntraErrorLike;
  const description = e.errorResponse?.errorDescription ?? e.message ?? String(error);
  const firstLine = description.split(/\r?\n/)[0]!.trim();
  const code = aadstsCode(description);
  const presented = claims
    ? ` The GitHub token had issuer '${claims.iss ?? '?'}', subject '${claims.sub ?? '?'}' and audience '${[claims.aud ?? '?'].flat().join(',')}'.`
    : '';
  let fix: string;
  switch (code) {
    case 'AADSTS700016':
      fix = `Check client-id '${auth.clientId}' and tenant-id '${auth.tenantId}': the app registration or user-assigned identity must exist in that tenant.`;
      break;
    case 'AADSTS70021':
    case 'AADSTS700213':
    case 'AADSTS700212':
    case 'AADSTS700211':
      fix = `Add a federated credential to client-id '${auth.clientId}' with exactly that issuer and subject and the audience '${auth.audience}' (az ad app federated-credential create, or az identity federated-credential create for a managed identity).`;
      break;
    case 'AADSTS700024':
      fix = 'The GitHub token was outside its valid time range: check the runner clock and rerun the job.';
      break;
    case 'AADSTS90002':
      fix = `Check tenant-id '${auth.tenantId}' (az account show --query tenantId).`;
      break;
    default:
      fix = 'Check client-id, tenant-id and the federated credential of the identity.';
  }
  return new ActionError(
    `Entra ID refused to sign in client-id '${auth.clientId}': ${firstLine}.${presented} ${fix}`.replace(/\.\./g, '.'),
  );
}

/** Wraps a credential so its failures read as the action's errors. */
class GuidedCredential implements TokenCredential {
  private readonly inner: TokenCredential;
  private readonly describe: (error: unknown) => Error;
  constructor(inner: TokenCredential, describe: (error: unknown) => Error) {
    this.inner = inner;
    this.describe = describe;
  }
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    try {
      return await this.inner.getToken(scopes, options);
    } catch (error) {
      throw error instanceof ActionError ? error : this.describe(error);
    }
  }
}

export interface CredentialResult {
  credential: TokenCredential;
  kind: ResolvedAuth;
}

export function createCredential(auth: AuthConfig, deps: AuthDeps): CredentialResult {
  const kind = resolveAuthType(auth, deps.env);
  const authorityOptions = {
    authorityHost: auth.authorityHost,
    disableInstanceDiscovery: !PUBLIC_AUTHORITIES.has(auth.authorityHost),
  };

  if (kind === 'oidc') {
    if (!auth.clientId || !auth.tenantId) {
      const missing = !auth.clientId ? 'client-id' : 'tenant-id';
      throw new ActionError(
        `Input '${missing}' is required to sign in with GitHub OIDC: set it (or the AZURE_${missing === 'client-id' ? 'CLIENT' : 'TENANT'}_ID environment variable), or use auth-type: azure-cli after azure/login.`,
      );
    }
    if (!deps.env.ACTIONS_ID_TOKEN_REQUEST_URL || !deps.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
      throw describeOidcRequestError(new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable'));
    }
    let claims: TokenClaims | undefined;
    // MSAL asks for the assertion twice per token request; a GitHub ID token that stays valid for another minute
    // is reused, any other time GitHub is asked for a fresh one (so runs longer than the token lifetimes work).
    let last: string | undefined;
    const getAssertion = async (): Promise<string> => {
      if (last && (claims?.exp ?? 0) * 1000 - Date.now() > ASSERTION_REUSE_MARGIN_MS) return last;
      let token: string;
      try {
        token = await deps.getIDToken(auth.audience);
      } catch (error) {
        throw describeOidcRequestError(error);
      }
      claims = readClaims(token);
      deps.debug?.(`GitHub OIDC token: issuer ${claims.iss}, subject ${claims.sub}, audience ${String(claims.aud)}`);
      last = token;
      return token;
    };
    const inner = new ClientAssertionCredential(auth.tenantId, auth.clientId, getAssertion, authorityOptions);
    return {
      credential: new GuidedCredential(inner, (error) => describeEntraError(error, auth, claims)),
      kind,
    };
  }

  if (kind === 'azure-cli') {
    const inner = new AzureCliCredential(auth.tenantId ? { tenantId: auth.tenantId } : {});
    return {
      credential: new GuidedCredential(inner, (error) => {
        const text = error instanceof Error ? error.message : String(error);
        return new ActionError(
          `Could not use the Azure CLI sign-in (auth-type: azure-cli): ${text.split('\n')[0]}. Run azure/login earlier in the job, or set client-id and tenant-id to sign in with GitHub OIDC.`,
        );
      }),
      kind,
    };
  }

  const inner = auth.clientId
    ? new ManagedIdentityCredential({ clientId: auth.clientId })
    : new ManagedIdentityCredential();
  return {
    credential: new GuidedCredential(inner, (error) => {
      const text = error instanceof Error ? error.message : String(error);
      return new ActionError(
        `Could not sign in with the runner's managed identity (auth-type: managed-identity): ${text.split('\n')[0]}. This works only on a self-hosted runner in Azure with a managed identity${auth.clientId ? ` whose client ID is '${auth.clientId}'` : ''}.`,
      );
    }),
    kind,
  };
}
