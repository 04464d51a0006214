/**
 * Every secret value the action learns (inputs, job-yaml, registry credentials, listSecrets, tokens) goes through
 * `mask`: the runner hides it in later log lines (core.setSecret), and `redact` hides it in what the runner does
 * not mask itself: the step summary and messages built from container output.
 *
 * Multi-line values (a PEM key, wrapped base64): the runner masks log lines, and registers every line of a
 * multi-line `add-mask` as a secret of its own (actions/runner#1521), so a line such as `==` or `-----END
 * PRIVATE KEY-----` would hide that text everywhere. So a multi-line value is registered line by line, skipping
 * fragments that are not secret: lines shorter than 4 characters, lines of only punctuation or padding, and PEM
 * armour lines. Every other line is masked, so the value never shows in the log; `redact` also replaces the whole
 * value. A single-line value is masked as it is, whatever its length: it is the secret.
 */
import * as core from '@actions/core';

const known = new Set<string>();

/** True for a line of a multi-line secret that is worth masking on its own. */
export function isSecretFragment(line: string): boolean {
  const t = line.trim();
  if (t.length < 4) return false;
  if (/^[\p{P}\p{S}\s]+$/u.test(t)) return false;
  if (t.startsWith('-----BEGIN ') || t.startsWith('-----END ')) return !t.endsWith('-----');
  return true;
}

export function mask(value: string | undefined): void {
  if (!value || value.trim() === '') return;
  const lines = value.split(/\r\n|\r|\n/);
  known.add(value);
  if (lines.length === 1) {
    core.setSecret(value);
    return;
  }
  for (const line of lines) {
    if (!isSecretFragment(line)) continue;
    for (const part of new Set([line, line.trim()])) {
      if (known.has(part)) continue;
      core.setSecret(part);
      known.add(part);
    }
  }
}

/** `text` with every masked value replaced by ***, longest values first. */
export function redact(text: string): string {
  let out = text;
  for (const value of [...known].sort((a, b) => b.length - a.length)) out = out.split(value).join('***');
  return out;
}
