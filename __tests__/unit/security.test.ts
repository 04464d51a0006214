/**
 * The edges where untrusted text enters (container output, a build tool's output, Azure's messages): it never
 * runs a workflow command, never blocks the process (megabyte lines, no newline), is never live Markdown in the
 * summary, and the summary stays under GitHub's size limit. The tests on megabyte inputs hang for minutes with
 * a backtracking regex: vitest's timeout is the assertion (no timing is measured).
 */
import { describe, expect, it } from 'vitest';
import { capLine, fenceFor, LineSplitter, markdownText, printUntrusted } from '../../src/common/untrusted.ts';
import { parseStreamLine, LogPrinter } from '../../src/logs/stream.ts';
import { errorLine, knownFix, lastLines, pushedDigest, type FailureContext } from '../../src/build/build.ts';
import { diagnose, type Evidence } from '../../src/execution/diagnose.ts';
import type { Outcome } from '../../src/execution/execution.ts';
import { renderSummary, outputsOf, SUMMARY_MAX_BYTES } from '../../src/report/report.ts';
import { failedReport } from '../../test-support/fixtures.ts';
import { parseWorkflowCommand } from '../../test-support/harness.ts';
import { createLogsApi } from '../../src/azure/logs-api.ts';

const MB = 1024 * 1024;
const TS = '2026-11-23T12:00:01.123456789Z';

describe('printing untrusted lines', () => {
  it('puts every block in stop-commands with a fresh, unguessable token', () => {
    const out: string[] = [];
    printUntrusted((l) => out.push(l), ['::add-mask::x', 'two\n::set-output name=a::b']);
    printUntrusted((l) => out.push(l), ['again']);
    const first = out[0]!.slice('::stop-commands::'.length);
    const second = out[5]!.slice('::stop-commands::'.length);
    expect(out).toEqual([
      `::stop-commands::${first}`,
      '::add-mask::x',
      'two',
      '::set-output name=a::b',
      `::${first}::`,
      `::stop-commands::${second}`,
      'again',
      `::${second}::`,
    ]);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(second).not.toBe(first);
  });

  it('a log printer uses a new token for each block (one seen in the public log cannot end the next)', () => {
    const out: string[] = [];
    const p = new LogPrinter((l) => out.push(l));
    p.open('k', 'Logs: k');
    p.lines('k', ['one']);
    p.lines('k', ['two']);
    const tokens = out.filter((l) => l.startsWith('::stop-commands::'));
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).not.toBe(tokens[1]);
  });

  it('cuts a line over 64 KiB and says how much was cut', () => {
    expect(capLine('abc', 2)).toBe('ab… [1 characters cut]');
    const out: string[] = [];
    printUntrusted((l) => out.push(l), ['x'.repeat(MB)]);
    expect(out[1]).toBe(`${'x'.repeat(64 * 1024)}… [${MB - 64 * 1024} characters cut]`);
  });

  it('splits a stream into lines with bounded memory, also when it never sends a newline', () => {
    const s = new LineSplitter(10);
    expect(s.push('abc\nde')).toEqual(['abc']);
    expect(s.push('f\n')).toEqual(['def']);
    for (let i = 0; i < 1000; i++) expect(s.push('y'.repeat(1024))).toEqual([]);
    expect(s.push('\nlast')).toEqual([`${'y'.repeat(10)}… [${1024 * 1000 - 10} characters cut]`]);
    expect(s.end()).toBe('last');
    expect(s.end()).toBeUndefined();
  });
});

describe('megabyte lines do not block the process', () => {
  it('a stream line of spaces before a \\r is parsed at once', { timeout: 20_000 }, () => {
    const line = parseStreamLine(`${TS} ${' '.repeat(MB)}\rx`)!;
    expect(line.ts).toBe(TS);
    expect(line.text.length).toBeLessThanOrEqual(64 * 1024 + 40);
    expect(line.text).toMatch(/… \[\d+ characters cut\]$/);
    expect(parseStreamLine(`${TS} stdout F ${' '.repeat(MB)}\rx`)!.stream).toBe('stdout');
  });

  it(
    "a build's megabyte output is read at once (last lines, error line, digest, known fixes)",
    { timeout: 20_000 },
    () => {
      const ctx: FailureContext = { cli: 'docker', phase: 'build', image: 'r.io/a:1', server: 'r.io', login: 'none' };
      const spaces = `${' '.repeat(MB)}\rx`;
      const noise = 'no such file or directory '.repeat(MB / 26);
      const colours = '\x1b['.repeat(MB / 2);
      for (const output of [spaces, noise, colours, `containerfile ${'a'.repeat(MB)}`, 'a'.repeat(MB)]) {
        const lines = lastLines(output);
        expect(lines.every((l) => l.length <= 1024 + 40)).toBe(true);
        errorLine(lines);
        pushedDigest(output, '1');
        knownFix(output, ctx);
      }
      expect(knownFix('ERROR: failed: no such file or directory: /w/Dockerfile', ctx)).toMatch(/no Dockerfile/);
    },
  );

  it('a diagnosis of a megabyte event message is made at once', { timeout: 20_000 }, () => {
    const outcome: Outcome = { status: 'Failed', exitCode: 1, durationSec: 3 };
    const ev: Evidence = {
      events: [{ reason: 'ImagePullFailure', message: `Failed to pull image: ${'repository '.repeat(MB / 11)}` }],
      tailOf: () => [],
      waiting: [],
    };
    const d = diagnose(outcome, 'job', 'job-1', 60, ev);
    expect(d.kind).toBe('image-pull');
    expect(d.message.length).toBeLessThan(4096);
    const found = diagnose(outcome, 'job', 'job-1', 60, {
      ...ev,
      events: [{ reason: 'ImagePullFailure', message: 'Failed to pull image "a/b:1": repository a/b does not exist' }],
    });
    expect(found.message).toMatch(/it was not found/);
  });
});

const report = failedReport;

const HOSTILE = '<img src=x onerror=alert(1)> [link](http://evil.example) ![i](http://evil.example/i.png) **b** | x';

describe('the step summary renders untrusted text as text', () => {
  it('escapes Azure messages and the failure: no link, image, HTML or table cell comes alive', () => {
    const md = renderSummary(
      report({
        failure: HOSTILE,
        execution: { name: 'job-abc1234', status: 'Failed', reason: HOSTILE, message: `${HOSTILE}\nwww.evil.example` },
        logs: { tail: [], note: HOSTILE, query: 'Q' },
      }),
    );
    const ours = md.replace(/\]\(https:\/\/portal\.azure\.com[^)]*\)/g, '');
    expect(ours).not.toMatch(/<img|\]\(http|!\[|\*\*b|www\.evil/);
    // a table row keeps its two cells
    const row = md.split('\n').find((l) => l.startsWith('| Reason |'))!;
    expect(row.split('|')).toHaveLength(4);
    expect(md).toContain('&#60;img src&#61;x');
  });

  it('keeps log lines in a fence longer than any backtick run in them', () => {
    const md = renderSummary(report({ logs: { tail: ['```', '`````` x', '<img src=x>'], query: 'Q' } }));
    expect(md).toContain('```````text\n```\n`````` x\n<img src=x>\n```````');
    expect(fenceFor('no ticks')).toBe('```');
  });

  it('hides secrets before escaping them (an escaped secret would no longer match)', () => {
    const secret = 'p@ss<word>!';
    const md = renderSummary(report({ failure: `login failed for ${secret}` }), (t) => t.split(secret).join('***'));
    expect(md).toContain(markdownText('login failed for ***'));
    expect(md).not.toContain(markdownText(secret));
  });

  it('stays under GitHub’s 1 MiB limit with long lines, a long failure and many changes, and says what was cut', () => {
    const long = 'x'.repeat(200 * 1024);
    const changes = Array.from({ length: 3000 }, (_, i) => ({ field: `env ${i}`, from: long, to: long }));
    const md = renderSummary(
      report({
        failure: long.repeat(5),
        changes,
        logs: { tail: Array.from({ length: 500 }, () => long), query: 'Q' },
      }),
    );
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(md).toMatch(/Last 50 lines of the log/);
    expect(md).toMatch(/characters cut/);
    expect(md).toMatch(/more changes are not shown/);
  });

  it('caps output values', () => {
    const out = outputsOf(report({ image: `r.io/a@${'x'.repeat(2 * MB)}` }));
    expect(out.image!.length).toBeLessThan(70 * 1024);
  });
});

describe('the harness honours stop-commands as the runner does', () => {
  it('parses a command after leading spaces, which is why lines are indented inside a block only', () => {
    expect(parseWorkflowCommand('  ::add-mask::x')?.command).toBe('add-mask');
  });
});

describe('the log endpoints', () => {
  it('never send the stream token to an endpoint that is not https', async () => {
    const api = createLogsApi({
      credential: { getToken: async () => null },
      subscriptionId: 's',
      resourceGroup: 'rg',
      jobName: 'job',
      armEndpoint: 'https://management.azure.com',
      armScope: 'https://management.azure.com/.default',
      logAnalyticsEndpoint: 'https://api.loganalytics.io',
      logAnalyticsScope: 'https://api.loganalytics.io/.default',
    });
    const signal = new AbortController().signal;
    await expect(api.openStream('http://127.0.0.1:9/logstream', 'token', signal)).rejects.toThrow(/not https/);
    await expect(api.getText('http://127.0.0.1:9/events', 'token', signal)).rejects.toThrow(/not https/);
  });
});
