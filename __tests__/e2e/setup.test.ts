/**
 * The set-up command against the stand-in, as a TA runs it for a class and as a student without rights runs it;
 * then the action signs in as the identity it made, for a student's repository, and deploys and runs the job.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identitiesOf } from '../../standin/arm/routes/identity.ts';
import { startGitHubApi, type GitHubApi } from '../../standin/github/api.ts';
import { startBed, type Bed } from '../../test-support/e2e.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const GH_TOKEN = 'ghp_standin_setup_token';

let bed: Bed;
let gh: GitHubApi;
let dir: string;

async function setup(
  args: string[],
  as: { clientId: string; subject: string },
): Promise<{ code: number; out: string }> {
  const token = bed.standIn.github.mint({ sub: as.subject, aud: 'api://AzureADTokenExchange' });
  const file = join(dir, `token-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, token);
  const s = bed.standIn;
  try {
    const { stdout } = await run(process.execPath, [join(ROOT, 'dist', 'setup.js'), ...args], {
      env: {
        PATH: process.env.PATH,
        NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
        AZURE_CLIENT_ID: as.clientId,
        AZURE_TENANT_ID: s.tenantId,
        AZURE_FEDERATED_TOKEN_FILE: file,
      },
    });
    return { code: 0, out: stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string };
    return { code: err.code ?? 1, out: err.stdout ?? '' };
  }
}

function common(): string[] {
  const s = bed.standIn;
  return [
    '--subscription',
    s.subscriptionId,
    '--resource-group',
    bed.world.resourceGroup,
    '--environment',
    bed.world.environment,
    '--registry',
    bed.world.registryName,
    '--arm-endpoint',
    s.urls.arm,
    '--authority-host',
    s.urls.authority,
    '--oidc-issuer',
    s.urls.github,
    '--github-api',
    gh.url,
  ];
}

const TA = (): { clientId: string; subject: string } => ({ clientId: bed.world.clientId, subject: bed.world.subject });

beforeAll(async () => {
  bed = await startBed({}, { role: 'Owner' });
  gh = await startGitHubApi(bed.standIn, GH_TOKEN);
  gh.addRepository('alice/weather-pipeline');
  gh.addRepository('bob/weather-pipeline');
  dir = mkdtempSync(join(tmpdir(), 'setup-e2e-'));
  writeFileSync(
    join(dir, 'class.txt'),
    '# week 6\nalice/weather-pipeline alice-weather-job\nbob/weather-pipeline bob-weather-job\n',
  );
  const server = bed.world.registryServer;
  bed.standIn.arm.seedJob(bed.world.resourceGroup, {
    name: 'alice-weather-job',
    location: bed.world.location,
    properties: {
      environmentId: bed.world.environmentId,
      configuration: { triggerType: 'Manual', replicaTimeout: 300, replicaRetryLimit: 0 },
      template: {
        containers: [
          { name: 'main', image: `${server}/alice-weather-pipeline:1.0`, resources: { cpu: 0.5, memory: '1Gi' } },
        ],
      },
    },
  });
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await bed?.close();
});

describe('set-up command', () => {
  it('a TA dry run prints every change and writes nothing', async () => {
    const before = bed.standIn.requests.length;
    const r = await setup(
      [...common(), '--class', join(dir, 'class.txt'), '--github-token', GH_TOKEN, '--dry-run'],
      TA(),
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('+ would create identity id-gh-');
    expect(r.out).toContain('+ would let repo:alice/weather-pipeline:ref:refs/heads/main sign in as');
    expect(r.out).toMatch(/\+ would grant id-gh-\S+ Contributor on \S+\/jobs\/alice-weather-job/);
    const writes = bed.standIn.requests.slice(before).filter((q) => q.method !== 'GET' && q.host === 'arm');
    expect(writes).toEqual([]);
    expect(gh.variables.get('alice/weather-pipeline')?.size).toBe(0);
  });

  it('a TA run makes identities, trust, least-privilege roles and the variables; a second run changes nothing', async () => {
    const r = await setup([...common(), '--class', join(dir, 'class.txt'), '--github-token', GH_TOKEN], TA());
    expect(r.code).toBe(0);
    const ids = identitiesOf(bed.standIn.arm);
    const shared = ids.find((i) => i.name.startsWith('id-gh-'))!;
    expect([...shared.credentials.values()].map((c) => c.subject).sort()).toEqual([
      'repo:alice/weather-pipeline:ref:refs/heads/main',
      'repo:bob/weather-pipeline:ref:refs/heads/main',
    ]);
    const roles = bed.standIn.arm.roleAssignments
      .filter((a) => a.principalId === shared.principalId)
      .map((a) => `${a.roleName} ${a.scope.split('/').slice(-2).join('/')}`);
    expect(roles.sort()).toEqual(
      [
        // bob's job does not exist yet: the shared identity gets the group, which covers alice's job too
        `Contributor resourceGroups/${bed.world.resourceGroup}`,
        `Container Apps environment user (GitHub) managedEnvironments/${bed.world.environment}`,
        'Managed Identity Operator userAssignedIdentities/id-acrpull',
      ].sort(),
    );
    const pull = ids.find((i) => i.name === 'id-acrpull')!;
    expect(
      bed.standIn.arm.roleAssignments.some((a) => a.principalId === pull.principalId && a.roleName === 'AcrPull'),
    ).toBe(true);
    const vars = gh.variables.get('alice/weather-pipeline')!;
    expect(vars.get('AZURE_CLIENT_ID')).toBe(shared.clientId);
    expect(vars.get('AZURE_TENANT_ID')).toBe(bed.standIn.tenantId);
    expect(vars.get('AZURE_REGISTRY_IDENTITY')).toBe(pull.id);

    const again = await setup([...common(), '--class', join(dir, 'class.txt'), '--github-token', GH_TOKEN], TA());
    expect(again.code).toBe(0);
    expect(again.out).toContain('Made 0 change(s).');
  });

  it('the action then signs in as that identity for a student repository, deploys with the pull identity and runs', async () => {
    const vars = gh.variables.get('alice/weather-pipeline')!;
    bed.standIn.github.claims.sub = 'repo:alice/weather-pipeline:ref:refs/heads/main';
    bed.standIn.github.claims.repository = 'alice/weather-pipeline';
    const r = await bed.run({
      'client-id': vars.get('AZURE_CLIENT_ID')!,
      'job-name': 'alice-weather-job',
      'image-tag': '1.1',
      'registry-identity': vars.get('AZURE_REGISTRY_IDENTITY')!,
      start: 'true',
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('updated');
    expect(r.outputs['execution-status']).toBe('Succeeded');
  });

  it('a student without the right to assign roles is told to ask the TA, and nothing is assigned', async () => {
    const student = {
      clientId: randomUUID(),
      objectId: randomUUID(),
      subject: 'repo:bob/weather-pipeline:ref:refs/heads/main',
    };
    bed.standIn.entra.addApp({
      clientId: student.clientId,
      objectId: student.objectId,
      displayName: 'bob',
      federatedCredentials: [
        {
          name: 'main',
          issuer: bed.standIn.urls.github,
          subject: student.subject,
          audiences: ['api://AzureADTokenExchange'],
        },
      ],
    });
    bed.standIn.arm.addRoleAssignment({
      principalId: student.objectId,
      scope: `/subscriptions/${bed.standIn.subscriptionId}/resourceGroups/${bed.world.resourceGroup}`,
      role: 'Contributor',
    });
    const before = bed.standIn.arm.roleAssignments.length;
    const r = await setup([...common(), '--repo', 'bob/weather-pipeline', '--job', 'bob-weather-job'], student);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /^Error: You may not create role assignments on .* ask your TA to run the class set-up for bob\/weather-pipeline \(nothing was changed\)\.$/m,
    );
    expect(identitiesOf(bed.standIn.arm).some((i) => i.name === 'id-gh-bob-weather-job')).toBe(false);
    expect(bed.standIn.arm.roleAssignments.length).toBe(before);
  });
});
