/** The registry data plane's parsers: challenges, Link paging, and untrusted text in messages. */
import { describe, expect, it } from 'vitest';
import { errorMessageOf, excerpt, nextPage, parseChallenge } from '../../src/azure/registry-api.ts';

describe('registry-api parsers', () => {
  it('reads Bearer and Basic challenges as registries send them', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/python:pull',
      },
    });
    expect(parseChallenge('Bearer realm="https://x.azurecr.io/oauth2/token", service="x.azurecr.io"')?.params).toEqual({
      realm: 'https://x.azurecr.io/oauth2/token',
      service: 'x.azurecr.io',
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry Realm' },
    });
    expect(parseChallenge('Bearer realm=unquoted,service="a\\"b"')?.params).toEqual({
      realm: 'unquoted',
      service: 'a"b',
    });
    expect(parseChallenge(null)).toBeUndefined();
    expect(parseChallenge('')).toBeUndefined();
  });

  it('stays linear on hostile challenges (an unterminated quote, a huge header)', () => {
    const hostile = `Bearer realm="${'\\a'.repeat(50_000)}`;
    const c = parseChallenge(hostile);
    expect(c?.scheme).toBe('bearer');
    expect(parseChallenge(`Bearer ${'a='.repeat(100_000)}`)?.scheme).toBe('bearer');
  });

  it('follows Link paging on the same server only', () => {
    expect(nextPage('</v2/library/python/tags/list?last=3.1&n=100>; rel="next"', 'registry-1.docker.io')).toBe(
      'https://registry-1.docker.io/v2/library/python/tags/list?last=3.1&n=100',
    );
    expect(nextPage('<https://evil.example/v2/x/tags/list?last=a>; rel="next"', 'ghcr.io')).toBeUndefined();
    expect(nextPage('</v2/x/tags/list?last=a>; rel="prev"', 'ghcr.io')).toBeUndefined();
    expect(nextPage(null, 'ghcr.io')).toBeUndefined();
  });

  it('keeps what a registry says to one short line without control characters', () => {
    expect(errorMessageOf('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required."}]}')).toBe(
      'authentication required',
    );
    expect(errorMessageOf('{"details":"incorrect username or password"}')).toBe('incorrect username or password');
    expect(errorMessageOf('line one\n::error::fake\r\nline two')).toBe('line one ::error::fake line two');
    expect(excerpt('x'.repeat(500), 20)).toBe(`${'x'.repeat(19)}…`);
  });
});
