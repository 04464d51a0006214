/**
 * The sign-in inputs (client-id, tenant-id, subscription-id, auth-type, audience, cloud) and the endpoint overrides.
 */
import { InputError } from '../common/errors.js';
import { CLOUDS, parseEndpoint } from './endpoints.js';
import { parseUuid, TENANT_DOMAIN_RE, UUID_RE } from './fields.js';
import { readChoice, type Get } from './table.js';
import type { AuthConfig, AuthType, CloudName } from './types.js';

/** client-id, tenant-id and subscription-id fall back to AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID. */
export function readAuth(get: Get, env: Record<string, string | undefined>): AuthConfig {
  const authType =
    readChoice<AuthType>(get, 'auth-type', "use oidc to sign in with GitHub's OIDC token (the usual choice).") ??
    'auto';
  const fromEnv = (input: string, envName: string): { value: string; where: 'input' | 'env' } => {
    const v = get(input);
    if (v !== '') return { value: v, where: 'input' };
    return { value: (env[envName] ?? '').trim(), where: 'env' };
  };
  const client = fromEnv('client-id', 'AZURE_CLIENT_ID');
  const tenant = fromEnv('tenant-id', 'AZURE_TENANT_ID');
  const subscription = fromEnv('subscription-id', 'AZURE_SUBSCRIPTION_ID');
  const clientId =
    client.value === '' ? undefined : parseUuid('client-id', client.value, 'AZURE_CLIENT_ID', client.where);
  let tenantId: string | undefined;
  if (tenant.value !== '') {
    if (UUID_RE.test(tenant.value)) tenantId = tenant.value.toLowerCase();
    else if (TENANT_DOMAIN_RE.test(tenant.value)) tenantId = tenant.value.toLowerCase();
    else tenantId = parseUuid('tenant-id', tenant.value, 'AZURE_TENANT_ID', tenant.where);
  }
  if (authType === 'oidc' && !clientId) {
    throw new InputError(
      'client-id',
      'client-id is required for auth-type oidc: set it (e.g. client-id: ${{ vars.AZURE_CLIENT_ID }}) or the AZURE_CLIENT_ID environment variable; if it comes from a variable, check that the variable exists for this repository or environment.',
    );
  }
  if ((authType === 'oidc' || (authType === 'auto' && clientId)) && !tenantId) {
    throw new InputError(
      'tenant-id',
      `tenant-id is required ${authType === 'oidc' ? 'for auth-type oidc' : 'with client-id'}: set it (e.g. tenant-id: \${{ vars.AZURE_TENANT_ID }}) or the AZURE_TENANT_ID environment variable; find it with az account show --query tenantId -o tsv.`,
    );
  }
  if (subscription.value === '') {
    throw new InputError(
      'subscription-id',
      'subscription-id is required: set it (e.g. subscription-id: ${{ vars.AZURE_SUBSCRIPTION_ID }}) or the AZURE_SUBSCRIPTION_ID environment variable; find it with az account show --query id -o tsv.',
    );
  }
  const subscriptionId = parseUuid('subscription-id', subscription.value, 'AZURE_SUBSCRIPTION_ID', subscription.where);
  const audience = get('audience') || 'api://AzureADTokenExchange';
  const cloud =
    readChoice<CloudName>(
      get,
      'cloud',
      'for a local stand-in of Azure keep cloud and set arm-endpoint and authority-host to its loopback address.',
    ) ?? 'AzureCloud';
  const cloudInfo = CLOUDS[cloud];
  const auth: AuthConfig = {
    type: authType,
    clientId,
    tenantId,
    subscriptionId,
    audience,
    cloud,
    armEndpoint: parseEndpoint('arm-endpoint', get('arm-endpoint'), cloudInfo.armEndpoint),
    authorityHost: parseEndpoint('authority-host', get('authority-host'), cloudInfo.authorityHost),
    armScope: cloudInfo.armScope,
    portalUrl: cloudInfo.portalUrl,
    logAnalyticsEndpoint: parseEndpoint(
      'log-analytics-endpoint',
      get('log-analytics-endpoint'),
      cloudInfo.logAnalyticsEndpoint,
    ),
    logAnalyticsScope: `${cloudInfo.logAnalyticsEndpoint}/.default`,
  };
  return auth;
}
