/**
 * The main step: parse and validate inputs (before any call to Azure), sign in, deploy, start, watch, report.
 * Wiring only: each piece of logic lives in its own module; the runner and Azure come in through a `Toolkit`.
 */
import { jobResourceId, type Job } from '../azure/arm.js';
import { buildAndPush } from '../build/build.js';
import { checkImage } from '../job/image-check.js';
import { systemClock, type Clock } from '../common/clock.js';
import { readDefinition, type Definition } from '../job/definition.js';
import { deploy, type DeployResult } from '../job/deploy.js';
import { ActionError, azureDetail, describeAzureError, JobBusyError } from '../common/errors.js';
import {
  defaultTimeoutSec,
  exitFromEvents,
  isFinal,
  startExecution,
  watchExecution,
  type Outcome,
} from '../execution/execution.js';
import { executionTemplate } from '../job/spec.js';
import { outputsOf, portalExecutionsUrl, portalJobUrl, renderSummary, type Report } from '../report/report.js';
import { redact } from '../common/secrets.js';
import type { Config } from '../inputs/config.js';
import { connect, loadConfig, STATE_DONE, STATE_EXECUTION, STATE_IS_POST, STATE_STOP } from './context.js';
import { diagnose, type Evidence } from '../execution/diagnose.js';
import { startExecutionLogs, type ExecutionLogs } from '../logs/run.js';
import { actionsToolkit, type Connection, type Toolkit } from './toolkit.js';
import { awaitNextExecution, checkWindow } from './history.js';
import { recordOnJob, runRecordOf, type RunRecord } from '../job/run-record.js';
import { usageOf } from '../report/cost.js';
import { imageAfterRollback, rollbackAfterFailure, rollbackDue } from './rollback.js';

/**
 * Deploys; a write that met another operation on the job (409) comes back once that operation finished (JobBusyError):
 * the change is planned again against the job as it is now (re-read), at most three times.
 */
async function deployPatiently(
  kit: Pick<Toolkit, 'info'>,
  config: Parameters<typeof deploy>[0],
  live: Parameters<typeof deploy>[1],
  definition: Parameters<typeof deploy>[3],
  deps: Parameters<typeof deploy>[2],
): Promise<DeployResult> {
  let current = live;
  for (let attempt = 1; ; attempt++) {
    try {
      return await deploy(config, current, deps, definition);
    } catch (error) {
      if (!(error instanceof JobBusyError) || attempt >= 3) throw error;
      current = await deps.api.getJob();
      kit.info(
        `Job ${config.jobName}: the other operation finished; planning this change against the job as it is now.`,
      );
    }
  }
}

export interface MainOptions {
  toolkit?: Toolkit;
  clock?: Clock;
}

/** Where the run is, so that an unexpected error still names what it was doing and to which job/execution. */
interface Where {
  doing: string;
  job?: string;
  resourceGroup?: string;
  execution?: string;
}

/** One run of the main step: what every phase needs. */
interface Run {
  kit: Toolkit;
  clock: Clock;
  config: Config;
  report: Report;
  where: Where;
  /** Aborted when the workflow run is cancelled. */
  signal: AbortSignal;
  jobLabel: string;
  /** When the step began (clock). */
  startedAt: number;
  /** This workflow run, recorded on the job's tags by every write. */
  record?: RunRecord;
  /** The job as read before the deploy, and what the deploy did (for on-failure: rollback). */
  before?: Job;
  deployed?: DeployResult;
}

function messageOf(error: unknown, where: Where): string {
  if (error instanceof ActionError) return error.message;
  const names = [
    ...(where.job ? [`job '${where.job}' in resource group '${where.resourceGroup}'`] : []),
    ...(where.execution ? [`execution '${where.execution}'`] : []),
  ];
  const about = names.length ? ` (${names.join(', ')})` : '';
  return `Unexpected error while trying to ${where.doing}${about}: ${azureDetail(error)}. Rerun the step; if it happens again, report it with this message.`;
}

export async function main(options: MainOptions = {}): Promise<void> {
  const kit = options.toolkit ?? actionsToolkit();
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const cancelled = new AbortController();
  kit.onCancel((signal) => {
    if (cancelled.signal.aborted) return;
    kit.info(`Received ${signal}: the workflow run is being cancelled.`);
    cancelled.abort();
  });
  kit.saveState(STATE_IS_POST, 'true');

  const where: Where = { doing: 'read the inputs' };
  let report: Report | undefined;
  try {
    const config = loadConfig(kit);
    for (const notice of config.notices) kit.notice(notice);
    for (const warning of config.warnings) kit.warning(warning);
    Object.assign(where, { job: config.jobName, resourceGroup: config.resourceGroup });
    report = newReport(config);
    const jobLabel = `job '${config.jobName}' in resource group '${config.resourceGroup}'`;
    const record = kit.run ? runRecordOf(kit.run) : undefined;
    await run({ kit, clock, config, report, where, signal: cancelled.signal, jobLabel, startedAt, record });
  } catch (error) {
    const message = messageOf(error, where);
    if (report) report.failure = message;
    if (!(error instanceof ActionError) && error instanceof Error && error.stack) kit.debug(error.stack);
    kit.setFailed(redact(message));
  } finally {
    if (report) {
      for (const [name, value] of Object.entries(outputsOf(report))) kit.setOutput(name, value);
      await kit.writeSummary(redact(renderSummary(report, redact)));
    }
  }
}

function newReport(config: Config): Report {
  return {
    jobName: config.jobName,
    resourceGroup: config.resourceGroup,
    jobId: jobResourceId(config.auth.subscriptionId, config.resourceGroup, config.jobName),
    portalBase: config.auth.portalUrl,
    tenantId: config.auth.tenantId,
    dryRun: config.dryRun,
    changes: [],
    rollbackAsked: config.onFailure === 'rollback',
  };
}

/** inputs → sign-in → (build) → deploy → start/watch → logs; the report is filled in on the way. */
async function run(r: Run): Promise<void> {
  const { kit, config, where } = r;
  // job-yaml: read (masking its secret values first) and checked before any call to Azure.
  where.doing = 'read job-yaml';
  const definition = config.jobYaml
    ? readDefinition(config.jobYaml, { workspace: kit.env.GITHUB_WORKSPACE, mask: kit.mask })
    : undefined;
  where.doing = 'sign in to Azure';
  const azure = connect(kit, config);
  where.doing = 'read the job';
  const live = await azure.api.getJob().catch((error: unknown) => {
    throw describeAzureError(error, 'read', r.jobLabel);
  });
  r.before = live;
  const lastChangedBy = recordOnJob(live?.tags);
  if (lastChangedBy) r.report.lastChangedBy = lastChangedBy;
  // build-context: build and push, then deploy what was pushed, by digest (a local value: config stays as parsed).
  where.doing = 'build and push the image';
  const built = config.build
    ? await buildAndPush(config, {
        api: azure.api,
        credential: azure.credential,
        live,
        signal: r.signal,
        env: kit.env,
        log: { info: kit.info, warning: kit.warning, debug: kit.debug, mask: kit.mask, group: kit.group },
      })
    : undefined;
  // check-image: the image exists in its registry, before anything is written (a dry run checks too).
  where.doing = 'check the image';
  if (config.wantsDeploy)
    await checkImage(config, live, { api: azure.api, credential: azure.credential, info: kit.info, mask: kit.mask });
  where.doing = 'deploy the job';
  const job = await deployJob(r, azure, live, definition, built?.image);
  if (config.onFailure === 'rollback' && r.deployed?.operation === 'updated' && !r.deployed.job.configuration) {
    // Azure's answer to the write had no job in it: what the write produced is read now, for the rollback's check.
    const read = await azure.api.getJob().catch(() => undefined);
    if (read) r.deployed = { ...r.deployed, job: read };
  }
  kit.info(`Job in the portal: ${portalJobUrl(r.report.portalBase, r.report.tenantId, r.report.jobId)}`);
  const starts = config.start && !config.dryRun;
  if (config.checkSinceSec !== undefined) {
    const failure = await checkWindow(r, azure, job);
    if (failure && !starts) throw new ActionError(failure);
    if (failure) {
      // start: true as well: the check's error now; the execution is started and watched as usual after it.
      r.report.failure = failure;
      kit.setFailed(redact(failure));
    }
  }
  if (config.awaitNextSec !== undefined)
    await awaitNextExecution(r, azure, job, (found) => follow(r, azure, job, found.name!, found.id));
  else if (starts) await startAndWatch(r, azure, job);
}

/** Creates or updates the job (or checks that it exists when nothing is to change); returns the job to start. */
async function deployJob(
  r: Run,
  azure: Connection,
  live: Job | undefined,
  definition: Definition | undefined,
  builtImage: string | undefined,
): Promise<Job> {
  const { kit, config, report } = r;
  if (!config.wantsDeploy) {
    if (!live)
      throw new ActionError(
        `Job '${config.jobName}' was not found in resource group '${config.resourceGroup}': fix 'job-name' / 'resource-group', or set 'image' and 'environment' to create it.`,
      );
    report.image = live.template?.containers?.[0]?.image;
    return live;
  }
  const wanted: Config = builtImage ? { ...config, image: builtImage } : config;
  const deployed: DeployResult = await kit.group(`Deploy ${config.jobName}`, async () => {
    const deps = { api: azure.api, mask: kit.mask, info: kit.info, notice: kit.notice, warning: kit.warning };
    const result = await deployPatiently(kit, wanted, live, definition, {
      ...deps,
      now: () => r.clock.now(),
      record: r.record,
    }).catch((error: unknown) => {
      throw describeAzureError(error, live ? 'update' : 'create', r.jobLabel);
    });
    const verb = config.dryRun ? `would be ${result.operation} (dry run: nothing written)` : result.operation;
    kit.info(`Job ${config.jobName}: ${verb}.`);
    for (const c of result.changes) {
      kit.info(`  ${c.field}: ${c.from ?? '(none)'} -> ${c.to ?? '(removed)'}${c.source ? `  [${c.source}]` : ''}`);
    }
    for (const note of result.notes ?? []) kit.info(note);
    return result;
  });
  r.deployed = deployed;
  report.operation = deployed.operation;
  report.changes = deployed.changes;
  report.image = deployed.image;
  if (deployed.notes?.length) report.notes = [...(report.notes ?? []), ...deployed.notes];
  return deployed.job;
}

/** Starts one execution and, with wait, watches it to its end, streams its logs and reports the outcome. */
async function startAndWatch(r: Run, azure: Connection, job: Job): Promise<void> {
  const { kit, config, where, clock } = r;
  if (r.signal.aborted)
    throw new ActionError('The workflow run was cancelled before the execution was started; nothing was started.');
  where.doing = 'start an execution';
  const log = { info: kit.info, warning: kit.warning, debug: kit.debug };
  const template = executionTemplate(config, job);
  const started = await startExecution(azure.api, template, { clock, log, job }).catch((error: unknown) => {
    throw describeAzureError(error, 'start', r.jobLabel);
  });
  kit.info(`Started execution ${started.name!}${template ? ' with per-execution overrides' : ''}.`);
  await follow(r, azure, job, started.name!, started.id);
}

/**
 * Follows an execution (one this step started, or the one await-next-execution saw start): saves it for post,
 * and with wait watches it to its end, streams its logs and reports the outcome.
 */
async function follow(r: Run, azure: Connection, job: Job, name: string, id: string | undefined): Promise<void> {
  const { kit, config, report, where, clock } = r;
  const log = {
    info: (m: string) => kit.info(m),
    warning: (m: string) => kit.warning(m),
    debug: (m: string) => kit.debug(m),
  };
  where.execution = name;
  kit.saveState(STATE_EXECUTION, name);
  kit.info(`Executions in the portal: ${portalExecutionsUrl(report.portalBase, report.tenantId, report.jobId)}`);
  report.execution = { name, id, status: 'Running' };
  if (!config.wait) {
    kit.saveState(STATE_DONE, 'true');
    return;
  }
  where.doing = 'watch the execution';
  const timeoutSec =
    config.timeoutSec ?? defaultTimeoutSec(job.configuration?.replicaTimeout, job.configuration?.replicaRetryLimit);
  // logs: true streams the replicas' output in groups of its own, so the watch prints outside a group.
  const logs: ExecutionLogs | undefined = config.logs
    ? startExecutionLogs({
        config,
        job,
        jobApi: azure.api,
        logsApi: azure.logsApi(),
        execution: name,
        clock,
        out: { ...log, line: kit.line, secret: kit.mask },
        // The summary is not masked by the runner: hide known secret values in what comes from containers.
        mask: redact,
      })
    : undefined;
  const outcome: Outcome = await watchExecution(azure.api, name, {
    clock,
    log,
    timeoutSec,
    onTimeout: config.onTimeout,
    stopOnCancel: config.stopOnCancel,
    signal: r.signal,
    ...logs?.watch,
  });
  saveWatchState(r, outcome);
  report.execution = {
    name,
    id,
    status: outcome.status,
    durationSec: outcome.durationSec,
    exitCode: outcome.exitCode,
    reason: outcome.reason,
    message: outcome.message,
    stoppedByAction: outcome.stoppedByAction,
  };
  where.doing = 'read the execution logs';
  // Best effort, bounded: the logs never change the result (see logs/run.ts for the time it may add).
  const seen = await logs?.finish(outcome, r.signal).catch((error: unknown) => {
    kit.debug(`Logs: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return undefined;
  });
  if (seen) report.logs = { ...seen.summary, tail: seen.summary.tail.map(redact) };
  // Before api-version 2026-07-01 executions carry no detailedStatus: the exit code comes from system events.
  if (outcome.exitCode === undefined && seen) {
    Object.assign(outcome, exitFromEvents(seen.evidence.events));
    if (report.execution) report.execution.exitCode = outcome.exitCode;
  }
  const usage = outcome.status !== 'Running' ? usageOf(outcome.durationSec, outcome.execution, job) : undefined;
  if (usage) report.usage = usage;
  if (outcome.status !== 'Succeeded') {
    const evidence: Evidence = seen?.evidence ?? { job, events: [], tailOf: () => [], waiting: [] };
    const failure = diagnose(outcome, config.jobName, name, timeoutSec, evidence).message;
    if (config.onFailure !== 'rollback' || !rollbackDue(outcome.status)) throw new ActionError(redact(failure));
    where.doing = 'roll the job back';
    const deps = { api: azure.api, clock, info: (m: string) => kit.info(m), warning: (m: string) => kit.warning(m) };
    const rolled = await rollbackAfterFailure(
      { config, before: r.before, deployed: r.deployed, record: r.record, deps },
      failure,
    );
    report.rollback = rolled.report;
    const before = r.deployed?.before ?? r.before;
    if (rolled.report.rolledBack && before && r.deployed) report.image = imageAfterRollback(before, r.deployed);
    throw new ActionError(redact(rolled.message));
  }
  kit.info(`Execution ${name} succeeded in ${outcome.durationSec ?? '?'} s.`);
}

/**
 * Tells post whether anything is left to do: nothing once the execution ended, was stopped, vanished, or was left
 * running as the user asked; a stop that failed is tried again in post.
 */
function saveWatchState(r: Run, outcome: Outcome): void {
  const { config } = r;
  if (outcome.stopFailed) r.kit.saveState(STATE_STOP, 'true');
  const leftAsAsked =
    ((outcome.status === 'TimedOut' || outcome.status === 'Unknown') && config.onTimeout === 'leave') ||
    (outcome.status === 'Cancelled' && !config.stopOnCancel);
  const handled =
    isFinal(outcome.status) || outcome.status === 'NotFound' || outcome.stoppedByAction === true || leftAsAsked;
  if (handled) r.kit.saveState(STATE_DONE, 'true');
}
