import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { applyReference } from '../scripts/docs.ts';

const root = join(import.meta.dirname, '..');
const read = (f: string): string => readFileSync(join(root, f), 'utf8');

describe('documentation', () => {
  it("README's inputs/outputs reference is what action.yml generates (run: node scripts/docs.ts)", () => {
    const readme = read('README.md');
    expect(applyReference(readme, read('action.yml'))).toBe(readme);
  });

  // The design document lives beside the repository (../shared) on the project's machines, not on GitHub.
  const interfaceDoc = join(root, '..', 'shared', 'design', 'interface.md');
  if (!existsSync(interfaceDoc))
    console.warn(`SKIPPED: ${interfaceDoc} is not here, so action.yml is not checked against it.`);
  it.skipIf(!existsSync(interfaceDoc))('action.yml carries every input and output of the binding interface', () => {
    const action = parse(read('action.yml')) as { inputs: Record<string, unknown>; outputs: Record<string, unknown> };
    const iface = readFileSync(interfaceDoc, 'utf8');
    const section = (title: string): string => iface.split(`## ${title}`)[1]!.split('\n## ')[0]!;
    const names = (text: string): string[] =>
      [...text.matchAll(/^\| ([a-z][a-z0-9-]*(?:, [a-z][a-z0-9-]*)*) \|/gm)]
        .flatMap((m) => m[1]!.split(', '))
        .filter((n) => n !== 'input' && n !== 'output');
    for (const input of names(section('Inputs'))) expect(Object.keys(action.inputs), input).toContain(input);
    for (const output of names(section('Outputs'))) expect(Object.keys(action.outputs), output).toContain(output);
  });

  it('the README names the test command that .ci/run runs', () => {
    expect(read('.ci/run')).toContain('npm ci && npm test');
    expect(read('README.md')).toContain('npm ci && npm test');
  });
});
