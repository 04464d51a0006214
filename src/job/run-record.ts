/**
 * The run record: every write the action makes to a job carries tags naming the workflow run that made it
 * (repository, commit, run URL), so the portal shows which run last changed the job. Pure: the caller passes
 * the run's context (@actions/github's `context`, which reads GITHUB_* from the environment).
 *
 * The tags ride on a write that happens anyway and never cause one: a job that matches the inputs stays
 * `unchanged`, whatever run last wrote it.
 */
import type { Job, JobPatchProperties } from '@azure/arm-appcontainers';

export const RUN_TAG = {
  repository: 'github-repository',
  sha: 'github-sha',
  run: 'github-run',
} as const;

export const RUN_TAG_KEYS: readonly string[] = Object.values(RUN_TAG);

/** Azure refuses tag values over 256 characters. */
const TAG_VALUE_MAX = 256;

export interface RunRecord {
  repository: string;
  sha: string;
  /** `${serverUrl}/${repository}/actions/runs/${runId}` */
  runUrl: string;
}

/** What the record needs of @actions/github's context (its `repo` getter throws without GITHUB_REPOSITORY). */
export interface RunContext {
  serverUrl?: string;
  runId?: number;
  sha?: string;
  /** owner/name */
  repository?: string;
}

/** The record of this run, or undefined outside a workflow run (no repository, run ID or commit). */
export function runRecordOf(ctx: RunContext): RunRecord | undefined {
  const repository = ctx.repository?.trim();
  const sha = ctx.sha?.trim();
  if (!repository || !sha || ctx.runId === undefined || !Number.isSafeInteger(ctx.runId) || ctx.runId <= 0) {
    return undefined;
  }
  const server = (ctx.serverUrl?.trim() || 'https://github.com').replace(/\/+$/, '');
  const record = { repository, sha, runUrl: `${server}/${repository}/actions/runs/${ctx.runId}` };
  return Object.values(record).every((v) => v.length <= TAG_VALUE_MAX) ? record : undefined;
}

/** The record as job tags. */
export function runTags(record: RunRecord): Record<string, string> {
  return { [RUN_TAG.repository]: record.repository, [RUN_TAG.sha]: record.sha, [RUN_TAG.run]: record.runUrl };
}

/** The run-record keys a user's tags (input `tags` or job-yaml) set: the record replaces them, which is said. */
export function clashingTags(tags: Record<string, unknown> | undefined): string[] {
  return Object.keys(tags ?? {}).filter((k) => RUN_TAG_KEYS.includes(k.toLowerCase()));
}

/**
 * The desired tags with the record's keys as they are on the live job, so that planning a change never sees the
 * record (another run's tags are not a difference, and their absence from a file or input is not a removal).
 */
export function withLiveRecord(
  desired: Record<string, string> | undefined,
  live: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (!desired) return desired;
  const out = Object.fromEntries(Object.entries(desired).filter(([k]) => !RUN_TAG_KEYS.includes(k.toLowerCase())));
  for (const k of RUN_TAG_KEYS) if (live?.[k] !== undefined) out[k] = live[k];
  return out;
}

/**
 * A planned PATCH with the record added to its tags (all of them: live, the patch's, then the record, so a
 * service that replaces tags whole keeps the others). No patch (nothing to change): no patch, no record.
 */
export function addRunRecord(
  patch: JobPatchProperties | undefined,
  liveTags: Record<string, string> | undefined,
  record: RunRecord | undefined,
): JobPatchProperties | undefined {
  if (!patch || !record) return patch;
  const tags: Record<string, string> = { ...(liveTags ?? {}) };
  for (const [k, v] of Object.entries((patch.tags ?? {}) as Record<string, string | null>)) {
    if (v === null) delete tags[k];
    else tags[k] = v;
  }
  return { ...patch, tags: { ...tags, ...runTags(record) } };
}

/** A job to create with the record in its tags. */
export function createWithRunRecord(job: Job, record: RunRecord | undefined): Job {
  return record ? { ...job, tags: { ...(job.tags ?? {}), ...runTags(record) } } : job;
}

/** The record a job carries (from an earlier run), or undefined when its tags have none. */
export function recordOnJob(tags: Record<string, string> | undefined): RunRecord | undefined {
  const runUrl = tags?.[RUN_TAG.run];
  if (!runUrl) return undefined;
  return { runUrl, sha: tags?.[RUN_TAG.sha] ?? '', repository: tags?.[RUN_TAG.repository] ?? '' };
}
