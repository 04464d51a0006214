/**
 * The claims of a JWT, read without verifying it (pure): for a token this process received from Entra or GitHub,
 * to learn its tenant or explain a refusal. Never returns or prints the token itself.
 */

/** The (unverified) payload of a compact JWT; an empty object when the text is not one. */
export function jwtClaims(token: string): Record<string, unknown> {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** The `tid` claim (the tenant) of an Entra token, or undefined. */
export function jwtTenant(token: string): string | undefined {
  const { tid } = jwtClaims(token);
  return typeof tid === 'string' ? tid : undefined;
}
