/**
 * Generates the README's inputs and outputs reference from action.yml, the inputs grouped as action.yml groups them
 * (sign-in, deploy, run, logs, build, advanced; read through scripts/gen-inputs.ts's table) (between the markers
 * <!-- inputs:start --> ... <!-- inputs:end --> and <!-- outputs:start --> ... <!-- outputs:end -->).
 * `node scripts/docs.ts` rewrites README.md; `node scripts/docs.ts --check` fails when it is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readInputRows } from './gen-inputs.ts';

interface ActionYaml {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
}

const root = join(import.meta.dirname, '..');

const cell = (text: string): string =>
  text
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .trim();

export function renderReference(actionYaml: string): { inputs: string; outputs: string } {
  const action = parse(actionYaml) as ActionYaml;
  const inputs: string[] = [];
  let group = '';
  for (const row of readInputRows(actionYaml)) {
    if (row.group !== group) {
      group = row.group;
      if (inputs.length > 0) inputs.push('');
      const title = row.groupTitle.charAt(0).toUpperCase() + row.groupTitle.slice(1);
      inputs.push(
        `**${group}**: ${cell(title)}`,
        '',
        '| Input | Required | Default | Description |',
        '|---|---|---|---|',
      );
    }
    const i = action.inputs[row.name]!;
    const def = i.default === undefined || i.default === '' ? '' : `\`${i.default}\``;
    const secret = row.secret ? ' Masked in the log.' : '';
    inputs.push(`| \`${row.name}\` | ${i.required ? 'yes' : 'no'} | ${def} | ${cell(i.description)}${secret} |`);
  }
  const outputs = ['| Output | Description |', '|---|---|'];
  for (const [name, o] of Object.entries(action.outputs)) outputs.push(`| \`${name}\` | ${cell(o.description)} |`);
  return { inputs: inputs.join('\n'), outputs: outputs.join('\n') };
}

export function applyReference(readme: string, actionYaml: string): string {
  const { inputs, outputs } = renderReference(actionYaml);
  const put = (text: string, key: string, body: string): string => {
    const re = new RegExp(`(<!-- ${key}:start -->)[\\s\\S]*?(<!-- ${key}:end -->)`);
    if (!re.test(text)) throw new Error(`README.md has no <!-- ${key}:start --> / <!-- ${key}:end --> markers`);
    return text.replace(re, `$1\n${body}\n$2`);
  };
  return put(put(readme, 'inputs', inputs), 'outputs', outputs);
}

if (import.meta.main) {
  const readmePath = join(root, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const next = applyReference(readme, readFileSync(join(root, 'action.yml'), 'utf8'));
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error("README.md's inputs/outputs reference is stale: run 'node scripts/docs.ts'.");
      process.exit(1);
    }
  } else {
    writeFileSync(readmePath, next);
  }
}
