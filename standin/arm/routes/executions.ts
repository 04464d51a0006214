/**
 * Executions: start (sync or async), list (paging, $filter failures), GET, replicas, getAuthToken for the log
 * stream, stop one or several.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Arm } from '../arm.ts';
import { errors } from '../errors.ts';
import {
  type ExecutionRecord,
  type ExecutionScript,
  executionName,
  executionState,
  executionTemplate,
  executionView,
  isTerminal,
  replicaNames,
  replicaRuns,
  runEnd,
} from '../executions.ts';
import type { JobRecord } from '../state.ts';
import { type JsonObject, armTimestamp, isObj, normalizeLocation } from '../util.ts';
import { environmentOf, parseBody, requireJob, schemaError } from './jobs.ts';
import { locationHeaders, startOperation } from './operations.ts';
import { type Call, JOB, type Reply, type Route, execScope, jobScope, key, page, r } from './route.ts';
import { text } from '../../common/text.ts';

/** The routes of this module, in matching order. */
export function executionRoutes(arm: Arm): Route[] {
  return [
    r(
      'POST',
      `${JOB}/start`,
      'Microsoft.App',
      'jobs',
      'Microsoft.App/jobs/start/action',
      (c) => startJob(arm, c),
      jobScope,
    ),
    r(
      'POST',
      `${JOB}/stop`,
      'Microsoft.App',
      'jobs',
      'Microsoft.App/jobs/stop/action',
      (c) => stopMultiple(arm, c),
      jobScope,
    ),
    r(
      'GET',
      `${JOB}/executions`,
      'Microsoft.App',
      'jobs/executions',
      'Microsoft.App/jobs/executions/read',
      (c) => listExecutionsCall(arm, c),
      jobScope,
    ),
    r(
      'GET',
      `${JOB}/executions/{exec}`,
      'Microsoft.App',
      'jobs/executions',
      'Microsoft.App/jobs/execution/read',
      (c) => getExecutionCall(arm, c),
      execScope,
    ),
    r(
      'GET',
      `${JOB}/executions/{exec}/replicas`,
      'Microsoft.App',
      'jobs/executions',
      'Microsoft.App/jobs/executions/read',
      (c) => listReplicasCall(arm, c),
      execScope,
    ),
    r(
      'POST',
      `${JOB}/getAuthToken`,
      'Microsoft.App',
      'jobs',
      'Microsoft.App/jobs/getAuthToken/action',
      (c) => getAuthTokenCall(arm, c),
      jobScope,
    ),
    r(
      'POST',
      `${JOB}/executions/{exec}/stop`,
      'Microsoft.App',
      'jobs/executions',
      'Microsoft.App/jobs/stop/execution/action',
      (c) => stopExecutionCall(arm, c),
      execScope,
    ),
  ];
}

export function parallelism(arm: Arm, job: JobRecord): number {
  const conf = ((job.spec.properties as JsonObject | undefined)?.configuration ?? {}) as JsonObject;
  for (const k of ['manualTriggerConfig', 'scheduleTriggerConfig', 'eventTriggerConfig']) {
    const tc = conf[k];
    if (isObj(tc) && typeof tc.parallelism === 'number') return tc.parallelism;
  }
  return 1;
}

export function startJob(arm: Arm, c: Call): Reply {
  const job = requireJob(arm, c.params);
  if (job.runningState === 'Suspended') throw errors.jobSuspended(job.name);
  const body = parseBody(arm, c);
  if (body !== undefined && body !== null) {
    const issues = arm.spec.validate('JobExecutionTemplate', body, 'request');
    if (issues.length > 0) throw schemaError(arm, issues, c.apiVersion, 'other');
  }
  const override = body === undefined || body === null ? undefined : arm.spec.normalize('JobExecutionTemplate', body);
  const rec = createExecution(
    arm,
    job,
    job.scripts.shift() ?? { ...arm.defaultExecutionScript },
    arm.clock(),
    override,
  );
  const result = { id: rec.id, name: rec.name };
  if (arm.lro.startMode === 'sync') return { status: 200, body: result };
  const op = startOperation(arm, 'start', job.id, text(job.spec.location ?? ''));
  op.result = () => ({ status: 200, body: result });
  return { status: 202, headers: locationHeaders(arm, c, op) };
}

/**
 * A new execution of the job, created at `createdAt` (stand-in clock), running `script` with the job's template
 * (and a start body's override): what a start, the scheduler and the event scaler all do.
 */
export function createExecution(
  arm: Arm,
  job: JobRecord,
  script: ExecutionScript,
  createdAt: number,
  override?: unknown,
): ExecutionRecord {
  const props = (job.spec.properties ?? {}) as JsonObject;
  const conf = (props.configuration ?? {}) as JsonObject;
  const name = executionName(job.name);
  const rec: ExecutionRecord = {
    name,
    id: `${job.id}/executions/${name}`,
    resourceGroup: job.resourceGroup,
    jobName: job.name,
    createdAt,
    seq: ++arm.execSeq,
    script,
    template: executionTemplate(props.template, override),
    replicaNames: replicaNames(
      name,
      (script.replicas ?? parallelism(arm, job)) * (1 + Math.max(0, Math.floor(script.failedAttempts ?? 0))),
    ),
    replicaCount: Math.max(1, script.replicas ?? parallelism(arm, job)),
    replicaTimeoutSec: typeof conf.replicaTimeout === 'number' ? conf.replicaTimeout : 1800,
  };
  job.executions.push(rec);
  return rec;
}

export function sortedExecutions(arm: Arm, job: JobRecord): ExecutionRecord[] {
  return [...job.executions].sort((a, b) => b.createdAt - a.createdAt || b.seq - a.seq);
}

/**
 * What the list shows, newest first: for a Schedule or Event job only the newest `arm.executionHistoryLimit`
 * ("the execution history for scheduled and event-based jobs is limited to the most recent 100", Microsoft's docs).
 */
export function listedExecutions(arm: Arm, job: JobRecord): ExecutionRecord[] {
  const all = sortedExecutions(arm, job);
  const props = job.spec.properties;
  const conf = isObj(props) && isObj(props.configuration) ? props.configuration : {};
  const type = typeof conf.triggerType === 'string' ? conf.triggerType.toLowerCase() : '';
  return type === 'schedule' || type === 'event' ? all.slice(0, arm.executionHistoryLimit) : all;
}

export function listExecutionsCall(arm: Arm, c: Call): Reply {
  const job = requireJob(arm, c.params);
  if (c.url.searchParams.has('$filter')) {
    throw arm.filterMode === 'internal-error' ? errors.filterInternalError(c.correlationId) : errors.filterInvalid();
  }
  // Newest first, as the service answers (not documented: callers should not depend on it).
  const now = arm.clock();
  return page(c, listedExecutions(arm, job), arm.executionsPageSize, (e) => executionView(e, now, c.apiVersion));
}

export function findExecution(arm: Arm, rg: string, jobName: string, execName: string): ExecutionRecord | undefined {
  return arm.jobs.get(key(rg, jobName))?.executions.find((e) => e.name.toLowerCase() === execName.toLowerCase());
}

export function requireExecution(arm: Arm, p: Record<string, string>): ExecutionRecord {
  const job = requireJob(arm, p);
  const e = job.executions.find((x) => x.name.toLowerCase() === (p.exec as string).toLowerCase());
  if (!e) throw errors.resourceNotFound('Microsoft.App/jobs/executions', `${p.job}/${p.exec}`, p.rg as string);
  return e;
}

export function getExecutionCall(arm: Arm, c: Call): Reply {
  const e = requireExecution(arm, c.params);
  return { status: 200, body: executionView(e, arm.clock(), c.apiVersion) };
}

export function logStreamBase(arm: Arm, job: JobRecord): string {
  const env = environmentOf(arm, job.spec);
  const host =
    env?.eventStreamHost ?? `https://${normalizeLocation(text(job.spec.location ?? ''))}.azurecontainerapps.dev`;
  return `${host}/subscriptions/${arm.subscriptionId}/resourceGroups/${job.resourceGroup}/jobs/${job.name}`;
}

export function listReplicasCall(arm: Arm, c: Call): Reply {
  const job = requireJob(arm, c.params);
  const e = requireExecution(arm, c.params);
  const now = arm.clock();
  const elapsed = now - e.createdAt;
  const st = executionState(e, now);
  const names = (st.status === 'Processing' ? [] : st.replicas).map((r) => r.name);
  const base = logStreamBase(arm, job);
  const value = replicaRuns(e)
    .filter((run) => names.includes(run.name) && arm.replicaVisible(e, run.startMs, now))
    .map((run) => {
      const shown = st.replicas.find((r) => r.name === run.name)!;
      const ended = runEnd(e, run) <= elapsed;
      const containers = shown.containers.map((ct) => ({
        name: ct.name,
        containerId: `containerd://${createHash('sha256').update(`${run.name}/${ct.name}`).digest('hex')}`,
        ready: ct.status === 'Running',
        started: ct.status !== 'Waiting',
        restartCount: 0,
        runningState: ct.status === 'Running' ? 'Running' : ct.status === 'Waiting' ? 'Waiting' : 'Terminated',
        runningStateDetails: ct.additionalInformation ?? '',
        logStreamEndpoint: `${base}/executions/${e.name}/replicas/${run.name}/containers/${ct.name}/logstream`,
      }));
      return {
        id: `${e.id}/replicas/${run.name}`,
        name: run.name,
        type: 'Microsoft.App/jobs/executions/replicas',
        properties: {
          createdTime: armTimestamp(e.createdAt + run.startMs),
          runningState: ended ? 'NotRunning' : 'Running',
          runningStateDetails: ended ? 'Completed' : '',
          containers,
          initContainers: [],
        },
      };
    });
  return { status: 200, body: { value } };
}

export function getAuthTokenCall(arm: Arm, c: Call): Reply {
  const job = requireJob(arm, c.params);
  const token = randomBytes(48).toString('base64url');
  const expiresAt = arm.clock() + arm.logStreamTokenLifetimeSec * 1000;
  arm.logStreamTokens.set(token, { jobId: job.id.toLowerCase(), expiresAt });
  return {
    status: 200,
    body: {
      id: job.id,
      name: job.name,
      type: 'Microsoft.App/jobs/getAuthToken',
      location: text(job.spec.location ?? ''),
      tags: {},
      properties: { token, expires: armTimestamp(expiresAt) },
    },
  };
}

export function stopRecord(arm: Arm, e: ExecutionRecord): boolean {
  const now = arm.clock();
  if (isTerminal(executionState(e, now).status)) return false;
  e.stoppedAt = now;
  return true;
}

export function stopExecutionCall(arm: Arm, c: Call): Reply {
  const job = requireJob(arm, c.params);
  const e = requireExecution(arm, c.params);
  stopRecord(arm, e);
  if (arm.lro.stopMode === 'sync') return { status: 200 };
  const op = startOperation(arm, 'stop', e.id, text(job.spec.location ?? ''));
  op.result = () => ({ status: 200 });
  return { status: 202, headers: locationHeaders(arm, c, op) };
}

export function stopMultiple(arm: Arm, c: Call): Reply {
  const job = requireJob(arm, c.params);
  const now = arm.clock();
  const stopped = job.executions.filter((e) => stopRecord(arm, e));
  const result = () => ({
    status: 200,
    body: { value: stopped.map((e) => executionView(e, Math.max(now, arm.clock()), c.apiVersion)) },
  });
  if (arm.lro.stopMode === 'sync') return result();
  const op = startOperation(arm, 'stop-multiple', job.id, text(job.spec.location ?? ''));
  op.result = result;
  return { status: 202, headers: locationHeaders(arm, c, op) };
}
