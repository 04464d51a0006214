/**
 * The core of the action, end to end: the bundled dist/index.js run as the GitHub runner runs it, against the
 * HTTPS stand-in of GitHub OIDC, Entra ID and Azure Resource Manager.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, type Bed } from '../../test-support/e2e.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PG_URL = 'postgres://alice:pa55-w0rd-xyz@db.example/weather';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.close();
});

function image(tag: string): string {
  return `${bed.world.registryServer}/alice-weather-pipeline:${tag}`;
}

/** What the action itself printed, apart from the ::add-mask:: commands that hide values. */
function printed(r: { stdout: string; post?: { stdout: string } }): string {
  return (r.stdout + (r.post?.stdout ?? ''))
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
}

function liveJob(name: string): Json {
  return bed.standIn.arm.getJob(bed.world.resourceGroup, name) as Json;
}

describe('deploy', () => {
  const job = 'alice-weather-job';

  it('creates a job with the create defaults, env vars, a secret and ACR admin credentials', async () => {
    const r = await bed.run({
      'job-name': job,
      environment: bed.world.environment,
      image: image('1.0'),
      'env-vars': 'LOG_LEVEL=INFO\nPOSTGRES_URL=secretref:postgres-url',
      secrets: `postgres-url=${PG_URL}`,
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs['job-operation']).toBe('created');
    expect(r.outputs['job-id']).toBe(
      `/subscriptions/${bed.world.subscriptionId}/resourceGroups/${bed.world.resourceGroup}/providers/Microsoft.App/jobs/${job}`,
    );
    expect(r.outputs.image).toBe(image('1.0'));
    expect(r.writes).toEqual([`PUT Microsoft.App/jobs/${job}`]);

    const props = liveJob(job).properties;
    expect(props.environmentId).toBe(bed.world.environmentId);
    expect(props.configuration).toMatchObject({
      triggerType: 'Manual',
      replicaTimeout: 300,
      replicaRetryLimit: 0,
      manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
    });
    expect(props.configuration.registries).toEqual([
      expect.objectContaining({ server: bed.world.registryServer, username: bed.world.registryUsername }),
    ]);
    const secretNames = props.configuration.secrets.map((s: Json) => s.name).sort();
    expect(secretNames).toHaveLength(2);
    expect(props.configuration.secrets).toContainEqual({ name: 'postgres-url', value: PG_URL });
    expect(props.template.containers[0]).toMatchObject({
      name: job,
      image: image('1.0'),
      env: [
        { name: 'LOG_LEVEL', value: 'INFO' },
        { name: 'POSTGRES_URL', secretRef: 'postgres-url' },
      ],
      resources: { cpu: 0.5, memory: '1Gi' },
    });
    // The admin password is masked and the user is told to prefer an identity.
    expect(r.masks).toContain(bed.world.registryPassword);
    expect(r.notices.join('\n')).toMatch(/registry-identity/);
    for (const secret of [PG_URL, bed.world.registryPassword]) {
      expect(printed(r)).not.toContain(secret);
      expect(r.summary).not.toContain(secret);
      expect(JSON.stringify(r.outputs)).not.toContain(secret);
    }
    expect(r.summary).toContain('**created**');
  });

  it('updates only the image tag with PATCH, keeping env vars and secrets', async () => {
    const r = await bed.run({ 'job-name': job, 'image-tag': '1.1' });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('updated');
    expect(r.outputs.image).toBe(image('1.1'));
    expect(r.writes).toEqual([`PATCH Microsoft.App/jobs/${job}`]);
    const patch = r.arm.find((q) => q.method === 'PATCH')!.body as Json;
    expect(Object.keys(patch)).toEqual(['properties']);
    expect(Object.keys(patch.properties)).toEqual(['template']);
    const props = liveJob(job).properties;
    expect(props.template.containers[0].image).toBe(image('1.1'));
    expect(props.template.containers[0].env).toHaveLength(2);
    expect(props.configuration.secrets).toContainEqual({ name: 'postgres-url', value: PG_URL });
    expect(r.log).toMatch(/image: .*:1\.0 -> .*:1\.1/);
  });

  it('reports unchanged and writes nothing when the job already matches', async () => {
    const r = await bed.run({ 'job-name': job, image: image('1.1'), 'env-vars': 'LOG_LEVEL=INFO' });
    expect(r.exitCode).toBe(0);
    expect(r.outputs['job-operation']).toBe('unchanged');
    expect(r.writes).toEqual([]);
    expect(r.summary).toContain('nothing was written');
  });

  it('adds a secret without losing the existing ones, and replaces env vars when asked', async () => {
    const r = await bed.run({
      'job-name': job,
      secrets: 'storage-key=st0rage-k3y-value',
      'env-vars': 'STORAGE_KEY=secretref:storage-key',
      'env-vars-update': 'replace',
    });
    expect(r.errors).toEqual([]);
    expect(r.writes).toEqual([`PATCH Microsoft.App/jobs/${job}`]);
    expect(r.arm.map((q) => q.method + ' ' + q.path.split('/').pop())).toContain('POST listSecrets');
    const props = liveJob(job).properties;
    expect(props.configuration.secrets).toContainEqual({ name: 'postgres-url', value: PG_URL });
    expect(props.configuration.secrets).toContainEqual({ name: 'storage-key', value: 'st0rage-k3y-value' });
    expect(props.template.containers[0].env).toEqual([{ name: 'STORAGE_KEY', secretRef: 'storage-key' }]);
    expect(printed(r)).not.toContain('st0rage-k3y-value');
    expect(r.masks).toContain('st0rage-k3y-value');
  });

  it('changes the trigger to a schedule and the replica timeout', async () => {
    const r = await bed.run({
      'job-name': job,
      'trigger-type': 'Schedule',
      'cron-expression': '0 6 * * *',
      'replica-timeout': '600',
    });
    expect(r.errors).toEqual([]);
    const conf = liveJob(job).properties.configuration;
    expect(conf.triggerType).toBe('Schedule');
    expect(conf.scheduleTriggerConfig).toMatchObject({ cronExpression: '0 6 * * *' });
    expect(conf.manualTriggerConfig ?? null).toBeNull();
    expect(conf.replicaTimeout).toBe(600);
    expect(conf.secrets).toHaveLength(3);
  });

  it('fails with the fix when creating a job without an environment, and writes nothing', async () => {
    const r = await bed.run({ 'job-name': 'bob-weather-job', image: image('1.0') });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/needs input 'environment'/);
    expect(r.writes).toEqual([]);
  });

  it('fails when the environment does not exist, naming it', async () => {
    const r = await bed.run({ 'job-name': 'bob-weather-job', image: image('1.0'), environment: 'env-nope' });
    expect(r.errors).toEqual([expect.stringMatching(/environment 'env-nope' was not found in resource group/)]);
    expect(r.writes).toEqual([]);
  });

  it('fails before writing when the registry admin user is disabled', async () => {
    const other = await startBed({}, { registryAdminUserEnabled: false });
    try {
      const r = await other.run({
        'job-name': 'carol-job',
        environment: other.world.environment,
        image: `${other.world.registryServer}/carol:1`,
      });
      expect(r.errors).toEqual([expect.stringMatching(/admin user disabled.*registry-identity.*AcrPull/)]);
      expect(r.writes).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('creates a job that pulls with a managed identity when registry-identity is system', async () => {
    const r = await bed.run({
      'job-name': 'dave-job',
      environment: bed.world.environment,
      image: image('2.0'),
      'registry-identity': 'system',
    });
    expect(r.errors).toEqual([]);
    const j = liveJob('dave-job');
    expect(j.identity.type).toBe('SystemAssigned');
    expect(j.properties.configuration.registries).toEqual([{ server: bed.world.registryServer, identity: 'system' }]);
    expect(j.properties.configuration.secrets ?? []).toEqual([]);
  });
});

describe('run and wait', () => {
  const job = 'erin-job';
  beforeAll(async () => {
    const r = await bed.run({
      'job-name': job,
      environment: bed.world.environment,
      image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest',
    });
    expect(r.exitCode).toBe(0);
  });

  it('starts an execution, waits for it and reports success', async () => {
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { durationMs: 1500, outcome: 'Succeeded' });
    const r = await bed.run({ 'job-name': job, start: 'true' });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs['execution-status']).toBe('Succeeded');
    expect(r.outputs['execution-name']).toMatch(new RegExp(`^${job}-[a-z0-9]{7}$`));
    expect(r.outputs['execution-id']).toContain(`/jobs/${job}/executions/${r.outputs['execution-name']}`);
    expect(r.outputs['exit-code']).toBe('0');
    expect(Number(r.outputs['execution-duration'])).toBeGreaterThanOrEqual(1);
    expect(r.outputs['portal-url']).toContain(`/jobs/${job}/executionHistory`);
    expect(r.outputs['job-operation']).toBeUndefined();
    expect(r.writes).toEqual([`POST Microsoft.App/jobs/${job}/start`]);
    expect(r.summary).toMatch(/Status \| ✅ Succeeded/);
    // One GitHub ID token serves the run while it stays valid (MSAL asks for the assertion twice per token).
    expect(r.requests.filter((q) => q.host === 'github')).toHaveLength(1);
    expect(r.log).toMatch(/Execution .*: Running/);
  });

  it('fails the step with status, exit code, reason and message when the execution fails', async () => {
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, {
      durationMs: 500,
      outcome: 'Failed',
      exitCode: 3,
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    const r = await bed.run({ 'job-name': job, start: 'true' });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      /ended Failed after \d+ s: container .* exited with code 3; reason BackoffLimitExceeded; Job has reached the specified backoff limit/,
    );
    expect(r.outputs['execution-status']).toBe('Failed');
    expect(r.outputs['exit-code']).toBe('3');
    expect(r.summary).toContain('Exit code | 3');
  });

  it('stops an execution that outlives the timeout and fails saying so', async () => {
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    const r = await bed.run({ 'job-name': job, start: 'true', timeout: '3s' });
    expect(r.exitCode).toBe(1);
    expect(r.errors[0]).toMatch(/did not finish within 3 s and was stopped/);
    expect(r.outputs['execution-status']).toBe('TimedOut');
    const name = r.outputs['execution-name']!;
    expect(r.writes).toEqual([
      `POST Microsoft.App/jobs/${job}/start`,
      `POST Microsoft.App/jobs/${job}/executions/${name}/stop`,
    ]);
    const exec = bed.standIn.arm.listExecutions(bed.world.resourceGroup, job).find((e) => e.name === name) as Json;
    expect(exec.properties.status).toBe('Stopped');
    // The post step sees the execution handled and does nothing.
    expect(r.post?.exitCode).toBe(0);
    expect(r.post?.log ?? '').not.toMatch(/stopping/i);
  });

  it('leaves it running on timeout when on-timeout is leave', async () => {
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { outcome: 'Hang' });
    const r = await bed.run({ 'job-name': job, start: 'true', timeout: '2s', 'on-timeout': 'leave' });
    expect(r.exitCode).toBe(1);
    expect(r.errors[0]).toMatch(/left running/);
    expect(r.writes).toEqual([`POST Microsoft.App/jobs/${job}/start`]);
    const name = r.outputs['execution-name']!;
    await bed.run({ 'job-name': job, start: 'false', image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest' });
    const exec = bed.standIn.arm.listExecutions(bed.world.resourceGroup, job).find((e) => e.name === name) as Json;
    expect(exec.properties.status).toBe('Running');
  });

  it('starts without waiting when wait is false', async () => {
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, { durationMs: 5000 });
    const r = await bed.run({ 'job-name': job, start: 'true', wait: 'false' });
    expect(r.exitCode).toBe(0);
    expect(r.outputs['execution-status']).toBe('Running');
    expect(r.arm.filter((q) => q.path.includes('/executions/'))).toEqual([]);
  });

  it('passes per-execution overrides in the start request without changing the job', async () => {
    const before = JSON.stringify(liveJob(job).properties.template);
    const r = await bed.run({
      'job-name': job,
      start: 'true',
      'execution-env-vars': 'RUN_DATE=2026-11-01',
      'execution-args': '--full\n--date=2026-11-01',
    });
    expect(r.errors).toEqual([]);
    const start = r.arm.find((q) => q.path.endsWith('/start'))!;
    expect(start.body).toMatchObject({
      containers: [
        {
          name: job,
          image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest',
          env: [{ name: 'RUN_DATE', value: '2026-11-01' }],
          args: ['--full', '--date=2026-11-01'],
        },
      ],
    });
    expect(JSON.stringify(liveJob(job).properties.template)).toBe(before);
    expect(r.writes).toEqual([`POST Microsoft.App/jobs/${job}/start`]);
  });

  it('explains a start-only run on a job that does not exist', async () => {
    const r = await bed.run({ 'job-name': 'no-such-job', start: 'true' });
    expect(r.errors).toEqual([expect.stringMatching(/Job 'no-such-job' was not found in resource group/)]);
    expect(r.writes).toEqual([]);
  });
});

describe('inputs and authentication', () => {
  it('rejects a bad input with one error line before any request', async () => {
    const r = await bed.run({ 'job-name': 'Alice_Weather', image: 'x:1' });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/job-name/);
    expect(r.requests).toEqual([]);
  });

  it('says how to fix a missing id-token permission', async () => {
    const r = await bed.run({ 'job-name': 'alice-weather-job', start: 'true' }, { oidc: false });
    expect(r.errors).toEqual([expect.stringMatching(/permissions: id-token: write/)]);
    expect(r.requests).toEqual([]);
  });

  it("shows the token's issuer, subject and audience when Entra has no matching federated credential", async () => {
    const other = await startBed({}, { subject: 'repo:octo-org/octo-repo:environment:production' });
    try {
      const r = await other.run({ 'job-name': 'alice-weather-job', start: 'true' });
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(/AADSTS700213/);
      expect(r.errors[0]).toContain("subject 'repo:octo-org/octo-repo:ref:refs/heads/main'");
      expect(r.errors[0]).toContain(`issuer '${other.standIn.urls.github}`);
      expect(r.errors[0]).toContain("audience 'api://AzureADTokenExchange'");
      expect(r.errors[0]).toMatch(/federated credential/);
      expect(r.arm).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it("keeps Azure's code and message when the identity has no role, and says the fix", async () => {
    const other = await startBed({}, { role: null });
    try {
      const r = await other.run({ 'job-name': 'alice-weather-job', start: 'true' });
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(
        /\(403 AuthorizationFailed\): The client '.*' with object id '.*' does not have authorization to perform action 'Microsoft.App\/jobs\/read'/,
      );
      expect(r.errors[0]).toMatch(/Fix: give the identity a role/);
    } finally {
      await other.close();
    }
  });

  it('explains a missing azure/login for auth-type azure-cli', async () => {
    const r = await bed.run({ 'job-name': 'alice-weather-job', start: 'true', 'auth-type': 'azure-cli' });
    expect(r.errors).toEqual([expect.stringMatching(/azure\/login/)]);
    expect(r.arm).toEqual([]);
  });

  it("signs in with the runner's managed identity (auth-type managed-identity, App Service style endpoint)", async () => {
    const secretHeader = 'msi-header-0123456789';
    const calls: string[] = [];
    await bed.standIn.addHost('msi', (req, res) => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      calls.push(`${url.searchParams.get('resource')} ${req.headers['x-identity-header'] === secretHeader}`);
      if (req.headers['x-identity-header'] !== secretHeader) {
        res.writeHead(401).end();
        return;
      }
      const token = bed.standIn.entra.issueAccessToken({ clientId: bed.world.clientId });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          access_token: token,
          expires_on: String(Math.floor(Date.now() / 1000) + 3600),
          resource: url.searchParams.get('resource'),
          token_type: 'Bearer',
          client_id: bed.world.clientId,
        }),
      );
    });
    const r = await bed.run(
      {
        'job-name': 'alice-weather-job',
        'auth-type': 'managed-identity',
        'client-id': '',
        'tenant-id': '',
        image: image('1.1'),
      },
      { oidc: false, env: { IDENTITY_ENDPOINT: `${bed.standIn.urls.msi}/msi/token`, IDENTITY_HEADER: secretHeader } },
    );
    expect(r.errors).toEqual([]);
    expect(r.log).toContain('Signing in with the managed identity.');
    expect(calls[0]).toBe('https://management.azure.com true');
    expect(r.requests.filter((q) => q.host === 'github')).toEqual([]);
  });

  it('asks GitHub for a fresh token whenever Azure needs a new one (short token lifetimes)', async () => {
    const short = await startBed({ tokenLifetimeSec: 2, oidcTokenLifetimeSec: 2 });
    try {
      await short.run({
        'job-name': 'frank-job',
        environment: short.world.environment,
        image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest',
      });
      short.standIn.arm.scriptExecutions(short.world.resourceGroup, 'frank-job', { durationMs: 6000 });
      const before = short.standIn.github.issued;
      const r = await short.run({ 'job-name': 'frank-job', start: 'true' });
      expect(r.errors).toEqual([]);
      expect(r.outputs['execution-status']).toBe('Succeeded');
      expect(r.arm.filter((q) => q.status === 401)).toEqual([]);
      expect(short.standIn.github.issued - before).toBeGreaterThan(2);
      expect(r.requests.filter((q) => q.host === 'entra' && q.method === 'POST').length).toBeGreaterThan(2);
    } finally {
      await short.close();
    }
  });

  it("uses the sovereign cloud's management scope with endpoint overrides", async () => {
    const r = await bed.run({
      'job-name': 'alice-weather-job',
      cloud: 'AzureUSGovernment',
      start: 'false',
      image: image('1.1'),
    });
    const token = r.requests.find(
      (q) => q.host === 'entra' && q.method === 'POST' && String(q.body).includes('scope='),
    );
    expect(decodeURIComponent(String(token?.body))).toContain('scope=https://management.usgovcloudapi.net/.default');
  });
});
