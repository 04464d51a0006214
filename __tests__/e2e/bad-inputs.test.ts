/**
 * Bad inputs through the bundled action (a few; the rest are unit tests of parseConfig): exactly one ::error:: line that names the input
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

/**
 * [what is wrong, inputs (merged over a valid start-only run), what the one error must match]. A few, one per kind
 * of check, through the bundled action: the rest are unit tests of parseConfig (__tests__/unit/input-mistakes.test.ts).
 */
const INPUT_MISTAKES: [string, Record<string, string>, RegExp][] = [
  ['job name with uppercase and underscore', { 'job-name': 'Alice_Job' }, /job-name/],
  ['secret line without =', { image: IMG, secrets: 'postgres-url' }, /secrets/],
  ['timeout not a duration', { timeout: 'ten minutes' }, /timeout/],
  ['several env vars on one line', { image: IMG, 'env-vars': 'A=1 B=2' }, /env-vars line 1 sets several variables/],
  [
    'a shell substitution pasted into a value',
    {
      image: IMG,
      'env-vars': 'POSTGRES_URL=$(az keyvault secret show --vault-name kv --name pg --query value -o tsv)',
    },
    /shell command substitution .*gh secret set/,
  ],
  ['nothing to do', { start: 'false' }, /start|image/],
  ['an endpoint outside the Azure clouds', { 'authority-host': 'https://login.example.com' }, /authority-host/],
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

describe('settings that cost money get a notice', () => {
  it('a replica timeout of hours says what a hanging replica costs', async () => {
    const r = await bed.run({ 'job-name': 'existing-job', 'replica-timeout': '7200', start: 'false' });
    expect(r.errors).toEqual([]);
    expect(r.notices).toContainEqual(
      expect.stringMatching(/^replica-timeout is 7200 s \(2 h\): a replica that hangs is billed until then\./),
    );
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
