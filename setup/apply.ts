/**
 * Makes the plan true in Azure and GitHub, idempotently: what exists is left as it is and said; what is
 * missing is created (or, with --dry-run, only printed). Reads first, writes after, so a missing environment
 * or registry fails before anything is created.
 */
import type { SetupOptions } from './args.ts';
import { API, ArmError, type Arm } from './arm.ts';
import { ghCommand, setVariable, type Variable } from './github.ts';
import {
  assignmentName,
  AUDIENCE,
  ENV_ROLE,
  ENV_ROLE_ACTIONS,
  identityId,
  jobId,
  makePlan,
  resourceGroupId,
  resourceId,
  type Facts,
  type Plan,
  type RolePlan,
} from './plan.ts';

export interface SetupDeps {
  readonly arm: Arm;
  readonly line: (text: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly tenantId: string;
}

export interface SetupResult {
  readonly plan: Plan;
  readonly changes: number;
  readonly variables: readonly Variable[];
}

interface IdentityInfo {
  readonly id: string;
  readonly clientId: string;
  readonly principalId: string;
  /** false only in a dry run, for an identity that would be created. */
  readonly exists: boolean;
  /** Created (or, in a dry run, would be) by this run. */
  readonly created: boolean;
}

export class SetupError extends Error {}

const props = (r: Record<string, unknown> | undefined): Record<string, unknown> =>
  (r?.properties as Record<string, unknown> | undefined) ?? {};
const lastSegment = (id: string): string => id.slice(id.lastIndexOf('/') + 1).toLowerCase();

async function readFacts(options: SetupOptions, arm: Arm): Promise<Facts & { location: string }> {
  const envPath = options.environment.startsWith('/subscriptions/')
    ? options.environment
    : resourceId(options, 'Microsoft.App', 'managedEnvironments', options.environment);
  const env = await arm.get(envPath, API.app);
  if (!env)
    throw new SetupError(
      `Container Apps environment '${options.environment}' was not found in resource group '${options.resourceGroup}': check --environment (az containerapp env list -o table).`,
    );
  let registryId: string | undefined;
  if (options.registry) {
    const path = resourceId(
      options,
      'Microsoft.ContainerRegistry',
      'registries',
      options.registry,
      options.registryResourceGroup,
    );
    const registry = await arm.get(path, API.registry);
    if (!registry)
      throw new SetupError(
        `Container registry '${options.registry}' was not found in resource group '${options.registryResourceGroup}': check --registry, or give --registry-resource-group.`,
      );
    registryId = String(registry.id);
  }
  const existingJobs = new Set<string>();
  for (const s of options.students) {
    const job = await arm.get(jobId(options, s.job), API.app);
    if (job) existingJobs.add(s.job.toLowerCase());
  }
  return {
    environmentId: String(env.id),
    registryId,
    existingJobs,
    location: typeof env.location === 'string' ? env.location : 'westeurope',
  };
}

async function ensureIdentity(
  options: SetupOptions,
  deps: SetupDeps,
  name: string,
  location: string,
): Promise<IdentityInfo> {
  const id = identityId(options, name);
  const found = await deps.arm.get(id, API.identity);
  if (found) {
    deps.line(`= identity ${name} exists (client ID ${String(props(found).clientId)})`);
    return {
      id,
      clientId: String(props(found).clientId),
      principalId: String(props(found).principalId),
      exists: true,
      created: false,
    };
  }
  if (options.dryRun) {
    deps.line(`+ would create identity ${name} in ${options.resourceGroup}`);
    return {
      id,
      clientId: `<client ID of ${name}>`,
      principalId: `<principal of ${name}>`,
      exists: false,
      created: true,
    };
  }
  const created = await deps.arm.put(id, API.identity, { location });
  deps.line(`+ created identity ${name} (client ID ${String(props(created).clientId)})`);
  return {
    id,
    clientId: String(props(created).clientId),
    principalId: String(props(created).principalId),
    exists: true,
    created: true,
  };
}

async function ensureCredentials(
  options: SetupOptions,
  deps: SetupDeps,
  plan: Plan,
  infos: Map<string, IdentityInfo>,
): Promise<number> {
  let changes = 0;
  for (const identity of plan.identities) {
    const info = infos.get(identity.name)!;
    const existing = info.exists ? await deps.arm.list(`${info.id}/federatedIdentityCredentials`, API.identity) : [];
    const subjectsThere = new Set(
      existing
        .filter(
          (c) =>
            props(c).issuer === options.oidcIssuer && (props(c).audiences as string[] | undefined)?.includes(AUDIENCE),
        )
        .map((c) => String(props(c).subject)),
    );
    const missing = identity.credentials.filter((c) => !subjectsThere.has(c.subject));
    if (existing.length + missing.length > 20)
      throw new SetupError(
        `Identity ${identity.name} would have ${existing.length + missing.length} federated credentials; Azure allows 20: use --chunk-size ${Math.max(1, Math.floor(20 / Math.max(1, identity.credentials.length / identity.students.length)) - 1)} or another --identity-name.`,
      );
    for (const c of identity.credentials.filter((c) => subjectsThere.has(c.subject)))
      deps.line(`= ${identity.name} trusts ${c.subject}`);
    for (const c of missing) {
      changes++;
      if (options.dryRun) {
        deps.line(`+ would let ${c.subject} sign in as ${identity.name}`);
        continue;
      }
      await deps.arm.put(`${info.id}/federatedIdentityCredentials/${c.name}`, API.identity, {
        properties: { issuer: options.oidcIssuer, subject: c.subject, audiences: [AUDIENCE] },
      });
      deps.line(`+ ${identity.name} now trusts ${c.subject}`);
    }
  }
  return changes;
}

async function roleDefinitionId(
  options: SetupOptions,
  deps: SetupDeps,
  role: string,
  cache: Map<string, string>,
  envScope: string,
): Promise<string> {
  const cached = cache.get(role);
  if (cached) return cached;
  // Listed at a resource group: an identity with rights on one group may not read the subscription's roles.
  const scope = role === ENV_ROLE ? envScope : resourceGroupId(options);
  const found = await deps.arm.list(
    `${scope}/providers/Microsoft.Authorization/roleDefinitions`,
    API.authorization,
    `roleName eq '${role}'`,
  );
  let id = found[0]?.id as string | undefined;
  if (!id && role === ENV_ROLE) {
    const name = await assignmentName(envScope, 'role-definition', ENV_ROLE);
    id = `${envScope}/providers/Microsoft.Authorization/roleDefinitions/${name}`;
    if (options.dryRun) deps.line(`+ would create the custom role "${ENV_ROLE}" (${ENV_ROLE_ACTIONS.join(', ')})`);
    else {
      await deps.arm.put(id, API.authorization, {
        properties: {
          roleName: ENV_ROLE,
          description:
            'Read and join a Container Apps environment: what deploying a job to a shared environment needs.',
          type: 'CustomRole',
          permissions: [{ actions: ENV_ROLE_ACTIONS, notActions: [] }],
          assignableScopes: [envScope],
        },
      });
      deps.line(`+ created the custom role "${ENV_ROLE}"`);
    }
  }
  if (!id) throw new SetupError(`Azure has no role named '${role}' in subscription ${options.subscription}.`);
  cache.set(role, id);
  return id;
}

function noRights(options: SetupOptions, r: RolePlan, e: ArmError): SetupError {
  return new SetupError(
    `Azure refused to assign ${r.role} on ${r.scope} (${e.code}: ${e.message}): creating role assignments needs Owner, User Access Administrator or Role Based Access Control Administrator there, which students do not have; ask your TA to run the class set-up for ${options.students.map((s) => s.repo).join(', ')}.`,
  );
}

async function ensureRole(
  options: SetupOptions,
  deps: SetupDeps,
  r: RolePlan,
  principalId: string,
  definitionId: string,
): Promise<boolean> {
  if (!principalId.startsWith('<')) {
    const current = await deps.arm.list(
      `${r.scope}/providers/Microsoft.Authorization/roleAssignments`,
      API.authorization,
      `principalId eq '${principalId}'`,
    );
    const covering = current.find(
      (a) =>
        lastSegment(String(props(a).roleDefinitionId)) === lastSegment(definitionId) &&
        r.scope.toLowerCase().startsWith(String(props(a).scope).toLowerCase()),
    );
    if (covering) {
      const at = String(props(covering).scope);
      const through = at.toLowerCase() === r.scope.toLowerCase() ? '' : ` (through its assignment on ${at})`;
      deps.line(`= ${r.identity} has ${r.role} on ${r.scope}${through}`);
      return false;
    }
  }
  if (options.dryRun) {
    deps.line(`+ would grant ${r.identity} ${r.role} on ${r.scope}: ${r.why}`);
    return true;
  }
  const name = await assignmentName(r.scope, principalId, definitionId);
  const body = { properties: { roleDefinitionId: definitionId, principalId, principalType: 'ServicePrincipal' } };
  // A new identity takes a while to reach every replica of Entra ID: PrincipalNotFound is retried for up to 2 minutes.
  for (let attempt = 0; ; attempt++) {
    try {
      await deps.arm.put(
        `${r.scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
        API.authorization,
        body,
      );
      deps.line(`+ granted ${r.identity} ${r.role} on ${r.scope}: ${r.why}`);
      return true;
    } catch (e) {
      if (!(e instanceof ArmError)) throw e;
      if (e.code === 'RoleAssignmentExists') {
        deps.line(`= ${r.identity} has ${r.role} on ${r.scope}`);
        return false;
      }
      if (e.status === 403) throw noRights(options, r, e);
      if (e.code !== 'PrincipalNotFound' || attempt >= 12) throw e;
      if (attempt === 0)
        deps.line(`  (the new identity ${r.identity} is not visible to Azure RBAC yet: retrying for up to 2 minutes)`);
      await deps.sleep(10_000);
    }
  }
}

/** Azure's action patterns (`*` wildcards), matched without regular expressions. */
export function actionMatches(pattern: string, action: string): boolean {
  const p = pattern.toLowerCase();
  const a = action.toLowerCase();
  let pi = 0;
  let ai = 0;
  let star = -1;
  let mark = 0;
  while (ai < a.length) {
    if (pi < p.length && p[pi] === a[ai]) {
      pi++;
      ai++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ai;
    } else if (star >= 0) {
      pi = star + 1;
      ai = ++mark;
    } else return false;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

const ASSIGN = 'Microsoft.Authorization/roleAssignments/write';

/** Fails before anything is written when the caller may not create role assignments where the plan needs them. */
async function checkRights(options: SetupOptions, deps: SetupDeps, plan: Plan, facts: Facts): Promise<void> {
  const scopes = new Set([
    resourceGroupId(options),
    facts.environmentId,
    ...(facts.registryId ? [facts.registryId] : []),
  ]);
  for (const scope of scopes) {
    if (!plan.roles.some((r) => r.scope.toLowerCase().startsWith(scope.toLowerCase()))) continue;
    const grants = await deps.arm.list(`${scope}/providers/Microsoft.Authorization/permissions`, API.authorization);
    const allowed = grants.some(
      (g) =>
        ((g.actions as string[] | undefined) ?? []).some((p) => actionMatches(p, ASSIGN)) &&
        !((g.notActions as string[] | undefined) ?? []).some((p) => actionMatches(p, ASSIGN)),
    );
    if (!allowed)
      throw new SetupError(
        `You may not create role assignments on ${scope}: that needs Owner, User Access Administrator or Role Based Access Control Administrator there, which students do not have; ask your TA to run the class set-up for ${options.students.map((s) => s.repo).join(', ')} (nothing was changed).`,
      );
  }
}

export async function runSetup(options: SetupOptions, deps: SetupDeps): Promise<SetupResult> {
  const facts = await readFacts(options, deps.arm);
  const plan = makePlan(options, facts);
  await checkRights(options, deps, plan, facts);
  deps.line(options.dryRun ? 'Dry run: nothing is changed.' : 'Setting up:');
  const infos = new Map<string, IdentityInfo>();
  for (const name of [...plan.identities.map((i) => i.name), ...(plan.pullIdentity ? [plan.pullIdentity] : [])])
    infos.set(name, await ensureIdentity(options, deps, name, facts.location));
  let changes = [...infos.values()].filter((i) => i.created).length;
  changes += await ensureCredentials(options, deps, plan, infos);
  const cache = new Map<string, string>();
  const envScope = facts.environmentId.slice(0, facts.environmentId.toLowerCase().indexOf('/providers/'));
  for (const r of plan.roles) {
    const definitionId = await roleDefinitionId(options, deps, r.role, cache, envScope);
    if (await ensureRole(options, deps, r, infos.get(r.identity)!.principalId, definitionId)) changes++;
  }
  const variables: Variable[] = plan.identities.flatMap((identity) =>
    identity.students.flatMap((s) => [
      { repo: s.repo, name: 'AZURE_CLIENT_ID', value: infos.get(identity.name)!.clientId },
      { repo: s.repo, name: 'AZURE_TENANT_ID', value: deps.tenantId },
      { repo: s.repo, name: 'AZURE_SUBSCRIPTION_ID', value: options.subscription },
      ...(plan.pullIdentity
        ? [{ repo: s.repo, name: 'AZURE_REGISTRY_IDENTITY', value: infos.get(plan.pullIdentity)!.id }]
        : []),
    ]),
  );
  if (options.githubToken) {
    for (const v of variables) {
      const result = await setVariable(options.githubApi, options.githubToken, v, options.dryRun);
      if (result !== 'unchanged') changes++;
      deps.line(
        `${result === 'unchanged' ? '=' : '+'} ${v.repo} variable ${v.name} ${options.dryRun && result !== 'unchanged' ? `would be ${result}` : result}`,
      );
    }
  } else {
    deps.line('Set the repository variables (no GitHub token given), e.g. in Cloud Shell after `gh auth login`:');
    for (const v of variables) deps.line(`  ${ghCommand(v)}`);
  }
  deps.line(`${options.dryRun ? 'Would make' : 'Made'} ${changes} change(s).`);
  return { plan, changes, variables };
}
