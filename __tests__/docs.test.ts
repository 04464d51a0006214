import { readFileSync } from 'node:fs';
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

  // The binding interface, vendored into the repository (docs/interface.md) so a fresh clone can check it.
  it('action.yml carries every input and output of the binding interface (docs/interface.md)', () => {
    const action = parse(read('action.yml')) as { inputs: Record<string, unknown>; outputs: Record<string, unknown> };
    const iface = read('docs/interface.md');
    const section = (title: string): string => iface.split(`## ${title}`)[1]!.split('\n## ')[0]!;
    const names = (text: string): string[] =>
      [...text.matchAll(/^\| ([a-z][a-z0-9-]*(?:, [a-z][a-z0-9-]*)*) \|/gm)]
        .flatMap((m) => m[1]!.split(', '))
        .filter((n) => n !== 'input' && n !== 'output');
    const inputs = names(section('Inputs'));
    const outputs = names(section('Outputs'));
    // The interface's newest names, so that a truncated copy cannot pass.
    expect(inputs).toEqual(
      expect.arrayContaining(['check-image', 'check-since', 'await-next-execution', 'on-failure']),
    );
    expect(outputs).toEqual(
      expect.arrayContaining(['executions-checked', 'executions-failed', 'executions-missed', 'rolled-back']),
    );
    for (const input of inputs) expect(Object.keys(action.inputs), input).toContain(input);
    for (const output of outputs) expect(Object.keys(action.outputs), output).toContain(output);
  });

  it('the README names the test command that .ci/run runs', () => {
    expect(read('.ci/run')).toContain('npm ci && npm test');
    expect(read('README.md')).toContain('npm ci && npm test');
  });
});
