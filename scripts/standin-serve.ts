/**
 * Runs the local stand-in of GitHub OIDC, Entra ID and Azure Resource Manager as a server until it is stopped
 * (SIGINT / SIGTERM), with the default world seeded, and writes what a client needs to reach it as
 * NAME=value lines: the format of $GITHUB_ENV, and of a shell's `set -a; . FILE`. (The option is not called
 * --env-file because Node reads an --env-file option anywhere on its command line.)
 *
 *   node scripts/standin-serve.ts --output "$RUNNER_TEMP/standin.env" [--tls-dir DIR]
 *
 * CI (.github/workflows/ci.yml) starts it in the background, appends the file to $GITHUB_ENV and runs the action
 * on itself (`uses: ./`) against it. The file appears only once every host listens (written to a temporary name,
 * then renamed), so a client may wait for it to exist.
 *
 * Besides the default world (see standin/README.md), it seeds the job STANDIN_FAILING_JOB, whose executions
 * fail with exit code 3, so that a workflow can check the failure path too.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startStandIn } from '../standin/index.ts';
import { ensureTls } from '../standin/common/tls.ts';

export const FAILING_JOB = 'nightly-fails';
export const FAILING_EXIT_CODE = 3;

const { values } = parseArgs({
  options: { output: { type: 'string' }, 'tls-dir': { type: 'string' } },
});
const envFile = values.output;
if (!envFile) {
  console.error('usage: node scripts/standin-serve.ts --output FILE [--tls-dir DIR]');
  process.exit(2);
}

const tls = ensureTls(values['tls-dir'] ?? mkdtempSync(join(tmpdir(), 'standin-tls-')));
const standIn = await startStandIn({ tls });
const world = standIn.seedDefault();

standIn.arm.seedJob(world.resourceGroup, {
  name: FAILING_JOB,
  location: world.location,
  properties: {
    environmentId: world.environmentId,
    configuration: {
      triggerType: 'Manual',
      replicaTimeout: 300,
      replicaRetryLimit: 0,
      manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
    },
    template: {
      containers: [
        {
          name: FAILING_JOB,
          image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest',
          resources: { cpu: 0.5, memory: '1Gi' },
        },
      ],
    },
  },
});
standIn.arm.scriptExecutions(
  world.resourceGroup,
  FAILING_JOB,
  ...Array.from({ length: 20 }, () => ({
    outcome: 'Failed' as const,
    exitCode: FAILING_EXIT_CODE,
    reason: 'BackoffLimitExceeded',
    message: 'Job has reached the specified backoff limit',
  })),
);

const vars: Record<string, string> = {
  STANDIN_ARM_URL: standIn.urls.arm,
  STANDIN_AUTHORITY_URL: standIn.urls.authority,
  STANDIN_GITHUB_URL: standIn.urls.github,
  STANDIN_OIDC_REQUEST_URL: standIn.oidc.requestUrl,
  STANDIN_OIDC_REQUEST_TOKEN: standIn.oidc.requestToken,
  STANDIN_CA_FILE: tls.caFile,
  STANDIN_CLIENT_ID: world.clientId,
  STANDIN_TENANT_ID: world.tenantId,
  STANDIN_SUBSCRIPTION_ID: world.subscriptionId,
  STANDIN_RESOURCE_GROUP: world.resourceGroup,
  STANDIN_ENVIRONMENT: world.environment,
  STANDIN_REGISTRY_SERVER: world.registryServer,
  STANDIN_FAILING_JOB: FAILING_JOB,
};
const text = Object.entries(vars)
  .map(([k, v]) => `${k}=${v}`)
  .join('\n');
writeFileSync(`${envFile}.tmp`, `${text}\n`);
renameSync(`${envFile}.tmp`, envFile);
console.log(
  `stand-in listening: GitHub OIDC ${standIn.urls.github}, Entra ID ${standIn.urls.authority}, ARM ${standIn.urls.arm}`,
);
console.log(`values written to ${envFile}`);

let closing = false;
const stop = (signal: string): void => {
  if (closing) return;
  closing = true;
  console.log(`${signal}: stopping the stand-in after ${standIn.requests.length} requests`);
  void standIn.close().then(() => process.exit(0));
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
