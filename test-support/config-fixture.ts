/** A valid Config for unit tests, with the interface's defaults; override what a test is about. */
import type { Config } from '../src/inputs/config.ts';

export function baseConfig(overrides: Partial<Config> = {}): Config {
  return {
    auth: {
      type: 'oidc',
      clientId: '11111111-1111-1111-1111-111111111111',
      tenantId: '22222222-2222-2222-2222-222222222222',
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      audience: 'api://AzureADTokenExchange',
      cloud: 'AzureCloud',
      armEndpoint: 'https://management.azure.com',
      authorityHost: 'https://login.microsoftonline.com',
      armScope: 'https://management.azure.com/.default',
      portalUrl: 'https://portal.azure.com',
      logAnalyticsEndpoint: 'https://api.loganalytics.io',
      logAnalyticsScope: 'https://api.loganalytics.io/.default',
    },
    resourceGroup: 'rg-data',
    jobName: 'alice-weather-job',
    registry: {},
    envVarsUpdate: 'merge',
    start: false,
    wait: true,
    onTimeout: 'stop',
    stopOnCancel: true,
    execution: {},
    logs: true,
    logsWaitSec: 30,
    dryRun: false,
    checkImage: true,
    onFailure: 'keep',
    wantsDeploy: true,
    secretValues: [],
    warnings: [],
    notices: [],
    ...overrides,
  };
}
