/** The set-up command's arguments and plan (pure), and its reconciliation against a recorded fake of ARM. */
import { describe, expect, it } from 'vitest';
import { parseArgs, parseClassFile, UsageError, type SetupOptions } from '../../setup/args.ts';
import { assignmentName, makePlan } from '../../setup/plan.ts';
import { actionMatches, runSetup } from '../../setup/apply.ts';
import { ArmError, type Arm } from '../../setup/arm.ts';

const base = [
  '--subscription',
  'sub-1',
  '--resource-group',
  'rg-hyf-data',
  '--environment',
  'env-hyf-data',
  '--registry',
  'hyfregistry',
];
const one = [...base, '--repo', 'alice/weather-pipeline', '--job', 'alice-weather-job'];
const parse = (argv: string[], files: Record<string, string> = {}): SetupOptions =>
  parseArgs(argv, {}, (p) => {
    if (!(p in files)) throw new Error(`no file ${p}`);
    return files[p]!;
  });

describe('setup arguments', () => {
  it('one repository: the identity is named after the job, main may sign in, a shared pull identity', () => {
    const o = parse(one);
    expect(o.students).toEqual([{ repo: 'alice/weather-pipeline', job: 'alice-weather-job' }]);
    expect(o.identityName).toBe('id-gh-alice-weather-job');
    expect(o.branches).toEqual(['main']);
    expect(o.pullIdentityName).toBe('id-acrpull');
    expect(o.dryRun).toBe(false);
  });

  it('refuses what would fail later: a bad repo, a bad job name, unknown flags, --class with --repo', () => {
    expect(() => parse([...base, '--repo', 'alice', '--job', 'a-job'])).toThrow(/OWNER\/REPO/);
    expect(() => parse([...base, '--repo', 'a/b', '--job', 'Alice_Job'])).toThrow(
      /not a valid Container Apps job name/,
    );
    expect(() => parse([...one, '--frobnicate'])).toThrow(UsageError);
    expect(() => parse([...one, '--class', 'c.txt'], { 'c.txt': 'a/b job-a' })).toThrow(/either --class or --repo/);
    expect(() => parse(base.slice(2))).toThrow(/--subscription is required/);
  });

  it('reads a class file, names the bad line, and keeps chunks under the 20 credentials an identity may have', () => {
    expect(parseClassFile('# class 12\nalice/wp alice-job\n\nbob/wp, bob-job\n', 'c.txt')).toEqual([
      { repo: 'alice/wp', job: 'alice-job' },
      { repo: 'bob/wp', job: 'bob-job' },
    ]);
    expect(() => parseClassFile('alice/wp\n', 'c.txt')).toThrow(/c.txt:1: expected "OWNER\/REPO JOB-NAME"/);
    expect(() =>
      parse([...base, '--class', 'c.txt', '--branch', 'main', '--branch', 'dev', '--chunk-size', '11'], {
        'c.txt': 'a/b job-a',
      }),
    ).toThrow(/exceeds the 20 federated credentials.*at most 10/);
  });
});

describe('action patterns', () => {
  it('match like Azure RBAC: wildcards anywhere, case-insensitive', () => {
    expect(actionMatches('*', 'Microsoft.Authorization/roleAssignments/write')).toBe(true);
    expect(actionMatches('Microsoft.Authorization/*', 'microsoft.authorization/roleAssignments/write')).toBe(true);
    expect(actionMatches('Microsoft.Authorization/*/Write', 'Microsoft.Authorization/roleAssignments/write')).toBe(
      true,
    );
    expect(actionMatches('*/read', 'Microsoft.Authorization/roleAssignments/write')).toBe(false);
    expect(actionMatches('Microsoft.App/*', 'Microsoft.Authorization/roleAssignments/write')).toBe(false);
  });
});

describe('setup plan', () => {
  const facts = {
    environmentId:
      '/subscriptions/sub-1/resourceGroups/rg-hyf-data/providers/Microsoft.App/managedEnvironments/env-hyf-data',
    registryId:
      '/subscriptions/sub-1/resourceGroups/rg-hyf-data/providers/Microsoft.ContainerRegistry/registries/hyfregistry',
    existingJobs: new Set(['alice-job']),
  };

  it('scopes a student to their own job when it exists, and to the resource group only to create a missing one', () => {
    const text = Array.from({ length: 45 }, (_, i) => `s${i}/wp ${i === 0 ? 'alice-job' : `job-${i}`}`).join('\n');
    const plan = makePlan(parse([...base, '--class', 'c.txt'], { 'c.txt': text }), facts);
    expect(plan.identities.map((i) => [i.name, i.credentials.length])).toEqual([
      ['id-gh-rg-hyf-data-1', 20],
      ['id-gh-rg-hyf-data-2', 20],
      ['id-gh-rg-hyf-data-3', 5],
    ]);
    const first = plan.roles.filter((r) => r.identity === 'id-gh-rg-hyf-data-1');
    expect(first.map((r) => `${r.role} ${r.scope.split('/').slice(-2).join('/')}`)).toEqual([
      'Contributor resourceGroups/rg-hyf-data',
      'Contributor jobs/alice-job',
      'Container Apps environment user (GitHub) managedEnvironments/env-hyf-data',
      'Managed Identity Operator userAssignedIdentities/id-acrpull',
    ]);
    expect(plan.roles.filter((r) => r.role === 'AcrPull')).toEqual([
      expect.objectContaining({ identity: 'id-acrpull', scope: facts.registryId }),
    ]);
    expect(plan.roles.some((r) => r.role === 'AcrPush')).toBe(false);
  });

  it('gives the same role assignment name for the same scope, principal and role (idempotent re-runs)', async () => {
    const a = await assignmentName('/S/rg', 'P', 'R');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await assignmentName('/s/RG', 'p', 'r')).toBe(a);
    expect(await assignmentName('/s/rg2', 'p', 'r')).not.toBe(a);
  });
});

/** A small in-memory ARM with just the resources the set-up touches. */
function fakeArm(options: { forbidAssignments?: boolean; jobs?: string[] } = {}) {
  const store = new Map<string, Record<string, unknown>>();
  const writes: string[] = [];
  const key = (p: string): string => p.toLowerCase();
  store.set(
    key('/subscriptions/sub-1/resourceGroups/rg-hyf-data/providers/Microsoft.App/managedEnvironments/env-hyf-data'),
    {
      id: '/subscriptions/sub-1/resourceGroups/rg-hyf-data/providers/Microsoft.App/managedEnvironments/env-hyf-data',
      location: 'westeurope',
    },
  );
  store.set(
    key('/subscriptions/sub-1/resourceGroups/rg-hyf-data/providers/Microsoft.ContainerRegistry/registries/hyfregistry'),
    {
      id: '/subscriptions/sub-1/resourceGroups/rg-hyf-data/providers/Microsoft.ContainerRegistry/registries/hyfregistry',
    },
  );
  for (const j of options.jobs ?? [])
    store.set(key(`/subscriptions/sub-1/resourceGroups/rg-hyf-data/providers/Microsoft.App/jobs/${j}`), { id: j });
  let n = 0;
  const arm: Arm = {
    async get(path) {
      return store.get(key(path));
    },
    async put(path, _v, body) {
      if (options.forbidAssignments && path.includes('roleAssignments'))
        throw new ArmError(
          403,
          'AuthorizationFailed',
          'does not have authorization to perform action Microsoft.Authorization/roleAssignments/write',
        );
      writes.push(path);
      const b = body as { properties?: Record<string, unknown> };
      const value = {
        id: path,
        ...b,
        properties: {
          ...b.properties,
          ...(/userAssignedIdentities\/[^/]+$/.test(path)
            ? { clientId: `client-${++n}`, principalId: `principal-${n}` }
            : {}),
          scope: path.split('/providers/Microsoft.Authorization/roleAssignments/')[0],
        },
      };
      store.set(key(path), value);
      return value;
    },
    async list(path, _v, filter) {
      if (path.endsWith('/permissions'))
        return [{ actions: ['*'], notActions: options.forbidAssignments ? ['Microsoft.Authorization/*/Write'] : [] }];
      if (path.endsWith('roleDefinitions')) {
        const name = /roleName eq '(.*)'/.exec(filter ?? '')?.[1];
        const custom = [...store.values()].find(
          (v) => (v.properties as { roleName?: string } | undefined)?.roleName === name,
        );
        if (custom) return [custom];
        return name === 'Container Apps environment user (GitHub)'
          ? []
          : [{ id: `/subscriptions/sub-1/providers/Microsoft.Authorization/roleDefinitions/${name}` }];
      }
      const prefix = key(path) + '/';
      const principal = /principalId eq '(.*)'/.exec(filter ?? '')?.[1];
      return [...store.entries()]
        .filter(([k]) => (path.endsWith('roleAssignments') ? k.includes('/roleassignments/') : k.startsWith(prefix)))
        .map(([, v]) => v)
        .filter((v) => !principal || (v.properties as { principalId?: string }).principalId === principal);
    },
  };
  return { arm, writes };
}

describe('setup against Azure (fake)', () => {
  const deps = (arm: Arm, lines: string[]) => ({
    arm,
    line: (t: string) => lines.push(t),
    sleep: async () => {},
    tenantId: 'tenant-1',
  });

  it('dry run prints every change and writes nothing; the real run makes them; a second run changes nothing', async () => {
    const { arm, writes } = fakeArm({ jobs: ['alice-weather-job'] });
    const lines: string[] = [];
    const dry = await runSetup(parse([...one, '--dry-run']), deps(arm, lines));
    expect(writes).toEqual([]);
    expect(lines.join('\n')).toContain('+ would create identity id-gh-alice-weather-job');
    expect(lines.join('\n')).toContain(
      '+ would grant id-gh-alice-weather-job Contributor on /subscriptions/sub-1/resourceGroups/rg-hyf-data/providers/Microsoft.App/jobs/alice-weather-job',
    );
    expect(lines.join('\n')).toContain(
      "gh variable set AZURE_CLIENT_ID --repo alice/weather-pipeline --body '<client ID of id-gh-alice-weather-job>'",
    );
    const realLines: string[] = [];
    const real = await runSetup(parse(one), deps(arm, realLines));
    expect(real.changes).toBe(dry.changes);
    expect(writes.filter((w) => w.includes('roleAssignments'))).toHaveLength(4);
    const again: string[] = [];
    const second = await runSetup(parse(one), deps(arm, again));
    expect(second.changes).toBe(0);
    expect(again.filter((l) => l.startsWith('+'))).toEqual([]);
  });

  it('a student without rights is told to ask the TA, before any variable is printed', async () => {
    const { arm } = fakeArm({ forbidAssignments: true });
    await expect(runSetup(parse(one), deps(arm, []))).rejects.toThrow(
      /needs Owner, User Access Administrator.*ask your TA/,
    );
  });
});
