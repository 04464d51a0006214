/**
 * Bundles the action into a private folder (DIR/dist plus a copy of action.yml), so several people can run the
 * end-to-end tests on their own bundle in one work tree: `node scripts/bundle-to.ts /tmp/mine` then
 * `E2E_ACTION_DIR=/tmp/mine npx vitest run __tests__/e2e`.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
const dir = resolve(process.argv[2] ?? '');
if (!process.argv[2]) {
  console.error('usage: node scripts/bundle-to.ts DIR');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const ncc = join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
execFileSync(process.execPath, [ncc, 'build', 'src/index.ts', '-o', join(dir, 'dist'), '--quiet'], {
  cwd: root,
  stdio: 'inherit',
});
copyFileSync(join(root, 'action.yml'), join(dir, 'action.yml'));
console.log(`bundled into ${dir}`);
