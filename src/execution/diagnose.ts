/**
 * Why an execution failed, in the user's terms (pure). Evidence: the execution's status, reason and message,
 * its detailedStatus (exit codes, container states), the platform's system events (image pulls, container
 * exits, OOM kills) and the containers' last log lines. What each case says and the fix it proposes:
 *
 * - the image could not be pulled: not found (name or tag), the registry refused (no credentials configured,
 *   an identity without AcrPull, a wrong password), or another pull error;
 * - out of memory (exit code 137, OOMKilled): raise `memory`;
 * - the replica timeout was reached (DeadlineExceeded): raise `replica-timeout`;
 * - a container exited with code N, with its last log lines, and whether every retry failed.
 *
 * Anything else keeps the generic sentence (`describeFailure`).
 */
import type { Job, JobExecution } from '@azure/arm-appcontainers';
import { describeFailure, stopFailedSentence, type Outcome } from './execution.js';
import { registryHost } from '../common/image.js';
import { capLine } from '../common/untrusted.js';

/** A platform event about the execution (image pulls, container exits...), from the event stream or Log Analytics. */
export interface SystemEvent {
  time?: string;
  type?: string;
  reason?: string;
  message: string;
  replica?: string;
}

export interface Evidence {
  job?: Job;
  events: SystemEvent[];
  /** The last console lines of a `replica/container`. */
  tailOf(key: string, n: number): string[];
  /** Containers whose logs could not be streamed because they never started (the service's message). */
  waiting: { replica: string; container: string; detail: string }[];
}

export type DiagnosisKind = 'image-pull' | 'oom' | 'deadline' | 'exit' | 'other';

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

/** The step's error for an execution that did not succeed, with the best explanation the evidence allows. */
export function diagnose(outcome: Outcome, jobName: string, name: string, timeoutSec: number, ev: Evidence): Diagnosis {
  const generic = describeFailure(outcome, jobName, name, timeoutSec);
  const after = outcome.durationSec !== undefined ? ` after ${outcome.durationSec} s` : '';
  const azure = outcome.reason
    ? ` (Azure: ${outcome.reason}${outcome.message ? `, ${outcome.message.replace(/\.$/, '')}` : ''})`
    : '';
  if (outcome.status === 'Cancelled' || outcome.status === 'Running' || outcome.status === 'Succeeded') {
    return { kind: 'other', message: generic };
  }
  const pull = pullDiagnosis(outcome, ev);
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
  if (/DeadlineExceeded/i.test(outcome.reason ?? '')) {
    const rt = ev.job?.configuration?.replicaTimeout;
    return {
      kind: 'deadline',
      message: `Execution '${name}' of job '${jobName}' ended ${outcome.status}${after}: the replica timeout${rt ? ` of ${rt} s` : ''} was reached and Azure stopped the replica${azure}; raise input 'replica-timeout' if the job needs longer.${lastLines(ev, outcome.exitFrom)}`,
    };
  }
  if (outcome.exitCode !== undefined && outcome.exitCode !== 0) {
    const retries = ev.job?.configuration?.replicaRetryLimit ?? 0;
    const tries =
      retries > 0 && /BackoffLimitExceeded/i.test(outcome.reason ?? '')
        ? ` Every try failed (${retries + 1} tries: replica-retry-limit ${retries}).`
        : '';
    const sentence = generic.replace(/ See its logs in the portal \(link in the summary\)\.$/, '');
    return { kind: 'exit', message: `${sentence}${tries}${lastLines(ev, outcome.exitFrom)}` };
  }
  return { kind: 'other', message: generic };
}
