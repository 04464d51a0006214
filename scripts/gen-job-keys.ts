/**
 * Generates src/job/job-keys.ts: the compact key tree of the `Job` resource from the official Microsoft.App OpenAPI
 * spec (vendored in standin/spec/), which the action uses at run time to check job-yaml files (it cannot read the spec
 * then). `node scripts/gen-job-keys.ts` rewrites the file; `node scripts/gen-job-keys.ts --check` fails when it is
 * stale. `generateJobKeys(specFile)` returns the text, for the test that keeps the committed file up to date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

type Node = Record<string, unknown>;

const root = join(import.meta.dirname, '..');
export const OUTPUT_FILE = join(root, 'src', 'job', 'job-keys.ts');
export const SPEC_FILE = fileURLToPath(
  new URL(
    '../standin/spec/specification/app/resource-manager/Microsoft.App/ContainerApps/stable/2026-07-01/openapi.json',
    import.meta.url,
  ),
);

/** One member: `t` is string | integer | number | boolean | any | #Type, with [] for arrays, map: for maps. */
interface Field {
  t: string;
  ro?: 1;
  e?: string[];
  id?: string;
  secret?: 1;
}
interface TypeInfo {
  f: Record<string, Field>;
  req?: string[];
}

const docs = new Map<string, Node>();
function doc(file: string): Node {
  let d = docs.get(file);
  if (!d) {
    d = JSON.parse(readFileSync(file, 'utf8')) as Node;
    docs.set(file, d);
  }
  return d;
}

interface Ref {
  file: string;
  node: Node;
  name?: string;
}

function resolveRef(ref: string, base: string): Ref {
  const [path = '', pointer = ''] = ref.split('#');
  const file = path ? resolve(dirname(base), path) : base;
  let node: unknown = doc(file);
  const parts = pointer.split('/').filter(Boolean);
  for (const p of parts) node = (node as Node)[p.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (!node) throw new Error(`unresolved $ref ${ref} from ${base}`);
  return { file, node: node as Node, name: parts[0] === 'definitions' ? parts[1] : undefined };
}

function deref(r: Ref): Ref {
  let cur = r;
  while (typeof cur.node.$ref === 'string') cur = resolveRef(cur.node.$ref, cur.file);
  return cur;
}

export function buildTypes(specFile: string): Record<string, TypeInfo> {
  const types: Record<string, TypeInfo> = {};

  /** Members and required names of an object schema, following allOf. */
  function members(r: Ref): { props: Map<string, Ref>; req: Set<string> } {
    const d = deref(r);
    const props = new Map<string, Ref>();
    const req = new Set<string>();
    for (const part of (d.node.allOf as Node[] | undefined) ?? []) {
      const m = members({ file: d.file, node: part });
      for (const [k, v] of m.props) props.set(k, v);
      for (const k of m.req) req.add(k);
    }
    for (const [k, v] of Object.entries((d.node.properties as Record<string, Node> | undefined) ?? {})) {
      props.set(k, { file: d.file, node: v });
    }
    for (const k of (d.node.required as string[] | undefined) ?? []) req.add(k);
    return { props, req };
  }

  function isObject(d: Ref): boolean {
    return (
      d.node.properties !== undefined ||
      (Array.isArray(d.node.allOf) && d.node.additionalProperties === undefined && d.node.type !== 'array')
    );
  }

  /** The type string of a schema; registers object types. */
  function typeOf(r: Ref, hint: string): Pick<Field, 't' | 'e'> {
    const d = deref(r);
    const n = d.node;
    if (Array.isArray(n.allOf) && n.allOf.length === 1 && n.properties === undefined) {
      // `allOf: [$ref]` used as a plain reference (e.g. the values of userAssignedIdentities)
      return typeOf({ file: d.file, node: n.allOf[0] as Node }, hint);
    }
    if (n.type === 'array') {
      const inner = typeOf({ file: d.file, node: n.items as Node }, `${hint}Item`);
      return { t: `${inner.t}[]`, ...(inner.e ? { e: inner.e } : {}) };
    }
    if (isObject(d)) {
      const name = d.name ?? hint;
      register(name, d);
      return { t: `#${name}` };
    }
    if (n.type === 'object' || n.additionalProperties !== undefined) {
      const ap = n.additionalProperties;
      if (ap && typeof ap === 'object') {
        const inner = typeOf({ file: d.file, node: ap as Node }, `${hint}Value`);
        return { t: `map:${inner.t}` };
      }
      return { t: 'map:any' };
    }
    if (typeof n.type === 'string') {
      return { t: n.type, ...(Array.isArray(n.enum) ? { e: (n.enum as unknown[]).map(String) } : {}) };
    }
    return { t: 'any' };
  }

  function register(name: string, d: Ref): void {
    if (types[name]) return;
    const info: TypeInfo = { f: {} };
    types[name] = info; // before recursing, for recursive types
    const { props, req } = members(d);
    for (const [key, p] of props) {
      const field: Field = { ...typeOf(p, `${name}_${key}`) };
      const own = p.node;
      const target = deref(p).node;
      if (own.readOnly === true || target.readOnly === true) field.ro = 1;
      if (own['x-ms-secret'] === true || own.format === 'password') field.secret = 1;
      const ids = (own['x-ms-identifiers'] ?? target['x-ms-identifiers']) as string[] | undefined;
      if (ids?.length === 1 && ids[0]) field.id = ids[0];
      info.f[key] = field;
    }
    if (req.size) info.req = [...req].sort();
  }

  doc(specFile);
  register('Job', resolveRef('#/definitions/Job', specFile));
  return types;
}

export async function generateJobKeys(specFile: string = SPEC_FILE): Promise<string> {
  const types = buildTypes(specFile);
  const version = /\/(\d{4}-\d{2}-\d{2}(?:-preview)?)\//.exec(specFile)?.[1] ?? 'unknown';
  const text = `/**
 * GENERATED by scripts/gen-job-keys.ts from the official Microsoft.App OpenAPI spec ${version} (definition Job);
 * do not edit. The key tree of a job (wire shape), used to check job-yaml files key by key.
 * Field type \`t\`: string | integer | number | boolean | any | #Type (an object in JOB_TYPES), with a [] suffix for
 * arrays and a map: prefix for objects with free keys. \`ro\`: read-only (Azure ignores it in requests);
 * \`e\`: the allowed values; \`id\`: the member that identifies an array's items; \`secret\`: a secret value.
 */
export interface JobKeyField {
  t: string;
  ro?: 1;
  e?: readonly string[];
  id?: string;
  secret?: 1;
}

export interface JobKeyType {
  f: Record<string, JobKeyField>;
  req?: readonly string[];
}

export const JOB_SPEC_VERSION = '${version}';

export const JOB_TYPES: Record<string, JobKeyType> = ${JSON.stringify(types)};
`;
  const options = (await prettier.resolveConfig(OUTPUT_FILE)) ?? {};
  return prettier.format(text, { ...options, filepath: OUTPUT_FILE });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = await generateJobKeys();
  if (process.argv.includes('--check')) {
    if (readFileSync(OUTPUT_FILE, 'utf8') !== text) {
      console.error('src/job/job-keys.ts is stale: run node scripts/gen-job-keys.ts');
      process.exit(1);
    }
  } else {
    writeFileSync(OUTPUT_FILE, text);
    console.log(`wrote ${OUTPUT_FILE}`);
  }
}
