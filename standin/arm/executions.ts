/**
 * Job executions, driven by scripts: each execution follows the script taken when it started, and its status
 * is derived from the clock (Processing, Running, then the outcome), so polling with a fake clock works.
 */
import { executionTimestamp, isObj, objects, randomSuffix, type JsonObject } from './util.ts';
import { text } from '../common/text.ts';

export type ExecutionOutcome = 'Succeeded' | 'Failed' | 'Degraded' | 'Hang' | 'ImagePullFailure';

/** One line a replica's container prints (see `ExecutionScript.logs`). */
export interface ScriptLogLine {
  text: string;
  /** Milliseconds after the container started (default: the lines spread evenly over `durationMs`). */
  atMs?: number;
  /** Only the replica with this index (0-based; default every replica). */
  replica?: number;
  /** Only this attempt (0-based; default every attempt). */
  attempt?: number;
  /** Container name (default the template's first container). */
  container?: string;
  /** Default stdout. */
  stream?: 'stdout' | 'stderr';
}

/** What the next execution of a job does. */
export interface ExecutionScript {
  /** How long the replicas run (after `processingMs`), default 100 ms. */
  durationMs?: number;
  /**
   * Final status; 'Hang' stays Running until stopped (or until the replica timeout); 'ImagePullFailure' never
   * starts the containers (Waiting, ImagePullBackOff) and fails after `durationMs` as if the replica timeout had
   * passed (DeadlineExceeded). Default Succeeded.
   */
  outcome?: ExecutionOutcome;
  /** Exit code of the first container when the outcome is Failed or Degraded (default 1; 137 with oomKilled). */
  exitCode?: number;
  /** Execution `reason` / `message` (api-version 2026-07-01 and later). */
  reason?: string;
  message?: string;
  /** Number of replicas (default: the job's parallelism). */
  replicas?: number;
  /** Time spent in status Processing before Running (default 0). */
  processingMs?: number;
  /**
   * Models a known Azure fault (microsoft/azure-container-apps #1071, #1145, #1649): the execution stays Running
   * past its replica timeout instead of ending Failed with DeadlineExceeded.
   */
  ignoresReplicaTimeout?: boolean;
  /**
   * Console lines every replica prints (strings: stdout, spread evenly over the run). `{replica}`, `{index}`
   * and `{attempt}` in a text are replaced by the replica's name, index and attempt.
   */
  logs?: (string | ScriptLogLine)[];
  /** Failed tries before the last one (as replica-retry-limit does): each is a new replica running durationMs. */
  failedAttempts?: number;
  /** Replica i starts i x this after Processing (replicas that appear late). Default 0. */
  replicaStaggerMs?: number;
  /** For outcome ImagePullFailure: the registry said the image does not exist, or refused the pull. */
  pullError?: 'NotFound' | 'Unauthorized';
  /**
   * For outcome ImagePullFailure: the kubelet's first back-off between failed pulls, doubling after each failure up
   * to 300 s (default 10 000 ms, as Kubernetes' image pull back-off). Each failed pull is a system event.
   */
  pullBackoffMs?: number;
  /** The last try is killed for memory (exit code 137, OOMKilled) instead of exiting. */
  oomKilled?: boolean;
  /**
   * The service reports status `Unknown` (an enum value of the spec; never seen in a recording) from `afterMs` after
   * creation (default 0) for `forMs` (default: for good), without `endTime`; the execution itself runs on, and
   * shows its real status after the window. A stop ends the window.
   */
  unknown?: { afterMs?: number; forMs?: number };
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
  /** Every replica of the execution, tries included: index i of try a is `replicaNames[a * replicaCount + i]`. */
  replicaNames: string[];
  /** Replicas per try (default replicaNames.length). */
  replicaCount?: number;
  replicaTimeoutSec: number;
  stoppedAt?: number;
}

export type ContainerState = {
  name: string;
  code?: number;
  status: string;
  additionalInformation?: string;
};

export interface ExecutionState {
  status: ExecutionStatus;
  endMs?: number;
  reason?: string;
  message?: string;
  replicas: { name: string; containers: ContainerState[] }[];
}

/** One replica (one try of one replica index), times relative to the execution's creation. */
export interface ReplicaRun {
  name: string;
  index: number;
  attempt: number;
  /** When its containers start (ms after creation). */
  startMs: number;
  /** When it would end by itself (ms after creation; Infinity for Hang and ImagePullFailure). */
  naturalEndMs: number;
  /** The execution's last try for this index. */
  last: boolean;
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

function tries(s: ExecutionScript): number {
  return 1 + Math.max(0, Math.floor(s.failedAttempts ?? 0));
}

/** Every replica run of the execution, in start order. */
export function replicaRuns(rec: ExecutionRecord): ReplicaRun[] {
  const s = rec.script;
  const processing = Math.max(0, s.processingMs ?? DEFAULT_SCRIPT.processingMs);
  const duration = Math.max(0, s.durationMs ?? DEFAULT_SCRIPT.durationMs);
  const outcome = s.outcome ?? DEFAULT_SCRIPT.outcome;
  const stagger = Math.max(0, s.replicaStaggerMs ?? 0);
  const n = tries(s);
  const count = rec.replicaCount ?? rec.replicaNames.length;
  const runs: ReplicaRun[] = [];
  for (let a = 0; a < n; a++) {
    for (let i = 0; i < count; i++) {
      const startMs = processing + i * stagger + a * duration;
      const last = a === n - 1;
      const endless = last && (outcome === 'Hang' || outcome === 'ImagePullFailure');
      runs.push({
        name: rec.replicaNames[a * count + i] ?? `${rec.name}-r${a}${i}`,
        index: i,
        attempt: a,
        startMs,
        naturalEndMs: endless ? Infinity : startMs + duration,
        last,
      });
    }
  }
  return runs.sort((x, y) => x.startMs - y.startMs || x.index - y.index);
}

/** When the execution ends by itself (ms after creation), before the replica timeout and stops. */
function naturalEnd(rec: ExecutionRecord): number {
  const s = rec.script;
  const outcome = s.outcome ?? DEFAULT_SCRIPT.outcome;
  if (outcome === 'Hang') return Infinity;
  const processing = Math.max(0, s.processingMs ?? DEFAULT_SCRIPT.processingMs);
  const duration = Math.max(0, s.durationMs ?? DEFAULT_SCRIPT.durationMs);
  const stagger = Math.max(0, s.replicaStaggerMs ?? 0);
  const count = rec.replicaCount ?? rec.replicaNames.length;
  if (outcome === 'ImagePullFailure') return processing + (count - 1) * stagger + duration;
  return processing + (count - 1) * stagger + tries(s) * duration;
}

/** How the execution ends (ms after creation), and whether the replica timeout did it. */
export function executionEnd(rec: ExecutionRecord): { endMs: number; byDeadline: boolean } {
  const natural = naturalEnd(rec);
  const timeoutMs = rec.replicaTimeoutSec * 1000;
  const deadline = timeoutMs > 0 && !rec.script.ignoresReplicaTimeout ? timeoutMs : Infinity;
  const outcome = rec.script.outcome ?? DEFAULT_SCRIPT.outcome;
  // An image that cannot be pulled ends like the replica timeout, only sooner (the stand-in compresses time).
  return { endMs: Math.min(natural, deadline), byDeadline: deadline < natural || outcome === 'ImagePullFailure' };
}

/** The moment (ms after creation) a run stops: by itself, at the execution's end, or at a stop. */
export function runEnd(rec: ExecutionRecord, run: ReplicaRun): number {
  const { endMs } = executionEnd(rec);
  let end = Math.min(run.naturalEndMs, endMs);
  if (rec.stoppedAt !== undefined) end = Math.min(end, rec.stoppedAt - rec.createdAt);
  return end;
}

const OK: Omit<ContainerState, 'name'> = { status: 'Succeeded', code: 0, additionalInformation: 'Completed' };
const RUNNING: Omit<ContainerState, 'name'> = { status: 'Running', additionalInformation: 'Started' };
const PULLING: Omit<ContainerState, 'name'> = { status: 'Waiting', additionalInformation: 'ImagePullBackOff' };

/** A container's state in a run at `elapsed` (ms after creation), for an execution that ends as `final`. */
function containerState(
  rec: ExecutionRecord,
  run: ReplicaRun,
  container: number,
  elapsed: number,
): Omit<ContainerState, 'name'> {
  const s = rec.script;
  const outcome = s.outcome ?? DEFAULT_SCRIPT.outcome;
  const end = runEnd(rec, run);
  const exec = executionEnd(rec);
  const stoppedHere = rec.stoppedAt !== undefined && end === rec.stoppedAt - rec.createdAt && end < run.naturalEndMs;
  if (outcome === 'ImagePullFailure' && run.last) {
    if (elapsed < end) return PULLING;
    return { status: 'Failed', additionalInformation: 'ImagePullBackOff' };
  }
  if (elapsed < end) return RUNNING;
  if (stoppedHere) return { status: 'Terminated', code: 143, additionalInformation: 'Stopped' };
  if (end < run.naturalEndMs && exec.byDeadline) {
    return { status: 'Failed', code: 137, additionalInformation: 'DeadlineExceeded' };
  }
  const exitCode = s.exitCode ?? (s.oomKilled ? 137 : 1);
  const bad = { status: 'Failed', code: exitCode, additionalInformation: s.oomKilled ? 'OOMKilled' : 'Error' };
  if (!run.last)
    return container === 0 ? { status: 'Failed', code: s.exitCode ?? 1, additionalInformation: 'Error' } : OK;
  switch (outcome) {
    case 'Failed':
      return container === 0 ? bad : OK;
    case 'Degraded':
      return run.index === 0 && container === 0 ? bad : OK;
    default:
      return OK;
  }
}

/** The replicas (and their containers) that exist at `elapsed`. */
function replicasAt(rec: ExecutionRecord, elapsed: number): ExecutionState['replicas'] {
  const containers = containerNames(rec.template);
  return replicaRuns(rec)
    .filter((r) => r.startMs <= elapsed && r.startMs <= runEndLimit(rec))
    .map((r) => ({
      name: r.name,
      containers: containers.map((c, i) => ({ name: c, ...containerState(rec, r, i, elapsed) })),
    }));
}

/** Runs never start after the execution ended (or was stopped). */
function runEndLimit(rec: ExecutionRecord): number {
  const { endMs } = executionEnd(rec);
  return rec.stoppedAt !== undefined ? Math.min(endMs, rec.stoppedAt - rec.createdAt) : endMs;
}

/** The execution's state at `now`. */
export function executionState(rec: ExecutionRecord, now: number): ExecutionState {
  const s = rec.script;
  const processing = Math.max(0, s.processingMs ?? DEFAULT_SCRIPT.processingMs);
  const outcome = s.outcome ?? DEFAULT_SCRIPT.outcome;
  const { endMs: end, byDeadline } = executionEnd(rec);
  const elapsedAt = (t: number): number => t - rec.createdAt;

  if (rec.stoppedAt !== undefined && elapsedAt(rec.stoppedAt) < end && rec.stoppedAt <= now) {
    return {
      status: 'Stopped',
      endMs: rec.stoppedAt,
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
      ...(s.message !== undefined ? { message: s.message } : {}),
      replicas: elapsedAt(rec.stoppedAt) < processing ? [] : replicasAt(rec, elapsedAt(rec.stoppedAt)),
    };
  }
  const elapsed = elapsedAt(now);
  if (elapsed < processing && elapsed < end) return { status: 'Processing', replicas: [] };
  if (elapsed < end) return { status: 'Running', replicas: replicasAt(rec, elapsed) };
  const endMs = rec.createdAt + end;
  const replicas = replicasAt(rec, end);
  if (byDeadline) {
    return {
      status: 'Failed',
      endMs,
      reason: s.reason ?? 'DeadlineExceeded',
      message: s.message ?? 'Job was active longer than specified deadline',
      replicas,
    };
  }
  switch (outcome) {
    case 'Failed':
      return {
        status: 'Failed',
        endMs,
        reason: s.reason ?? 'BackoffLimitExceeded',
        message: s.message ?? 'Job has reached the specified backoff limit',
        replicas,
      };
    case 'Degraded':
      return {
        status: 'Degraded',
        endMs,
        ...(s.reason !== undefined ? { reason: s.reason } : {}),
        ...(s.message !== undefined ? { message: s.message } : {}),
        replicas,
      };
    default:
      return {
        status: 'Succeeded',
        endMs,
        ...(s.reason !== undefined ? { reason: s.reason } : {}),
        ...(s.message !== undefined ? { message: s.message } : {}),
        replicas,
      };
  }
}

export function containerNames(template: JsonObject): string[] {
  return objects(template.containers).map((c) => text(c.name ?? ''));
}

/** The version the inspection helpers (`arm.getJob`, `listExecutions`, `getExecution`) show: the spec's, the fullest. */
export const INSPECT_API_VERSION = '2026-07-01';

/** Whether an api-version carries `detailedStatus`, `reason` and `message` on executions. */
export function hasDetailedStatus(apiVersion: string): boolean {
  const date = apiVersion.slice(0, 10);
  if (apiVersion.endsWith('-preview')) return date >= '2025-10-02';
  return date >= '2026-07-01';
}

/** Whether the service shows the execution as `Unknown` at `now` (script `unknown`; a stop ends it). */
export function shownUnknown(rec: ExecutionRecord, now: number): boolean {
  const u = rec.script.unknown;
  if (!u || (rec.stoppedAt !== undefined && rec.stoppedAt <= now)) return false;
  const elapsed = now - rec.createdAt;
  const from = Math.max(0, u.afterMs ?? 0);
  return elapsed >= from && elapsed < from + (u.forMs ?? Infinity);
}

/** JobExecution wire JSON at `now` for `apiVersion`. */
export function executionView(rec: ExecutionRecord, now: number, apiVersion: string): JsonObject {
  const st = executionState(rec, now);
  const unknown = shownUnknown(rec, now);
  const props: JsonObject = { status: unknown ? 'Unknown' : st.status, startTime: executionTimestamp(rec.createdAt) };
  if (st.endMs !== undefined && !unknown) props.endTime = executionTimestamp(st.endMs);
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
