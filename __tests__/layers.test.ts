/**
 * The folders of src/ show the flow of a run, and a folder imports only from the folders before it
 * (src/README.md): an upward import would make the flow a web again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';

const ORDER = ['common', 'inputs', 'azure', 'job', 'build', 'execution', 'logs', 'report', 'action'];
const src = join(import.meta.dirname, '..', 'src');
const files = readdirSync(src, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.split('\\').join('/'));

function folderOf(file: string): string {
  return file.includes('/') ? file.slice(0, file.indexOf('/')) : '';
}

describe('src/ layering', () => {
  it('puts every module in one of the known folders (index.ts aside)', () => {
    const stray = files.filter((f) => f !== 'index.ts' && !ORDER.includes(folderOf(f)));
    expect(stray).toEqual([]);
  });

  it('never imports from a folder later in the flow', () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = folderOf(file);
      if (!from) continue;
      const text = readFileSync(join(src, file), 'utf8');
      for (const m of text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
        const target = posix.normalize(posix.join(posix.dirname(file), m[1]!));
        const to = folderOf(target);
        if (to && ORDER.indexOf(to) > ORDER.indexOf(from)) upward.push(`${file} imports ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('keeps post independent of main', () => {
    const post = readFileSync(join(src, 'action', 'post.ts'), 'utf8');
    expect(post).not.toMatch(/from '\.\/main\.js'/);
  });

  it('has a README for src/ that lists every folder', () => {
    const readme = readFileSync(join(src, 'README.md'), 'utf8');
    for (const folder of ORDER) expect(readme).toContain(`\`${folder}/\``);
  });
});
