/**
 * The job's output at the edges, end to end through the bundled action: hostile text stays text in the log and
 * the step summary, megabyte lines do not cost the summary (GitHub drops one over 1 MiB), a log stream that
 * fails its first connections is tried again while the execution runs, and lines it could not show are said.
 * (A megabyte line of spaces right after the timestamp froze the parser; the stand-in always sends the CRI
 * `stdout F` prefix, which does not, so that case is a unit test: __tests__/unit/security.test.ts.)
 *
 * Part of the logs-edges suite (split in files so that no file holds the parallel run back).
 */
import { describe, expect, it } from 'vitest';
import { logsEdgeBed } from '../../test-support/e2e-suite.ts';

const edge = logsEdgeBed();
const run = edge.run;

describe('lines the live log could not show', () => {
  it(
    'says that earlier lines may be missing when the stream connected after more than it replays',
    { timeout: 120_000 },
    async () => {
      edge.bed().standIn.faults.add({ host: 'logstream', path: '/logstream$', kind: 'status', status: 503, times: 5 });
      try {
        const early = Array.from({ length: 400 }, (_, i) => ({ text: `early ${i + 1}`, atMs: 100 + i }));
        const r = await run(
          { durationMs: 12_000, logs: [...early, { text: 'late', atMs: 11_000 }] },
          { 'logs-wait': '1s' },
        );
        expect(r.outputs['execution-status']).toBe('Succeeded');
        expect(r.log).not.toMatch(/ early 1$/m);
        expect(r.log).toMatch(/ early 400$/m);
        expect(r.log).toMatch(
          /Earlier lines of .* may be missing here: the log stream replays only its last 300 lines/,
        );
        expect(r.summary).toMatch(/Not every line was shown live&#58; earlier lines of .* may be missing/);
      } finally {
        edge.bed().standIn.faults.clear();
      }
    },
  );
});
