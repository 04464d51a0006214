/**
 * The README's "Quick start", read as a student and a TA read it: the class-list line, the set-up command (a shell
 * command, split into words as sh would, with `$(…)` and `$NAME` given by the test), the `gh secret set` names and
 * the workflow (YAML) whose action step gives the inputs, with `${{ vars.X }}`, `${{ secrets.X }}` and
 * `${{ github.sha }}` evaluated from values the test gives. Anything the parser does not understand throws, so a
 * README change that these tests cannot follow fails loudly instead of being skipped.
 */
import { parse as parseYaml } from 'yaml';

export interface QuickStart {
  /** The section's text, `## Quick start` up to the next `## ` heading. */
  text: string;
  /** Fenced blocks of the section, in order. */
  blocks: { lang: string; body: string }[];
  /** The line the student asks the TA to add to the class list. */
  classLine: string;
  /** The set-up command as written (lines joined), from the first sh block. */
  setupCommand: string;
  /** Names given to `gh secret set`, in order. */
  secretNames: string[];
  /** The workflow file, parsed. */
  workflow: Workflow;
  /** The step that uses the action. */
  actionStep: { uses: string; with: Record<string, unknown> };
}

export interface Workflow {
  on?: { push?: { branches?: string[] } };
  permissions?: Record<string, string>;
  jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>;
}

export function quickStartSection(readme: string): string {
  const start = readme.search(/^## Quick start\b/m);
  if (start < 0) throw new Error('README.md has no "## Quick start" section');
  const rest = readme.slice(start + 3);
  const end = rest.search(/^## /m);
  return readme.slice(start, end < 0 ? undefined : start + 3 + end);
}

export function parseQuickStart(readme: string): QuickStart {
  const text = quickStartSection(readme);
  const blocks = [...text.matchAll(/^```(\w*)\n([^]*?)\n```$/gm)].map((m) => ({ lang: m[1]!, body: m[2]! }));
  const classLine = /add a line `([^`]+)`/.exec(text)?.[1];
  if (!classLine) throw new Error('the quick start no longer says which line to add to the class list');
  const sh = blocks.filter((b) => b.lang === 'sh');
  const setupCommand = logicalLines(sh[0]?.body ?? '').find((l) => /^node dist\/setup\.js\s/.test(l));
  if (!setupCommand) throw new Error("the quick start's first sh block has no `node dist/setup.js …` command");
  const secretNames = sh
    .slice(1)
    .flatMap((b) => logicalLines(b.body))
    .map((l) => /^gh secret set ([A-Za-z_][A-Za-z0-9_]*)\s/.exec(l)?.[1])
    .filter((n): n is string => !!n);
  const yaml = blocks.find((b) => b.lang === 'yaml');
  if (!yaml) throw new Error('the quick start has no yaml block (the workflow)');
  const workflow = parseYaml(yaml.body) as Workflow;
  const steps = Object.values(workflow.jobs ?? {}).flatMap((j) => j.steps ?? []);
  const step = steps.find((s) => /\/deploy-container-apps-job@/.test(s.uses ?? ''));
  if (!step) throw new Error("the quick start's workflow has no step that uses the action");
  return {
    text,
    blocks,
    classLine,
    setupCommand,
    secretNames,
    workflow,
    actionStep: { uses: step.uses!, with: step.with ?? {} },
  };
}

/** Lines of a shell script with `\` continuations joined; blank lines and comments dropped. */
export function logicalLines(script: string): string[] {
  return script
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/**
 * Splits one shell command into words as sh would: whitespace separates, "…" and '…' quote, `$(command)` and
 * `$NAME` (quoted or not) are replaced from `commands` (by the exact command text) and `env`. A word from an
 * unquoted expansion is not split further (the test's values have no spaces). Pipes, redirections, `;`, `&`,
 * backticks and unknown commands or variables throw.
 */
export function shellWords(
  command: string,
  subst: { commands: Record<string, string>; env: Record<string, string> },
): string[] {
  const words: string[] = [];
  let word: string | undefined;
  const add = (s: string): void => void (word = (word ?? '') + s);
  let i = 0;
  const dollar = (): void => {
    if (command[i + 1] === '(') {
      let depth = 0;
      let j = i + 1;
      for (; j < command.length; j++) {
        if (command[j] === '(') depth++;
        else if (command[j] === ')' && --depth === 0) break;
      }
      if (j >= command.length) throw new Error(`unclosed $( in: ${command}`);
      const inner = command.slice(i + 2, j).trim();
      const out = subst.commands[inner];
      if (out === undefined) throw new Error(`the test does not know what \`${inner}\` prints`);
      add(out);
      i = j + 1;
      return;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(command.slice(i + 1))?.[0];
    if (!name) throw new Error(`unsupported $ at ${i} in: ${command}`);
    const value = subst.env[name];
    if (value === undefined) throw new Error(`the test has no value for $${name}`);
    add(value);
    i += 1 + name.length;
  };
  while (i < command.length) {
    const c = command[i]!;
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed ' in: ${command}`);
      add(command.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      add('');
      i++;
      while (command[i] !== '"') {
        if (i >= command.length) throw new Error(`unclosed " in: ${command}`);
        if (command[i] === '$') dollar();
        else if (command[i] === '\\' || command[i] === '`') throw new Error(`unsupported ${command[i]} in "…"`);
        else add(command[i++]!);
      }
      i++;
    } else if (c === '$') dollar();
    else if (c === '#' && word === undefined) break;
    else if (/[|&;<>`\\(){}*?[\]]/.test(c)) throw new Error(`unsupported shell syntax '${c}' in: ${command}`);
    else add(command[i++]!);
  }
  if (word !== undefined) words.push(word);
  return words;
}

export interface ExpressionContext {
  vars: Record<string, string>;
  secrets: Record<string, string>;
  github: Record<string, string>;
}

/**
 * Evaluates the `${{ … }}` expressions of an input value the way the runner would for these three contexts. A
 * `vars` or `secrets` name the context lacks throws (on GitHub it would be an empty string: a broken quick start
 * that the test should name), as does any other expression.
 */
export function evaluate(value: string, ctx: ExpressionContext): string {
  return value.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_m, expr: string) => {
    const m = /^(vars|secrets|github)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr);
    if (!m) throw new Error(`unsupported expression \${{ ${expr} }}`);
    const v = ctx[m[1] as keyof ExpressionContext][m[2]!];
    if (v === undefined)
      throw new Error(
        `\${{ ${expr} }} has no value: ${m[1]} has ${Object.keys(ctx[m[1] as keyof ExpressionContext]).join(', ') || 'nothing'}`,
      );
    return v;
  });
}

/** The step's `with:` as the runner passes inputs: every value a string, expressions evaluated. */
export function stepInputs(withs: Record<string, unknown>, ctx: ExpressionContext): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const [name, value] of Object.entries(withs)) inputs[name] = evaluate(String(value), ctx);
  return inputs;
}
