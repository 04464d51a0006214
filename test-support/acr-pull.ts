/**
 * Pulls an image's manifest from the stand-in ACR (a real registry behind it) as a managed identity would when the
 * platform starts a job's replica with `registries: [{ server, identity }]`: the identity's Entra token exchanged
 * for an ACR refresh token, a `repository:NAME:pull` access token, then the manifest. The stand-in does not pull
 * images when it runs an execution, so tests that must show the job CAN pull do it here.
 */
import type { StandInAcr } from '../standin/acr/acr.ts';
import { ACR_TOKEN_USER } from '../standin/acr/acr.ts';
import { httpsFetch } from '../standin/common/http.ts';
import type { StandIn } from '../standin/index.ts';

export interface PullResult {
  /** HTTP status of the manifest request (200 when pulled). */
  status: number;
  /** What the registry reports as the manifest's digest. */
  digest?: string;
  /** Why a step before the manifest failed. */
  refused?: string;
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** `image` is `LOGIN-SERVER/REPOSITORY(:TAG|@DIGEST)` on this registry; `clientId` the identity's client id. */
export async function pullManifestAs(
  standIn: StandIn,
  acr: StandInAcr,
  clientId: string,
  image: string,
): Promise<PullResult> {
  const prefix = `${acr.loginServer}/`;
  if (!image.startsWith(prefix)) throw new Error(`${image} is not on ${acr.loginServer}`);
  const ref = image.slice(prefix.length);
  const at = ref.includes('@') ? ref.indexOf('@') : ref.lastIndexOf(':');
  const repository = ref.slice(0, at);
  const reference = ref.slice(at + 1);
  const ca = standIn.tls.ca;

  const aad = standIn.entra.issueAccessToken({ clientId, resource: 'https://containerregistry.azure.net' });
  const form = new URLSearchParams({
    grant_type: 'access_token',
    service: acr.loginServer,
    tenant: standIn.tenantId,
    access_token: aad,
  });
  const ex = await httpsFetch(`${acr.url}/oauth2/exchange`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    ca,
  });
  const refresh = (ex.json as { refresh_token?: string } | undefined)?.refresh_token;
  if (ex.status !== 200 || !refresh) return { status: ex.status, refused: `exchange: ${ex.text}` };

  const basic = Buffer.from(`${ACR_TOKEN_USER}:${refresh}`).toString('base64');
  const scope = encodeURIComponent(`repository:${repository}:pull`);
  const tok = await httpsFetch(
    `${acr.url}/oauth2/token?service=${encodeURIComponent(acr.loginServer)}&scope=${scope}`,
    { headers: { authorization: `Basic ${basic}` }, ca },
  );
  const access = (tok.json as { access_token?: string } | undefined)?.access_token;
  if (tok.status !== 200 || !access) return { status: tok.status, refused: `token: ${tok.text}` };

  const manifest = await httpsFetch(`${acr.url}/v2/${repository}/manifests/${reference}`, {
    method: 'HEAD',
    headers: { authorization: `Bearer ${access}`, accept: MANIFEST_TYPES },
    ca,
  });
  const digest = manifest.headers['docker-content-digest'];
  return { status: manifest.status, ...(digest ? { digest } : {}) };
}
