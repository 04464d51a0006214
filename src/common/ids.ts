/**
 * Azure resource IDs (pure). Azure treats them case-insensitively and answers them in its own spelling
 * (`resourcegroups`, `microsoft.managedidentity`), while users paste the portal's: every comparison goes through here.
 */

export interface ResourceIdParts {
  subscriptionId: string;
  resourceGroup: string;
  /** `Microsoft.App`, as spelled in the ID. */
  provider: string;
  /** `jobs`, `managedEnvironments`, `userAssignedIdentities`... */
  type: string;
  name: string;
}

/** True for `/subscriptions/...` IDs (any case). */
export function isResourceId(value: string): boolean {
  return /^\/subscriptions\//i.test(value);
}

/** Splits `/subscriptions/S/resourceGroups/G/providers/P/T/N` into its parts (keys in any case). */
export function parseResourceId(id: string): ResourceIdParts {
  const parts = id.split('/').filter(Boolean);
  const at = (key: string): string => {
    const i = parts.findIndex((p) => p.toLowerCase() === key);
    return i >= 0 ? (parts[i + 1] ?? '') : '';
  };
  const p = parts.findIndex((x) => x.toLowerCase() === 'providers');
  return {
    subscriptionId: at('subscriptions'),
    resourceGroup: at('resourcegroups'),
    provider: p >= 0 ? (parts[p + 1] ?? '') : '',
    type: p >= 0 ? (parts[p + 2] ?? '') : '',
    name: parts[parts.length - 1] ?? '',
  };
}

/**
 * The parts of an ID of exactly the shape `/subscriptions/S/resourceGroups/G/providers/P/T/N` (keys in any case),
 * or undefined for any other text: for checking what a user typed, where `parseResourceId` would guess.
 */
export function matchResourceId(value: string): ResourceIdParts | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/([^/]+)\/([^/]+)$/i.exec(value);
  if (!m) return undefined;
  const [, subscriptionId = '', resourceGroup = '', provider = '', type = '', name = ''] = m;
  return { subscriptionId, resourceGroup, provider, type, name };
}

/** The ID of a resource group. */
export function resourceGroupId(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

/** The canonical spelling of a resource ID's parts. */
export function formatResourceId(parts: ResourceIdParts): string {
  return `${resourceGroupId(parts.subscriptionId, parts.resourceGroup)}/providers/${parts.provider}/${parts.type}/${parts.name}`;
}

/** The comparison key of an ID: lower case, no trailing slash. */
function idKey(id: string): string {
  return id.replace(/\/+$/, '').toLowerCase();
}

/** The ID of a Container Apps job. */
export function jobResourceId(subscriptionId: string, resourceGroup: string, jobName: string): string {
  return formatResourceId({ subscriptionId, resourceGroup, provider: 'Microsoft.App', type: 'jobs', name: jobName });
}

/** Whether two resource IDs name the same resource (case-insensitive, as Azure compares them). */
export function sameId(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return idKey(a) === idKey(b);
}

/** Every resource ID in a JSON value (string values and object keys), by comparison key. */
function collectIds(value: unknown, into: Map<string, string>): void {
  if (typeof value === 'string') {
    if (isResourceId(value) && !into.has(idKey(value))) into.set(idKey(value), value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectIds(v, into);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      collectIds(k, into);
      collectIds(v, into);
    }
  }
}

function rewrite(value: unknown, known: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return isResourceId(value) ? (known.get(idKey(value)) ?? value) : value;
  if (Array.isArray(value)) return value.map((v) => rewrite(v, known));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [rewrite(k, known) as string, rewrite(v, known)]));
  }
  return value;
}

/**
 * `value` with every resource ID (string values and object keys) that `reference` also holds, in any case, spelled
 * as `reference` spells it: the desired job takes the live job's spelling, so a diff sees no change where Azure
 * would see none.
 */
export function adoptIds<T>(value: T, reference: unknown): T {
  const known = new Map<string, string>();
  collectIds(reference, known);
  return known.size ? (rewrite(value, known) as T) : value;
}
