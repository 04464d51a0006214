/**
 * Fails when the committed dist/ is not what `npm run bundle` produces from the current source:
 * bundles into a temporary folder with the same ncc command and compares every file byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'dist-check-'));

function list(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

try {
  const ncc = join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
  execFileSync(process.execPath, [ncc, 'build', 'src/index.ts', '-o', out, '--license', 'licenses.txt', '--quiet'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const fresh = list(out);
  const committed = list(join(root, 'dist'));
  const problems: string[] = [];
  for (const f of fresh) {
    if (!committed.includes(f)) problems.push(`missing from dist/: ${f}`);
    else if (!readFileSync(join(out, f)).equals(readFileSync(join(root, 'dist', f)))) problems.push(`stale: dist/${f}`);
  }
  for (const f of committed) if (!fresh.includes(f)) problems.push(`not produced by the bundle: dist/${f}`);
  if (problems.length > 0) {
    console.error(`dist/ does not match the source (${problems.join('; ')}). Run 'npm run bundle' and commit dist/.`);
    process.exit(1);
  }
  console.log(`dist/ matches the source (${fresh.length} files).`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
