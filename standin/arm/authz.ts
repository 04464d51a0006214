/**
 * Azure RBAC, reduced to what the stand-in needs: role assignments (principal, scope, role) and
 * action matching with wildcards, `NotActions`, and scope inheritance (subscription > resource group >
 * resource > child resource).
 */

export interface RoleDefinition {
  actions: string[];
  notActions?: string[];
}

/**
 * A few built-in roles. Owner, Contributor and Reader are the real definitions' control-plane parts;
 * "Container Apps Jobs Operator" is an approximation (read jobs, their executions (the `jobs/ * /read` wildcard covers the real
 * `jobs/execution/read` and `jobs/executions/read`) and environments, start, stop one execution
 * (`jobs/stop/execution/action`) or all (`jobs/stop/action`), list secrets) — see README.
 */
export const BUILTIN_ROLES: Record<string, RoleDefinition> = {
  Owner: { actions: ['*'] },
  Contributor: {
    actions: ['*'],
    notActions: [
      'Microsoft.Authorization/*/Delete',
      'Microsoft.Authorization/*/Write',
      'Microsoft.Authorization/elevateAccess/Action',
      'Microsoft.Blueprint/blueprintAssignments/write',
      'Microsoft.Blueprint/blueprintAssignments/delete',
      'Microsoft.Compute/galleries/share/action',
      'Microsoft.Purview/consents/write',
      'Microsoft.Purview/consents/delete',
      'Microsoft.Resources/deploymentStacks/manageDenySetting/action',
      'Microsoft.Subscription/cancel/action',
      'Microsoft.Subscription/enable/action',
    ],
  },
  Reader: { actions: ['*/read'] },
  'Container Apps Jobs Operator': {
    actions: [
      'Microsoft.App/jobs/read',
      'Microsoft.App/jobs/*/read',
      'Microsoft.App/jobs/start/action',
      'Microsoft.App/jobs/stop/action',
      'Microsoft.App/jobs/stop/execution/action',
      'Microsoft.App/jobs/listSecrets/action',
      'Microsoft.App/managedEnvironments/read',
      'Microsoft.App/managedEnvironments/*/read',
      'Microsoft.Authorization/*/read',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
    ],
  },
  'Container Apps Jobs Reader': {
    actions: [
      'Microsoft.App/jobs/read',
      'Microsoft.App/jobs/*/read',
      'Microsoft.App/managedEnvironments/read',
      'Microsoft.App/managedEnvironments/*/read',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
    ],
  },
  /** Registry data-plane permissions, checked by the ACR token service (standin/acr/acr.ts); no ARM route uses them. */
  AcrPull: { actions: ['Microsoft.ContainerRegistry/registries/pull/read'] },
  AcrPush: {
    actions: ['Microsoft.ContainerRegistry/registries/pull/read', 'Microsoft.ContainerRegistry/registries/push/write'],
  },
};

export interface RoleAssignmentInput {
  /** Object id (or client id) of the principal. */
  principalId: string;
  /** `/subscriptions/S`, `/subscriptions/S/resourceGroups/G`, or a resource id. */
  scope: string;
  /** A built-in role name (see BUILTIN_ROLES) ... */
  role?: string;
  /** ... or an explicit action list (wildcards allowed), like a custom role. */
  actions?: string[];
  notActions?: string[];
}

export interface RoleAssignment {
  id: string;
  principalId: string;
  scope: string;
  roleName: string;
  actions: string[];
  notActions: string[];
  /** Stand-in clock time the assignment takes effect (propagation); absent: at once. */
  effectiveAt?: number;
}

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

export function actionAllowed(def: { actions: string[]; notActions: string[] }, action: string): boolean {
  if (!def.actions.some((p) => patternToRegExp(p).test(action))) return false;
  return !def.notActions.some((p) => patternToRegExp(p).test(action));
}

function segments(id: string): string[] {
  return id
    .toLowerCase()
    .split('/')
    .filter((s) => s !== '');
}

/** True when `scope` is `target` or one of its ancestors (case-insensitive, segment-wise). */
export function scopeCovers(scope: string, target: string): boolean {
  const s = segments(scope);
  const t = segments(target);
  if (s.length > t.length) return false;
  return s.every((seg, i) => seg === t[i]);
}

export function makeAssignment(input: RoleAssignmentInput, id: string): RoleAssignment {
  let actions = input.actions ?? [];
  let notActions = input.notActions ?? [];
  let roleName = 'Custom';
  if (input.role !== undefined) {
    const key = Object.keys(BUILTIN_ROLES).find((k) => k.toLowerCase() === input.role?.toLowerCase());
    if (key === undefined)
      throw new Error(`unknown role '${input.role}' (known: ${Object.keys(BUILTIN_ROLES).join(', ')})`);
    const def = BUILTIN_ROLES[key] as RoleDefinition;
    actions = [...def.actions, ...actions];
    notActions = [...(def.notActions ?? []), ...notActions];
    roleName = key;
  }
  return { id, principalId: input.principalId, scope: input.scope, roleName, actions, notActions };
}

/** Whether any assignment of the principal (matched by object id or client id) allows `action` on `target`. */
export function isAuthorized(
  assignments: readonly RoleAssignment[],
  principal: { oid: string; appid: string },
  action: string,
  target: string,
): boolean {
  const ids = new Set([principal.oid.toLowerCase(), principal.appid.toLowerCase()]);
  return assignments.some(
    (a) => ids.has(a.principalId.toLowerCase()) && scopeCovers(a.scope, target) && actionAllowed(a, action),
  );
}

/** The scope as ARM prints it in AuthorizationFailed messages (`resourcegroups` in lower case). */
export function printedScope(id: string): string {
  return id.replace(/\/resourceGroups\//i, '/resourcegroups/');
}
