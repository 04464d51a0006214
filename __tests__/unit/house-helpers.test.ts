/** The shared helpers that replaced copies: JWT claims, resource IDs, and the "code: message" of Azure errors. */
import { describe, expect, it } from 'vitest';
import { azureDetail, describeAzureError } from '../../src/common/errors.ts';
import { jobResourceId, matchResourceId, resourceGroupId } from '../../src/common/ids.ts';
import { jwtClaims, jwtTenant } from '../../src/common/jwt.ts';

function jwt(payload: unknown): string {
  const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc(payload)}.c2ln`;
}

describe('JWT claims', () => {
  it('reads the payload and the tenant of a token, and nothing of text that is not one', () => {
    expect(jwtClaims(jwt({ tid: 'tenant-1', sub: 'repo:o/r:ref:refs/heads/main' }))).toEqual({
      tid: 'tenant-1',
      sub: 'repo:o/r:ref:refs/heads/main',
    });
    expect(jwtTenant(jwt({ tid: 'tenant-1' }))).toBe('tenant-1');
    expect(jwtTenant(jwt({ tid: 42 }))).toBeUndefined();
    expect(jwtTenant('garbage')).toBeUndefined();
    expect(jwtClaims('a.bm90IGpzb24.c')).toEqual({});
    expect(jwtClaims(jwt([1, 2]))).toEqual({});
    expect(jwtClaims(jwt(null))).toEqual({});
  });
});

describe('resource IDs', () => {
  const SUB = '00000000-0000-0000-0000-000000000000';
  it('builds group and job IDs in the canonical spelling', () => {
    expect(resourceGroupId(SUB, 'rg')).toBe(`/subscriptions/${SUB}/resourceGroups/rg`);
    expect(jobResourceId(SUB, 'rg', 'job')).toBe(
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.App/jobs/job`,
    );
  });

  it('matches only IDs of the exact shape, keys in any case', () => {
    expect(
      matchResourceId(`/SUBSCRIPTIONS/${SUB}/resourcegroups/rg/providers/Microsoft.App/managedEnvironments/env`),
    ).toEqual({
      subscriptionId: SUB,
      resourceGroup: 'rg',
      provider: 'Microsoft.App',
      type: 'managedEnvironments',
      name: 'env',
    });
    expect(matchResourceId(`/subscriptions/${SUB}/resourceGroups/rg`)).toBeUndefined();
    expect(
      matchResourceId(`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.App/jobs/j/executions/e`),
    ).toBeUndefined();
    expect(matchResourceId('env')).toBeUndefined();
  });
});

describe('Azure error text', () => {
  const azure = (statusCode: number | undefined, code: string | undefined, message: string): Error =>
    Object.assign(new Error(message), { statusCode, code });

  it('spells an error as status, code and message on one line, without the final period', () => {
    expect(azureDetail(azure(503, 'ServiceUnavailable', 'The service is\n unavailable.'))).toBe(
      '503 ServiceUnavailable: The service is unavailable',
    );
    expect(azureDetail(azure(404, undefined, 'Not found.'))).toBe('404: Not found');
    expect(azureDetail(new Error('socket hang up'))).toBe('socket hang up');
    expect(azureDetail('plain text.')).toBe('plain text');
  });

  it('keeps the same spelling inside the messages that say what was refused', () => {
    expect(describeAzureError(azure(403, 'AuthorizationFailed', 'No access.'), 'read', "job 'j'").message).toMatch(
      /^Azure refused to read job 'j' \(403 AuthorizationFailed\): No access\. Fix: give the identity a role/,
    );
    expect(describeAzureError(azure(500, undefined, 'Boom'), 'read', "job 'j'").message).toBe(
      "Azure refused to read job 'j' (500 Error): Boom.",
    );
    expect(describeAzureError(new Error('ECONNRESET'), 'read', "job 'j'").message).toBe(
      "Could not read job 'j': ECONNRESET. Check the network path to Azure and rerun the job.",
    );
  });
});
