/**
 * Summary lines for the run record (which workflow run last changed the job) and the rollback (pure). The
 * record comes from the job's tags, which anyone who can edit the job can set: it is shown as inert text unless it
 * is exactly a GitHub Actions run URL.
 */
import type { RunRecord } from '../job/run-record.js';
import { markdownText } from '../common/untrusted.js';

const RUN_URL =
  /^https:\/\/[A-Za-z0-9.-]{1,253}(?::\d{1,5})?\/[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}\/actions\/runs\/\d{1,20}$/;
const SHA = /^[0-9a-f]{7,64}$/i;

/** The run as a link when it is a run URL, else as escaped text; the commit shortened to 7 characters. */
export function describeRecord(record: RunRecord): string {
  const run = RUN_URL.test(record.runUrl) ? `<${record.runUrl}>` : markdownText(record.runUrl, 300);
  const sha = SHA.test(record.sha) ? ` (\`${record.sha.slice(0, 7)}\`)` : '';
  return `${run}${sha}`;
}

/**
 * "last changed by <run URL> (<sha>)": the record the job carried when this step read it. When this step wrote the
 * job, that is the run before it.
 */
export function renderLastChanged(record: RunRecord | undefined, wroteNow: boolean): string[] {
  if (!record) return [];
  return [
    `${wroteNow ? 'Before this step, the job was last changed by' : 'Job last changed by'} ${describeRecord(record)}.`,
    '',
  ];
}

export interface RollbackReport {
  /** true: put back; false: asked but not done (why in `note`). */
  rolledBack: boolean;
  /** What was put back, or why nothing was. */
  note: string;
}

export function renderRollback(rollback: RollbackReport | undefined, r: (text: string) => string): string[] {
  if (!rollback) return [];
  const head = rollback.rolledBack ? '↩️ **Rolled back:**' : '⚠️ **Not rolled back:**';
  return [`${head} ${markdownText(r(rollback.note), 4096)}`, ''];
}
