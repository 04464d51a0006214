/**
 * Shared HTTPS plumbing for every host of the stand-in (GitHub OIDC, Entra ID, ARM, and later hosts):
 * one https server per host on 127.0.0.1 with the stand-in's TLS material, body reading, JSON replies,
 * the shared request log and fault injection (throttling, 5xx, dropped connections, latency).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TlsMaterial } from './tls.ts';

/** One request to any host, in arrival order. `status` is filled in when the answer is complete. */
export interface RequestLogEntry {
  /** The stand-in host that took it: 'github', 'entra', 'arm', 'logstream', 'loganalytics'... */
  host: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, or the text (form bodies stay text); absent when empty. */
  body?: unknown;
  /**
   * HTTP status, set when the headers go out; 0 while in flight or when the connection was dropped before an
   * answer. For a `drop-after` fault: the status the host chose but never sent.
   */
  status: number;
  /** Arrival time from the stand-in's clock (ms since the epoch). */
  time: number;
  durationMs: number;
  /** Object id of the caller, when the host authenticated one (ARM). */
  principal?: string;
  /** The fault applied to this request, if any: 'status', 'drop-before', 'drop-after', 'latency'. */
  fault?: FaultKind;
  /** Set by a host's handler to describe what it did (for example the ARM operation id). */
  note?: string;
}

/** Handler of one host. `body` is the full request body; set `ctx.entry.principal` when known. */
export type HostHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  ctx: HostContext,
) => Promise<void> | void;

export interface HostContext {
  entry: RequestLogEntry;
  url: URL;
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

export type FaultKind = 'status' | 'drop-before' | 'drop-after' | 'latency' | 'raw' | 'drop-mid-body';

/** Which requests a fault applies to. Everything omitted matches. */
export interface FaultMatch {
  /** Host name: 'arm', 'entra', 'github', ... */
  host?: string;
  /** HTTP method, case-insensitive. */
  method?: string;
  /** Tested against the path (without the query); a string is compiled as a case-insensitive RegExp. */
  path?: RegExp | string;
  /** How many matching requests the fault applies to (default 1; Infinity for all). */
  times?: number;
  /** Let this many matching requests through untouched first (default 0). */
  skip?: number;
}

export type FaultAction =
  /** Answer with this status and the host's error body, without calling the host (nothing changes). */
  | { kind: 'status'; status: number; retryAfterSec?: number; code?: string; message?: string }
  /** Reset the connection once the request has arrived; the host never sees it. */
  | { kind: 'drop-before' }
  /** Let the host act (state changes happen), then reset the connection instead of answering. */
  | { kind: 'drop-after' }
  /** Wait this long, then handle normally. Combines with one other fault. */
  | { kind: 'latency'; ms: number }
  // azure helper (field evidence): answers in shapes other than the host's error body, and a cut-off answer.
  /** Answer with exactly this body and content type (HTML from a gateway, plain text, problem details, ''). */
  | { kind: 'raw'; status: number; body: string; contentType?: string; retryAfterSec?: number }
  /** Let the host act, send its headers and the first half of its body, then reset the connection. */
  | { kind: 'drop-mid-body' };

export type FaultSpec = FaultMatch & FaultAction;

export interface ActiveFault {
  readonly spec: FaultSpec;
  /** Matching requests still to be affected. */
  remaining: number;
  /** Matching requests still to be let through before the fault starts. */
  toSkip: number;
  /** Requests this fault was applied to. */
  hits: number;
}

/** Error body a host gives for an injected status fault. */
export type FaultBody = (
  status: number,
  fault: { code?: string; message?: string; retryAfterSec?: number },
) => { body: unknown; headers?: Record<string, string> };

export class Faults {
  readonly active: ActiveFault[] = [];

  /** Adds a fault for the next `times` (default 1) matching requests. */
  add(spec: FaultSpec): ActiveFault {
    const fault: ActiveFault = { spec, remaining: spec.times ?? 1, toSkip: spec.skip ?? 0, hits: 0 };
    this.active.push(fault);
    return fault;
  }

  /** 429 with Retry-After (seconds). */
  throttle(match: FaultMatch = {}, retryAfterSec = 1): ActiveFault {
    return this.add({ ...match, kind: 'status', status: 429, retryAfterSec });
  }

  /** 500 / 502 / 503 / 504 with the host's error body. */
  serverError(match: FaultMatch = {}, status: 500 | 502 | 503 | 504 = 500, retryAfterSec?: number): ActiveFault {
    return this.add({ ...match, kind: 'status', status, ...(retryAfterSec === undefined ? {} : { retryAfterSec }) });
  }

  /** Reset the connection before the host acts. */
  dropBefore(match: FaultMatch = {}): ActiveFault {
    return this.add({ ...match, kind: 'drop-before' });
  }

  /** Reset the connection after the host acted (the change happens, the client sees a reset). */
  dropAfter(match: FaultMatch = {}): ActiveFault {
    return this.add({ ...match, kind: 'drop-after' });
  }

  /** Delay matching requests. */
  latency(match: FaultMatch, ms: number): ActiveFault {
    return this.add({ ...match, kind: 'latency', ms });
  }

  clear(): void {
    this.active.length = 0;
  }

  /**
   * Takes the faults for one request: at most one latency and one other fault (the first registered
   * that matches), consuming one use of each. Exhausted faults are removed.
   */
  take(host: string, method: string, path: string): { latencyMs: number; action?: FaultAction } {
    let latencyMs = 0;
    let action: FaultAction | undefined;
    let tookLatency = false;
    for (const f of this.active) {
      if (f.remaining <= 0 || !matches(f.spec, host, method, path)) continue;
      const isLatency = f.spec.kind === 'latency';
      if (isLatency ? tookLatency : action !== undefined) continue;
      if (f.toSkip > 0) {
        f.toSkip--;
        continue;
      }
      f.remaining--;
      f.hits++;
      if (f.spec.kind === 'latency') {
        latencyMs = f.spec.ms;
        tookLatency = true;
      } else {
        action = toAction(f.spec);
      }
    }
    for (let i = this.active.length - 1; i >= 0; i--)
      if ((this.active[i] as ActiveFault).remaining <= 0) this.active.splice(i, 1);
    return action === undefined ? { latencyMs } : { latencyMs, action };
  }
}

function toAction(spec: FaultSpec): FaultAction {
  switch (spec.kind) {
    case 'status': {
      const a: FaultAction = { kind: 'status', status: spec.status };
      if (spec.retryAfterSec !== undefined) a.retryAfterSec = spec.retryAfterSec;
      if (spec.code !== undefined) a.code = spec.code;
      if (spec.message !== undefined) a.message = spec.message;
      return a;
    }
    case 'latency':
      return { kind: 'latency', ms: spec.ms };
    case 'raw': {
      const a: FaultAction = { kind: 'raw', status: spec.status, body: spec.body };
      if (spec.contentType !== undefined) a.contentType = spec.contentType;
      if (spec.retryAfterSec !== undefined) a.retryAfterSec = spec.retryAfterSec;
      return a;
    }
    default:
      return { kind: spec.kind };
  }
}

function matches(spec: FaultMatch, host: string, method: string, path: string): boolean {
  if (spec.host !== undefined && spec.host !== host) return false;
  if (spec.method !== undefined && spec.method.toUpperCase() !== method.toUpperCase()) return false;
  if (spec.path !== undefined) {
    const re = typeof spec.path === 'string' ? new RegExp(spec.path, 'i') : spec.path;
    re.lastIndex = 0;
    if (!re.test(path)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Hosts
// ---------------------------------------------------------------------------------------------

export interface HostOptions {
  /** Name in the request log and for fault matching: 'arm', 'entra', 'github', ... */
  name: string;
  tls: TlsMaterial;
  handler: HostHandler;
  log: RequestLogEntry[];
  faults: Faults;
  clock?: () => number;
  /** Error body for injected status faults and for handler crashes (default `{ error: { code, message } }`). */
  faultBody?: FaultBody;
}

export interface Host {
  readonly name: string;
  /** `https://localhost:PORT` (the certificate covers localhost and 127.0.0.1). */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

const DEFAULT_FAULT_CODES: Record<number, [string, string]> = {
  429: ['TooManyRequests', 'The request is being throttled.'],
  500: ['InternalServerError', 'The server encountered an internal error.'],
  502: ['BadGateway', 'The server received an invalid response from an upstream server.'],
  503: ['ServiceUnavailable', 'The service is temporarily unavailable. Please try again later.'],
  504: ['GatewayTimeout', 'The gateway did not receive a response within the specified time period.'],
};

export const defaultFaultBody: FaultBody = (status, fault) => {
  const [code, message] = DEFAULT_FAULT_CODES[status] ?? ['Error', `Injected HTTP ${status}.`];
  return { body: { error: { code: fault.code ?? code, message: fault.message ?? message } } };
};

/** Starts one host's https server on 127.0.0.1 (a free port). */
export async function startHost(opts: HostOptions): Promise<Host> {
  const clock = opts.clock ?? Date.now;
  const faultBody = opts.faultBody ?? defaultFaultBody;
  const sockets = new Set<Socket>();
  const server = createServer({ cert: opts.tls.cert, key: opts.tls.key }, (req, res) => {
    void serve(req, res);
  });
  // Idle keep-alive sockets are closed by the CLIENT first: with Node's 5 s default, a client that reuses a socket
  // just as the server closes it gets "fetch failed" (seen under load). Azure's front doors keep sockets longer too.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'https://localhost');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const entry: RequestLogEntry = {
      host: opts.name,
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      status: 0,
      time: clock(),
      durationMs: 0,
    };
    opts.log.push(entry);
    const finish = (status: number): void => {
      entry.status = status;
      entry.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    };
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      finish(0);
      return;
    }
    const parsed = parseBodyForLog(body, req.headers['content-type']);
    if (parsed !== undefined) entry.body = parsed;

    const { latencyMs, action } = opts.faults.take(opts.name, entry.method, entry.path);
    if (latencyMs > 0) {
      entry.fault = 'latency';
      await sleep(latencyMs);
    }
    if (action?.kind === 'drop-before') {
      entry.fault = 'drop-before';
      finish(0);
      req.socket.destroy();
      return;
    }
    if (action?.kind === 'status') {
      entry.fault = 'status';
      const { body: errBody, headers } = faultBody(action.status, action);
      const h: Record<string, string> = { ...headers };
      if (action.retryAfterSec !== undefined) h['retry-after'] = String(action.retryAfterSec);
      finish(action.status);
      sendJson(res, action.status, errBody, h);
      return;
    }
    if (action?.kind === 'raw') {
      entry.fault = 'raw';
      const h: Record<string, string> = { 'content-length': String(Buffer.byteLength(action.body)) };
      if (action.contentType) h['content-type'] = action.contentType;
      if (action.retryAfterSec !== undefined) h['retry-after'] = String(action.retryAfterSec);
      finish(action.status);
      res.writeHead(action.status, h);
      res.end(action.body);
      return;
    }
    if (action?.kind === 'drop-mid-body') {
      entry.fault = 'drop-mid-body';
      cutResponse(res, () => {
        finish(res.statusCode);
        req.socket.destroy();
      });
    }
    const dropAfter = action?.kind === 'drop-after';
    if (dropAfter) {
      entry.fault = 'drop-after';
      // The host acts; its answer is recorded (status) but never sent: the client sees a reset.
      swallowResponse(res, () => {
        finish(res.statusCode);
        req.socket.destroy();
      });
    } else {
      // Record the status as the headers go out: a client may look at the log before 'finish' fires.
      const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => ServerResponse;
      (res as unknown as { writeHead: (...a: unknown[]) => ServerResponse }).writeHead = (...a: unknown[]) => {
        finish(typeof a[0] === 'number' ? a[0] : res.statusCode);
        return writeHead(...a);
      };
      res.on('finish', () => finish(res.statusCode));
      res.on('close', () => {
        if (entry.status === 0 && !res.writableFinished) finish(res.headersSent ? res.statusCode : 0);
      });
    }
    try {
      await opts.handler(req, res, body, { entry, url });
    } catch (err) {
      console.error(`stand-in ${opts.name}: handler failed for ${entry.method} ${entry.path}:`, err);
      if (!res.headersSent) {
        const { body: errBody, headers } = faultBody(500, {
          code: 'InternalServerError',
          message: `The stand-in failed: ${err instanceof Error ? err.message : String(err)}`,
        });
        sendJson(res, 500, errBody, headers);
      } else if (!res.writableEnded) {
        res.end();
      }
    }
    if (dropAfter && !res.writableEnded) res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    name: opts.name,
    url: `https://localhost:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Makes `res` record what the handler would send without sending anything; `onEnd` runs when the handler
 * ends the response (the caller then resets the connection).
 */
/** azure helper: sends the headers and the first half of the body the host ends with, then calls `onCut`. */
function cutResponse(res: ServerResponse, onCut: () => void): void {
  const r = res as unknown as Record<string, unknown>;
  const write = res.write.bind(res) as (chunk: Buffer, cb: () => void) => boolean;
  r.end = (...args: unknown[]) => {
    const chunk = args.find((a): a is string | Buffer => typeof a === 'string' || Buffer.isBuffer(a));
    const buf = chunk === undefined ? Buffer.alloc(0) : Buffer.from(chunk);
    write(buf.subarray(0, Math.floor(buf.length / 2)), () => setTimeout(onCut, 20));
    return res;
  };
}

function swallowResponse(res: ServerResponse, onEnd: () => void): void {
  let ended = false;
  const r = res as unknown as Record<string, unknown>;
  r.writeHead = (status: number) => {
    res.statusCode = status;
    return res;
  };
  r.write = () => true;
  r.end = (...args: unknown[]) => {
    if (!ended) {
      ended = true;
      const cb = args.find((a) => typeof a === 'function') as (() => void) | undefined;
      onEnd();
      cb?.();
    }
    return res;
  };
  Object.defineProperty(res, 'writableEnded', { get: () => ended, configurable: true });
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

export function readBody(req: IncomingMessage, limit = 10 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBodyForLog(body: Buffer, contentType: string | undefined): unknown {
  if (body.length === 0) return undefined;
  const text = body.toString('utf8');
  if (contentType === undefined || /json/i.test(contentType) || /^\s*[[{"]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** Parses a JSON body; undefined for an empty one; throws SyntaxError for malformed JSON. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  return JSON.parse(text) as unknown;
}

/** Sends JSON (`application/json; charset=utf-8`) with a Content-Length. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  const h: Record<string, string> = { ...headers };
  if (body !== undefined && h['content-type'] === undefined) h['content-type'] = 'application/json; charset=utf-8';
  h['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(status, h);
  res.end(text);
}

export function newGuid(): string {
  return randomUUID();
}

export interface SimpleResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** Parsed JSON, or undefined when the body is empty or not JSON. */
  json: unknown;
}

/**
 * A plain HTTPS request (for tests and scripts talking to the stand-in directly). `ca` defaults to the
 * process trust store (NODE_EXTRA_CA_CERTS); a fresh connection per call. Rejects on connection errors
 * (e.g. ECONNRESET from a dropped-connection fault).
 */
export function httpsFetch(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: unknown; ca?: string; timeoutMs?: number } = {},
): Promise<SimpleResponse> {
  const payload =
    opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...opts.headers };
  if (payload !== undefined) {
    headers['content-length'] = String(Buffer.byteLength(payload));
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
  }
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: opts.method ?? 'GET', headers, agent: false, ...(opts.ca ? { ca: opts.ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : (JSON.parse(text) as unknown);
          } catch {
            json = undefined;
          }
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status: res.statusCode ?? 0, headers: h, text, json });
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error('request timed out')));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
