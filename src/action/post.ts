/**
 * The post step: runs after main, also when the workflow run was cancelled. If main started an execution and
 * was killed before it could see it end or stop it, or tried to stop it and could not, stop it here, so no run is
 * left billing. A failed read does not prevent the stop: when the state cannot be known, stopping is the safe side.
 */
import { azureDetail } from '../common/errors.js';
import { isFinal, stopCommand } from '../execution/execution.js';
import { connect, loadConfig, STATE_DONE, STATE_EXECUTION, STATE_STOP } from './context.js';
import { actionsToolkit, type Toolkit } from './toolkit.js';

export interface PostOptions {
  toolkit?: Toolkit;
}

export async function post(options: PostOptions = {}): Promise<void> {
  const kit = options.toolkit ?? actionsToolkit();
  const name = kit.getState(STATE_EXECUTION);
  if (!name || kit.getState(STATE_DONE) === 'true') return;
  const retryStop = kit.getState(STATE_STOP) === 'true';
  let label = `execution '${name}'`;
  try {
    const config = loadConfig(kit);
    if (!retryStop && (!config.stopOnCancel || !config.wait)) return;
    label = `execution '${name}' of job '${config.jobName}'`;
    const { api } = connect(kit, config);
    const why = retryStop ? 'its stop failed in the main step' : 'stop-on-cancel';
    const status = await api.getExecution(name).then(
      (execution) => execution.status,
      (error: unknown) => {
        kit.warning(`Could not read ${label} (${azureDetail(error)}): stopping it anyway (${why}).`);
        return 'unknown';
      },
    );
    if (isFinal(status)) {
      kit.info(`Execution ${name} already ended ${status}.`);
      return;
    }
    if (status !== 'unknown')
      kit.info(`The main step ended while execution ${name} was ${status ?? 'running'}: stopping it (${why}).`);
    try {
      await api.stopExecution(name);
      kit.info(`Stopped execution ${name}.`);
    } catch (error) {
      kit.warning(
        `Could not stop ${label} (${azureDetail(error)}); it may still be running. Stop it with: ${stopCommand(api, name)}`,
      );
    }
  } catch (error) {
    kit.warning(
      `Could not make sure ${label} was stopped: ${azureDetail(error)}. Check it in the portal or with: az containerapp job execution list`,
    );
  }
}
