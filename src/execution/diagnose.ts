/**
 * Why an execution failed, in the user's terms (pure). Evidence: the execution's status, reason and message,
 * its detailedStatus (exit codes, container states), the platform's system events (image pulls, container
 * exits, OOM kills) and the containers' last log lines. What each case says and the fix it proposes:
 *
 * - the image could not be pulled: not found (name or tag), the registry refused (no credentials configured,
 *   an identity without AcrPull, a wrong password), or another pull error;
 * - out of memory (exit code 137, OOMKilled): raise `memory`;
 * - the replica timeout was reached (DeadlineExceeded): raise `replica-timeout` or find what hangs;
 * - a container exited with code N, with its last log lines; when its output says it missed an environment
 *   variable (`missing-env.ts`) that the job does not set, the variable and how to add it (`env-vars`, or a
 *   `secretref:` with the value in `secrets`); when the job sets it, that it may be empty or wrong.
 *
 * Azure's reason code (BackoffLimitExceeded, DeadlineExceeded...) is kept and said in plain words
 * (`reasons.ts`). Anything else keeps the generic sentence (`describeFailure`).
 */
import type { Job, JobExecution } from '@azure/arm-appcontainers';
import { describeFailure, stopFailedSentence, type Outcome } from './execution.js';
import { registryHost } from '../common/image.js';
import { capLine } from '../common/untrusted.js';
import { missingEnv, MAX_LINES, secretNameFor } from './missing-env.js';
import { reasonSentence } from './reasons.js';

/** A platform event about the execution (image pulls, container exits...), from the event stream or Log Analytics. */
export interface SystemEvent {
  time?: string;
  type?: string;
  reason?: string;
  message: string;
  replica?: string;
  /** How many times the platform saw it (the event stream's `Count`), when given. */
  count?: number;
}

export interface Evidence {
  job?: Job;
  events: SystemEvent[];
  /** The last console lines of a `replica/container`. */
  tailOf(key: string, n: number): string[];
  /** Containers whose logs could not be streamed because they never started (the service's message). */
  waiting: { replica: string; container: string; detail: string }[];
  /** The `replica/container` keys whose output was seen (for `tailOf` when no exit code says which failed). */
  streams?: string[];
}

export type DiagnosisKind = 'image-pull' | 'oom' | 'deadline' | 'missing-env' | 'exit' | 'other';

export interface Diagnosis {
  kind: DiagnosisKind;
  /** The error the step fails with. */
  message: string;
}

const LAST_LINES = 5;
const PULL_EVENT = /Failed to pull image|ImagePullBackOff|ErrImagePull|reason 'ImagePullFailure'|image pull/i;
const NOT_FOUND = /\bnot found\b|manifest unknown|name unknown|NotFound|does not exist/i;
/** The longest log line quoted in an error message. */
const QUOTED_LINE_CHARS = 1024;

/** `repository … not exist` on one line, in linear time (a regex `repository .* not exist` is quadratic). */
function repositoryNotExist(text: string): boolean {
  for (const line of text.toLowerCase().split('\n')) {
    const at = line.indexOf('repository ');
    if (at >= 0 && line.indexOf(' not exist', at + 10) >= 0) return true;
  }
  return false;
}
const REFUSED = /unauthori[sz]ed|authentication required|\b401\b|\b403\b|denied|forbidden|insufficient_scope/i;

function imagesOf(execution: JobExecution | undefined, job: Job | undefined): string[] {
  const fromExec = (execution?.template?.containers ?? []).map((c) => c.image).filter((i): i is string => !!i);
  if (fromExec.length) return fromExec;
  return (job?.template?.containers ?? []).map((c) => c.image).filter((i): i is string => !!i);
}

function pullDiagnosis(outcome: Outcome, ev: Evidence): string | undefined {
  const pullEvents = ev.events.filter(
    (e) => PULL_EVENT.test(e.message) || /ImagePull|ErrImagePull/i.test(e.reason ?? ''),
  );
  const pullStates = (outcome.execution?.detailedStatus?.replicas ?? []).flatMap((r) =>
    (r.containers ?? []).filter((c) =>
      /ImagePull|ErrImagePull/i.test(`${c.additionalInformation ?? ''} ${c.status ?? ''}`),
    ),
  );
  if (pullEvents.length === 0 && pullStates.length === 0 && ev.waiting.length === 0) return undefined;
  const messages = [...pullEvents.map((e) => e.message), ...ev.waiting.map((w) => w.detail)];
  const quoted = messages.map((m) => /Failed to pull image "([^"]+)"/.exec(m)?.[1]).find((x) => x);
  const image = quoted ?? imagesOf(outcome.execution, ev.job)[0] ?? 'the image';
  const host = registryHost(image);
  const all = messages.join('\n');
  const detail = pullEvents.find((e) => /Failed to pull image/i.test(e.message))?.message;
  if (NOT_FOUND.test(all) || repositoryNotExist(all)) {
    return `the image '${image}' could not be pulled: it was not found${host ? ` in registry '${host}'` : ''}; check the image name and tag (inputs 'image' / 'image-tag') and that it was pushed`;
  }
  if (REFUSED.test(all)) {
    const reg = (ev.job?.configuration?.registries ?? []).find((r) => r.server?.toLowerCase() === host);
    if (!reg) {
      return `the image '${image}' could not be pulled: registry '${host ?? 'docker.io'}' refused it and the job has no credentials for that registry; set 'registry-identity' to an identity with the AcrPull role on the registry (or 'registry-username' and 'registry-password')`;
    }
    if (reg.identity) {
      const who =
        reg.identity.toLowerCase() === 'system'
          ? "the job's system-assigned identity"
          : `identity '${reg.identity.split('/').pop()}'`;
      return `the image '${image}' could not be pulled: registry '${host}' refused ${who}; grant it the AcrPull role on the registry (az role assignment create --role AcrPull --assignee <its principal ID> --scope <the registry's resource ID>)`;
    }
    return `the image '${image}' could not be pulled: registry '${host}' refused user '${reg.username ?? ''}'; check 'registry-username' and 'registry-password'`;
  }
  return `the image '${image}' could not be pulled${detail ? ` (${capLine(detail, QUOTED_LINE_CHARS).replace(/\.$/, '')})` : ''}; check the image reference and the registry settings`;
}

/**
 * An image pull that keeps failing ends the wait early (the execution would otherwise wait, containers in
 * ImagePullBackOff, until the replica timeout). The kubelet retries a failed pull with back-off (10 s, 20 s,
 * 40 s...): three failed pulls, about 30 s after the first, say the failure is not passing; so does any sign of a
 * failed pull that lasts `PULL_VERDICT_AFTER_MS`. Both are well within two minutes of the first failure.
 */
export const PULL_FAILURES_FOR_VERDICT = 3;
export const PULL_VERDICT_AFTER_MS = 90_000;
const FAILED_PULL = /Failed to pull image|ErrImagePull/i;

export interface PullSigns {
  /** The execution's system events so far. */
  events: SystemEvent[];
  /** When (runner clock) the first sign of a failed pull was seen: an event, a waiting container, a status. */
  firstSeenAt?: number;
}

/** Why the wait should end now because the image keeps failing to pull, or undefined. */
export function pullVerdict(signs: PullSigns, now: number): string | undefined {
  const failures = signs.events.filter(
    (e) => FAILED_PULL.test(e.message) || /^(ImagePullFailure|ErrImagePull)$/i.test(e.reason ?? ''),
  );
  const count = Math.max(failures.length, ...failures.map((e) => e.count ?? 0));
  const since = signs.firstSeenAt === undefined ? 0 : now - signs.firstSeenAt;
  if (count >= PULL_FAILURES_FOR_VERDICT) {
    return `the image failed to pull ${count} times${since >= 1000 ? ` in ${Math.round(since / 1000)} s` : ''}`;
  }
  if (signs.firstSeenAt !== undefined && since >= PULL_VERDICT_AFTER_MS) {
    return `the image has been failing to pull for ${Math.round(since / 1000)} s`;
  }
  return undefined;
}

function memoryOf(outcome: Outcome, job: Job | undefined, container: string | undefined): string | undefined {
  const pick = (cs: { name?: string; resources?: { memory?: string } }[] | undefined): string | undefined =>
    (cs ?? []).find((c) => container === undefined || c.name === container)?.resources?.memory;
  return pick(outcome.execution?.template?.containers) ?? pick(job?.template?.containers);
}

function oomDiagnosis(outcome: Outcome, ev: Evidence): string | undefined {
  for (const r of outcome.execution?.detailedStatus?.replicas ?? []) {
    for (const c of r.containers ?? []) {
      const oomState = /OOM/i.test(c.additionalInformation ?? '');
      const oomEvent = ev.events.some(
        (e) => /OOMKilled|out of memory/i.test(e.message) && (e.replica === undefined || e.replica === r.name),
      );
      if (c.code === 137 && (oomState || oomEvent)) {
        const mem = memoryOf(outcome, ev.job, c.name);
        return `container ${r.name}/${c.name} ran out of memory (exit code 137, OOMKilled)${mem ? ` with ${mem} per replica` : ''}; raise input 'memory' (with 'cpu': 0.25 vCPU per 0.5Gi)`;
      }
    }
  }
  const event = ev.events.find((e) => /reason 'OOMKilled'/.test(e.message));
  if (event) {
    return `a container ran out of memory (OOMKilled): ${capLine(event.message, QUOTED_LINE_CHARS)}; raise input 'memory'`;
  }
  return undefined;
}

function lastLines(ev: Evidence, key: string | undefined): string {
  if (!key) return '';
  const lines = ev.tailOf(key, LAST_LINES);
  return lines.length
    ? `\nLast log lines of ${key}:\n${lines.map((l) => `  ${capLine(l, QUOTED_LINE_CHARS)}`).join('\n')}`
    : '';
}

type EnvVar = NonNullable<NonNullable<NonNullable<Job['template']>['containers']>[number]['env']>[number];

/** The env of the container that failed (or of every container), as the execution ran it, else as the job has it. */
function envOf(outcome: Outcome, job: Job | undefined, container: string | undefined): EnvVar[] {
  const pick = (cs: { name?: string; env?: EnvVar[] }[] | undefined): EnvVar[] | undefined => {
    const mine = (cs ?? []).filter((c) => container === undefined || c.name === container);
    return mine.length ? mine.flatMap((c) => c.env ?? []) : undefined;
  };
  return pick(outcome.execution?.template?.containers) ?? pick(job?.template?.containers) ?? [];
}

const andList = (xs: string[]): string =>
  xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;

/**
 * When the failed container's output says it missed environment variables: which ones the job does not set and
 * how to add them, or that the job sets them but they may be empty or wrong.
 */
function envDiagnosis(outcome: Outcome, ev: Evidence): string | undefined {
  const keys = outcome.exitFrom ? [outcome.exitFrom] : (ev.streams ?? []);
  for (const key of keys) {
    const found = missingEnv(ev.tailOf(key, MAX_LINES));
    if (!found) continue;
    const container = outcome.exitFrom ? key.split('/').pop() : undefined;
    const env = envOf(outcome, ev.job, container);
    const unset = found.names.filter((n) => !env.some((e) => e.name === n));
    const output = `(its output: ${found.evidence})`;
    if (unset.length === 0) {
      const set = found.names.map((n) => {
        const e = env.find((x) => x.name === n);
        return e?.secretRef ? `${n} (from secret '${e.secretRef}')` : n;
      });
      return `the program reports environment variable${set.length > 1 ? 's' : ''} ${andList(set)} missing ${output}, but the job sets ${set.length > 1 ? 'them' : 'it'}: the value may be empty or wrong; check it in input 'env-vars' (or the secret's value in 'secrets')`;
    }
    const x = unset[0] as string;
    const secret = secretNameFor(x);
    const vars = unset.length > 1 ? `environment variables ${andList(unset)}` : `environment variable ${x}`;
    const guess = found.certain ? '' : ' probably';
    return `the program${guess} needs ${vars}, which the job does not set ${output}; add ${unset.length > 1 ? 'them' : 'it'} to input 'env-vars' as ${x}=<value>, or for a secret as ${x}=secretref:${secret} with ${secret}=\${{ secrets.${x} }} in input 'secrets'`;
  }
  return undefined;
}

function memoryOfExit(outcome: Outcome, job: Job | undefined): string | undefined {
  return memoryOf(outcome, job, outcome.exitFrom?.split('/').pop());
}

/** The step's error for an execution that did not succeed, with the best explanation the evidence allows. */
export function diagnose(outcome: Outcome, jobName: string, name: string, timeoutSec: number, ev: Evidence): Diagnosis {
  const generic = describeFailure(outcome, jobName, name, timeoutSec);
  const after = outcome.durationSec !== undefined ? ` after ${outcome.durationSec} s` : '';
  const azure = outcome.reason
    ? ` (Azure: ${outcome.reason}${outcome.message ? `, ${outcome.message.replace(/\.$/, '')}` : ''})`
    : '';
  const pull = pullDiagnosis(outcome, ev);
  if (outcome.endedEarly) {
    // The logs' verdict ended the wait (an image pull that keeps failing): say so, why, and the fix.
    const rt = ev.job?.configuration?.replicaTimeout;
    const what = outcome.stoppedByAction ? `was stopped${after}` : `could not be stopped${after}`;
    return {
      kind: 'image-pull',
      message: `Execution '${name}' of job '${jobName}' ${what} because ${outcome.endedEarly}, not left to wait for the replica timeout${rt ? ` (${rt} s)` : ''}: ${pull ?? 'the image could not be pulled; check the image reference and the registry settings'}${stopFailedSentence(outcome)}.`,
    };
  }
  if (outcome.status === 'Cancelled' || outcome.status === 'Running' || outcome.status === 'Succeeded') {
    return { kind: 'other', message: generic };
  }
  if (pull) {
    if (outcome.status === 'TimedOut') {
      return {
        kind: 'image-pull',
        message: `Execution '${name}' of job '${jobName}' did not finish within ${timeoutSec} s${outcome.stoppedByAction ? ' and was stopped' : ''}: ${pull}${stopFailedSentence(outcome)}.`,
      };
    }
    return {
      kind: 'image-pull',
      message: `Execution '${name}' of job '${jobName}' ended ${outcome.status}${after}: ${pull}${azure}.`,
    };
  }
  if (outcome.status === 'TimedOut' || outcome.status === 'Stopped') return { kind: 'other', message: generic };
  const oom = oomDiagnosis(outcome, ev);
  if (oom) {
    return {
      kind: 'oom',
      message: `Execution '${name}' of job '${jobName}' ended ${outcome.status}${after}: ${oom}.${lastLines(ev, outcome.exitFrom)}`,
    };
  }
  const plain = reasonSentence(outcome.reason, { job: ev.job, memory: memoryOfExit(outcome, ev.job) });
  if (/DeadlineExceeded/i.test(outcome.reason ?? '')) {
    const rt = ev.job?.configuration?.replicaTimeout;
    return {
      kind: 'deadline',
      message: `Execution '${name}' of job '${jobName}' ended ${outcome.status}${after}: the replica ran longer than input 'replica-timeout'${rt ? ` (${rt} s)` : ''} and Azure stopped it${azure}; raise 'replica-timeout' if the job needs longer, or find what hangs.${lastLines(ev, outcome.exitFrom)}`,
    };
  }
  const env = envDiagnosis(outcome, ev);
  const exited =
    outcome.exitCode !== undefined && outcome.exitCode !== 0
      ? `container ${outcome.exitFrom ?? ''} exited with code ${outcome.exitCode}`.replace('  ', ' ')
      : undefined;
  if (env) {
    return {
      kind: 'missing-env',
      message: `Execution '${name}' of job '${jobName}' ended ${outcome.status}${after}${exited ? `: ${exited}` : ''}${azure}: ${env}.${plain ? ` ${plain}` : ''}${lastLines(ev, outcome.exitFrom)}`,
    };
  }
  if (exited) {
    return {
      kind: 'exit',
      message: `Execution '${name}' of job '${jobName}' ended ${outcome.status}${after}: ${exited}${azure}.${plain ? ` ${plain}` : ''}${lastLines(ev, outcome.exitFrom)}`,
    };
  }
  return { kind: 'other', message: plain ? `${generic} ${plain}` : generic };
}
