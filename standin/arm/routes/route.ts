/**
 * What the ARM route modules (resources, jobs, executions, operations) share: the shapes of a call and its reply,
 * route patterns and the RBAC scopes routes are authorized at.
 */

import { ArmError } from '../errors.ts';

export interface Principal {
  oid: string;
  appid: string;
  tid: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Call {
  params: Record<string, string>;
  apiVersion: string;
  url: URL;
  base: string;
  body: Buffer;
  principal: Principal;
  correlationId: string;
}

export type Namespace =
  'Microsoft.App' | 'Microsoft.ContainerRegistry' | 'Microsoft.Resources' | 'Microsoft.OperationalInsights';

export interface Route {
  method: string;
  pattern: RegExp;
  namespace: Namespace;
  /** Resource type as NoRegisteredProviderFound names it. */
  type: string;
  /** RBAC action; undefined: no check. */
  action?: string;
  /** RBAC scope of the call (default: the path). */
  scope?: (p: Record<string, string>) => string;
  handler: (c: Call) => Reply | Promise<Reply>;
}

export const JOB_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;

export function compile(template: string): RegExp {
  const src = template
    .split('/')
    .map((seg) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      return m ? `(?<${m[1]}>[^/]+)` : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${src}/?$`, 'i');
}

export function key(rg: string, name: string): string {
  return `${rg.toLowerCase()}/${name.toLowerCase()}`;
}

export const S = '/subscriptions/{sub}';
export const RG = `${S}/resourceGroups/{rg}`;
export const JOB = `${RG}/providers/Microsoft.App/jobs/{job}`;

export const jobScope = (p: Record<string, string>): string =>
  `/subscriptions/${p.sub}/resourceGroups/${p.rg}/providers/Microsoft.App/jobs/${p.job}`;
export const execScope = (p: Record<string, string>): string => `${jobScope(p)}/executions/${p.exec}`;

/** A route: METHOD + path template (`{name}` segments become params), RBAC action and scope. */
export function r(
  method: string,
  template: string,
  namespace: Namespace,
  type: string,
  action: string | undefined,
  handler: Route['handler'],
  scope?: Route['scope'],
): Route {
  return {
    method,
    pattern: compile(template),
    namespace,
    type,
    ...(action ? { action } : {}),
    ...(scope ? { scope } : {}),
    handler,
  };
}

/**
 * One page of a list, as ARM pages: `{ value, nextLink? }`, the next page's link carrying the call's query (its
 * `$filter`, api-version) and a `$skiptoken`. A bad `$skiptoken` is 400 InvalidParameterValue.
 */
export function page<T>(c: Call, items: T[], size: number, show: (item: T) => unknown): Reply {
  let offset = 0;
  const token = c.url.searchParams.get('$skiptoken');
  if (token !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const o = (parsed as { o?: unknown } | undefined)?.o;
    if (typeof o !== 'number' || !Number.isInteger(o) || o < 0) {
      throw new ArmError(400, 'InvalidParameterValue', 'The parameter $skiptoken has an invalid value.');
    }
    offset = o;
  }
  const n = Math.max(1, Math.floor(size));
  const body: { value: unknown[]; nextLink?: string } = { value: items.slice(offset, offset + n).map(show) };
  if (offset + n < items.length) {
    const q = new URLSearchParams(c.url.searchParams);
    q.delete('$skiptoken');
    const next = Buffer.from(JSON.stringify({ o: offset + n })).toString('base64url');
    body.nextLink = `${c.base}${c.url.pathname}?${q.toString()}&$skiptoken=${next}`;
  }
  return { status: 200, body };
}
