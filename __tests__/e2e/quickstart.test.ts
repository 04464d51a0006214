/**
 * "First run for a class": a new student with only the README and the TA's set-up pastes the workflow, and it
 * deploys, runs and passes. Everything comes from README.md's "Quick start" as written: the class-list line, the
 * TA's `node dist/setup.js …` command (run as the bundle, against the stand-in, as the TA, with only the stand-in's
 * endpoint flags added), the `gh secret set` names and the workflow's action step, whose `${{ vars.X }}` are what the
 * set-up wrote to the GitHub stand-in. The action then builds the Dockerfile with real podman, pushes to a real
 * registry behind the stand-in's ACR, deploys and runs, signed in as the identity the set-up made for the student's
 * repository on main.
 *
 * What the test changes from the README, and why: the endpoint flags and inputs (arm-endpoint, authority-host, and
 * for the set-up oidc-issuer and github-api); the registry's login server: the stand-in ACR answers on
 * `localhost:PORT`, so `hyfregistry.azurecr.io/` in `image` becomes that (the same registry in ARM: hyfregistry in
 * rg-hyf-data); `$(az account show …)` is the stand-in's subscription, `$GH_TOKEN` the GitHub stand-in's token,
 * `secrets.X` test values; the TA signs in with a workload identity instead of `az login`.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRegistryBinary, startAcr, type StandInAcr } from '../../standin/acr/acr.ts';
import { identitiesOf, type IdentityRecord } from '../../standin/arm/routes/identity.ts';
import { startGitHubApi, type GitHubApi } from '../../standin/github/api.ts';
import { pullManifestAs } from '../../test-support/acr-pull.ts';
import { containerTools, which, type ContainerTools } from '../../test-support/containers.ts';
import { findLeaks, startBed, type Bed, type E2eRun } from '../../test-support/e2e.ts';
import { renderedText } from '../../test-support/markdown.ts';
import { parseQuickStart, shellWords, stepInputs, type QuickStart } from '../../test-support/readme-quickstart.ts';

/** The parts of a job (as the stand-in's GET shows it, secret values included) that these tests read. */
interface JobView {
  identity?: { type?: string; userAssignedIdentities?: Record<string, unknown> };
  properties: {
    configuration: {
      replicaTimeout?: number;
      registries?: { server?: string; identity?: string }[];
      secrets?: { name: string; value?: string }[];
    };
    template: { containers: { image?: string; env?: { name: string; value?: string; secretRef?: string }[] }[] };
  };
}

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const SBIN = ['/usr/sbin', '/sbin'];
const missing = [
  !findRegistryBinary() && 'docker-registry',
  !which('podman', SBIN) && 'podman',
  !which('runc', SBIN) && 'runc',
  !existsSync('/bin/busybox') && 'busybox-static',
].filter((m): m is string => typeof m === 'string');
if (missing.length > 0) {
  console.warn(
    `SKIPPING the README quick-start end-to-end tests (they build the student's Dockerfile): ${missing.join(', ')} missing (apt-get install docker-registry podman runc busybox-static; .ci/run installs them).`,
  );
}

/** The course's Azure names (what the TA's subscription has). */
const COURSE = { resourceGroup: 'rg-hyf-data', environment: 'env-hyf-data', registry: 'hyfregistry' };
const GH_TOKEN = 'ghp_standin_quickstart_token';
/** What `gh secret set` stored, by secret name (test values: long enough for the leak check). */
const SECRET_VALUES: Record<string, string> = {
  POSTGRES_URL: 'postgresql://alice:pg-Secret-7f3k9q@hyf-pg.postgres.database.azure.com:5432/weather',
  AZURE_STORAGE_CONNECTION_STRING:
    'DefaultEndpointsProtocol=https;AccountName=hyfdata;AccountKey=c3RvcmFnZS1rZXktZm9yLXRlc3RzLW9ubHk=;EndpointSuffix=core.windows.net',
};
const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';
const DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
CMD ["/bin/busybox", "echo", "weather pipeline"]
`;
/** What Python prints when the program reads an environment variable the job does not have. */
const KEY_ERROR = [
  'Traceback (most recent call last):',
  '  File "/app/pipeline.py", line 8, in <module>',
  '    POSTGRES_URL = os.environ["POSTGRES_URL"]',
  '                   ~~~~~~~~~~^^^^^^^^^^^^^^^^',
  '  File "<frozen os>", line 714, in __getitem__',
  "KeyError: 'POSTGRES_URL'",
];

let bed: Bed;
let gh: GitHubApi;
let acr: StandInAcr;
let tools: ContainerTools;
let qs: QuickStart;
let dir: string;
/** The TA's clone (a folder name with a space, as on many laptops); its dist/ is this repository's bundle. */
let clone: string;
let workspace: string;
let repo: string;
let jobName: string;
let setupOut: string;
/** The repository variables the set-up wrote for the student. */
let vars: Record<string, string>;

/** The README's set-up command, run as the TA runs it: from the clone's root, `students.txt` beside dist/. */
async function runSetup(): Promise<{ code: number; out: string }> {
  const argv = shellWords(qs.setupCommand, {
    commands: { 'az account show --query id -o tsv': bed.standIn.subscriptionId },
    env: { GH_TOKEN },
  });
  expect(argv.slice(0, 2)).toEqual(['node', 'dist/setup.js']);
  const s = bed.standIn;
  const tokenFile = join(dir, 'ta-token');
  writeFileSync(tokenFile, s.github.mint({ sub: bed.world.subject, aud: 'api://AzureADTokenExchange' }));
  const endpoints = ['--arm-endpoint', s.urls.arm, '--authority-host', s.urls.authority];
  const more = ['--oidc-issuer', s.urls.github, '--github-api', gh.url];
  try {
    const { stdout } = await run(process.execPath, [...argv.slice(1), ...endpoints, ...more], {
      cwd: clone,
      env: {
        PATH: process.env.PATH,
        NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
        // The TA's sign-in (Cloud Shell's az login there).
        AZURE_CLIENT_ID: bed.world.clientId,
        AZURE_TENANT_ID: s.tenantId,
        AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      },
    });
    return { code: 0, out: stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

/** The inputs the runner gives the README's action step, for a push of SHA to main. */
function inputsOf(withs: Record<string, unknown>): Record<string, string> {
  const inputs = stepInputs(withs, { vars, secrets: SECRET_VALUES, github: { sha: SHA } });
  const readmeHost = `${COURSE.registry}.azurecr.io/`;
  expect(inputs.image, 'the quick start pushes to the course registry').toMatch(new RegExp(`^${readmeHost}`));
  inputs.image = `${acr.loginServer}/${inputs.image!.slice(readmeHost.length)}`;
  // bed.run fills in the stand-in world's identity and group for inputs a step omits: the README must give them.
  for (const name of ['client-id', 'tenant-id', 'subscription-id', 'resource-group'])
    expect(inputs, `the quick start's step sets ${name}`).toHaveProperty(name);
  return { ...inputs, 'arm-endpoint': bed.standIn.urls.arm, 'authority-host': bed.standIn.urls.authority };
}

/** Runs the step as GitHub runs it for a push to main of the student's repository. */
function runStep(inputs: Record<string, string>): Promise<E2eRun> {
  const branch = qs.workflow.on?.push?.branches?.[0];
  expect(branch, 'the quick start deploys on pushes to main').toBe('main');
  const ref = `refs/heads/${branch}`;
  Object.assign(bed.standIn.github.claims, { sub: `repo:${repo}:ref:${ref}`, repository: repo, ref, sha: SHA });
  return bed.run(inputs, {
    workspace,
    env: {
      NODE_EXTRA_CA_CERTS: bed.standIn.tls.caFile,
      ...tools.env,
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
    },
    oidc: qs.workflow.permissions?.['id-token'] === 'write' ? bed.standIn.oidc : false,
    secrets: Object.values(SECRET_VALUES),
    github: { repository: repo, ref, sha: SHA },
  });
}

function madeIdentity(clientId: string): IdentityRecord {
  const found = identitiesOf(bed.standIn.arm).find((i) => i.clientId === clientId);
  if (!found) throw new Error(`no identity with client id ${clientId}`);
  return found;
}

function liveJob(): JobView | undefined {
  return bed.standIn.arm.getJob(COURSE.resourceGroup, jobName) as unknown as JobView | undefined;
}

describe.skipIf(missing.length > 0)("README quick start: a student's first run for a class", () => {
  beforeAll(async () => {
    qs = parseQuickStart(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    [repo, jobName] = qs.classLine.split(/\s+/) as [string, string];
    bed = await startBed({}, { ...COURSE, role: 'Owner' });
    // The course registry as a real one: same name and group in ARM, reached at localhost:PORT.
    acr = await startAcr(bed.standIn, { resourceGroup: COURSE.resourceGroup, name: COURSE.registry });
    gh = await startGitHubApi(bed.standIn, GH_TOKEN);
    gh.addRepository(repo);
    tools = containerTools(bed.standIn.tls.caFile);

    dir = mkdtempSync(join(tmpdir(), 'quickstart-'));
    clone = join(dir, 'Course work', 'deploy-container-apps-job');
    mkdirSync(clone, { recursive: true });
    symlinkSync(join(ROOT, 'dist'), join(clone, 'dist'));
    writeFileSync(join(clone, 'students.txt'), `${qs.classLine}\n`);
    const r = await runSetup();
    setupOut = r.out;
    expect(r.code, r.out).toBe(0);
    expect(r.out, 'the set-up command ran').toMatch(/^Made \d+ change\(s\)\.$/m);
    vars = Object.fromEntries(gh.variables.get(repo.toLowerCase()) ?? []);
    // Stands for the registry's name: for an image on hyfregistry.azurecr.io the action knows it is ACR by the
    // name; the stand-in registry answers on localhost:PORT, which the action recognises as ACR only by finding it
    // in the subscription's registries. Only that read is added to what the set-up granted.
    if (vars.AZURE_CLIENT_ID)
      bed.standIn.arm.addRoleAssignment({
        principalId: madeIdentity(vars.AZURE_CLIENT_ID).principalId,
        scope: `/subscriptions/${bed.standIn.subscriptionId}`,
        actions: ['Microsoft.ContainerRegistry/registries/read'],
      });

    workspace = mkdtempSync(join(tmpdir(), 'quickstart-repo-'));
    copyFileSync(tools.busybox!, join(workspace, 'busybox'));
    writeFileSync(join(workspace, 'Dockerfile'), DOCKERFILE);
  });
  afterAll(async () => {
    await acr?.close();
    await bed?.close();
    tools?.close();
    for (const d of [dir, workspace]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('the set-up gives the repository every variable the workflow reads, and the secrets are the ones step 2 sets', () => {
    expect(setupOut).toMatch(new RegExp(`^\\+ \\S+ now trusts repo:${repo}:ref:refs/heads/main$`, 'm'));
    const read = (prefix: string): string[] =>
      [...JSON.stringify(qs.actionStep.with).matchAll(new RegExp(`\\$\\{\\{\\s*${prefix}\\.(\\w+)\\s*\\}\\}`, 'g'))]
        .map((m) => m[1]!)
        .sort();
    expect(Object.keys(vars).sort()).toEqual(expect.arrayContaining(read('vars')));
    expect(read('vars').length).toBeGreaterThan(0);
    expect(qs.secretNames.sort()).toEqual(read('secrets'));
  });

  it('the pasted workflow builds, deploys (created), runs and passes, signed in as the set-up’s identity', async () => {
    bed.standIn.arm.deleteJob(COURSE.resourceGroup, jobName);
    const r = await runStep(inputsOf(qs.actionStep.with));

    // What the student sees: a green step, the job created, the run succeeded, in the outputs and the summary.
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs['job-operation']).toBe('created');
    expect(r.outputs['execution-status']).toBe('Succeeded');
    const execution = r.outputs['execution-name']!;
    expect(execution).toMatch(new RegExp(`^${jobName}-[a-z0-9]{7}$`));
    const summary = renderedText(r.summary);
    expect(summary).toContain(`### ✅ Container Apps job [${jobName}](`);
    expect(summary).toContain('| Deploy | **created** |');
    expect(summary).toContain(`| Execution | [${execution}](`);
    expect(summary).toContain('| Status | ✅ Succeeded |');
    expect(findLeaks(r, Object.values(SECRET_VALUES))).toEqual([]);

    // Signed in as the identity the set-up made for this repository (not the TA's), for every ARM call.
    const workflowIdentity = madeIdentity(vars.AZURE_CLIENT_ID!);
    expect(new Set(r.arm.map((q) => q.principal))).toEqual(new Set([workflowIdentity.principalId]));

    // The job runs what the registry holds under the commit's tag, and pulls it with the class's pull identity.
    const digest = await acr.manifestDigest('alice-weather-pipeline', SHA);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const deployed = `${acr.loginServer}/alice-weather-pipeline@${digest}`;
    const job = liveJob()!;
    expect(job.properties.template.containers.map((c) => c.image)).toEqual([deployed]);
    expect(job.properties.configuration.registries).toEqual([
      { server: acr.loginServer, identity: vars.AZURE_REGISTRY_IDENTITY },
    ]);
    expect(Object.keys(job.identity?.userAssignedIdentities ?? {})).toEqual([vars.AZURE_REGISTRY_IDENTITY]);
    const pull = identitiesOf(bed.standIn.arm).find((i) => i.id === vars.AZURE_REGISTRY_IDENTITY)!;
    expect(await pullManifestAs(bed.standIn, acr, pull.clientId, deployed)).toEqual({ status: 200, digest });

    // The Key Vault values arrived as job secrets, used through secretref.
    const secrets = (job.properties.configuration.secrets ?? []).map((s) => [s.name, s.value]);
    expect(Object.fromEntries(secrets)).toEqual({
      'postgres-url': SECRET_VALUES.POSTGRES_URL,
      'storage-connection-string': SECRET_VALUES.AZURE_STORAGE_CONNECTION_STRING,
    });
    expect(job.properties.template.containers[0]!.env).toEqual([
      { name: 'LOG_LEVEL', value: 'INFO' },
      { name: 'POSTGRES_URL', secretRef: 'postgres-url' },
      { name: 'AZURE_STORAGE_CONNECTION_STRING', secretRef: 'storage-connection-string' },
    ]);
    expect(job.properties.configuration.replicaTimeout).toBe(300);
  });

  it('a program that reads POSTGRES_URL the workflow does not give fails the step naming POSTGRES_URL and the line to add', async () => {
    bed.standIn.arm.deleteJob(COURSE.resourceGroup, jobName);
    const withs = { ...qs.actionStep.with };
    const envVars = String(withs['env-vars']).split('\n');
    const kept = envVars.filter((l) => !l.startsWith('POSTGRES_URL='));
    const dropped = envVars.filter((l) => l.startsWith('POSTGRES_URL='));
    expect(dropped).toEqual(['POSTGRES_URL=secretref:postgres-url']);
    withs['env-vars'] = kept.join('\n');
    const arm = bed.standIn.arm;
    const before = arm.defaultExecutionScript;
    arm.setDefaultExecutionScript({
      durationMs: 300,
      outcome: 'Failed',
      exitCode: 1,
      logs: KEY_ERROR.map((text) => ({ text, stream: 'stderr' as const })),
    });
    let r: E2eRun;
    try {
      r = await runStep(inputsOf(withs));
    } finally {
      arm.setDefaultExecutionScript(before);
    }
    expect(r.exitCode).toBe(1);
    expect(r.outputs['job-operation']).toBe('created');
    expect(r.outputs['execution-status']).toBe('Failed');
    expect(r.outputs['exit-code']).toBe('1');
    expect(r.errors).toHaveLength(1);
    // The cause, named, with the fix: the very line the student left out of the README's env-vars.
    expect(r.errors[0]).toMatch(
      /^Execution '\S+' of job 'alice-weather-job' ended Failed after \d+ s: container \S+ exited with code 1: the program needs environment variable POSTGRES_URL, which the job does not set \(its output: KeyError: 'POSTGRES_URL'\); /,
    );
    expect(r.errors[0]).toContain(`as ${dropped[0]} with postgres-url=\${{ secrets.POSTGRES_URL }} in input 'secrets'`);
    expect(liveJob()!.properties.template.containers[0]!.env?.map((e) => e.name)).not.toContain('POSTGRES_URL');
    expect(findLeaks(r, Object.values(SECRET_VALUES))).toEqual([]);
  });
});
