/**
 * `npm run demo`: runs the bundled action (dist/index.js) as a GitHub runner would, against the local stand-in of
 * GitHub OIDC, Entra ID and Azure Resource Manager, through the data-engineering course's first run of a job
 * (week 6: resource group rg-hyf-data, environment env-hyf-data, registry hyfregistry, a student's
 * alice-weather-job): the first run forgets POSTGRES_URL and fails, the error names it and how to add it, the
 * fixed run succeeds, the next push deploys only its tag.
 *
 * Secrets are never written in the inputs: as in a workflow, the inputs say `${{ secrets.X }}` and the values
 * come from a variable standing for the repository's secrets (masked by the runner, as the harness does).
 * What is printed is shaped like the workflow log: groups collapsed as `▶ title (N lines)`, annotations as
 * `Error:`/`Warning:`/`Notice:`, then the step summary as the user sees it (markdown rendered as plain text).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction, type RunResult } from '../test-support/harness.ts';
import { startStandIn } from '../standin/index.ts';
import { ensureTls } from '../standin/common/tls.ts';

const tty = process.stdout.isTTY;
const bold = (s: string): string => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string): string => (tty ? `\x1b[2m${s}\x1b[0m` : s);

const tlsDir = mkdtempSync(join(tmpdir(), 'demo-tls-'));
const tls = ensureTls(tlsDir);
const standIn = await startStandIn({ tls });
const world = standIn.seedDefault({
  resourceGroup: 'rg-hyf-data',
  environment: 'env-hyf-data',
  registry: 'hyfregistry',
});
const job = 'alice-weather-job';
const image = (tag: string): string => `${world.registryServer}/alice-weather-pipeline:${tag}`;

/** Stands for the repository's secrets (`${{ secrets.X }}`): made up here, never printed. */
const repositorySecrets: Record<string, string> = {
  POSTGRES_URL: `postgresql://alice:${randomBytes(12).toString('base64url')}@psql-hyf-data.postgres.database.azure.com/weather`,
  STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=https;AccountName=hyfstoragedev;AccountKey=${randomBytes(32).toString('base64')};EndpointSuffix=core.windows.net`,
};
/** What the runner does with `${{ secrets.X }}` in `with:`. */
const expand = (value: string): string =>
  value.replace(/\$\{\{ secrets\.([A-Z_]+) \}\}/g, (_, name: string) => repositorySecrets[name] ?? '');

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

/** The harness's user-visible log, with groups collapsed as the workflow log shows them. */
function collapsed(log: string): string[] {
  const out: string[] = [];
  let group: { title: string; lines: number } | undefined;
  const flush = (): void => {
    if (group) out.push(`▶ ${group.title} ${dim(`(${group.lines} line${group.lines === 1 ? '' : 's'})`)}`);
    group = undefined;
  };
  for (const line of log.split('\n')) {
    if (/^(Run \.\/| {2}with:| {4}[a-z-]+: | {2}env:)/.test(line)) continue;
    if (line.startsWith('▼ ')) {
      flush();
      group = { title: line.slice(2), lines: 0 };
    } else if (group && line.startsWith('  ')) {
      group.lines += 1;
    } else {
      flush();
      if (line !== '') out.push(line);
    }
  }
  flush();
  return out;
}

/** The step summary's markdown as plain text: headings, table rows as "name: value", details as ▶/▼. */
function plainSummary(md: string): string[] {
  const inline = (s: string): string =>
    s
      .replace(/\[([^\]\n]{0,200})\]\([^)\s]{0,2000}\)/g, '$1')
      .replace(/\*\*/g, '')
      .replace(/`/g, '')
      .replace(/\\\|/g, '|')
      // the summary writes untrusted text's punctuation as HTML entities: shown as the page renders them
      .replace(/&#(\d{1,5});/g, (_, c: string) => String.fromCharCode(Number(c)));
  const out: string[] = [];
  let hidden = false;
  for (const line of md.split('\n')) {
    const details = /^<details( open)?><summary>(.{0,200})<\/summary>$/.exec(line);
    if (details) {
      hidden = !details[1];
      out.push(`${details[1] ? '▼' : '▶'} ${details[2]}`);
      continue;
    }
    if (line === '</details>') {
      hidden = false;
      continue;
    }
    if (hidden || line.trim() === '' || line.startsWith('```') || /^\|[ |-]*\|$/.test(line)) continue;
    const heading = /^#{1,6} (.*)$/.exec(line);
    const row = /^\| (.*) \| (.*) \|$/.exec(line);
    if (heading) out.push(bold(inline(heading[1] as string)));
    else if (row) out.push(`${inline(row[1] as string).padEnd(16)}${inline(row[2] as string)}`);
    else out.push(inline(line.replace(/^> /, '')));
  }
  return out;
}

async function step(title: string, inputs: Record<string, string>, expectFailure = false): Promise<RunResult> {
  console.log(`\n${bold(`━━ ${title}`)}`);
  const shown = Object.entries(inputs)
    .map(([k, v]) => `    ${k}: ${v.includes('\n') ? `|\n${v.replace(/^/gm, '      ')}` : v}`)
    .join('\n');
  console.log(dim(`  - uses: ./\n    with:   # plus identity inputs and the stand-in endpoints\n${shown}`));
  const result = await runAction({
    inputs: { ...base, ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, expand(v)])) },
    oidc: standIn.oidc,
    env: { NODE_EXTRA_CA_CERTS: tls.caFile },
    // A private bundle (scripts/bundle-to.ts) instead of the repository's dist/, when set.
    ...(process.env.E2E_ACTION_DIR ? { actionDir: process.env.E2E_ACTION_DIR } : {}),
    // The runner masks the values of the secrets context from the start.
    secrets: Object.values(repositorySecrets),
  });
  for (const line of collapsed(result.log)) console.log(`  │ ${line}`);
  const failed = result.exitCode !== 0;
  console.log(
    `  ${failed ? '✗ step failed' : '✓ step succeeded'} (exit code ${result.exitCode}, ${(result.durationMs / 1000).toFixed(1)} s)`,
  );
  if (result.summary.trim()) {
    console.log(dim('  step summary (as rendered on the run page):'));
    for (const line of plainSummary(result.summary.trim())) console.log(`  ┆ ${line}`);
  }
  // Everything the action wrote but its ::add-mask:: commands (which hand the values to the runner to hide).
  const written = [
    result.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n'),
    result.stderr,
    result.summary,
    JSON.stringify(result.outputs),
  ];
  const leaked = Object.values(repositorySecrets).filter((v) => written.some((t) => t.includes(v)));
  if (leaked.length) {
    console.log(bold('  ✗ a secret value appeared in what the action wrote'));
    unexpected += 1;
  }
  if (failed !== expectFailure) unexpected += 1;
  return result;
}

try {
  console.log(
    bold('deploy-container-apps-job demo: the course’s first run of a job') +
      dim(` (stand-in: ARM ${standIn.urls.arm}, Entra ${standIn.urls.authority})`),
  );

  // Week 6 on a laptop used `docker run --env-file .env`; that file is not in the image, so a first run
  // without POSTGRES_URL crashes on the first os.environ[...] lookup. (The job does not exist yet: its first
  // execution follows the default script.)
  standIn.arm.setDefaultExecutionScript({
    durationMs: 2000,
    outcome: 'Failed',
    exitCode: 1,
    reason: 'BackoffLimitExceeded',
    message: 'Job has reached the specified backoff limit',
    logs: [
      'INFO Fetching observations for 2026-11-01',
      'INFO Uploaded raw/2026-11-01.json to container raw',
      'Traceback (most recent call last):',
      '  File "/app/pipeline.py", line 57, in <module>',
      '    engine = create_engine(os.environ["POSTGRES_URL"])',
      '                           ~~~~~~~~~~^^^^^^^^^^^^^^^^',
      '  File "<frozen os>", line 714, in __getitem__',
      "KeyError: 'POSTGRES_URL'",
    ],
  });
  const first = await step(
    '1. First run: create the job from the ACR image and run it (POSTGRES_URL forgotten)',
    {
      environment: 'env-hyf-data',
      image: image('1.0'),
      'replica-timeout': '300',
      'replica-retry-limit': '0',
      'env-vars': 'LOG_LEVEL=INFO\nAZURE_STORAGE_CONNECTION_STRING=secretref:storage-connection-string',
      secrets: 'storage-connection-string=${{ secrets.STORAGE_CONNECTION_STRING }}',
      start: 'true',
    },
    true,
  );
  if (!/environment variable POSTGRES_URL, which the job does not set/.test(first.errors[0] ?? '')) {
    console.log(bold('  ✗ the error does not name POSTGRES_URL'));
    unexpected += 1;
  }

  standIn.arm.scriptExecutions(world.resourceGroup, job, {
    durationMs: 3000,
    outcome: 'Succeeded',
    exitCode: 0,
    logs: [
      'INFO Fetching observations for 2026-11-01',
      'INFO Uploaded raw/2026-11-01.json to container raw',
      'INFO Wrote 1440 rows to weather_readings',
    ],
  });
  await step('2. The fix the error gave: POSTGRES_URL as a secret reference, run again', {
    'env-vars': 'POSTGRES_URL=secretref:postgres-url',
    secrets: 'postgres-url=${{ secrets.POSTGRES_URL }}',
    start: 'true',
  });

  standIn.arm.scriptExecutions(world.resourceGroup, job, {
    durationMs: 2000,
    outcome: 'Succeeded',
    exitCode: 0,
    logs: ['INFO Fetching observations for 2026-11-02', 'INFO Wrote 1440 rows to weather_readings'],
  });
  await step('3. Next push: deploy only the new tag and run it (env vars and secrets stay)', {
    'image-tag': '1.1',
    start: 'true',
  });

  // 4. A push that breaks the job, deployed with on-failure: rollback: the run fails and the job goes back.
  const imageBefore = (
    standIn.arm.getJob(world.resourceGroup, job) as { properties: { template: { containers: { image: string }[] } } }
  ).properties.template.containers[0]!.image;
  standIn.arm.scriptExecutions(world.resourceGroup, job, {
    durationMs: 1500,
    outcome: 'Failed',
    exitCode: 1,
    reason: 'BackoffLimitExceeded',
    message: 'Job has reached the specified backoff limit',
    logs: ['Fetching observations for 2026-11-02', "ModuleNotFoundError: No module named 'pandas'"],
  });
  const rolled = await step(
    '4. A broken push with on-failure: rollback: the run fails, the job is put back as it was, the step fails saying so',
    { 'image-tag': '1.2', 'env-vars': 'LOG_LEVEL=DEBUG', start: 'true', 'on-failure': 'rollback' },
    true,
  );
  const imageAfter = (
    standIn.arm.getJob(world.resourceGroup, job) as { properties: { template: { containers: { image: string }[] } } }
  ).properties.template.containers[0]!.image;
  console.log(dim(`  job image before the step: ${imageBefore}; after the rollback: ${imageAfter}`));
  if (rolled.outputs['rolled-back'] !== 'true' || imageAfter !== imageBefore) unexpected += 1;

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
