/** Image reference helpers (pure). */

/** The registry host of an image reference, when it names one (`host.tld/...`, `host:port/...`, `localhost/...`). */
export function registryHost(image: string): string | undefined {
  const slash = image.indexOf('/');
  if (slash < 0) return undefined;
  const first = image.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') return first.toLowerCase();
  return undefined;
}

/** `repo[:tag][@digest]` without its tag and digest. */
export function repositoryOf(image: string): string {
  const at = image.indexOf('@');
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
}

/** Keeps the repository of `image` and puts `tag` on it (dropping any digest). */
export function withTag(image: string, tag: string): string {
  return `${repositoryOf(image)}:${tag}`;
}
