/**
 * Vitest global setup: generate the stand-in's TLS material once per run and make every test worker
 * (and every child process a test spawns) trust its CA through NODE_EXTRA_CA_CERTS. Workers are started
 * after this runs, so they inherit the variables.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTls } from '../standin/common/tls.ts';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'standin-tls-'));
  const tls = ensureTls(dir);
  process.env.STANDIN_TLS_DIR = tls.dir;
  process.env.NODE_EXTRA_CA_CERTS = tls.caFile;
  return () => rmSync(dir, { recursive: true, force: true });
}
