/**
 * Replays the `self-test` job of .github/workflows/ci.yml here, step by step, so that the workflow that runs the
 * action on itself (`uses: ./`) against the stand-in is tested before it is pushed:
 * - `run:` steps run in bash as the runner runs them (`bash --noprofile --norc -eo pipefail`), with RUNNER_TEMP and
 *   GITHUB_ENV, whose NAME=value lines become the environment of later steps;
 * - `uses: ./` steps run the bundled action through the runner harness, with the step's `with:` as inputs and its
 *   `env:`, and no OIDC variables from the runner (the job has no `id-token: write`);
 * - `${{ env.* }}`, `${{ github.sha }}`, `${{ steps.<id>.outputs.* }}` and `${{ steps.<id>.outcome }}` are
 *   evaluated; `continue-on-error` and `if: always()` behave as on GitHub. Anything else fails the test, so the
 *   workflow stays within what this replay understands.
 * Steps that set up the machine (remote actions such as checkout and setup-node, `npm ci`) are skipped: this test
 * runs in the checked-out, installed tree on Node 24.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runAction } from '../test-support/harness.ts';

const root = join(import.meta.dirname, '..');
const SHA = 'd6cd1e2bd19e03a81132a23b2025920577f84e37';

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string | number | boolean>;
  env?: Record<string, string | number | boolean>;
  if?: string;
  'continue-on-error'?: boolean;
}

interface StepRecord {
  outcome: 'success' | 'failure' | 'skipped';
  outputs: Record<string, string>;
}

const workflow = parse(readFileSync(join(root, '.github/workflows/ci.yml'), 'utf8')) as {
  jobs: Record<string, { steps: Step[]; permissions?: Record<string, string> }>;
};
const job = workflow.jobs['self-test']!;

const temp = mkdtempSync(join(tmpdir(), 'ci-self-test-'));
afterAll(() => {
  const pidFile = join(temp, 'standin.pid');
  if (existsSync(pidFile)) {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
    } catch {
      // already gone
    }
  }
  rmSync(temp, { recursive: true, force: true });
});

describe('ci.yml self-test job, replayed locally', () => {
  it('has no id-token permission (so the stand-in OIDC variables on the steps are what the action sees)', () => {
    expect(job.permissions?.['id-token']).toBeUndefined();
  });

  it('every step passes, and each use of the action behaves as checked', { timeout: 240_000 }, async () => {
    const githubEnv = join(temp, 'github_env');
    writeFileSync(githubEnv, '');
    const env: Record<string, string> = {};
    const steps: Record<string, StepRecord> = {};
    const log: string[] = [];
    let failed = false;

    const evaluate = (value: string | number | boolean): string =>
      String(value).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_m, expr: string) => {
        let m: RegExpExecArray | null;
        if ((m = /^env\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr))) return env[m[1]!] ?? '';
        if (expr === 'github.sha') return SHA;
        if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr))) return steps[m[1]!]?.outputs[m[2]!] ?? '';
        if ((m = /^steps\.([\w-]+)\.outcome$/.exec(expr))) return steps[m[1]!]?.outcome ?? '';
        throw new Error(`the replay does not evaluate \${{ ${expr} }}`);
      });
    const evaluateAll = (map: Step['env']): Record<string, string> =>
      Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, evaluate(v)]));
    const readGithubEnv = (): void => {
      for (const line of readFileSync(githubEnv, 'utf8').split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
      }
    };

    let actionRuns = 0;
    for (const [index, step] of job.steps.entries()) {
      const title = step.name ?? step.uses ?? step.run ?? `step ${index}`;
      if (step.uses && step.uses !== './') continue; // checkout, setup-node: this tree, this Node
      if (step.run?.trim() === 'npm ci') continue;
      if (step.if !== undefined && step.if !== 'always()')
        throw new Error(`the replay does not evaluate if: ${step.if}`);
      if (failed && step.if !== 'always()') {
        if (step.id) steps[step.id] = { outcome: 'skipped', outputs: {} };
        continue;
      }
      let ok: boolean;
      let outputs: Record<string, string> = {};
      if (step.uses === './') {
        actionRuns += 1;
        const result = await runAction({
          inputs: Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, evaluate(v)])),
          env: { ...env, ...evaluateAll(step.env) },
          oidc: false,
          ...(process.env.E2E_ACTION_DIR ? { actionDir: process.env.E2E_ACTION_DIR } : {}),
        });
        ok = result.exitCode === 0;
        outputs = result.outputs;
        log.push(`── ${title}: exit ${result.exitCode}`, result.log);
      } else {
        const script = join(temp, `step-${index}.sh`);
        writeFileSync(script, evaluate(step.run ?? ''));
        const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
          cwd: root,
          env: { ...process.env, ...env, ...evaluateAll(step.env), RUNNER_TEMP: temp, GITHUB_ENV: githubEnv },
          encoding: 'utf8',
          timeout: 120_000,
        });
        ok = r.status === 0;
        log.push(`── ${title}: exit ${r.status}`, r.stdout, r.stderr);
        readGithubEnv();
      }
      if (step.id) steps[step.id] = { outcome: ok ? 'success' : 'failure', outputs };
      if (!ok && !step['continue-on-error']) failed = true;
    }

    expect(failed, log.join('\n')).toBe(false);
    expect(actionRuns).toBeGreaterThanOrEqual(5);
    expect(steps.failing?.outcome).toBe('failure');
  });
});
