/**
 * What ships in dist/ (built by scripts/bundle.ts): only what runs, every bundled package's license, and a
 * source map that the runner really uses. (That dist/ is what the source bundles to is scripts/check-dist.ts's
 * job; that the bundle signs in and deploys is the end-to-end tests'.)
 */
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
const distDir = process.env.E2E_ACTION_DIR ? join(process.env.E2E_ACTION_DIR, 'dist') : dist;

/** The file under src/ that holds a text. */
function sourceWith(text: string): string {
  const src = join(root, 'src');
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const found = files.filter((f) => readFileSync(join(src, f), 'utf8').includes(text));
  expect(found, `src/ files with '${text}'`).toHaveLength(1);
  return found[0]!;
}

const MESSAGE = 'subscription-id is required';

/** The packages whose modules are in the bundle, from the source map's sources (node_modules/NAME/...). */
function bundledPackages(bundles = ['action.js', 'setup.js']): string[] {
  const sources = bundles.flatMap(
    (b) => (JSON.parse(readFileSync(join(distDir, `${b}.map`), 'utf8')) as { sources: string[] }).sources,
  );
  const names = new Set<string>();
  for (const source of sources) {
    const parts = source.split('node_modules/');
    if (parts.length < 2) continue;
    const path = parts.at(-1)!.split('/');
    names.add(path[0]!.startsWith('@') ? `${path[0]}/${path[1]}` : path[0]!);
  }
  return [...names].sort();
}

describe('dist/', () => {
  it('holds only the loader, the bundles (action, set-up command), their source maps, the licenses and the module-type marker', () => {
    expect(readdirSync(distDir).sort()).toEqual([
      'action.js',
      'action.js.map',
      'index.js',
      'licenses.txt',
      'package.json',
      'setup.js',
      'setup.js.map',
    ]);
    for (const f of readdirSync(distDir)) expect(statSync(join(distDir, f)).mode & 0o111, `${f} is executable`).toBe(0);
  });

  it('ships no browser launcher (the `open` package, xdg-open) and no interactive browser sign-in', () => {
    const packages = bundledPackages(['action.js']);
    expect(packages).toEqual(expect.arrayContaining(['@azure/identity', '@azure/msal-node', '@actions/core']));
    expect(packages).not.toContain('open');
    expect(packages).not.toContain('@azure/msal-browser');
    expect(readFileSync(join(distDir, 'action.js'), 'utf8')).not.toContain('xdg-open');
  });

  it('licenses.txt gives every bundled package with its version, license and license text', () => {
    const text = readFileSync(join(distDir, 'licenses.txt'), 'utf8');
    const entries = new Map<string, string>();
    for (const block of text.split(/\n(?=(?:@[\w.-]+\/)?[\w.-]+@\d[^\s]*\n)/).slice(1)) {
      const [head = '', license = '', ...body] = block.split('\n');
      entries.set(head.replace(/@[^@]+$/, ''), `${license}\n${body.join('\n')}`);
    }
    const packages = bundledPackages();
    expect([...entries.keys()].sort()).toEqual(packages);
    for (const [name, entry] of entries) {
      expect(entry, name).toMatch(/^(MIT|ISC|Apache-2\.0|BSD-[23]-Clause|0BSD)\n/);
      expect(entry.length, `${name}'s license text`).toBeGreaterThan(100);
    }
  });

  it.each([
    ['on with debug logging (RUNNER_DEBUG=1): the bundle maps back to src/', '1'],
    ['off without debug logging (no start-up cost)', undefined],
  ])('runs with source maps %s', (_, debug) => {
    // A preload reports, as the action exits, where Node's source map for action.js puts the code that builds
    // the missing-subscription error. Node has a map only if the loader (dist/index.js) turned source maps on
    // before it imported the bundle.
    const dir = mkdtempSync(join(tmpdir(), 'dist-test-'));
    try {
      const bundle = join(distDir, 'action.js');
      const code = readFileSync(bundle, 'utf8');
      const at = code.indexOf(MESSAGE);
      expect(at).toBeGreaterThan(0);
      const before = code.slice(0, at).split('\n');
      for (const f of ['out', 'state']) writeFileSync(join(dir, f), '');
      const preload = join(dir, 'preload.mjs');
      writeFileSync(
        preload,
        [
          "import { findSourceMap } from 'node:module';",
          "import { writeSync } from 'node:fs';",
          "process.on('exit', () => {",
          `  const map = findSourceMap(${JSON.stringify(pathToFileURL(bundle).href)});`,
          `  const origin = map?.findOrigin(${before.length}, ${before.at(-1)!.length + 1});`,
          "  writeSync(2, '\\nORIGIN ' + JSON.stringify(origin ?? null) + '\\n');",
          '});',
        ].join('\n'),
      );
      const r = spawnSync(process.execPath, ['--import', pathToFileURL(preload).href, join(distDir, 'index.js')], {
        env: {
          PATH: process.env.PATH,
          GITHUB_OUTPUT: join(dir, 'out'),
          GITHUB_STATE: join(dir, 'state'),
          ...(debug ? { RUNNER_DEBUG: debug } : {}),
        },
        encoding: 'utf8',
      });
      expect(r.stdout).toContain('::error::subscription-id is required');
      expect(r.status).toBe(1);
      const origin = JSON.parse(/ORIGIN (.*)/.exec(r.stderr)?.[1] ?? 'null') as { fileName?: string } | null;
      if (debug) expect(origin?.fileName).toBe(pathToFileURL(join(distDir, '..', 'src', sourceWith(MESSAGE))).href);
      else expect(origin).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('package.json', () => {
  it('declares as dependencies exactly the packages that src/ and setup/ import', () => {
    const imported = new Set<string>();
    const shipped = ['src', 'setup'].flatMap((d) =>
      readdirSync(join(root, d), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(root, d, f)),
    );
    for (const f of shipped) {
      const code = readFileSync(f, 'utf8');
      for (const m of code.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        const parts = spec.split('/');
        imported.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
      }
    }
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies).sort()).toEqual([...imported].sort());
  });
});
