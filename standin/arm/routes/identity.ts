/**
 * What the set-up command writes: user-assigned managed identities (Microsoft.ManagedIdentity) with their
 * federated identity credentials, role definitions (the built-in ones by their real IDs, and custom roles) and
 * role assignments at any scope (Microsoft.Authorization). An identity's federated credentials are registered
 * with the Entra stand-in (`linkEntra`), so GitHub OIDC tokens of the trusted subjects sign in as it; a role
 * assignment made here authorizes like a seeded one.
 *
 * Shapes follow the 2023-01-31 (identities) and 2022-04-01 (authorization) APIs. Errors: 404 ResourceNotFound /
 * RoleDefinitionDoesNotExist, 400 PrincipalNotFound for an unknown principal, 409 RoleAssignmentExists for the
 * same principal, role and scope under another name (messages from public error reports; see standin/README.md).
 */
import { randomUUID } from 'node:crypto';
import type { EntraId } from '../../entra/entra.ts';
import type { Arm } from '../arm.ts';
import { BUILTIN_ROLES, makeAssignment, scopeCovers, type RoleAssignment } from '../authz.ts';
import { ArmError, errors } from '../errors.ts';
import { parseJsonBody } from '../../common/http.ts';
import { RG, key, r, type Call, type Reply, type Route } from './route.ts';

export interface FederatedCredentialRecord {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface IdentityRecord {
  id: string;
  name: string;
  location: string;
  clientId: string;
  principalId: string;
  credentials: Map<string, FederatedCredentialRecord>;
}

interface RoleDefinitionRecord {
  id: string;
  roleName: string;
  type: 'BuiltInRole' | 'CustomRole';
  actions: string[];
  notActions: string[];
  assignableScopes: string[];
}

/** Built-in roles by their real IDs (the same in every subscription). */
const BUILTIN_IDS: Record<string, string> = {
  Owner: '8e3af657-a8ff-443c-a75c-2fe7c4bcb635',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  AcrPush: '8311e382-0749-4cb8-b61a-304f252e45ec',
  'Managed Identity Operator': 'f1a07417-d97a-45cb-824c-7a7467783830',
  'Log Analytics Reader': '73c42c96-874c-492b-b04d-ab87d138a893',
  'User Access Administrator': '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
};

/** Actions of the built-in roles authz.ts does not carry (control-plane parts of the real definitions). */
const EXTRA_ROLES: Record<string, { actions: string[]; notActions: string[] }> = {
  'Managed Identity Operator': {
    actions: [
      'Microsoft.ManagedIdentity/userAssignedIdentities/*/read',
      'Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action',
      'Microsoft.Authorization/*/read',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
    ],
    notActions: [],
  },
  'Log Analytics Reader': {
    actions: [
      '*/read',
      'Microsoft.OperationalInsights/workspaces/analytics/query/action',
      'Microsoft.OperationalInsights/workspaces/search/action',
    ],
    notActions: [],
  },
  'User Access Administrator': { actions: ['*/read', 'Microsoft.Authorization/*'], notActions: [] },
};

interface World {
  identities: Map<string, IdentityRecord>;
  definitions: Map<string, RoleDefinitionRecord>;
  /** Assignment ID (lower case) → role definition ID, for assignments made through the API. */
  assignmentRoles: Map<string, string>;
  entra?: EntraId;
  githubIssuer?: string;
}

const worlds = new WeakMap<Arm, World>();

function worldOf(arm: Arm): World {
  let w = worlds.get(arm);
  if (!w) {
    w = { identities: new Map(), definitions: new Map(), assignmentRoles: new Map() };
    for (const [name, guid] of Object.entries(BUILTIN_IDS)) {
      const def = BUILTIN_ROLES[name] ?? EXTRA_ROLES[name]!;
      const id = `/subscriptions/${arm.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
      w.definitions.set(id.toLowerCase(), {
        id,
        roleName: name,
        type: 'BuiltInRole',
        actions: def.actions,
        notActions: def.notActions ?? [],
        assignableScopes: ['/'],
      });
    }
    worlds.set(arm, w);
  }
  return w;
}

/** Lets identities created through ARM sign in with their federated credentials (as Entra does for real ones). */
export function linkEntra(arm: Arm, entra: EntraId): void {
  worldOf(arm).entra = entra;
}

/** The identities created through the API (tests read client IDs and credentials here). */
export function identitiesOf(arm: Arm): IdentityRecord[] {
  return [...worldOf(arm).identities.values()];
}

function syncEntra(w: World, identity: IdentityRecord): void {
  if (!w.entra) return;
  w.entra.removeApp(identity.clientId);
  w.entra.addApp({
    clientId: identity.clientId,
    objectId: identity.principalId,
    displayName: identity.name,
    federatedCredentials: [...identity.credentials.values()].map((c) => ({ ...c })),
  });
}

function identityView(i: IdentityRecord, tenantId: string): Record<string, unknown> {
  return {
    id: i.id,
    name: i.name,
    type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
    location: i.location,
    tags: {},
    properties: { tenantId, principalId: i.principalId, clientId: i.clientId },
  };
}

function credentialView(identity: IdentityRecord, c: FederatedCredentialRecord): Record<string, unknown> {
  return {
    id: `${identity.id}/federatedIdentityCredentials/${c.name}`,
    name: c.name,
    type: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials',
    properties: { issuer: c.issuer, subject: c.subject, audiences: c.audiences },
  };
}

const IDENTITY = `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}`;
const identityScope = (p: Record<string, string>): string =>
  `/subscriptions/${p.sub}/resourceGroups/${p.rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${p.name}`;

function findIdentity(arm: Arm, p: Record<string, string>): IdentityRecord {
  const identity = worldOf(arm).identities.get(key(p.rg!, p.name!));
  if (!identity) throw errors.resourceNotFound('Microsoft.ManagedIdentity/userAssignedIdentities', p.name!, p.rg!);
  return identity;
}

function putIdentity(arm: Arm, c: Call): Reply {
  const p = c.params;
  if (!arm.resourceGroups.has(p.rg!.toLowerCase())) throw errors.resourceGroupNotFound(p.rg!);
  const w = worldOf(arm);
  const existing = w.identities.get(key(p.rg!, p.name!));
  const body = (c.body.length ? parseJsonBody(c.body) : {}) as { location?: string };
  if (existing) return { status: 200, body: identityView(existing, arm.tenantId) };
  const identity: IdentityRecord = {
    id: identityScope(p),
    name: p.name!,
    location: String(body.location ?? 'eastus'),
    clientId: randomUUID(),
    principalId: randomUUID(),
    credentials: new Map(),
  };
  w.identities.set(key(p.rg!, p.name!), identity);
  syncEntra(w, identity);
  return { status: 201, body: identityView(identity, arm.tenantId) };
}

function putCredential(arm: Arm, c: Call): Reply {
  const identity = findIdentity(arm, c.params);
  const body = parseJsonBody(c.body) as { properties?: { issuer?: string; subject?: string; audiences?: string[] } };
  const props = body.properties ?? {};
  if (!props.issuer || !props.subject || !props.audiences?.length)
    throw new ArmError(
      400,
      'BadRequest',
      'Issuer, subject and audiences are required for a federated identity credential.',
    );
  const name = c.params.fic!;
  const clash = [...identity.credentials.values()].find(
    (x) => x.name !== name && x.issuer === props.issuer && x.subject === props.subject,
  );
  if (clash)
    throw new ArmError(
      400,
      'BadRequest',
      `FederatedIdentityCredential with the same issuer '${props.issuer}' and subject '${props.subject}' already exists: '${clash.name}'.`,
    );
  if (!identity.credentials.has(name) && identity.credentials.size >= 20)
    throw new ArmError(
      400,
      'BadRequest',
      `Too many Federated Identity Credentials are written to Managed Identity '${identity.id}'.`,
    );
  const created = !identity.credentials.has(name);
  const record = { name, issuer: props.issuer, subject: props.subject, audiences: [...props.audiences] };
  identity.credentials.set(name, record);
  syncEntra(worldOf(arm), identity);
  return { status: created ? 201 : 200, body: credentialView(identity, record) };
}

function definitionView(d: RoleDefinitionRecord): Record<string, unknown> {
  return {
    id: d.id,
    name: d.id.slice(d.id.lastIndexOf('/') + 1),
    type: 'Microsoft.Authorization/roleDefinitions',
    properties: {
      roleName: d.roleName,
      type: d.type,
      description: '',
      assignableScopes: d.assignableScopes,
      permissions: [{ actions: d.actions, notActions: d.notActions, dataActions: [], notDataActions: [] }],
    },
  };
}

function listDefinitions(arm: Arm, c: Call, scope: string): Reply {
  const filter = c.url.searchParams.get('$filter') ?? '';
  const wanted = /^roleName eq '([^']*)'$/.exec(filter.trim())?.[1];
  const value = [...worldOf(arm).definitions.values()]
    .filter((d) => d.assignableScopes.some((s) => s === '/' || scopeCovers(s, scope) || scopeCovers(scope, s)))
    .filter((d) => wanted === undefined || d.roleName.toLowerCase() === wanted.toLowerCase())
    .map(definitionView);
  return { status: 200, body: { value } };
}

function putDefinition(arm: Arm, c: Call, scope: string, name: string): Reply {
  const body = parseJsonBody(c.body) as {
    properties?: {
      roleName?: string;
      permissions?: { actions?: string[]; notActions?: string[] }[];
      assignableScopes?: string[];
    };
  };
  const props = body.properties ?? {};
  const id = `${scope}/providers/Microsoft.Authorization/roleDefinitions/${name}`;
  const w = worldOf(arm);
  const sameName = [...w.definitions.values()].find(
    (d) => d.roleName.toLowerCase() === String(props.roleName).toLowerCase() && d.id.toLowerCase() !== id.toLowerCase(),
  );
  if (sameName)
    throw new ArmError(
      409,
      'RoleDefinitionWithSameNameExists',
      'A custom role with the same name already exists in this directory. Use a different name.',
    );
  const record: RoleDefinitionRecord = {
    id,
    roleName: String(props.roleName),
    type: 'CustomRole',
    actions: props.permissions?.[0]?.actions ?? [],
    notActions: props.permissions?.[0]?.notActions ?? [],
    assignableScopes: props.assignableScopes ?? [scope],
  };
  const created = !w.definitions.has(id.toLowerCase());
  w.definitions.set(id.toLowerCase(), record);
  return { status: created ? 201 : 200, body: definitionView(record) };
}

function knownPrincipal(arm: Arm, principalId: string): boolean {
  const w = worldOf(arm);
  const id = principalId.toLowerCase();
  if ([...w.identities.values()].some((i) => i.principalId.toLowerCase() === id)) return true;
  return [...(w.entra?.apps.values() ?? [])].some((a) => a.objectId.toLowerCase() === id);
}

function assignmentView(arm: Arm, a: RoleAssignment): Record<string, unknown> {
  const roleDefinitionId =
    worldOf(arm).assignmentRoles.get(a.id.toLowerCase()) ??
    `/subscriptions/${arm.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_IDS[a.roleName] ?? a.roleName}`;
  return {
    id: a.id,
    name: a.id.slice(a.id.lastIndexOf('/') + 1),
    type: 'Microsoft.Authorization/roleAssignments',
    properties: { roleDefinitionId, principalId: a.principalId, principalType: 'ServicePrincipal', scope: a.scope },
  };
}

function listAssignments(arm: Arm, c: Call, scope: string): Reply {
  const principal = /principalId eq '([^']*)'/.exec(c.url.searchParams.get('$filter') ?? '')?.[1]?.toLowerCase();
  const value = arm.roleAssignments
    .filter((a) => scopeCovers(a.scope, scope) || scopeCovers(scope, a.scope))
    .filter((a) => principal === undefined || a.principalId.toLowerCase() === principal)
    .map((a) => assignmentView(arm, a));
  return { status: 200, body: { value } };
}

function putAssignment(arm: Arm, c: Call, scope: string, name: string): Reply {
  const body = parseJsonBody(c.body) as { properties?: { roleDefinitionId?: string; principalId?: string } };
  const props = body.properties ?? {};
  const w = worldOf(arm);
  const definition = w.definitions.get(String(props.roleDefinitionId).toLowerCase());
  if (!definition)
    throw new ArmError(
      404,
      'RoleDefinitionDoesNotExist',
      `The specified role definition with ID '${String(props.roleDefinitionId).split('/').pop()}' does not exist.`,
    );
  const principalId = String(props.principalId);
  if (!knownPrincipal(arm, principalId))
    throw new ArmError(
      400,
      'PrincipalNotFound',
      `Principal ${principalId.replace(/-/g, '')} does not exist in the directory ${arm.tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
    );
  const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
  const same = arm.roleAssignments.find(
    (a) =>
      a.principalId.toLowerCase() === principalId.toLowerCase() &&
      a.scope.toLowerCase() === scope.toLowerCase() &&
      (w.assignmentRoles.get(a.id.toLowerCase()) ?? '').toLowerCase() === definition.id.toLowerCase(),
  );
  if (same && same.id.toLowerCase() !== id.toLowerCase())
    throw new ArmError(409, 'RoleAssignmentExists', 'The role assignment already exists.');
  if (!same) {
    const a = makeAssignment(
      { principalId, scope, actions: definition.actions, notActions: definition.notActions },
      id,
    );
    a.roleName = definition.roleName;
    arm.roleAssignments.push(a);
    w.assignmentRoles.set(id.toLowerCase(), definition.id);
    return { status: 201, body: assignmentView(arm, a) };
  }
  return { status: 200, body: assignmentView(arm, same) };
}

/** Authorization routes live at any scope, so they match with a pattern of their own. */
function authorizationRoute(
  arm: Arm,
  method: string,
  kind: 'roleAssignments' | 'roleDefinitions',
  withName: boolean,
  action: string,
  handler: (c: Call, scope: string, name: string) => Reply,
): Route {
  const pattern = new RegExp(
    `^(?<scope>/subscriptions/[^/]+(?:/.+?)?)/providers/Microsoft\\.Authorization/${kind}${withName ? '/(?<name>[^/]+)' : ''}/?$`,
    'i',
  );
  return {
    method,
    pattern,
    namespace: 'Microsoft.Resources',
    type: kind,
    action,
    scope: (p) => p.scope!,
    handler: (c) => handler(c, c.params.scope!, c.params.name ?? ''),
  };
}

/** `GET {scope}/providers/Microsoft.Authorization/permissions`: the caller's own actions at a scope (no RBAC check). */
function listPermissions(arm: Arm, c: Call, scope: string): Reply {
  const ids = new Set([c.principal.oid.toLowerCase(), c.principal.appid.toLowerCase()]);
  const value = arm.roleAssignments
    .filter((a) => ids.has(a.principalId.toLowerCase()) && scopeCovers(a.scope, scope))
    .map((a) => ({ actions: a.actions, notActions: a.notActions, dataActions: [], notDataActions: [] }));
  return { status: 200, body: { value } };
}

export function identityRoutes(arm: Arm): Route[] {
  return [
    {
      method: 'GET',
      pattern: /^(?<scope>\/subscriptions\/[^/]+(?:\/.+?)?)\/providers\/Microsoft\.Authorization\/permissions\/?$/i,
      namespace: 'Microsoft.Resources',
      type: 'permissions',
      handler: (c) => listPermissions(arm, c, c.params.scope!),
    },
    r(
      'GET',
      IDENTITY,
      'Microsoft.Resources',
      'userAssignedIdentities',
      'Microsoft.ManagedIdentity/userAssignedIdentities/read',
      (c) => ({
        status: 200,
        body: identityView(findIdentity(arm, c.params), arm.tenantId),
      }),
      identityScope,
    ),
    r(
      'PUT',
      IDENTITY,
      'Microsoft.Resources',
      'userAssignedIdentities',
      'Microsoft.ManagedIdentity/userAssignedIdentities/write',
      (c) => putIdentity(arm, c),
      identityScope,
    ),
    r(
      'GET',
      `${IDENTITY}/federatedIdentityCredentials`,
      'Microsoft.Resources',
      'userAssignedIdentities',
      'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read',
      (c) => {
        const identity = findIdentity(arm, c.params);
        return {
          status: 200,
          body: { value: [...identity.credentials.values()].map((x) => credentialView(identity, x)) },
        };
      },
      identityScope,
    ),
    r(
      'PUT',
      `${IDENTITY}/federatedIdentityCredentials/{fic}`,
      'Microsoft.Resources',
      'userAssignedIdentities',
      'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write',
      (c) => putCredential(arm, c),
      identityScope,
    ),
    authorizationRoute(
      arm,
      'GET',
      'roleDefinitions',
      false,
      'Microsoft.Authorization/roleDefinitions/read',
      (c, scope) => listDefinitions(arm, c, scope),
    ),
    authorizationRoute(
      arm,
      'PUT',
      'roleDefinitions',
      true,
      'Microsoft.Authorization/roleDefinitions/write',
      (c, scope, name) => putDefinition(arm, c, scope, name),
    ),
    authorizationRoute(
      arm,
      'GET',
      'roleAssignments',
      false,
      'Microsoft.Authorization/roleAssignments/read',
      (c, scope) => listAssignments(arm, c, scope),
    ),
    authorizationRoute(
      arm,
      'PUT',
      'roleAssignments',
      true,
      'Microsoft.Authorization/roleAssignments/write',
      (c, scope, name) => putAssignment(arm, c, scope, name),
    ),
  ];
}
