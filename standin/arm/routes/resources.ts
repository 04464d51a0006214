/**
 * The subscription, resource groups, managed environments, container registries (and their admin
 * credentials) and Log Analytics workspaces: read-only routes over the seeded state.
 */
import type { Arm } from '../arm.ts';
import { isAuthorized } from '../authz.ts';
import { ArmError, errors } from '../errors.ts';
import type { RegistryRecord, ResourceGroupRecord } from '../state.ts';
import { type JsonObject, normalizeLocation } from '../util.ts';
import { environmentView, registryView, resourceGroupView } from '../views.ts';
import { type Call, RG, type Reply, type Route, S, key, page, r } from './route.ts';

/** The routes of this module, in matching order. */
export function resourceRoutes(arm: Arm): Route[] {
  return [
    r('GET', S, 'Microsoft.Resources', 'subscriptions', undefined, () => ({
      status: 200,
      body: subscriptionView(arm),
    })),
    r('GET', `${S}/resourcegroups`, 'Microsoft.Resources', 'resourceGroups', undefined, (c) =>
      listResourceGroups(arm, c),
    ),
    r(
      'GET',
      RG,
      'Microsoft.Resources',
      'resourceGroups',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      (c) => getResourceGroup(arm, c),
    ),
    r(
      'GET',
      `${S}/providers/Microsoft.OperationalInsights/workspaces`,
      'Microsoft.OperationalInsights',
      'workspaces',
      'Microsoft.OperationalInsights/workspaces/read',
      (c) => listWorkspaces(arm, c),
    ),
    r(
      'GET',
      `${RG}/providers/Microsoft.OperationalInsights/workspaces`,
      'Microsoft.OperationalInsights',
      'workspaces',
      'Microsoft.OperationalInsights/workspaces/read',
      (c) => listWorkspaces(arm, c),
    ),
    r(
      'GET',
      `${S}/providers/Microsoft.App/managedEnvironments`,
      'Microsoft.App',
      'managedEnvironments',
      'Microsoft.App/managedEnvironments/read',
      (c) => listEnvironments(arm, c),
    ),
    r(
      'GET',
      `${RG}/providers/Microsoft.App/managedEnvironments`,
      'Microsoft.App',
      'managedEnvironments',
      'Microsoft.App/managedEnvironments/read',
      (c) => listEnvironments(arm, c),
    ),
    r(
      'GET',
      `${RG}/providers/Microsoft.App/managedEnvironments/{env}`,
      'Microsoft.App',
      'managedEnvironments',
      'Microsoft.App/managedEnvironments/read',
      (c) => getEnvironment(arm, c),
    ),
    r(
      'GET',
      `${S}/providers/Microsoft.ContainerRegistry/registries`,
      'Microsoft.ContainerRegistry',
      'registries',
      'Microsoft.ContainerRegistry/registries/read',
      (c) => listRegistries(arm, c),
    ),
    // The generic resource list (what `az acr show` and the action use to find a registry), RBAC-filtered.
    r('GET', `${S}/resources`, 'Microsoft.Resources', 'resources', undefined, (c) => listResources(arm, c)),
    r(
      'GET',
      `${RG}/providers/Microsoft.ContainerRegistry/registries`,
      'Microsoft.ContainerRegistry',
      'registries',
      'Microsoft.ContainerRegistry/registries/read',
      (c) => listRegistries(arm, c),
    ),
    r(
      'GET',
      `${RG}/providers/Microsoft.ContainerRegistry/registries/{reg}`,
      'Microsoft.ContainerRegistry',
      'registries',
      'Microsoft.ContainerRegistry/registries/read',
      (c) => getRegistry(arm, c),
    ),
    r(
      'POST',
      `${RG}/providers/Microsoft.ContainerRegistry/registries/{reg}/listCredentials`,
      'Microsoft.ContainerRegistry',
      'registries',
      'Microsoft.ContainerRegistry/registries/listCredentials/action',
      (c) => listRegistryCredentials(arm, c),
      (p) => `/subscriptions/${p.sub}/resourceGroups/${p.rg}/providers/Microsoft.ContainerRegistry/registries/${p.reg}`,
    ),
  ];
}

export function subscriptionView(arm: Arm): JsonObject {
  return {
    id: `/subscriptions/${arm.subscriptionId}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: arm.subscriptionId,
    tenantId: arm.tenantId,
    displayName: 'Stand-in subscription',
    state: 'Enabled',
    subscriptionPolicies: {
      locationPlacementId: 'Public_2014-09-01',
      quotaId: 'PayAsYouGo_2014-09-01',
      spendingLimit: 'Off',
    },
  };
}

export function requireRg(arm: Arm, name: string): ResourceGroupRecord {
  const rg = arm.resourceGroups.get(name.toLowerCase());
  if (!rg) throw errors.resourceGroupNotFound(name);
  return rg;
}

export function listResourceGroups(arm: Arm, c: Call): Reply {
  const value = [...arm.resourceGroups.values()]
    .filter((rg) =>
      isAuthorized(
        arm.effectiveRoleAssignments(),
        c.principal,
        'Microsoft.Resources/subscriptions/resourceGroups/read',
        rg.id,
      ),
    )
    .map(resourceGroupView);
  return { status: 200, body: { value } };
}

export function getResourceGroup(arm: Arm, c: Call): Reply {
  return { status: 200, body: resourceGroupView(requireRg(arm, c.params.rg as string)) };
}

export function listWorkspaces(arm: Arm, c: Call): Reply {
  const rg = c.params.rg?.toLowerCase();
  const value = [...arm.workspaces.values()]
    .filter((w) => rg === undefined || w.resourceGroup.toLowerCase() === rg)
    .filter((w) =>
      isAuthorized(arm.effectiveRoleAssignments(), c.principal, 'Microsoft.OperationalInsights/workspaces/read', w.id),
    )
    .map((w) => ({
      id: w.id,
      name: w.name,
      type: 'Microsoft.OperationalInsights/workspaces',
      location: w.location,
      properties: {
        customerId: w.customerId,
        provisioningState: 'Succeeded',
        sku: { name: 'PerGB2018' },
        retentionInDays: 30,
        publicNetworkAccessForIngestion: 'Enabled',
        publicNetworkAccessForQuery: 'Enabled',
      },
    }));
  return { status: 200, body: { value } };
}

export function listEnvironments(arm: Arm, c: Call): Reply {
  if (c.params.rg !== undefined) requireRg(arm, c.params.rg);
  const value = [...arm.environments.values()]
    .filter((e) => c.params.rg === undefined || e.resourceGroup.toLowerCase() === c.params.rg?.toLowerCase())
    .map((e) => environmentView(e, arm.subscriptionId));
  return { status: 200, body: { value } };
}

export function getEnvironment(arm: Arm, c: Call): Reply {
  requireRg(arm, c.params.rg as string);
  const env = arm.environments.get(key(c.params.rg as string, c.params.env as string));
  if (!env)
    throw errors.resourceNotFound('Microsoft.App/managedEnvironments', c.params.env as string, c.params.rg as string);
  return { status: 200, body: environmentView(env, arm.subscriptionId) };
}

export function listRegistries(arm: Arm, c: Call): Reply {
  if (c.params.rg !== undefined) requireRg(arm, c.params.rg);
  const regs = [...arm.registries.values()].filter(
    (r) => c.params.rg === undefined || r.resourceGroup.toLowerCase() === c.params.rg?.toLowerCase(),
  );
  return page(c, regs, arm.pageSize, registryView);
}

/** A resource as the generic list shows it. */
interface GenericResource {
  id: string;
  name: string;
  type: string;
  location: string;
  tags?: Record<string, string>;
}

/**
 * `GET /subscriptions/{s}/resources[?$filter=resourceType eq '…']`: every registry, environment, job and workspace
 * the caller may read (`<type>/read` at the resource: ARM filters the list by RBAC instead of refusing it), in pages
 * of `arm.pageSize`. Filters other than one `resourceType eq '…'` are 400 InvalidFilterInQueryString (guess: the
 * stand-in understands only that one).
 */
export function listResources(arm: Arm, c: Call): Reply {
  const filter = c.url.searchParams.get('$filter');
  let wanted: string | undefined;
  if (filter !== null && filter.trim() !== '') {
    const m = /^\s*resourceType\s+eq\s+'([^']*)'\s*$/i.exec(filter);
    if (!m)
      throw new ArmError(
        400,
        'InvalidFilterInQueryString',
        `Invalid $filter '${filter}' specified in the query string.`,
      );
    wanted = (m[1] as string).toLowerCase();
  }
  const all: GenericResource[] = [
    ...[...arm.registries.values()].map((x) => ({
      id: x.id,
      name: x.name,
      type: 'Microsoft.ContainerRegistry/registries',
      location: x.location,
    })),
    ...[...arm.environments.values()].map((x) => ({
      id: x.id,
      name: x.name,
      type: 'Microsoft.App/managedEnvironments',
      location: normalizeLocation(x.location),
    })),
    ...[...arm.jobs.values()].map((x) => ({
      id: x.id,
      name: x.name,
      type: 'Microsoft.App/jobs',
      location: normalizeLocation(typeof x.spec.location === 'string' ? x.spec.location : ''),
    })),
    ...[...arm.workspaces.values()].map((x) => ({
      id: x.id,
      name: x.name,
      type: 'Microsoft.OperationalInsights/workspaces',
      location: x.location,
    })),
  ];
  const visible = all.filter(
    (x) =>
      (wanted === undefined || x.type.toLowerCase() === wanted) &&
      isAuthorized(arm.effectiveRoleAssignments(), c.principal, `${x.type}/read`, x.id),
  );
  return page(c, visible, arm.pageSize, (x) => x);
}

export function requireRegistry(arm: Arm, p: Record<string, string>): RegistryRecord {
  requireRg(arm, p.rg as string);
  const reg = arm.registries.get(key(p.rg as string, p.reg as string));
  if (!reg) throw errors.resourceNotFound('Microsoft.ContainerRegistry/registries', p.reg as string, p.rg as string);
  return reg;
}

export function getRegistry(arm: Arm, c: Call): Reply {
  return { status: 200, body: registryView(requireRegistry(arm, c.params)) };
}

export function listRegistryCredentials(arm: Arm, c: Call): Reply {
  const reg = requireRegistry(arm, c.params);
  if (!reg.adminUserEnabled) throw errors.adminUserDisabled(reg.id);
  return {
    status: 200,
    body: {
      username: reg.username,
      passwords: [
        { name: 'password', value: reg.passwords[0] },
        { name: 'password2', value: reg.passwords[1] },
      ],
    },
  };
}
