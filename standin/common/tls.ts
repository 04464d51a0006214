/**
 * TLS material for the stand-in: a throw-away certificate authority and a server certificate for
 * localhost / 127.0.0.1 / ::1, generated with the system's openssl at test time. Clients trust the CA
 * through NODE_EXTRA_CA_CERTS (child processes) or by passing `ca` to an https agent.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsMaterial {
  /** Directory holding ca.pem, server.pem and server.key. */
  dir: string;
  caFile: string;
  ca: string;
  cert: string;
  key: string;
}

function load(dir: string): TlsMaterial {
  const caFile = join(dir, 'ca.pem');
  return {
    dir,
    caFile,
    ca: readFileSync(caFile, 'utf8'),
    cert: readFileSync(join(dir, 'server.pem'), 'utf8'),
    key: readFileSync(join(dir, 'server.key'), 'utf8'),
  };
}

/**
 * Returns TLS material in `dir` (default: $STANDIN_TLS_DIR, else a fresh temp folder), generating it
 * when the folder does not hold it yet.
 */
export function ensureTls(
  dir = process.env.STANDIN_TLS_DIR ?? join(tmpdir(), `standin-tls-${process.pid}`),
): TlsMaterial {
  if (existsSync(join(dir, 'server.key')) && existsSync(join(dir, 'ca.pem'))) return load(dir);
  mkdirSync(dir, { recursive: true });
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=deploy-container-apps-job stand-in CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(
    join(dir, 'server.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=DNS:localhost,DNS:*.localhost,IP:127.0.0.1,IP:::1',
    ].join('\n'),
  );
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
  return load(dir);
}
