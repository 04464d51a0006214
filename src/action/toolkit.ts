/**
 * Everything main and post ask of the runner (the toolkit's I/O) and of Azure (the API factory), behind one small
 * interface so that both run in-process in tests with fakes (test-support/fakes.ts). `actionsToolkit` is the real
 * one, over @actions/core and the Azure clients.
 */
import * as core from '@actions/core';
import { context } from '@actions/github';
import type { TokenCredential } from '@azure/core-auth';
import { createCredential, type ResolvedAuth } from '../azure/credential.js';
import { createJobApi, type JobApi } from '../azure/arm.js';
import { createLogsApi, type LogsApi } from '../azure/logs-api.js';
import type { Config } from '../inputs/config.js';
import type { RunContext } from '../job/run-record.js';
import { mask } from '../common/secrets.js';

export const USER_AGENT = 'deploy-container-apps-job/1';

/** A signed-in connection to Azure for one job. */
export interface Connection {
  api: JobApi;
  credential: TokenCredential;
  kind: ResolvedAuth;
  /** The log endpoints (replicas, log streams, Log Analytics), made on first use. */
  logsApi(): LogsApi;
}

export interface Toolkit {
  /** The raw input ('' when not set). */
  getInput(name: string): string;
  /** The step's environment (GITHUB_WORKSPACE, AZURE_* ...). */
  readonly env: Record<string, string | undefined>;
  /** The workflow run (for the run record on the job's tags); absent: no record. */
  readonly run?: RunContext;
  // The log functions are plain functions (no `this`), as @actions/core's are: main hands them on as they are.
  info: (message: string) => void;
  notice: (message: string) => void;
  warning: (message: string) => void;
  error: (message: string) => void;
  debug: (message: string) => void;
  /** A raw stdout line (log group markers of the log streams). */
  line: (text: string) => void;
  group: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  setOutput(name: string, value: string): void;
  saveState(name: string, value: string): void;
  getState(name: string): string;
  /** Hides a secret value in the log from now on (and in what `redact` cleans). A plain function too. */
  mask: (value: string) => void;
  /** Prints the step's error and marks it failed. */
  setFailed(message: string): void;
  /** Appends Markdown to the step summary (when the runner gives one). */
  writeSummary(markdown: string): Promise<void>;
  /** A GitHub OIDC ID token for `audience` (the job needs `id-token: write`). */
  getIDToken(audience: string): Promise<string>;
  /** Calls `handler` when the runner cancels the step (SIGINT, SIGTERM). */
  onCancel(handler: (signal: string) => void): void;
  /** Signs in and makes the Azure clients for the job the config names. */
  connect(config: Config): Connection;
}

/** The real toolkit: @actions/core, process signals and the Azure clients. */
export function actionsToolkit(): Toolkit {
  const kit: Toolkit = {
    getInput: (name) => core.getInput(name),
    env: process.env,
    // @actions/github's context reads GITHUB_SERVER_URL, GITHUB_RUN_ID and GITHUB_SHA; its `repo` getter throws
    // without GITHUB_REPOSITORY, so the repository is read as the variable.
    run: {
      serverUrl: context.serverUrl,
      runId: context.runId,
      sha: context.sha,
      repository: process.env.GITHUB_REPOSITORY,
    },
    info: core.info,
    notice: core.notice,
    warning: core.warning,
    error: core.error,
    debug: core.debug,
    line: core.info,
    group: core.group,
    setOutput: core.setOutput,
    saveState: core.saveState,
    getState: core.getState,
    mask,
    setFailed: core.setFailed,
    async writeSummary(markdown) {
      if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown).write();
    },
    getIDToken: (audience) => core.getIDToken(audience),
    onCancel(handler) {
      process.on('SIGINT', () => handler('SIGINT'));
      process.on('SIGTERM', () => handler('SIGTERM'));
    },
    connect: (config) => connectAzure(config, kit),
  };
  return kit;
}

/** Signs in (the ID token and the environment from the toolkit) and makes the clients for the job. */
export function connectAzure(
  config: Config,
  kit: Pick<Toolkit, 'getIDToken' | 'debug' | 'warning' | 'info' | 'env'>,
): Connection {
  const auth = createCredential(config.auth, {
    getIDToken: (audience) => kit.getIDToken(audience),
    env: kit.env,
    debug: kit.debug,
  });
  const api = createJobApi({
    credential: auth.credential,
    subscriptionId: config.auth.subscriptionId,
    resourceGroup: config.resourceGroup,
    jobName: config.jobName,
    endpoint: config.auth.armEndpoint,
    scope: config.auth.armScope,
    apiVersion: config.apiVersion,
    userAgent: USER_AGENT,
    warn: kit.warning,
    info: kit.info,
    // A job busy with another operation is waited for as long as input 'timeout' says, else 10 min.
    ...(config.timeoutSec ? { busyTimeoutMs: config.timeoutSec * 1000 } : {}),
  });
  let logs: LogsApi | undefined;
  return {
    api,
    credential: auth.credential,
    kind: auth.kind,
    logsApi: () =>
      (logs ??= createLogsApi({
        credential: auth.credential,
        subscriptionId: config.auth.subscriptionId,
        resourceGroup: config.resourceGroup,
        jobName: config.jobName,
        armEndpoint: config.auth.armEndpoint,
        armScope: config.auth.armScope,
        logAnalyticsEndpoint: config.auth.logAnalyticsEndpoint,
        logAnalyticsScope: config.auth.logAnalyticsScope,
        userAgent: USER_AGENT,
      })),
  };
}
