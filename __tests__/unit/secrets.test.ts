import { describe, expect, it, vi } from 'vitest';

vi.mock('@actions/core', () => ({ setSecret: vi.fn() }));
const core = await import('@actions/core');
const { mask, redact } = await import('../../src/common/secrets.ts');

describe('secrets', () => {
  it('masks through the runner and redacts the summary text it does not mask', () => {
    mask('pa55-w0rd');
    mask('line-one-secret\nline-two-secret');
    mask('');
    expect(core.setSecret).toHaveBeenCalledTimes(3); // the single-line value, then each line of the other
    expect(redact('user pa55-w0rd at line-two-secret')).toBe('user *** at ***');
    expect(redact('nothing here')).toBe('nothing here');
  });
});
