/**
 * All of the action's input parsing and validation: raw inputs in, a typed Config out, or an InputError that names the
 * input, says what is wrong and shows a right value. Pure: no I/O, no @actions/core; the caller passes `getInput` and
 * the environment.
 *
 * Conventions
 * - Inputs are trimmed; multi-line inputs are split on \n (also \r\n and \r). Blank lines are skipped everywhere, and
 *   lines starting with '#' are comments in the key=value lists (env-vars, secrets, tags, build-args, identity).
 * - Settings whose default applies only on create (trigger-type, replica-timeout, cpu, ...) stay `undefined` when
 *   blank, so an update leaves them as they are. Defaults that action.yml declares (auth-type, audience, cloud, start,
 *   wait, ...) are applied here too, so running without the runner's defaults (tests, local runs) behaves the same.
 * - The first problem found is thrown, in a stable order: inputs in action.yml order, then rules between inputs.
 * - No message ever contains a value from `secrets` or `registry-password`; for env-vars only names are shown.
 */
import { CronError, parseCron } from '../common/cron.js';
import { InputError } from '../common/errors.js';

export type AuthType = 'auto' | 'oidc' | 'azure-cli' | 'managed-identity';
export type CloudName = 'AzureCloud' | 'AzureChinaCloud' | 'AzureUSGovernment';
export type TriggerType = 'Manual' | 'Schedule' | 'Event';

/** Exactly one of value / secretRef. */
export interface EnvVarSpec {
  name: string;
  value?: string;
  secretRef?: string;
}

/** value, or keyVaultUrl + identity ('system' or a user-assigned identity resource ID). */
export interface SecretSpec {
  name: string;
  value?: string;
  keyVaultUrl?: string;
  identity?: string;
}

export interface AuthConfig {
  /** As given ('auto' is resolved at run time by the auth module). */
  type: AuthType;
  clientId?: string;
  tenantId?: string;
  subscriptionId: string;
  audience: string;
  cloud: CloudName;
  /** No trailing slash. */
  armEndpoint: string;
  /** No trailing slash. */
  authorityHost: string;
  /** From the cloud, also when arm-endpoint overrides the endpoint, e.g. https://management.azure.com/.default */
  armScope: string;
  /** https://portal.azure.com, https://portal.azure.cn or https://portal.azure.us */
  portalUrl: string;
  /** Log Analytics query endpoint, no trailing slash (https://api.loganalytics.io for AzureCloud). */
  logAnalyticsEndpoint: string;
  /** From the cloud, also when log-analytics-endpoint overrides the endpoint, e.g. https://api.loganalytics.io/.default */
  logAnalyticsScope: string;
}

export interface Config {
  auth: AuthConfig;
  resourceGroup: string;
  jobName: string;
  /** Name or full resource ID, as given. */
  environment?: string;
  location?: string;
  /** Full image reference. */
  image?: string;
  /** A tag only; a digest belongs in `image`. */
  imageTag?: string;
  containerName?: string;
  /** As given (server lower-cased); deriving the server from an ACR image host is the deploy module's job. */
  registry: { server?: string; identity?: string; username?: string; password?: string };
  build?: { context: string; dockerfile?: string; buildArgs: Record<string, string> };
  triggerType?: TriggerType;
  cronExpression?: string;
  replicaTimeout?: number;
  replicaRetryLimit?: number;
  parallelism?: number;
  replicaCompletionCount?: number;
  cpu?: number;
  /** Normalised to Gi, e.g. '1Gi', '0.5Gi'. */
  memory?: string;
  /** [] when given as the JSON array '[]' (reset to the image's default). */
  command?: string[];
  args?: string[];
  envVars?: EnvVarSpec[];
  envVarsUpdate: 'merge' | 'replace';
  secrets?: SecretSpec[];
  identity?: { system: boolean; userAssigned: string[] };
  tags?: Record<string, string>;
  /** Path of the job definition file, as given (read by the deploy module). */
  jobYaml?: string;
  start: boolean;
  wait: boolean;
  /** undefined = derive later from the job's replica timeout and retries. */
  timeoutSec?: number;
  onTimeout: 'stop' | 'leave';
  stopOnCancel: boolean;
  execution: { envVars?: EnvVarSpec[]; command?: string[]; args?: string[]; image?: string };
  logs: boolean;
  /** How long to wait after the execution for its logs to reach Log Analytics, when they were not streamed live. */
  logsWaitSec: number;
  dryRun: boolean;
  apiVersion?: string;
  /** true when any input asks to change the job (image, image-tag, build, env-vars, secrets, resources, trigger...). */
  wantsDeploy: boolean;
  /** Every secret value found in the inputs (secrets values, registry-password), to be masked. */
  secretValues: string[];
  /** Things that are allowed but probably not what the user meant; the caller prints each as a warning. */
  warnings: string[];
}

/** An image reference split into its parts. */
export interface ImageReference {
  /** Registry host[:port], when the reference names one (otherwise Docker Hub). */
  registry?: string;
  repository: string;
  tag?: string;
  /** 'sha256:<64 hex>' */
  digest?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Constants

const CLOUDS: Record<
  CloudName,
  {
    armEndpoint: string;
    authorityHost: string;
    armScope: string;
    portalUrl: string;
    acrSuffix: string;
    logAnalyticsEndpoint: string;
  }
> = {
  AzureCloud: {
    armEndpoint: 'https://management.azure.com',
    authorityHost: 'https://login.microsoftonline.com',
    armScope: 'https://management.azure.com/.default',
    portalUrl: 'https://portal.azure.com',
    acrSuffix: 'azurecr.io',
    logAnalyticsEndpoint: 'https://api.loganalytics.io',
  },
  AzureChinaCloud: {
    armEndpoint: 'https://management.chinacloudapi.cn',
    authorityHost: 'https://login.chinacloudapi.cn',
    armScope: 'https://management.chinacloudapi.cn/.default',
    portalUrl: 'https://portal.azure.cn',
    acrSuffix: 'azurecr.cn',
    logAnalyticsEndpoint: 'https://api.loganalytics.azure.cn',
  },
  AzureUSGovernment: {
    armEndpoint: 'https://management.usgovcloudapi.net',
    authorityHost: 'https://login.microsoftonline.us',
    armScope: 'https://management.usgovcloudapi.net/.default',
    portalUrl: 'https://portal.azure.us',
    acrSuffix: 'azurecr.us',
    logAnalyticsEndpoint: 'https://api.loganalytics.us',
  },
};

/** How long to wait for late Log Analytics ingestion by default, and at most (input logs-wait). */
export const DEFAULT_LOGS_WAIT_SEC = 30;
const MAX_LOGS_WAIT_SEC = 600;

const AUTH_TYPES: readonly AuthType[] = ['auto', 'oidc', 'azure-cli', 'managed-identity'];
const TRIGGER_TYPES: readonly TriggerType[] = ['Manual', 'Schedule', 'Event'];

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A verified domain also names a tenant, e.g. contoso.onmicrosoft.com. */
const TENANT_DOMAIN_RE = /^(?=.{4,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;
/** Container Apps (and jobs): 2-32 lowercase letters, digits and '-', start with a letter, end alphanumeric, no '--'. */
const JOB_NAME_RE = /^(?!.*--)[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
/** Resource groups: 1-90 letters, digits, '_', '-', '.', '(', ')'; not ending with '.'. */
const RESOURCE_GROUP_RE = /^[-\w.()\p{L}\p{N}]{1,90}$/u;
/** Managed environments: 2-60 lowercase letters, digits and '-'. */
const ENVIRONMENT_NAME_RE = /^[a-z0-9-]{2,60}$/;
/** Container names are Kubernetes DNS labels. */
const CONTAINER_NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Kubernetes' environment variable name rule, which Container Apps applies. */
const ENV_NAME_RE = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
/** Container Apps secret names: lowercase letters, digits and '-', alphanumeric at both ends, at most 253. */
const SECRET_NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,251}[a-z0-9])?$/;
const BUILD_ARG_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const HOST_RE =
  /^(?:localhost|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?$/i;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const ACR_HOST_RE = /^[a-z0-9-]+\.azurecr\.(?:io|cn|us)$/i;
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
const API_VERSION_RE = /^(\d{4})-(\d{2})-(\d{2})(-preview)?$/;

/** GitHub's own limit for a job on a self-hosted runner; waiting longer can never be useful. */
const MAX_TIMEOUT_SEC = 5 * 24 * 3600;
const INT32_MAX = 2147483647;

const EXAMPLE_UUID = '00000000-0000-0000-0000-000000000000';
const EXAMPLE_IDENTITY_ID =
  '/subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>';
const BOOLEAN_WORDS: Record<string, boolean> = {
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
function q(value: string): string {
  const oneLine = value.replace(/\s+/g, ' ');
  return `'${oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine}'`;
}

interface Line {
  /** 1-based line number within the input. */
  n: number;
  text: string;
}

/** Non-blank lines, trimmed; with `comments`, lines starting with '#' are skipped. */
function splitLines(text: string, comments: boolean): Line[] {
  const out: Line[] = [];
  text.split(/\r\n|\r|\n/).forEach((raw, i) => {
    const t = raw.trim();
    if (t === '' || (comments && t.startsWith('#'))) return;
    out.push({ n: i + 1, text: t });
  });
  return out;
}

interface ResourceIdParts {
  subscription: string;
  resourceGroup: string;
  provider: string;
  type: string;
  name: string;
}

function parseResourceId(value: string): ResourceIdParts | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/([^/]+)\/([^/]+)$/i.exec(value);
  if (!m) return undefined;
  const [, subscription = '', resourceGroup = '', provider = '', type = '', name = ''] = m;
  return { subscription, resourceGroup, provider, type, name };
}

function isUserAssignedIdentityId(value: string): boolean {
  const id = parseResourceId(value);
  return (
    id !== undefined &&
    UUID_RE.test(id.subscription) &&
    RESOURCE_GROUP_RE.test(id.resourceGroup) &&
    id.provider.toLowerCase() === 'microsoft.managedidentity' &&
    id.type.toLowerCase() === 'userassignedidentities' &&
    /^[\w-]+$/.test(id.name)
  );
}

/** 'system' (any case, returned as 'system') or a user-assigned identity resource ID; otherwise undefined. */
function identityRef(value: string): string | undefined {
  if (value.toLowerCase() === 'system') return 'system';
  return isUserAssignedIdentityId(value) ? value : undefined;
}

/** Why a value is not an identity reference, for `what` (e.g. "registry-identity"). */
function identityProblem(what: string, value: string, allowSystem: boolean): string {
  const expected = allowSystem
    ? `'system' or a user-assigned identity's resource ID (${EXAMPLE_IDENTITY_ID})`
    : `a user-assigned identity's resource ID (${EXAMPLE_IDENTITY_ID}) or 'system'`;
  if (UUID_RE.test(value)) {
    return `${what} ${q(value)} looks like a client ID, but it must be ${expected}; get the ID with 'az identity show -n <name> -g <group> --query id -o tsv'.`;
  }
  return `${what} ${q(value)} must be ${expected}; get the ID with 'az identity show -n <name> -g <group> --query id -o tsv'.`;
}

function formatNumber(n: number): string {
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
  if (/^\d+$/.test(t)) return Number(t);
  const m = /^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?$/i.exec(t);
  if (t !== '' && m && (m[1] ?? m[2] ?? m[3]) !== undefined) {
    return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  }
  throw new InputError(
    input,
    `${input} ${q(t)} is not a duration: use whole seconds (600) or a duration such as 90s, 10m, 1h or 1h30m.`,
  );
}

function analyseImage(value: string): ImageReference | string {
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

function parseBoolean(input: string, value: string, fallback: boolean): boolean {
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

function parseUuid(input: string, value: string, envName: string, where: string): string {
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

function parseImage(input: string, value: string, warnings: string[]): ImageReference {
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

function parseWholeNumber(input: string, value: string, min: number, example: string): number | undefined {
  if (value === '') return undefined;
  if (/^\d+$/.test(value) && Number(value) >= min && Number(value) <= INT32_MAX) return Number(value);
  throw new InputError(input, `${input} must be a whole number of at least ${min}, not ${q(value)}; e.g. ${example}.`);
}

function parseCpu(value: string): number | undefined {
  if (value === '') return undefined;
  let n = Number.NaN;
  if (/^(?:\d+(?:\.\d+)?|\.\d+)$/.test(value)) n = Number(value);
  else if (/^\d+m$/.test(value)) n = Number(value.slice(0, -1)) / 1000;
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new InputError('cpu', `cpu must be a number of vCPUs greater than 0, not ${q(value)}; e.g. 0.5, 1 or 2.`);
  }
  return n;
}

function parseMemory(value: string): string | undefined {
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
function parseList(input: string, value: string): string[] | undefined {
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
    return parsed as string[];
  }
  return splitLines(value, false).map((l) => l.text);
}

function parseEnvVars(input: string, value: string, warnings: string[]): EnvVarSpec[] | undefined {
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
    if (/\s[A-Za-z_][A-Za-z0-9_]*=/.test(rest)) {
      warnings.push(
        `${input} line ${n} (${name}): the value looks like it holds more variables (NAME=value separated by spaces); put each variable on its own line.`,
      );
    }
    out.push({ name, value: rest });
  }
  return out.length > 0 ? out : undefined;
}

function suggestSecretName(name: string): string | undefined {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 253)
    .replace(/-+$/, '');
  return SECRET_NAME_RE.test(s) && s !== name ? s : undefined;
}

function parseSecrets(value: string): SecretSpec[] | undefined {
  if (value === '') return undefined;
  const out: SecretSpec[] = [];
  const seen = new Map<string, number>();
  for (const { n, text } of splitLines(value, true)) {
    const eq = text.indexOf('=');
    if (eq < 0) {
      throw new InputError(
        'secrets',
        `secrets line ${n} has no '=': write one secret a line as name=value (e.g. db-password=\${{ secrets.DB_PASSWORD }}) or name=keyvaultref:URL,identityref:system.`,
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

function parseKeyVaultSecret(n: number, name: string, rest: string): SecretSpec {
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

function parseIdentity(value: string): { system: boolean; userAssigned: string[] } | undefined {
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

function parseTags(value: string): Record<string, string> | undefined {
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

function parseBuildArgs(value: string): Record<string, string> {
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

function parseEndpoint(input: string, value: string, fallback: string): string {
  if (value === '') return fallback;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new InputError(
      input,
      `${input} must be an https URL with no path, like ${fallback}, not ${q(value)}${url && url.protocol === 'http:' ? ' (Azure sign-in and ARM calls need https)' : ''}.`,
    );
  }
  return `${url.protocol}//${url.host}`;
}

function describeJobNameProblems(v: string): string {
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

function suggestJobName(v: string): string | undefined {
  const s = v
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  return JOB_NAME_RE.test(s) && s !== v ? s : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// parseConfig

/**
 * Pure: no I/O. getInput returns the raw input ('' when not set). env is process.env-like.
 * Throws InputError (the first problem found, in a stable order).
 */
export function parseConfig(getInput: (name: string) => string, env: Record<string, string | undefined>): Config {
  const get = (name: string): string => (getInput(name) ?? '').trim();
  const warnings: string[] = [];

  // --- Authentication ----------------------------------------------------------------------------------------
  const authTypeText = get('auth-type');
  const authType = authTypeText === '' ? 'auto' : AUTH_TYPES.find((t) => t === authTypeText.toLowerCase());
  if (!authType) {
    throw new InputError(
      'auth-type',
      `auth-type ${q(authTypeText)} is not one of auto, oidc, azure-cli, managed-identity; use oidc to sign in with GitHub's OIDC token (the usual choice).`,
    );
  }
  const fromEnv = (input: string, envName: string): { value: string; where: 'input' | 'env' } => {
    const v = get(input);
    if (v !== '') return { value: v, where: 'input' };
    return { value: (env[envName] ?? '').trim(), where: 'env' };
  };
  const client = fromEnv('client-id', 'AZURE_CLIENT_ID');
  const tenant = fromEnv('tenant-id', 'AZURE_TENANT_ID');
  const subscription = fromEnv('subscription-id', 'AZURE_SUBSCRIPTION_ID');
  const clientId =
    client.value === '' ? undefined : parseUuid('client-id', client.value, 'AZURE_CLIENT_ID', client.where);
  let tenantId: string | undefined;
  if (tenant.value !== '') {
    if (UUID_RE.test(tenant.value)) tenantId = tenant.value.toLowerCase();
    else if (TENANT_DOMAIN_RE.test(tenant.value)) tenantId = tenant.value.toLowerCase();
    else tenantId = parseUuid('tenant-id', tenant.value, 'AZURE_TENANT_ID', tenant.where);
  }
  if (authType === 'oidc' && !clientId) {
    throw new InputError(
      'client-id',
      'client-id is required for auth-type oidc: set it (e.g. client-id: ${{ vars.AZURE_CLIENT_ID }}) or the AZURE_CLIENT_ID environment variable; if it comes from a variable, check that the variable exists for this repository or environment.',
    );
  }
  if ((authType === 'oidc' || (authType === 'auto' && clientId)) && !tenantId) {
    throw new InputError(
      'tenant-id',
      `tenant-id is required ${authType === 'oidc' ? 'for auth-type oidc' : 'with client-id'}: set it (e.g. tenant-id: \${{ vars.AZURE_TENANT_ID }}) or the AZURE_TENANT_ID environment variable; find it with az account show --query tenantId -o tsv.`,
    );
  }
  if (subscription.value === '') {
    throw new InputError(
      'subscription-id',
      'subscription-id is required: set it (e.g. subscription-id: ${{ vars.AZURE_SUBSCRIPTION_ID }}) or the AZURE_SUBSCRIPTION_ID environment variable; find it with az account show --query id -o tsv.',
    );
  }
  const subscriptionId = parseUuid('subscription-id', subscription.value, 'AZURE_SUBSCRIPTION_ID', subscription.where);
  const audience = get('audience') || 'api://AzureADTokenExchange';
  const cloudText = get('cloud');
  const cloud =
    cloudText === ''
      ? 'AzureCloud'
      : (Object.keys(CLOUDS) as CloudName[]).find((c) => c.toLowerCase() === cloudText.toLowerCase());
  if (!cloud) {
    throw new InputError(
      'cloud',
      `cloud ${q(cloudText)} is not one of AzureCloud, AzureChinaCloud, AzureUSGovernment; for another endpoint keep cloud and set arm-endpoint and authority-host.`,
    );
  }
  const cloudInfo = CLOUDS[cloud];
  const auth: AuthConfig = {
    type: authType,
    clientId,
    tenantId,
    subscriptionId,
    audience,
    cloud,
    armEndpoint: parseEndpoint('arm-endpoint', get('arm-endpoint'), cloudInfo.armEndpoint),
    authorityHost: parseEndpoint('authority-host', get('authority-host'), cloudInfo.authorityHost),
    armScope: cloudInfo.armScope,
    portalUrl: cloudInfo.portalUrl,
    logAnalyticsEndpoint: parseEndpoint(
      'log-analytics-endpoint',
      get('log-analytics-endpoint'),
      cloudInfo.logAnalyticsEndpoint,
    ),
    logAnalyticsScope: `${cloudInfo.logAnalyticsEndpoint}/.default`,
  };

  // --- Target ------------------------------------------------------------------------------------------------
  const resourceGroup = get('resource-group');
  if (resourceGroup === '') {
    throw new InputError(
      'resource-group',
      'resource-group is required: set the resource group that holds the job, e.g. resource-group: rg-data.',
    );
  }
  if (!RESOURCE_GROUP_RE.test(resourceGroup) || resourceGroup.endsWith('.')) {
    throw new InputError(
      'resource-group',
      `resource-group ${q(resourceGroup)} is not a valid resource group name: use 1-90 letters, digits, '_', '-', '.', '(' and ')', not ending with '.', e.g. rg-data.`,
    );
  }
  const jobName = get('job-name');
  if (jobName === '') {
    throw new InputError(
      'job-name',
      'job-name is required: set the name of the Container Apps job, e.g. job-name: alice-weather-job.',
    );
  }
  if (!JOB_NAME_RE.test(jobName)) {
    const fixed = suggestJobName(jobName);
    throw new InputError(
      'job-name',
      `job-name ${q(jobName)} is not a valid job name (${describeJobNameProblems(jobName)}): use 2-32 lowercase letters, digits and '-', starting with a letter, ending with a letter or digit, without '--'; e.g. ${q(fixed ?? 'alice-weather-job')}.`,
    );
  }
  const environment = get('environment') || undefined;
  if (environment !== undefined) {
    if (environment.startsWith('/')) {
      const id = parseResourceId(environment);
      const ok =
        id !== undefined &&
        UUID_RE.test(id.subscription) &&
        RESOURCE_GROUP_RE.test(id.resourceGroup) &&
        id.provider.toLowerCase() === 'microsoft.app' &&
        ['managedenvironments', 'connectedenvironments'].includes(id.type.toLowerCase()) &&
        /^[A-Za-z0-9-]{2,60}$/.test(id.name);
      if (!ok) {
        throw new InputError(
          'environment',
          `environment ${q(environment)} is not a Container Apps environment resource ID like /subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.App/managedEnvironments/<name>; or give just the name.`,
        );
      }
    } else if (!ENVIRONMENT_NAME_RE.test(environment)) {
      const lower = environment.toLowerCase();
      throw new InputError(
        'environment',
        `environment ${q(environment)} is not a Container Apps environment name (2-60 lowercase letters, digits and '-')${ENVIRONMENT_NAME_RE.test(lower) ? `; write ${q(lower)}` : ''}; or give its full resource ID.`,
      );
    }
  }
  const location = get('location') || undefined;
  if (location !== undefined && !/^[A-Za-z0-9 ]{2,64}$/.test(location)) {
    throw new InputError(
      'location',
      `location ${q(location)} is not an Azure region name like westeurope (az account list-locations -o table).`,
    );
  }

  // --- Image ---------------------------------------------------------------------------------------------------
  const imageText = get('image');
  const imageWarnings: string[] = [];
  const image = imageText === '' ? undefined : parseImage('image', imageText, imageWarnings);
  if (
    image?.registry &&
    isAcrHost(image.registry) &&
    !image.registry.toLowerCase().endsWith(`.${cloudInfo.acrSuffix}`)
  ) {
    imageWarnings.push(
      `image is in ${image.registry}, which belongs to another Azure cloud than cloud ${cloud} (whose registries end in .${cloudInfo.acrSuffix}).`,
    );
  }
  const imageTag = get('image-tag') || undefined;
  if (imageTag !== undefined) {
    if (image) {
      throw new InputError(
        'image-tag',
        'image and image-tag cannot both be set: image replaces the whole reference, image-tag keeps the repository and changes only the tag; keep one.',
      );
    }
    if (/^@?sha256:/i.test(imageTag)) {
      throw new InputError(
        'image-tag',
        'image-tag takes a tag, not a digest; to deploy by digest set image to the full reference, e.g. myregistry.azurecr.io/my-app@sha256:<64 hex>.',
      );
    }
    if (imageTag.includes('/') || imageTag.includes(':') || imageTag.includes('@')) {
      throw new InputError(
        'image-tag',
        `image-tag ${q(imageTag)} looks like a full image reference; image-tag takes only the tag (e.g. 1.0 or \${{ github.sha }}), so set image instead.`,
      );
    }
    if (!TAG_RE.test(imageTag)) {
      throw new InputError(
        'image-tag',
        `image-tag ${q(imageTag)} is not a valid tag: use 1-128 letters, digits, '_', '.' and '-', not starting with '.' or '-', e.g. 1.0 or \${{ github.sha }}.`,
      );
    }
  }
  const containerName = get('container-name') || undefined;
  if (containerName !== undefined && !CONTAINER_NAME_RE.test(containerName)) {
    throw new InputError(
      'container-name',
      `container-name ${q(containerName)} is not a valid container name: use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit, e.g. ${q(jobName)}.`,
    );
  }

  // --- Registry ------------------------------------------------------------------------------------------------
  let server = get('registry-server') || undefined;
  if (server !== undefined) {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(server);
    if (scheme) {
      const host = server.slice(scheme[0].length).replace(/\/.*$/, '');
      throw new InputError(
        'registry-server',
        `registry-server is a host name without ${q(scheme[0])}: write ${q(host)}.`,
      );
    }
    if (server.includes('/')) {
      throw new InputError(
        'registry-server',
        `registry-server is only the registry host, without a path: write ${q(server.replace(/\/.*$/, ''))} and put the repository in image.`,
      );
    }
    if (!HOST_RE.test(server)) {
      throw new InputError(
        'registry-server',
        `registry-server ${q(server)} is not a host[:port] such as myregistry.azurecr.io.`,
      );
    }
    server = server.toLowerCase();
  }
  const registryIdentityText = get('registry-identity');
  let registryIdentity: string | undefined;
  if (registryIdentityText !== '') {
    registryIdentity = identityRef(registryIdentityText);
    if (!registryIdentity) {
      throw new InputError('registry-identity', identityProblem('registry-identity', registryIdentityText, true));
    }
  }
  const username = get('registry-username') || undefined;
  const password = get('registry-password') || undefined;
  if (username !== undefined && password === undefined) {
    throw new InputError(
      'registry-password',
      'registry-username is set but registry-password is not: set both (e.g. registry-password: ${{ secrets.REGISTRY_PASSWORD }}), or use registry-identity instead.',
    );
  }
  if (password !== undefined && username === undefined) {
    throw new InputError(
      'registry-username',
      'registry-password is set but registry-username is not: set both, or use registry-identity instead.',
    );
  }
  if (registryIdentity !== undefined && username !== undefined) {
    throw new InputError(
      'registry-identity',
      'registry-identity cannot be combined with registry-username and registry-password: the job pulls either with an identity or with credentials; keep one.',
    );
  }
  if (server !== undefined && image) {
    const host = image.registry?.toLowerCase();
    if (host === undefined) {
      if (!DOCKER_HUB_HOSTS.has(server)) {
        throw new InputError(
          'image',
          `image ${q(imageText)} has no registry host, so it would be pulled from Docker Hub, not from registry-server ${server}: write image: ${server}/${imageText}.`,
        );
      }
    } else if (host !== server) {
      if (isAcrHost(host) || isAcrHost(server)) {
        throw new InputError(
          'registry-server',
          `registry-server ${server} differs from the registry in image (${host}); the job would pull ${host} with settings meant for ${server}: make them the same.`,
        );
      }
      warnings.push(
        `registry-server ${server} differs from the registry in image (${host}); the pull credentials are set for ${server} only.`,
      );
    }
  }

  // --- Build ---------------------------------------------------------------------------------------------------
  const buildContext = get('build-context') || undefined;
  const dockerfile = get('dockerfile') || undefined;
  const buildArgsText = get('build-args');
  let build: Config['build'];
  if (buildContext === undefined) {
    if (dockerfile !== undefined) {
      throw new InputError(
        'dockerfile',
        'dockerfile is set without build-context: set build-context (e.g. build-context: .) to build an image.',
      );
    }
    if (buildArgsText !== '') {
      throw new InputError(
        'build-args',
        'build-args is set without build-context: set build-context (e.g. build-context: .) to build an image.',
      );
    }
  } else {
    if (!image) {
      throw new InputError(
        'image',
        `build-context is set but image is not: the build needs image as the reference to push to, e.g. image: myregistry.azurecr.io/${jobName}:\${{ github.sha }}.`,
      );
    }
    if (image.digest) {
      throw new InputError(
        'image',
        'image has a digest, but with build-context it is the reference to push to: give a tag instead (e.g. :${{ github.sha }}); the action deploys the built image by digest.',
      );
    }
    build = { context: buildContext, dockerfile, buildArgs: parseBuildArgs(buildArgsText) };
  }
  // With a build, a tag-less image is only the push target (the built image is deployed by digest).
  warnings.push(...imageWarnings.filter((w) => !build || !w.includes("':latest'")));

  // --- Trigger -------------------------------------------------------------------------------------------------
  const triggerText = get('trigger-type');
  let triggerType: TriggerType | undefined;
  if (triggerText !== '') {
    triggerType = TRIGGER_TYPES.find((t) => t.toLowerCase() === triggerText.toLowerCase());
    if (!triggerType) {
      throw new InputError(
        'trigger-type',
        `trigger-type ${q(triggerText)} is not one of Manual, Schedule, Event; e.g. trigger-type: Schedule.`,
      );
    }
  }
  const cronText = get('cron-expression');
  let cronExpression: string | undefined;
  if (cronText !== '') {
    if (triggerType === 'Manual' || triggerType === 'Event') {
      throw new InputError(
        'cron-expression',
        `cron-expression is set but trigger-type is ${triggerType}, which does not run on a schedule: set trigger-type: Schedule, or remove cron-expression.`,
      );
    }
    try {
      cronExpression = parseCron(cronText).expression;
    } catch (e) {
      if (!(e instanceof CronError)) throw e;
      throw new InputError(
        'cron-expression',
        `cron-expression ${q(cronText)} is not valid: ${e.message}${e.message.endsWith('?') ? '' : '.'}`,
      );
    }
  } else if (triggerType === 'Schedule' && get('job-yaml') === '') {
    // With job-yaml the schedule may come from the file (checked when the file is applied).
    throw new InputError(
      'cron-expression',
      "trigger-type Schedule needs cron-expression (five fields, UTC), e.g. cron-expression: '0 6 * * *' for every day at 06:00 UTC.",
    );
  }

  // --- Replicas and resources ----------------------------------------------------------------------------------
  const replicaTimeoutText = get('replica-timeout');
  let replicaTimeout: number | undefined;
  if (replicaTimeoutText !== '') {
    let seconds: number;
    try {
      seconds = parseDuration(replicaTimeoutText, 'replica-timeout');
    } catch {
      throw new InputError(
        'replica-timeout',
        `replica-timeout must be whole seconds of at least 1, or a duration such as 5m, not ${q(replicaTimeoutText)}; e.g. 300.`,
      );
    }
    if (seconds < 1 || seconds > INT32_MAX) {
      throw new InputError(
        'replica-timeout',
        `replica-timeout must be at least 1 second, not ${q(replicaTimeoutText)}; e.g. 300.`,
      );
    }
    replicaTimeout = seconds;
  }
  const replicaRetryLimit = parseWholeNumber(
    'replica-retry-limit',
    get('replica-retry-limit'),
    0,
    '0 (no retries) or 1',
  );
  const parallelism = parseWholeNumber('parallelism', get('parallelism'), 1, '1');
  const replicaCompletionCount = parseWholeNumber('replica-completion-count', get('replica-completion-count'), 1, '1');
  const cpu = parseCpu(get('cpu'));
  const memory = parseMemory(get('memory'));
  if (cpu !== undefined && memory !== undefined) {
    const gi = Number(memory.slice(0, -2));
    if (Math.abs(gi - 2 * cpu) > 1e-9) {
      warnings.push(
        `cpu ${formatNumber(cpu)} with memory ${memory} works only on a dedicated workload profile: the Consumption profile needs 2Gi per vCPU (e.g. cpu 0.5 with memory 1Gi).`,
      );
    }
  } else if (cpu !== undefined && cpu !== 0.5) {
    warnings.push(
      `cpu is ${formatNumber(cpu)} but memory is not set; the Consumption profile needs 2Gi per vCPU, so also set memory: ${formatNumber(cpu * 2)}Gi.`,
    );
  } else if (memory !== undefined && memory !== '1Gi') {
    warnings.push(
      `memory is ${memory} but cpu is not set; the Consumption profile needs 2Gi per vCPU, so also set cpu: ${formatNumber(Number(memory.slice(0, -2)) / 2)}.`,
    );
  }
  if (cpu !== undefined && (cpu < 0.25 || cpu > 4 || Math.abs(cpu * 4 - Math.round(cpu * 4)) > 1e-9)) {
    warnings.push(
      `cpu ${formatNumber(cpu)} is not offered on the Consumption profile (0.25 to 4 vCPU in steps of 0.25); it needs a dedicated workload profile.`,
    );
  }

  // --- Container -----------------------------------------------------------------------------------------------
  const command = parseList('command', get('command'));
  const firstCommand = command?.[0];
  if (command && command.length === 1 && firstCommand !== undefined && /\s/.test(firstCommand)) {
    warnings.push(
      `command is the single item ${q(firstCommand)}, which runs a program with that whole name (spaces included); put the program and each argument on its own line.`,
    );
  }
  const args = parseList('args', get('args'));
  const envVars = parseEnvVars('env-vars', get('env-vars'), warnings);
  const envVarsUpdateText = get('env-vars-update');
  const envVarsUpdate =
    envVarsUpdateText === ''
      ? 'merge'
      : (['merge', 'replace'] as const).find((m) => m === envVarsUpdateText.toLowerCase());
  if (!envVarsUpdate) {
    throw new InputError(
      'env-vars-update',
      `env-vars-update ${q(envVarsUpdateText)} is not merge or replace: merge sets the given variables and keeps the rest, replace keeps exactly the given ones.`,
    );
  }
  if (envVarsUpdate === 'replace' && !envVars) {
    warnings.push("env-vars-update is replace but env-vars is empty, so the job's variables are left as they are.");
  }
  const secrets = parseSecrets(get('secrets'));
  const identity = parseIdentity(get('identity'));
  const tags = parseTags(get('tags'));
  const jobYaml = get('job-yaml') || undefined;

  // --- Execution -----------------------------------------------------------------------------------------------
  const start = parseBoolean('start', get('start'), false);
  const wait = parseBoolean('wait', get('wait'), true);
  const timeoutText = get('timeout');
  let timeoutSec: number | undefined;
  if (timeoutText !== '') {
    timeoutSec = parseDuration(timeoutText, 'timeout');
    if (timeoutSec < 1 || timeoutSec > MAX_TIMEOUT_SEC) {
      throw new InputError(
        'timeout',
        `timeout must be between 1 second and 5 days (GitHub's longest job), not ${q(timeoutText)}; e.g. 10m, or leave it empty to derive it from replica-timeout.`,
      );
    }
  }
  const onTimeoutText = get('on-timeout');
  const onTimeout =
    onTimeoutText === '' ? 'stop' : (['stop', 'leave'] as const).find((m) => m === onTimeoutText.toLowerCase());
  if (!onTimeout) {
    throw new InputError(
      'on-timeout',
      `on-timeout ${q(onTimeoutText)} is not stop or leave: stop stops the execution when the wait times out, leave leaves it running.`,
    );
  }
  const stopOnCancel = parseBoolean('stop-on-cancel', get('stop-on-cancel'), true);
  const executionEnvVars = parseEnvVars('execution-env-vars', get('execution-env-vars'), warnings);
  const executionCommand = parseList('execution-command', get('execution-command'));
  const executionArgs = parseList('execution-args', get('execution-args'));
  const executionImageText = get('execution-image');
  if (executionImageText !== '') parseImage('execution-image', executionImageText, warnings);
  const logs = parseBoolean('logs', get('logs'), true);
  const logsWaitText = get('logs-wait');
  const logsWaitSec = logsWaitText === '' ? DEFAULT_LOGS_WAIT_SEC : parseDuration(logsWaitText, 'logs-wait');
  if (logsWaitSec > MAX_LOGS_WAIT_SEC) {
    throw new InputError(
      'logs-wait',
      `logs-wait must be at most ${MAX_LOGS_WAIT_SEC / 60} minutes, not ${q(logsWaitText)}: it delays the step's result; e.g. 30s, or 0 to not wait for Log Analytics.`,
    );
  }
  const dryRun = parseBoolean('dry-run', get('dry-run'), false);
  const apiVersion = get('api-version') || undefined;
  if (apiVersion !== undefined) {
    const m = API_VERSION_RE.exec(apiVersion);
    const month = Number(m?.[2]);
    const day = Number(m?.[3]);
    if (!m || month < 1 || month > 12 || day < 1 || day > 31) {
      throw new InputError(
        'api-version',
        `api-version ${q(apiVersion)} is not a management API version like 2025-07-01 or 2025-10-02-preview; leave it empty to use the default.`,
      );
    }
  }

  // --- Rules between inputs ------------------------------------------------------------------------------------
  const executionInputs: [string, unknown][] = [
    ['execution-env-vars', executionEnvVars],
    ['execution-command', executionCommand],
    ['execution-args', executionArgs],
    ['execution-image', executionImageText || undefined],
  ];
  const executionInput = executionInputs.find(([, v]) => v !== undefined);
  if (!start && executionInput) {
    throw new InputError(
      executionInput[0],
      `${executionInput[0]} applies only to an execution this step starts, but start is false: set start: true, or move the setting to the job (${executionInput[0].replace('execution-', '')}).`,
    );
  }
  const wantsDeploy = [
    image,
    imageTag,
    build,
    server,
    registryIdentity,
    username,
    triggerType,
    cronExpression,
    replicaTimeout,
    replicaRetryLimit,
    parallelism,
    replicaCompletionCount,
    cpu,
    memory,
    command,
    args,
    envVars,
    secrets,
    identity,
    tags,
    jobYaml,
  ].some((v) => v !== undefined);
  if (!start && !wantsDeploy) {
    throw new InputError(
      'start',
      'Nothing to do: start is false and no input asks to change the job; set image (or image-tag, env-vars, ...) to deploy, or start: true to run the job as it is.',
    );
  }
  if (start && !wait) {
    if (timeoutSec !== undefined)
      warnings.push('timeout is ignored because wait is false: the step does not wait for the execution.');
    if (onTimeout === 'leave')
      warnings.push('on-timeout is ignored because wait is false: the step does not wait for the execution.');
  }
  if (dryRun && start) {
    warnings.push('dry-run is true, so no execution is started (start is ignored).');
  }

  const secretValues: string[] = [];
  for (const s of secrets ?? []) if (s.value !== undefined) secretValues.push(s.value);
  if (password !== undefined) secretValues.push(password);

  return {
    auth,
    resourceGroup,
    jobName,
    environment,
    location,
    image: image ? imageText : undefined,
    imageTag,
    containerName,
    registry: { server, identity: registryIdentity, username, password },
    build,
    triggerType,
    cronExpression,
    replicaTimeout,
    replicaRetryLimit,
    parallelism,
    replicaCompletionCount,
    cpu,
    memory,
    command,
    args,
    envVars,
    envVarsUpdate,
    secrets,
    identity,
    tags,
    jobYaml,
    start,
    wait,
    timeoutSec,
    onTimeout,
    stopOnCancel,
    execution: {
      envVars: executionEnvVars,
      command: executionCommand,
      args: executionArgs,
      image: executionImageText || undefined,
    },
    logs,
    logsWaitSec,
    dryRun,
    apiVersion,
    wantsDeploy,
    secretValues,
    warnings,
  };
}

/**
 * Every value in 'secrets' and 'registry-password' that should be masked, tolerant of malformed input, so the caller
 * can mask them BEFORE parseConfig can throw. Never throws. A secrets line without '=' is masked whole (it may be a
 * pasted value); Key Vault references are not secret and are not returned.
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
  for (const raw of read('secrets').split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq < 0) {
      out.add(line);
      continue;
    }
    const value = line.slice(eq + 1).trim();
    if (value === '' || /^keyvaultref:/i.test(value)) continue;
    out.add(value);
  }
  for (const raw of read('registry-password').split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    if (line !== '') out.add(line);
  }
  return [...out];
}
