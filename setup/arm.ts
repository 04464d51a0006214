/**
 * The few Azure Resource Manager calls the set-up makes, over fetch with a bearer token: read the
 * environment, registry and jobs; create identities and federated credentials; look up role definitions,
 * create the custom environment role and role assignments. Every failure keeps Azure's code and message.
 */
import type { TokenCredential } from '@azure/core-auth';

export const API = {
  app: '2025-01-01',
  registry: '2023-07-01',
  identity: '2023-01-31',
  authorization: '2022-04-01',
} as const;

export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface Arm {
  get(path: string, apiVersion: string): Promise<Record<string, unknown> | undefined>;
  put(path: string, apiVersion: string, body: unknown): Promise<Record<string, unknown>>;
  list(path: string, apiVersion: string, filter?: string): Promise<Record<string, unknown>[]>;
}

function errorOf(status: number, text: string): ArmError {
  try {
    const body = JSON.parse(text) as {
      error?: { code?: string; message?: string };
      title?: string;
      code?: string;
      message?: string;
    };
    const code = body.error?.code ?? body.code ?? `HTTP${status}`;
    const message = body.error?.message ?? body.message ?? body.title ?? text.slice(0, 300);
    return new ArmError(status, code, message);
  } catch {
    return new ArmError(status, `HTTP${status}`, text.slice(0, 300) || `HTTP status ${status}`);
  }
}

export function createArm(endpoint: string, credential: TokenCredential, scope: string): Arm {
  async function call(method: string, path: string, apiVersion: string, body?: unknown, query = ''): Promise<Response> {
    const token = await credential.getToken(scope);
    if (!token) throw new ArmError(401, 'NoToken', 'Could not get a token for Azure Resource Manager.');
    const url = path.startsWith('https://') ? path : `${endpoint}${path}?api-version=${apiVersion}${query}`;
    return fetch(url, {
      method,
      redirect: 'error',
      headers: {
        authorization: `Bearer ${token.token}`,
        'content-type': 'application/json',
        'user-agent': 'deploy-container-apps-job-setup/1',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
  return {
    async get(path, apiVersion) {
      const res = await call('GET', path, apiVersion);
      if (res.status === 404) return undefined;
      const text = await res.text();
      if (!res.ok) throw errorOf(res.status, text);
      return JSON.parse(text) as Record<string, unknown>;
    },
    async put(path, apiVersion, body) {
      const res = await call('PUT', path, apiVersion, body);
      const text = await res.text();
      if (!res.ok) throw errorOf(res.status, text);
      return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    },
    async list(path, apiVersion, filter) {
      const out: Record<string, unknown>[] = [];
      let next: string | undefined = undefined;
      const query = filter ? `&$filter=${encodeURIComponent(filter)}` : '';
      for (let page = 0; page < 100; page++) {
        const res: Response = next
          ? await call('GET', next, apiVersion)
          : await call('GET', path, apiVersion, undefined, query);
        const text = await res.text();
        if (!res.ok) throw errorOf(res.status, text);
        const body = JSON.parse(text) as { value?: Record<string, unknown>[]; nextLink?: string };
        out.push(...(body.value ?? []));
        next = body.nextLink;
        if (!next) break;
      }
      return out;
    },
  };
}
