/** Values from outside (a YAML scalar, a Log Analytics cell) as plain text. */

/** A string as it is; a number, boolean or bigint as written; an object as JSON; null, undefined and the rest as ''. */
export function plainText(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'object':
      return v === null ? '' : JSON.stringify(v);
    default:
      return '';
  }
}
