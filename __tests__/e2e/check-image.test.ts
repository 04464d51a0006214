/**
 * check-image end to end: the bundled action against the stand-in's ACR (a real registry behind the ACR token
 * service), with an image put there by plain HTTP uploads. A tag that exists lets the deploy proceed; a missing tag
 * fails before any write to ARM with the tags that do exist; an identity without AcrPull gets one "skipped" line and
 * the deploy proceeds.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRegistryBinary, startAcr, type StandInAcr } from '../../standin/acr/acr.ts';
import { httpsFetch } from '../../standin/common/http.ts';
import { startBed, type Bed } from '../../test-support/e2e.ts';

const hasRegistry = findRegistryBinary() !== undefined;
if (!hasRegistry) {
  console.warn(
    'SKIPPING the check-image end-to-end tests: docker-registry is not installed (apt-get install docker-registry; .ci/run installs it).',
  );
}

let bed: Bed;
let acr: StandInAcr;
const REPO = 'weather';

const sha256 = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** Uploads a blob and a manifest for each tag (in this order) with the registry's admin user: no container CLI. */
async function pushImage(repository: string, tags: string[]): Promise<void> {
  const base = acr.url;
  const ca = bed.standIn.tls.ca;
  const basic = Buffer.from(`${acr.registry.username}:${acr.registry.passwords[0]}`).toString('base64');
  const t = await httpsFetch(
    `${base}/oauth2/token?service=${encodeURIComponent(acr.loginServer)}&scope=repository:${repository}:pull,push`,
    { ca, headers: { authorization: `Basic ${basic}` } },
  );
  const token = (t.json as { access_token: string }).access_token;
  const auth = { authorization: `Bearer ${token}` };
  const upload = async (content: string): Promise<{ digest: string; size: number }> => {
    const digest = sha256(content);
    const started = await httpsFetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST', ca, headers: auth });
    if (started.status !== 202) throw new Error(`upload start answered ${started.status}: ${started.text}`);
    const location = new URL(started.headers.location!, base);
    location.searchParams.set('digest', digest);
    const put = await httpsFetch(location.toString(), {
      method: 'PUT',
      ca,
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: content,
    });
    if (put.status !== 201) throw new Error(`upload answered ${put.status}: ${put.text}`);
    return { digest, size: Buffer.byteLength(content) };
  };
  for (const tag of tags) {
    const config = await upload(
      JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: [`TAG=${tag}`] } }),
    );
    const layer = await upload(`layer of ${tag}`);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    });
    const put = await httpsFetch(`${base}/v2/${repository}/manifests/${tag}`, {
      method: 'PUT',
      ca,
      headers: { ...auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: manifest,
    });
    if (put.status !== 201) throw new Error(`manifest ${tag} answered ${put.status}: ${put.text}`);
  }
}

function skippedLines(log: string): string[] {
  return log.split('\n').filter((l) => l.includes('Image check skipped'));
}

describe.skipIf(!hasRegistry)('check-image against the stand-in ACR', () => {
  beforeAll(async () => {
    bed = await startBed();
    acr = await startAcr(bed.standIn, { resourceGroup: 'rg-registry', name: 'checkacr', adminUserEnabled: true });
    await pushImage(REPO, ['1.0', 'latest', '1.1']);
  });
  afterAll(async () => {
    await acr?.close();
    await bed?.close();
  });

  const inputs = (jobName: string, tag: string): Record<string, string> => ({
    'job-name': jobName,
    environment: bed.world.environment,
    image: `${acr.loginServer}/${REPO}:${tag}`,
    'registry-identity': 'system',
  });

  it('a tag that exists: checked with the identity (exchange, pull token, HEAD) and the deploy proceeds', async () => {
    const r = await bed.run(inputs('check-ok', '1.1'));
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const digest = await acr.manifestDigest(REPO, '1.1');
    expect(r.log).toContain(`Image ${acr.loginServer}/${REPO}:1.1 exists in its registry (${digest}).`);
    expect(skippedLines(r.log)).toEqual([]);
    expect(r.writes).toEqual(['PUT Microsoft.App/jobs/check-ok']);
    const registry = r.requests
      .filter((q) => q.host === 'acr-checkacr')
      .map((q) => `${q.method} ${q.path} ${q.status}`);
    expect(registry).toEqual([
      'GET /v2/ 401',
      'POST /oauth2/exchange 200',
      'POST /oauth2/token 200',
      `HEAD /v2/${REPO}/manifests/1.1 200`,
    ]);
    expect(acr.grants.at(-1)).toEqual({
      subject: bed.world.objectId,
      requested: [`repository:${REPO}:pull`],
      granted: [`repository:${REPO}:pull`],
    });
  });

  it('a missing tag: one error naming the newest tags that exist, and nothing written to ARM', async () => {
    const r = await bed.run(inputs('check-missing', '1.2'));
    expect(r.exitCode).not.toBe(0);
    expect(r.errors).toEqual([
      `Image ${acr.loginServer}/${REPO}:1.2 was not found: the repository has tags 1.1, latest, 1.0 (newest first): fix 'image' (or 'image-tag').`,
    ]);
    expect(r.writes).toEqual([]);
    expect(r.arm.filter((q) => q.method !== 'GET')).toEqual([]);
    expect(bed.standIn.arm.getJob(bed.world.resourceGroup, 'check-missing')).toBeUndefined();
  });

  it('a missing repository says so, with the az command that lists them', async () => {
    const r = await bed.run({ ...inputs('check-norepo', '1.0'), image: `${acr.loginServer}/wether:1.0` });
    expect(r.errors).toEqual([
      `Image ${acr.loginServer}/wether:1.0 was not found: registry ${acr.loginServer} has no repository 'wether' (az acr repository list --name checkacr): fix 'image', or push the image first.`,
    ]);
    expect(r.writes).toEqual([]);
  });

  it('an identity without AcrPull: one line saying the check was skipped and why, and the deploy proceeds', async () => {
    const sub = `/subscriptions/${bed.world.subscriptionId}`;
    const contributor = bed.standIn.arm.roleAssignments.filter(
      (a) => a.principalId === bed.world.objectId && a.scope === sub,
    );
    for (const a of contributor) bed.standIn.arm.removeRoleAssignment(a);
    // Everything in ARM, nothing in the registry's data plane.
    const custom = bed.standIn.arm.addRoleAssignment({
      principalId: bed.world.objectId,
      scope: sub,
      actions: ['*'],
      notActions: [
        'Microsoft.ContainerRegistry/registries/pull/read',
        'Microsoft.ContainerRegistry/registries/push/write',
        'Microsoft.ContainerRegistry/registries/write',
      ],
    });
    try {
      const r = await bed.run(inputs('check-noacrpull', '1.2'));
      expect(r.errors).toEqual([]);
      expect(r.exitCode).toBe(0);
      expect(skippedLines(r.log)).toEqual([
        `Image check skipped for ${acr.loginServer}/${REPO}:1.2: ${acr.loginServer} does not let this workflow's identity read ${REPO} (HTTP 401); give this workflow's identity the AcrPull role on the registry to enable it.`,
      ]);
      expect(r.writes).toEqual(['PUT Microsoft.App/jobs/check-noacrpull']);
      // Asked once each, no retries.
      const registry = r.requests.filter((q) => q.host === 'acr-checkacr').map((q) => `${q.method} ${q.path}`);
      expect(registry).toEqual([
        'GET /v2/',
        'POST /oauth2/exchange',
        'POST /oauth2/token',
        `HEAD /v2/${REPO}/manifests/1.2`,
      ]);
    } finally {
      bed.standIn.arm.removeRoleAssignment(custom);
      for (const a of contributor) bed.standIn.arm.roleAssignments.push(a);
    }
  });

  it('check-image: false skips it silently; dry-run still checks', async () => {
    const off = await bed.run({ ...inputs('check-off', '1.2'), 'check-image': 'false', 'dry-run': 'true' });
    expect(off.exitCode).toBe(0);
    expect(off.requests.filter((q) => q.host === 'acr-checkacr')).toEqual([]);
    expect(off.log).not.toMatch(/Image check|exists in its registry/);
    const dry = await bed.run({ ...inputs('check-dry', '1.2'), 'dry-run': 'true' });
    expect(dry.errors).toHaveLength(1);
    expect(dry.errors[0]).toContain('was not found: the repository has tags 1.1, latest, 1.0');
  });
});
