/**
 * The documentation quotes the action's real messages and its links lead somewhere:
 * - every message quoted in docs/troubleshooting.md (lines `Error: …`, `Warning: …`, `Notice: …` in text blocks)
 *   and every message start in the README's troubleshooting table is still printed by src/;
 * - every relative link in the Markdown files points to a file that exists, and every `#anchor` to a heading.
 *
 * A quoted message may hold `<placeholders>` (values from a run) and concrete example values; apart from those,
 * its text must come from the source. The check covers the message with pieces of at least 14 characters found
 * in src/*.ts and allows only short uncovered runs (at most 40 % of the text) (an example value such as `create`; Azure's `(403 Code)` counts as a placeholder), so a
 * reworded or removed message fails while the docs may still show realistic values.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const read = (f: string): string => readFileSync(join(root, f), 'utf8');

const source = readdirSync(join(root, 'src'), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => read(join('src', f)))
  .join('\n');

const MIN_PIECE = 14;
const MAX_UNCOVERED_RUN = 20;
const MAX_UNCOVERED_SHARE = 0.4;

/** Parts of a quoted message not found in the source (placeholders removed), longer than allowed. */
function uncoveredRuns(message: string, haystack: string): string[] {
  const parts = message
    .replace(/\((?:<status>|\d{3}) (?:<code>|[A-Za-z]+)\)/g, '\u0000')
    .replace(/<[^<>]*>/g, '\u0000')
    .replace(/…/g, '\u0000')
    .split('\u0000');
  const problems: string[] = [];
  let total = 0;
  let uncovered = 0;
  for (const part of parts) {
    total += part.trim().length;
    // A piece between two placeholders that the source has as it is (e.g. "' of job '") is covered whole.
    if (part.trim().length < MIN_PIECE && haystack.includes(part)) continue;
    let run = '';
    let i = 0;
    while (i < part.length) {
      let len = 0;
      if (i + MIN_PIECE <= part.length && haystack.includes(part.slice(i, i + MIN_PIECE))) {
        len = MIN_PIECE;
        while (i + len < part.length && haystack.includes(part.slice(i, i + len + 1))) len += 1;
      }
      if (len > 0) {
        if (run.trim().length > MAX_UNCOVERED_RUN) problems.push(run.trim());
        run = '';
        i += len;
      } else {
        run += part[i];
        uncovered += part[i] === ' ' ? 0 : 1;
        i += 1;
      }
    }
    if (run.trim().length > MAX_UNCOVERED_RUN) problems.push(run.trim());
  }
  if (uncovered > MAX_UNCOVERED_SHARE * total) problems.push(`${uncovered} of ${total} characters not from src/`);
  return problems;
}

function quotedMessages(markdown: string): string[] {
  const out: string[] = [];
  for (const block of markdown.matchAll(/```text\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      const m = /^(?:Error|Warning|Notice): (.+)$/.exec(line);
      if (m) out.push(m[1]!);
    }
  }
  return out;
}

describe('troubleshooting quotes the messages the action prints', () => {
  const doc = read('docs/troubleshooting.md');
  const messages = quotedMessages(doc);

  it('finds the quoted messages', () => {
    expect(messages.length).toBeGreaterThanOrEqual(30);
  });

  it.each(messages.map((m) => [m.slice(0, 70), m]))('%s…', (_title, message) => {
    expect(uncoveredRuns(message, source), 'text not printed by src/ (reworded or removed?)').toEqual([]);
  });

  it("the README's troubleshooting table starts each row with a message the action prints", () => {
    const readme = read('README.md');
    const section = readme.split('\n## Troubleshooting\n')[1]!.split('\n## ')[0]!;
    const starts = [...section.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]!.replace(/'…'/g, "'<value>'"));
    expect(starts.length).toBeGreaterThanOrEqual(6);
    for (const start of starts) expect(uncoveredRuns(start, source), start).toEqual([]);
  });

  it('the check itself catches a reworded message', () => {
    expect(
      uncoveredRuns('GitHub did not give this job an OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is not set)', source),
    ).toEqual([]);
    expect(
      uncoveredRuns('GitHub refused to hand this job any OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is unset)', source),
    ).not.toEqual([]);
    expect(uncoveredRuns("Execution '<e>' of job '<j>' failed after <n> s. Look at its logs.", source)).not.toEqual([]);
  });
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to '-', duplicates numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const text = m[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function markdownFiles(): string[] {
  const files = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', 'SECURITY.md', 'standin/README.md'];
  const docs = existsSync(join(root, 'docs'))
    ? readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`)
    : [];
  return [...files, ...docs].filter((f) => existsSync(join(root, f)));
}

describe('documentation links', () => {
  it.each(markdownFiles())('%s: relative links and anchors resolve', (file) => {
    const text = read(file).replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) continue;
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const resolved = path === '' ? join(root, file) : join(root, dirname(file), path);
      if (!existsSync(resolved)) {
        broken.push(`${target} (no file ${relative(root, resolved)})`);
        continue;
      }
      if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) {
        broken.push(`${target} (no heading for #${anchor})`);
      }
    }
    expect(broken).toEqual([]);
  });
});
