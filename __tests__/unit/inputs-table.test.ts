/**
 * The inputs table (src/inputs/inputs-table.ts, generated from action.yml) and what it drives: defaults, masking,
 * wantsDeploy, the README's grouping; and the new inputs check-image, check-since, await-next-execution, on-failure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateInputsTable, GROUPS, OUTPUT_FILE, readInputRows } from '../../scripts/gen-inputs.ts';
import { InputError } from '../../src/common/errors.ts';
import { type Config, parseConfig, secretValuesFromInputs } from '../../src/inputs/config.ts';
import { INPUTS } from '../../src/inputs/inputs-table.ts';

const root = join(import.meta.dirname, '..', '..');
const actionYaml = readFileSync(join(root, 'action.yml'), 'utf8');
const SUB = '11111111-2222-3333-4444-555555555555';
const ENV = { AZURE_SUBSCRIPTION_ID: SUB };
const BASE = { 'resource-group': 'rg-data', 'job-name': 'alice-weather-job' };
const UAI = `/subscriptions/${SUB}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/pull-id`;

/** No runner defaults: parseConfig applies action.yml's own (from the table). */
const parseWith = (values: Record<string, string>): Config => parseConfig((name) => values[name] ?? '', ENV);
function inputError(values: Record<string, string>): InputError {
  try {
    parseWith(values);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('the inputs table', () => {
  it('src/inputs/inputs-table.ts is what scripts/gen-inputs.ts generates from action.yml', async () => {
    expect(readFileSync(OUTPUT_FILE, 'utf8')).toBe(await generateInputsTable());
  });

  it('has every input of action.yml once, with its default, in the groups sign-in, deploy, run, logs, build, advanced', () => {
    const action = parse(actionYaml) as { inputs: Record<string, { default?: string }> };
    expect(INPUTS.map((r) => r.name).sort()).toEqual(Object.keys(action.inputs).sort());
    for (const row of INPUTS) expect(row.default, row.name).toBe(action.inputs[row.name]!.default);
    const order = [...new Set(INPUTS.map((r) => r.group))];
    expect(order).toEqual([...GROUPS]);
    // Groups are contiguous in action.yml (one header each).
    expect(actionYaml.match(/^ {2}# ==== /gm)).toHaveLength(GROUPS.length);
  });

  it('refuses an input without its kind comment, or with an unknown kind or flag', () => {
    const withInput = (line: string): string =>
      actionYaml.replace('  # ==== sign-in:', `  # ==== sign-in: x\n${line}\n    description: x\n  # ==== sign-in:`);
    expect(() => readInputRows(withInput('  new-input:'))).toThrow(/new-input/);
    expect(() => readInputRows(withInput('  new-input: # numberish'))).toThrow(/unknown kind/);
    expect(() => readInputRows(withInput('  new-input: # text; hidden'))).toThrow(/unknown flag/);
  });

  it('marks registry-password and secrets as secret, and masks exactly those before parsing', () => {
    expect(INPUTS.filter((r) => r.secret).map((r) => r.name)).toEqual(['registry-password', 'secrets']);
    const values: Record<string, string> = {
      'registry-password': 'reg-pass-123',
      secrets: 'db=hunter2-s3cret',
      'registry-username': 'not-secret-user',
      audience: 'not-secret-audience',
    };
    expect(secretValuesFromInputs((n) => values[n] ?? '').sort()).toEqual(['hunter2-s3cret', 'reg-pass-123']);
  });

  // One valid value per input that changes the job; each alone (start false) is a deploy.
  const JOB_INPUT_SAMPLES: Record<string, Record<string, string>> = {
    image: { image: 'ghcr.io/alice/app:1' },
    'image-tag': { 'image-tag': '2' },
    'build-context': { 'build-context': '.', image: 'r.azurecr.io/app:1' },
    dockerfile: { 'build-context': '.', dockerfile: 'Dockerfile', image: 'r.azurecr.io/app:1' },
    'build-args': { 'build-context': '.', 'build-args': 'A=1', image: 'r.azurecr.io/app:1' },
    'registry-server': { 'registry-server': 'r.azurecr.io' },
    'registry-identity': { 'registry-identity': 'system' },
    'registry-username': { 'registry-username': 'u', 'registry-password': 'p4ssword' },
    'registry-password': { 'registry-username': 'u', 'registry-password': 'p4ssword' },
    'trigger-type': { 'trigger-type': 'Manual' },
    'cron-expression': { 'cron-expression': '0 6 * * *' },
    'replica-timeout': { 'replica-timeout': '300' },
    'replica-retry-limit': { 'replica-retry-limit': '1' },
    parallelism: { parallelism: '2' },
    'replica-completion-count': { 'replica-completion-count': '2' },
    cpu: { cpu: '0.5', memory: '1Gi' },
    memory: { cpu: '0.5', memory: '1Gi' },
    command: { command: 'python' },
    args: { args: 'main.py' },
    'env-vars': { 'env-vars': 'A=1' },
    secrets: { secrets: 'db=s3cret-value' },
    identity: { identity: UAI },
    tags: { tags: 'course=week6' },
    'job-yaml': { 'job-yaml': 'job.yaml' },
  };
  it('wantsDeploy is true for every input flagged `job`, alone; inputs without the flag ask for no deploy', () => {
    const jobInputs = INPUTS.filter((r) => r.changesJob).map((r) => r.name);
    expect(jobInputs.sort()).toEqual(Object.keys(JOB_INPUT_SAMPLES).sort());
    for (const name of jobInputs) {
      expect(parseWith({ ...BASE, ...JOB_INPUT_SAMPLES[name] }).wantsDeploy, name).toBe(true);
    }
    const c = parseWith({
      ...BASE,
      start: 'true',
      'container-name': 'main',
      environment: 'env-a',
      location: 'westeurope',
    });
    expect(c.wantsDeploy).toBe(false);
  });

  it('gives a frozen Config: nothing can change the parsed inputs later', () => {
    const c = parseWith({ ...BASE, start: 'true', 'env-vars': 'A=1' });
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => {
      (c as { image?: string }).image = 'other';
    }).toThrow(TypeError);
    expect(() => (c.envVars as unknown as unknown[]).push({ name: 'B', value: '2' })).toThrow(TypeError);
    expect(() => (c.secretValues as string[]).push('x')).toThrow(TypeError);
  });
});

describe('check-image, check-since, await-next-execution, on-failure', () => {
  it('defaults: check the image, keep on failure, no window, no waiting for the trigger', () => {
    const c = parseWith({ ...BASE, start: 'true' });
    expect(c.checkImage).toBe(true);
    expect(c.onFailure).toBe('keep');
    expect(c.checkSinceSec).toBeUndefined();
    expect(c.awaitNextSec).toBeUndefined();
  });

  it('parses them, durations as for timeout', () => {
    const c = parseWith({
      ...BASE,
      image: 'ghcr.io/a/b:1',
      start: 'true',
      'check-image': 'false',
      'check-since': '25h',
      'on-failure': 'Rollback',
    });
    expect(c).toMatchObject({ checkImage: false, checkSinceSec: 90000, onFailure: 'rollback' });
    expect(parseWith({ ...BASE, 'await-next-execution': '1h30m' }).awaitNextSec).toBe(5400);
  });

  it('check-since or await-next-execution alone is something to do (no start, no deploy)', () => {
    expect(parseWith({ ...BASE, 'check-since': '25h' }).start).toBe(false);
    expect(parseWith({ ...BASE, 'await-next-execution': '2h' }).start).toBe(false);
  });

  it('warns that rollback has nothing to put back when the step changes nothing', () => {
    expect(parseWith({ ...BASE, start: 'true', 'on-failure': 'rollback' }).warnings).toEqual([
      expect.stringContaining('nothing to put back'),
    ]);
    expect(parseWith({ ...BASE, start: 'true', image: 'ghcr.io/a/b:1', 'on-failure': 'rollback' }).warnings).toEqual(
      [],
    );
  });

  const cases: [string, Record<string, string>, string, RegExp][] = [
    ['check-image not a boolean', { start: 'true', 'check-image': 'yes' }, 'check-image', /true or false/],
    ['check-since not a duration', { 'check-since': 'a day' }, 'check-since', /90s, 10m, 1h/],
    ['check-since of 0', { 'check-since': '0' }, 'check-since', /between 1 second and 31 days/],
    ['check-since beyond 31 days', { 'check-since': '745h' }, 'check-since', /31 days/],
    ['await-next-execution beyond 5 days', { 'await-next-execution': '121h' }, 'await-next-execution', /5 days/],
    [
      'check-since with await-next-execution',
      { 'check-since': '25h', 'await-next-execution': '1h' },
      'await-next-execution',
      /cannot both be set.*keep one/,
    ],
    [
      'await-next-execution with start',
      { start: 'true', 'await-next-execution': '1h' },
      'await-next-execution',
      /remove start: true/,
    ],
    ['unknown on-failure', { start: 'true', 'on-failure': 'revert' }, 'on-failure', /not keep or rollback/],
    [
      'rollback without start',
      { image: 'ghcr.io/a/b:1', 'on-failure': 'rollback' },
      'on-failure',
      /start is false.*set start: true and wait: true/,
    ],
    [
      'rollback without wait',
      { image: 'ghcr.io/a/b:1', start: 'true', wait: 'false', 'on-failure': 'rollback' },
      'on-failure',
      /wait is false/,
    ],
  ];
  it.each(cases)('refuses %s', (_what, values, input, message) => {
    const e = inputError({ ...BASE, ...values });
    expect(e.input).toBe(input);
    expect(e.message).toMatch(message);
  });
});
