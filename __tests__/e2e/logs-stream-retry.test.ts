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

describe('a log stream that fails at first', () => {
  it('is tried again while the execution runs, and its lines are shown live', { timeout: 120_000 }, async () => {
    edge.bed().standIn.faults.add({ host: 'logstream', path: '/logstream$', kind: 'status', status: 503, times: 5 });
    try {
      const lines = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`);
      const r = await run({ durationMs: 12_000, logs: lines }, { 'logs-wait': '1s' });
      expect(r.outputs['execution-status']).toBe('Succeeded');
      expect(r.log).not.toMatch(/from Log Analytics/);
      for (const l of lines) expect(r.log).toMatch(new RegExp(`\\d{3}Z ${l}$`, 'm'));
      expect(r.summary).not.toMatch(/from Log Analytics/);
    } finally {
      edge.bed().standIn.faults.clear();
    }
  });
});
