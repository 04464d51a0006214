/**
 * A replay server for recorded Azure Resource Manager traffic (the vendored cassettes in __tests__/recordings/).
 *
 * It answers ARM requests with exactly the recorded responses: status, headers and body as recorded, with only
 * the host of `Azure-AsyncOperation` / `Location` rewritten to this server, `Content-Length` recomputed, and, where
 * a scenario asks for it, recorded IDs rewritten (`rewrite`). There is no model of Azure in between: the steps of
 * a scenario answer strictly in order, each request being answered by the next step when it matches (method,
 * path case-insensitively, and every query parameter but `api-version`). A step marked `repeat` may answer again
 * as long as the next step has not (a recorded poll answer the action may ask for more often than the recorder
 * did). Anything else is answered 599 with a body naming the request and the step expected next, so a test fails
 * loudly. Sign-in is not what is recorded: the GitHub OIDC and Entra ID parts come from the stand-in.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';
import type { TlsMaterial } from '../standin/common/tls.ts';

/** One recorded request/response pair, as in a vcrpy cassette. */
export interface Interaction {
  /** Where it comes from: `file#index`. */
  source: string;
  method: string;
  uri: string;
  requestBody: string | null;
  status: number;
  /** Recorded header names (as recorded) and values. */
  headers: Record<string, string[]>;
  /** The recorded body text ('' when none). */
  body: string;
}

interface VcrCassette {
  interactions?: {
    request?: { method?: string; uri?: string; body?: unknown };
    response?: {
      status?: { code?: number };
      headers?: Record<string, string[] | string>;
      body?: { string?: string | null } | null;
    };
  }[];
}

/** Loads a vcrpy cassette (the Azure CLI's recording format, and the format of the vendored excerpts). */
export function loadCassette(file: string): Interaction[] {
  const doc = parseYaml(readFileSync(file, 'utf8')) as VcrCassette;
  const name = file.split('/').pop() ?? file;
  return (doc.interactions ?? []).map((it, i) => {
    const headers: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(it.response?.headers ?? {})) headers[k] = Array.isArray(v) ? v : [String(v)];
    const body = it.request?.body;
    return {
      source: `${name}#${i}`,
      method: (it.request?.method ?? 'GET').toUpperCase(),
      uri: it.request?.uri ?? '',
      requestBody: typeof body === 'string' ? body : null,
      status: it.response?.status?.code ?? 0,
      headers,
      body: it.response?.body?.string ?? '',
    };
  });
}

export interface Step {
  interaction: Interaction;
  /** May answer again and again until a later step answers (recorded polls the action may repeat). */
  repeat?: boolean;
  /** Literal replacements applied to the recorded request path, response headers and body (IDs only). */
  rewrite?: [from: string, to: string][];
  /**
   * Answer this request path instead of the recorded one (documented route changes only, e.g. the stop route of
   * a preview api-version); the recorded response is sent unchanged.
   */
  path?: string;
}

export interface ServedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: string;
  status: number;
  /** Arrival time (ms since the epoch), for diagnostics. */
  at: number;
  /** `source` of the interaction that answered, or undefined for a 599. */
  answeredBy?: string;
}

export interface ReplayServer {
  readonly url: string;
  /** Every request, in arrival order. */
  readonly requests: ServedRequest[];
  /** Steps never used, as `source` strings (a repeat step counts as used once it answered). */
  unused(): string[];
  /** The 599 answers, as "METHOD path?query". */
  unmatched(): string[];
  close(): Promise<void>;
}

const RECORDED_HOST = /^https:\/\/management\.azure\.com(?=\/)/i;

function applyRewrites(text: string, rewrite: Step['rewrite']): string {
  let out = text;
  for (const [from, to] of rewrite ?? []) out = out.split(from).join(to);
  return out;
}

interface Expected {
  method: string;
  path: string;
  query: Map<string, string>;
}

function expectationOf(step: Step): Expected {
  const url = new URL(applyRewrites(step.interaction.uri, step.rewrite));
  const query = new Map<string, string>();
  for (const [k, v] of url.searchParams) if (k.toLowerCase() !== 'api-version') query.set(k.toLowerCase(), v);
  return { method: step.interaction.method, path: (step.path ?? url.pathname).toLowerCase(), query };
}

function matches(exp: Expected, method: string, url: URL): boolean {
  if (exp.method !== method || exp.path !== url.pathname.toLowerCase()) return false;
  const got = new Map<string, string>();
  for (const [k, v] of url.searchParams) if (k.toLowerCase() !== 'api-version') got.set(k.toLowerCase(), v);
  if (got.size !== exp.query.size) return false;
  for (const [k, v] of exp.query) if (got.get(k) !== v) return false;
  return true;
}

function describeStep(step: Step): string {
  const e = expectationOf(step);
  return `${e.method} ${e.path} (${step.interaction.source}${step.repeat ? ', repeatable' : ''})`;
}

/** Response headers as recorded, with the ARM host of polling URLs pointed at this server. */
function responseHeaders(step: Step, selfUrl: string, body: Buffer): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(step.interaction.headers)) {
    const lower = name.toLowerCase();
    // Recomputed below; recordings store decoded bodies, so a recorded encoding would no longer be true.
    if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'content-encoding') continue;
    const rewritten = values.map((v) => {
      const w = applyRewrites(v, step.rewrite);
      return lower === 'azure-asyncoperation' || lower === 'location' ? w.replace(RECORDED_HOST, selfUrl) : w;
    });
    out[lower] = rewritten.length === 1 ? rewritten[0]! : rewritten;
  }
  out['content-length'] = String(body.length);
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the replay server on 127.0.0.1 with the stand-in's TLS material. */
export async function startReplay(opts: { tls: TlsMaterial; steps: Step[] }): Promise<ReplayServer> {
  const steps = opts.steps.map((s) => ({ step: s, expected: expectationOf(s), used: false }));
  const requests: ServedRequest[] = [];
  const sockets = new Set<Socket>();
  let selfUrl = '';
  /** The next step to answer. */
  let cursor = 0;

  /** The step at the cursor when it matches; else the step before it again when that one may repeat; else -1. */
  const pick = (method: string, url: URL): number => {
    if (cursor < steps.length && matches(steps[cursor]!.expected, method, url)) return cursor;
    const prev = steps[cursor - 1];
    if (prev?.step.repeat && matches(prev.expected, method, url)) return cursor - 1;
    return -1;
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await readBody(req);
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const entry: ServedRequest = { method, path: url.pathname, query, body, status: 0, at: Date.now() };
    requests.push(entry);
    const i = pick(method, url);
    if (i < 0) {
      const pending = steps.slice(cursor, cursor + 1).map((s) => describeStep(s.step));
      const text = JSON.stringify({
        error: {
          code: 'ReplayUnmatched',
          message: `No recorded interaction answers ${method} ${url.pathname}${url.search}. Expected next: ${pending.join('; ') || 'nothing (the scenario is over)'}.`,
        },
      });
      entry.status = 599;
      res.writeHead(599, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    const chosen = steps[i]!;
    chosen.used = true;
    cursor = i + 1;
    const payload = Buffer.from(applyRewrites(chosen.step.interaction.body, chosen.step.rewrite), 'utf8');
    entry.status = chosen.step.interaction.status;
    entry.answeredBy = chosen.step.interaction.source;
    res.writeHead(chosen.step.interaction.status, responseHeaders(chosen.step, selfUrl, payload));
    res.end(payload);
  }

  const server: Server = createServer({ cert: opts.tls.cert, key: opts.tls.key }, (req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(599, { 'content-type': 'text/plain' });
      res.end(`replay server failed: ${String(err)}`);
    });
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  selfUrl = `https://localhost:${(server.address() as AddressInfo).port}`;
  return {
    url: selfUrl,
    requests,
    unused: () => steps.filter((s) => !s.used).map((s) => s.step.interaction.source),
    unmatched: () =>
      requests
        .filter((r) => r.status === 599)
        .map(
          (r) =>
            `${r.method} ${r.path}${Object.keys(r.query).length ? `?${new URLSearchParams(r.query).toString()}` : ''}`,
        ),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
