/**
 * The main step: parse and validate inputs (before any call to Azure), sign in, deploy, start, watch, report.
 * Wiring only: each piece of logic lives in its own module.
 */
import * as core from '@actions/core';
import { jobResourceId } from '../azure/arm.js';
import { buildAndPush } from '../build/build.js';
import { systemClock, type Clock } from '../common/clock.js';
import { readDefinition } from '../job/definition.js';
import { checkImage } from '../job/image-check.js';
import { deploy, type DeployResult } from '../job/deploy.js';
import { ActionError, describeAzureError } from '../common/errors.js';
import { defaultTimeoutSec, isFinal, startExecution, watchExecution, type Outcome } from '../execution/execution.js';
import { executionTemplate } from '../job/spec.js';
import { outputsOf, portalExecutionsUrl, portalJobUrl, renderSummary, type Report } from '../report/report.js';
import { mask, redact } from '../common/secrets.js';
import { connect, loadConfig, STATE_DONE, STATE_EXECUTION, STATE_IS_POST, USER_AGENT } from './context.js';
import { diagnose, type Evidence } from '../execution/diagnose.js';
import { createLogsApi } from '../azure/logs-api.js';
import { startExecutionLogs, type ExecutionLogs } from '../logs/run.js';

const logger = { info: core.info, warning: core.warning, debug: core.debug };

function messageOf(error: unknown): string {
  if (error instanceof ActionError) return error.message;
  if (error instanceof Error) return `Unexpected error: ${error.message}`;
  return `Unexpected error: ${String(error)}`;
}

export interface MainOptions {
  clock?: Clock;
}

export async function main(options: MainOptions = {}): Promise<void> {
  const clock = options.clock ?? systemClock;
  const cancelled = new AbortController();
  const onSignal = (signal: string): void => {
    if (cancelled.signal.aborted) return;
    core.info(`Received ${signal}: the workflow run is being cancelled.`);
    cancelled.abort();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  core.saveState(STATE_IS_POST, 'true');

  let report: Report | undefined;
  try {
    let config = loadConfig();
    for (const notice of config.notices) core.notice(notice);
    for (const warning of config.warnings) core.warning(warning);
    const jobId = jobResourceId(config.auth.subscriptionId, config.resourceGroup, config.jobName);
    const r: Report = {
      jobName: config.jobName,
      resourceGroup: config.resourceGroup,
      jobId,
      portalBase: config.auth.portalUrl,
      tenantId: config.auth.tenantId,
      dryRun: config.dryRun,
      changes: [],
    };
    report = r;
    // job-yaml: read (masking its secret values first) and checked before any call to Azure.
    const definition = config.jobYaml
      ? readDefinition(config.jobYaml, { workspace: process.env.GITHUB_WORKSPACE, mask })
      : undefined;
    const { api, credential } = connect(config);
    const jobLabel = `job '${config.jobName}' in resource group '${config.resourceGroup}'`;

    const live = await api.getJob().catch((error: unknown) => {
      throw describeAzureError(error, 'read', jobLabel);
    });
    // build-context: build and push, then deploy what was pushed, by digest.
    if (config.build)
      config = {
        ...config,
        image: (await buildAndPush(config, { api, credential, live, signal: cancelled.signal })).image,
      };

    // check-image: the image exists in its registry, before anything is written (a dry run checks too).
    if (config.wantsDeploy) await checkImage(config, live, { api, credential, info: core.info, mask });

    let deployed: DeployResult | undefined;
    if (config.wantsDeploy) {
      deployed = await core.group(`Deploy ${config.jobName}`, async () => {
        const result = await deploy(
          config,
          live,
          {
            api,
            mask,
            info: core.info,
            notice: core.notice,
            warning: core.warning,
            now: () => clock.now(),
          },
          definition,
        ).catch((error: unknown) => {
          throw describeAzureError(error, live ? 'update' : 'create', jobLabel);
        });
        const verb = config.dryRun ? `would be ${result.operation} (dry run: nothing written)` : result.operation;
        core.info(`Job ${config.jobName}: ${verb}.`);
        for (const c of result.changes) {
          core.info(
            `  ${c.field}: ${c.from ?? '(none)'} -> ${c.to ?? '(removed)'}${c.source ? `  [${c.source}]` : ''}`,
          );
        }
        for (const note of result.notes ?? []) core.info(note);
        return result;
      });
      r.operation = deployed.operation;
      r.changes = deployed.changes;
      r.image = deployed.image;
      if (deployed.notes?.length) r.notes = [...(r.notes ?? []), ...deployed.notes];
    } else if (!live) {
      throw new ActionError(
        `Job '${config.jobName}' was not found in resource group '${config.resourceGroup}': fix 'job-name' / 'resource-group', or set 'image' and 'environment' to create it.`,
      );
    } else {
      r.image = live.template?.containers?.[0]?.image;
    }
    const job = deployed?.job ?? live!;
    core.info(`Job in the portal: ${portalJobUrl(r.portalBase, r.tenantId, jobId)}`);

    if (config.start && !config.dryRun) {
      if (cancelled.signal.aborted)
        throw new ActionError('The workflow run was cancelled before the execution was started; nothing was started.');
      const template = executionTemplate(config, job);
      const started = await startExecution(api, template, { clock, log: logger }).catch((error: unknown) => {
        throw describeAzureError(error, 'start', jobLabel);
      });
      const name = started.name!;
      core.saveState(STATE_EXECUTION, name);
      core.info(`Started execution ${name}${template ? ' with per-execution overrides' : ''}.`);
      core.info(`Executions in the portal: ${portalExecutionsUrl(r.portalBase, r.tenantId, jobId)}`);
      r.execution = { name, id: started.id, status: 'Running' };
      if (config.wait) {
        const timeoutSec =
          config.timeoutSec ??
          defaultTimeoutSec(job.configuration?.replicaTimeout, job.configuration?.replicaRetryLimit);
        // logs: true streams the replicas' output in groups of its own, so the watch prints outside a group.
        const logs: ExecutionLogs | undefined = config.logs
          ? startExecutionLogs({
              config,
              job,
              jobApi: api,
              logsApi: createLogsApi({
                credential,
                subscriptionId: config.auth.subscriptionId,
                resourceGroup: config.resourceGroup,
                jobName: config.jobName,
                armEndpoint: config.auth.armEndpoint,
                armScope: config.auth.armScope,
                logAnalyticsEndpoint: config.auth.logAnalyticsEndpoint,
                logAnalyticsScope: config.auth.logAnalyticsScope,
                userAgent: USER_AGENT,
              }),
              execution: name,
              clock,
              out: { ...logger, line: core.info, secret: mask },
              // The summary is not masked by the runner: hide known secret values in what comes from containers.
              mask: redact,
            })
          : undefined;
        const outcome: Outcome = await watchExecution(api, name, {
          clock,
          log: logger,
          timeoutSec,
          onTimeout: config.onTimeout,
          stopOnCancel: config.stopOnCancel,
          signal: cancelled.signal,
          ...logs?.watch,
        });
        // Best effort, bounded: the logs never change the result (see logs-run.ts for the time it may add).
        const seen = await logs?.finish(outcome, cancelled.signal).catch((error: unknown) => {
          core.debug(`Logs: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
          return undefined;
        });
        if (seen) r.logs = { ...seen.summary, tail: seen.summary.tail.map(redact) };
        // Post has nothing left to do unless the execution may still be running against the user's wishes.
        const handled =
          isFinal(outcome.status) ||
          outcome.stoppedByAction ||
          (outcome.status === 'TimedOut' && config.onTimeout === 'leave') ||
          (outcome.status === 'Cancelled' && !config.stopOnCancel);
        if (handled) core.saveState(STATE_DONE, 'true');
        r.execution = {
          name,
          id: started.id,
          status: outcome.status,
          durationSec: outcome.durationSec,
          exitCode: outcome.exitCode,
          reason: outcome.reason,
          message: outcome.message,
          stoppedByAction: outcome.stoppedByAction,
        };
        if (outcome.status !== 'Succeeded') {
          const evidence: Evidence = seen?.evidence ?? { job, events: [], tailOf: () => [], waiting: [] };
          throw new ActionError(redact(diagnose(outcome, config.jobName, name, timeoutSec, evidence).message));
        }
        core.info(`Execution ${name} succeeded in ${outcome.durationSec ?? '?'} s.`);
      } else {
        core.saveState(STATE_DONE, 'true');
      }
    }
  } catch (error) {
    const message = messageOf(error);
    if (report) report.failure = message;
    if (!(error instanceof ActionError) && error instanceof Error && error.stack) core.debug(error.stack);
    core.setFailed(redact(message));
  } finally {
    if (report) {
      for (const [name, value] of Object.entries(outputsOf(report))) core.setOutput(name, value);
      if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(redact(renderSummary(report, redact))).write();
    }
  }
}
