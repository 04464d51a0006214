/**
 * What an execution's containers print and what the platform says about them, derived from its script and
 * clock like its status: console lines per replica/container (`ExecutionScript.logs`) and system events
 * (image pulls, container starts and exits, the job's completion). The log-stream host serves them live, the
 * Log Analytics host after an ingestion delay.
 *
 * System event reasons and texts follow what public sources show (ContainerAppSystemLogs: "Container 'x' was
 * terminated with exit code '1' and reason 'ProcessExited'", "... exit code '' and reason 'ImagePullFailure'",
 * "Saw completed job: …, condition: Failed"; containerd's pull errors); the exact set and order are guesses.
 */
import {
  containerNames,
  DEFAULT_SCRIPT,
  executionEnd,
  replicaRuns,
  runEnd,
  type ExecutionRecord,
  type ReplicaRun,
  type ScriptLogLine,
} from './executions.ts';
import { objects } from './util.ts';
import { text } from '../common/text.ts';

export interface ConsoleLine {
  /** ms since the epoch */
  time: number;
  replica: string;
  container: string;
  image: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface SystemEvent {
  /** ms since the epoch */
  time: number;
  type: 'Normal' | 'Warning';
  reason: string;
  msg: string;
  replica?: string;
  container?: string;
  count: number;
}

function images(rec: ExecutionRecord): Map<string, string> {
  return new Map(objects(rec.template.containers).map((c) => [text(c.name ?? ''), text(c.image ?? '')]));
}

function fill(text: string, run: ReplicaRun): string {
  return text
    .replace(/\{replica\}/g, run.name)
    .replace(/\{index\}/g, String(run.index))
    .replace(/\{attempt\}/g, String(run.attempt));
}

/** Every console line of the execution (whatever the time now: callers keep the ones already printed). */
export function consoleLines(rec: ExecutionRecord): ConsoleLine[] {
  const s = rec.script;
  const all = (s.logs ?? []).map((l): ScriptLogLine => (typeof l === 'string' ? { text: l } : l));
  const duration = Math.max(0, s.durationMs ?? DEFAULT_SCRIPT.durationMs);
  const names = containerNames(rec.template);
  const imageOf = images(rec);
  const out: ConsoleLine[] = [];
  for (const run of replicaRuns(rec)) {
    if (run.last && (s.outcome ?? DEFAULT_SCRIPT.outcome) === 'ImagePullFailure') continue;
    const mine = all.filter(
      (l) =>
        (l.replica === undefined || l.replica === run.index) && (l.attempt === undefined || l.attempt === run.attempt),
    );
    const end = runEnd(rec, run);
    const natural = end >= run.naturalEndMs;
    mine.forEach((l, k) => {
      const at = run.startMs + (l.atMs ?? (mine.length > 0 ? Math.floor((k * duration) / mine.length) : 0));
      if (natural ? at > end : at >= end) return;
      const container = l.container ?? names[0] ?? '';
      out.push({
        time: rec.createdAt + at,
        replica: run.name,
        container,
        image: imageOf.get(container) ?? '',
        stream: l.stream ?? 'stdout',
        text: fill(l.text, run),
      });
    });
  }
  return out.sort((a, b) => a.time - b.time);
}

function pullError(image: string, kind: 'NotFound' | 'Unauthorized'): string {
  const host = image.includes('/') ? (image.split('/')[0] as string) : 'docker.io';
  const repo = image.slice(host.length + 1).replace(/[:@].*$/, '');
  if (kind === 'NotFound') {
    return `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`;
  }
  return `Failed to pull image "${image}": rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://${host}/oauth2/token?scope=repository%3A${encodeURIComponent(repo)}%3Apull&service=${host}: 401 Unauthorized`;
}

/** Every system event of the execution (callers keep the ones that happened by now). */
export function systemEvents(rec: ExecutionRecord): SystemEvent[] {
  const s = rec.script;
  const outcome = s.outcome ?? DEFAULT_SCRIPT.outcome;
  const names = containerNames(rec.template);
  const imageOf = images(rec);
  const out: SystemEvent[] = [];
  const at = (ms: number): number => rec.createdAt + ms;
  const exec = executionEnd(rec);
  for (const run of replicaRuns(rec)) {
    const end = runEnd(rec, run);
    if (run.startMs > end) continue;
    const stopped = rec.stoppedAt !== undefined && end === rec.stoppedAt - rec.createdAt && end < run.naturalEndMs;
    out.push({
      time: at(run.startMs),
      type: 'Normal',
      reason: 'AssigningReplica',
      msg: `Replica '${run.name}' has been scheduled to run on a node.`,
      replica: run.name,
      count: 1,
    });
    names.forEach((c, i) => {
      const image = imageOf.get(c) ?? '';
      const base = { replica: run.name, container: c };
      out.push({
        ...base,
        time: at(run.startMs),
        type: 'Normal',
        reason: 'PullingImage',
        msg: `Pulling image "${image}"`,
        count: 1,
      });
      if (run.last && outcome === 'ImagePullFailure') {
        // The kubelet retries a failed pull with back-off (Kubernetes: 10 s, doubling, at most 300 s): one
        // failure event per try, counted up, until the execution ends (guess: each try is its own event).
        let tryAt = run.startMs;
        let backoff = Math.max(1, s.pullBackoffMs ?? 10_000);
        for (let k = 0; tryAt < end && k < 1000; k++) {
          out.push({
            ...base,
            time: at(tryAt),
            type: 'Warning',
            reason: 'ImagePullFailure',
            msg: pullError(image, s.pullError ?? 'NotFound'),
            count: k + 1,
          });
          tryAt += backoff;
          backoff = Math.min(backoff * 2, 300_000);
        }
        out.push({
          ...base,
          time: at(end),
          type: 'Warning',
          reason: 'ContainerTerminated',
          msg: `Container '${c}' was terminated with exit code '' and reason 'ImagePullFailure'`,
          count: 1,
        });
        return;
      }
      out.push({
        ...base,
        time: at(run.startMs),
        type: 'Normal',
        reason: 'PulledImage',
        msg: `Successfully pulled image "${image}" in 0.42s`,
        count: 1,
      });
      out.push({
        ...base,
        time: at(run.startMs),
        type: 'Normal',
        reason: 'ContainerCreated',
        msg: `Created container '${c}'`,
        count: 1,
      });
      out.push({
        ...base,
        time: at(run.startMs),
        type: 'Normal',
        reason: 'ContainerStarted',
        msg: `Started container '${c}'`,
        count: 1,
      });
      if (end === Infinity || end < run.startMs) return;
      let code: number;
      let why: string;
      if (stopped) {
        code = 143;
        why = 'Stopped';
      } else if (end < run.naturalEndMs && exec.byDeadline) {
        code = 137;
        why = 'DeadlineExceeded';
      } else {
        const failing = !run.last
          ? i === 0
          : outcome === 'Failed'
            ? i === 0
            : outcome === 'Degraded'
              ? run.index === 0 && i === 0
              : false;
        const oom = failing && run.last && s.oomKilled === true;
        code = failing ? (s.exitCode ?? (oom ? 137 : 1)) : 0;
        if (!run.last && failing) code = s.exitCode ?? 1;
        why = oom ? 'OOMKilled' : 'ProcessExited';
      }
      out.push({
        ...base,
        time: at(end),
        type: code === 0 ? 'Normal' : 'Warning',
        reason: 'ContainerTerminated',
        msg: `Container '${c}' was terminated with exit code '${code}' and reason '${why}'`,
        count: 1,
      });
    });
  }
  if (exec.endMs !== Infinity && (rec.stoppedAt === undefined || rec.stoppedAt - rec.createdAt >= exec.endMs)) {
    const failed = exec.byDeadline || outcome === 'Failed';
    out.push({
      time: at(exec.endMs),
      type: failed ? 'Warning' : 'Normal',
      reason: failed ? (exec.byDeadline ? 'DeadlineExceeded' : 'BackoffLimitExceeded') : 'Completed',
      msg: `Saw completed job: ${rec.name}, condition: ${failed ? 'Failed' : 'Complete'}`,
      count: 1,
    });
  }
  return out.sort((a, b) => a.time - b.time);
}
