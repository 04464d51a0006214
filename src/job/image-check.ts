/**
 * check-image: before anything is written to the job, make sure the image it will run exists in its registry, so
 * a mistyped or not-yet-pushed tag fails at once with the tags that do exist, instead of as an image pull that
 * keeps failing minutes later.
 *
 * The image is `image`, or `image-tag` applied to the job's image (build-context pushes the image itself, so it is
 * not checked). The registry is read with what this run has:
 * - Azure Container Registry (an *.azurecr.* host, or a registry of the subscription whose login server it is):
 *   this workflow's Azure identity, through the ACR token exchange; AcrPull on the registry is enough;
 * - registry-username / registry-password when given (Basic auth to the registry's token realm);
 * - otherwise anonymously (public images on Docker Hub, ghcr.io, mcr.microsoft.com).
 * When the registry cannot be read that way (refused, no AcrPull, unreachable), the check is skipped with one line
 * saying why and what would enable it, and the deploy goes on: the check only ever stops a deploy for an image that
 * the registry says is not there. It reads only, so it also runs on a dry run.
 */
import type { Job } from '@azure/arm-appcontainers';
import type { TokenCredential } from '@azure/core-auth';
import type { JobApi } from '../azure/arm.js';
import {
  acrAccessToken,
  acrRefreshToken,
  bearerToken,
  excerpt,
  headManifest,
  listTags,
  acrTags,
  probe,
  RegistryUnreadable,
  type Fetch,
  type RegistryHttp,
  type TagList,
} from '../azure/registry-api.js';
import { ActionError } from '../common/errors.js';
import { withTag } from '../common/image.js';
import { jwtTenant } from '../common/jwt.js';
import { isAcrHost, parseImageReference, type Config } from '../inputs/config.js';
import { isLoopback } from '../inputs/endpoints.js';
import { registriesOf } from './registry.js';
import { targetContainer } from './spec.js';

export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';

export interface ImageCheckDeps {
  credential: TokenCredential;
  api: Pick<JobApi, 'listRegistries' | 'subscriptionId'>;
  /** A line in the log (the check's result, or why it was skipped). */
  info(message: string): void;
  /** core.setSecret, for the registry tokens. */
  mask(value: string): void;
  fetch?: Fetch;
  timeoutMs?: number;
}

export type ImageCheckResult =
  | { outcome: 'not-checked' }
  | { outcome: 'found'; image: string; digest?: string }
  | { outcome: 'skipped'; image: string; reason: string };

export interface ImageTarget {
  image: string;
  /** The input to fix when it is missing. */
  input: 'image' | 'image-tag';
}

/** The image this run will deploy from `image` or `image-tag`, or undefined when there is none to check. */
export function imageToCheck(config: Config, live: Job | undefined): ImageTarget | undefined {
  if (config.build) return undefined;
  if (config.image) return { image: config.image, input: 'image' };
  if (!config.imageTag || !live) return undefined;
  try {
    const current = targetContainer(live, config.containerName).image;
    return current ? { image: withTag(current, config.imageTag), input: 'image-tag' } : undefined;
  } catch {
    return undefined; // the deploy says which container is meant
  }
}

export interface RegistryTarget {
  /** host[:port] to send requests to. */
  server: string;
  repository: string;
  /** Tag or digest. */
  reference: string;
  isDigest: boolean;
}

/** Where the image lives: Docker Hub names get their registry host and `library/` prefix. */
export function registryTarget(image: string): RegistryTarget {
  const ref = parseImageReference(image);
  const host = ref.registry?.toLowerCase();
  const hub = !host || host === 'docker.io' || host === 'index.docker.io';
  const server = hub ? DOCKER_HUB_REGISTRY : host;
  const repository = hub && !ref.repository.includes('/') ? `library/${ref.repository}` : ref.repository;
  const reference = ref.digest ?? ref.tag ?? 'latest';
  return { server, repository, reference, isDigest: ref.digest !== undefined };
}

/** How requests to the registry are authorised, and how it was decided. */
interface Access {
  authorization?: string;
  /** The ACR registry's name when the identity's token exchange was used (for `az acr` hints). */
  acr?: string;
  how: 'identity' | 'credentials' | 'anonymous';
}

async function identityAccess(
  target: RegistryTarget,
  registryName: string,
  config: Config,
  deps: ImageCheckDeps,
  http: RegistryHttp,
): Promise<Access> {
  // Tokens of a local stand-in of Azure (a loopback authority-host) go only to a loopback registry.
  if (
    isLoopback(new URL(config.auth.authorityHost).hostname) &&
    !isLoopback(new URL(`https://${target.server}`).hostname)
  ) {
    throw new RegistryUnreadable(
      `this run signs in to a local stand-in of Azure (authority-host ${new URL(config.auth.authorityHost).host}), whose tokens are not for ${target.server}`,
      undefined,
      '',
    );
  }
  let entra: string | undefined;
  try {
    entra = (await deps.credential.getToken(config.auth.armScope))?.token;
  } catch (error) {
    throw new RegistryUnreadable(`no Azure token for the registry (${excerpt((error as Error).message, 120)})`);
  }
  if (!entra) throw new RegistryUnreadable('no Azure token for the registry');
  const refresh = await acrRefreshToken(target.server, entra, jwtTenant(entra) ?? config.auth.tenantId, http);
  deps.mask(refresh);
  const access = await acrAccessToken(target.server, refresh, `repository:${target.repository}:pull`, http);
  deps.mask(access);
  return { authorization: `Bearer ${access}`, acr: registryName, how: 'identity' };
}

/** The subscription's registry with `server` as login server, when the identity can list them. */
async function subscriptionRegistry(server: string, deps: ImageCheckDeps): Promise<string | undefined> {
  try {
    return (await registriesOf(deps.api)).find((r) => r.loginServer.toLowerCase() === server)?.name;
  } catch {
    return undefined;
  }
}

/** Decides how to read the registry and gets the token. */
async function access(
  target: RegistryTarget,
  config: Config,
  deps: ImageCheckDeps,
  http: RegistryHttp,
  seen: Partial<Access>,
): Promise<Access> {
  const { username, password } = config.registry;
  const credentials = username && password ? { username, password } : undefined;
  if (!credentials && isAcrHost(target.server)) {
    seen.acr = target.server.split('.')[0]!;
    seen.how = 'identity';
    return identityAccess(target, target.server.split('.')[0]!, config, deps, http);
  }
  const probed = await probe(target.server, http);
  if (probed.status >= 200 && probed.status < 300) return { how: 'anonymous' };
  const challenge = probed.challenge;
  if (probed.status !== 401 || challenge?.scheme !== 'bearer') {
    throw new RegistryUnreadable(
      challenge?.scheme === 'basic'
        ? `${target.server} asks for a user name and password, not a token`
        : `${target.server} answered GET /v2/ with HTTP ${probed.status}`,
      probed.status,
    );
  }
  if (!credentials && /\/oauth2\/token\/?$/.test(challenge.params.realm ?? '')) {
    // ACR's challenge: an Azure registry under another name (a custom domain, the local stand-in), when the
    // subscription has it. Only then does this identity's Azure token go there.
    const name = await subscriptionRegistry(target.server, deps);
    if (name) {
      seen.acr = name;
      seen.how = 'identity';
      return identityAccess(target, name, config, deps, http);
    }
  }
  seen.how = credentials ? 'credentials' : 'anonymous';
  const token = await bearerToken(challenge, `repository:${target.repository}:pull`, credentials, http);
  deps.mask(token);
  // ACR's admin user or a token user: its _tags lists the newest tags first.
  const acr = credentials && isAcrHost(target.server) ? { acr: target.server.split('.')[0]! } : {};
  return { authorization: `Bearer ${token}`, how: credentials ? 'credentials' : 'anonymous', ...acr };
}

/** The tags to show: ACR's newest first, else the last ones of the registry's list. */
async function tagsOf(target: RegistryTarget, acc: Access, http: RegistryHttp): Promise<TagList> {
  if (acc.acr) {
    const newest = await acrTags(target.server, target.repository, acc.authorization!, http);
    if (newest.status === 200 || newest.status === 404) return newest;
  }
  return listTags(target.server, target.repository, acc.authorization, http);
}

function fixOf(target: ImageTarget): string {
  return target.input === 'image-tag' ? `fix 'image-tag'` : `fix 'image' (or 'image-tag')`;
}

/** The error for an image the registry does not have. */
async function notFound(
  image: ImageTarget,
  target: RegistryTarget,
  acc: Access,
  http: RegistryHttp,
): Promise<ActionError> {
  const listed = await tagsOf(target, acc, http).catch((): TagList => ({ status: 0 }));
  if (listed.status === 404) {
    const hint = acc.acr ? ` (az acr repository list --name ${acc.acr})` : '';
    return new ActionError(
      `Image ${image.image} was not found: registry ${target.server} has no repository '${target.repository}'${hint}: fix '${image.input}', or push the image first.`,
    );
  }
  const missing = target.isDigest
    ? `Image ${image.image} was not found (no manifest with that digest)`
    : `Image ${image.image} was not found`;
  const tags = listed.tags;
  if (!tags) {
    return new ActionError(
      `${missing} in registry ${target.server}, and its tags could not be listed (HTTP ${listed.status || 'no answer'}): push the image first, or ${fixOf(image)}.`,
    );
  }
  if (tags.length === 0) {
    return new ActionError(`${missing}: the repository has no tags yet: push the image first, or ${fixOf(image)}.`);
  }
  const order = listed.newestFirst
    ? ' (newest first)'
    : listed.total && listed.total > tags.length
      ? ` (the last ${tags.length} of ${listed.total})`
      : '';
  return new ActionError(`${missing}: the repository has tags ${tags.join(', ')}${order}: ${fixOf(image)}.`);
}

/** What would let the check run, for the "skipped" line. */
function enabler(seen: Partial<Access>, target: RegistryTarget, config: Config): string {
  if (config.registry.username && config.registry.password) {
    return `check registry-username and registry-password to enable it`;
  }
  if (seen.acr || isAcrHost(target.server)) {
    return `give this workflow's identity the AcrPull role on the registry to enable it`;
  }
  return `set registry-username and registry-password to enable it for a private image`;
}

/**
 * Checks that the image exists (see the module comment). Throws ActionError when the registry says it does not;
 * returns 'skipped' (after one line saying why) when the registry cannot be read.
 */
export async function checkImage(
  config: Config,
  live: Job | undefined,
  deps: ImageCheckDeps,
): Promise<ImageCheckResult> {
  if (!config.checkImage) return { outcome: 'not-checked' };
  const image = imageToCheck(config, live);
  if (!image) return { outcome: 'not-checked' };
  let target: RegistryTarget;
  try {
    target = registryTarget(image.image);
  } catch {
    return { outcome: 'not-checked' }; // the inputs check reports a malformed image
  }
  const http: RegistryHttp = { fetch: deps.fetch ?? fetch, ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}) };
  const seen: Partial<Access> = {};
  try {
    const acc = await access(target, config, deps, http, seen);
    const head = await headManifest(target.server, target.repository, target.reference, acc.authorization, http);
    if (head.status === 200) {
      deps.info(`Image ${image.image} exists in its registry${head.digest ? ` (${head.digest})` : ''}.`);
      return { outcome: 'found', image: image.image, ...(head.digest ? { digest: head.digest } : {}) };
    }
    if (head.status === 404) throw await notFound(image, target, acc, http);
    const who =
      acc.how === 'identity'
        ? `this workflow's identity`
        : acc.how === 'credentials'
          ? `registry-username '${config.registry.username}'`
          : 'anonymous readers';
    throw new RegistryUnreadable(
      head.status === 401 || head.status === 403
        ? `${target.server} does not let ${who} read ${target.repository} (HTTP ${head.status})`
        : `${target.server} answered HTTP ${head.status} for the manifest of ${target.repository}:${target.reference}`,
      head.status,
    );
  } catch (error) {
    if (!(error instanceof RegistryUnreadable)) throw error;
    const hint = error.hint ?? enabler(seen, target, config);
    const reason = hint ? `${error.message}; ${hint}` : error.message;
    deps.info(`Image check skipped for ${image.image}: ${reason}.`);
    return { outcome: 'skipped', image: image.image, reason };
  }
}
