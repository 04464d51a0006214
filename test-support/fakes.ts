/**
 * In-memory fakes for unit tests of the action's logic: a clock whose sleeps advance virtual time at once,
 * and a JobApi whose executions follow a script in that virtual time.
 */
import type { Job, JobExecution, JobExecutionTemplate, JobPatchProperties, Secret } from '@azure/arm-appcontainers';
import type { JobApi, RegistryInfo } from '../src/azure/arm.ts';
import type { Clock } from '../src/common/clock.ts';

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
  private seq = 0;
  private readonly clock: FakeClock;

  constructor(clock: FakeClock, jobName = 'alice-weather-job') {
    this.clock = clock;
    this.jobName = jobName;
    this.jobId = `/subscriptions/${this.subscriptionId}/resourceGroups/${this.resourceGroup}/providers/Microsoft.App/jobs/${jobName}`;
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
    const e = this.executions.get(name)!;
    const now = this.clock.now();
    const end = e.start + e.script.durationMs;
    const base = { name, startTime: new Date(e.start) };
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
  async listRecentExecutions(): Promise<JobExecution[]> {
    this.calls.push('listRecentExecutions');
    return Promise.all([...this.executions.keys()].reverse().map((n) => this.getExecution(n)));
  }
  async stopExecution(name: string): Promise<void> {
    this.calls.push('stopExecution');
    const e = this.executions.get(name)!;
    e.stoppedAt = this.clock.now();
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
