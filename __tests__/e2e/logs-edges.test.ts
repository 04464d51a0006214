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

describe('hostile and huge output', () => {
  it('hostile lines are text in the summary: no live HTML, link or image, fenced log tail', async () => {
    const r = await run({
      durationMs: 600,
      outcome: 'Failed',
      exitCode: 3,
      reason: 'Error <img src=x onerror=alert(1)> [click](http://evil.example)',
      message: '![pixel](http://evil.example/p.png) **urgent**',
      logs: ['<img src=x onerror=alert(1)>', '[link](http://evil.example)', '````', '::add-mask::Execution'],
    });
    expect(r.exitCode).toBe(1);
    expect(r.masks).not.toContain('Execution');
    // The log tail is there, verbatim, in a fence longer than the ```` line.
    const fenced = /\n`````text\n([^]*?)\n`````\n/.exec(r.summary);
    expect(fenced?.[1]).toMatch(/<img src=x onerror=alert\(1\)>\n.*\[link\]\(http:\/\/evil\.example\)\n.*````\n/);
    // Everywhere else (Azure's reason and message, the error), nothing is live.
    const outside = r.summary.replace(fenced![0], '\n');
    expect(outside).not.toMatch(/<img|\]\(http:\/\/evil|!\[pixel\]|\*\*urgent/);
    expect(outside).toContain('&#60;img src&#61;x');
  });

  it(
    'a megabyte line and 300 KB lines: the run ends normally and keeps a summary under 1 MiB',
    { timeout: 120_000 },
    async () => {
      const big = 'y'.repeat(300 * 1024);
      const r = await run({
        durationMs: 1500,
        logs: [`${' '.repeat(1024 * 1024)}\rafter the spaces`, big, big, big, big, 'the end'],
      });
      expect(r.errors).toEqual([]);
      expect(r.outputs['execution-status']).toBe('Succeeded');
      expect(r.summary).not.toBe('');
      expect(Buffer.byteLength(r.summary)).toBeLessThan(1024 * 1024);
      expect(r.summary).toMatch(/characters cut\]/);
      expect(r.log).toMatch(/the end/);
      expect(r.log).toMatch(/… \[\d+ characters cut\]/);
    },
  );
});
