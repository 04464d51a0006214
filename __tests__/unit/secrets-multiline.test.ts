/**
 * Multi-line secrets (PEM keys, wrapped base64): every line that is part of the secret is masked, no fragment that
 * is not (`==`, `=`, short lines, PEM armour) is ever registered with the runner, and the secrets input accepts a
 * PEM key as a value.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@actions/core', () => ({ setSecret: vi.fn() }));
const core = await import('@actions/core');
const { mask, redact } = await import('../../src/common/secrets.ts');
const { parseConfig, secretValuesFromInputs } = await import('../../src/inputs/config.ts');

const PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7',
  'k3Jz0aQ1c2VjcmV0LXBhcnQtdHdvLW9mLXRoZS1rZXk',
  'AB',
  '==',
  '-----END PRIVATE KEY-----',
].join('\n');
const masked = (): string[] => vi.mocked(core.setSecret).mock.calls.map((c) => c[0]);

beforeEach(() => vi.mocked(core.setSecret).mockClear());

describe('masking a multi-line secret', () => {
  it('registers each secret line, never a fragment such as ==, a short line or the PEM armour', () => {
    mask(PEM);
    expect(masked()).toEqual([
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7',
      'k3Jz0aQ1c2VjcmV0LXBhcnQtdHdvLW9mLXRoZS1rZXk',
    ]);
    expect(masked().some((m) => m.includes('\n'))).toBe(false);
  });

  it('skips base64 padding lines and punctuation-only lines', () => {
    mask('c2VjcmV0LWxpbmUtb25l\n=\n==\n----\n...\n  \nc2Vj');
    expect(masked()).toEqual(['c2VjcmV0LWxpbmUtb25l', 'c2Vj']);
  });

  it('still hides the whole value, and each of its lines, in text the runner does not mask', () => {
    mask(PEM);
    expect(redact(`key:\n${PEM}\nend`)).toBe('key:\n***\nend');
    expect(redact('k3Jz0aQ1c2VjcmV0LXBhcnQtdHdvLW9mLXRoZS1rZXk alone')).toBe('*** alone');
    expect(redact('a == b, AB')).toBe('a == b, AB');
  });

  it('masks a single-line value whole, even a short one (it is the secret)', () => {
    mask('abc');
    expect(masked()).toEqual(['abc']);
  });
});

describe('the secrets input accepts a PEM key', () => {
  const SUB = '11111111-2222-3333-4444-555555555555';
  const inputs: Record<string, string> = {
    'resource-group': 'rg-data',
    'job-name': 'alice-weather-job',
    image: 'ghcr.io/alice/app:1',
    // What `${{ secrets.SSH_KEY }}` expands to inside `secrets: |`.
    secrets: `ssh-key=${PEM}\ndb-password=hunter2-s3cret`,
  };
  it('as one secret value with its line breaks, masked before parsing', () => {
    const c = parseConfig((n) => inputs[n] ?? '', { AZURE_SUBSCRIPTION_ID: SUB });
    expect(c.secrets).toEqual([
      { name: 'ssh-key', value: PEM },
      { name: 'db-password', value: 'hunter2-s3cret' },
    ]);
    expect(secretValuesFromInputs((n) => inputs[n] ?? '').sort()).toEqual([PEM, 'hunter2-s3cret'].sort());
  });

  it('other multi-line values still fail, with the line and no value shown', () => {
    const bad: Record<string, string> = { ...inputs, secrets: 'token=line-one-of-secret\nline-two-of-secret' };
    expect(() => parseConfig((n) => bad[n] ?? '', { AZURE_SUBSCRIPTION_ID: SUB })).toThrow(
      /^secrets line 2 has no '='/,
    );
  });
});
