/**
 * on-failure: rollback, wired: after the execution this step started fails or times out, put the job back when this
 * step changed it, and fold what happened into the step's one error line. Also the run record of this workflow run.
 */
import type { Job } from '../azure/arm.js';
import type { Clock } from '../common/clock.js';
import type { Config } from '../inputs/config.js';
import type { DeployResult } from '../job/deploy.js';
import type { OutcomeStatus } from '../execution/execution.js';
import { rollBack, type RollbackDeps } from '../job/rollback-flow.js';
import { runTags, type RunRecord } from '../job/run-record.js';
import type { RollbackReport } from '../report/record.js';

/** Statuses after which a rollback is due: the execution failed or did not finish in time (not a cancelled run). */
export function rollbackDue(status: OutcomeStatus): boolean {
  return status === 'Failed' || status === 'Degraded' || status === 'Stopped' || status === 'TimedOut';
}

export interface RollbackStep {
  config: Config;
  /** The job as this step read it before deploying (undefined: it did not exist). */
  before: Job | undefined;
  deployed: DeployResult | undefined;
  record: RunRecord | undefined;
  deps: Omit<RollbackDeps, 'clock'> & { clock: Clock };
}

/** The image of the target container once the job is back as `before` (the `image` output: what is deployed). */
export function imageAfterRollback(before: Job, deployed: DeployResult): string | undefined {
  const after = deployed.job.template?.containers ?? [];
  const target = after.find((c) => c.image === deployed.image) ?? after[0];
  const containers = before.template?.containers ?? [];
  return (containers.find((c) => c.name === target?.name) ?? containers[0])?.image;
}

/** The failure's first line with `note` after it (one error line; the container's last lines stay below it). */
export function withNote(failure: string, note: string): string {
  const i = failure.indexOf('\n');
  return i < 0 ? `${failure} ${note}` : `${failure.slice(0, i)} ${note}${failure.slice(i)}`;
}

const friendly = (path: string): string => path.replace(/^properties\./, '');

/**
 * After a failed or timed-out execution with on-failure: rollback: puts the job back when this step changed it,
 * and returns the error message (the failure with what was restored, or why nothing was) and the report.
 */
export async function rollbackAfterFailure(
  step: RollbackStep,
  failure: string,
): Promise<{ message: string; report: RollbackReport }> {
  const { config, deployed } = step;
  // The job the deploy planned against (it reads the job again when another operation held it).
  const before = deployed?.before ?? step.before;
  const job = `job '${config.jobName}'`;
  if (deployed?.operation === 'created') {
    const note = `${job} was created by this step, so there is nothing to put back: it is left as it is (on-failure: rollback only undoes changes to an existing job).`;
    return { message: withNote(failure, `Not rolled back: ${note}`), report: { rolledBack: false, note } };
  }
  if (!deployed || deployed.operation !== 'updated' || !deployed.restore || !before) {
    const note = `this step did not change ${job}, so there is nothing to put back.`;
    return { message: withNote(failure, `Not rolled back: ${note}`), report: { rolledBack: false, note } };
  }
  const sentSecrets = deployed.written?.properties?.configuration?.secrets;
  const extraTags = step.record ? runTags(step.record) : undefined;
  const patch = extraTags
    ? { ...deployed.restore, tags: { ...(deployed.restore.tags ?? {}), ...extraTags } }
    : deployed.restore;
  let result;
  try {
    result = await rollBack(
      {
        jobName: config.jobName,
        before,
        written: deployed.job,
        patch,
        changes: deployed.changes,
        ...(sentSecrets ? { secretsWritten: sentSecrets } : {}),
        ...(extraTags ? { extraTags } : {}),
      },
      step.deps,
    );
  } catch (error) {
    result = {
      rolledBack: false as const,
      conflict: false as const,
      reason: `reading ${job} back failed (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
    };
  }
  if (result.rolledBack) {
    const note = `${job} was rolled back: ${result.restored}.`;
    step.deps.info(`Rolled back ${job} to what it was before this step: ${result.restored}.`);
    return {
      message: withNote(failure, `The job was rolled back: ${result.restored}.`),
      report: { rolledBack: true, note },
    };
  }
  const note = result.conflict
    ? `${job} was changed after this step wrote it (${result.fields.map(friendly).join(', ')}), so putting back this step's changes would overwrite that change: check the job's activity log in the portal and restore it by hand if needed.`
    : `${result.reason}; ${job} may still have this step's changes: check it in the portal and rerun the step, or restore it by hand.`;
  return { message: withNote(failure, `Not rolled back: ${note}`), report: { rolledBack: false, note } };
}
