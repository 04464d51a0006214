/**
 * Every secret value the action learns (inputs, job-yaml, registry credentials, listSecrets, tokens) goes through
 * `mask`: the runner hides it in later log lines (core.setSecret), and `redact` hides it in what the runner does
 * not mask itself: the step summary and messages built from container output.
 */
import * as core from '@actions/core';

const known = new Set<string>();

export function mask(value: string | undefined): void {
  if (!value) return;
  core.setSecret(value);
  known.add(value);
  // The runner masks multi-line values line by line; do the same here.
  for (const line of value.split(/\r?\n/)) if (line.trim().length >= 4) known.add(line);
}

/** `text` with every masked value replaced by ***, longest values first. */
export function redact(text: string): string {
  let out = text;
  for (const value of [...known].sort((a, b) => b.length - a.length)) out = out.split(value).join('***');
  return out;
}
