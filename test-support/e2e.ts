/**
 * End-to-end test bed: a stand-in with a seeded world, and a runner that runs the bundled action through the
 * runner harness against it, returning the step result plus the requests the step made.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONTEXT, runAction, type RunOptions, type RunResult } from './harness.ts';
import {
  startStandIn,
  type RequestLogEntry,
  type SeedOptions,
  type SeededWorld,
  type StandIn,
  type StandInOptions,
} from '../standin/index.ts';

/** The run record every write carries (tags naming the harness's default workflow run). */
export const RUN_TAGS: Record<string, string> = {
  'github-repository': DEFAULT_CONTEXT.repository,
  'github-sha': DEFAULT_CONTEXT.sha,
  'github-run': `${DEFAULT_CONTEXT.serverUrl}/${DEFAULT_CONTEXT.repository}/actions/runs/${DEFAULT_CONTEXT.runId}`,
};

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

/** Values of `secrets` lines (name=value, not Key Vault references) and of registry-password. */
export function secretInputValues(inputs: Record<string, string>): string[] {
  const values = (inputs.secrets ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && l.includes('='))
    .map((l) => l.slice(l.indexOf('=') + 1).trim())
    .filter((v) => v && !v.startsWith('keyvaultref:'));
  if (inputs['registry-password']) values.push(inputs['registry-password']);
  return values;
}

/**
 * Every secret the stand-in or the inputs know (secret inputs, registry passwords, GitHub ID tokens, Entra access
 * tokens, the OIDC request token) must not appear in anything the action wrote: its printed lines (other than the
 * ::add-mask:: commands that hide them), stderr, outputs, summary and saved state, for main and post.
 */
export function findLeaks(result: RunResult, secrets: string[]): string[] {
  const places: [string, string][] = [];
  for (const [step, r] of [
    ['main', result],
    ['post', result.post],
  ] as const) {
    if (!r) continue;
    places.push([
      `${step} stdout`,
      r.stdout
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n'),
    ]);
    places.push([`${step} stderr`, r.stderr]);
    places.push([`${step} outputs`, JSON.stringify(r.outputs)]);
    places.push([`${step} summary`, r.summary]);
    places.push([`${step} state`, JSON.stringify(r.state)]);
  }
  const leaks: string[] = [];
  for (const secret of secrets.filter((v) => v.length >= 6)) {
    for (const [where, text] of places)
      if (text.includes(secret)) leaks.push(`${where} contains a secret (${secret.slice(0, 4)}…)`);
  }
  return leaks;
}

/** Where the steps' node keeps its compiled code (NODE_COMPILE_CACHE), shared by every test file. */
const COMPILE_CACHE = join(tmpdir(), 'deploy-aca-job-e2e-compile-cache');

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
        env: {
          NODE_EXTRA_CA_CERTS: standIn.tls.caFile,
          // V8 keeps the compiled bundle between the suite's hundreds of steps (a fifth of their CPU time); nothing
          // the action does changes.
          NODE_COMPILE_CACHE: COMPILE_CACHE,
        },
        // A private bundle (scripts/bundle-to.ts) instead of the repository's dist/, when set.
        ...(process.env.E2E_ACTION_DIR ? { actionDir: process.env.E2E_ACTION_DIR } : {}),
        ...options,
      });
      const requests = standIn.requests.slice(from);
      const secrets = [
        ...secretInputValues({ ...baseInputs(), ...inputs }),
        world.registryPassword,
        standIn.oidc.requestToken,
        ...standIn.github.issuedTokens.map((t) => t.token),
        ...standIn.entra.issuedAccessTokens,
        ...[...standIn.arm.registries.values()].flatMap((r) => r.passwords ?? []),
        ...standIn.arm.logStreamTokens.keys(),
      ];
      const leaks = findLeaks(result, secrets);
      if (leaks.length) throw new Error(`The action leaked secrets: ${leaks.join('; ')}`);
      const arm = requests.filter((r) => r.host === 'arm');
      const writes = arm
        .filter((r) => r.method !== 'GET' && !(r.method === 'POST' && READ_POSTS.test(r.path)))
        .map((r) => `${r.method} ${tail(r.path)}`);
      return { ...result, requests, arm, writes };
    },
    close: () => standIn.close(),
  };
}
