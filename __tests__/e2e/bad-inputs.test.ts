/**
 * Every bad input a user can type, through the bundled action: exactly one ::error:: line that names the input
 * (or the Azure resource) and says how to fix it, and no write call to Azure. Input mistakes make no call at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, type Bed } from '../../test-support/e2e.ts';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed();
  const r = await bed.run({
    'job-name': 'existing-job',
    environment: bed.world.environment,
    image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest',
  });
  expect(r.errors).toEqual([]);
});
afterAll(async () => {
  await bed?.close();
});

const IMG = 'mcr.microsoft.com/k8se/quickstart-jobs:latest';
const ACR_IMG = () => `${bed.world.registryServer}/pipeline:1`;

/** [what is wrong, inputs (merged over a valid start-only run), what the one error must match] */
const INPUT_MISTAKES: [string, Record<string, string>, RegExp][] = [
  ['job name with uppercase and underscore', { 'job-name': 'Alice_Job' }, /job-name/],
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
  ['secret line without =', { image: IMG, secrets: 'postgres-url' }, /secrets/],
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
  ['timeout not a duration', { timeout: 'ten minutes' }, /timeout/],
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
  ['nothing to do', { start: 'false' }, /start|image/],
  ['dockerfile without build-context', { image: IMG, dockerfile: 'Dockerfile' }, /build-context|dockerfile/],
];

describe('bad inputs fail before any call to Azure', () => {
  it.each(INPUT_MISTAKES)('%s', async (_what, inputs, expected) => {
    const r = await bed.run({ 'job-name': 'existing-job', start: 'true', ...inputs });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(expected);
    // One sentence or two: what, which input, the fix.
    expect(r.errors[0]!.length).toBeLessThan(500);
    expect(r.requests).toEqual([]);
  });
});

describe('mistakes only Azure can reveal fail without writing', () => {
  const cases: [string, () => Record<string, string>, RegExp][] = [
    [
      'an environment that does not exist',
      () => ({ 'job-name': 'new-job', image: IMG, environment: 'env-typo' }),
      /environment 'env-typo' was not found/,
    ],
    [
      'a resource group that does not exist',
      () => ({ 'resource-group': 'rg-typo' }),
      /ResourceGroupNotFound.*resource-group/,
    ],
    ['a job that does not exist, start only', () => ({ 'job-name': 'no-such-job' }), /Job 'no-such-job' was not found/],
    [
      'image-tag for a job that does not exist',
      () => ({ 'job-name': 'no-such-job', 'image-tag': '2', start: 'false' }),
      /set input 'image'/,
    ],
    [
      'an ACR registry not in the subscription',
      () => ({ 'job-name': 'new-job', image: 'elsewhere.azurecr.io/p:1', environment: bed.world.environment }),
      /registry-identity/,
    ],
    ['container-name that the job lacks', () => ({ 'container-name': 'sidecar', 'image-tag': '2' }), /container-name/],
    [
      'an ACR image on the right registry but no environment',
      () => ({ 'job-name': 'new-job', image: ACR_IMG() }),
      /environment/,
    ],
  ];
  it.each(cases)('%s', async (_what, inputs, expected) => {
    const r = await bed.run({ 'job-name': 'existing-job', start: 'true', ...inputs() });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(expected);
    expect(r.writes).toEqual([]);
  });

  it('a principal without rights', async () => {
    const other = await startBed({}, { role: null });
    try {
      const r = await other.run({ 'job-name': 'any-job', image: IMG, environment: other.world.environment });
      expect(r.errors).toEqual([expect.stringMatching(/AuthorizationFailed.*Fix: give the identity a role/)]);
      expect(r.writes).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
