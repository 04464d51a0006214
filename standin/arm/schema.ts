/**
 * Validation against the official Microsoft.App OpenAPI (Swagger 2.0) spec: `$ref`s across files (the
 * common-types at their relative paths), `allOf`, `required`, `type`, `enum`, `format`, `pattern`,
 * lengths, ranges, `additionalProperties`, `readOnly`, `x-nullable` and `x-ms-mutability`.
 *
 * Request mode is the service's view of a body it receives: unknown members are rejected (the Container
 * Apps RP answers "Unknown properties ... are not supported"), read-only members are ignored, `null` stands
 * for "absent" on optional members, enum values are matched case-insensitively (the recorded CLI sends
 * `"triggerType": "manual"` and gets "Manual" back) but unknown values are rejected.
 * Response mode is what a strict client expects: every member declared, enum values exact, formats valid;
 * `null` is tolerated on optional members because the service sends them (recordings).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isObj } from './util.ts';

export const DEFAULT_SPEC_FILE =
  process.env.STANDIN_SPEC_FILE ??
  fileURLToPath(
    new URL(
      '../spec/specification/app/resource-manager/Microsoft.App/ContainerApps/stable/2026-07-01/openapi.json',
      import.meta.url,
    ),
  );

type Node = Record<string, unknown>;

/** A schema node and the file its `$ref`s are relative to; `name` is the definition name when known. */
export interface SchemaRef {
  file: string;
  node: Node;
  name?: string;
}

/** 'patch': a JSON merge patch body (a request where `null` may stand anywhere: it removes the member). */
export type Mode = 'request' | 'response' | 'patch';
export type IssueKind = 'type' | 'required' | 'enum' | 'format' | 'unknown' | 'pattern' | 'range' | 'length';

export interface Issue {
  /** JSON path of the offending member: `properties.configuration.replicaTimeout`, `...containers[0].image`. */
  path: string;
  kind: IssueKind;
  /** Newtonsoft.Json-style text, as the service's deserialization errors read. */
  message: string;
  /** Name of the type (definition) that holds the member. */
  typeName?: string;
}

interface Shape {
  properties: Map<string, SchemaRef>;
  required: Set<string>;
  /** undefined: not declared; false: declared false; a schema: the type of extra members. */
  additional: SchemaRef | boolean | undefined;
}

const docCache = new Map<string, Node>();

function loadDoc(file: string): Node {
  let doc = docCache.get(file);
  if (!doc) {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Node;
    docCache.set(file, doc);
  }
  return doc;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An integer or number: type, Int32/Int64 range, minimum and maximum. */
function checkNumber(n: Node, type: string, value: unknown, where: string, issues: Issue[]): void {
  const fmt = n.format as string | undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || (type === 'integer' && !Number.isInteger(value))) {
    const dotnet = type === 'integer' ? (fmt === 'int64' ? 'System.Int64' : 'System.Int32') : 'System.Double';
    issues.push({
      path: where,
      kind: 'type',
      message: `Error converting value ${JSON.stringify(value)} to type '${dotnet}'. Path '${where}'`,
    });
    return;
  }
  if (type === 'integer' && (fmt === 'int32' || fmt === undefined) && (value > 2147483647 || value < -2147483648)) {
    issues.push({
      path: where,
      kind: 'range',
      message: `Value was either too large or too small for an Int32. Path '${where}'`,
    });
  } else if (type === 'integer' && fmt === 'int64' && !Number.isSafeInteger(value)) {
    issues.push({
      path: where,
      kind: 'range',
      message: `Value was either too large or too small for an Int64. Path '${where}'`,
    });
  }
  if (typeof n.minimum === 'number' && value < n.minimum) {
    issues.push({
      path: where,
      kind: 'range',
      message: `The value ${value} is less than the minimum ${n.minimum}. Path '${where}'`,
    });
  }
  if (typeof n.maximum === 'number' && value > n.maximum) {
    issues.push({
      path: where,
      kind: 'range',
      message: `The value ${value} is greater than the maximum ${n.maximum}. Path '${where}'`,
    });
  }
}

export class OpenApiSpec {
  readonly file: string;
  private readonly shapes = new WeakMap<Node, Shape>();

  constructor(file: string = DEFAULT_SPEC_FILE) {
    this.file = resolve(file);
    loadDoc(this.file);
  }

  /** The raw spec document. */
  get document(): Node {
    return loadDoc(this.file);
  }

  /** A definition of the main file by name (`Job`, `JobExecution`, ...) or a `$ref` string. */
  schema(nameOrRef: string, base: string = this.file): SchemaRef {
    const ref = nameOrRef.includes('#') ? nameOrRef : `#/definitions/${nameOrRef}`;
    return this.resolveRef(ref, base);
  }

  resolveRef(ref: string, base: string): SchemaRef {
    const hash = ref.indexOf('#');
    const filePart = hash >= 0 ? ref.slice(0, hash) : ref;
    const pointer = hash >= 0 ? ref.slice(hash + 1) : '';
    const file = filePart ? resolve(dirname(base), filePart) : base;
    let node: unknown = loadDoc(file);
    const parts = pointer.split('/').filter((p) => p !== '');
    for (const p of parts) {
      const key = p.replace(/~1/g, '/').replace(/~0/g, '~');
      if (!isObj(node) || !(key in node)) throw new Error(`unresolvable $ref ${ref} from ${base}`);
      node = node[key];
    }
    if (!isObj(node)) throw new Error(`$ref ${ref} is not a schema`);
    const name = parts[0] === 'definitions' && parts.length === 2 ? parts[1] : undefined;
    return name === undefined ? { file, node } : { file, node, name };
  }

  /** Follows `$ref` chains. */
  deref(s: SchemaRef): SchemaRef {
    let cur = s;
    for (let i = 0; i < 32 && typeof cur.node.$ref === 'string'; i++) cur = this.resolveRef(cur.node.$ref, cur.file);
    return cur;
  }

  /** The schema of an operation's body parameter (`what` 'body') or of one of its responses (`what` its status). */
  operationSchema(operationId: string, what: string): SchemaRef | undefined {
    const paths = this.document.paths as Record<string, Record<string, Node>>;
    for (const item of Object.values(paths)) {
      for (const op of Object.values(item)) {
        if (!isObj(op) || op.operationId !== operationId) continue;
        if (what === 'body') {
          const params = (op.parameters ?? []) as Node[];
          const body = params.find((p) => p.in === 'body');
          return body && isObj(body.schema) ? { file: this.file, node: body.schema } : undefined;
        }
        const resp = (op.responses as Record<string, Node>)[what];
        return resp && isObj(resp.schema) ? { file: this.file, node: resp.schema } : undefined;
      }
    }
    return undefined;
  }

  /** Validates `value` against a definition (by name) or a schema. */
  validate(target: string | SchemaRef, value: unknown, mode: Mode): Issue[] {
    const issues: Issue[] = [];
    const s = typeof target === 'string' ? this.schema(target) : target;
    if (value === null || value === undefined) {
      issues.push({ path: '', kind: 'type', message: 'The request body is empty or null.' });
      return issues;
    }
    this.check(s, value, '', mode, issues, typeNameOf(this.deref(s)) ?? 'Object');
    return issues;
  }

  /**
   * The body as the service keeps it: read-only members dropped, `null` members dropped (unless
   * `keepNulls`, for JSON merge patches, where null means "remove"), enum values in their canonical case.
   * Call after `validate` found no issue.
   */
  normalize(target: string | SchemaRef, value: unknown, keepNulls = false): unknown {
    const s = typeof target === 'string' ? this.schema(target) : target;
    return this.norm(s, value, keepNulls);
  }

  /** Removes members that are not readable (`x-ms-mutability` without "read", e.g. secret values). */
  readable(target: string | SchemaRef, value: unknown): unknown {
    const s = typeof target === 'string' ? this.schema(target) : target;
    return this.read(s, value);
  }

  // -------------------------------------------------------------------------------------------

  private shape(s: SchemaRef): Shape {
    const d = this.deref(s);
    const cached = this.shapes.get(d.node);
    if (cached) return cached;
    const shape: Shape = { properties: new Map(), required: new Set(), additional: undefined };
    this.shapes.set(d.node, shape);
    for (const part of (d.node.allOf ?? []) as Node[]) {
      const sub = this.shape({ file: d.file, node: part });
      for (const [k, v] of sub.properties) shape.properties.set(k, v);
      for (const r of sub.required) shape.required.add(r);
      if (sub.additional !== undefined && shape.additional === undefined) shape.additional = sub.additional;
    }
    for (const [k, v] of Object.entries((d.node.properties ?? {}) as Record<string, Node>)) {
      shape.properties.set(k, { file: d.file, node: v });
    }
    for (const r of (d.node.required ?? []) as string[]) shape.required.add(r);
    const ap = d.node.additionalProperties;
    if (ap === false || ap === true) shape.additional = ap;
    else if (isObj(ap)) shape.additional = { file: d.file, node: ap };
    return shape;
  }

  private isObjectSchema(d: SchemaRef): boolean {
    const n = d.node;
    return n.type === 'object' || (n.type === undefined && (isObj(n.properties) || Array.isArray(n.allOf)));
  }

  private flag(s: SchemaRef, key: string): unknown {
    if (s.node[key] !== undefined) return s.node[key];
    return this.deref(s).node[key];
  }

  private readOnly(s: SchemaRef): boolean {
    return this.flag(s, 'readOnly') === true;
  }

  private check(s: SchemaRef, value: unknown, path: string, mode: Mode, issues: Issue[], holder: string): void {
    const d = this.deref(s);
    const n = d.node;
    const where = path === '' ? '' : path;
    if (this.isObjectSchema(d)) {
      this.checkObject(d, value, where, mode, issues, holder);
      return;
    }
    const type = n.type as string | undefined;
    if (type === 'array') {
      if (!Array.isArray(value)) {
        issues.push({
          path: where,
          kind: 'type',
          message: `Unexpected JSON token: expected an array, got ${describe(value)}. Path '${where}'`,
        });
        return;
      }
      const items = isObj(n.items) ? { file: d.file, node: n.items } : undefined;
      if (!items) return;
      value.forEach((item, i) => {
        const p = `${where}[${i}]`;
        if (item === null) {
          if (mode !== 'response')
            issues.push({ path: p, kind: 'type', message: `Unexpected null array element. Path '${p}'` });
          return;
        }
        this.check(items, item, p, mode, issues, holder);
      });
      return;
    }
    if (type === 'string' || (type === undefined && Array.isArray(n.enum))) {
      this.checkString(d, value, where, mode, issues);
      return;
    }
    if (type === 'integer' || type === 'number') {
      checkNumber(n, type, value, where, issues);
      return;
    }
    if (type === 'boolean') {
      if (typeof value !== 'boolean') {
        issues.push({
          path: where,
          kind: 'type',
          message: `Error converting value ${JSON.stringify(value)} to type 'System.Boolean'. Path '${where}'`,
        });
      }
      return;
    }
    // no type: any JSON (e.g. JobScaleRule.metadata)
  }

  /** An object: required members, unknown members, each member against its schema. */
  private checkObject(d: SchemaRef, value: unknown, where: string, mode: Mode, issues: Issue[], holder: string): void {
    const typeName = typeNameOf(d) ?? holder;
    if (!isObj(value)) {
      issues.push({
        path: where,
        kind: 'type',
        typeName,
        message: `Unexpected JSON token when reading '${typeName}': expected an object, got ${describe(value)}. Path '${where}'`,
      });
      return;
    }
    const shape = this.shape(d);
    for (const r of shape.required) {
      const prop = shape.properties.get(r);
      if (mode !== 'response' && prop && this.readOnly(prop)) continue;
      if (value[r] === undefined || (value[r] === null && mode !== 'patch')) {
        issues.push({
          path: join(where, r),
          kind: 'required',
          typeName,
          message: `Required property '${r}' not found in JSON. Path '${where}'`,
        });
      }
    }
    const freeForm = shape.properties.size === 0 && shape.additional === undefined;
    for (const [k, v] of Object.entries(value)) {
      const p = join(where, k);
      const prop = shape.properties.get(k);
      if (!prop) {
        if (isRef(shape.additional)) {
          if (v === null && (this.flag(shape.additional, 'x-nullable') === true || mode !== 'request')) continue;
          this.check(shape.additional, v, p, mode, issues, typeName);
        } else if (shape.additional === true || freeForm) {
          // free-form member
        } else {
          issues.push({
            path: p,
            kind: 'unknown',
            typeName,
            message: `Could not find member '${k}' on object of type '${typeName}'. Path '${p}'`,
          });
        }
        continue;
      }
      if (v === null) continue; // optional members may be null (required ones were reported above)
      if (mode !== 'response' && this.readOnly(prop)) continue; // ignored by the service
      this.check(prop, v, p, mode, issues, typeName);
    }
  }

  /** A string: enum (case-insensitive in requests), format, pattern, lengths. */
  private checkString(d: SchemaRef, value: unknown, where: string, mode: Mode, issues: Issue[]): void {
    const n = d.node;
    if (typeof value !== 'string') {
      issues.push({
        path: where,
        kind: 'type',
        message: `Error converting value ${JSON.stringify(value)} to type 'System.String'. Path '${where}'`,
      });
      return;
    }
    if (Array.isArray(n.enum)) {
      const allowed = n.enum as string[];
      const ok =
        mode !== 'response' ? allowed.some((a) => a.toLowerCase() === value.toLowerCase()) : allowed.includes(value);
      if (!ok) {
        const enumName =
          ((n['x-ms-enum'] as Node | undefined)?.name as string | undefined) ?? typeNameOf(d) ?? 'String';
        issues.push({
          path: where,
          kind: 'enum',
          message: `Error converting value "${value}" to type '${enumName}'. Allowed values: ${allowed.join(', ')}. Path '${where}'`,
        });
        return;
      }
    }
    const fmt = n.format as string | undefined;
    if (fmt === 'date-time' && !DATE_TIME.test(value)) {
      issues.push({
        path: where,
        kind: 'format',
        message: `Could not convert string to DateTime: ${value}. Path '${where}'`,
      });
    } else if (fmt === 'uuid' && !UUID.test(value)) {
      issues.push({
        path: where,
        kind: 'format',
        message: `Could not convert string to Guid: ${value}. Path '${where}'`,
      });
    } else if (fmt === 'uri' && !isUri(value)) {
      issues.push({
        path: where,
        kind: 'format',
        message: `Could not convert string to Uri: ${value}. Path '${where}'`,
      });
    } else if (fmt === 'arm-id' && !value.startsWith('/')) {
      issues.push({ path: where, kind: 'format', message: `'${value}' is not a valid resource id. Path '${where}'` });
    }
    if (typeof n.pattern === 'string' && !new RegExp(n.pattern, 'u').test(value)) {
      issues.push({
        path: where,
        kind: 'pattern',
        message: `'${value}' does not match the pattern '${n.pattern}'. Path '${where}'`,
      });
    }
    if (typeof n.minLength === 'number' && value.length < n.minLength) {
      issues.push({
        path: where,
        kind: 'length',
        message: `'${value}' is shorter than ${n.minLength} characters. Path '${where}'`,
      });
    }
    if (typeof n.maxLength === 'number' && value.length > n.maxLength) {
      issues.push({
        path: where,
        kind: 'length',
        message: `The value is longer than ${n.maxLength} characters. Path '${where}'`,
      });
    }
  }

  private norm(s: SchemaRef, value: unknown, keepNulls: boolean): unknown {
    const d = this.deref(s);
    if (value === null || value === undefined) return value;
    if (this.isObjectSchema(d) && isObj(value)) {
      const shape = this.shape(d);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const prop = shape.properties.get(k);
        if (prop && this.readOnly(prop)) continue;
        if (v === null) {
          if (keepNulls || (!prop && isRef(shape.additional))) out[k] = null;
          continue;
        }
        if (prop) out[k] = this.norm(prop, v, keepNulls);
        else if (isRef(shape.additional)) out[k] = this.norm(shape.additional, v, keepNulls);
        else out[k] = v;
      }
      return out;
    }
    if (d.node.type === 'array' && Array.isArray(value) && isObj(d.node.items)) {
      const items: SchemaRef = { file: d.file, node: d.node.items };
      return value.map((v) => this.norm(items, v, keepNulls));
    }
    if (typeof value === 'string' && Array.isArray(d.node.enum)) {
      const hit = (d.node.enum as string[]).find((a) => a.toLowerCase() === value.toLowerCase());
      return hit ?? value;
    }
    return value;
  }

  private read(s: SchemaRef, value: unknown): unknown {
    const d = this.deref(s);
    if (value === null || value === undefined) return value;
    if (this.isObjectSchema(d) && isObj(value)) {
      const shape = this.shape(d);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const prop = shape.properties.get(k);
        if (prop) {
          const mut = this.flag(prop, 'x-ms-mutability');
          if (Array.isArray(mut) && !mut.includes('read')) continue;
          out[k] = this.read(prop, v);
        } else if (isRef(shape.additional)) {
          out[k] = this.read(shape.additional, v);
        } else {
          out[k] = v;
        }
      }
      return out;
    }
    if (d.node.type === 'array' && Array.isArray(value) && isObj(d.node.items)) {
      const items: SchemaRef = { file: d.file, node: d.node.items };
      return value.map((v) => this.read(items, v));
    }
    return value;
  }
}

function isRef(a: SchemaRef | boolean | undefined): a is SchemaRef {
  return typeof a === 'object';
}

function typeNameOf(s: SchemaRef): string | undefined {
  return s.name;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : `${typeof v} ${JSON.stringify(v)}`;
}

function isUri(v: string): boolean {
  try {
    new URL(v);
    return true;
  } catch {
    return false;
  }
}

let shared: OpenApiSpec | undefined;

/** The spec shared by every stand-in in this process (parsed once). */
export function sharedSpec(): OpenApiSpec {
  shared ??= new OpenApiSpec();
  return shared;
}
