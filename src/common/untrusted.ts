/**
 * Text the action did not write (container output, a build tool's output, Azure's messages) printed and shown
 * safely. The one place that decides how:
 *
 * - In the workflow log, untrusted lines are printed between `::stop-commands::TOKEN` and `::TOKEN::` with a
 *   fresh random token for every block (`printUntrusted`): a token kept for the whole run could be read from the
 *   public log by the job and used to turn commands back on.
 * - No line is longer than `MAX_LINE_CHARS` (`capLine`); a stream without newlines is split by `LineSplitter`
 *   so memory stays bounded.
 * - In the step summary (Markdown), untrusted text is either in a fenced block whose fence is longer than any
 *   backtick run inside (`fenceFor`) or escaped so that no Markdown or HTML in it is live (`markdownText`).
 *
 * Every function here is linear in its input: no regular expression that can backtrack.
 */
import { randomBytes } from 'node:crypto';

/** The longest line printed or kept; the rest is cut and counted. */
export const MAX_LINE_CHARS = 64 * 1024;

/** The line, cut to `max` characters with `… [N characters cut]` when longer. */
export function capLine(line: string, max = MAX_LINE_CHARS): string {
  if (line.length <= max) return line;
  return `${line.slice(0, max)}… [${line.length - max} characters cut]`;
}

/** A token nobody can guess, fresh for each block. */
export function freshToken(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Prints untrusted lines through `out` (one call per line) so that none can run a workflow command: a fresh
 * `::stop-commands::` block around them, each line capped. Lines holding newlines are split (the runner reads
 * `\r` as a line end too; inside the block that is harmless).
 */
export function printUntrusted(out: (line: string) => void, lines: Iterable<string>): void {
  const token = freshToken();
  out(`::stop-commands::${token}`);
  for (const line of lines) {
    let from = 0;
    for (;;) {
      const nl = line.indexOf('\n', from);
      out(capLine(nl < 0 ? line.slice(from) : line.slice(from, nl)));
      if (nl < 0) break;
      from = nl + 1;
    }
  }
  out(`::${token}::`);
}

/**
 * Splits a stream of chunks into lines, in linear time, keeping at most `max` characters of a line (the rest is
 * counted and said, as `capLine` does): a stream that never sends a newline cannot grow memory without bound.
 */
export class LineSplitter {
  private parts: string[] = [];
  private kept = 0;
  private cut = 0;
  private readonly max: number;

  constructor(max = MAX_LINE_CHARS) {
    this.max = max;
  }

  /** The lines the chunk completes. */
  push(chunk: string): string[] {
    const out: string[] = [];
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', from);
      this.add(nl < 0 ? chunk.slice(from) : chunk.slice(from, nl));
      if (nl < 0) break;
      out.push(this.take());
      from = nl + 1;
    }
    return out;
  }

  /** The last line, when the stream ended without a newline (undefined when there is none). */
  end(): string | undefined {
    if (this.kept === 0 && this.cut === 0) return undefined;
    return this.take();
  }

  private add(text: string): void {
    const room = this.max - this.kept;
    if (text.length <= room) {
      if (text) this.parts.push(text);
      this.kept += text.length;
      return;
    }
    if (room > 0) this.parts.push(text.slice(0, room));
    this.kept += Math.max(0, room);
    this.cut += text.length - Math.max(0, room);
  }

  private take(): string {
    const line = this.parts.join('') + (this.cut > 0 ? `… [${this.cut} characters cut]` : '');
    this.parts = [];
    this.kept = 0;
    this.cut = 0;
    return line;
  }
}

/** The length of the longest run of `ch` in `text` (linear). */
function longestRun(text: string, ch: string): number {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ch) {
      run++;
      if (run > longest) longest = run;
    } else run = 0;
  }
  return longest;
}

/** A backtick fence longer than any backtick run in `text` (at least three), so no line inside can close it. */
export function fenceFor(text: string): string {
  return '`'.repeat(Math.max(2, longestRun(text, '`')) + 1);
}

/**
 * Untrusted text as inert Markdown, on one line (for a table cell or a paragraph): every ASCII punctuation
 * character becomes a numeric character reference, so nothing in it is a link, an image, emphasis, a table
 * separator, HTML or a bare URL that GitHub would link; newlines become spaces. Cut to `max` characters first.
 */
export function markdownText(text: string, max = 4096): string {
  const cut = text.length > max ? `${text.slice(0, max)}… [${text.length - max} characters cut]` : text;
  let out = '';
  for (let i = 0; i < cut.length; i++) {
    const c = cut.charCodeAt(i);
    if (c === 10 || c === 13) out += ' ';
    else if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126))
      out += `&#${c};`;
    else out += cut[i];
  }
  return out;
}

/** `text`'s size in UTF-8 bytes. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
