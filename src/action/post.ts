/**
 * The post step: runs after main, also when the workflow run was cancelled. If main started an execution and
 * was killed before it could see it end or stop it, stop it here (stop-on-cancel), so no run is left billing.
 */
import * as core from '@actions/core';
import { isFinal } from '../execution/execution.js';
import { connect, loadConfig, STATE_DONE, STATE_EXECUTION } from './context.js';

export async function post(): Promise<void> {
  const name = core.getState(STATE_EXECUTION);
  if (!name || core.getState(STATE_DONE) === 'true') return;
  try {
    const config = loadConfig();
    if (!config.stopOnCancel || !config.wait) return;
    const { api } = connect(config);
    const execution = await api.getExecution(name);
    if (isFinal(execution.status)) {
      core.info(`Execution ${name} already ended ${execution.status}.`);
      return;
    }
    core.info(
      `The main step ended while execution ${name} was ${execution.status ?? 'running'}: stopping it (stop-on-cancel).`,
    );
    await api.stopExecution(name);
    core.info(`Stopped execution ${name}.`);
  } catch (error) {
    core.warning(
      `Could not make sure execution '${name}' was stopped: ${error instanceof Error ? error.message : String(error)}. Check it in the portal or with: az containerapp job execution list`,
    );
  }
}
