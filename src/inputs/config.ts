/**
 * All of the action's input parsing and validation: raw inputs in, an immutable typed Config out, or an InputError
 * that names the input, says what is wrong and shows a right value. Pure: no I/O, no @actions/core; the caller passes
 * `getInput` and the environment.
 *
 * Where things are
 * - inputs-table.ts (generated from action.yml by scripts/gen-inputs.ts): every input's kind, default, group and
 *   flags (secret, changes the job, create-only). table.ts applies it: defaults, booleans, choices, wantsDeploy and
 *   the secret values to mask before parsing.
 * - fields.ts: the single-value parsers; lists.ts: the NAME=value lists; endpoints.ts: clouds and endpoint overrides.
 * - auth.ts, deploy.ts, run.ts: one reader per group of inputs. The rules between inputs stay as code there.
 *
 * Conventions
 * - Inputs are trimmed; multi-line inputs are split on \n (also \r\n and \r). Blank lines are skipped everywhere, and
 *   lines starting with '#' are comments in the key=value lists (env-vars, secrets, tags, build-args, identity).
 * - Settings whose default applies only on create (trigger-type, replica-timeout, cpu, ...) stay `undefined` when
 *   blank, so an update leaves them as they are. Defaults that action.yml declares (auth-type, audience, cloud, start,
 *   wait, ...) are applied from the table too, so running without the runner's defaults behaves the same.
 * - The first problem found is thrown, in a stable order: inputs by group, then rules between inputs.
 * - No message ever contains a value from `secrets` or `registry-password`; for env-vars only names are shown.
 */
import { readAuth } from './auth.js';
import { readBuild, readContainer, readImage, readRegistry, readResources, readTarget, readTrigger } from './deploy.js';
import { readApiVersion, readLogs, readRun, checkRunRules } from './run.js';
import { inputReader, readBoolean, wantsDeployFrom } from './table.js';
import type { Config } from './types.js';

export type {
  AuthConfig,
  AuthType,
  CloudName,
  Config,
  EnvVarSpec,
  ImageReference,
  SecretSpec,
  TriggerType,
} from './types.js';
export { DEFAULT_LOGS_WAIT_SEC, isAcrHost, parseDuration, parseImageReference } from './fields.js';
export { secretValuesFromInputs } from './table.js';

/**
 * Pure: no I/O. getInput returns the raw input ('' when not set). env is process.env-like.
 * Throws InputError (the first problem found, in a stable order).
 */
export function parseConfig(getInput: (name: string) => string, env: Record<string, string | undefined>): Config {
  const get = inputReader(getInput);
  const warnings: string[] = [];
  const notices: string[] = [];

  const auth = readAuth(get, env);
  const target = readTarget(get);
  const images = readImage(get, auth.cloud, target.jobName);
  const checkImage = readBoolean(get, 'check-image');
  const registry = readRegistry(get, images, warnings);
  const build = readBuild(get, images, target.jobName, warnings);
  const trigger = readTrigger(get);
  const resources = readResources(get, warnings, notices);
  const container = readContainer(get, warnings);
  const run = readRun(get, warnings);
  const logs = readLogs(get);
  const dryRun = readBoolean(get, 'dry-run');
  const apiVersion = readApiVersion(get);

  const image = images.image ? images.imageText : undefined;
  // By input name: the parsed value of every input that changes the job (flag `job` in action.yml).
  const wantsDeploy = wantsDeployFrom({
    image,
    'image-tag': images.imageTag,
    'build-context': build,
    dockerfile: build?.dockerfile,
    'build-args': build && Object.keys(build.buildArgs).length > 0 ? build.buildArgs : undefined,
    'registry-server': registry.server,
    'registry-identity': registry.identity,
    'registry-username': registry.username,
    'registry-password': registry.password,
    'trigger-type': trigger.triggerType,
    'cron-expression': trigger.cronExpression,
    'replica-timeout': resources.replicaTimeout,
    'replica-retry-limit': resources.replicaRetryLimit,
    parallelism: resources.parallelism,
    'replica-completion-count': resources.replicaCompletionCount,
    cpu: resources.cpu,
    memory: resources.memory,
    command: container.command,
    args: container.args,
    'env-vars': container.envVars,
    secrets: container.secrets,
    identity: container.identity,
    tags: container.tags,
    'job-yaml': container.jobYaml,
  });
  checkRunRules(run, dryRun, wantsDeploy, warnings);

  const secretValues: string[] = [];
  for (const s of container.secrets ?? []) if (s.value !== undefined) secretValues.push(s.value);
  if (registry.password !== undefined) secretValues.push(registry.password);

  const config: Config = {
    auth,
    ...target,
    image,
    imageTag: images.imageTag,
    containerName: images.containerName,
    checkImage,
    registry,
    build,
    ...trigger,
    ...resources,
    ...container,
    ...run,
    ...logs,
    dryRun,
    apiVersion,
    wantsDeploy,
    secretValues,
    warnings,
    notices,
  };
  return deepFreeze(config);
}

/** Freezes `value` and everything it holds, so no later step can change the parsed inputs by accident. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
