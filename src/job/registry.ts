/**
 * How the job pulls its image. Explicit inputs win (registry-identity, or registry-username/password). With an
 * Azure Container Registry image and neither, it does what `az containerapp job create --registry-server` does
 * for students: find the registry in the subscription and use its admin credentials when the admin user is
 * enabled (password kept as a job secret, masked), or fail before writing anything, saying what to set.
 */
import type { Job } from '@azure/arm-appcontainers';
import type { JobApi, RegistryInfo } from '../azure/arm.js';
import { isAcrHost, type Config } from '../inputs/config.js';
import { ActionError } from '../common/errors.js';
import { registryHost } from '../common/image.js';
import type { RegistryPlan } from './spec.js';

export interface RegistryDeps {
  api: Pick<JobApi, 'listRegistries' | 'listRegistryCredentials' | 'subscriptionId'>;
  /** core.setSecret: called on every credential before anything else can print it. */
  mask(value: string): void;
  notice(message: string): void;
}

/** The job secret that holds a registry password, named like the Azure CLI names it. */
export function registrySecretName(server: string, username: string): string {
  const name = `${server.replace(/[^a-zA-Z0-9]/g, '')}-${username}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return name.replace(/^-+|-+$/g, '').slice(0, 253);
}

function identityValue(identity: string): string {
  return identity.toLowerCase() === 'system' ? 'system' : identity;
}

const listed = new WeakMap<object, Promise<RegistryInfo[]>>();

/** The subscription's registries, read once per api (the build and the deploy both ask). */
export function registriesOf(api: Pick<JobApi, 'listRegistries'>): Promise<RegistryInfo[]> {
  let found = listed.get(api);
  if (!found) {
    found = api.listRegistries();
    listed.set(api, found);
    found.catch(() => listed.delete(api));
  }
  return found;
}

/**
 * Whether `host` is an Azure Container Registry: by its suffix (*.azurecr.io, .cn, .us), or, for the image the
 * action builds and pushes (build-context), when a registry in the subscription has `host` as its login server (a
 * registry reached under another name, such as the local stand-in's). Other images are not looked up, so deploying
 * a public image costs no registry listing.
 */
export async function isAcrServer(host: string, config: Config, api: Pick<JobApi, 'listRegistries'>): Promise<boolean> {
  const h = host.toLowerCase();
  if (isAcrHost(h)) return true;
  if (!config.build || !config.image || registryHost(config.image) !== h) return false;
  return (await registriesOf(api)).some((r) => r.loginServer === h);
}

/** What planRegistry decided before fetching any credential: a finished plan, or "use the admin user of `registry`". */
export type PullDecision =
  { kind: 'plan'; plan: RegistryPlan } | { kind: 'admin'; server: string; registry: RegistryInfo };

/**
 * The checks of planRegistry that need no credential, so a build can fail on them before it starts: throws the
 * same errors (registry not found, admin user disabled) that the deploy would.
 */
export async function decidePull(
  config: Config,
  image: string | undefined,
  live: Job | undefined,
  deps: { api: Pick<JobApi, 'listRegistries' | 'subscriptionId'> },
): Promise<PullDecision> {
  const { identity, username, password } = config.registry;
  const explicit = !!identity || !!username;
  const host = image ? registryHost(image) : undefined;
  const server = (
    config.registry.server ?? (explicit || (host && (await isAcrServer(host, config, deps.api))) ? host : undefined)
  )?.toLowerCase();
  if (!server) {
    if (explicit) {
      throw new ActionError(
        `Input 'registry-server' is required with registry-identity or registry-username when the image names no registry host (e.g. myregistry.azurecr.io).`,
      );
    }
    return { kind: 'plan', plan: {} };
  }

  if (identity) {
    const id = identityValue(identity);
    return {
      kind: 'plan',
      plan: {
        credentials: { server, identity: id },
        identity: id === 'system' ? { system: true } : { userAssigned: id },
      },
    };
  }
  if (username) {
    const name = registrySecretName(server, username);
    return {
      kind: 'plan',
      plan: {
        credentials: { server, username, passwordSecretRef: name },
        secret: { name, value: password ?? '' },
      },
    };
  }

  // Nothing explicit. Keep what the job already pulls with.
  const existing = live?.configuration?.registries?.find((r) => (r.server ?? '').toLowerCase() === server);
  if (existing) return { kind: 'plan', plan: {} };
  if (!(await isAcrServer(server, config, deps.api))) return { kind: 'plan', plan: {} };

  const registries = await registriesOf(deps.api);
  const registry = registries.find((r) => r.loginServer === server);
  if (!registry) {
    throw new ActionError(
      `The image is on registry '${server}', which is not in subscription '${deps.api.subscriptionId}' or which this identity cannot read (finding it needs 'Microsoft.ContainerRegistry/registries/read' on the registry: Reader or Contributor on it or its resource group; AcrPull does not include it): set input 'registry-identity' to an identity with the AcrPull role on it (or registry-username and registry-password), or grant that read permission.`,
    );
  }
  if (!registry.adminUserEnabled) {
    throw new ActionError(
      `Registry '${registry.name}' has its admin user disabled, so the job has no credentials to pull '${server}' images: set input 'registry-identity' to 'system' or a user-assigned identity that has the AcrPull role on the registry (az role assignment create --role AcrPull --assignee <principal-id> --scope ${registry.id}).`,
    );
  }
  return { kind: 'admin', server, registry };
}

/**
 * Decides the registry entry for `image` (the image the job will run).
 * `live` is the existing job, if any: a registry it already has for that server is kept as it is.
 */
export async function planRegistry(
  config: Config,
  image: string | undefined,
  live: Job | undefined,
  deps: RegistryDeps,
): Promise<RegistryPlan> {
  const decision = await decidePull(config, image, live, deps);
  if (decision.kind === 'plan') return decision.plan;
  const { server, registry } = decision;
  const creds = await deps.api.listRegistryCredentials(registry.id);
  for (const p of creds.passwords) deps.mask(p);
  const value = creds.passwords[0];
  if (!creds.username || !value) {
    throw new ActionError(
      `Registry '${registry.name}' returned no admin credentials: set input 'registry-identity' to an identity with the AcrPull role on it.`,
    );
  }
  deps.notice(
    `Job pulls from '${server}' with the registry's admin credentials (stored as a job secret). Prefer a managed identity with AcrPull: set input 'registry-identity'.`,
  );
  const name = registrySecretName(server, creds.username);
  return {
    credentials: { server, username: creds.username, passwordSecretRef: name },
    secret: { name, value },
  };
}
