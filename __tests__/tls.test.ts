import { createServer } from 'node:https';
import { get } from 'node:https';
import { describe, expect, it } from 'vitest';
import { ensureTls } from '../standin/common/tls.ts';

describe('stand-in TLS', () => {
  it('is trusted by this worker through NODE_EXTRA_CA_CERTS set in global setup', async () => {
    const tls = ensureTls();
    expect(process.env.NODE_EXTRA_CA_CERTS).toBe(tls.caFile);
    const server = createServer({ cert: tls.cert, key: tls.key }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const body = await new Promise<string>((resolve, reject) => {
      get(`https://localhost:${port}/`, (res) => {
        let s = '';
        res.on('data', (c: Buffer) => (s += c.toString()));
        res.on('end', () => resolve(s));
      }).on('error', reject);
    });
    server.close();
    expect(body).toBe('ok');
  });
});
