/**
 * on-failure: rollback. When the execution a step started after changing the job fails, the job is put back as it
 * was before the step's write, in one PATCH (secrets with the values read before the change), unless someone
 * else changed the job since: then nothing is written and the step says so.
 *
 * A PATCH is atomic, so the job is either as the step wrote it or as it was before; the rollback makes sure which
 * one by reading the job back whenever an answer is lost (a dropped connection, 409 while an operation runs, a
 * throttled write the SDK gave up on), and never sends its PATCH over a job that differs from both.
 */
import type { Job, JobPatchProperties, Secret } from '@azure/arm-appcontainers';
import type { JobApi } from '../azure/arm.js';
import type { Clock } from '../common/clock.js';
import { codeOf, statusOf } from '../common/errors.js';
import { jobToWire, same, type Json, type Obj } from './definition.js';
import type { Change } from './spec.js';

/** What a rollback needs to know about the step's write. */
export interface RollbackInput {
  jobName: string;
  /** The job as it was before the step's write (a GET). */
  before: Job;
  /** The job as the step's write left it (Azure's answer to the write). */
  written: Job;
  /** The PATCH that puts back what the write changed (secrets, when the write sent them, with their old values). */
  patch: JobPatchProperties;
  /** What the step's write changed (forward: from = before, to = after); secret values never appear. */
  changes: Change[];
  /** The secrets list the step's write sent (with values), when it sent one: checked before the rollback. */
  secretsWritten?: Secret[];
  /** Tags the rollback's write adds (the run record): expected on the job afterwards. */
  extraTags?: Record<string, string>;
}

export interface RollbackDeps {
  api: Pick<JobApi, 'getJob' | 'updateJob' | 'listSecrets'>;
  clock: Clock;
  info(message: string): void;
  warning(message: string): void;
}

export type RollbackResult =
  | { rolledBack: true; restored: string }
  | { rolledBack: false; conflict: true; fields: string[] }
  | { rolledBack: false; conflict: false; reason: string };

/** Waits between tries when an answer was lost or the job was busy (409): about a minute in all. */
export const ROLLBACK_WAITS_MS = [2000, 4000, 8000, 15000, 30000];

const MAX_FIELDS = 6;

function isObj(v: Json | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A list item's label in a path: its name when it has one. */
function label(item: Json | undefined, i: number): string {
  return isObj(item) && typeof item.name === 'string' ? item.name : String(i);
}

function walk(a: Json | undefined, b: Json | undefined, path: string, out: string[]): void {
  if (same(a, b) || out.length > MAX_FIELDS * 4) return;
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => walk(x, b[i], `${path}[${label(x, i)}]`, out));
    return;
  }
  out.push(path || '(the job)');
}

/**
 * Where two jobs differ (wire shape, read-only members such as provisioning state left out), as paths like
 * `properties.template.containers[main].image`; empty when they are the same.
 */
export function jobDifferences(a: Job, b: Job): string[] {
  const out: string[] = [];
  walk(comparable(a), comparable(b), '', out);
  return out;
}

/**
 * A job's wire shape without what no write can change (location, environment, workload profile): Azure spells them
 * differently in different answers (an operation's result says 'East US' where a GET may say 'eastus').
 */
function comparable(job: Job): Obj {
  const wire = jobToWire(job);
  delete wire.location;
  const props = wire.properties as Obj | undefined;
  if (props) {
    delete props.environmentId;
    delete props.workloadProfileName;
  }
  return wire;
}

/** Where two secret lists differ, by name (values compared, never shown). */
export function secretDifferences(expected: readonly Secret[], live: readonly Secret[]): string[] {
  const key = (s: Secret): string => JSON.stringify([s.value ?? null, s.keyVaultUrl ?? null, s.identity ?? null]);
  const names = new Set([...expected, ...live].map((s) => s.name ?? ''));
  const out: string[] = [];
  for (const name of names) {
    const e = expected.find((s) => s.name === name);
    const l = live.find((s) => s.name === name);
    if (!e || !l || key(e) !== key(l)) out.push(`secret ${name}`);
  }
  return out;
}

const cut = (text: string, max = 80): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Short names for the change paths of the deploy's diff (`template.containers[main].env[MODE]` → `env MODE`). */
const LABELS: [RegExp, (m: RegExpExecArray) => string, boolean?][] = [
  [/^template\.(?:initContainers|containers)\[[^\]]*\]\.image$/, () => 'image'],
  [/^template\.(?:initContainers|containers)\[[^\]]*\]\.env\[([^\]]*)\]$/, (m) => `env ${m[1]}`, true],
  [/^template\.(?:initContainers|containers)\[[^\]]*\]\.resources\.(cpu|memory)$/, (m) => m[1]!],
  [/^template\.(?:initContainers|containers)\[[^\]]*\]\.(command|args)$/, (m) => m[1]!],
  [/^configuration\.secrets\[([^\]]*)\]$/, (m) => `secret ${m[1]}`],
  [/^tags\[([^\]]*)\]$/, (m) => `tag ${m[1]}`, true],
  [/^configuration\.triggerType$/, () => 'trigger'],
  [/^configuration\.scheduleTriggerConfig\.cronExpression$/, () => 'cron'],
];

/**
 * What a rollback puts back, for the error line: `image app:1, env MODE=full, secret api-key, tag team=data`.
 * Each setting is named with the value it gets back (removed when the step added it); secrets by name only.
 */
export function describeRestored(changes: readonly Change[]): string {
  const parts = changes.map((c) => {
    let field = c.field;
    let pair = false;
    for (const [re, name, isPair] of LABELS) {
      const m = re.exec(c.field);
      if (m) {
        field = name(m);
        pair = !!isPair;
        break;
      }
    }
    if (field.startsWith('secret ')) return c.from === undefined ? `${field} (removed)` : field;
    if (c.from === undefined) return `${field} (removed)`;
    return pair ? `${field}=${cut(c.from)}` : `${field} ${cut(c.from)}`;
  });
  const shown = parts.slice(0, 12);
  return `${shown.join(', ')}${parts.length > shown.length ? ` and ${parts.length - shown.length} more` : ''}`;
}

/** The job as the rollback should leave it: as before, with the rollback write's own tags. */
function expectedAfter(input: RollbackInput): Job {
  return input.extraTags
    ? { ...input.before, tags: { ...(input.before.tags ?? {}), ...input.extraTags } }
    : input.before;
}

/** An answer that leaves open whether Azure wrote (dropped, busy 409, throttled or failing once the SDK gave up). */
function unsure(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
}

function describe(error: unknown): string {
  const status = statusOf(error);
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return `${status ?? ''}${code ? ` ${code}` : ''}${status !== undefined || code ? ': ' : ''}${cut(message.split('\n')[0] ?? '', 200)}`;
}

/** Reads the job until no operation runs on it (a busy job's state is not final yet). */
async function settled(deps: RollbackDeps, jobName: string): Promise<Job> {
  for (let i = 0; ; i++) {
    const job = await deps.api.getJob();
    if (!job) throw new Error(`job '${jobName}' no longer exists`);
    const state = (job as { provisioningState?: string }).provisioningState;
    if (!/^(InProgress|Updating|Creating|Deleting)$/i.test(state ?? '') || i >= ROLLBACK_WAITS_MS.length) return job;
    await deps.clock.sleep(ROLLBACK_WAITS_MS[i]!);
  }
}

/**
 * Puts the job back. Before writing: the live job (and, when the step wrote secrets, their values) must still be
 * what the step's write left; otherwise nothing is written (`conflict`). After writing: the job is read back and
 * must be as it was before the step.
 */
export async function rollBack(input: RollbackInput, deps: RollbackDeps): Promise<RollbackResult> {
  const { api } = deps;
  const expected = expectedAfter(input);
  const restored = describeRestored(input.changes);

  const restoredSecrets = input.patch.properties?.configuration?.secrets;

  /** Whether the job is as the step wrote it, already rolled back, or changed by someone else (where). */
  const check = async (): Promise<'written' | 'restored' | string[]> => {
    const live = await settled(deps, input.jobName);
    const fromWritten = jobDifferences(input.written, live);
    const fromBefore = jobDifferences(live, expected);
    if (fromWritten.length && !fromBefore.length) return 'restored'; // secrets, if any, are checked by verify
    if (fromWritten.length) return fromWritten;
    if (!input.secretsWritten) return 'written';
    // A GET shows secret names only: their values tell whether the step's secrets are still there.
    const live_ = await api.listSecrets();
    const changed = secretDifferences(input.secretsWritten, live_);
    if (!changed.length) return 'written';
    if (!fromBefore.length && restoredSecrets && !secretDifferences(restoredSecrets, live_).length) return 'restored';
    return changed;
  };

  const first = await check();
  if (Array.isArray(first)) return { rolledBack: false, conflict: true, fields: first.slice(0, MAX_FIELDS) };
  if (first === 'restored') return verify(input, deps, restored);

  deps.info(`Rolling back job '${input.jobName}': ${restored}.`);
  for (let attempt = 0; ; attempt++) {
    try {
      await api.updateJob(input.patch);
      break;
    } catch (error) {
      if (!unsure(error) || attempt >= ROLLBACK_WAITS_MS.length) {
        return {
          rolledBack: false,
          conflict: false,
          reason: `Azure did not accept the rollback (${describe(error)})`,
        };
      }
      const wait = ROLLBACK_WAITS_MS[attempt]!;
      deps.warning(
        `The rollback of job '${input.jobName}' got no answer it could use (${describe(error)}); reading the job back in ${Math.round(wait / 1000)} s to see whether it was written.`,
      );
      await deps.clock.sleep(wait);
      const now = await check();
      if (now === 'restored') break;
      if (Array.isArray(now)) return { rolledBack: false, conflict: true, fields: now.slice(0, MAX_FIELDS) };
    }
  }
  return verify(input, deps, restored);
}

/** Reads the job back after the rollback: it must be as before the step, secrets included. */
async function verify(input: RollbackInput, deps: RollbackDeps, restored: string): Promise<RollbackResult> {
  const live = await settled(deps, input.jobName);
  const off = jobDifferences(live, expectedAfter(input));
  const sent = input.patch.properties?.configuration?.secrets;
  if (!off.length && sent) off.push(...secretDifferences(sent, await deps.api.listSecrets()));
  if (off.length) {
    return {
      rolledBack: false,
      conflict: false,
      reason: `after the rollback, job '${input.jobName}' is not as it was before this step (${off.slice(0, MAX_FIELDS).join(', ')})`,
    };
  }
  return { rolledBack: true, restored };
}
