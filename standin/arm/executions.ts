/**
 * Job executions, driven by scripts: each execution follows the script taken when it started, and its status
 * is derived from the clock (Processing, Running, then the outcome), so polling with a fake clock works.
 */
import { executionTimestamp, isObj, objects, randomSuffix, type JsonObject } from './util.ts';

export type ExecutionOutcome = 'Succeeded' | 'Failed' | 'Degraded' | 'Hang';

/** What the next execution of a job does. */
export interface ExecutionScript {
  /** How long the replicas run (after `processingMs`), default 100 ms. */
  durationMs?: number;
  /** Final status; 'Hang' stays Running until stopped (or until the replica timeout). Default Succeeded. */
  outcome?: ExecutionOutcome;
  /** Exit code of the first container when the outcome is Failed or Degraded (default 1). */
  exitCode?: number;
  /** Execution `reason` / `message` (api-version 2026-07-01 and later). */
  reason?: string;
  message?: string;
  /** Number of replicas (default: the job's parallelism). */
  replicas?: number;
  /** Time spent in status Processing before Running (default 0). */
  processingMs?: number;
}

export const DEFAULT_SCRIPT: Required<Pick<ExecutionScript, 'durationMs' | 'outcome' | 'processingMs'>> = {
  durationMs: 100,
  outcome: 'Succeeded',
  processingMs: 0,
};

export type ExecutionStatus = 'Processing' | 'Running' | 'Succeeded' | 'Failed' | 'Degraded' | 'Stopped';

export interface ExecutionRecord {
  name: string;
  id: string;
  resourceGroup: string;
  jobName: string;
  createdAt: number;
  /** Creation order, to sort executions started in the same millisecond. */
  seq: number;
  script: ExecutionScript;
  /** JobExecutionTemplate wire JSON: what runs. */
  template: JsonObject;
  replicaNames: string[];
  replicaTimeoutSec: number;
  stoppedAt?: number;
}

export interface ExecutionState {
  status: ExecutionStatus;
  endMs?: number;
  reason?: string;
  message?: string;
  replicas: {
    name: string;
    containers: { name: string; code?: number; status: string; additionalInformation?: string }[];
  }[];
}

export function executionName(jobName: string): string {
  return `${jobName}-${randomSuffix(7)}`;
}

export function replicaNames(execName: string, count: number): string[] {
  return Array.from({ length: Math.max(1, count) }, () => `${execName}-${randomSuffix(5)}`);
}

export function isTerminal(status: ExecutionStatus): boolean {
  return status !== 'Processing' && status !== 'Running';
}

/** The execution's state at `now`. */
export function executionState(rec: ExecutionRecord, now: number): ExecutionState {
  const s = rec.script;
  const processing = Math.max(0, s.processingMs ?? DEFAULT_SCRIPT.processingMs);
  const duration = Math.max(0, s.durationMs ?? DEFAULT_SCRIPT.durationMs);
  const outcome = s.outcome ?? DEFAULT_SCRIPT.outcome;
  const timeoutMs = rec.replicaTimeoutSec * 1000;
  const natural = outcome === 'Hang' ? Infinity : processing + duration;
  const end = Math.min(natural, timeoutMs > 0 ? timeoutMs : Infinity);
  const elapsedAt = (t: number): number => t - rec.createdAt;
  const containers = containerNames(rec.template);

  if (rec.stoppedAt !== undefined && elapsedAt(rec.stoppedAt) < end && rec.stoppedAt <= now) {
    return {
      status: 'Stopped',
      endMs: rec.stoppedAt,
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
      ...(s.message !== undefined ? { message: s.message } : {}),
      replicas:
        elapsedAt(rec.stoppedAt) < processing
          ? []
          : replicasWith(rec, containers, () => ({
              status: 'Terminated',
              code: 143,
              additionalInformation: 'Stopped',
            })),
    };
  }
  const elapsed = elapsedAt(now);
  if (elapsed < processing && elapsed < end) return { status: 'Processing', replicas: [] };
  if (elapsed < end) {
    return {
      status: 'Running',
      replicas: replicasWith(rec, containers, () => ({ status: 'Running', additionalInformation: 'Started' })),
    };
  }
  const endMs = rec.createdAt + end;
  if (end < natural) {
    // the replica timeout passed first
    return {
      status: 'Failed',
      endMs,
      reason: s.reason ?? 'DeadlineExceeded',
      message: s.message ?? 'Job was active longer than specified deadline',
      replicas: replicasWith(rec, containers, () => ({
        status: 'Failed',
        code: 137,
        additionalInformation: 'DeadlineExceeded',
      })),
    };
  }
  const exitCode = s.exitCode ?? 1;
  const ok = { status: 'Succeeded', code: 0, additionalInformation: 'Completed' };
  const bad = { status: 'Failed', code: exitCode, additionalInformation: 'Error' };
  switch (outcome) {
    case 'Failed':
      return {
        status: 'Failed',
        endMs,
        reason: s.reason ?? 'BackoffLimitExceeded',
        message: s.message ?? 'Job has reached the specified backoff limit',
        replicas: replicasWith(rec, containers, (_r, c) => (c === 0 ? bad : ok)),
      };
    case 'Degraded':
      return {
        status: 'Degraded',
        endMs,
        ...(s.reason !== undefined ? { reason: s.reason } : {}),
        ...(s.message !== undefined ? { message: s.message } : {}),
        replicas: replicasWith(rec, containers, (r, c) => (r === 0 && c === 0 ? bad : ok)),
      };
    default:
      return {
        status: 'Succeeded',
        endMs,
        ...(s.reason !== undefined ? { reason: s.reason } : {}),
        ...(s.message !== undefined ? { message: s.message } : {}),
        replicas: replicasWith(rec, containers, () => ok),
      };
  }
}

function replicasWith(
  rec: ExecutionRecord,
  containers: string[],
  state: (replica: number, container: number) => { status: string; code?: number; additionalInformation?: string },
): ExecutionState['replicas'] {
  return rec.replicaNames.map((name, r) => ({
    name,
    containers: containers.map((c, i) => ({ name: c, ...state(r, i) })),
  }));
}

function containerNames(template: JsonObject): string[] {
  return objects(template.containers).map((c) => String(c.name ?? ''));
}

/** Whether an api-version carries `detailedStatus`, `reason` and `message` on executions. */
export function hasDetailedStatus(apiVersion: string): boolean {
  const date = apiVersion.slice(0, 10);
  if (apiVersion.endsWith('-preview')) return date >= '2025-10-02';
  return date >= '2026-07-01';
}

/** JobExecution wire JSON at `now` for `apiVersion`. */
export function executionView(rec: ExecutionRecord, now: number, apiVersion: string): JsonObject {
  const st = executionState(rec, now);
  const props: JsonObject = { status: st.status, startTime: executionTimestamp(rec.createdAt) };
  if (st.endMs !== undefined) props.endTime = executionTimestamp(st.endMs);
  props.template = rec.template;
  if (hasDetailedStatus(apiVersion)) {
    props.detailedStatus = { replicas: st.replicas };
    if (st.reason !== undefined) props.reason = st.reason;
    if (st.message !== undefined) props.message = st.message;
  }
  return { id: rec.id, name: rec.name, type: 'Microsoft.App/jobs/executions', properties: props };
}

const EXEC_CONTAINER_FIELDS = ['image', 'name', 'command', 'args', 'env', 'resources'] as const;

/** The job template's containers as JobExecutionContainer (resources: cpu and memory only). */
function toExecContainer(c: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const f of EXEC_CONTAINER_FIELDS) {
    const v = c[f];
    if (v === undefined || v === null) continue;
    if (f === 'resources' && isObj(v)) {
      const r: JsonObject = {};
      if (v.cpu !== undefined && v.cpu !== null) r.cpu = v.cpu as number;
      if (v.memory !== undefined && v.memory !== null) r.memory = v.memory as string;
      out.resources = r;
    } else {
      out[f] = v as JsonObject[string];
    }
  }
  return out;
}

function mergeContainers(base: unknown, override: unknown): JsonObject[] {
  const list = (Array.isArray(base) ? base : []).filter(isObj).map(toExecContainer);
  if (!Array.isArray(override)) return list;
  for (const o of override.filter(isObj)) {
    const name = typeof o.name === 'string' ? o.name.toLowerCase() : undefined;
    const hit = list.find((c) => typeof c.name === 'string' && c.name.toLowerCase() === name);
    const patch = toExecContainer(o);
    if (!hit) {
      list.push(patch);
      continue;
    }
    for (const [k, v] of Object.entries(patch)) {
      if (k === 'resources' && isObj(v) && isObj(hit.resources)) hit.resources = { ...hit.resources, ...v };
      else hit[k] = v;
    }
  }
  return list;
}

/**
 * The execution template: the job's template with the start override merged in, container by container
 * (matched by name; fields given in the override replace the job's; unknown names are added).
 */
export function executionTemplate(jobTemplate: unknown, override: unknown): JsonObject {
  const t = isObj(jobTemplate) ? jobTemplate : {};
  const o = isObj(override) ? override : {};
  return {
    containers: mergeContainers(t.containers, o.containers),
    initContainers: mergeContainers(t.initContainers, o.initContainers),
  };
}
