/**
 * `npm run demo`: runs the bundled action (dist/index.js) as a GitHub runner would, against the local stand-in of
 * GitHub OIDC, Entra ID and Azure Resource Manager, through a student's workflow: create the job, update it by
 * tag and run it (succeeds), then a run that fails. Prints what the workflow user would see.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction, type RunResult } from '../test-support/harness.ts';
import { startStandIn } from '../standin/index.ts';
import { ensureTls } from '../standin/common/tls.ts';

const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string): string => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

const tlsDir = mkdtempSync(join(tmpdir(), 'demo-tls-'));
const tls = ensureTls(tlsDir);
const standIn = await startStandIn({ tls });
const world = standIn.seedDefault({ resourceGroup: 'rg-data', environment: 'env-data', registry: 'hyfregistry' });
const job = 'alice-weather-job';
const image = (tag: string): string => `${world.registryServer}/alice-weather-pipeline:${tag}`;

const base = {
  'client-id': world.clientId,
  'tenant-id': world.tenantId,
  'subscription-id': world.subscriptionId,
  'resource-group': world.resourceGroup,
  'job-name': job,
  // The two endpoint overrides point the action at the stand-in instead of Azure.
  'arm-endpoint': standIn.urls.arm,
  'authority-host': standIn.urls.authority,
};

let unexpected = 0;

async function step(title: string, inputs: Record<string, string>, expectFailure = false): Promise<RunResult> {
  console.log(`\n${bold(`━━ ${title}`)}`);
  const shown = Object.entries(inputs)
    .map(([k, v]) => `    ${k}: ${v.includes('\n') ? `|\n${v.replace(/^/gm, '      ')}` : v}`)
    .join('\n');
  console.log(dim(`  - uses: ./\n    with:   # plus identity inputs and the stand-in endpoints\n${shown}`));
  const result = await runAction({
    inputs: { ...base, ...inputs },
    oidc: standIn.oidc,
    env: { NODE_EXTRA_CA_CERTS: tls.caFile },
    // A private bundle (scripts/bundle-to.ts) instead of the repository's dist/, when set.
    ...(process.env.E2E_ACTION_DIR ? { actionDir: process.env.E2E_ACTION_DIR } : {}),
    secrets: inputs.secrets ? [inputs.secrets.split('=').slice(1).join('=')] : [],
    onLog: (line) => {
      if (!/^(Run \.\/| {2}with:| {4}[a-z-]+: | {2}env:)/.test(line)) console.log(`  │ ${line}`);
    },
  });
  const failed = result.exitCode !== 0;
  console.log(
    `  ${failed ? '✗ step failed' : '✓ step succeeded'} (exit code ${result.exitCode}, ${(result.durationMs / 1000).toFixed(1)} s)`,
  );
  console.log(dim(`  outputs: ${JSON.stringify(result.outputs)}`));
  if (result.summary.trim()) {
    console.log(dim('  step summary:'));
    console.log(
      result.summary
        .trim()
        .split('\n')
        .map((l) => dim(`  ┆ ${l}`))
        .join('\n'),
    );
  }
  if (failed !== expectFailure) unexpected += 1;
  return result;
}

try {
  console.log(
    bold('deploy-container-apps-job demo') +
      dim(` (stand-in: ARM ${standIn.urls.arm}, Entra ${standIn.urls.authority})`),
  );

  await step('1. First push: create the job from the ACR image (registry found, admin credentials kept as a secret)', {
    environment: world.environment,
    image: image('1.0'),
    'env-vars': 'LOG_LEVEL=INFO\nPOSTGRES_URL=secretref:postgres-url',
    secrets: 'postgres-url=postgres://weather:s3cret-pw@db.example/weather',
  });

  standIn.arm.scriptExecutions(world.resourceGroup, job, {
    durationMs: 3000,
    outcome: 'Succeeded',
    exitCode: 0,
    // what the container prints: streamed into the step's log while it runs
    logs: [
      'Fetching observations for 2026-10-31',
      'Fetched 1440 rows from 12 stations',
      'Wrote 1440 rows to weather.hourly',
    ],
  });
  await step('2. Next push: deploy only the new tag, run it and wait (secrets and env vars stay)', {
    'image-tag': '1.1',
    start: 'true',
  });

  standIn.arm.scriptExecutions(world.resourceGroup, job, {
    durationMs: 2000,
    outcome: 'Failed',
    exitCode: 1,
    reason: 'BackoffLimitExceeded',
    message: 'Job has reached the specified backoff limit',
    logs: [
      'Fetching observations for 2026-11-01',
      'Traceback (most recent call last):',
      '  File "/app/pipeline.py", line 42, in <module>',
      "KeyError: 'station_id'",
    ],
  });
  await step(
    '3. workflow_dispatch rerun with a per-run override: the run fails and so does the step',
    { start: 'true', 'execution-env-vars': 'RUN_DATE=2026-11-01' },
    true,
  );

  const arm = standIn.requests.filter((r) => r.host === 'arm');
  console.log(
    `\n${bold('Requests to Azure Resource Manager')}: ${arm.length} (${arm.filter((r) => r.method !== 'GET').length} writes); ` +
      `Entra token requests: ${standIn.requests.filter((r) => r.host === 'entra' && r.method === 'POST').length}; GitHub ID tokens: ${standIn.github.issued}`,
  );
  console.log(
    unexpected === 0
      ? bold('Demo finished: every step behaved as expected.')
      : bold(`Demo: ${unexpected} step(s) did not behave as expected.`),
  );
} finally {
  await standIn.close();
  rmSync(tlsDir, { recursive: true, force: true });
}
process.exit(unexpected === 0 ? 0 : 1);
