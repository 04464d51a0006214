/** Values of the stand-in's JSON (or of a token's claims) as text for messages, ids and locations. */

/** A string as it is, an object or array as JSON (never "[object Object]"), anything else as String() gives it. */
export function text(v: unknown): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}
