/**
 * End-to-end test bed: a stand-in with a seeded world, and a runner that runs the bundled action through the
 * runner harness against it, returning the step result plus the requests the step made.
 */
import { runAction, type RunOptions, type RunResult } from './harness.ts';
import {
  startStandIn,
  type RequestLogEntry,
  type SeedOptions,
  type SeededWorld,
  type StandIn,
  type StandInOptions,
} from '../standin/index.ts';

export interface E2eRun extends RunResult {
  requests: RequestLogEntry[];
  /** Requests to ARM only. */
  arm: RequestLogEntry[];
  /** ARM requests that write (PUT, PATCH, POST other than reads like listSecrets), as "METHOD /path-tail". */
  writes: string[];
}

export interface Bed {
  standIn: StandIn;
  world: SeededWorld;
  /** The inputs every run needs to reach the stand-in (identity, endpoints, resource group). */
  baseInputs(): Record<string, string>;
  run(inputs: Record<string, string>, options?: Partial<RunOptions>): Promise<E2eRun>;
  close(): Promise<void>;
}

const READ_POSTS = /\/(listSecrets|listCredentials|getAuthToken|getAuthtoken)$/i;

export function tail(path: string): string {
  const i = path.indexOf('/providers/');
  return i >= 0 ? path.slice(i + '/providers/'.length) : path;
}

export async function startBed(options: StandInOptions = {}, seed: SeedOptions = {}): Promise<Bed> {
  const standIn = await startStandIn(options);
  const world = standIn.seedDefault(seed);
  const baseInputs = (): Record<string, string> => ({
    'client-id': world.clientId,
    'tenant-id': world.tenantId,
    'subscription-id': world.subscriptionId,
    'resource-group': world.resourceGroup,
    'arm-endpoint': standIn.urls.arm,
    'authority-host': standIn.urls.authority,
  });
  return {
    standIn,
    world,
    baseInputs,
    async run(inputs, options = {}) {
      const from = standIn.requests.length;
      const result = await runAction({
        inputs: { ...baseInputs(), ...inputs },
        oidc: standIn.oidc,
        env: { NODE_EXTRA_CA_CERTS: standIn.tls.caFile },
        // A private bundle (scripts/bundle-to.ts) instead of the repository's dist/, when set.
        ...(process.env.E2E_ACTION_DIR ? { actionDir: process.env.E2E_ACTION_DIR } : {}),
        ...options,
      });
      const requests = standIn.requests.slice(from);
      const arm = requests.filter((r) => r.host === 'arm');
      const writes = arm
        .filter((r) => r.method !== 'GET' && !(r.method === 'POST' && READ_POSTS.test(r.path)))
        .map((r) => `${r.method} ${tail(r.path)}`);
      return { ...result, requests, arm, writes };
    },
    close: () => standIn.close(),
  };
}
