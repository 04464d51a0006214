/**
 * In-memory fakes for unit tests of the action's logic: a clock whose sleeps advance virtual time at once,
 * and a JobApi whose executions follow a script in that virtual time.
 */
import type { Job, JobExecution, JobExecutionTemplate, JobPatchProperties, Secret } from '@azure/arm-appcontainers';
import type { JobApi, RegistryInfo } from '../src/azure/arm.ts';
import type { Clock } from '../src/common/clock.ts';
import { jobResourceId } from '../src/common/ids.ts';
import type { Connection, Toolkit } from '../src/action/toolkit.ts';
import { inputEnvironment, loadActionYml } from './harness.ts';

const REPO_ROOT = new URL('..', import.meta.url).pathname;

export class FakeClock implements Clock {
  t: number;
  sleeps: number[] = [];
  /** Called before each sleep resolves; lets a test act "during" the wait (e.g. cancel). */
  onSleep?: (ms: number) => void;
  constructor(start = Date.UTC(2026, 10, 23, 12, 0, 0)) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    this.onSleep?.(ms);
    if (signal?.aborted) return;
    this.t += Math.max(0, ms);
  }
}

export interface ScriptedExecution {
  /** ms of virtual time the execution runs */
  durationMs: number;
  outcome: 'Succeeded' | 'Failed' | 'Degraded' | 'Hang';
  exitCode?: number;
  reason?: string;
  message?: string;
  statusWhileRunning?: string;
}

export class FakeJobApi implements JobApi {
  readonly subscriptionId = '00000000-0000-0000-0000-000000000000';
  readonly resourceGroup = 'rg-data';
  readonly jobName: string;
  readonly jobId: string;
  readonly apiVersion = '2026-07-01';
  job?: Job;
  secrets: Secret[] = [];
  registries: RegistryInfo[] = [];
  registryPasswords: Record<string, { username: string; passwords: string[] }> = {};
  calls: string[] = [];
  executions = new Map<
    string,
    { start: number; script: ScriptedExecution; stoppedAt?: number; template?: JobExecutionTemplate }
  >();
  nextScript: ScriptedExecution = { durationMs: 1000, outcome: 'Succeeded', exitCode: 0 };
  readsFail = 0;
  /** How many stops fail (Azure's error: 503 ServiceUnavailable by default, or `stopError`). */
  stopsFail = 0;
  stopError: Error = Object.assign(new Error('The service is unavailable.'), {
    statusCode: 503,
    code: 'ServiceUnavailable',
  });
  private seq = 0;
  private readonly clock: FakeClock;

  constructor(clock: FakeClock, jobName = 'alice-weather-job') {
    this.clock = clock;
    this.jobName = jobName;
    this.jobId = jobResourceId(this.subscriptionId, this.resourceGroup, jobName);
  }

  async getJob(): Promise<Job | undefined> {
    this.calls.push('getJob');
    return this.job ? structuredClone(this.job) : undefined;
  }
  async createJob(job: Job): Promise<Job> {
    this.calls.push('createJob');
    this.job = { ...structuredClone(job), name: this.jobName, id: this.jobId };
    return structuredClone(this.job);
  }
  async updateJob(patch: JobPatchProperties): Promise<Job> {
    this.calls.push('updateJob');
    const job = this.job!;
    if (patch.tags) job.tags = patch.tags;
    if (patch.identity) job.identity = patch.identity;
    const p = patch.properties;
    if (p?.configuration) {
      const merged: Record<string, unknown> = { ...job.configuration, ...p.configuration };
      for (const [k, v] of Object.entries(merged)) if (v === null) delete merged[k];
      job.configuration = merged as unknown as Job['configuration'];
    }
    if (p?.template?.containers) job.template = { ...job.template, containers: p.template.containers };
    return structuredClone(job);
  }
  async listSecrets(): Promise<Secret[]> {
    this.calls.push('listSecrets');
    return structuredClone(this.secrets);
  }
  async startExecution(template?: JobExecutionTemplate) {
    this.calls.push('startExecution');
    const name = `${this.jobName}-exec${String(++this.seq).padStart(3, '0')}`;
    this.executions.set(name, { start: this.clock.now(), script: this.nextScript, template });
    return { name, id: `${this.jobId}/executions/${name}` };
  }
  async getExecution(name: string): Promise<JobExecution> {
    this.calls.push('getExecution');
    if (this.readsFail > 0) {
      this.readsFail -= 1;
      throw Object.assign(new Error('Service Unavailable'), { statusCode: 503, code: 'ServiceUnavailable' });
    }
    const e = this.executions.get(name);
    if (!e)
      throw Object.assign(new Error(`The execution '${name}' was not found.`), {
        statusCode: 404,
        code: 'ResourceNotFound',
      });
    const now = this.clock.now();
    const end = e.start + e.script.durationMs;
    const template = e.template ?? (this.job?.template?.containers ? { containers: this.job.template.containers } : {});
    const base = { name, startTime: new Date(e.start), template };
    if (e.stoppedAt !== undefined) return { ...base, status: 'Stopped', endTime: new Date(e.stoppedAt) };
    if (e.script.outcome === 'Hang' || now < end) return { ...base, status: e.script.statusWhileRunning ?? 'Running' };
    return {
      ...base,
      status: e.script.outcome,
      endTime: new Date(end),
      reason: e.script.reason,
      message: e.script.message,
      detailedStatus:
        e.script.exitCode === undefined
          ? undefined
          : {
              replicas: [
                {
                  name: `${name}-r1`,
                  containers: [{ name: this.jobName, code: e.script.exitCode, status: 'Terminated' }],
                },
              ],
            },
    };
  }
  /** Pages of `pageSize`, newest first; `pagesRead` counts the pages handed out. */
  pageSize = 20;
  pagesRead = 0;
  async *executionPages(): AsyncIterable<JobExecution[]> {
    this.calls.push('executionPages');
    const names = [...this.executions.keys()].reverse();
    for (let i = 0; i < names.length; i += this.pageSize) {
      this.pagesRead++;
      yield await Promise.all(names.slice(i, i + this.pageSize).map((n) => this.getExecution(n)));
    }
  }
  async stopExecution(name: string): Promise<void> {
    this.calls.push('stopExecution');
    if (this.stopsFail > 0) {
      this.stopsFail -= 1;
      throw this.stopError;
    }
    const e = this.executions.get(name)!;
    e.stoppedAt ??= this.clock.now();
  }
  async getEnvironment(id: string) {
    this.calls.push('getEnvironment');
    return { id, location: 'westeurope' };
  }
  async listRegistries(): Promise<RegistryInfo[]> {
    this.calls.push('listRegistries');
    return this.registries;
  }
  async listRegistryCredentials(id: string) {
    this.calls.push('listRegistryCredentials');
    return this.registryPasswords[id] ?? { username: '', passwords: [] };
  }
  writes(): string[] {
    return this.calls.filter((c) => ['createJob', 'updateJob', 'startExecution', 'stopExecution'].includes(c));
  }
}

/**
 * The runner and Azure for an in-process run of main or post: inputs with action.yml's defaults (as the runner
 * gives them), everything printed as lines, outputs, state, masks and the summary kept, and Azure the FakeJobApi.
 */
export class FakeToolkit implements Toolkit {
  readonly env: Record<string, string | undefined>;
  /** Everything printed, in order, as the runner shows it (`::warning::`, `::error::`, group markers). */
  lines: string[] = [];
  outputs: Record<string, string> = {};
  state: Record<string, string>;
  masked: string[] = [];
  failed?: string;
  summary = '';
  connects = 0;
  private cancelHandler?: (signal: string) => void;

  readonly api: FakeJobApi;

  constructor(
    api: FakeJobApi,
    inputs: Record<string, string>,
    options: { state?: Record<string, string>; env?: Record<string, string> } = {},
  ) {
    this.api = api;
    // main passes the toolkit's functions on unbound (as @actions/core's are).
    for (const key of Object.getOwnPropertyNames(FakeToolkit.prototype)) {
      const value = Object.getOwnPropertyDescriptor(FakeToolkit.prototype, key)?.value as unknown;
      if (key !== 'constructor' && typeof value === 'function')
        Object.assign(this, { [key]: (value as (...args: unknown[]) => unknown).bind(this) });
    }
    this.env = { ...inputEnvironment(loadActionYml(REPO_ROOT), inputs), ...options.env };
    this.state = { ...options.state };
  }
  getInput(name: string): string {
    return (this.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
  }
  info(message: string): void {
    this.lines.push(message);
  }
  notice(message: string): void {
    this.lines.push(`::notice::${message}`);
  }
  warning(message: string): void {
    this.lines.push(`::warning::${message}`);
  }
  error(message: string): void {
    this.lines.push(`::error::${message}`);
  }
  debug(message: string): void {
    this.lines.push(`::debug::${message}`);
  }
  line(text: string): void {
    this.lines.push(text);
  }
  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.lines.push(`::group::${name}`);
    try {
      return await fn();
    } finally {
      this.lines.push('::endgroup::');
    }
  }
  setOutput(name: string, value: string): void {
    this.outputs[name] = value;
  }
  saveState(name: string, value: string): void {
    this.state[name] = value;
  }
  getState(name: string): string {
    return this.state[name] ?? '';
  }
  mask(value: string): void {
    this.masked.push(value);
  }
  setFailed(message: string): void {
    this.failed = message;
    this.error(message);
  }
  async writeSummary(markdown: string): Promise<void> {
    this.summary += markdown;
  }
  /** The audiences main asked ID tokens for. */
  idTokenAudiences: string[] = [];
  async getIDToken(audience: string): Promise<string> {
    this.idTokenAudiences.push(audience);
    return 'fake-github-id-token';
  }
  onCancel(handler: (signal: string) => void): void {
    this.cancelHandler = handler;
  }
  /** What the runner does when the workflow run is cancelled. */
  cancel(signal = 'SIGINT'): void {
    this.cancelHandler?.(signal);
  }
  connect(): Connection {
    this.connects += 1;
    return {
      api: this.api,
      credential: { getToken: async () => ({ token: 'fake-token', expiresOnTimestamp: Date.now() + 3_600_000 }) },
      kind: 'oidc',
      logsApi: () => {
        throw new Error('FakeToolkit has no LogsApi: set input logs to false');
      },
    };
  }
  /** The printed text, one line each. */
  get log(): string {
    return this.lines.join('\n');
  }
}

/** The inputs every in-process run of main needs (identity, subscription, job), logs off. */
export const MAIN_INPUTS = {
  'client-id': '11111111-1111-1111-1111-111111111111',
  'tenant-id': '22222222-2222-2222-2222-222222222222',
  'subscription-id': '00000000-0000-0000-0000-000000000000',
  'resource-group': 'rg-data',
  'job-name': 'alice-weather-job',
  logs: 'false',
};

/** The runner's OIDC variables, as a job with `permissions: id-token: write` has them. */
export const OIDC_ENV = { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.example', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x' };
