/**
 * The field parsers of the inputs and their shared rules: each takes one input's trimmed text and returns its typed
 * value or throws an InputError that names the input and shows a right value. Every regex here runs on untrusted
 * text, so none may backtrack badly: no nested or adjacent ambiguous quantifiers (durations are scanned by hand).
 */
import { InputError } from '../common/errors.js';
import { matchResourceId } from '../common/ids.js';
import type { AuthType, ImageReference, TriggerType } from './types.js';
// ---------------------------------------------------------------------------------------------------------------
// Constants

/** How long to wait for late Log Analytics ingestion by default, and at most (input logs-wait). */
export const DEFAULT_LOGS_WAIT_SEC = 30;
export const MAX_LOGS_WAIT_SEC = 600;

export const AUTH_TYPES: readonly AuthType[] = ['auto', 'oidc', 'azure-cli', 'managed-identity'];
export const TRIGGER_TYPES: readonly TriggerType[] = ['Manual', 'Schedule', 'Event'];

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A verified domain also names a tenant, e.g. contoso.onmicrosoft.com. */
export const TENANT_DOMAIN_RE = /^(?=.{4,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;
/** Container Apps (and jobs): 2-32 lowercase letters, digits and '-', start with a letter, end alphanumeric, no '--'. */
export const JOB_NAME_RE = /^(?!.*--)[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
/** Resource groups: 1-90 letters, digits, '_', '-', '.', '(', ')'; not ending with '.'. */
export const RESOURCE_GROUP_RE = /^[-\w.()\p{L}\p{N}]{1,90}$/u;
/** Managed environments: 2-60 lowercase letters, digits and '-'. */
export const ENVIRONMENT_NAME_RE = /^[a-z0-9-]{2,60}$/;
/** Container names are Kubernetes DNS labels. */
export const CONTAINER_NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Kubernetes' environment variable name rule, which Container Apps applies. */
export const ENV_NAME_RE = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
/** Container Apps secret names: lowercase letters, digits and '-', alphanumeric at both ends, at most 253. */
export const SECRET_NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,251}[a-z0-9])?$/;
export const BUILD_ARG_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
export const HOST_RE =
  /^(?:localhost|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?$/i;
export const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
export const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
export const ACR_HOST_RE = /^[a-z0-9-]+\.azurecr\.(?:io|cn|us)$/i;
export const DOCKER_HUB_HOSTS = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);
export const API_VERSION_RE = /^(\d{4})-(\d{2})-(\d{2})(-preview)?$/;

/** GitHub's own limit for a job on a self-hosted runner; waiting longer can never be useful. */
export const MAX_TIMEOUT_SEC = 5 * 24 * 3600;
export const INT32_MAX = 2147483647;

export const EXAMPLE_UUID = '00000000-0000-0000-0000-000000000000';
export const EXAMPLE_IDENTITY_ID =
  '/subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>';
export const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  True: true,
  TRUE: true,
  false: false,
  False: false,
  FALSE: false,
};

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

/** Quotes a (non-secret) value for a message, shortened when long. */
export function q(value: string): string {
  const oneLine = value.replace(/\s+/g, ' ');
  return `'${oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine}'`;
}

export interface Line {
  /** 1-based line number within the input. */
  n: number;
  text: string;
}

/** Non-blank lines, trimmed; with `comments`, lines starting with '#' are skipped. */
export function splitLines(text: string, comments: boolean): Line[] {
  const out: Line[] = [];
  text.split(/\r\n|\r|\n/).forEach((raw, i) => {
    const t = raw.trim();
    if (t === '' || (comments && t.startsWith('#'))) return;
    out.push({ n: i + 1, text: t });
  });
  return out;
}

export function isUserAssignedIdentityId(value: string): boolean {
  const id = matchResourceId(value);
  return (
    id !== undefined &&
    UUID_RE.test(id.subscriptionId) &&
    RESOURCE_GROUP_RE.test(id.resourceGroup) &&
    id.provider.toLowerCase() === 'microsoft.managedidentity' &&
    id.type.toLowerCase() === 'userassignedidentities' &&
    /^[\w-]+$/.test(id.name)
  );
}

/** 'system' (any case, returned as 'system') or a user-assigned identity resource ID; otherwise undefined. */
export function identityRef(value: string): string | undefined {
  if (value.toLowerCase() === 'system') return 'system';
  return isUserAssignedIdentityId(value) ? value : undefined;
}

/** Why a value is not an identity reference, for `what` (e.g. "registry-identity"). */
export function identityProblem(what: string, value: string, allowSystem: boolean): string {
  const expected = allowSystem
    ? `'system' or a user-assigned identity's resource ID (${EXAMPLE_IDENTITY_ID})`
    : `a user-assigned identity's resource ID (${EXAMPLE_IDENTITY_ID}) or 'system'`;
  if (UUID_RE.test(value)) {
    return `${what} ${q(value)} looks like a client ID, but it must be ${expected}; get the ID with 'az identity show -n <name> -g <group> --query id -o tsv'.`;
  }
  return `${what} ${q(value)} must be ${expected}; get the ID with 'az identity show -n <name> -g <group> --query id -o tsv'.`;
}

export function formatNumber(n: number): string {
  return String(Number(n.toFixed(6)));
}

// ---------------------------------------------------------------------------------------------------------------
// Exported parsers

/**
 * Seconds from '90', '90s', '10m', '1h', '1h30m' (also '1h 30m', '2m30s'; units h/m/s in any case). Whole numbers only.
 * Throws InputError naming `input` (default 'timeout').
 */
export function parseDuration(text: string, input = 'timeout'): number {
  const t = text.trim();
  const seconds = durationSeconds(t);
  if (seconds !== undefined) return seconds;
  throw new InputError(
    input,
    `${input} ${q(t)} is not a duration: use whole seconds (600) or a duration such as 90s, 10m, 1h or 1h30m.`,
  );
}

/** One left-to-right pass (no regex, so linear on any input): digits, optional spaces, then h, m or s in that order. */
function durationSeconds(t: string): number | undefined {
  const isDigit = (c: string): boolean => c >= '0' && c <= '9';
  const isSpace = (c: string): boolean => c === ' ' || c === '\t';
  let i = 0;
  let total = 0;
  let units = 0;
  let lastUnit = -1;
  while (i < t.length) {
    while (i < t.length && isSpace(t[i]!)) i++;
    const from = i;
    while (i < t.length && isDigit(t[i]!)) i++;
    if (i === from || i - from > 15) return undefined;
    const n = Number(t.slice(from, i));
    while (i < t.length && isSpace(t[i]!)) i++;
    if (i === t.length) return units === 0 && from === 0 ? n : undefined;
    const unit = 'hms'.indexOf(t[i]!.toLowerCase());
    if (unit <= lastUnit) return undefined;
    lastUnit = unit;
    total += n * [3600, 60, 1][unit]!;
    units++;
    i++;
    while (i < t.length && isSpace(t[i]!)) i++;
  }
  return units > 0 ? total : undefined;
}

export function analyseImage(value: string): ImageReference | string {
  if (value === '') return 'is empty';
  if (/\s/.test(value)) return 'contains spaces or line breaks; an image reference is one word';
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value);
  if (scheme) {
    return `starts with ${q(scheme[0])}, but image references have no scheme: write ${q(value.slice(scheme[0].length))}`;
  }
  let rest = value;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) {
      return `has a digest ${q(digest)} that is not 'sha256:' followed by 64 lowercase hex characters`;
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (tag === '') return "ends with ':' but has no tag after it";
    if (!TAG_RE.test(tag)) {
      return `has a tag ${q(tag)} that is not valid: a tag is 1-128 letters, digits, '_', '.' and '-', not starting with '.' or '-'`;
    }
  }
  if (rest === '') return 'has no repository: write registry/repository:tag, e.g. myregistry.azurecr.io/my-app:1.0';
  const parts = rest.split('/');
  let registry: string | undefined;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
    if (!HOST_RE.test(registry)) return `has a registry host ${q(registry)} that is not a valid host[:port]`;
  }
  if (parts.length === 0 || parts.every((p) => p === '')) {
    return `has no repository after the registry host: write ${registry ?? 'registry'}/<repository>:<tag>`;
  }
  if (registry === undefined && parts.length === 1 && first.includes('.')) {
    return `names only a registry host (${q(first)}) and no repository: write ${first}/<repository>${tag ? `:${tag}` : ':<tag>'}`;
  }
  for (const p of parts) {
    if (PATH_COMPONENT_RE.test(p)) continue;
    const repo = parts.join('/');
    if (PATH_COMPONENT_RE.test(p.toLowerCase())) {
      const fixed = `${registry ? `${registry}/` : ''}${repo.toLowerCase()}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
      return `has uppercase letters in the repository ${q(repo)}, but repositories must be lowercase: write ${q(fixed)}`;
    }
    if (p === '') return `has an empty path segment ('//' or a trailing '/') in ${q(rest)}`;
    return `has an invalid repository segment ${q(p)}: use lowercase letters and digits, separated by '.', '_', '__' or '-'`;
  }
  const repository = parts.join('/');
  if (rest.length > 255) return 'has a name longer than 255 characters';
  return { registry, repository, tag, digest };
}

/** Splits and checks an OCI image reference `[registry[:port]/]repository[:tag][@sha256:<64 hex>]`. Throws Error. */
export function parseImageReference(value: string): ImageReference {
  const r = analyseImage(value.trim());
  if (typeof r === 'string') throw new Error(`Image reference ${q(value)} ${r}.`);
  return r;
}

/** True for Azure Container Registry login servers (*.azurecr.io, *.azurecr.cn, *.azurecr.us). */
export function isAcrHost(host: string): boolean {
  return ACR_HOST_RE.test(host);
}

// ---------------------------------------------------------------------------------------------------------------
// Field parsers (each throws InputError naming its input)

export function parseBoolean(input: string, value: string, fallback: boolean): boolean {
  if (value === '') return fallback;
  const b = BOOLEAN_WORDS[value];
  if (b === undefined) {
    throw new InputError(
      input,
      `${input} must be true or false, not ${q(value)}; like GitHub's boolean inputs it accepts true, True, TRUE, false, False or FALSE.`,
    );
  }
  return b;
}

export function parseUuid(input: string, value: string, envName: string, where: string): string {
  if (UUID_RE.test(value)) return value.toLowerCase();
  const from = where === 'env' ? `The ${envName} environment variable` : input;
  throw new InputError(
    input,
    `${from} ${q(value)} is not an ID like ${EXAMPLE_UUID}; ${
      input === 'subscription-id'
        ? "use the subscription's ID, not its name (az account show --query id -o tsv)."
        : input === 'client-id'
          ? "use the app registration's or managed identity's Application (client) ID (az ad app list --display-name <app> --query [].appId -o tsv)."
          : 'find it with az account show --query tenantId -o tsv.'
    }`,
  );
}

export function parseImage(input: string, value: string, warnings: string[]): ImageReference {
  const r = analyseImage(value);
  if (typeof r === 'string') {
    throw new InputError(input, `${input} ${q(value)} ${r}.`);
  }
  if (!r.tag && !r.digest) {
    warnings.push(
      `${input} ${q(value)} has no tag, so ':latest' is pulled; deploy an immutable tag instead, such as the commit SHA (${value}:\${{ github.sha }}).`,
    );
  }
  return r;
}

export function parseWholeNumber(input: string, value: string, min: number, example: string): number | undefined {
  if (value === '') return undefined;
  if (/^\d+$/.test(value) && Number(value) >= min && Number(value) <= INT32_MAX) return Number(value);
  throw new InputError(input, `${input} must be a whole number of at least ${min}, not ${q(value)}; e.g. ${example}.`);
}

export function parseCpu(value: string): number | undefined {
  if (value === '') return undefined;
  let n = Number.NaN;
  if (/^(?:\d+(?:\.\d+)?|\.\d+)$/.test(value)) n = Number(value);
  else if (/^\d+m$/.test(value)) n = Number(value.slice(0, -1)) / 1000;
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new InputError('cpu', `cpu must be a number of vCPUs greater than 0, not ${q(value)}; e.g. 0.5, 1 or 2.`);
  }
  return n;
}

export function parseMemory(value: string): string | undefined {
  if (value === '') return undefined;
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z]*)$/.exec(value);
  const example = "e.g. '1Gi', '0.5Gi' or '512Mi'";
  if (!m) throw new InputError('memory', `memory must be an amount with a unit, not ${q(value)}; ${example}.`);
  const amount = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  let gi: number;
  if (unit === 'gi' || unit === 'g' || unit === 'gb') gi = amount;
  else if (unit === 'mi' || unit === 'm' || unit === 'mb') gi = amount / 1024;
  else if (unit === '') {
    throw new InputError('memory', `memory ${q(value)} has no unit; write it in Gi, ${example}.`);
  } else {
    throw new InputError(
      'memory',
      `memory ${q(value)} has an unknown unit ${q(m[2] ?? '')}; use Gi or Mi, ${example}.`,
    );
  }
  if (!(gi > 0)) throw new InputError('memory', `memory must be greater than 0, not ${q(value)}; ${example}.`);
  if (Math.abs(gi * 100 - Math.round(gi * 100)) > 1e-9) {
    throw new InputError(
      'memory',
      `memory ${q(value)} is ${formatNumber(gi)}Gi, which Azure does not offer; use steps such as 0.25Gi, 0.5Gi or 1Gi (256Mi, 512Mi, 1024Mi).`,
    );
  }
  return `${formatNumber(gi)}Gi`;
}

/** One item a line, or a JSON array of strings (when the text starts with '['). */
export function parseList(input: string, value: string): string[] | undefined {
  if (value === '') return undefined;
  if (value.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new InputError(
        input,
        `${input} starts with '[' but is not a valid JSON array; write a JSON array of strings such as ["python", "main.py"], or one item a line.`,
      );
    }
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) {
      throw new InputError(
        input,
        `${input} must be a JSON array of strings such as ["python", "main.py"] (numbers need quotes), or one item a line.`,
      );
    }
    return parsed;
  }
  return splitLines(value, false).map((l) => l.text);
}

/** `text` without leading and trailing '-' (a loop: `/^-+|-+$/` is quadratic on long runs of '-'). */
export function trimDashes(text: string): string {
  let a = 0;
  let b = text.length;
  while (a < b && text[a] === '-') a++;
  while (b > a && text[b - 1] === '-') b--;
  return text.slice(a, b);
}

export function describeJobNameProblems(v: string): string {
  const problems: string[] = [];
  if (v.length < 2 || v.length > 32) problems.push(`it has ${v.length} characters`);
  if (/[A-Z]/.test(v)) problems.push('it has uppercase letters');
  const bad = [...new Set(v.replace(/[A-Za-z0-9-]/g, ''))];
  if (bad.length > 0) problems.push(`it contains ${bad.map((c) => q(c)).join(', ')}`);
  if (/^[^a-zA-Z]/.test(v)) problems.push('it does not start with a letter');
  if (/-$/.test(v)) problems.push("it ends with '-'");
  if (v.includes('--')) problems.push("it contains '--'");
  return problems.join(', ');
}

export function suggestJobName(v: string): string | undefined {
  const s = v
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  return JOB_NAME_RE.test(s) && s !== v ? s : undefined;
}
