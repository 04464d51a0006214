/**
 * What the inputs table (inputs-table.ts, generated from action.yml) drives: reading an input with its default,
 * choices and booleans, which inputs ask for a deploy, and which values to mask before parsing.
 */
import { InputError } from '../common/errors.js';
import { parseBoolean, q } from './fields.js';
import { INPUTS, type InputRow } from './inputs-table.js';

export type Get = (name: string) => string;

const BY_NAME = new Map(INPUTS.map((row) => [row.name, row]));

export function inputRow(name: string): InputRow {
  const row = BY_NAME.get(name);
  if (!row) throw new Error(`${name} is not an input of action.yml`);
  return row;
}

/**
 * Reads inputs trimmed, with action.yml's default when blank, so running without the runner's defaults (tests,
 * local runs) behaves the same. Asking for a name that is not in action.yml is a programming error.
 */
export function inputReader(getInput: (name: string) => string): Get {
  return (name) => {
    const value = (getInput(name) ?? '').trim();
    return value === '' ? (inputRow(name).default ?? '') : value;
  };
}

/** A boolean input (kind boolean), with its action.yml default. */
export function readBoolean(get: Get, name: string): boolean {
  const row = inputRow(name);
  return parseBoolean(name, get(name), row.default === 'true');
}

/**
 * A choice input (kind enum): its canonical value (matched ignoring case), undefined when blank without a default,
 * or an InputError listing the choices, followed by `hint` (the one-line fix).
 */
export function readChoice<T extends string>(get: Get, name: string, hint: string): T | undefined {
  const row = inputRow(name);
  const text = get(name);
  if (text === '') return undefined;
  const values = row.values ?? [];
  const found = values.find((v) => v.toLowerCase() === text.toLowerCase());
  if (found === undefined) {
    const list = values.length === 2 ? `${values[0]} or ${values[1]}` : `one of ${values.join(', ')}`;
    throw new InputError(name, `${name} ${q(text)} is not ${list}; ${hint}`);
  }
  return found as T;
}

/** True when any input that changes the job (flag `job` in action.yml) has a value in `parsed` (by input name). */
export function wantsDeployFrom(parsed: Readonly<Record<string, unknown>>): boolean {
  return INPUTS.some((row) => row.changesJob && parsed[row.name] !== undefined);
}

/**
 * Every value of a secret input (flag `secret` in action.yml) that should be masked, tolerant of malformed input,
 * so the caller can mask them BEFORE parseConfig can throw. Never throws. For the `secrets` list: each value (a
 * line without '=' is returned whole: it may be a pasted value; a PEM block is returned whole); Key Vault
 * references are not secret and are not returned. Other secret inputs are returned whole.
 */
export function secretValuesFromInputs(getInput: (name: string) => string): string[] {
  const out = new Set<string>();
  const read = (name: string): string => {
    try {
      const v = getInput(name);
      return typeof v === 'string' ? v : '';
    } catch {
      return '';
    }
  };
  for (const row of INPUTS) {
    if (!row.secret) continue;
    const text = read(row.name);
    if (text.trim() === '') continue;
    if (row.kind !== 'secrets') {
      out.add(text.trim());
      continue;
    }
    for (const entry of splitSecretEntries(text)) {
      const eq = entry.indexOf('=');
      const value = eq < 0 ? entry : entry.slice(eq + 1).trim();
      if (value === '' || /^keyvaultref:/i.test(value)) continue;
      out.add(value);
    }
  }
  return [...out];
}

/**
 * The entries of the `secrets` input, one a line, except that a PEM block (a value `-----BEGIN ...-----` up to its
 * `-----END ...-----` line) is one entry with its line breaks. Blank lines and '#' comments outside a block are
 * skipped. Returns [line number, entry text].
 */
export function splitSecretEntries(text: string): string[] {
  return secretEntries(text).map((e) => e.text);
}

export function secretEntries(text: string): { n: number; text: string }[] {
  const out: { n: number; text: string }[] = [];
  let block: { n: number; lines: string[] } | undefined;
  text.split(/\r\n|\r|\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (block) {
      block.lines.push(line);
      if (line.startsWith('-----END ') && line.endsWith('-----')) {
        out.push({ n: block.n, text: block.lines.join('\n') });
        block = undefined;
      }
      return;
    }
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const value = eq < 0 ? '' : line.slice(eq + 1).trim();
    if (value.startsWith('-----BEGIN ') && !value.includes('-----END ')) {
      block = { n: i + 1, lines: [line] };
      return;
    }
    out.push({ n: i + 1, text: line });
  });
  if (block) out.push({ n: block.n, text: block.lines.join('\n') });
  return out;
}
