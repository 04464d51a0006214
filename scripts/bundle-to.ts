/**
 * Bundles the action into a private folder (DIR/dist plus a copy of action.yml), so several people can run the
 * end-to-end tests on their own bundle in one work tree: `node scripts/bundle-to.ts /tmp/mine` then
 * `E2E_ACTION_DIR=/tmp/mine npx vitest run __tests__/e2e`. The bundle is the one `npm run bundle` makes
 * (scripts/bundle.ts).
 */
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundle, ROOT, writeBundle } from './bundle.ts';

if (!process.argv[2]) {
  console.error('usage: node scripts/bundle-to.ts DIR');
  process.exit(2);
}
const dir = resolve(process.argv[2]);
writeBundle(await bundle(), join(dir, 'dist'));
copyFileSync(join(ROOT, 'action.yml'), join(dir, 'action.yml'));
console.log(`bundled into ${dir}`);
