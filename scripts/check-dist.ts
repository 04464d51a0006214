/**
 * Fails when the committed dist/ is not what `npm run bundle` produces from the current source: bundles in
 * memory with the same definition (scripts/bundle.ts) and compares every file byte for byte.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bundle, ROOT } from './bundle.ts';

function list(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const dist = join(ROOT, 'dist');
const fresh = await bundle();
const committed = list(dist);
const problems: string[] = [];
for (const [f, content] of fresh) {
  if (!committed.includes(f)) problems.push(`missing from dist/: ${f}`);
  else if (!Buffer.from(content).equals(readFileSync(join(dist, f)))) problems.push(`stale: dist/${f}`);
}
for (const f of committed) if (!fresh.has(f)) problems.push(`not produced by the bundle: dist/${f}`);
if (problems.length > 0) {
  console.error(`dist/ does not match the source (${problems.join('; ')}). Run 'npm run bundle' and commit dist/.`);
  process.exit(1);
}
console.log(`dist/ matches the source (${fresh.size} files).`);
