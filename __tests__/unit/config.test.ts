import { describe, expect, it } from 'vitest';
import {
  type Config,
  isAcrHost,
  parseConfig,
  parseDuration,
  parseImageReference,
  secretValuesFromInputs,
} from '../../src/inputs/config.ts';
import { InputError } from '../../src/common/errors.ts';

const SUB = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const TENANT = '99999999-8888-7777-6666-555555555555';
const UAI = `/subscriptions/${SUB}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/pull-id`;
const ENV_ID = `/subscriptions/${SUB}/resourceGroups/rg-data/providers/Microsoft.App/managedEnvironments/env-hyf-data`;
const SHA = 'a'.repeat(64);

/** Secret values used anywhere below: no error message may contain them. */
const SECRET_1 = 'hunter2-s3cret-value';
const SECRET_2 = 'Pa55w0rd!registry';

/** The defaults action.yml declares, as the runner applies them. */
const RUNNER_DEFAULTS: Record<string, string> = {
  'auth-type': 'auto',
  audience: 'api://AzureADTokenExchange',
  cloud: 'AzureCloud',
  'env-vars-update': 'merge',
  start: 'false',
  wait: 'true',
  'on-timeout': 'stop',
  'stop-on-cancel': 'true',
  logs: 'true',
  'dry-run': 'false',
};

type Inputs = Record<string, string>;
const getter =
  (values: Inputs, defaults: Inputs = RUNNER_DEFAULTS) =>
  (name: string): string =>
    values[name] ?? defaults[name] ?? '';

const ENV = { AZURE_SUBSCRIPTION_ID: SUB };
/** Smallest valid input set: run the job as it is. */
const BASE: Inputs = { 'resource-group': 'rg-data', 'job-name': 'alice-weather-job', start: 'true' };

function parse(values: Inputs, env: Record<string, string | undefined> = ENV): Config {
  return parseConfig(getter(values), env);
}

function inputError(values: Inputs, env: Record<string, string | undefined> = ENV): InputError {
  try {
    parse(values, env);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

const DEFAULT_AUTH = {
  type: 'auto',
  subscriptionId: SUB,
  audience: 'api://AzureADTokenExchange',
  cloud: 'AzureCloud',
  armEndpoint: 'https://management.azure.com',
  authorityHost: 'https://login.microsoftonline.com',
  armScope: 'https://management.azure.com/.default',
  portalUrl: 'https://portal.azure.com',
  logAnalyticsEndpoint: 'https://api.loganalytics.io',
  logAnalyticsScope: 'https://api.loganalytics.io/.default',
};

describe('parseConfig: the three uses from the interface', () => {
  it('1. deploys a new tag after an image push and runs it', () => {
    const config = parse(
      {
        'client-id': CLIENT,
        'tenant-id': TENANT,
        'subscription-id': SUB,
        'resource-group': 'rg-data',
        'job-name': 'alice-weather-job',
        image: `myregistry.azurecr.io/alice-weather-pipeline:${'0123456789abcdef0123456789abcdef01234567'}`,
        start: 'true',
      },
      {},
    );
    expect(config).toEqual<Config>({
      auth: { ...DEFAULT_AUTH, type: 'auto', clientId: CLIENT, tenantId: TENANT } as Config['auth'],
      resourceGroup: 'rg-data',
      jobName: 'alice-weather-job',
      image: 'myregistry.azurecr.io/alice-weather-pipeline:0123456789abcdef0123456789abcdef01234567',
      registry: {},
      envVarsUpdate: 'merge',
      start: true,
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
    });
  });

  it('2. a scheduled smoke run: no deploy, just run the job and check it', () => {
    const config = parse(
      { 'resource-group': 'rg-data', 'job-name': 'alice-weather-job', start: 'true', timeout: '10m' },
      { AZURE_CLIENT_ID: CLIENT, AZURE_TENANT_ID: TENANT, AZURE_SUBSCRIPTION_ID: SUB },
    );
    expect(config).toEqual<Config>({
      auth: { ...DEFAULT_AUTH, clientId: CLIENT, tenantId: TENANT } as Config['auth'],
      resourceGroup: 'rg-data',
      jobName: 'alice-weather-job',
      registry: {},
      envVarsUpdate: 'merge',
      start: true,
      wait: true,
      timeoutSec: 600,
      onTimeout: 'stop',
      stopOnCancel: true,
      execution: {},
      logs: true,
      logsWaitSec: 30,
      dryRun: false,
      checkImage: true,
      onFailure: 'keep',
      wantsDeploy: false,
      secretValues: [],
      warnings: [],
      notices: [],
    });
  });

  it('3. a manual rerun with a per-run override that does not change the job', () => {
    const config = parse({ ...BASE, 'execution-env-vars': 'RUN_DATE=2026-01-05\n' });
    expect(config.wantsDeploy).toBe(false);
    expect(config.execution).toEqual({ envVars: [{ name: 'RUN_DATE', value: '2026-01-05' }] });
    expect(config.envVars).toBeUndefined();
    expect(config.warnings).toEqual([]);
  });
});

describe('parseConfig: values', () => {
  it('applies action.yml defaults itself when the runner did not', () => {
    const c = parseConfig(getter(BASE, {}), ENV);
    expect(c.auth.type).toBe('auto');
    expect(c.auth.audience).toBe('api://AzureADTokenExchange');
    expect(c.auth.cloud).toBe('AzureCloud');
    expect([c.wait, c.stopOnCancel, c.logs, c.dryRun, c.onTimeout, c.envVarsUpdate]).toEqual([
      true,
      true,
      true,
      false,
      'stop',
      'merge',
    ]);
  });

  it('leaves every create-only setting undefined when blank', () => {
    const c = parse({ ...BASE, image: 'myregistry.azurecr.io/app:1' });
    for (const key of [
      'triggerType',
      'cronExpression',
      'replicaTimeout',
      'replicaRetryLimit',
      'parallelism',
      'replicaCompletionCount',
      'cpu',
      'memory',
      'command',
      'args',
      'envVars',
      'secrets',
      'identity',
      'tags',
      'environment',
      'location',
      'containerName',
      'timeoutSec',
      'apiVersion',
    ] as const) {
      expect(c[key], key).toBeUndefined();
    }
  });

  it('parses a full create', () => {
    const c = parse({
      ...BASE,
      'auth-type': 'OIDC',
      'client-id': CLIENT.toUpperCase(),
      'tenant-id': TENANT,
      environment: ENV_ID,
      location: 'westeurope',
      image: `myregistry.azurecr.io/team/app@sha256:${SHA}`,
      'container-name': 'main',
      'registry-server': 'MyRegistry.azurecr.io',
      'registry-identity': 'System',
      'trigger-type': 'schedule',
      'cron-expression': '0  6 * * *',
      'replica-timeout': '5m',
      'replica-retry-limit': '2',
      parallelism: '3',
      'replica-completion-count': '2',
      cpu: '500m',
      memory: '1024Mi',
      command: '["python", "-m", "pipeline"]',
      args: '--date\r\n2026-01-05\r\n\r\n--verbose',
      'env-vars': [
        '# connection settings',
        'POSTGRES_URL=postgres://u:p@host/db?sslmode=require&a=b',
        'EMPTY=',
        'DB_PASSWORD=secretref:db-password',
        'Logging__LogLevel__Default = Debug',
      ].join('\n'),
      'env-vars-update': 'Replace',
      secrets: [
        `db-password=${SECRET_1}`,
        `api-key=keyvaultref:https://kv-hyf.vault.azure.net/secrets/api-key,identityref:${UAI}`,
        'other=keyvaultref:https://kv-hyf.vault.azure.net/secrets/other/0123abcd, identityref:system',
      ].join('\n'),
      identity: `system\n${UAI}\n${UAI.toLowerCase()}`,
      tags: 'course=week6\nowner=alice=bob\nempty=',
      'job-yaml': 'job.yaml',
      wait: 'False',
      'stop-on-cancel': 'FALSE',
      logs: 'false',
      'api-version': '2025-10-02-preview',
    });
    expect(c.auth.type).toBe('oidc');
    expect(c.auth.clientId).toBe(CLIENT);
    expect(c.environment).toBe(ENV_ID);
    expect(c.registry).toEqual({ server: 'myregistry.azurecr.io', identity: 'system' });
    expect(c.triggerType).toBe('Schedule');
    expect(c.cronExpression).toBe('0 6 * * *');
    expect([c.replicaTimeout, c.replicaRetryLimit, c.parallelism, c.replicaCompletionCount]).toEqual([300, 2, 3, 2]);
    expect(c.cpu).toBe(0.5);
    expect(c.memory).toBe('1Gi');
    expect(c.command).toEqual(['python', '-m', 'pipeline']);
    expect(c.args).toEqual(['--date', '2026-01-05', '--verbose']);
    expect(c.envVars).toEqual([
      { name: 'POSTGRES_URL', value: 'postgres://u:p@host/db?sslmode=require&a=b' },
      { name: 'EMPTY', value: '' },
      { name: 'DB_PASSWORD', secretRef: 'db-password' },
      { name: 'Logging__LogLevel__Default', value: 'Debug' },
    ]);
    expect(c.envVarsUpdate).toBe('replace');
    expect(c.secrets).toEqual([
      { name: 'db-password', value: SECRET_1 },
      { name: 'api-key', keyVaultUrl: 'https://kv-hyf.vault.azure.net/secrets/api-key', identity: UAI },
      { name: 'other', keyVaultUrl: 'https://kv-hyf.vault.azure.net/secrets/other/0123abcd', identity: 'system' },
    ]);
    expect(c.identity).toEqual({ system: true, userAssigned: [UAI] });
    expect(c.tags).toEqual({ course: 'week6', owner: 'alice=bob', empty: '' });
    expect(c.jobYaml).toBe('job.yaml');
    expect([c.wait, c.stopOnCancel, c.logs]).toEqual([false, false, false]);
    expect(c.apiVersion).toBe('2025-10-02-preview');
    expect(c.wantsDeploy).toBe(true);
    expect(c.secretValues).toEqual([SECRET_1]);
    expect(c.warnings).toEqual([]);
  });

  it('resolves sovereign clouds and endpoint overrides (scope and portal stay the cloud’s)', () => {
    const china = parse({ ...BASE, cloud: 'azurechinacloud' });
    expect(china.auth).toMatchObject({
      cloud: 'AzureChinaCloud',
      armEndpoint: 'https://management.chinacloudapi.cn',
      authorityHost: 'https://login.chinacloudapi.cn',
      armScope: 'https://management.chinacloudapi.cn/.default',
      portalUrl: 'https://portal.azure.cn',
    });
    const gov = parse({ ...BASE, cloud: 'AzureUSGovernment' });
    expect(gov.auth).toMatchObject({
      armEndpoint: 'https://management.usgovcloudapi.net',
      authorityHost: 'https://login.microsoftonline.us',
      armScope: 'https://management.usgovcloudapi.net/.default',
      portalUrl: 'https://portal.azure.us',
    });
    const local = parse({
      ...BASE,
      'arm-endpoint': 'https://localhost:8443/',
      'authority-host': 'https://127.0.0.1:9443',
    });
    expect(local.auth).toMatchObject({
      armEndpoint: 'https://localhost:8443',
      authorityHost: 'https://127.0.0.1:9443',
      armScope: 'https://management.azure.com/.default',
      portalUrl: 'https://portal.azure.com',
    });
  });

  it('takes ids from the environment, inputs first; accepts a tenant domain', () => {
    const c = parse(
      { ...BASE, 'subscription-id': SUB, 'tenant-id': 'contoso.onmicrosoft.com' },
      { AZURE_SUBSCRIPTION_ID: 'not-used', AZURE_CLIENT_ID: ` ${CLIENT} ` },
    );
    expect(c.auth.subscriptionId).toBe(SUB);
    expect(c.auth.clientId).toBe(CLIENT);
    expect(c.auth.tenantId).toBe('contoso.onmicrosoft.com');
  });

  it('managed-identity and azure-cli need no client-id or tenant-id', () => {
    expect(parse({ ...BASE, 'auth-type': 'managed-identity' }).auth.type).toBe('managed-identity');
    expect(parse({ ...BASE, 'auth-type': 'azure-cli' }).auth.clientId).toBeUndefined();
  });

  it.each([
    ['1Gi', '1Gi'],
    ['1gi', '1Gi'],
    ['1G', '1Gi'],
    ['2.0Gi', '2Gi'],
    ['.5Gi', '0.5Gi'],
    ['512Mi', '0.5Gi'],
    ['768Mi', '0.75Gi'],
    ['1536Mi', '1.5Gi'],
  ])('memory %s is %s', (text, expected) => {
    expect(parse({ ...BASE, memory: text }).memory).toBe(expected);
  });

  it.each([
    ['0.25', 0.25],
    ['1', 1],
    ['2.5', 2.5],
    ['.5', 0.5],
    ['250m', 0.25],
  ])('cpu %s is %d', (text, expected) => {
    expect(parse({ ...BASE, cpu: text }).cpu).toBe(expected);
  });

  it('reads command and args one item a line or as a JSON array; [] resets', () => {
    expect(parse({ ...BASE, command: 'python\nmain.py\n' }).command).toEqual(['python', 'main.py']);
    expect(parse({ ...BASE, command: '[]' }).command).toEqual([]);
    expect(parse({ ...BASE, args: '  # not a comment  ' }).args).toEqual(['# not a comment']);
  });

  it('accepts a trigger change alone, and a cron change alone (the job may already be Schedule)', () => {
    expect(parse({ ...BASE, start: 'false', 'trigger-type': 'manual' }).triggerType).toBe('Manual');
    const c = parse({ ...BASE, start: 'false', 'cron-expression': '*/15 * * * *' });
    expect(c.cronExpression).toBe('*/15 * * * *');
    expect(c.triggerType).toBeUndefined();
    expect(c.wantsDeploy).toBe(true);
  });

  it('accepts registry-server equal to the ACR host in any case, and Docker Hub images without a host', () => {
    expect(
      parse({ ...BASE, image: 'MyReg.azurecr.io/app:1', 'registry-server': 'myreg.azurecr.io' }).registry.server,
    ).toBe('myreg.azurecr.io');
    expect(parse({ ...BASE, image: 'python:3.12', 'registry-server': 'docker.io' }).image).toBe('python:3.12');
  });

  it('builds: image is the push target', () => {
    const c = parse({
      ...BASE,
      image: 'myregistry.azurecr.io/app',
      'build-context': '.',
      dockerfile: 'docker/Dockerfile',
      'build-args': 'PYTHON_VERSION=3.12\nEXTRA=a=b',
    });
    expect(c.build).toEqual({
      context: '.',
      dockerfile: 'docker/Dockerfile',
      buildArgs: { PYTHON_VERSION: '3.12', EXTRA: 'a=b' },
    });
    // no ':latest' warning for a push target
    expect(c.warnings).toEqual([]);
  });

  it('collects masks: secrets values and registry-password, not Key Vault references', () => {
    const c = parse({
      ...BASE,
      image: 'ghcr.io/alice/app:1',
      'registry-server': 'ghcr.io',
      'registry-username': 'alice',
      'registry-password': SECRET_2,
      secrets: `a=${SECRET_1}\nb=keyvaultref:https://v.vault.azure.net/secrets/b,identityref:system`,
    });
    expect(c.secretValues).toEqual([SECRET_1, SECRET_2]);
    expect(c.registry).toEqual({ server: 'ghcr.io', username: 'alice', password: SECRET_2 });
  });
});

describe('parseConfig: warnings', () => {
  const cases: [string, Inputs, string][] = [
    ['an image without a tag', { image: 'myregistry.azurecr.io/app' }, "':latest'"],
    ['cpu and memory off the 2Gi-per-vCPU ratio', { cpu: '1', memory: '1Gi' }, '2Gi per vCPU'],
    ['cpu without memory', { cpu: '1' }, 'memory: 2Gi'],
    ['memory without cpu', { memory: '4Gi' }, 'cpu: 2'],
    ['cpu outside the Consumption steps', { cpu: '0.3', memory: '0.6Gi' }, 'steps of 0.25'],
    ['timeout with wait false', { wait: 'false', timeout: '5m' }, 'timeout is ignored'],
    ['on-timeout leave with wait false', { wait: 'false', 'on-timeout': 'leave' }, 'on-timeout is ignored'],
    ['dry-run with start', { 'dry-run': 'true' }, 'no execution is started'],
    ['a quoted env value', { 'env-vars': 'LOG_LEVEL="INFO"' }, 'wrapped in quotes'],
    ['command as one line with spaces', { command: 'python main.py' }, 'its own line'],
    ['replace without env-vars', { 'env-vars-update': 'replace', image: 'r.azurecr.io/a:1' }, 'left as they are'],
    ['a differing non-ACR registry', { image: 'ghcr.io/a/b:1', 'registry-server': 'quay.io' }, 'differs'],
    ['an ACR image of another cloud', { image: 'reg.azurecr.cn/app:1' }, 'another Azure cloud'],
  ];
  it.each(cases)('warns about %s', (_what, values, fragment) => {
    const c = parse({ ...BASE, ...values });
    expect(c.warnings.join('\n')).toContain(fragment);
  });
});

describe('parseConfig: bad inputs', () => {
  const noEnv = {};
  // [description, inputs (merged over BASE unless `replace`), expected input, message fragment, env]
  const cases: [string, Inputs, string, string, Record<string, string>?][] = [
    ['missing resource-group', { 'resource-group': '' }, 'resource-group', 'resource-group is required'],
    ['resource-group ending with a dot', { 'resource-group': 'rg.' }, 'resource-group', "not ending with '.'"],
    ['resource-group with a slash', { 'resource-group': 'rg/data' }, 'resource-group', 'e.g. rg-data'],
    ['missing job-name', { 'job-name': '' }, 'job-name', 'job-name is required'],
    ['job-name with uppercase and _', { 'job-name': 'Alice_Weather' }, 'job-name', "e.g. 'alice-weather'"],
    ['job-name too long', { 'job-name': 'a'.repeat(40) }, 'job-name', 'it has 40 characters'],
    ['job-name with --', { 'job-name': 'alice--job' }, 'job-name', "contains '--'"],
    ['job-name starting with a digit', { 'job-name': '1job' }, 'job-name', 'does not start with a letter'],
    ['missing subscription-id', {}, 'subscription-id', 'az account show --query id', noEnv],
    ['subscription name instead of id', { 'subscription-id': 'My Subscription' }, 'subscription-id', 'not its name'],
    [
      'bad AZURE_SUBSCRIPTION_ID',
      {},
      'subscription-id',
      'AZURE_SUBSCRIPTION_ID environment variable',
      { AZURE_SUBSCRIPTION_ID: 'x' },
    ],
    ['oidc without client-id', { 'auth-type': 'oidc', 'tenant-id': TENANT }, 'client-id', 'vars.AZURE_CLIENT_ID'],
    ['oidc without tenant-id', { 'auth-type': 'oidc', 'client-id': CLIENT }, 'tenant-id', 'for auth-type oidc'],
    ['auto with client-id only', { 'client-id': CLIENT }, 'tenant-id', 'with client-id'],
    ['client-id not a UUID', { 'client-id': 'my-app' }, 'client-id', 'Application (client) ID'],
    ['tenant-id not a UUID or domain', { 'tenant-id': 'my tenant' }, 'tenant-id', 'tenantId'],
    ['unknown auth-type', { 'auth-type': 'password' }, 'auth-type', 'auto, oidc, azure-cli, managed-identity'],
    ['unknown cloud', { cloud: 'AzureGermanCloud' }, 'cloud', 'AzureCloud, AzureChinaCloud, AzureUSGovernment'],
    ['http arm-endpoint', { 'arm-endpoint': 'http://localhost:8080' }, 'arm-endpoint', 'need https'],
    [
      'authority-host with a path',
      { 'authority-host': 'https://login.example.com/tenant' },
      'authority-host',
      'no path',
    ],
    ['environment with uppercase', { environment: 'Env-Hyf-Data' }, 'environment', "write 'env-hyf-data'"],
    ['environment resource ID of another type', { environment: UAI }, 'environment', 'managedEnvironments'],
    ['location with punctuation', { location: 'west-europe!' }, 'location', 'westeurope'],
    [
      'image with https://',
      { image: 'https://myregistry.azurecr.io/app:1' },
      'image',
      "write 'myregistry.azurecr.io/app:1'",
    ],
    [
      'image with uppercase repository',
      { image: 'myregistry.azurecr.io/Alice-App:1' },
      'image',
      "'myregistry.azurecr.io/alice-app:1'",
    ],
    ['image with a space', { image: 'myregistry.azurecr.io/app :1' }, 'image', 'spaces'],
    ['image that is only a registry', { image: 'myregistry.azurecr.io' }, 'image', 'no repository'],
    ['image with a trailing slash', { image: 'myregistry.azurecr.io/' }, 'image', 'no repository'],
    ['image with only a tag', { image: ':1.0' }, 'image', 'no repository'],
    ['image with a bad tag', { image: 'myregistry.azurecr.io/app:-1' }, 'image', 'tag'],
    ['image with a short digest', { image: 'myregistry.azurecr.io/app@sha256:abc' }, 'image', '64 lowercase hex'],
    ['image and image-tag', { image: 'r.azurecr.io/a:1', 'image-tag': '2' }, 'image-tag', 'cannot both be set'],
    ['image-tag with a digest', { 'image-tag': `sha256:${SHA}` }, 'image-tag', 'not a digest'],
    ['image-tag with a full reference', { 'image-tag': 'r.azurecr.io/a:2' }, 'image-tag', 'full image reference'],
    ['image-tag with a bad character', { 'image-tag': 'v1+build' }, 'image-tag', 'not a valid tag'],
    ['container-name with uppercase', { 'container-name': 'Main' }, 'container-name', 'lowercase'],
    [
      'registry-server with a scheme',
      { 'registry-server': 'https://myreg.azurecr.io/' },
      'registry-server',
      "write 'myreg.azurecr.io'",
    ],
    ['registry-server with a path', { 'registry-server': 'myreg.azurecr.io/app' }, 'registry-server', 'without a path'],
    ['registry-server not a host', { 'registry-server': 'my_reg' }, 'registry-server', 'host[:port]'],
    [
      'registry-server other than the ACR in image',
      { image: 'a.azurecr.io/app:1', 'registry-server': 'b.azurecr.io' },
      'registry-server',
      'b.azurecr.io differs from the registry in image (a.azurecr.io)',
    ],
    [
      'image without a registry host but registry-server',
      { image: 'weather:1', 'registry-server': 'hyf.azurecr.io' },
      'image',
      'Docker Hub',
    ],
    [
      'registry-identity as a client id',
      { 'registry-identity': CLIENT },
      'registry-identity',
      'looks like a client ID',
    ],
    [
      'registry-identity not an identity',
      { 'registry-identity': 'acrpull' },
      'registry-identity',
      "'system' or a user-assigned",
    ],
    ['registry-username without password', { 'registry-username': 'alice' }, 'registry-password', 'set both'],
    ['registry-password without username', { 'registry-password': SECRET_2 }, 'registry-username', 'set both'],
    [
      'registry-identity with credentials',
      { 'registry-identity': 'system', 'registry-username': 'a', 'registry-password': SECRET_2 },
      'registry-identity',
      'cannot be combined',
    ],
    ['build-context without image', { 'build-context': '.' }, 'image', 'reference to push to'],
    [
      'build-context with a digest image',
      { 'build-context': '.', image: `r.azurecr.io/a@sha256:${SHA}` },
      'image',
      'give a tag instead',
    ],
    ['dockerfile without build-context', { dockerfile: 'Dockerfile' }, 'dockerfile', 'without build-context'],
    ['build-args without build-context', { 'build-args': 'A=1' }, 'build-args', 'without build-context'],
    [
      'build-args line without =',
      { 'build-context': '.', image: 'r.azurecr.io/a:1', 'build-args': 'A' },
      'build-args',
      'line 1',
    ],
    ['unknown trigger-type', { 'trigger-type': 'Cron' }, 'trigger-type', 'Manual, Schedule, Event'],
    ['Schedule without cron', { 'trigger-type': 'Schedule' }, 'cron-expression', "'0 6 * * *'"],
    [
      'Manual with cron',
      { 'trigger-type': 'Manual', 'cron-expression': '0 6 * * *' },
      'cron-expression',
      'trigger-type is Manual',
    ],
    ['cron with seconds', { 'cron-expression': '0 0 6 * * *' }, 'cron-expression', "did you mean '0 6 * * *'?"],
    ['cron macro', { 'cron-expression': '@daily' }, 'cron-expression', "write '0 0 * * *' instead"],
    ['replica-timeout not a number', { 'replica-timeout': 'long' }, 'replica-timeout', 'e.g. 300'],
    ['replica-timeout 0', { 'replica-timeout': '0' }, 'replica-timeout', 'at least 1 second'],
    ['negative replica-retry-limit', { 'replica-retry-limit': '-1' }, 'replica-retry-limit', 'at least 0'],
    ['parallelism 0', { parallelism: '0' }, 'parallelism', 'at least 1'],
    [
      'fractional replica-completion-count',
      { 'replica-completion-count': '1.5' },
      'replica-completion-count',
      'whole number',
    ],
    ['cpu 0', { cpu: '0' }, 'cpu', 'greater than 0'],
    ['cpu with a unit', { cpu: '1 vCPU' }, 'cpu', 'e.g. 0.5, 1 or 2'],
    ['memory without a unit', { memory: '1' }, 'memory', 'no unit'],
    ['memory in TB', { memory: '1TB' }, 'memory', 'unknown unit'],
    ['memory in odd Mi', { memory: '100Mi' }, 'memory', '256Mi, 512Mi'],
    ['command as broken JSON', { command: '["python", main.py]' }, 'command', 'not a valid JSON array'],
    ['args as a JSON array of numbers', { args: '[1, 2]' }, 'args', 'array of strings'],
    [
      'env-vars line in YAML form',
      { 'env-vars': `LOG_LEVEL=INFO\nPOSTGRES_URL: ${SECRET_1}` },
      'env-vars',
      "line 2 has no '='",
    ],
    ['env-vars line without =', { 'env-vars': SECRET_1 }, 'env-vars', 'LOG_LEVEL=INFO'],
    [
      'env-vars name with a colon',
      { 'env-vars': 'ApplicationInsights:ConnectionString=x' },
      'env-vars',
      'ApplicationInsights__ConnectionString',
    ],
    ['env-vars name starting with a digit', { 'env-vars': '1VAR=x' }, 'env-vars', 'not starting with a digit'],
    ['duplicate env-vars', { 'env-vars': 'A=1\n\nA=2' }, 'env-vars', 'A twice (lines 1 and 3)'],
    [
      'env-vars secretref to an invalid secret name',
      { 'env-vars': 'DB=secretref:DB_Password' },
      'env-vars',
      'secretref:secret-name',
    ],
    ['unknown env-vars-update', { 'env-vars-update': 'append' }, 'env-vars-update', 'merge or replace'],
    ['secrets line without =', { secrets: `db-password: ${SECRET_1}` }, 'secrets', "line 1 has no '='"],
    ['secrets with an invalid name', { secrets: `ok=1\nDB_PASSWORD=${SECRET_1}` }, 'secrets', "e.g. 'db-password'"],
    ['secrets name with a dot', { secrets: `github.clientid=${SECRET_1}` }, 'secrets', "'github-clientid'"],
    ['duplicate secrets', { secrets: `a=${SECRET_1}\na=${SECRET_2}` }, 'secrets', 'a twice'],
    ['secrets with an empty value', { secrets: 'db-password=' }, 'secrets', 'empty value'],
    [
      'Key Vault secret without identityref',
      { secrets: 'k=keyvaultref:https://v.vault.azure.net/secrets/k' },
      'secrets',
      'identityref:system',
    ],
    [
      'Key Vault secret with an http URL',
      { secrets: 'k=keyvaultref:http://v.vault.azure.net/secrets/k,identityref:system' },
      'secrets',
      'Key Vault secret URL',
    ],
    [
      'Key Vault secret with a client id as identity',
      { secrets: `k=keyvaultref:https://v.vault.azure.net/secrets/k,identityref:${CLIENT}` },
      'secrets',
      'looks like a client ID',
    ],
    ['identity with a name instead of an ID', { identity: 'system\nmy-identity' }, 'identity', 'identity line 2'],
    ['tags line without =', { tags: 'course' }, 'tags', 'key=value'],
    ['tag key with a slash', { tags: 'a/b=1' }, 'tags', 'does not allow'],
    ['tag value too long', { tags: `k=${'v'.repeat(257)}` }, 'tags', 'allows 256'],
    ['duplicate tag keys in other case', { tags: 'Course=1\ncourse=2' }, 'tags', 'ignore case'],
    ['start yes', { start: 'yes' }, 'start', 'true, True, TRUE, false, False or FALSE'],
    ['wait 1', { wait: '1' }, 'wait', 'true or false'],
    ['stop-on-cancel maybe', { 'stop-on-cancel': 'maybe' }, 'stop-on-cancel', 'true or false'],
    ['logs on', { logs: 'on' }, 'logs', 'true or false'],
    ['dry-run tRUE', { 'dry-run': 'tRUE' }, 'dry-run', 'true or false'],
    ['timeout in words', { timeout: '10 minutes' }, 'timeout', '90s, 10m, 1h'],
    ['timeout 0', { timeout: '0' }, 'timeout', 'between 1 second and 5 days'],
    ['timeout beyond 5 days', { timeout: '200h' }, 'timeout', 'between 1 second and 5 days'],
    ['unknown on-timeout', { 'on-timeout': 'kill' }, 'on-timeout', 'stop or leave'],
    [
      'execution-env-vars without start',
      { start: 'false', image: 'r.azurecr.io/a:1', 'execution-env-vars': 'A=1' },
      'execution-env-vars',
      'start: true',
    ],
    [
      'execution-image without start',
      { start: 'false', image: 'r.azurecr.io/a:1', 'execution-image': 'r.azurecr.io/a:2' },
      'execution-image',
      'start: true',
    ],
    ['invalid execution-image', { 'execution-image': 'R.azurecr.io/App:1' }, 'execution-image', 'lowercase'],
    ['execution-command broken JSON', { 'execution-command': '[oops' }, 'execution-command', 'JSON'],
    ['bad api-version', { 'api-version': 'latest' }, 'api-version', '2025-07-01'],
    ['api-version with month 13', { 'api-version': '2025-13-01' }, 'api-version', 'management API version'],
    ['nothing to do', { start: 'false' }, 'start', 'Nothing to do'],
  ];

  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('%s', (_what, values, input, fragment, env) => {
    const e = inputError({ ...BASE, ...values }, env ?? ENV);
    expect(e.input).toBe(input);
    expect(e.message).toContain(fragment);
    expect(e.message).not.toContain(SECRET_1);
    expect(e.message).not.toContain(SECRET_2);
    // one sentence, two at most
    expect(e.message.split(/[.?!](?:\s|$)/).filter((s) => s.trim() !== '').length).toBeLessThanOrEqual(3);
  });

  it('reports the first problem in input order', () => {
    const e = inputError({ ...BASE, 'job-name': 'Bad_Name', image: 'https://x', cpu: 'lots' });
    expect(e.input).toBe('job-name');
  });
});

describe('secretValuesFromInputs', () => {
  it('returns the values even when the secrets input is malformed', () => {
    const get = getter({
      secrets: [
        `good=${SECRET_1}`,
        `BAD_NAME = ${SECRET_2}`,
        'pasted-value-without-name',
        'kv=keyvaultref:https://v.vault.azure.net/secrets/kv,identityref:system',
        'empty=',
        '',
        `dup=${SECRET_1}`,
      ].join('\r\n'),
      'registry-password': '  reg-pass-123  ',
    });
    expect(secretValuesFromInputs(get).sort()).toEqual(
      [SECRET_1, SECRET_2, 'pasted-value-without-name', 'reg-pass-123'].sort(),
    );
    expect(() => parseConfig(get, ENV)).toThrow(InputError);
  });

  it('never throws', () => {
    const throwing = (): string => {
      throw new Error('boom');
    };
    expect(secretValuesFromInputs(throwing)).toEqual([]);
    expect(secretValuesFromInputs(() => undefined as unknown as string)).toEqual([]);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90', 90],
    ['90s', 90],
    ['10m', 600],
    ['1h', 3600],
    ['1h30m', 5400],
    ['1h 30m', 5400],
    ['2m30s', 150],
    ['1H', 3600],
    [' 45 ', 45],
  ])('%j is %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', 'ten', '1.5h', '10 minutes', '1d', '-5', 'm', '30m1h'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(InputError);
  });

  it('names the given input', () => {
    try {
      parseDuration('x', 'replica-timeout');
    } catch (e) {
      expect((e as InputError).input).toBe('replica-timeout');
    }
  });
});

describe('parseImageReference', () => {
  it.each([
    ['python:3.12', { repository: 'python', tag: '3.12' }],
    ['alice/app', { repository: 'alice/app' }],
    ['localhost:5000/app:dev', { registry: 'localhost:5000', repository: 'app', tag: 'dev' }],
    [
      'myreg.azurecr.io/team/app:1.0@sha256:' + SHA,
      { registry: 'myreg.azurecr.io', repository: 'team/app', tag: '1.0', digest: 'sha256:' + SHA },
    ],
    [
      'mcr.microsoft.com/k8se/quickstart-jobs:latest',
      { registry: 'mcr.microsoft.com', repository: 'k8se/quickstart-jobs', tag: 'latest' },
    ],
    ['ghcr.io/a/b__c.d-e:v1_2', { registry: 'ghcr.io', repository: 'a/b__c.d-e', tag: 'v1_2' }],
  ])('%s', (ref, expected) => {
    expect(parseImageReference(ref)).toEqual(expected);
  });

  it('knows ACR hosts in all clouds', () => {
    expect(['a.azurecr.io', 'a.azurecr.cn', 'A.AZURECR.US'].every(isAcrHost)).toBe(true);
    expect(isAcrHost('ghcr.io')).toBe(false);
  });
});
