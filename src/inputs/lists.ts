/**
 * The multi-line inputs: env-vars and execution-env-vars, secrets (and Key Vault references), identity, tags and
 * build-args. Lines are NAME=value; blank lines and lines starting with '#' are skipped. No message shows a value of
 * secrets; for env-vars only names are shown.
 */
import { InputError } from '../common/errors.js';
import {
  BUILD_ARG_RE,
  ENV_NAME_RE,
  identityProblem,
  identityRef,
  isUserAssignedIdentityId,
  q,
  SECRET_NAME_RE,
  splitLines,
  trimDashes,
} from './fields.js';
import { secretEntries } from './table.js';
import type { EnvVarSpec, SecretSpec } from './types.js';
export function parseEnvVars(input: string, value: string, warnings: string[]): EnvVarSpec[] | undefined {
  if (value === '') return undefined;
  const out: EnvVarSpec[] = [];
  const seen = new Map<string, number>();
  for (const { n, text } of splitLines(value, true)) {
    const eq = text.indexOf('=');
    if (eq < 0) {
      const yamlish = /^([-._a-zA-Z][-._a-zA-Z0-9]*)\s*:/.exec(text);
      throw new InputError(
        input,
        yamlish
          ? `${input} line ${n} has no '=': it looks like YAML '${yamlish[1]}: ...', but each line must be NAME=value, e.g. ${yamlish[1]}=...`
          : `${input} line ${n} has no '=': write one variable a line as NAME=value or NAME=secretref:secret-name, e.g. LOG_LEVEL=INFO.`,
      );
    }
    const name = text.slice(0, eq).trim();
    const rest = text.slice(eq + 1).trim();
    if (name === '') {
      throw new InputError(
        input,
        `${input} line ${n} has no variable name before '='; write NAME=value, e.g. LOG_LEVEL=INFO.`,
      );
    }
    if (!ENV_NAME_RE.test(name)) {
      const hint = name.includes(':')
        ? ` For nested .NET settings write '__' instead of ':' (${name.replace(/:/g, '__')}).`
        : '';
      throw new InputError(
        input,
        `${input} line ${n}: ${q(name)} is not a valid variable name; use letters, digits, '_', '.' and '-', not starting with a digit, e.g. LOG_LEVEL.${hint}`,
      );
    }
    const previous = seen.get(name);
    if (previous !== undefined) {
      throw new InputError(input, `${input} sets ${name} twice (lines ${previous} and ${n}); keep one of them.`);
    }
    seen.set(name, n);
    const ref = /^secretref:(.*)$/i.exec(rest);
    if (ref) {
      // A secretref to a secret that is not in `secrets` is fine: the secret may already exist on the job. The deploy
      // module (or Azure) reports a reference to a secret that exists nowhere.
      const secret = (ref[1] ?? '').trim();
      if (!SECRET_NAME_RE.test(secret)) {
        throw new InputError(
          input,
          `${input} line ${n} (${name}) references secret ${q(secret)}, which is not a valid secret name; write NAME=secretref:secret-name with a lowercase name such as db-password.`,
        );
      }
      out.push({ name, secretRef: secret });
      continue;
    }
    if (/^(['"]).*\1$/.test(rest) && rest.length >= 2) {
      warnings.push(
        `${input} line ${n} (${name}): the value is wrapped in quotes, which become part of the value; remove them unless the program expects them.`,
      );
    }
    refuseShellSubstitution(input, n, name, rest);
    refuseSeveralPairs(input, n, name, rest);
    if (/\s[A-Za-z_][A-Za-z0-9_]*=/.test(rest)) {
      warnings.push(
        `${input} line ${n} (${name}): the value looks like it holds more variables (NAME=value separated by spaces); put each variable on its own line.`,
      );
    }
    out.push({ name, value: rest });
  }
  return out.length > 0 ? out : undefined;
}

export function suggestSecretName(name: string): string | undefined {
  let s = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  s = trimDashes(trimDashes(s).slice(0, 253));
  return SECRET_NAME_RE.test(s) && s !== name ? s : undefined;
}

export function parseSecrets(value: string): SecretSpec[] | undefined {
  if (value === '') return undefined;
  const out: SecretSpec[] = [];
  const seen = new Map<string, number>();
  for (const { n, text } of secretEntries(value)) {
    const eq = text.indexOf('=');
    if (eq < 0) {
      throw new InputError(
        'secrets',
        `secrets line ${n} has no '=': write one secret a line as name=value (e.g. db-password=\${{ secrets.DB_PASSWORD }}) or name=keyvaultref:URL,identityref:system; a multi-line value other than a PEM key must be stored on one line (e.g. base64 -w0).`,
      );
    }
    const name = text.slice(0, eq).trim();
    const rest = text.slice(eq + 1).trim();
    if (name === '') {
      throw new InputError(
        'secrets',
        `secrets line ${n} has no secret name before '='; write name=value, e.g. db-password=...`,
      );
    }
    if (!SECRET_NAME_RE.test(name)) {
      const fixed = suggestSecretName(name);
      throw new InputError(
        'secrets',
        `secrets line ${n}: ${q(name.length > 253 ? `${name.slice(0, 40)}...` : name)} is not a valid secret name; Azure wants at most 253 lowercase letters, digits and '-', starting and ending with a letter or digit${fixed ? `, e.g. ${q(fixed)}` : ''}.`,
      );
    }
    const previous = seen.get(name);
    if (previous !== undefined) {
      throw new InputError('secrets', `secrets sets ${name} twice (lines ${previous} and ${n}); keep one of them.`);
    }
    seen.set(name, n);
    if (/^keyvaultref:/i.test(rest)) {
      out.push(parseKeyVaultSecret(n, name, rest));
      continue;
    }
    refuseShellSubstitution('secrets', n, name, rest);
    if (rest === '') {
      throw new InputError(
        'secrets',
        `secrets line ${n} (${name}) has an empty value; if it comes from \${{ secrets.NAME }}, check that the secret exists for this repository or environment.`,
      );
    }
    out.push({ name, value: rest });
  }
  return out.length > 0 ? out : undefined;
}

export function parseKeyVaultSecret(n: number, name: string, rest: string): SecretSpec {
  const example = 'name=keyvaultref:https://<vault>.vault.azure.net/secrets/<secret>,identityref:system';
  let url: string | undefined;
  let identity: string | undefined;
  for (const part of rest.split(',')) {
    const p = part.trim();
    const kv = /^keyvaultref:(.*)$/i.exec(p);
    const id = /^identityref:(.*)$/i.exec(p);
    if (kv) url = (kv[1] ?? '').trim();
    else if (id) identity = (id[1] ?? '').trim();
    else {
      throw new InputError('secrets', `secrets line ${n} (${name}) has an unexpected part ${q(p)}; write ${example}.`);
    }
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url ?? '');
  } catch {
    parsed = undefined;
  }
  if (!parsed || parsed.protocol !== 'https:' || !/^\/secrets\/[^/]+(?:\/[^/]+)?\/?$/.test(parsed.pathname)) {
    throw new InputError(
      'secrets',
      `secrets line ${n} (${name}) needs a Key Vault secret URL after keyvaultref:, like https://<vault>.vault.azure.net/secrets/<secret>; write ${example}.`,
    );
  }
  if (identity === undefined || identity === '') {
    throw new InputError(
      'secrets',
      `secrets line ${n} (${name}) needs the identity that reads the Key Vault: add ',identityref:system' or ',identityref:<user-assigned identity resource ID>'.`,
    );
  }
  const ref = identityRef(identity);
  if (!ref) throw new InputError('secrets', identityProblem(`secrets line ${n} (${name}) identityref`, identity, true));
  return { name, keyVaultUrl: url, identity: ref };
}

export function parseIdentity(value: string): { system: boolean; userAssigned: string[] } | undefined {
  if (value === '') return undefined;
  let system = false;
  const userAssigned: string[] = [];
  for (const { n, text } of splitLines(value, true)) {
    if (text.toLowerCase() === 'system') {
      system = true;
      continue;
    }
    if (!isUserAssignedIdentityId(text)) {
      throw new InputError('identity', identityProblem(`identity line ${n}`, text, true));
    }
    if (!userAssigned.some((u) => u.toLowerCase() === text.toLowerCase())) userAssigned.push(text);
  }
  return system || userAssigned.length > 0 ? { system, userAssigned } : undefined;
}

export function parseTags(value: string): Record<string, string> | undefined {
  if (value === '') return undefined;
  const tags: Record<string, string> = {};
  const seen = new Map<string, number>();
  for (const { n, text } of splitLines(value, true)) {
    const eq = text.indexOf('=');
    if (eq < 0)
      throw new InputError('tags', `tags line ${n} has no '='; write one tag a line as key=value, e.g. course=week6.`);
    const key = text.slice(0, eq).trim();
    const val = text.slice(eq + 1).trim();
    if (key === '')
      throw new InputError('tags', `tags line ${n} has no key before '='; write key=value, e.g. course=week6.`);
    if (key.length > 512)
      throw new InputError('tags', `tags line ${n}: the key is ${key.length} characters; Azure allows 512.`);
    if (/[<>%&\\?/]/.test(key)) {
      throw new InputError(
        'tags',
        `tags line ${n}: key ${q(key)} contains one of < > % & \\ ? /, which Azure does not allow in tag names.`,
      );
    }
    if (val.length > 256) {
      throw new InputError('tags', `tags line ${n} (${key}): the value is ${val.length} characters; Azure allows 256.`);
    }
    const previous = seen.get(key.toLowerCase());
    if (previous !== undefined) {
      throw new InputError(
        'tags',
        `tags sets ${q(key)} twice (lines ${previous} and ${n}; tag names ignore case); keep one.`,
      );
    }
    seen.set(key.toLowerCase(), n);
    tags[key] = val;
  }
  if (seen.size > 50)
    throw new InputError('tags', `tags has ${seen.size} tags; Azure allows at most 50 on a resource.`);
  return seen.size > 0 ? tags : undefined;
}

export function parseBuildArgs(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Map<string, number>();
  for (const { n, text } of splitLines(value, true)) {
    const eq = text.indexOf('=');
    const name = eq < 0 ? '' : text.slice(0, eq).trim();
    if (eq < 0 || !BUILD_ARG_RE.test(name)) {
      throw new InputError(
        'build-args',
        `build-args line ${n} must be NAME=value with a name of letters, digits and '_', e.g. PYTHON_VERSION=3.12.`,
      );
    }
    const previous = seen.get(name);
    if (previous !== undefined) {
      throw new InputError(
        'build-args',
        `build-args sets ${name} twice (lines ${previous} and ${n}); keep one of them.`,
      );
    }
    seen.set(name, n);
    out[name] = text.slice(eq + 1).trim();
  }
  return out;
}

/** A `$(...)` or backtick command substitution pasted into a value: YAML does not run it, the job would get it as text. */
function refuseShellSubstitution(input: string, n: number, name: string, value: string): void {
  if (!value.includes('$(') && !value.includes('`')) return;
  const secretName = name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  throw new InputError(
    input,
    `${input} line ${n} (${name}) holds a shell command substitution ($(...) or backticks), which the workflow does not run: the job would get the command's text. Run it once and keep the result as a repository secret (gh secret set ${secretName} --body "$(...)"), then write ${name}=\${{ secrets.${secretName} }}.`,
  );
}

/** `A=1 B=2` on one line (the az CLI's --env-vars habit): every word after the first is itself NAME=value. */
function refuseSeveralPairs(input: string, n: number, name: string, value: string): void {
  if (value.startsWith('"') || value.startsWith("'")) return;
  const words = value.split(/[ \t]+/);
  if (words.length < 2 || !words.slice(1).every((w) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(w))) return;
  const names = [name, ...words.slice(1).map((w) => w.slice(0, w.indexOf('=')))];
  const shown = names.slice(0, 4).map((v) => q(v).slice(1, -1));
  const more = names.length > shown.length ? ', ...' : '';
  throw new InputError(
    input,
    `${input} line ${n} sets several variables on one line (${shown.join(', ')}${more}); the action takes one NAME=value a line: write\n  ${input}: |\n${shown.map((v) => `    ${v}=...`).join('\n')}${more ? '\n    ...' : ''}`,
  );
}
