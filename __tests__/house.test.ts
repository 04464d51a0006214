/**
 * The rules of the house that a reader of the code can check for themselves (CONTRIBUTING.md): no function in
 * src/, setup/ or standin/ is longer than 150 lines, so each one reads on a screen or two; and setup/ shares only
 * src/common/ with the action, so the set-up command does not pull in the action's internals.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const MAX_LINES = 150;
/**
 * Functions over the limit in files another change is rewriting now (`file function`): each is split there.
 * Remove an entry when it is; a new long function anywhere else fails.
 */
const root = join(import.meta.dirname, '..');

function sources(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true })
    .map((f) => String(f).split('\\').join('/'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => `${folder}/${f}`);
}

/** Every function-like node of a file (declarations, methods, accessors, constructors, arrows, expressions). */
export function longFunctions(file: string, text: string, max: number): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      const lines = end - start + 1;
      if (lines > max) found.push(`${file}:${start} ${nameOf(node)} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function nameOf(node: ts.SignatureDeclaration): string {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return `<${ts.SyntaxKind[node.kind]}>`;
}

describe('house rules', () => {
  it(`finds a function over ${MAX_LINES} lines (the check itself can fail)`, () => {
    const body = Array.from({ length: MAX_LINES }, (_, i) => `  const v${i} = ${i};`).join('\n');
    expect(longFunctions('x.ts', `function long() {\n${body}\n}\nconst short = () => 1;\n`, MAX_LINES)).toEqual([
      `x.ts:1 long (${MAX_LINES + 2} lines)`,
    ]);
    expect(longFunctions('x.ts', `class C {\n  m() {\n${body}\n  }\n}\n`, MAX_LINES)).toHaveLength(1);
    expect(longFunctions('x.ts', `function short() {\n  return 1;\n}\n`, MAX_LINES)).toEqual([]);
  });

  it("keeps setup/ off the action's internals: of src/ it imports only common/", () => {
    const reaching = sources('setup').flatMap((f) =>
      [...readFileSync(join(root, f), 'utf8').matchAll(/(?:from|import\()\s*'(\.\.\/src\/[^']+)'/g)]
        .map((m) => m[1]!)
        .filter((target) => !target.startsWith('../src/common/'))
        .map((target) => `${f} imports ${target}`),
    );
    expect(reaching).toEqual([]);
  });

  it(`has no function over ${MAX_LINES} lines in src/, setup/ or standin/`, () => {
    const long = ['src', 'setup', 'standin']
      .flatMap(sources)
      .flatMap((f) => longFunctions(f, readFileSync(join(root, f), 'utf8'), MAX_LINES));
    expect(long).toEqual([]);
  });
});
