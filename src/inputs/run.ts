/**
 * The run inputs (start, wait, timeout, ... on-failure, the execution overrides, check-since, await-next-execution),
 * logs, api-version, and the rules between inputs of different groups.
 */
import { InputError } from '../common/errors.js';
import {
  API_VERSION_RE,
  DEFAULT_LOGS_WAIT_SEC,
  MAX_LOGS_WAIT_SEC,
  MAX_TIMEOUT_SEC,
  parseDuration,
  parseImage,
  parseList,
  q,
} from './fields.js';
import { parseEnvVars } from './lists.js';
import { readBoolean, readChoice, type Get } from './table.js';
import type { Config } from './types.js';

/** check-since may look back this far (a weekly schedule checked with some margin fits). */
export const MAX_CHECK_SINCE_SEC = 31 * 24 * 3600;

type RunFields = Pick<
  Config,
  | 'start'
  | 'wait'
  | 'timeoutSec'
  | 'onTimeout'
  | 'stopOnCancel'
  | 'onFailure'
  | 'execution'
  | 'checkSinceSec'
  | 'awaitNextSec'
>;

/** A duration input between 1 second and `max` seconds; undefined when blank. */
function readDurationInput(get: Get, name: string, max: number, maxText: string, example: string): number | undefined {
  const text = get(name);
  if (text === '') return undefined;
  const seconds = parseDuration(text, name);
  if (seconds < 1 || seconds > max) {
    throw new InputError(name, `${name} must be between 1 second and ${maxText}, not ${q(text)}; e.g. ${example}.`);
  }
  return seconds;
}

export function readRun(get: Get, warnings: string[]): RunFields {
  const start = readBoolean(get, 'start');
  const wait = readBoolean(get, 'wait');
  const timeoutText = get('timeout');
  let timeoutSec: number | undefined;
  if (timeoutText !== '') {
    timeoutSec = parseDuration(timeoutText, 'timeout');
    if (timeoutSec < 1 || timeoutSec > MAX_TIMEOUT_SEC) {
      throw new InputError(
        'timeout',
        `timeout must be between 1 second and 5 days (GitHub's longest job), not ${q(timeoutText)}; e.g. 10m, or leave it empty to derive it from replica-timeout.`,
      );
    }
  }
  const onTimeout =
    readChoice<'stop' | 'leave'>(
      get,
      'on-timeout',
      'stop stops the execution when the wait times out, leave leaves it running.',
    ) ?? 'stop';
  const stopOnCancel = readBoolean(get, 'stop-on-cancel');
  const onFailure =
    readChoice<'keep' | 'rollback'>(
      get,
      'on-failure',
      'keep leaves the job as this step deployed it, rollback puts back what this step changed when its execution fails.',
    ) ?? 'keep';
  const envVars = parseEnvVars('execution-env-vars', get('execution-env-vars'), warnings);
  const command = parseList('execution-command', get('execution-command'));
  const args = parseList('execution-args', get('execution-args'));
  const image = get('execution-image') || undefined;
  if (image !== undefined) parseImage('execution-image', image, warnings);
  const checkSinceSec = readDurationInput(get, 'check-since', MAX_CHECK_SINCE_SEC, '31 days', '25h for a daily job');
  const awaitNextSec = readDurationInput(
    get,
    'await-next-execution',
    MAX_TIMEOUT_SEC,
    "5 days (GitHub's longest job)",
    '2h',
  );
  return {
    start,
    wait,
    timeoutSec,
    onTimeout,
    stopOnCancel,
    onFailure,
    execution: { envVars, command, args, image },
    checkSinceSec,
    awaitNextSec,
  };
}

export function readLogs(get: Get): Pick<Config, 'logs' | 'logsWaitSec'> {
  const logs = readBoolean(get, 'logs');
  const logsWaitText = get('logs-wait');
  const logsWaitSec = logsWaitText === '' ? DEFAULT_LOGS_WAIT_SEC : parseDuration(logsWaitText, 'logs-wait');
  if (logsWaitSec > MAX_LOGS_WAIT_SEC) {
    throw new InputError(
      'logs-wait',
      `logs-wait must be at most ${MAX_LOGS_WAIT_SEC / 60} minutes, not ${q(logsWaitText)}: it delays the step's result; e.g. 30s, or 0 to not wait for Log Analytics.`,
    );
  }
  return { logs, logsWaitSec };
}

export function readApiVersion(get: Get): string | undefined {
  const apiVersion = get('api-version') || undefined;
  if (apiVersion !== undefined) {
    const m = API_VERSION_RE.exec(apiVersion);
    const month = Number(m?.[2]);
    const day = Number(m?.[3]);
    if (!m || month < 1 || month > 12 || day < 1 || day > 31) {
      throw new InputError(
        'api-version',
        `api-version ${q(apiVersion)} is not a management API version like 2025-07-01 or 2025-10-02-preview; leave it empty to use the default.`,
      );
    }
  }
  return apiVersion;
}

/** The rules between the run inputs and the rest; pushes warnings for settings that have no effect. */
export function checkRunRules(run: RunFields, dryRun: boolean, wantsDeploy: boolean, warnings: string[]): void {
  const { start, wait } = run;
  const executionInputs: [string, unknown][] = [
    ['execution-env-vars', run.execution.envVars],
    ['execution-command', run.execution.command],
    ['execution-args', run.execution.args],
    ['execution-image', run.execution.image],
  ];
  const executionInput = executionInputs.find(([, v]) => v !== undefined);
  if (!start && executionInput) {
    throw new InputError(
      executionInput[0],
      `${executionInput[0]} applies only to an execution this step starts, but start is false: set start: true, or move the setting to the job (${executionInput[0].replace('execution-', '')}).`,
    );
  }
  if (run.checkSinceSec !== undefined && run.awaitNextSec !== undefined) {
    throw new InputError(
      'await-next-execution',
      'check-since and await-next-execution cannot both be set: check-since judges the executions that already ran, await-next-execution waits for the next one; keep one.',
    );
  }
  if (run.awaitNextSec !== undefined && start) {
    throw new InputError(
      'await-next-execution',
      "await-next-execution waits for an execution that the job's own trigger starts, but start is true, so this step would start its own: remove start: true, or remove await-next-execution.",
    );
  }
  if (run.onFailure === 'rollback' && (!start || !wait)) {
    throw new InputError(
      'on-failure',
      `on-failure: rollback puts the job back when the execution this step starts fails, but ${start ? 'wait is false, so the step never learns the result' : 'start is false, so this step starts none'}: set start: true and wait: true, or on-failure: keep.`,
    );
  }
  if (!start && !wantsDeploy && run.checkSinceSec === undefined && run.awaitNextSec === undefined) {
    throw new InputError(
      'start',
      'Nothing to do: start is false and no input asks to change the job; set image (or image-tag, env-vars, ...) to deploy, or start: true to run the job as it is.',
    );
  }
  if (run.onFailure === 'rollback' && !wantsDeploy) {
    warnings.push(
      'on-failure is rollback, but no input asks to change the job, so there is nothing to put back if the execution fails.',
    );
  }
  if (start && !wait) {
    if (run.timeoutSec !== undefined)
      warnings.push('timeout is ignored because wait is false: the step does not wait for the execution.');
    if (run.onTimeout === 'leave')
      warnings.push('on-timeout is ignored because wait is false: the step does not wait for the execution.');
  }
  if (dryRun && start) {
    warnings.push('dry-run is true, so no execution is started (start is ignored).');
  }
}
