/**
 * Recorded Azure traffic, replayed: the bundled action (dist/index.js, run as the runner runs it) against a server
 * that answers ARM requests with exactly the responses recorded from real Azure by the Azure CLI and Azure
 * PowerShell test suites (__tests__/recordings/, see NOTICE.md there). No stand-in logic sits between the action and
 * the recorded answers; sign-in (GitHub OIDC, Entra ID) comes from the stand-in because it is not what is recorded.
 * The action is pointed at the recorded subscription, resource group and job names, so recorded IDs stay as they are.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobApi } from '../../src/azure/arm.ts';
import { httpsFetch } from '../../standin/common/http.ts';
import { findLeaks } from '../../test-support/e2e.ts';
import { armJobBody } from '../../test-support/arm-json.ts';
import { runAction, type RunResult } from '../../test-support/harness.ts';
import {
  loadCassette,
  startReplay,
  type Interaction,
  type ReplayServer,
  type Step,
} from '../../test-support/replay.ts';
import { startStandIn, type SeededWorld, type StandIn } from '../../standin/index.ts';
import { allExecutionsSince } from '../../src/execution/execution.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'recordings');
/** R1: az containerapp job create, Feb 2026, api-version 2025-07-01. */
const CREATE_2026 = loadCassette(
  join(DIR, 'azure-cli_test_containerappjob_create_with_default_parallelism.EXCERPT.yaml'),
);
/** R2: az containerapp job create / start / execution list, show / stop, Aug 2023, 2023-04-01-preview. */
const EXECUTIONS_2023 = loadCassette(join(DIR, 'azure-cli_test_containerapp_job_executionstest_e2e.EXCERPT.yaml'));
/** R3: Update-AzContainerAppJob, Start-AzContainerAppJob, Get-AzContainerAppJobExecution, Nov 2024, 2023-05-01. */
const POWERSHELL_2024 = loadCassette(join(DIR, 'azure-powershell_AzContainerAppJob.EXCERPT.yaml'));
/** Errors reported (not recorded) in public threads: 409 operation in progress, 400 RFC 7807 problem details. */
const REPORTED_ERRORS = loadCassette(join(DIR, 'reported-errors.yaml'));

const ZERO_SUB = '00000000-0000-0000-0000-000000000000';

let standIn: StandIn;
let world: SeededWorld;
const servers: ReplayServer[] = [];

beforeAll(async () => {
  standIn = await startStandIn();
  world = standIn.seedDefault();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await standIn?.close();
});

function step(interaction: Interaction | undefined, extra: Omit<Step, 'interaction'> = {}): Step {
  if (!interaction) throw new Error('no such recorded interaction');
  return { interaction, ...extra };
}

/**
 * NOT RECORDED: the answer ARM gives a GET of a job that does not exist. None of the vendored recordings has one
 * (the Azure CLI and PowerShell do not read a job before creating it), and the action reads the job first to
 * choose between create and update. ARM's documented ResourceNotFound shape, with the recorded IDs; to be replaced
 * by a recorded one (see the Recordings section of standin/README.md).
 */
function notFound(jobId: string, resourceGroup: string, name: string): Interaction {
  return {
    source: 'not-recorded:ResourceNotFound',
    method: 'GET',
    uri: `https://management.azure.com${jobId}?api-version=2025-07-01`,
    requestBody: null,
    status: 404,
    headers: {
      'Cache-Control': ['no-cache'],
      'Content-Type': ['application/json; charset=utf-8'],
      'x-ms-failure-cause': ['gateway'],
    },
    body: JSON.stringify({
      error: {
        code: 'ResourceNotFound',
        message: `The Resource 'Microsoft.App/jobs/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFound`,
      },
    }),
  };
}

interface Replayed extends RunResult {
  replay: ReplayServer;
}

async function replay(
  steps: Step[],
  inputs: Record<string, string>,
  ids: { subscriptionId: string; resourceGroup: string },
): Promise<Replayed> {
  const server = await startReplay({ tls: standIn.tls, steps });
  servers.push(server);
  const result = await runAction({
    inputs: {
      'client-id': world.clientId,
      'tenant-id': world.tenantId,
      'subscription-id': ids.subscriptionId,
      'resource-group': ids.resourceGroup,
      'arm-endpoint': server.url,
      'authority-host': standIn.urls.authority,
      logs: 'false',
      ...inputs,
    },
    oidc: standIn.oidc,
    env: { NODE_EXTRA_CA_CERTS: standIn.tls.caFile },
    ...(process.env.E2E_ACTION_DIR ? { actionDir: process.env.E2E_ACTION_DIR } : {}),
  });
  const leaks = findLeaks(result, [
    standIn.oidc.requestToken,
    ...standIn.github.issuedTokens.map((t) => t.token),
    ...standIn.entra.issuedAccessTokens,
  ]);
  if (leaks.length) throw new Error(`The action leaked secrets: ${leaks.join('; ')}`);
  return { ...result, replay: server };
}

/** What went wrong, for a failing expectation: the requests that found no recorded answer and the annotations. */
function why(r: Replayed): string {
  return JSON.stringify({ unmatched: r.replay.unmatched(), unused: r.replay.unused(), errors: r.errors }, null, 2);
}

describe('create (az containerapp job create, 2026, api-version 2025-07-01)', () => {
  const rg = 'clitest.rg000001';
  const job = 'job-defaults000002';
  const jobId = `/subscriptions/${ZERO_SUB}/resourceGroups/${rg}/providers/Microsoft.App/jobs/${job}`;

  it('creates the job through the signed Azure-AsyncOperation URL polled InProgress, InProgress, Succeeded', async () => {
    const r = await replay(
      [
        step(notFound(jobId, rg, job)),
        step(CREATE_2026[0]), // PUT 201, Azure-AsyncOperation (signed URL), no Retry-After
        step(CREATE_2026[1]), // InProgress
        step(CREATE_2026[2]), // InProgress
        step(CREATE_2026[3]), // Succeeded
        step(CREATE_2026[4]), // GET job, Succeeded
      ],
      {
        'job-name': job,
        environment: `/subscriptions/${ZERO_SUB}/resourceGroups/client.env_rg_eastus/providers/Microsoft.App/managedEnvironments/env-eastus`,
        location: 'eastus',
        image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest',
        'api-version': '2025-07-01',
      },
      { subscriptionId: ZERO_SUB, resourceGroup: rg },
    );
    expect(r.exitCode, why(r)).toBe(0);
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('created');
    expect(r.outputs['job-id']).toBe(jobId);
    expect(r.outputs.image).toBe('mcr.microsoft.com/k8se/quickstart-jobs:latest');
    // What the action sent agrees with what the Azure CLI sent and Azure accepted.
    const sent = armJobBody(JSON.parse(r.replay.requests.find((q) => q.method === 'PUT')?.body ?? '{}'));
    const recorded = armJobBody(JSON.parse(CREATE_2026[0]!.requestBody ?? '{}'));
    expect(sent.properties?.environmentId).toBe(recorded.properties?.environmentId);
    expect(sent.properties?.configuration?.triggerType.toLowerCase()).toBe('manual');
    expect(sent.properties?.template?.containers?.[0]?.image).toBe(
      recorded.properties?.template?.containers?.[0]?.image,
    );
    expect(r.replay.unmatched()).toEqual([]);
    expect(r.replay.unused()).toEqual([]);
  });
});

describe('update and start (Azure PowerShell, 2024, api-version 2023-05-01)', () => {
  const sub = '9e223dbe-3399-4e19-88eb-0975f02ac87f';
  const ids = { subscriptionId: sub, resourceGroup: 'ay1z0k2' };
  const P = POWERSHELL_2024;

  it('updates the image through PATCH 202 + Location (Retry-After 15) and starts without waiting', async () => {
    const r = await replay(
      [
        step(P[0]), // GET job: image quickstart-jobs:latest, a Liveness probe
        step(P[1]), // PATCH 202, Location (signed), Retry-After 15, empty body
        step(P[2]), // poll: 200 with the updated job
        step(P[3]), // POST start: 200 {id, name}
      ],
      {
        'job-name': 'axwpfl',
        image: 'mcr.microsoft.com/k8se/quickstart:latest',
        start: 'true',
        wait: 'false',
        'api-version': '2023-05-01',
      },
      ids,
    );
    expect(r.exitCode, why(r)).toBe(0);
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('updated');
    expect(r.outputs.image).toBe('mcr.microsoft.com/k8se/quickstart:latest');
    expect(r.outputs['execution-name']).toBe('axwpfl-cnoa9te');
    expect(r.outputs['execution-status']).toBe('Running');
    expect(r.replay.unused()).toEqual([]);
    // The patch the action sent changes the image and keeps what the user did not touch (the recorded probe).
    const patch = r.replay.requests.find((q) => q.method === 'PATCH');
    const container = armJobBody(JSON.parse(patch?.body ?? '{}')).properties?.template?.containers?.[0];
    expect(container?.image).toBe('mcr.microsoft.com/k8se/quickstart:latest');
    const recorded = armJobBody(JSON.parse(P[0]!.body)).properties?.template?.containers?.[0];
    expect(recorded?.probes).toBeDefined();
    expect(container?.probes).toEqual(recorded?.probes);
    expect(container?.resources).toMatchObject({ cpu: 0.25, memory: '0.5Gi' });
  });

  it('reads the 2024 execution shape (env, imageType, no detailedStatus) while waiting, and leaves it running on timeout', async () => {
    const r = await replay(
      [step(P[0]), step(P[3]), step(P[4], { repeat: true })],
      { 'job-name': 'axwpfl', start: 'true', timeout: '2s', 'on-timeout': 'leave', 'api-version': '2023-05-01' },
      ids,
    );
    expect(r.replay.unmatched(), why(r)).toEqual([]);
    expect(r.exitCode).toBe(1);
    expect(r.outputs['execution-name']).toBe('axwpfl-cnoa9te');
    expect(r.outputs['execution-status']).toBe('TimedOut');
    expect(r.outputs['exit-code']).toBeUndefined(); // 2023-05-01 executions carry no exit codes
    expect(r.log).toContain('Execution axwpfl-cnoa9te: Running');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/did not finish within 2 s and was left running/);
    expect(r.replay.requests.some((q) => q.method === 'POST' && /\/stop$/i.test(q.path))).toBe(false);
  });
});

describe('start, watch, stop (az containerapp job, 2023, api-version 2023-04-01-preview)', () => {
  const rg = 'clitest.rg000001';
  const E = EXECUTIONS_2023;
  const execution = 'job2000004-7dzkvo6';

  it('stops an execution that outlives the timeout; the recorded stop answer is a JSON string', async () => {
    const r = await replay(
      [
        step(E[4]), // GET job, Succeeded
        step(E[9]), // POST start: 200 {id, name} of job2000004-7dzkvo6
        // The recording reads only the other execution while Running: its answer, with this execution's name.
        step(E[8], { repeat: true, rewrite: [['job2000004-br3gnpe', execution]] }),
        // Recorded on the preview route POST .../jobs/{job}/stop/{execution}; the action uses the stable route
        // POST .../jobs/{job}/executions/{execution}/stop. Answer: 200 "Job Execution: …, stopped successfully."
        step(E[10], {
          path: `/subscriptions/${ZERO_SUB}/resourceGroups/${rg}/providers/Microsoft.App/jobs/job2000004/executions/${execution}/stop`,
        }),
      ],
      { 'job-name': 'job2000004', start: 'true', timeout: '3s', 'api-version': '2023-04-01-preview' },
      { subscriptionId: ZERO_SUB, resourceGroup: rg },
    );
    expect(r.replay.unmatched(), why(r)).toEqual([]);
    expect(r.replay.unused()).toEqual([]);
    expect(r.exitCode).toBe(1);
    expect(r.outputs['execution-name']).toBe(execution);
    expect(r.outputs['execution-status']).toBe('TimedOut');
    expect(r.log).toContain(`Stopped execution ${execution}.`);
    expect(r.errors).toEqual([
      `Execution '${execution}' of job 'job2000004' did not finish within 3 s and was stopped. Raise input 'timeout' (or the job's replica-timeout) if the job needs longer.`,
    ]);
  });

  it('lists executions (no nextLink) and reads a stopped execution (no endTime) through the action’s client', async () => {
    const server = await startReplay({ tls: standIn.tls, steps: [step(E[7]), step(E[11])] });
    servers.push(server);
    const api = createJobApi({
      credential: {
        getToken: () => Promise.resolve({ token: 'replayed', expiresOnTimestamp: Date.now() + 3_600_000 }),
      },
      subscriptionId: ZERO_SUB,
      resourceGroup: rg,
      jobName: 'job2000004',
      endpoint: server.url,
      scope: 'https://management.azure.com/.default',
      apiVersion: '2023-04-01-preview',
    });
    const listed = await allExecutionsSince(api, 0);
    expect(listed.map((e) => [e.name, e.status, e.startTime?.toISOString()])).toEqual([
      ['job2000004-br3gnpe', 'Running', '2023-08-08T03:42:48.000Z'],
    ]);
    const stopped = await api.getExecution(execution);
    expect([stopped.status, stopped.endTime]).toEqual(['Stopped', undefined]);
    expect(server.unused()).toEqual([]);
  });
});

describe('unchanged: a run asking for what the recorded job already has writes nothing', () => {
  const settings = (timeout: string, retries: string, parallelism: string): Record<string, string> => ({
    'trigger-type': 'Manual',
    cpu: '0.25',
    memory: '0.5Gi',
    'replica-timeout': timeout,
    'replica-retry-limit': retries,
    parallelism,
    'replica-completion-count': '1',
  });
  const cases = [
    {
      name: '2026 job (identitySettings [], ephemeralStorage "")',
      job: CREATE_2026[5],
      ids: { subscriptionId: ZERO_SUB, resourceGroup: 'clitest.rg000001' },
      inputs: {
        'job-name': 'job-defaults000002',
        image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest',
        ...settings('200', '2', '1'),
      },
    },
    {
      name: '2023 job (workloadProfileName null, ephemeralStorage "1Gi")',
      job: EXECUTIONS_2023[5],
      ids: { subscriptionId: ZERO_SUB, resourceGroup: 'clitest.rg000001' },
      inputs: {
        'job-name': 'job2000004',
        image: 'mcr.microsoft.com/k8se/quickstart:latest',
        ...settings('200', '1', '1'),
      },
    },
    {
      name: '2024 job (a Liveness probe)',
      job: POWERSHELL_2024[0],
      ids: { subscriptionId: '9e223dbe-3399-4e19-88eb-0975f02ac87f', resourceGroup: 'ay1z0k2' },
      inputs: {
        'job-name': 'axwpfl',
        image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest',
        ...settings('10', '10', '4'),
      },
    },
  ];
  it.each(cases)('$name', async ({ job, ids, inputs }) => {
    const r = await replay([step(job)], inputs, ids);
    expect(r.replay.unmatched(), why(r)).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs['job-operation']).toBe('unchanged');
    expect(r.replay.requests.map((q) => q.method)).toEqual(['GET']);
  });
});

describe('errors Azure returned (reported in public threads, see reported-errors.yaml)', () => {
  async function createAgainst(error: Interaction, rg: string, job: string): Promise<Replayed> {
    const jobId = `/subscriptions/${ZERO_SUB}/resourceGroups/${rg}/providers/Microsoft.App/jobs/${job}`;
    return replay(
      [step(notFound(jobId, rg, job)), step(error)],
      {
        'job-name': job,
        environment: `/subscriptions/${ZERO_SUB}/resourceGroups/${rg}/providers/Microsoft.App/managedEnvironments/env`,
        location: 'eastus',
        image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest',
      },
      { subscriptionId: ZERO_SUB, resourceGroup: rg },
    );
  }

  it('409 ContainerAppsJobOperationInProgress: one error line with the code and Azure’s message', async () => {
    const r = await createAgainst(
      REPORTED_ERRORS[0]!,
      'acctest-CAJob260221012423851980',
      'acctest-cajob260221012423851980',
    );
    // After the 409 the action re-reads the job to wait for the other operation (then re-plans); the recording has
    // no answer for those reads, so Azure's 409 stays the error. Nothing else may be unmatched.
    expect(
      r.replay.unmatched().filter((u) => !u.startsWith('GET ')),
      why(r),
    ).toEqual([]);
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain('409 ContainerAppsJobOperationInProgress');
    expect(r.errors[0]).toContain(
      "Cannot modify a container apps job 'acctest-cajob260221012423851980' because there is an active provisioning operation in progress. OperationId: '887af948-c5c7-4dcf-9684-48a1a6ca2f52'",
    );
  });

  // Azure's RFC 7807 validation answer has no `error` object; the SDK alone would say "Unexpected status code: 400".
  it('400 RFC 7807 problem details: the error line carries Azure’s validation message', async () => {
    const r = await createAgainst(REPORTED_ERRORS[1]!, 'RG-EUR-WW-POC-DL', 'azp-agent-job');
    expect(r.replay.unmatched(), why(r)).toEqual([]);
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(
      "Azure refused to create job 'azp-agent-job' in resource group 'RG-EUR-WW-POC-DL' (400",
    );
    expect(r.errors[0]).toContain('One or more validation errors occurred.');
    expect(r.errors[0]).toContain(
      'Unknown properties eventTriggerConfig in Microsoft.ContainerApps.WebApi.Views.Version20221101Preview.ContainerAppsJobConfiguration are not supported',
    );
  });
});

describe('the replay server', () => {
  it('answers a request that is not the next recorded one with 599 naming it and the expected one', async () => {
    const server = await startReplay({ tls: standIn.tls, steps: [step(EXECUTIONS_2023[6])] });
    servers.push(server);
    const res = await httpsFetch(
      `${server.url}/subscriptions/x/resourceGroups/y/providers/Microsoft.App/jobs/z?api-version=1`,
    );
    expect(res.status).toBe(599);
    expect(res.text).toContain(
      'No recorded interaction answers GET /subscriptions/x/resourceGroups/y/providers/Microsoft.App/jobs/z',
    );
    expect(res.text).toContain(
      '/jobs/job2000004/start (azure-cli_test_containerapp_job_executionstest_e2e.EXCERPT.yaml#6)',
    );
    expect(server.unmatched()).toHaveLength(1);
    expect(server.unused()).toEqual(['azure-cli_test_containerapp_job_executionstest_e2e.EXCERPT.yaml#6']);
  });

  it('sends the recorded status, headers and body, with the polling host pointed at itself', async () => {
    const server = await startReplay({ tls: standIn.tls, steps: [step(CREATE_2026[0])] });
    servers.push(server);
    const res = await httpsFetch(
      `${server.url}/subscriptions/${ZERO_SUB}/resourceGroups/clitest.rg000001/providers/Microsoft.App/jobs/job-defaults000002?api-version=2026-07-01`,
      { method: 'PUT', body: {} },
    );
    expect(res.status).toBe(201);
    expect(res.text).toBe(CREATE_2026[0]!.body);
    expect(res.headers['x-ms-async-operation-timeout']).toBe('PT15M');
    expect(res.headers['azure-asyncoperation']).toBe(
      CREATE_2026[0]!.headers['azure-asyncoperation']![0]!.replace('https://management.azure.com', server.url),
    );
  });
});
