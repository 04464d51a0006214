/**
 * Input mistakes that fail before any call to Azure, each with its one-line fix: the cases that used to run one
 * process each through the harness (__tests__/e2e/bad-inputs.test.ts keeps a few end to end), and the classic
 * first-run mistakes (several NAME=value on one line, a pasted $(...), endpoints outside Azure, a costly
 * replica-timeout), and inputs a megabyte long (every parser is linear: these return at once with the right error).
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/common/errors.ts';
import { type Config, parseConfig } from '../../src/inputs/config.ts';

const SUB = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const TENANT = '99999999-8888-7777-6666-555555555555';
const ENV = { AZURE_SUBSCRIPTION_ID: SUB, AZURE_CLIENT_ID: CLIENT, AZURE_TENANT_ID: TENANT };
/** What the e2e runs had: a start-only run of an existing job. */
const BASE = { 'resource-group': 'rg-data', 'job-name': 'existing-job', start: 'true' };
const IMG = 'mcr.microsoft.com/k8se/quickstart-jobs:latest';
const SECRET = 'hunter2-s3cret-value';

const parse = (values: Record<string, string>): Config =>
  parseConfig((name) => ({ ...BASE, ...values })[name] ?? '', ENV);
function inputError(values: Record<string, string>): InputError {
  try {
    parse(values);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

/** [what is wrong, inputs (merged over a valid start-only run), what the one error must match] */
const INPUT_MISTAKES: [string, Record<string, string>, RegExp][] = [
  ['job name with uppercase and underscore', { 'job-name': 'Alice_Job' }, /job-name/],
  ['secret line without =', { image: IMG, secrets: 'postgres-url' }, /secrets/],
  ['timeout not a duration', { timeout: 'ten minutes' }, /timeout/],
  ['nothing to do', { start: 'false' }, /start|image/],
  ['job name too long', { 'job-name': 'a'.repeat(33) }, /job-name/],
  ['job name with a double dash', { 'job-name': 'alice--job' }, /job-name/],
  ['job name starting with a digit', { 'job-name': '1job' }, /job-name/],
  ['job name ending with a dash', { 'job-name': 'alice-job-' }, /job-name/],
  ['empty job name', { 'job-name': '' }, /job-name/],
  ['empty resource group', { 'resource-group': '' }, /resource-group/],
  ['resource group ending with a dot', { 'resource-group': 'rg-data.' }, /resource-group/],
  ['subscription id not a UUID', { 'subscription-id': 'my-subscription' }, /subscription-id/],
  ['client id not a UUID', { 'client-id': 'abc' }, /client-id/],
  ['image with uppercase repository', { image: 'myregistry.azurecr.io/Alice/Pipeline:1' }, /image/],
  ['image with a scheme', { image: 'https://myregistry.azurecr.io/pipeline:1' }, /image/],
  ['image with whitespace', { image: 'pipeline: 1' }, /image/],
  ['image with a bad digest', { image: 'myregistry.azurecr.io/pipeline@sha256:abc' }, /image/],
  ['image and image-tag together', { image: IMG, 'image-tag': '2' }, /image-tag/],
  ['image tag with a slash', { 'image-tag': 'feature/x' }, /image-tag/],
  [
    'ACR image with another registry-server',
    { image: 'myregistry.azurecr.io/p:1', 'registry-server': 'other.azurecr.io' },
    /registry-server/,
  ],
  ['registry-server with a scheme', { 'registry-server': 'https://myregistry.azurecr.io' }, /registry-server/],
  ['registry username without password', { image: IMG, 'registry-username': 'bob' }, /registry-password/],
  [
    'registry identity that is not a resource id',
    { image: IMG, 'registry-identity': 'my-identity' },
    /registry-identity/,
  ],
  ['unknown trigger type', { image: IMG, 'trigger-type': 'Cron' }, /trigger-type/],
  ['schedule without cron', { image: IMG, 'trigger-type': 'Schedule' }, /cron-expression/],
  [
    'cron with six fields',
    { image: IMG, 'trigger-type': 'Schedule', 'cron-expression': '0 0 6 * * *' },
    /cron-expression/,
  ],
  [
    'cron with an hour of 25',
    { image: IMG, 'trigger-type': 'Schedule', 'cron-expression': '0 25 * * *' },
    /cron-expression/,
  ],
  [
    'cron on a manual trigger',
    { image: IMG, 'trigger-type': 'Manual', 'cron-expression': '0 6 * * *' },
    /cron-expression/,
  ],
  ['replica timeout not a number', { image: IMG, 'replica-timeout': 'five minutes' }, /replica-timeout/],
  ['negative retry limit', { image: IMG, 'replica-retry-limit': '-1' }, /replica-retry-limit/],
  ['zero parallelism', { image: IMG, parallelism: '0' }, /parallelism/],
  ['cpu not a number', { image: IMG, cpu: 'half' }, /cpu/],
  ['memory without a unit', { image: IMG, memory: '1' }, /memory/],
  ['env var line without =', { image: IMG, 'env-vars': 'LOG_LEVEL INFO' }, /env-vars/],
  ['env var name with a space', { image: IMG, 'env-vars': 'LOG LEVEL=INFO' }, /env-vars/],
  ['duplicate env var', { image: IMG, 'env-vars': 'A=1\nA=2' }, /env-vars/],
  [
    'env-vars-update not merge/replace',
    { image: IMG, 'env-vars': 'A=1', 'env-vars-update': 'append' },
    /env-vars-update/,
  ],
  ['secret name with uppercase', { image: IMG, secrets: 'PostgresUrl=abc123456' }, /secrets/],
  [
    'key vault secret without identity',
    { image: IMG, secrets: 'pg=keyvaultref:https://kv.vault.azure.net/secrets/pg' },
    /secrets/,
  ],
  ['identity line that is not an identity', { image: IMG, identity: 'me' }, /identity/],
  ['tag without =', { image: IMG, tags: 'team' }, /tags/],
  ['start not a boolean', { start: 'yes please' }, /start/],
  ['wait not a boolean', { wait: 'maybe' }, /wait/],
  ['unknown on-timeout', { timeout: '10m', 'on-timeout': 'ignore' }, /on-timeout/],
  ['unknown auth type', { 'auth-type': 'password' }, /auth-type/],
  ['unknown cloud', { cloud: 'AzureGermanCloud' }, /cloud/],
  ['arm-endpoint over http', { 'arm-endpoint': 'http://management.azure.com' }, /arm-endpoint/],
  ['api-version not a date', { 'api-version': 'latest' }, /api-version/],
  [
    'execution override without start',
    { start: 'false', image: IMG, 'execution-env-vars': 'A=1' },
    /execution-env-vars|start/,
  ],
  ['dockerfile without build-context', { image: IMG, dockerfile: 'Dockerfile' }, /build-context|dockerfile/],
];

describe('input mistakes fail in parseConfig, before any call to Azure', () => {
  it.each(INPUT_MISTAKES)('%s', (_what, inputs, expected) => {
    const e = inputError(inputs);
    expect(e.message).toMatch(expected);
    // One sentence or two: what, which input, the fix.
    expect(e.message.length).toBeLessThan(500);
  });
});

describe('several NAME=value pairs on one line (the az CLI habit)', () => {
  it.each(['env-vars', 'execution-env-vars'])('%s: refused, showing the one-a-line form', (input) => {
    const e = inputError({ image: IMG, [input]: 'LOG_LEVEL=INFO\nA=1 B=2 C_D=3' });
    expect(e.input).toBe(input);
    expect(e.message).toContain(`${input} line 2 sets several variables on one line (A, B, C_D)`);
    expect(e.message).toContain(`${input}: |\n    A=...\n    B=...\n    C_D=...`);
  });

  it('keeps values that merely contain spaces and an =, and quoted ones', () => {
    const c = parse({
      image: IMG,
      'env-vars': 'QUERY=select a from t where x=1\nJAVA_OPTS=-Xmx1g -Dfile.encoding=UTF-8\nMSG="A=1 B=2"',
    });
    expect(c.envVars?.map((v) => v.value)).toEqual([
      'select a from t where x=1',
      '-Xmx1g -Dfile.encoding=UTF-8',
      '"A=1 B=2"',
    ]);
  });
});

describe('a shell substitution pasted into a value', () => {
  it.each([
    ['env-vars', 'TOKEN=$(az account get-access-token --query accessToken -o tsv)'],
    ['env-vars', 'TOKEN=`cat token.txt`'],
    ['execution-env-vars', 'TOKEN=$(date +%F)'],
    ['secrets', 'api-key=$(az keyvault secret show --name k --query value -o tsv)'],
  ])('%s %s: refused with gh secret set and ${{ secrets.NAME }}', (input, line) => {
    const e = inputError({ image: IMG, [input]: line });
    expect(e.input).toBe(input);
    expect(e.message).toMatch(/gh secret set [A-Z_]+ --body "\$\(\.\.\.\)"/);
    expect(e.message).toMatch(/=\$\{\{ secrets\.[A-Z_]+ \}\}/);
  });

  it('never shows the secret value', () => {
    const e = inputError({ image: IMG, secrets: `db=${SECRET}$(echo)` });
    expect(e.message).not.toContain(SECRET);
  });
});

describe('replica-timeout far above what a run needs', () => {
  it('is a notice about the cost (not a warning, not an error) from one hour', () => {
    const c = parse({ image: IMG, 'replica-timeout': '3600' });
    expect(c.replicaTimeout).toBe(3600);
    expect(c.notices).toEqual([expect.stringMatching(/replica-timeout is 3600 s \(1 h\).*billed.*e\.g\. 1800/)]);
    expect(c.warnings).toEqual([]);
    expect(parse({ image: IMG, 'replica-timeout': '8h' }).notices).toHaveLength(1);
  });

  it('says nothing below an hour', () => {
    expect(parse({ image: IMG, 'replica-timeout': '59m' }).notices).toEqual([]);
  });
});

describe('endpoints: tokens go only to Azure clouds or a loopback stand-in', () => {
  it.each([
    ['arm-endpoint', 'https://management.azure.com'],
    ['arm-endpoint', 'https://management.chinacloudapi.cn/'],
    ['arm-endpoint', 'https://management.usgovcloudapi.net'],
    ['authority-host', 'https://login.microsoftonline.com'],
    ['authority-host', 'https://login.chinacloudapi.cn'],
    ['authority-host', 'https://login.microsoftonline.us'],
    ['log-analytics-endpoint', 'https://api.loganalytics.io'],
    ['log-analytics-endpoint', 'https://api.loganalytics.azure.cn'],
    ['log-analytics-endpoint', 'https://api.loganalytics.us'],
    ['arm-endpoint', 'https://127.0.0.1:8443'],
    ['arm-endpoint', 'https://127.1.2.3'],
    ['authority-host', 'https://localhost:9443'],
    ['log-analytics-endpoint', 'https://[::1]:8443'],
  ])('accepts %s %s', (input, url) => {
    expect(() => parse({ [input]: url })).not.toThrow();
  });

  it.each([
    ['arm-endpoint', 'https://management.azure.com.evil.example'],
    ['arm-endpoint', 'https://login.microsoftonline.com'],
    ['authority-host', 'https://login.example.com'],
    ['authority-host', 'https://10.0.0.5'],
    ['log-analytics-endpoint', 'https://api.loganalytics.io.example.net'],
    ['log-analytics-endpoint', 'https://128.0.0.1'],
    ['arm-endpoint', 'https://127.0.0.1.example.com'],
  ])('refuses %s %s, naming the input', (input, url) => {
    const e = inputError({ [input]: url });
    expect(e.input).toBe(input);
    expect(e.message).toMatch(new RegExp(`^${input} '.*' is not a host of an Azure cloud`));
    expect(e.message).toContain('loopback');
  });
});

describe('inputs a megabyte long get the right error (every parser is linear)', () => {
  const MB = 1 << 20;
  it.each([
    ['timeout', { timeout: `${'1'.repeat(MB)}x` }, /timeout .* is not a duration/],
    ['timeout', { timeout: `1h${' '.repeat(MB)}x` }, /timeout .* is not a duration/],
    ['timeout', { timeout: `1${' '.repeat(MB)}1` }, /timeout .* is not a duration/],
    ['replica-timeout', { image: IMG, 'replica-timeout': `5${'m'.repeat(MB)}` }, /replica-timeout must be/],
    ['logs-wait', { 'logs-wait': `${'9 '.repeat(MB / 2)}s` }, /logs-wait .* is not a duration/],
    ['check-since', { 'check-since': `1h${'2m'.repeat(MB / 2)}` }, /check-since .* is not a duration/],
    ['job-name', { 'job-name': `a${'-'.repeat(MB)}!` }, /job-name .* is not a valid job name/],
    ['image', { image: `r.azurecr.io/${'a-'.repeat(MB / 2)}!:1` }, /image .* invalid repository segment/],
    ['registry-server', { image: IMG, 'registry-server': `${'a'.repeat(MB)}!` }, /registry-server .* host\[:port\]/],
    [
      'env-vars',
      { image: IMG, 'env-vars': `A=1 ${'B=2 '.repeat(MB / 4)}C=3` },
      /several variables on one line \(A, B, B, B, \.\.\.\)/,
    ],
    ['env-vars', { image: IMG, 'env-vars': `${'A'.repeat(MB)} INFO` }, /env-vars line 1 has no '='/],
    ['secrets', { image: IMG, secrets: `x${'-'.repeat(MB)}y=${SECRET}` }, /not a valid secret name/],
    [
      'cron-expression',
      { image: IMG, 'trigger-type': 'Schedule', 'cron-expression': `0 6 * * ${'1,'.repeat(MB / 2)}x` },
      /cron-expression .* is not valid/,
    ],
    ['tenant-id', { 'tenant-id': `${'a.'.repeat(MB / 2)}!` }, /tenant-id/],
    ['arm-endpoint', { 'arm-endpoint': `https://${'a.'.repeat(MB / 2)}com` }, /arm-endpoint .* not a host of an Azure/],
  ])('%s', (_input, values, expected) => {
    const e = inputError(values);
    expect(e.message).toMatch(expected);
    expect(e.message.length).toBeLessThan(1000);
  });
});
