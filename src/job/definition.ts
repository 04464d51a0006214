/**
 * Job definition files (input `job-yaml`): a job in the shape `az containerapp job create --yaml` accepts
 * (`properties.configuration`, `properties.template`, `properties.environmentId`, `identity`, `tags`, `location`,
 * `name`, `type`; like the CLI it also takes `configuration`, `template`, `environmentId` / `managedEnvironmentId` and
 * `workloadProfileName` at the top level, and ignores read-only members, so `az containerapp job show -o yaml` output
 * works as it is).
 *
 * - Parsing checks every key against the official spec's Job schema (src/job/job-keys.ts, generated from it), with the
 *   file, the line and the nearest known key for an unknown one, and the values' types; then the rules Azure only
 *   reports at deploy time or not at all (trigger blocks, cron, scale rules, Key Vault references, names).
 * - Applying: the file owns the fields it names. Objects merge member by member with the live job (or with the create
 *   defaults); lists of named items (containers, env vars, volumes, scale rules...) are the file's, item by item, and
 *   keep the members the file leaves out (so Azure's defaults such as a container's resources stay); `tags`, secrets
 *   and registries add to what the job has (nothing the file does not name is removed).
 * - Planning: a readable diff (model paths such as `template.containers[app].image`), the smallest JSON merge patch
 *   from the live job to the desired one, and which differences come from the file (drift).
 *
 * Everything here works on the wire shape (`properties` nested); the SDK's models are the same objects with the
 * job's `properties` flattened (the modular SDK renames no member), converted by `jobToWire` / `wireToJob`.
 * Pure apart from `readDefinition`. Messages never contain a secret value.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Job, JobPatchProperties } from '@azure/arm-appcontainers';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node as YamlNode,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import { CronError, nextRuns, parseCron } from '../common/cron.js';
import { plainText } from '../common/text.js';
import { ActionError, InputError } from '../common/errors.js';
import { JOB_TYPES, type JobKeyField, type JobKeyType } from './job-keys.js';
import type { Change } from './spec.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Obj = { [key: string]: Json };

export interface Definition {
  /** The path as given in job-yaml, for messages. */
  file: string;
  /** What the file says, in the wire shape, read-only members dropped. */
  wire: Obj;
  /** The job name the file gives, if any. */
  name?: string;
  /** Every secret value in the file (the caller masks them). */
  secretValues: string[];
  /** The file's line of each model path it names (`configuration.secrets[pg]`, `template.containers[app].image`). */
  lines: ReadonlyMap<string, number>;
  /** The line of a model path, or of its nearest ancestor in the file. */
  lineOf(path: string): number | undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The key tree

/** Array items identified by a member the spec does not declare as identifier. */
const EXTRA_IDS: Record<string, string> = { JobScaleRule: 'name', ScaleRuleAuth: 'triggerParameter' };
/**
 * Items taken whole from the file: their members are alternatives (value or secretRef, value or keyVaultUrl, a scale
 * rule's auth or identity...), and Azure adds nothing to them.
 */
const ATOMIC = new Set([
  'EnvironmentVar',
  'Secret',
  'RegistryCredentials',
  'ScaleRuleAuth',
  'SecretVolumeItem',
  'JobScaleRule',
]);
/** Items the change list shows in one line (the others member by member). */
const ONE_LINE = new Set(['EnvironmentVar', 'Secret', 'RegistryCredentials', 'ScaleRuleAuth']);
/** Lists the file adds to instead of owning: secrets and registries it does not name stay. */
const ADDITIVE = new Set(['Secret', 'RegistryCredentials']);
const TRIGGER_BLOCKS: Record<string, string> = {
  Manual: 'manualTriggerConfig',
  Schedule: 'scheduleTriggerConfig',
  Event: 'eventTriggerConfig',
};
/** Top-level members the Azure CLI moves under `properties`. */
const TOP_LEVEL_PROPERTIES: Record<string, string> = {
  configuration: 'configuration',
  template: 'template',
  environmentId: 'environmentId',
  managedEnvironmentId: 'environmentId',
  workloadProfileName: 'workloadProfileName',
};
/** Top-level members of `az containerapp job show` output that the CLI ignores on create. */
const TOP_LEVEL_IGNORED = new Set([
  'resourceGroup',
  'provisioningState',
  'runningState',
  'eventStreamEndpoint',
  'outboundIpAddresses',
]);

type Kind =
  | { k: 'object'; type: string; info: JobKeyType }
  | { k: 'array'; item: string }
  | { k: 'map'; value: string }
  | { k: 'scalar'; t: 'string' | 'integer' | 'number' | 'boolean'; e?: readonly string[] }
  | { k: 'any' };

function kindOf(t: string, e?: readonly string[]): Kind {
  if (t.endsWith('[]')) return { k: 'array', item: t.slice(0, -2) };
  if (t.startsWith('map:')) return { k: 'map', value: t.slice(4) };
  if (t.startsWith('#')) {
    const info = JOB_TYPES[t.slice(1)];
    if (!info) throw new Error(`job-keys: unknown type ${t}`);
    return { k: 'object', type: t.slice(1), info };
  }
  if (t === 'string' || t === 'integer' || t === 'number' || t === 'boolean') return { k: 'scalar', t, e };
  return { k: 'any' };
}

function itemId(itemType: string, field: JobKeyField | undefined): string | undefined {
  return field?.id ?? EXTRA_IDS[itemType.replace(/^#/, '')];
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value of the file or the job as text in a message or a path: a string as it is, anything else as JSON. */
export function textOf(v: Json | undefined): string {
  return typeof v === 'string' ? v : v === undefined ? 'undefined' : JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------------------------------
// Reading and parsing

/** Masks first: the values of `secrets[].value` anywhere in the text, found even in a file that does not parse. */
export function secretValuesInYaml(text: string): string[] {
  const out = new Set<string>();
  let doc: Document;
  try {
    doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false });
  } catch {
    return [];
  }
  visit(doc, {
    Pair(_key, pair) {
      if (!isScalar(pair.key) || pair.key.value !== 'secrets' || !isSeq(pair.value)) return;
      for (const item of pair.value.items) {
        if (!isMap(item)) continue;
        for (const p of item.items) {
          if (isScalar(p.key) && p.key.value === 'value' && isScalar(p.value) && p.value.value !== null) {
            const v = plainText(p.value.value);
            if (v !== '') out.add(v);
            if (p.value.source && p.value.source !== v) out.add(p.value.source);
            // the runner masks a multi-line value line by line
            for (const line of v.split(/\r?\n/)) if (line.trim().length >= 4 && line !== v) out.add(line.trim());
          }
        }
      }
    },
  });
  return [...out];
}

/**
 * Reads job-yaml (relative to the workspace), masks the secret values in it before anything can print them, and
 * parses it. Throws InputError('job-yaml', ...) naming the file.
 */
export function readDefinition(file: string, options: { workspace?: string; mask(value: string): void }): Definition {
  const base = options.workspace || process.cwd();
  const full = isAbsolute(file) ? file : resolve(base, file);
  let text: string;
  try {
    if (statSync(full).isDirectory()) {
      throw new InputError(
        'job-yaml',
        `job-yaml '${file}' is a directory (${full}): give the path of the job definition file, e.g. job-yaml: deploy/job.yaml.`,
      );
    }
    text = readFileSync(full, 'utf8');
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as { code?: string }).code;
    throw new InputError(
      'job-yaml',
      code === 'ENOENT'
        ? `job-yaml file '${file}' was not found (looked for ${full}): give the path relative to the repository root, and check out the repository (actions/checkout) before this step.`
        : `job-yaml file '${file}' could not be read (${code ?? String(error)}): check the path and the file's permissions.`,
    );
  }
  for (const value of secretValuesInYaml(text)) options.mask(value);
  return parseDefinition(text, file);
}

interface Issue {
  line?: number;
  text: string;
}

function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known key nearest to `key` (case-insensitive edit distance), when near enough to be a typo. */
export function nearestKey(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(key.toLowerCase(), c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  const limit = Math.max(2, Math.floor(key.length / 3));
  return best !== undefined && bestDistance <= limit ? best : undefined;
}

/** Where `key` exists below `type` (e.g. cronExpression under configuration: scheduleTriggerConfig.cronExpression). */
function findBelow(type: string, key: string): string | undefined {
  const queue: { type: string; path: string }[] = [{ type, path: '' }];
  const seen = new Set<string>([type]);
  while (queue.length) {
    const cur = queue.shift()!;
    const info = JOB_TYPES[cur.type];
    if (!info) continue;
    for (const [name, f] of Object.entries(info.f)) {
      if (f.ro) continue;
      const path = cur.path ? `${cur.path}.${name}` : name;
      if (name === key && cur.path) return path;
      const m = /^#(\w+)(\[\])?$/.exec(f.t) ?? /^map:#(\w+)$/.exec(f.t);
      const child = m?.[1];
      if (child && !seen.has(child)) {
        seen.add(child);
        queue.push({ type: child, path: `${path}${m[2] ? '[]' : ''}` });
      }
    }
  }
  return undefined;
}

function scalarText(node: Scalar): string {
  if (node.type === 'PLAIN' && typeof node.source === 'string' && node.source !== '') return node.source;
  return String(node.value);
}

type FieldLike = Pick<JobKeyField, 't' | 'e' | 'id' | 'secret'>;

class Parser {
  readonly issues: Issue[] = [];
  readonly lines = new Map<string, number>();
  private readonly doc: Document;
  private readonly lc: LineCounter;
  constructor(doc: Document, lc: LineCounter) {
    this.doc = doc;
    this.lc = lc;
  }

  line(node: YamlNode | null | undefined): number | undefined {
    const r = node?.range;
    return r ? this.lc.linePos(r[0]).line : undefined;
  }

  issue(node: YamlNode | null | undefined, text: string): void {
    this.issues.push({ line: this.line(node), text });
  }

  record(path: string, node: YamlNode | null | undefined): void {
    const line = this.line(node);
    if (path && line !== undefined && !this.lines.has(path)) this.lines.set(path, line);
  }

  deAlias(node: YamlNode | null | undefined): YamlNode | null | undefined {
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) this.issue(node, `the alias *${node.source} has no anchor &${node.source} before it`);
      return target;
    }
    return node;
  }

  /**
   * The cleaned value of `raw` for `field`, or undefined (null or wrong). `where` is the YAML path for messages;
   * `path` the model path for line lookups.
   */
  value(raw: YamlNode | null | undefined, field: FieldLike, where: string, path: string): Json | undefined {
    const node = this.deAlias(raw);
    if (node === undefined || node === null) return undefined;
    if (isScalar(node) && node.value === null) return undefined;
    const kind = kindOf(field.t, field.e);
    switch (kind.k) {
      case 'object':
        if (!isMap(node)) {
          this.issue(node, `${where} must be a mapping of keys (key: value lines), not ${describeNode(node)}`);
          return undefined;
        }
        return this.object(node, kind.type, kind.info, where, path);
      case 'array': {
        if (!isSeq(node)) {
          this.issue(node, `${where} must be a list ('- ' items), not ${describeNode(node)}`);
          return undefined;
        }
        const idKey = itemId(kind.item, field);
        const out: Json[] = [];
        node.items.forEach((itemRaw, i) => {
          const item = this.deAlias(itemRaw as YamlNode);
          let id: string | undefined;
          if (idKey && isMap(item)) {
            const idNode = item.items.find((p) => isScalar(p.key) && p.key.value === idKey)?.value;
            if (isScalar(idNode) && idNode.value !== null) id = scalarText(idNode);
          }
          const itemPath = `${path}[${id ?? i}]`;
          this.record(itemPath, itemRaw as YamlNode);
          const v = this.value(itemRaw as YamlNode, { t: kind.item, secret: field.secret }, `${where}[${i}]`, itemPath);
          if (v !== undefined) out.push(v);
        });
        return out;
      }
      case 'map': {
        if (!isMap(node)) {
          this.issue(node, `${where} must be a mapping of keys (key: value lines), not ${describeNode(node)}`);
          return undefined;
        }
        const out: Obj = {};
        for (const pair of node.items) {
          const key = isScalar(pair.key) ? scalarText(pair.key) : undefined;
          if (key === undefined) {
            this.issue(pair.key as YamlNode, `${where} has a key that is not plain text`);
            continue;
          }
          this.record(`${path}[${key}]`, pair.key as YamlNode);
          const v = this.value(pair.value as YamlNode, { t: kind.value }, `${where}.${key}`, `${path}[${key}]`);
          if (v !== undefined) out[key] = v;
          else if (kind.value.startsWith('#')) out[key] = {};
        }
        return out;
      }
      case 'any': {
        // KEDA scale rule metadata: a mapping of text values (numbers and booleans are sent as text).
        if (!isMap(node)) {
          this.issue(
            node,
            `${where} must be a mapping of text values (e.g. queueName: jobs), not ${describeNode(node)}`,
          );
          return undefined;
        }
        const out: Obj = {};
        for (const pair of node.items) {
          const key = isScalar(pair.key) ? scalarText(pair.key) : undefined;
          const v = this.deAlias(pair.value as YamlNode);
          if (key === undefined || v === null || v === undefined || (isScalar(v) && v.value === null)) continue;
          this.record(`${path}.${key}`, pair.key as YamlNode);
          if (!isScalar(v)) {
            this.issue(v, `${where}.${key} must be a text value, not ${describeNode(v)}`);
            continue;
          }
          out[key] = scalarText(v);
        }
        return out;
      }
      case 'scalar':
        return this.scalar(node, kind, where, !!field.secret);
    }
  }

  private scalar(
    node: YamlNode,
    kind: { t: 'string' | 'integer' | 'number' | 'boolean'; e?: readonly string[] },
    where: string,
    secret: boolean,
  ): Json | undefined {
    if (!isScalar(node)) {
      this.issue(node, `${where} must be ${scalarWord(kind.t)}, not ${describeNode(node)}`);
      return undefined;
    }
    const v = node.value;
    if (kind.t === 'string') {
      // Unquoted numbers and booleans are what the user wrote, as text (tags: {cost-center: 1234}).
      const s = typeof v === 'string' ? v : scalarText(node);
      if (!kind.e) return s;
      const norm = (x: string): string => x.replace(/\s/g, '').toLowerCase();
      const canonical = kind.e.find((e) => norm(e) === norm(s));
      if (!canonical) {
        this.issue(node, `${where} must be one of ${kind.e.join(', ')}${secret ? '' : `, not '${s}'`}`);
        return undefined;
      }
      return canonical;
    }
    if (kind.t === 'integer' ? typeof v === 'number' && Number.isInteger(v) : typeof v === kind.t) return v as Json;
    this.issue(node, `${where} must be ${scalarWord(kind.t)}, not ${describeNode(node)}`);
    return undefined;
  }

  object(
    node: YAMLMap,
    typeName: string,
    info: JobKeyType,
    where: string,
    path: string,
    aliases: Record<string, string> = {},
  ): Obj {
    const out: Obj = {};
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode;
      const key = isScalar(keyNode) ? scalarText(keyNode) : undefined;
      if (key === undefined) {
        this.issue(keyNode, `${where || 'the file'} has a key that is not plain text`);
        continue;
      }
      const name = aliases[key] ?? key;
      const field = info.f[name];
      if (!field) {
        this.unknownKey(keyNode, key, typeName, info, where);
        continue;
      }
      if (field.ro) continue;
      const childWhere = where ? `${where}.${key}` : key;
      if (out[name] !== undefined) {
        this.issue(keyNode, `${childWhere} is given twice (also as ${name}): keep one`);
        continue;
      }
      const childPath = path ? `${path}.${name}` : name;
      this.record(childPath, keyNode);
      const v = this.value(pair.value as YamlNode, field, childWhere, childPath);
      if (v !== undefined) out[name] = v;
    }
    return out;
  }

  unknownKey(keyNode: YamlNode, key: string, typeName: string, info: JobKeyType, where: string, extra: string[] = []) {
    const known = [
      ...Object.entries(info.f)
        .filter(([, f]) => !f.ro)
        .map(([k]) => k),
      ...extra,
    ];
    const at = where ? `in ${where}` : 'at the top level';
    if (key === '<<')
      return this.issue(keyNode, `YAML merge keys ('<<') are not supported (${at}): write the keys out`);
    const exact = known.find((k) => k.toLowerCase() === key.toLowerCase());
    if (exact) return this.issue(keyNode, `unknown key '${key}' ${at}: keys are case-sensitive, write '${exact}'`);
    const near = nearestKey(key, known);
    if (near) return this.issue(keyNode, `unknown key '${key}' ${at}; did you mean '${near}'?`);
    const below = findBelow(typeName, key);
    if (below) {
      return this.issue(keyNode, `unknown key '${key}' ${at}: it belongs under ${where ? `${where}.` : ''}${below}`);
    }
    this.issue(keyNode, `unknown key '${key}' ${at}; the keys allowed there are ${known.join(', ')}`);
  }
}

function describeNode(node: YamlNode | null | undefined): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'number') return 'a number';
    if (typeof v === 'boolean') return 'true/false';
    return 'text';
  }
  return 'something else';
}

function scalarWord(t: string): string {
  return t === 'integer' ? 'a whole number' : t === 'number' ? 'a number' : t === 'boolean' ? 'true or false' : 'text';
}

/** One error for all the problems found: the file, each problem's line, what is wrong and the fix. */
function failWith(file: string, issues: Issue[]): never {
  const sorted = [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const end = (text: string): string => (/[.?!]$/.test(text) ? text : `${text}.`);
  if (sorted.length === 1) {
    const i = sorted[0]!;
    throw new InputError('job-yaml', end(`job-yaml file '${file}'${i.line ? ` line ${i.line}` : ''}: ${i.text}`));
  }
  const shown = sorted.slice(0, 6).map((i) => `${i.line ? `line ${i.line}: ` : ''}${i.text}`);
  const more = sorted.length > 6 ? `; and ${sorted.length - 6} more` : '';
  throw new InputError(
    'job-yaml',
    end(`job-yaml file '${file}' has ${sorted.length} problems: ${shown.join('; ')}${more}`),
  );
}

const SECRET_NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,251}[a-z0-9])?$/;
const CONTAINER_NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const UAI_ID_RE =
  /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.managedidentity\/userassignedidentities\/[^/]+$/i;

/** Parses and checks a definition's text. Pure. Throws InputError('job-yaml', ...) with the file and lines. */
export function parseDefinition(text: string, file: string): Definition {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const secretValues = secretValuesInYaml(text);
  const error = doc.errors[0];
  if (error) {
    // The first error only: the others usually follow from it. The parser's messages never quote the file.
    const { line, col } = lc.linePos(error.pos[0]);
    const what =
      error.code === 'MULTIPLE_DOCS'
        ? "it holds more than one YAML document ('---'): keep one job per file"
        : error.code === 'DUPLICATE_KEY'
          ? 'a key is given twice in the same mapping: keep one'
          : `${error.message.replace(/\.$/, '')}: check the indentation, and that each key is followed by ': '`;
    throw new InputError(
      'job-yaml',
      `job-yaml file '${file}' is not valid YAML at line ${line}, column ${col}: ${what}.`,
    );
  }
  const contents = doc.contents as YamlNode | null;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    throw new InputError(
      'job-yaml',
      `job-yaml file '${file}' is empty: describe the job in it (properties.configuration, properties.template...), as 'az containerapp job show -o yaml' prints one.`,
    );
  }
  if (!isMap(contents)) {
    throw new InputError(
      'job-yaml',
      `job-yaml file '${file}' must hold a mapping (properties:, identity:, tags: ...), not ${describeNode(contents)}; see 'az containerapp job show -o yaml' for the shape.`,
    );
  }

  const p = new Parser(doc, lc);
  const jobInfo = JOB_TYPES.Job!;
  const propsInfo = JOB_TYPES.JobProperties!;
  const wire: Obj = {};
  const topProps: Obj = {};
  let name: string | undefined;
  let propsLine: number | undefined;
  for (const pair of contents.items) {
    const keyNode = pair.key as YamlNode;
    const key = isScalar(keyNode) ? scalarText(keyNode) : undefined;
    if (key === undefined) {
      p.issue(keyNode, 'the file has a key that is not plain text');
      continue;
    }
    const valueNode = pair.value as YamlNode | null;
    if (key === 'name') {
      if (isScalar(valueNode) && valueNode.value !== null) name = scalarText(valueNode);
      continue;
    }
    if (key === 'type') {
      const t = isScalar(valueNode) ? plainText(valueNode.value) : '';
      if (t && t.toLowerCase() !== 'microsoft.app/jobs') {
        p.issue(valueNode, `type must be Microsoft.App/jobs (this file describes a '${t}'); use a job definition`);
      }
      continue;
    }
    if (key in TOP_LEVEL_PROPERTIES) {
      const target = TOP_LEVEL_PROPERTIES[key]!;
      if (topProps[target] !== undefined) {
        p.issue(keyNode, `${key} is given twice (as ${target} too): keep one`);
        continue;
      }
      p.record(target, keyNode);
      const v = p.value(valueNode, propsInfo.f[target]!, key, target);
      if (v !== undefined) topProps[target] = v;
      continue;
    }
    if (TOP_LEVEL_IGNORED.has(key)) continue;
    const field = jobInfo.f[key];
    if (!field) {
      p.unknownKey(keyNode, key, 'Job', jobInfo, '', Object.keys(TOP_LEVEL_PROPERTIES));
      continue;
    }
    if (field.ro) continue;
    if (key === 'properties') {
      propsLine = p.line(keyNode);
      const node = p.deAlias(valueNode);
      if (node === null || (isScalar(node) && node.value === null)) continue;
      if (!isMap(node)) {
        p.issue(
          node,
          `properties must be a mapping of keys (configuration:, template: ...), not ${describeNode(node)}`,
        );
        continue;
      }
      wire.properties = p.object(node, 'JobProperties', propsInfo, 'properties', '', {
        managedEnvironmentId: 'environmentId',
      });
      continue;
    }
    p.record(key, keyNode);
    const v = p.value(valueNode, field, key, key);
    if (v !== undefined) wire[key] = v;
  }
  if (Object.keys(topProps).length) {
    const props = (wire.properties ?? {}) as Obj;
    for (const [k, v] of Object.entries(topProps)) {
      if (props[k] !== undefined) {
        p.issues.push({
          line: p.lines.get(k) ?? propsLine,
          text: `${k} is given both at the top level and under properties: keep one`,
        });
      } else props[k] = v;
    }
    wire.properties = props;
  }
  if (p.issues.length) failWith(file, p.issues);

  const lines = p.lines;
  const lineOf = (path: string): number | undefined => {
    let cur = path;
    for (;;) {
      const l = lines.get(cur);
      if (l) return l;
      const cut = Math.max(cur.lastIndexOf('.'), cur.lastIndexOf('['));
      if (cut <= 0) return undefined;
      cur = cur.slice(0, cut);
    }
  };
  checkFile(wire, file, lineOf);
  return { file, wire, name, secretValues, lines, lineOf };
}

type AddIssue = (path: string, text: string) => void;

/** Trigger type and blocks, and the schedule's cron expression. */
function checkTrigger(conf: Obj, add: AddIssue, issues: readonly Issue[]): void {
  const blocks = Object.entries(TRIGGER_BLOCKS).filter(([, b]) => conf[b] !== undefined);
  const type = conf.triggerType as string | undefined;
  if (type === undefined) {
    if (blocks.length === 1) conf.triggerType = blocks[0]![0];
    else if (blocks.length > 1) {
      add(
        'configuration',
        `properties.configuration has ${blocks.map(([, b]) => b).join(' and ')} but no triggerType: set triggerType and keep only its block`,
      );
    }
  } else {
    for (const [t, b] of blocks) {
      if (t !== type) {
        add(
          `configuration.${b}`,
          `properties.configuration.${b} does not go with triggerType ${type}: use ${TRIGGER_BLOCKS[type]} (or set triggerType: ${t})`,
        );
      }
    }
  }
  const schedule = conf.scheduleTriggerConfig as Obj | undefined;
  if (conf.triggerType === 'Schedule' && !issues.length) {
    // A missing schedule may be the live job's (or cron-expression's): checked on the job to deploy.
    const cron = schedule?.cronExpression as string | undefined;
    if (cron !== undefined) {
      try {
        schedule!.cronExpression = parseCron(cron).expression;
      } catch (e) {
        if (!(e instanceof CronError)) throw e;
        add(
          'configuration.scheduleTriggerConfig.cronExpression',
          `cronExpression '${cron}' is not valid: ${e.message}`,
        );
      }
    }
  }
}

/** An Event trigger's scale rules and limits. */
function checkEventScale(conf: Obj, add: AddIssue, issues: readonly Issue[]): void {
  const event = conf.eventTriggerConfig as Obj | undefined;
  if (conf.triggerType === 'Event' && !issues.length) {
    const scale = event?.scale as Obj | undefined;
    // Rules the file leaves out may be the live job's: "no rules at all" is checked on the job to deploy.
    const rules = (scale?.rules ?? []) as Obj[];
    const names = new Set<string>();
    rules.forEach((r, i) => {
      const at = `configuration.eventTriggerConfig.scale.rules[${textOf(r.name ?? i)}]`;
      if (!r.name) add(at, `scale rule ${i + 1} needs a name`);
      else if (names.has(textOf(r.name)))
        add(at, `scale rule name '${textOf(r.name)}' is used twice: names must be unique`);
      else names.add(textOf(r.name));
      if (!r.type)
        add(
          at,
          `scale rule '${textOf(r.name ?? i + 1)}' needs a type, the KEDA scaler, e.g. azure-queue or azure-servicebus`,
        );
      ((r.auth ?? []) as Obj[]).forEach((a) => {
        if (!a.secretRef || !a.triggerParameter) {
          add(
            `${at}.auth`,
            `each auth entry of scale rule '${textOf(r.name ?? i + 1)}' needs both secretRef (a job secret) and triggerParameter (the scaler's parameter, e.g. connection)`,
          );
        }
      });
    });
    const min = scale?.minExecutions as number | undefined;
    const max = scale?.maxExecutions as number | undefined;
    if (min !== undefined && min < 0)
      add('configuration.eventTriggerConfig.scale.minExecutions', 'minExecutions must be 0 or more');
    if (max !== undefined && max < 1)
      add('configuration.eventTriggerConfig.scale.maxExecutions', 'maxExecutions must be at least 1');
    if (min !== undefined && max !== undefined && min > max) {
      add(
        'configuration.eventTriggerConfig.scale.minExecutions',
        `minExecutions (${min}) is more than maxExecutions (${max})`,
      );
    }
    const poll = scale?.pollingInterval as number | undefined;
    if (poll !== undefined && poll < 1)
      add('configuration.eventTriggerConfig.scale.pollingInterval', 'pollingInterval must be at least 1 second');
  }
  for (const [, b] of Object.entries(TRIGGER_BLOCKS)) {
    const block = conf[b] as Obj | undefined;
    for (const k of ['parallelism', 'replicaCompletionCount'] as const) {
      const v = block?.[k] as number | undefined;
      if (v !== undefined && v < 1) add(`configuration.${b}.${k}`, `${k} must be at least 1`);
    }
  }
  if (typeof conf.replicaTimeout === 'number' && conf.replicaTimeout < 1) {
    add('configuration.replicaTimeout', 'replicaTimeout must be at least 1 second');
  }
  if (typeof conf.replicaRetryLimit === 'number' && conf.replicaRetryLimit < 0) {
    add('configuration.replicaRetryLimit', 'replicaRetryLimit must be 0 or more');
  }
}

/** Secret names, and Key Vault references. */
function checkSecrets(conf: Obj, add: AddIssue): void {
  const secretNames = new Set<string>();
  ((conf.secrets ?? []) as Obj[]).forEach((s, i) => {
    const at = `configuration.secrets[${(s.name as string) ?? i}]`;
    const n = s.name as string | undefined;
    if (!n) return add(at, `secret ${i + 1} needs a name`);
    if (!SECRET_NAME_RE.test(n)) {
      add(
        at,
        `secret name '${n}' must be lowercase letters, digits and '-', starting and ending with a letter or digit`,
      );
    }
    if (secretNames.has(n)) add(at, `secret '${n}' is given twice`);
    secretNames.add(n);
    const hasValue = s.value !== undefined;
    const hasKv = s.keyVaultUrl !== undefined;
    if (hasValue && hasKv) add(at, `secret '${n}' has both value and keyVaultUrl: keep one`);
    // A secret with only a name (as az containerapp job show prints them) keeps the job's value.
    if (hasKv) {
      if (!/^https:\/\/[^/\s]+\/secrets\/[^/\s]+/i.test(s.keyVaultUrl as string)) {
        add(
          `${at}.keyVaultUrl`,
          `secret '${n}' keyVaultUrl must be a Key Vault secret URL such as https://my-vault.vault.azure.net/secrets/my-secret`,
        );
      }
      if (!s.identity) {
        add(
          at,
          `secret '${n}' reads Key Vault, so it needs identity: 'system' or a user-assigned identity's resource ID with access to the vault`,
        );
      }
    }
  });
}

/** Container names, their env items, and volumes. */
function checkTemplate(template: Obj | undefined, add: AddIssue): void {
  for (const list of ['containers', 'initContainers'] as const) {
    const seen = new Set<string>();
    ((template?.[list] ?? []) as Obj[]).forEach((c, i) => {
      const n = c.name as string | undefined;
      const at = `template.${list}[${n ?? i}]`;
      if (!n) return add(at, `properties.template.${list}[${i}] needs a name`);
      if (!CONTAINER_NAME_RE.test(n)) {
        add(
          at,
          `container name '${n}' must be lowercase letters, digits and '-' (at most 63), starting and ending with a letter or digit`,
        );
      }
      if (seen.has(n)) add(at, `container name '${n}' is used twice`);
      seen.add(n);
      ((c.env ?? []) as Obj[]).forEach((e, j) => {
        const eat = `${at}.env[${textOf(e.name ?? j)}]`;
        if (!e.name) add(eat, `env item ${j + 1} of container '${n}' needs a name`);
        else if (e.value !== undefined && e.secretRef !== undefined) {
          add(eat, `env ${textOf(e.name)} of container '${n}' has both value and secretRef: keep one`);
        }
      });
    });
  }
  ((template?.volumes ?? []) as Obj[]).forEach((v, i) => {
    if (!v.name) add(`template.volumes[${i}]`, `volume ${i + 1} needs a name`);
    if ((v.storageType === 'AzureFile' || v.storageType === 'NfsAzureFile') && !v.storageName) {
      add(
        `template.volumes[${textOf(v.name ?? i)}]`,
        `volume '${textOf(v.name ?? i + 1)}' of storageType ${v.storageType} needs storageName (the environment's storage)`,
      );
    }
  });
}

/** The identity's type and user-assigned identity IDs. */
function checkIdentity(identity: Obj | undefined, add: AddIssue): void {
  if (identity) {
    const users = Object.keys((identity.userAssignedIdentities ?? {}) as Obj);
    for (const id of users) {
      if (!UAI_ID_RE.test(id)) {
        add(
          `identity.userAssignedIdentities[${id}]`,
          `identity.userAssignedIdentities key '${id}' must be a user-assigned identity's resource ID (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>)`,
        );
      }
    }
    const type = identity.type as string | undefined;
    if (type === undefined) {
      identity.type = users.length ? 'UserAssigned' : 'None';
      if (users.length === 0)
        add('identity', "identity needs a type: SystemAssigned, UserAssigned or 'SystemAssigned,UserAssigned'");
    } else if (type.includes('UserAssigned') && !users.length) {
      add('identity', `identity type ${type} needs userAssignedIdentities (the identities' resource IDs as keys)`);
    } else if (!type.includes('UserAssigned') && users.length) {
      add(
        'identity',
        `identity type ${type} does not include UserAssigned, but userAssignedIdentities are given: write type: ${type === 'SystemAssigned' ? "'SystemAssigned,UserAssigned'" : 'UserAssigned'}`,
      );
    }
  }
}

/** The rules Azure would only report at deploy time (or never): trigger blocks, cron, scale rules, names, secrets. */
function checkFile(wire: Obj, file: string, lineOf: (p: string) => number | undefined): void {
  const issues: Issue[] = [];
  const add = (path: string, text: string): void => {
    issues.push({ line: lineOf(path), text });
  };
  const props = (wire.properties ?? {}) as Obj;
  const conf = props.configuration as Obj | undefined;
  if (conf) {
    checkTrigger(conf, add, issues);
    checkEventScale(conf, add, issues);
    checkSecrets(conf, add);
  }
  checkTemplate(props.template as Obj | undefined, add);
  checkIdentity(wire.identity as Obj | undefined, add);
  if (issues.length) failWith(file, issues);
}

// ---------------------------------------------------------------------------------------------------------------
// Wire shape, overlay, merge patch, diff

/** Drops read-only members, null and undefined (recursively), following the key tree. */
export function clean(value: unknown, t: string): Json | undefined {
  if (value === null || value === undefined) return undefined;
  const kind = kindOf(t);
  switch (kind.k) {
    case 'object': {
      if (!isObj(value)) return value as Json;
      const out: Obj = {};
      for (const [k, v] of Object.entries(value)) {
        const f = kind.info.f[k];
        if (!f || f.ro) continue;
        const c = clean(v, f.t);
        if (c !== undefined) out[k] = c;
      }
      return out;
    }
    case 'array':
      return Array.isArray(value)
        ? value.map((v) => clean(v, kind.item)).filter((v): v is Json => v !== undefined)
        : (value as Json);
    case 'map': {
      if (!isObj(value)) return value as Json;
      const out: Obj = {};
      for (const [k, v] of Object.entries(value)) {
        const c = clean(v, kind.value);
        if (c !== undefined) out[k] = c;
        else if (kind.value.startsWith('#')) out[k] = {};
      }
      return out;
    }
    default:
      return JSON.parse(JSON.stringify(value)) as Json;
  }
}

/** The SDK model of a job (as GET returns it) in the wire shape, read-only members dropped. */
export function jobToWire(job: Job): Obj {
  const j = job as unknown as Obj;
  const wire = {
    tags: j.tags,
    location: j.location,
    identity: j.identity,
    properties: {
      environmentId: j.environmentId,
      workloadProfileName: j.workloadProfileName,
      configuration: j.configuration,
      template: j.template,
    },
  };
  return (clean(wire, '#Job') ?? {}) as Obj;
}

/** The SDK model of a wire-shaped job. */
export function wireToJob(wire: Obj): Job {
  const { properties, ...rest } = wire;
  return { ...rest, ...((properties ?? {}) as Obj) } as unknown as Job;
}

/** The SDK model of a wire-shaped merge patch (the same members). */
export function wireToPatch(wire: Obj): JobPatchProperties {
  return wire;
}

/** A JSON copy without undefined members. */
export function toJson<T>(value: T): Json {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as Json);
}

/** RFC 7396 JSON merge patch. */
export function mergePatch(target: Json | undefined, patch: Json | undefined): Json | undefined {
  if (patch === undefined) return target;
  if (!isObj(patch)) return patch;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else {
      const merged = mergePatch(out[k], v);
      if (merged !== undefined) out[k] = merged;
    }
  }
  return out;
}

function idOf(item: Json | undefined, idKey: string | undefined): string | undefined {
  return idKey && isObj(item) && item[idKey] !== undefined && item[idKey] !== null ? textOf(item[idKey]) : undefined;
}

function findById(list: Json | undefined, idKey: string, id: string | undefined): Json | undefined {
  return Array.isArray(list) ? list.find((x) => idOf(x, idKey) === id) : undefined;
}

/** `over` (the file) laid over `base` (the live job or the create defaults): the file owns what it names. */
export function overlay(
  base: Json | undefined,
  over: Json | undefined,
  t: string,
  field?: FieldLike,
): Json | undefined {
  if (over === undefined) return base;
  if (base === undefined) return over;
  const kind = kindOf(t);
  // An identity the file names is the file's, type and user-assigned identities together.
  if (kind.k === 'object' && kind.type === 'ManagedServiceIdentity') return over;
  if (kind.k === 'object' && isObj(base) && isObj(over)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(over)) {
      const f = kind.info.f[k];
      const merged = f ? overlay(base[k], v, f.t, f) : v;
      if (merged !== undefined) out[k] = merged;
    }
    return out;
  }
  // tags: the file sets the ones it names, the others stay
  if (kind.k === 'map' && kind.value === 'string' && isObj(base) && isObj(over)) return { ...base, ...over };
  if (kind.k === 'array' && Array.isArray(base) && Array.isArray(over)) {
    const itemType = kind.item.replace(/^#/, '');
    const idKey = itemId(kind.item, field);
    if (!idKey) return over;
    const merge = (o: Json): Json => {
      const b = findById(base, idKey, idOf(o, idKey));
      if (b === undefined) return o;
      // a secret named without value or keyVaultUrl (az containerapp job show prints them so) keeps the job's
      if (itemType === 'Secret' && isObj(o) && o.value === undefined && o.keyVaultUrl === undefined) return b;
      return ATOMIC.has(itemType) ? o : (overlay(b, o, kind.item) ?? o);
    };
    if (ADDITIVE.has(itemType)) {
      const out = base.map((b) => {
        const o = findById(over, idKey, idOf(b, idKey));
        return o === undefined ? b : merge(o);
      });
      for (const o of over) if (findById(base, idKey, idOf(o, idKey)) === undefined) out.push(o);
      return out;
    }
    return over.map(merge);
  }
  return over;
}

/** Keeps only the trigger block of the job's trigger type. */
export function normalizeTrigger(wire: Obj): void {
  const conf = (wire.properties as Obj | undefined)?.configuration as Obj | undefined;
  if (!conf) return;
  const keep = TRIGGER_BLOCKS[conf.triggerType as string];
  for (const b of Object.values(TRIGGER_BLOCKS)) if (b !== keep) delete conf[b];
}

/** The live (or default) job with the file laid over it, in the wire shape. */
export function applyFile(base: Obj, def: Definition): Obj {
  const wire = (overlay(base, def.wire, '#Job') ?? {}) as Obj;
  normalizeTrigger(wire);
  return JSON.parse(JSON.stringify(wire)) as Obj;
}

function isEmpty(v: Json | undefined): boolean {
  return (
    v === undefined ||
    v === null ||
    (Array.isArray(v) && v.length === 0) ||
    (isObj(v) && Object.values(v).every((x) => x === undefined))
  );
}

/** Deep equality where absent, null, [] and {} are the same. */
export function same(a: Json | undefined, b: Json | undefined): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (!same(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

/** The last segment of a resource ID (user-assigned identities in change labels). */
function shortId(id: string): string {
  return id.startsWith('/subscriptions/') ? id.slice(id.lastIndexOf('/') + 1) : id;
}

function redact(v: Json, t: string): Json {
  const kind = kindOf(t);
  if (kind.k === 'object' && isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) {
      const f = kind.info.f[k];
      out[k] = f?.secret ? '(secret)' : f ? redact(x, f.t) : x;
    }
    return out;
  }
  if (kind.k === 'array' && Array.isArray(v)) return v.map((x) => redact(x, kind.item));
  return v;
}

/** A value as one short line for the change list; secret values never appear. */
function show(v: Json | undefined, t: string): string | undefined {
  if (v === undefined || v === null || isEmpty(v)) return undefined;
  if (typeof v !== 'object') return String(v);
  if (isObj(v)) {
    switch (t.replace(/^#/, '')) {
      case 'EnvironmentVar':
        return v.secretRef !== undefined ? `secretref:${textOf(v.secretRef)}` : textOf(v.value ?? '');
      case 'Secret':
        return v.keyVaultUrl !== undefined
          ? `keyvaultref:${textOf(v.keyVaultUrl)},identityref:${shortId(textOf(v.identity ?? ''))}`
          : '(set)';
      case 'RegistryCredentials':
        return v.identity !== undefined
          ? `identity ${shortId(textOf(v.identity))}`
          : `user ${textOf(v.username ?? '')}`;
      case 'ScaleRuleAuth':
        return `${textOf(v.triggerParameter)} from secret ${textOf(v.secretRef)}`;
    }
  }
  return JSON.stringify(redact(v, t));
}

export interface JobDiff {
  /** The smallest merge patch from live to desired (wire shape), or undefined when they match. */
  patch?: Obj;
  changes: Change[];
}

/** No file to compare with (a create, or no definition): changes carry no source. */
const NO_FILE = Symbol('no file');
type FileSide = Json | undefined | typeof NO_FILE;

class Differ {
  readonly changes: Change[] = [];

  add(path: string, from: string | undefined, to: string | undefined, desired: Json | undefined, file: FileSide) {
    const c: Change = { field: path, from, to };
    if (file !== NO_FILE && same(file, desired)) c.source = 'job-yaml';
    this.changes.push(c);
  }

  /** Field-level changes of one member, and its merge patch (undefined: no change; null: remove). */
  value(
    live: Json | undefined,
    desired: Json | undefined,
    file: FileSide,
    field: FieldLike,
    path: string,
    skip?: string,
  ): Json | undefined {
    if (same(live, desired)) return undefined;
    const kind = kindOf(field.t, field.e);
    const sub = (x: FileSide, k: string): FileSide => (x === NO_FILE ? NO_FILE : isObj(x) ? x[k] : undefined);
    switch (kind.k) {
      case 'object': {
        if (isEmpty(desired)) {
          this.add(path, show(live, field.t), undefined, desired, file);
          return null;
        }
        const l = isObj(live) ? live : {};
        const d = desired as Obj;
        const patch: Obj = {};
        for (const k of new Set([...Object.keys(l), ...Object.keys(d)])) {
          const f = kind.info.f[k];
          if (!f || f.ro || k === skip) continue;
          const p = this.value(l[k], d[k], sub(file, k), f, path ? `${path}.${k}` : k);
          if (p !== undefined) patch[k] = p;
        }
        return Object.keys(patch).length ? patch : undefined;
      }
      case 'map': {
        const l = isObj(live) ? live : {};
        const d = isObj(desired) ? desired : {};
        const word = (v: Json | undefined): string | undefined =>
          v === undefined ? undefined : kind.value === 'string' ? textOf(v) : 'assigned';
        const patch: Obj = {};
        for (const k of new Set([...Object.keys(l), ...Object.keys(d)])) {
          if (k in l === k in d && same(l[k], d[k])) continue;
          this.add(`${path}[${shortId(k)}]`, word(l[k]), word(d[k]), d[k], sub(file, k));
          patch[k] = k in d ? d[k]! : null;
        }
        return Object.keys(patch).length ? patch : undefined;
      }
      case 'any': {
        // scale rule metadata: per key in the change list; whole in the patch (the rules list goes whole anyway)
        const l = isObj(live) ? live : {};
        const d = isObj(desired) ? desired : {};
        for (const k of new Set([...Object.keys(l), ...Object.keys(d)])) {
          if (!same(l[k], d[k])) this.add(`${path}.${k}`, show(l[k], 'any'), show(d[k], 'any'), d[k], sub(file, k));
        }
        return isEmpty(desired) ? null : desired;
      }
      case 'array':
        this.list(live, desired, file, field, kind.item, path);
        return Array.isArray(desired) ? desired : null;
      case 'scalar':
        this.add(
          path,
          field.secret ? (live === undefined ? undefined : '(set)') : show(live, field.t),
          field.secret ? '(new value)' : show(desired, field.t),
          desired,
          file,
        );
        return desired ?? null;
    }
  }

  private list(
    live: Json | undefined,
    desired: Json | undefined,
    file: FileSide,
    field: FieldLike,
    itemT: string,
    path: string,
  ): void {
    const l = Array.isArray(live) ? live : [];
    const d = Array.isArray(desired) ? desired : [];
    const idKey = itemId(itemT, field);
    const itemType = itemT.replace(/^#/, '');
    if (!idKey || !itemT.startsWith('#')) {
      this.add(path, show(live, field.t), show(desired, field.t), desired, file);
      return;
    }
    const fileItem = (id: string | undefined): FileSide => (file === NO_FILE ? NO_FILE : findById(file, idKey, id));
    const label = (id: string | undefined): string => `${path}[${shortId(id ?? '?')}]`;
    const before = this.changes.length;
    for (const item of l) {
      const id = idOf(item, idKey);
      if (findById(d, idKey, id) === undefined) this.add(label(id), show(item, itemT), undefined, desired, file);
    }
    for (const item of d) {
      const id = idOf(item, idKey);
      const old = findById(l, idKey, id);
      if (old !== undefined && same(old, item)) continue;
      if (ONE_LINE.has(itemType)) {
        // a secret's value is never shown: '(set)' before, '(new value)' after
        const to = itemType === 'Secret' && show(item, itemT) === '(set)' ? '(new value)' : show(item, itemT);
        this.add(label(id), show(old, itemT), to, item, fileItem(id));
      } else {
        this.value(old ?? {}, item, fileItem(id), { t: itemT }, label(id), idKey);
      }
    }
    if (this.changes.length === before) this.add(path, 'in another order', 'in the order given', desired, file);
  }
}

/**
 * The smallest merge patch from `live` to `desired` (both wire-shaped, read-only members dropped) and the field-level
 * changes. `fromFile` (the live job with only the file applied) marks the changes the file makes (`source`).
 * A configuration in the patch carries the required triggerType and replicaTimeout; lists go whole; the identity goes
 * whole (its type is required), with null for each user-assigned identity it drops.
 */
export function diffJobs(live: Obj, desired: Obj, fromFile?: Obj): JobDiff {
  const differ = new Differ();
  const file = (x: Obj | undefined, k: string): FileSide => (fromFile === undefined ? NO_FILE : x?.[k]);
  const patch: Obj = {};
  const lp = (live.properties ?? {}) as Obj;
  const dp = (desired.properties ?? {}) as Obj;
  const fp = (fromFile?.properties ?? {}) as Obj;
  const props: Obj = {};
  for (const k of ['configuration', 'template']) {
    const sub = differ.value(lp[k], dp[k], file(fp, k), JOB_TYPES.JobProperties!.f[k]!, k);
    if (sub !== undefined) props[k] = sub;
  }
  if (isObj(props.configuration)) {
    const dc = (dp.configuration ?? {}) as Obj;
    props.configuration = { triggerType: dc.triggerType!, replicaTimeout: dc.replicaTimeout!, ...props.configuration };
  }
  if (Object.keys(props).length) patch.properties = props;
  const tags = differ.value(live.tags, desired.tags, file(fromFile, 'tags'), JOB_TYPES.Job!.f.tags!, 'tags');
  if (tags !== undefined) patch.tags = tags;
  const identity = differ.value(
    live.identity,
    desired.identity,
    file(fromFile, 'identity'),
    JOB_TYPES.Job!.f.identity!,
    'identity',
  );
  if (identity !== undefined) {
    const d = (desired.identity ?? { type: 'None' }) as Obj;
    const du = (d.userAssignedIdentities ?? {}) as Obj;
    const removed = Object.keys(((live.identity as Obj | undefined)?.userAssignedIdentities ?? {}) as Obj).filter(
      (u) => !(u in du),
    );
    patch.identity = removed.length
      ? { ...d, userAssignedIdentities: { ...du, ...Object.fromEntries(removed.map((u) => [u, null])) } }
      : d;
  }
  return { ...(Object.keys(patch).length ? { patch } : {}), changes: differ.changes };
}

/** Every field of a job to create, as changes from nothing. */
export function describeCreate(desired: Obj): Change[] {
  const differ = new Differ();
  const job = JOB_TYPES.Job!;
  differ.value(undefined, desired.location, NO_FILE, job.f.location!, 'location');
  const dp = (desired.properties ?? {}) as Obj;
  for (const k of ['environmentId', 'workloadProfileName', 'configuration', 'template']) {
    differ.value(undefined, dp[k], NO_FILE, JOB_TYPES.JobProperties!.f[k]!, k);
  }
  differ.value(undefined, desired.identity, NO_FILE, job.f.identity!, 'identity');
  differ.value(undefined, desired.tags, NO_FILE, job.f.tags!, 'tags');
  return differ.changes;
}

// ---------------------------------------------------------------------------------------------------------------
// Checks of the job to deploy (the file, the inputs and the live job together)

/**
 * The references a job makes must resolve: env vars, scale rule auth, registries and secret volumes name secrets the
 * job has; Key Vault secrets, scale rules, registries and identity settings use identities the job has; volume mounts
 * name volumes; every container has an image; an Event job has scale rules. Problems in the file name its line.
 */
export function checkReferences(
  desired: Obj,
  def: Definition | undefined,
  jobName: string,
  existingSecrets: ReadonlySet<string> = new Set(),
): void {
  const issues: Issue[] = [];
  const add = (path: string, text: string): void => {
    issues.push({ line: def?.lines.get(path), text });
  };
  const props = (desired.properties ?? {}) as Obj;
  const conf = (props.configuration ?? {}) as Obj;
  const template = (props.template ?? {}) as Obj;
  const secrets = new Set(((conf.secrets ?? []) as Obj[]).map((s) => textOf(s.name)));
  const identity = (desired.identity ?? {}) as Obj;
  const type = textOf(identity.type ?? 'None');
  const users = Object.keys((identity.userAssignedIdentities ?? {}) as Obj).map((u) => u.toLowerCase());
  const secretHint = def
    ? `add it under properties.configuration.secrets in ${def.file}, or to input 'secrets'`
    : "add it to input 'secrets'";
  const needSecret = (path: string, what: string, name: Json | undefined): void => {
    if (typeof name === 'string' && !secrets.has(name)) {
      add(path, `${what} uses secret '${name}', which the job does not have: ${secretHint}`);
    }
  };
  const needIdentity = (path: string, what: string, id: Json | undefined): void => {
    if (typeof id !== 'string' || id === '') return;
    if (id.toLowerCase() === 'system') {
      if (!type.includes('SystemAssigned')) {
        add(
          path,
          `${what} uses the system-assigned identity, which the job does not have: set identity type SystemAssigned (or input identity: system)`,
        );
      }
    } else if (!users.includes(id.toLowerCase())) {
      add(
        path,
        `${what} uses identity '${shortId(id)}', which is not assigned to the job: add its resource ID under identity.userAssignedIdentities (or to input 'identity')`,
      );
    }
  };
  const volumes = new Set(((template.volumes ?? []) as Obj[]).map((v) => textOf(v.name)));
  for (const list of ['containers', 'initContainers'] as const) {
    for (const c of (template[list] ?? []) as Obj[]) {
      const cp = `template.${list}[${textOf(c.name)}]`;
      if (!c.image) {
        add(
          cp,
          `container '${textOf(c.name)}' has no image: set input 'image', or image under properties.template.${list}`,
        );
      }
      for (const e of (c.env ?? []) as Obj[]) {
        needSecret(
          `${cp}.env[${textOf(e.name)}]`,
          `env ${textOf(e.name)} of container '${textOf(c.name)}'`,
          e.secretRef,
        );
      }
      for (const m of (c.volumeMounts ?? []) as Obj[]) {
        if (typeof m.volumeName === 'string' && !volumes.has(m.volumeName)) {
          add(
            `${cp}.volumeMounts[${m.volumeName}]`,
            `container '${textOf(c.name)}' mounts volume '${m.volumeName}', which properties.template.volumes does not define`,
          );
        }
      }
    }
  }
  if (!((template.containers ?? []) as Json[]).length) {
    add('template', `job '${jobName}' has no containers: describe one under properties.template.containers`);
  }
  for (const v of (template.volumes ?? []) as Obj[]) {
    for (const s of (v.secrets ?? []) as Obj[]) {
      needSecret(`template.volumes[${textOf(v.name)}]`, `volume '${textOf(v.name)}'`, s.secretRef);
    }
  }
  for (const s of (conf.secrets ?? []) as Obj[]) {
    if (s.keyVaultUrl !== undefined) {
      needIdentity(`configuration.secrets[${textOf(s.name)}]`, `Key Vault secret '${textOf(s.name)}'`, s.identity);
    } else if (s.value === undefined && !existingSecrets.has(textOf(s.name))) {
      add(
        `configuration.secrets[${textOf(s.name)}]`,
        `secret '${textOf(s.name)}' has no value and the job does not have it yet: pass the value in input 'secrets' (${textOf(s.name)}=\${{ secrets.… }}) or make it a Key Vault reference (keyVaultUrl and identity)`,
      );
    }
  }
  for (const r of (conf.registries ?? []) as Obj[]) {
    const rp = `configuration.registries[${textOf(r.server)}]`;
    needSecret(rp, `registry ${textOf(r.server)}`, r.passwordSecretRef);
    needIdentity(rp, `registry ${textOf(r.server)}`, r.identity);
  }
  for (const s of (conf.identitySettings ?? []) as Obj[]) {
    needIdentity(`configuration.identitySettings[${textOf(s.identity)}]`, 'identitySettings', s.identity);
  }
  const scale = (conf.eventTriggerConfig as Obj | undefined)?.scale as Obj | undefined;
  for (const r of (scale?.rules ?? []) as Obj[]) {
    const rp = `configuration.eventTriggerConfig.scale.rules[${textOf(r.name)}]`;
    for (const a of (r.auth ?? []) as Obj[]) {
      needSecret(`${rp}.auth[${textOf(a.triggerParameter)}]`, `scale rule '${textOf(r.name)}'`, a.secretRef);
    }
    needIdentity(`${rp}.identity`, `scale rule '${textOf(r.name)}'`, r.identity);
  }
  if (conf.triggerType === 'Event' && !((scale?.rules ?? []) as Json[]).length) {
    add(
      'configuration.triggerType',
      `job '${jobName}' has trigger type Event but no scale rules, so it would never run: describe them in job-yaml under properties.configuration.eventTriggerConfig.scale.rules (name, type such as azure-queue, metadata, auth or identity)`,
    );
  }
  const schedule = conf.scheduleTriggerConfig as Obj | undefined;
  if (conf.triggerType === 'Schedule' && !schedule?.cronExpression) {
    add(
      'configuration.triggerType',
      `job '${jobName}' has trigger type Schedule but no schedule: set properties.configuration.scheduleTriggerConfig.cronExpression in job-yaml (five fields, UTC, e.g. '0 6 * * *') or input cron-expression`,
    );
  }
  if (!issues.length) return;
  if (def) failWith(def.file, issues);
  throw new ActionError(`Job '${jobName}': ${issues.map((i) => i.text).join('; ')}.`);
}

/** The next three runs of a schedule, as a line for the log and the summary. */
export function nextRunsNote(cronExpression: string | undefined, now: Date): string | undefined {
  if (!cronExpression) return undefined;
  let runs: Date[];
  try {
    runs = nextRuns(parseCron(cronExpression), now, 3);
  } catch {
    return undefined;
  }
  if (!runs.length) return undefined;
  const fmt = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')}`;
  return `Next runs (UTC) of '${cronExpression}': ${runs.map(fmt).join(', ')}.`;
}
