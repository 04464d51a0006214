/**
 * The Azure clouds and the endpoint inputs (arm-endpoint, authority-host, log-analytics-endpoint). Tokens are sent
 * to these endpoints, so an override must be a host of one of the known Azure clouds, or a loopback address (a local
 * stand-in of Azure); anything else is refused before any call.
 */
import { InputError } from '../common/errors.js';
import { q } from './fields.js';
import type { CloudName } from './types.js';

export const CLOUDS: Record<
  CloudName,
  {
    armEndpoint: string;
    authorityHost: string;
    armScope: string;
    portalUrl: string;
    acrSuffix: string;
    logAnalyticsEndpoint: string;
  }
> = {
  AzureCloud: {
    armEndpoint: 'https://management.azure.com',
    authorityHost: 'https://login.microsoftonline.com',
    armScope: 'https://management.azure.com/.default',
    portalUrl: 'https://portal.azure.com',
    acrSuffix: 'azurecr.io',
    logAnalyticsEndpoint: 'https://api.loganalytics.io',
  },
  AzureChinaCloud: {
    armEndpoint: 'https://management.chinacloudapi.cn',
    authorityHost: 'https://login.chinacloudapi.cn',
    armScope: 'https://management.chinacloudapi.cn/.default',
    portalUrl: 'https://portal.azure.cn',
    acrSuffix: 'azurecr.cn',
    logAnalyticsEndpoint: 'https://api.loganalytics.azure.cn',
  },
  AzureUSGovernment: {
    armEndpoint: 'https://management.usgovcloudapi.net',
    authorityHost: 'https://login.microsoftonline.us',
    armScope: 'https://management.usgovcloudapi.net/.default',
    portalUrl: 'https://portal.azure.us',
    acrSuffix: 'azurecr.us',
    logAnalyticsEndpoint: 'https://api.loganalytics.us',
  },
};

export type EndpointInput = 'arm-endpoint' | 'authority-host' | 'log-analytics-endpoint';

/** The official hosts of each endpoint in the public, China and US Government clouds. */
export const OFFICIAL_HOSTS: Record<EndpointInput, readonly string[]> = {
  'arm-endpoint': ['management.azure.com', 'management.chinacloudapi.cn', 'management.usgovcloudapi.net'],
  'authority-host': [
    'login.microsoftonline.com',
    'login.microsoft.com',
    'login.windows.net',
    'login.chinacloudapi.cn',
    'login.partner.microsoftonline.cn',
    'login.microsoftonline.us',
  ],
  'log-analytics-endpoint': [
    'api.loganalytics.io',
    'api.loganalytics.azure.com',
    'api.loganalytics.azure.cn',
    'api.loganalytics.us',
  ],
};

/** localhost, 127.0.0.0/8 or ::1 (URL.hostname form). */
export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase();
  if (h === 'localhost' || h === '[::1]') return true;
  const parts = h.split('.');
  return parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** The endpoint as https://host[:port] (no trailing slash), or `fallback` (the cloud's) when blank. */
export function parseEndpoint(input: EndpointInput, value: string, fallback: string): string {
  if (value === '') return fallback;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new InputError(
      input,
      `${input} must be an https URL with no path, like ${fallback}, not ${q(value)}${url && url.protocol === 'http:' ? ' (Azure sign-in and ARM calls need https)' : ''}.`,
    );
  }
  const official = OFFICIAL_HOSTS[input];
  if (!official.includes(url.hostname.toLowerCase()) && !isLoopback(url.hostname)) {
    throw new InputError(
      input,
      `${input} ${q(url.host)} is not a host of an Azure cloud, and the action sends Azure tokens there: use one of ${official.map((h) => `https://${h}`).join(', ')} (or set cloud instead), or a loopback address such as https://127.0.0.1:8443 for a local stand-in.`,
    );
  }
  return `${url.protocol}//${url.host}`;
}
