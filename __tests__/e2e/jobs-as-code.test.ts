/**
 * Jobs as code, end to end: job definition files (job-yaml) for each trigger type created and then updated through
 * the bundled action against the stand-in (which validates every request body against the official spec), inputs
 * overriding the file, a misspelled key, a dry run that writes nothing and shows the plan, and drift.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { renderedText } from '../../test-support/markdown.ts';
import { APP_API_VERSIONS_WITH_2026_07_01 } from '../../standin/index.ts';
import { RUN_TAGS, startBed, type Bed, type E2eRun } from '../../test-support/e2e.ts';
import { armJob, armJobBody, type ArmJob, type ArmJobBody } from '../../test-support/arm-json.ts';

let bed: Bed;
let workspace: string;
const IMAGE = 'mcr.microsoft.com/k8se/quickstart-jobs';
const QUEUE_CONNECTION = 'DefaultEndpointsProtocol=https;AccountName=stq;AccountKey=c2VjcmV0LWtleS12YWx1ZQ==';
const FILE_SECRET = 'f1le-s3cret-value-9931';

beforeAll(async () => {
  // The field lists api-versions up to 2026-01-01 (the stand-in's default): this file's tests are about what the action
  // does with 2026-07-01's answers (detailedStatus, runningState) and assert no warnings, so the region lists 2026-07-01.
  bed = await startBed({ arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01 } });
  // Operations finish at their first poll: these tests are about what is sent, not about waiting.
  bed.standIn.arm.setLro({ inProgressPolls: 0, retryAfterSec: null });
  workspace = mkdtempSync(join(tmpdir(), 'jobs-as-code-'));
});
afterAll(async () => {
  await bed?.close();
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

function uai(name: string): string {
  return `/subscriptions/${bed.world.subscriptionId}/resourceGroups/${bed.world.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
}

/** Writes a definition into the workspace, as a repository checkout would hold it. */
function file(name: string, text: string): string {
  writeFileSync(join(workspace, name), text);
  return name;
}

function run(inputs: Record<string, string>): Promise<E2eRun> {
  return bed.run(inputs, { workspace });
}

function liveJob(name: string): ArmJob {
  return armJob(bed.standIn.arm.getJob(bed.world.resourceGroup, name), `job ${name}`);
}

/** What the action printed, apart from the ::add-mask:: commands that hide values. */
function printed(r: E2eRun): string {
  return r.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
}

function body(r: E2eRun, method: string): ArmJobBody {
  const q = r.arm.find((x) => x.method === method && /\/jobs\/[^/]+$/.test(x.path));
  expect(q, `a ${method} of the job`).toBeDefined();
  return armJobBody(q?.body);
}

describe('Manual trigger', () => {
  const job = 'manual-batch';
  const definition = (timeout: number, mode: string): string => `
# a manual job with fan-out
name: ${job}
type: Microsoft.App/jobs
tags:
  team: data
properties:
  environmentId: ${bed.world.environmentId}
  configuration:
    triggerType: Manual
    replicaTimeout: ${timeout}
    replicaRetryLimit: 2
    manualTriggerConfig:
      parallelism: 3
      replicaCompletionCount: 3
  template:
    containers:
      - name: main
        image: ${IMAGE}:1.0
        command: [/bin/sh, -c, 'echo hello']
        env:
          - name: MODE
            value: ${mode}
`;

  it('creates the job from the file alone (environment and image from the file)', async () => {
    const r = await run({ 'job-name': job, 'job-yaml': file('manual.yaml', definition(120, 'batch')) });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('created');
    expect(r.outputs.image).toBe(`${IMAGE}:1.0`);
    expect(r.writes).toEqual([`PUT Microsoft.App/jobs/${job}`]);
    const j = liveJob(job);
    expect(j.tags).toEqual({ team: 'data', ...RUN_TAGS });
    expect(j.properties.configuration).toMatchObject({
      triggerType: 'Manual',
      replicaTimeout: 120,
      replicaRetryLimit: 2,
      manualTriggerConfig: { parallelism: 3, replicaCompletionCount: 3 },
    });
    expect(j.properties.template?.containers).toEqual([
      expect.objectContaining({
        name: 'main',
        image: `${IMAGE}:1.0`,
        command: ['/bin/sh', '-c', 'echo hello'],
        env: [{ name: 'MODE', value: 'batch' }],
        resources: expect.objectContaining({ cpu: 0.5, memory: '1Gi' }) as unknown,
      }),
    ]);
    expect(r.log).toMatch(/configuration\.manualTriggerConfig\.parallelism: \(none\) -> 3/);
  });

  it('updates what the file changed with a minimal PATCH, the image input overriding the file', async () => {
    const r = await run({
      'job-name': job,
      'job-yaml': file('manual.yaml', definition(240, 'stream')),
      image: `${IMAGE}:2.0`,
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('updated');
    expect(r.outputs.image).toBe(`${IMAGE}:2.0`);
    expect(r.writes).toEqual([`PATCH Microsoft.App/jobs/${job}`]);
    const patch = body(r, 'PATCH');
    // Besides what the file changed, only the run record (tags) rides on the write.
    expect(Object.keys(patch).sort()).toEqual(['properties', 'tags']);
    expect(patch.tags).toEqual({ team: 'data', ...RUN_TAGS });
    expect(patch.properties?.configuration).toEqual({ triggerType: 'Manual', replicaTimeout: 240 });
    expect(patch.properties?.template?.containers).toEqual([
      expect.objectContaining({ name: 'main', image: `${IMAGE}:2.0`, env: [{ name: 'MODE', value: 'stream' }] }),
    ]);
    const j = liveJob(job);
    expect(j.properties.template?.containers?.[0]?.image).toBe(`${IMAGE}:2.0`);
    expect(j.properties.configuration?.manualTriggerConfig).toEqual({ parallelism: 3, replicaCompletionCount: 3 });
    expect(r.log).toContain('configuration.replicaTimeout: 120 -> 240  [job-yaml]');
    expect(r.log).toContain(`template.containers[main].image: ${IMAGE}:1.0 -> ${IMAGE}:2.0\n`);
    expect(r.log).toContain('template.containers[main].env[MODE]: batch -> stream  [job-yaml]');
  });

  it('writes nothing when the job already matches the file and the inputs', async () => {
    const r = await run({
      'job-name': job,
      'job-yaml': file('manual.yaml', definition(240, 'stream')),
      image: `${IMAGE}:2.0`,
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('unchanged');
    expect(r.writes).toEqual([]);
    expect(r.log).toMatch(/No drift: the live job matches job-yaml file 'manual\.yaml'/);
  });

  it('reports and corrects drift: a change made outside the file is set back', async () => {
    // Someone edits the job in the portal: a longer timeout, another env var, a new tag.
    const raw = bed.standIn.arm.getJob(bed.world.resourceGroup, job);
    const j = armJob(raw, `job ${job}`); // the same object, typed: edits to it are edits to raw
    j.properties.configuration!.replicaTimeout = 999;
    j.properties.template!.containers![0]!.env!.push({ name: 'DEBUG', value: '1' });
    j.tags = { ...j.tags, owner: 'portal' };
    bed.standIn.arm.seedJob(bed.world.resourceGroup, raw!, { name: job });

    const dry = await run({
      'job-name': job,
      'job-yaml': 'manual.yaml',
      image: `${IMAGE}:2.0`,
      'dry-run': 'true',
    });
    expect(dry.errors).toEqual([]);
    expect(dry.writes).toEqual([]);
    expect(dry.log).toMatch(
      /Drift: the live job differs from job-yaml file 'manual\.yaml' in 2 settings the file owns \(configuration\.replicaTimeout, template\.containers\[main\]\.env\[DEBUG\]\)/,
    );
    expect(dry.summary).toContain('Drift: the live job differs');

    const r = await run({ 'job-name': job, 'job-yaml': 'manual.yaml', image: `${IMAGE}:2.0` });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('updated');
    expect(r.log).toMatch(/Drift corrected: the live job differed from job-yaml file 'manual\.yaml' in 2 settings/);
    expect(r.log).toContain('configuration.replicaTimeout: 999 -> 240  [job-yaml]');
    expect(r.log).toContain('template.containers[main].env[DEBUG]: 1 -> (removed)  [job-yaml]');
    const after = liveJob(job);
    expect(after.properties.configuration?.replicaTimeout).toBe(240);
    expect(after.properties.template?.containers?.[0]?.env).toEqual([{ name: 'MODE', value: 'stream' }]);
    // Tags the file does not name are not the file's: they stay.
    expect(after.tags).toEqual({ team: 'data', owner: 'portal', ...RUN_TAGS });
  });
});

describe('Schedule trigger', () => {
  const job = 'nightly-report';
  const definition = (cron: string): string => `
properties:
  configuration:
    triggerType: Schedule
    replicaTimeout: 300
    scheduleTriggerConfig:
      cronExpression: '${cron}'
      parallelism: 1
      replicaCompletionCount: 1
  template:
    containers:
      - name: report
        image: ${IMAGE}:1.0
`;

  it('creates a scheduled job and shows its next three runs in UTC', async () => {
    const r = await run({
      'job-name': job,
      'job-yaml': file('nightly.yaml', definition('30 2 * * *')),
      environment: bed.world.environment,
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('created');
    const conf = liveJob(job).properties.configuration;
    expect(conf?.triggerType).toBe('Schedule');
    expect(conf?.scheduleTriggerConfig).toMatchObject({ cronExpression: '30 2 * * *' });
    const next =
      /Next runs \(UTC\) of '30 2 \* \* \*': (\d{4}-\d\d-\d\d 02:30), (\d{4}-\d\d-\d\d 02:30), (\d{4}-\d\d-\d\d 02:30)\./;
    expect(r.log).toMatch(next);
    expect(r.summary).toMatch(next);
    const [, a, b] = next.exec(r.log)!;
    expect(Date.parse(`${b!.replace(' ', 'T')}Z`) - Date.parse(`${a!.replace(' ', 'T')}Z`)).toBe(24 * 3600 * 1000);
  });

  it('changes the schedule, and a cron input overrides the file', async () => {
    const r = await run({ 'job-name': job, 'job-yaml': file('nightly.yaml', definition('0 3 * * MON')) });
    expect(r.errors).toEqual([]);
    expect(body(r, 'PATCH').properties?.configuration).toEqual({
      triggerType: 'Schedule',
      replicaTimeout: 300,
      scheduleTriggerConfig: { cronExpression: '0 3 * * MON' },
    });
    expect(r.log).toContain("Next runs (UTC) of '0 3 * * MON'");

    const o = await run({ 'job-name': job, 'job-yaml': 'nightly.yaml', 'cron-expression': '15 4 * * *' });
    expect(o.errors).toEqual([]);
    expect(liveJob(job).properties.configuration?.scheduleTriggerConfig?.cronExpression).toBe('15 4 * * *');
  });

  it('refuses an invalid cron expression in the file, naming the line, before any call to Azure', async () => {
    const r = await run({ 'job-name': job, 'job-yaml': file('bad-cron.yaml', definition('0 6 * * * *')) });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^job-yaml file 'bad-cron\.yaml' line 7: cronExpression '0 6 \* \* \* \*' is not valid: it has 6 fields/,
      ),
    ]);
    expect(r.requests).toEqual([]);
  });
});

describe('Event trigger with a queue scale rule', () => {
  const job = 'orders-worker';
  const identity = (): string => uai('id-orders');
  const definition = (auth: 'secret' | 'identity'): string => `
identity:
  type: UserAssigned
  userAssignedIdentities:
    ${identity()}: {}
properties:
  environmentId: ${bed.world.environmentId}
  configuration:
    triggerType: Event
    replicaTimeout: 600
    replicaRetryLimit: 1
    eventTriggerConfig:
      parallelism: 2
      replicaCompletionCount: 1
      scale:
        minExecutions: 0
        maxExecutions: 10
        pollingInterval: 30
        rules:
          - name: orders-queue
            type: azure-queue
            metadata:
              accountName: stq
              queueName: orders
              queueLength: 5
${
  auth === 'secret'
    ? `            auth:
              - secretRef: queue-connection
                triggerParameter: connection`
    : `            identity: ${identity()}`
}
    secrets:
      - name: postgres-url
        keyVaultUrl: https://kv-data.vault.azure.net/secrets/postgres-url
        identity: ${identity()}
    identitySettings:
      - identity: ${identity()}
        lifecycle: Main
  template:
    containers:
      - name: worker
        image: ${IMAGE}:1.0
        env:
          - name: POSTGRES_URL
            secretRef: postgres-url
          - name: AZURE_CLIENT_ID
            value: 11111111-1111-1111-1111-111111111111
        volumeMounts:
          - volumeName: scratch
            mountPath: /tmp/work
    volumes:
      - name: scratch
        storageType: EmptyDir
`;

  it('creates an event-driven job: scale rule with secret auth, Key Vault secret, identity, volume', async () => {
    const r = await run({
      'job-name': job,
      'job-yaml': file('orders.yaml', definition('secret')),
      secrets: `queue-connection=${QUEUE_CONNECTION}`,
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('created');
    const j = liveJob(job);
    expect(j.identity?.type).toBe('UserAssigned');
    expect(Object.keys(j.identity?.userAssignedIdentities ?? {})).toEqual([identity()]);
    const conf = j.properties.configuration;
    expect(conf?.triggerType).toBe('Event');
    expect(conf?.eventTriggerConfig).toEqual({
      parallelism: 2,
      replicaCompletionCount: 1,
      scale: {
        minExecutions: 0,
        maxExecutions: 10,
        pollingInterval: 30,
        rules: [
          {
            name: 'orders-queue',
            type: 'azure-queue',
            metadata: { accountName: 'stq', queueName: 'orders', queueLength: '5' },
            auth: [{ secretRef: 'queue-connection', triggerParameter: 'connection' }],
          },
        ],
      },
    });
    expect(conf?.secrets).toEqual(
      expect.arrayContaining([
        {
          name: 'postgres-url',
          keyVaultUrl: 'https://kv-data.vault.azure.net/secrets/postgres-url',
          identity: identity(),
        },
        { name: 'queue-connection', value: QUEUE_CONNECTION },
      ]),
    );
    expect(conf?.identitySettings).toEqual([{ identity: identity(), lifecycle: 'Main' }]);
    expect(j.properties.template?.volumes).toEqual([
      expect.objectContaining({ name: 'scratch', storageType: 'EmptyDir' }),
    ]);
    expect(j.properties.template?.containers?.[0]?.volumeMounts).toEqual([
      expect.objectContaining({ volumeName: 'scratch', mountPath: '/tmp/work' }),
    ]);
    // The connection string is masked, and only the secret's name is shown.
    expect(r.masks).toContain(QUEUE_CONNECTION);
    expect(printed(r)).not.toContain(QUEUE_CONNECTION);
    expect(r.summary).not.toContain(QUEUE_CONNECTION);
    expect(r.log).toContain('configuration.secrets[queue-connection]: (none) -> (new value)');
  });

  it('switches the scale rule to the managed identity, keeping the secrets', async () => {
    const r = await run({ 'job-name': job, 'job-yaml': file('orders.yaml', definition('identity')) });
    expect(r.errors).toEqual([]);
    expect(r.writes).toEqual([`PATCH Microsoft.App/jobs/${job}`]);
    const patch = body(r, 'PATCH');
    expect(Object.keys(patch.properties ?? {})).toEqual(['configuration']);
    expect(patch.properties?.configuration?.eventTriggerConfig?.scale?.rules).toEqual([
      {
        name: 'orders-queue',
        type: 'azure-queue',
        metadata: { accountName: 'stq', queueName: 'orders', queueLength: '5' },
        identity: identity(),
      },
    ]);
    const conf = liveJob(job).properties.configuration;
    expect(conf?.eventTriggerConfig?.scale?.rules?.[0]?.identity).toBe(identity());
    expect(conf?.eventTriggerConfig?.scale?.rules?.[0]?.auth ?? []).toEqual([]);
    expect(conf?.secrets).toContainEqual({ name: 'queue-connection', value: QUEUE_CONNECTION });
    expect(r.log).toContain(
      'configuration.eventTriggerConfig.scale.rules[orders-queue].auth[connection]: connection from secret queue-connection -> (removed)  [job-yaml]',
    );
    expect(r.log).toContain(
      `configuration.eventTriggerConfig.scale.rules[orders-queue].identity: (none) -> ${identity()}  [job-yaml]`,
    );
  });

  it('takes what az containerapp job show -o yaml prints as it is: nothing to change', async () => {
    // The GET view: read-only members (id, systemData, provisioningState, principalId...) and secrets by name only.
    const shown = liveJob(job);
    for (const secret of shown.properties.configuration?.secrets ?? []) delete secret.value;
    const r = await run({ 'job-name': job, 'job-yaml': file('shown.yaml', stringify(shown)) });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.outputs['job-operation']).toBe('unchanged');
    expect(r.writes).toEqual([]);
    expect(r.log).toContain("No drift: the live job matches job-yaml file 'shown.yaml'");
  });

  it('refuses a scale rule that uses an identity the job does not have, naming the line', async () => {
    const text = definition('identity').replace(
      /(\n\s+identity: )\/subscriptions\/[^\n]+id-orders\n(\s+secrets:)/,
      `$1${uai('id-other')}\n$2`,
    );
    expect(text).toContain('id-other');
    const r = await run({ 'job-name': job, 'job-yaml': file('orders-bad.yaml', text) });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^job-yaml file 'orders-bad\.yaml' line \d+: scale rule 'orders-queue' uses identity 'id-other', which is not assigned to the job/,
      ),
    ]);
    expect(r.writes).toEqual([]);
  });
});

describe('checks and dry runs', () => {
  it('fails on a misspelled key with the file, the line and the nearest key, without calling Azure', async () => {
    const r = await run({
      'job-name': 'typo-job',
      'job-yaml': file(
        'typo.yaml',
        ['properties:', '  configuration:', '    triggerType: Manual', '    replicaTimout: 300', ''].join('\n'),
      ),
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      "job-yaml file 'typo.yaml' line 4: unknown key 'replicaTimout' in properties.configuration; did you mean 'replicaTimeout'?",
    ]);
    expect(r.requests).toEqual([]);
  });

  it('fails naming the path when the file is missing', async () => {
    const r = await run({ 'job-name': 'typo-job', 'job-yaml': 'deploy/nope.yaml' });
    expect(r.errors).toEqual([expect.stringMatching(/^job-yaml file 'deploy\/nope\.yaml' was not found/)]);
    expect(r.requests).toEqual([]);
  });

  it('dry run of a new job: shows the plan, outputs created, writes nothing, shows secrets by name only', async () => {
    const text = `
properties:
  configuration:
    triggerType: Manual
    replicaTimeout: 60
    secrets:
      - name: api-key
        value: ${FILE_SECRET}
  template:
    containers:
      - name: app
        image: ${IMAGE}:1.0
        env:
          - name: API_KEY
            secretRef: api-key
`;
    const r = await run({
      'job-name': 'dry-job',
      'job-yaml': file('dry.yaml', text),
      environment: bed.world.environment,
      'dry-run': 'true',
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('created');
    expect(r.outputs.image).toBe(`${IMAGE}:1.0`);
    expect(r.writes).toEqual([]);
    expect(bed.standIn.arm.getJob(bed.world.resourceGroup, 'dry-job')).toBeUndefined();
    expect(r.log).toContain('would be created (dry run: nothing written)');
    expect(r.log).toContain('configuration.secrets[api-key]: (none) -> (new value)');
    expect(r.log).toContain('template.containers[app].env[API_KEY]: (none) -> secretref:api-key');
    expect(r.summary).toContain('Plan: what would change');
    expect(renderedText(r.summary)).toContain('configuration.replicaTimeout');
    expect(r.masks).toContain(FILE_SECRET);
    expect(printed(r)).not.toContain(FILE_SECRET);
    expect(r.summary).not.toContain(FILE_SECRET);
  });

  it('dry run of a change: the diff in the log and the summary, no PATCH, no start', async () => {
    const job = 'manual-batch';
    const before = JSON.stringify(liveJob(job));
    const r = await run({
      'job-name': job,
      'job-yaml': file('manual-dry.yaml', `properties:\n  configuration:\n    replicaRetryLimit: 5\n`),
      'dry-run': 'true',
      start: 'true',
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('updated');
    expect(r.writes).toEqual([]);
    expect(r.arm.every((q) => q.method === 'GET')).toBe(true);
    expect(JSON.stringify(liveJob(job))).toBe(before);
    expect(r.log).toContain('configuration.replicaRetryLimit: 2 -> 5  [job-yaml]');
    expect(renderedText(r.summary)).toMatch(/\| configuration\.replicaRetryLimit \(job-yaml\) \| `2` \| `5` \|/);
    expect(r.summary).toContain('dry run: would be **updated**, nothing written');
  });
});
