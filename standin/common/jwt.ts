/**
 * Minimal RS256 JSON Web Token helpers for the stand-in's identity providers (GitHub OIDC, Entra ID).
 * Only node:crypto: signing keys, JWKS export, compact-serialisation encode/decode and signature checks.
 */
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';

export type { JsonWebKey };

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  /** The public half as a JWK with `kid`, `use: 'sig'`, `alg: 'RS256'`, `x5t` (as issuers publish it). */
  publicJwk: JsonWebKey & { kid: string; x5t: string; use: 'sig'; alg: 'RS256' };
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

export type JwksSource = JsonWebKey[] | { keys: JsonWebKey[] };

export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** A fresh RSA-2048 key with a thumbprint-like `kid` (GitHub and Entra both use base64url/hex thumbprints). */
export function createSigningKey(kid?: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const thumb = createHash('sha1')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest();
  const x5t = base64url(thumb);
  return {
    kid: kid ?? x5t,
    privateKey,
    publicJwk: { kty: 'RSA', use: 'sig', alg: 'RS256', kid: kid ?? x5t, x5t, n: jwk.n, e: jwk.e },
  };
}

export function signJwt(
  payload: Record<string, unknown>,
  key: SigningKey,
  header: Record<string, unknown> = {},
): string {
  const h = { typ: 'JWT', alg: 'RS256', x5t: key.publicJwk.x5t, kid: key.kid, ...header };
  const signingInput = `${base64url(JSON.stringify(h))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign('RSA-SHA256', Buffer.from(signingInput), key.privateKey);
  return `${signingInput}.${base64url(signature)}`;
}

/** Decodes a compact JWS without verifying it; null when it is not one. */
export function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(payload)) return null;
    return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
  } catch {
    return null;
  }
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'alg' | 'unknown-kid' | 'bad-signature' };

/** Checks an RS256 signature against a JWKS, picking the key by `kid` (or trying all when the token has none). */
export function verifyJwtSignature(decoded: DecodedJwt, jwks: JwksSource): SignatureCheck {
  if (decoded.header.alg !== 'RS256') return { ok: false, reason: 'alg' };
  const keys = Array.isArray(jwks) ? jwks : jwks.keys;
  const kid = decoded.header.kid;
  const candidates = typeof kid === 'string' ? keys.filter((k) => (k as { kid?: string }).kid === kid) : keys;
  if (candidates.length === 0) return { ok: false, reason: 'unknown-kid' };
  for (const jwk of candidates) {
    try {
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      if (verify('RSA-SHA256', Buffer.from(decoded.signingInput), key, decoded.signature)) return { ok: true };
    } catch {
      // an unusable key in the set is skipped, as validators do
    }
  }
  return { ok: false, reason: 'bad-signature' };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
