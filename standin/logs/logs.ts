/**
 * The two log services of Container Apps jobs, on their own hosts of the stand-in:
 *
 * - `LogStreamHost` (the environment's event-stream host, `eventStreamEndpoint`'s origin): a replica container's
 *   console output as a chunked text stream (`.../jobs/{job}/executions/{exec}/replicas/{replica}/containers/
 *   {container}/logstream?follow=true&output=text&tailLines=N`, Bearer token from POST .../getAuthToken), that
 *   ends when the replica ends; and the job's system events (`.../containerApps/{job}/eventstream`, JSON lines).
 * - `LogAnalyticsHost` (`https://api.loganalytics.io`): `POST /v1/workspaces/{workspaceId}/query` over the
 *   tables `ContainerAppConsoleLogs_CL` and `ContainerAppSystemLogs_CL`, rows arriving after an ingestion delay,
 *   for a subset of KQL (see `runQuery`).
 *
 * What the lines say comes from the execution's script (`standin/arm/execution-logs.ts`).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Arm } from '../arm/arm.ts';
import { consoleLines, systemEvents, type ConsoleLine, type SystemEvent } from '../arm/execution-logs.ts';
import { replicaRuns, runEnd, type ExecutionRecord } from '../arm/executions.ts';
import type { JobRecord } from '../arm/state.ts';
import type { EntraId } from '../entra/entra.ts';
import { parseJsonBody, sendJson, type HostContext } from '../common/http.ts';

/** Lines a stream replays on connect at most (the CLI's --tail allows 0-300). */
export const MAX_TAIL_LINES = 300;
const DEFAULT_TAIL_LINES = 20;
const TICK_MS = 20;

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** 2026-02-06T00:22:06.123000000Z: the log line timestamps (nanoseconds, as containerd writes them). */
export function logTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000000Z`;
}

/** 2026-02-06T00:22:06.12300: the stream's own connection lines (5 fractional digits, no zone, as seen). */
function connectTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}00`;
}

/** 2026-02-06 00:22:06 +0000 UTC: system event times as the event stream writes them. */
function eventTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

export interface StreamCut {
  /** Reset the connection after this many log lines (preamble not counted). */
  afterLines: number;
  /** How many streams to cut (default 1). */
  remaining: number;
}

export class LogStreamHost {
  readonly arm: Arm;
  /** Scheduled cuts of console streams (dropped connections mid-stream), used in order. */
  readonly cuts: StreamCut[] = [];

  constructor(arm: Arm) {
    this.arm = arm;
  }

  /** The next `times` console streams are reset after `afterLines` lines each. */
  cutStreams(afterLines: number, times = 1): void {
    this.cuts.push({ afterLines, remaining: times });
  }

  async handle(req: IncomingMessage, res: ServerResponse, _body: Buffer, ctx: HostContext): Promise<void> {
    const p = ctx.url.pathname;
    const console_ =
      /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/jobs\/([^/]+)\/executions\/([^/]+)\/replicas\/([^/]+)\/containers\/([^/]+)\/logstream\/?$/i.exec(
        p,
      );
    const events = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/containerApps\/([^/]+)\/eventstream\/?$/i.exec(
      p,
    );
    if (req.method !== 'GET' || (!console_ && !events)) {
      sendJson(res, 404, { error: { code: 'NotFound', message: `No log stream at ${p}.` } });
      return;
    }
    const m = (console_ ?? events) as RegExpExecArray;
    const [sub, rg, jobName] = [m[1], m[2], m[3]].map((x) => decodeURIComponent(x as string)) as [
      string,
      string,
      string,
    ];
    const job = this.arm.jobs.get(`${rg.toLowerCase()}/${jobName.toLowerCase()}`);
    const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const token = auth ? this.arm.verifyLogStreamToken(auth[1] as string) : undefined;
    if (
      !token ||
      !job ||
      token.jobId !== job.id.toLowerCase() ||
      sub.toLowerCase() !== this.arm.subscriptionId.toLowerCase()
    ) {
      // Guess: the real host's wording is not documented.
      sendJson(res, 401, {
        error: { code: 'Unauthorized', message: 'The log stream token is missing, expired or not valid for this job.' },
      });
      return;
    }
    ctx.entry.note = console_ ? 'console' : 'system';
    const q = ctx.url.searchParams;
    const follow = (q.get('follow') ?? 'false').toLowerCase() === 'true';
    const tailText = q.get('tailLines');
    const tail = Math.max(0, Math.min(MAX_TAIL_LINES, tailText === null ? DEFAULT_TAIL_LINES : Number(tailText) || 0));
    if (console_) {
      await this.console(
        res,
        job,
        decodeURIComponent(m[4] as string),
        decodeURIComponent(m[5] as string),
        decodeURIComponent(m[6] as string),
        follow,
        tail,
      );
    } else {
      await this.system(req, res, job, follow, tail);
    }
  }

  private async console(
    res: ServerResponse,
    job: JobRecord,
    execName: string,
    replica: string,
    container: string,
    follow: boolean,
    tail: number,
  ): Promise<void> {
    const rec = job.executions.find((e) => e.name.toLowerCase() === execName.toLowerCase());
    const run = rec ? replicaRuns(rec).find((r) => r.name.toLowerCase() === replica.toLowerCase()) : undefined;
    const names = rec ? ((rec.template.containers ?? []) as { name?: string }[]).map((c) => String(c.name)) : [];
    if (!rec || !run || !this.arm.replicaVisible(rec, run.startMs) || !names.includes(container)) {
      sendJson(res, 404, {
        error: {
          code: 'NotFound',
          message: `Replica '${replica}' (container '${container}') of execution '${execName}' was not found.`,
        },
      });
      return;
    }
    if (run.last && rec.script.outcome === 'ImagePullFailure') {
      // Kubernetes' answer for a container that never started (kubectl logs says the same).
      sendText(
        res,
        400,
        `container "${container}" in pod "${replica}" is waiting to start: trying and failing to pull image`,
      );
      return;
    }
    const clock = this.arm.clock;
    const mine = (): ConsoleLine[] =>
      consoleLines(rec).filter((l) => l.replica === run.name && l.container === container);
    const endAt = (): number => rec.createdAt + runEnd(rec, run);
    const format = (l: ConsoleLine): string => `${logTimestamp(l.time)} ${l.stream} F ${l.text}\n`;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
    const now = clock();
    // Settles once everything written so far has gone to the socket: a cut resets the connection only then, so the
    // client always gets the headers and the lines before the cut, however fast the lines come.
    let flushed = Promise.resolve();
    const send = (text: string): void => {
      flushed = new Promise((resolve) => res.write(text, () => resolve()));
    };
    send(`${connectTimestamp(now)}  Connecting to the container '${container}'...\n`);
    send(
      `${connectTimestamp(now)}  Successfully Connected to container: '${container}' [Execution: '${rec.name}', Replica: '${run.name}']\n`,
    );
    const cut = this.cuts.find((c) => c.remaining > 0);
    if (cut) cut.remaining--;
    let written = 0;
    const write = (lines: ConsoleLine[]): boolean => {
      for (const l of lines) {
        if (cut && written >= cut.afterLines) {
          const socket = res.socket;
          void flushed.then(() => socket?.destroy());
          return false;
        }
        send(format(l));
        written++;
      }
      return true;
    };
    const past = mine().filter((l) => l.time <= now);
    if (!write(tail > 0 ? past.slice(-tail) : [])) return;
    let sent = past.length;
    if (!follow || now >= endAt()) {
      res.end();
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const t = clock();
        const lines = mine();
        const end = endAt();
        const due = lines.filter((l) => l.time <= Math.min(t, end));
        if (!write(due.slice(sent))) {
          clearInterval(timer);
          resolve();
          return;
        }
        sent = due.length;
        if (t >= end) {
          clearInterval(timer);
          res.end();
          resolve();
        }
      }, TICK_MS);
      res.on('close', () => {
        clearInterval(timer);
        resolve();
      });
    });
  }

  private async system(
    req: IncomingMessage,
    res: ServerResponse,
    job: JobRecord,
    follow: boolean,
    tail: number,
  ): Promise<void> {
    const clock = this.arm.clock;
    const all = (): SystemEvent[] =>
      job.executions
        .flatMap((e) => systemEvents(e))
        .filter((ev) => ev.time <= clock())
        .sort((a, b) => a.time - b.time);
    const format = (ev: SystemEvent): string =>
      `${JSON.stringify({
        TimeStamp: eventTimestamp(ev.time),
        Type: ev.type,
        ContainerAppName: job.name,
        RevisionName: null,
        ReplicaName: ev.replica ?? null,
        Msg: ev.msg,
        Reason: ev.reason,
        EventSource: 'ContainerAppController',
        Count: ev.count,
      })}\n`;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
    const now = new Date(clock()).toISOString().slice(0, 19) + 'Z';
    const hello = (msg: string, reason: string): string =>
      `${JSON.stringify({ TimeStamp: now, Type: 'Normal', ContainerAppName: null, RevisionName: null, ReplicaName: null, Msg: msg, Reason: reason, EventSource: 'ContainerAppController', Count: 1 })}\n`;
    res.write(hello('Connecting to the events collector...', 'StartingGettingEvents'));
    res.write(hello('Successfully connected to events server', 'ConnectedToEventsServer'));
    const past = all();
    for (const ev of tail > 0 ? past.slice(-tail) : []) res.write(format(ev));
    if (!follow) {
      res.end();
      return;
    }
    let sent = past.length;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now2 = all();
        for (const ev of now2.slice(sent)) res.write(format(ev));
        sent = now2.length;
      }, TICK_MS);
      req.on('close', () => {
        clearInterval(timer);
        res.end();
        resolve();
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Log Analytics
// ---------------------------------------------------------------------------------------------

type Cell = string | number | null;
type Row = Record<string, Cell>;

const TABLES: Record<string, { name: string; type: string }[]> = {
  ContainerAppConsoleLogs_CL: [
    { name: 'TimeGenerated', type: 'datetime' },
    { name: 'EnvironmentName_s', type: 'string' },
    { name: 'ContainerJobName_s', type: 'string' },
    { name: 'ContainerGroupName_s', type: 'string' },
    { name: 'ContainerName_s', type: 'string' },
    { name: 'ContainerImage_s', type: 'string' },
    { name: 'Stream_s', type: 'string' },
    { name: 'Log_s', type: 'string' },
    { name: '_timestamp_d', type: 'real' },
  ],
  ContainerAppSystemLogs_CL: [
    { name: 'TimeGenerated', type: 'datetime' },
    { name: 'EnvironmentName_s', type: 'string' },
    { name: 'JobName_s', type: 'string' },
    { name: 'ExecutionName_s', type: 'string' },
    { name: 'ReplicaName_s', type: 'string' },
    { name: 'Type_s', type: 'string' },
    { name: 'Reason_s', type: 'string' },
    { name: 'Log_s', type: 'string' },
    { name: 'Count_d', type: 'real' },
  ],
};

/** Log Analytics' error body. */
function laError(code: string, message: string, inner?: { code: string; message: string }): unknown {
  return { error: { message, code, correlationId: randomUUID(), ...(inner ? { innererror: inner } : {}) } };
}

export class QueryError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown, message: string) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

function syntaxError(at: string): QueryError {
  return new QueryError(
    400,
    laError('BadArgumentError', 'The request had some invalid properties', {
      code: 'SyntaxError',
      message: `A recognition error occurred in the query. Query could not be parsed at '${at}'.`,
    }),
    `syntax error at ${at}`,
  );
}

function semanticError(message: string): QueryError {
  return new QueryError(
    400,
    laError('BadArgumentError', 'The request had some invalid properties', { code: 'SemanticError', message }),
    message,
  );
}

/** Parses an ISO 8601 duration (PT5M, PT1H, P1D...) to ms. */
function isoDuration(text: string): number | undefined {
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text);
  if (!m || text.length < 2) return undefined;
  const [d, h, mi, s] = [m[1], m[2], m[3], m[4]].map((x) => Number(x ?? 0)) as [number, number, number, number];
  return (((d * 24 + h) * 60 + mi) * 60 + s) * 1000;
}

/** A KQL timespan literal: 10m, 2h, 1d, 30s. */
function kqlTimespan(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  if (!m) return undefined;
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
  return Number(m[1]) * mult;
}

/**
 * Runs a query over `rows(table)` at `now`. The subset of KQL understood:
 * `Table | where COND [and COND]... | project COL, ... | order by COL [asc|desc] | take N` (also `limit`,
 * `sort by`), COND being `COL == 'x'`, `=~`, `!=`, `startswith`, `contains`, `has`, `in ('a', 'b')`, or
 * `COL >|>=|<|<= datetime(...)` / `ago(10m)`. Anything else is a syntax error, as a real parser would say
 * about something it cannot read (the real language is far larger).
 */
export function runQuery(
  query: string,
  rows: (table: string) => Row[],
  now: number,
): { columns: { name: string; type: string }[]; rows: Cell[][] } {
  const stages = query
    .replace(/\/\/[^\n]*/g, '')
    .split('|')
    .map((s) => s.trim())
    .filter(Boolean);
  const table = stages.shift() ?? '';
  if (!/^\w+$/.test(table)) throw syntaxError(table);
  const schema = TABLES[table];
  if (!schema)
    throw semanticError(`'${table}' operator: Failed to resolve table or column expression named '${table}'`);
  let columns = schema.map((c) => ({ ...c }));
  const colNames = (): string[] => columns.map((c) => c.name);
  const needCol = (name: string): void => {
    if (!colNames().includes(name))
      throw semanticError(`'where' operator: Failed to resolve column or scalar expression named '${name}'`);
  };
  let data = rows(table);
  for (const stage of stages) {
    let m: RegExpExecArray | null;
    if ((m = /^where\s+([\s\S]+)$/i.exec(stage))) {
      const conds = splitAnd(m[1] as string).map((c) => parseCond(c, now));
      for (const c of conds) needCol(c.col);
      data = data.filter((r) => conds.every((c) => c.test(r[c.col] ?? null)));
    } else if ((m = /^project\s+([\s\S]+)$/i.exec(stage))) {
      const wanted = (m[1] as string).split(',').map((s) => s.trim());
      for (const w of wanted) {
        if (!/^\w+$/.test(w)) throw syntaxError(w);
        needCol(w);
      }
      columns = wanted.map((w) => columns.find((c) => c.name === w)!);
      data = data.map((r) => Object.fromEntries(wanted.map((w) => [w, r[w] ?? null])));
    } else if ((m = /^(?:order|sort)\s+by\s+(\w+)(?:\s+(asc|desc))?$/i.exec(stage))) {
      const col = m[1] as string;
      needCol(col);
      const dir = (m[2] ?? 'desc').toLowerCase() === 'asc' ? 1 : -1;
      data = [...data].sort((a, b) => {
        const x = a[col] ?? '';
        const y = b[col] ?? '';
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
    } else if ((m = /^(?:take|limit)\s+(\d+)$/i.exec(stage))) {
      data = data.slice(0, Number(m[1]));
    } else {
      throw syntaxError(stage.split(/\s+/)[0] ?? stage);
    }
  }
  return { columns, rows: data.map((r) => columns.map((c) => r[c.name] ?? null)) };
}

function splitAnd(text: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      cur += ch;
      if (ch === '\\') cur += text[++i] ?? '';
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth === 0 && /\s/.test(ch) && /^\s+and\s+/i.test(text.slice(i))) {
      parts.push(cur.trim());
      cur = '';
      i += (/^\s+and\s+/i.exec(text.slice(i)) as RegExpExecArray)[0].length - 1;
      continue;
    }
    cur += ch;
  }
  if (quote) throw syntaxError(text);
  parts.push(cur.trim());
  return parts;
}

function unquote(lit: string): string {
  const m = /^(['"])((?:\\.|(?!\1).)*)\1$/.exec(lit.trim());
  if (!m) throw syntaxError(lit.trim());
  return (m[2] as string).replace(/\\(.)/g, '$1');
}

function parseCond(text: string, now: number): { col: string; test: (v: Cell) => boolean } {
  let m = /^(\w+)\s*(==|=~|!=|startswith|contains|has)\s*(.+)$/i.exec(text);
  if (m) {
    const col = m[1] as string;
    const op = (m[2] as string).toLowerCase();
    const want = unquote(m[3] as string);
    const ci = (v: Cell): string => String(v ?? '').toLowerCase();
    const tests: Record<string, (v: Cell) => boolean> = {
      '==': (v) => String(v ?? '') === want,
      '=~': (v) => ci(v) === want.toLowerCase(),
      '!=': (v) => String(v ?? '') !== want,
      startswith: (v) => ci(v).startsWith(want.toLowerCase()),
      contains: (v) => ci(v).includes(want.toLowerCase()),
      has: (v) => new RegExp(`(^|\\W)${want.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|\\W)`).test(ci(v)),
    };
    return { col, test: tests[op] as (v: Cell) => boolean };
  }
  m = /^(\w+)\s+in\s*\(([\s\S]*)\)$/i.exec(text);
  if (m) {
    const values = (m[2] as string).split(',').map(unquote);
    return { col: m[1] as string, test: (v) => values.includes(String(v ?? '')) };
  }
  m = /^(\w+)\s*(>=|<=|>|<)\s*(datetime\(\s*([^)]+?)\s*\)|ago\(\s*([^)]+?)\s*\))$/i.exec(text);
  if (m) {
    const col = m[1] as string;
    const op = m[2] as string;
    let at: number;
    if (m[4] !== undefined) {
      at = Date.parse(m[4].replace(/^['"]|['"]$/g, ''));
      if (Number.isNaN(at)) throw syntaxError(m[3] as string);
    } else {
      const span = kqlTimespan(m[5] as string);
      if (span === undefined) throw syntaxError(m[3] as string);
      at = now - span;
    }
    const cmp = (v: Cell): number => Date.parse(String(v ?? '')) - at;
    const tests: Record<string, (v: Cell) => boolean> = {
      '>': (v) => cmp(v) > 0,
      '>=': (v) => cmp(v) >= 0,
      '<': (v) => cmp(v) < 0,
      '<=': (v) => cmp(v) <= 0,
    };
    return { col, test: tests[op] as (v: Cell) => boolean };
  }
  throw syntaxError(text.split(/\s+/).slice(0, 2).join(' '));
}

/** TimeGenerated as Log Analytics answers it: 2026-02-06T00:22:06.123Z */
function laTime(ms: number): string {
  return new Date(ms).toISOString();
}

export const LOG_ANALYTICS_AUDIENCES = ['https://api.loganalytics.io', 'https://api.loganalytics.io/'];

export class LogAnalyticsHost {
  readonly arm: Arm;
  readonly entra: EntraId;
  /** How long after it happens a line can be queried (default 2 s; minutes in reality). */
  ingestionDelayMs = 2000;

  constructor(arm: Arm, entra: EntraId) {
    this.arm = arm;
    this.entra = entra;
  }

  /** Rows of a table for a workspace, as ingested by now. */
  rows(customerId: string, table: string, now = this.arm.clock()): Row[] {
    const out: Row[] = [];
    for (const job of this.arm.jobs.values()) {
      const env = this.arm.jobEnvironment(job);
      if (!env || env.logAnalyticsCustomerId?.toLowerCase() !== customerId.toLowerCase()) continue;
      for (const rec of job.executions) out.push(...this.executionRows(job, rec, env.name, table, now));
    }
    return out;
  }

  private executionRows(job: JobRecord, rec: ExecutionRecord, envName: string, table: string, now: number): Row[] {
    const ingested = (t: number): boolean => t + this.ingestionDelayMs <= now;
    if (table === 'ContainerAppConsoleLogs_CL') {
      return consoleLines(rec)
        .filter((l) => ingested(l.time))
        .map((l) => ({
          TimeGenerated: laTime(l.time),
          EnvironmentName_s: envName,
          ContainerJobName_s: job.name,
          ContainerGroupName_s: l.replica,
          ContainerName_s: l.container,
          ContainerImage_s: l.image,
          Stream_s: l.stream,
          Log_s: l.text,
          _timestamp_d: l.time / 1000,
        }));
    }
    return systemEvents(rec)
      .filter((e) => ingested(e.time))
      .map((e) => ({
        TimeGenerated: laTime(e.time),
        EnvironmentName_s: envName,
        JobName_s: job.name,
        ExecutionName_s: rec.name,
        ReplicaName_s: e.replica ?? '',
        Type_s: e.type,
        Reason_s: e.reason,
        Log_s: e.msg,
        Count_d: e.count,
      }));
  }

  handle(req: IncomingMessage, res: ServerResponse, body: Buffer, ctx: HostContext): void {
    const m = /^\/v1\/workspaces\/([^/]+)\/query\/?$/i.exec(ctx.url.pathname);
    if (!m || (req.method !== 'POST' && req.method !== 'GET')) {
      sendJson(res, 404, laError('PathNotFoundError', `The requested path does not exist`));
      return;
    }
    const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const check = auth ? this.entra.verifyAccessToken(auth[1] as string) : undefined;
    if (!check?.ok || !LOG_ANALYTICS_AUDIENCES.includes(check.claims.aud)) {
      sendJson(res, 401, laError('AuthorizationRequiredError', 'Valid authentication was not provided'), {
        'www-authenticate':
          'Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", resource_id="https://api.loganalytics.io"',
      });
      return;
    }
    ctx.entry.principal = check.claims.oid;
    const customerId = decodeURIComponent(m[1] as string);
    const ws = this.arm.workspaceByCustomerId(customerId);
    if (!ws) {
      sendJson(res, 404, laError('WorkspaceNotFoundError', `The workspace ${customerId} could not be found`));
      return;
    }
    if (!this.arm.isAuthorized(check.claims, 'Microsoft.OperationalInsights/workspaces/query/read', ws.id)) {
      sendJson(
        res,
        403,
        laError(
          'InsufficientAccessError',
          'The provided credentials have insufficient access to perform the requested operation',
        ),
      );
      return;
    }
    let query: string | undefined;
    let timespan: string | undefined;
    if (req.method === 'GET') {
      query = ctx.url.searchParams.get('query') ?? undefined;
      timespan = ctx.url.searchParams.get('timespan') ?? undefined;
    } else {
      let parsed: unknown;
      try {
        parsed = parseJsonBody(body);
      } catch {
        sendJson(res, 400, laError('BadArgumentError', 'The request body is not valid JSON'));
        return;
      }
      const b = (parsed ?? {}) as { query?: unknown; timespan?: unknown };
      query = typeof b.query === 'string' ? b.query : undefined;
      timespan = typeof b.timespan === 'string' ? b.timespan : undefined;
    }
    if (!query) {
      sendJson(res, 400, laError('BadArgumentError', "The request had some invalid properties: 'query' is required"));
      return;
    }
    const now = this.arm.clock();
    let from = -Infinity;
    let to = Infinity;
    if (timespan) {
      const [a, b] = timespan.split('/');
      const d = isoDuration(a ?? '');
      if (b === undefined && d !== undefined) from = now - d;
      else if (a && b) {
        from = Date.parse(a);
        to = Date.parse(b);
        if (Number.isNaN(from) || Number.isNaN(to)) {
          sendJson(res, 400, laError('BadArgumentError', `The timespan '${timespan}' is not valid`));
          return;
        }
      } else {
        sendJson(res, 400, laError('BadArgumentError', `The timespan '${timespan}' is not valid`));
        return;
      }
    }
    try {
      const result = runQuery(
        query,
        (table) =>
          this.rows(ws.customerId, table, now).filter((r) => {
            const t = Date.parse(String(r.TimeGenerated));
            return t >= from && t <= to;
          }),
        now,
      );
      sendJson(res, 200, { tables: [{ name: 'PrimaryResult', columns: result.columns, rows: result.rows }] });
    } catch (err) {
      if (!(err instanceof QueryError)) throw err;
      sendJson(res, err.status, err.body);
    }
  }
}
