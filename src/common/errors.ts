/**
 * Errors the action reports to the user. Every message is one sentence (or two) that says what went
 * wrong, which input or Azure resource, and the fix; `main` prints it as the single `::error::` line.
 */
export class ActionError extends Error {
  override name = 'ActionError';
}

/** A bad input, found before any call to Azure. */
export class InputError extends ActionError {
  override name = 'InputError';
  readonly input: string;
  constructor(input: string, message: string) {
    super(message);
    this.input = input;
  }
}

/**
 * Azure refused a write because another operation on the job was in progress (409
 * `ContainerAppsJobOperationInProgress`), and that operation has since finished: the change must be planned again
 * against the job as it is now (re-read it, recompute the patch) and sent again.
 */
export class JobBusyError extends ActionError {
  override name = 'JobBusyError';
  readonly retryable = true;
}

/** The HTTP status of an Azure SDK error (RestError), if it has one. */
export function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null ? (error as { statusCode?: number }).statusCode : undefined;
}

/** The Azure error code of an Azure SDK error (RestError), if it has one. */
export function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { code?: string }).code : undefined;
}

/** The built-in role that grants what a 403 refused, named from Azure's message (for messages outside describeAzureError). */
export function roleForError(error: unknown): string | undefined {
  return roleFor(deniedAction(error instanceof Error ? error.message : String(error)));
}

interface AzureErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
  name?: string;
}

/** The built-in role that grants an action the action needs, from the action Azure names in AuthorizationFailed. */
export function roleFor(action: string | undefined): string | undefined {
  const a = (action ?? '').toLowerCase();
  if (!a) return undefined;
  if (/^microsoft\.app\/jobs\/(start|stop)\/|^microsoft\.app\/jobs\/execution/.test(a))
    return `'Container Apps Jobs Operator' (or Contributor) on the job or its resource group`;
  if (a === 'microsoft.containerregistry/registries/read') return `Reader (or Contributor) on the registry`;
  if (a.startsWith('microsoft.containerregistry/registries/listcredentials'))
    return `Contributor on the registry (or use registry-identity with AcrPull instead of the admin user)`;
  if (a.startsWith('microsoft.app/')) return `Contributor on the resource group`;
  return undefined;
}

/** The action named in an AuthorizationFailed message ("…perform action 'X' over scope…"). */
function deniedAction(message: string): string | undefined {
  const i = message.indexOf("action '");
  if (i < 0) return undefined;
  const end = message.indexOf("'", i + 8);
  return end > i ? message.slice(i + 8, end) : undefined;
}

const FIXES: Record<string, (what: string, message: string) => string> = {
  AuthorizationFailed: (what, message) => {
    const action = deniedAction(message);
    const role = roleFor(action);
    return role
      ? `give the identity a role that allows '${action}': ${role}; a role granted in the last few minutes can take a few minutes more to apply`
      : `give the identity a role that allows it on ${what} (Contributor on the resource group, or 'Container Apps Jobs Operator' to only start and stop executions)`;
  },
  ResourceGroupNotFound: () => `check inputs 'resource-group' and 'subscription-id'`,
  SubscriptionNotFound: () => `check input 'subscription-id' (az account show --query id)`,
  InvalidAuthenticationTokenTenant: () => `check that 'tenant-id' is the tenant of subscription-id`,
  NoRegisteredProviderFound: () => `set input 'api-version' to one of the supported versions listed above`,
  InvalidApiVersionParameter: () => `set input 'api-version' to one of the supported versions listed above`,
};

/** An Azure error's HTTP status and code (either may be missing) and its message on one line. */
function azureParts(error: unknown): { status?: number; code?: string; message: string } {
  const e = (error ?? {}) as AzureErrorLike;
  const message = (e.message ?? String(error)).trim().replace(/\s+/g, ' ');
  return { status: statusOf(error), code: codeOf(error) || undefined, message };
}

/** `503 ServiceUnavailable`, `503` or `ServiceUnavailable`: what is known of the two. */
function azureHead(status: number | undefined, code: string | undefined): string {
  return [status, code].filter((x) => x !== undefined).join(' ');
}

/**
 * An Azure error as `503 ServiceUnavailable: message` (the HTTP status and Azure's code when known, then Azure's
 * message): the one spelling of "code: message" in the action's messages.
 */
export function azureDetail(error: unknown): string {
  const { status, code, message } = azureParts(error);
  const text = message.replace(/\.$/, '');
  const head = azureHead(status, code);
  return head ? `${head}: ${text}` : text;
}

/** Keeps Azure's code and message, says which resource and operation, and adds the fix when one is known. */
export function describeAzureError(error: unknown, operation: string, resource: string): ActionError {
  if (error instanceof ActionError) return error;
  const { status, code, message } = azureParts(error);
  if (status === undefined && !code && /^Operation was canceled/i.test(message)) {
    // The SDK's poller reports a Canceled long-running operation without Azure's error body.
    return new ActionError(
      `Azure canceled the operation to ${operation} ${resource} (provisioning state Canceled), usually because another change to it replaced this one: rerun the step, and check the job's activity log if it happens again.`,
    );
  }
  if (status === undefined && !code) {
    return new ActionError(
      `Could not ${operation} ${resource}: ${message}. Check the network path to Azure and rerun the job.`,
    );
  }
  const fix = FIXES[code ?? 'Error']?.(resource, message);
  return new ActionError(
    `Azure refused to ${operation} ${resource} (${azureHead(status, code ?? 'Error')}): ${message.replace(/\.$/, '')}.${fix ? ` Fix: ${fix}.` : ''}`,
  );
}

/** The reason phrases of the statuses Azure answers with, as codes when a body names none. */
const STATUS_CODES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  408: 'RequestTimeout',
  409: 'Conflict',
  412: 'PreconditionFailed',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** What an error answer says, whatever its shape: a code, and one line with the message and its details. */
export interface ParsedErrorBody {
  code: string;
  message: string;
}

const MAX_ERROR_TEXT = 600;

/** One line, control characters and runs of whitespace collapsed, cut at `max` characters. */
function oneLine(text: string, max = MAX_ERROR_TEXT): string {
  let flat = '';
  for (const ch of text) flat += ch <= ' ' || ch === '\u007f' ? ' ' : ch;
  flat = flat.replace(/ {2,}/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** `details` of an ARM error: each `code: message (target)`, nested details flattened. */
function armDetails(details: unknown, depth = 0): string[] {
  if (!Array.isArray(details) || depth > 3) return [];
  const out: string[] = [];
  for (const d of details.slice(0, 10)) {
    if (typeof d !== 'object' || d === null) continue;
    const o = d as Record<string, unknown>;
    const text = [str(o.code), str(o.message)].filter(Boolean).join(': ');
    if (text) out.push(str(o.target) ? `${text} (${str(o.target)})` : text);
    out.push(...armDetails(o.details, depth + 1));
  }
  return out;
}

/** RFC 7807 `errors`: `{ "$": ["..."], "properties.x": ["..."] }` as `$: ...` items. */
function problemErrors(errors: unknown): string[] {
  if (typeof errors !== 'object' || errors === null) return [];
  const out: string[] = [];
  for (const [where, list] of Object.entries(errors as Record<string, unknown>).slice(0, 10)) {
    for (const m of (Array.isArray(list) ? list : [list]).slice(0, 5)) {
      const text =
        str(m) ?? (typeof m === 'object' && m !== null ? str((m as { message?: unknown }).message) : undefined);
      if (text) out.push(where && where !== '$' ? `${where}: ${text}` : text);
    }
  }
  return out;
}

function withDetails(message: string, details: string[]): string {
  const extra = details.filter((d) => !message.includes(d));
  return extra.length ? `${message.replace(/\.$/, '')} (${extra.join('; ')})` : message;
}

/** Text outside `<...>` (linear: no regular expression over untrusted markup). */
function stripTags(html: string): string {
  let out = '';
  let inTag = false;
  for (const ch of html) {
    if (ch === '<') inTag = true;
    else if (ch === '>' && inTag) {
      inTag = false;
      out += ' ';
    } else if (!inTag) out += ch;
  }
  return out;
}

/** The readable text of an HTML page: its title, or its text without tags, scripts and styles. */
function htmlText(html: string): string {
  const lower = html.toLowerCase();
  const t0 = lower.indexOf('<title');
  const t1 = t0 >= 0 ? lower.indexOf('>', t0) : -1;
  const t2 = t1 >= 0 ? lower.indexOf('</title', t1) : -1;
  const title = t2 > t1 ? html.slice(t1 + 1, t2).trim() : '';
  let body = html.slice(0, 20_000);
  for (const tag of ['script', 'style', 'head']) {
    for (let i = body.toLowerCase().indexOf(`<${tag}`); i >= 0; i = body.toLowerCase().indexOf(`<${tag}`, i)) {
      const end = body.toLowerCase().indexOf(`</${tag}>`, i);
      body = body.slice(0, i) + (end >= 0 ? body.slice(end + tag.length + 3) : '');
    }
  }
  const text = oneLine(stripTags(body).replace(/&nbsp;/g, ' '), 200);
  return title && !text.startsWith(title) ? oneLine(`${title}: ${text}`, 200) : text || title;
}

/**
 * Reads an error answer in any of the shapes Azure (or a gateway in front of it) uses: ARM's
 * `{error: {code, message, details}}`, a bare `{code, message}`, RFC 7807 problem details (`{type, title, status,
 * traceId, errors}`, as Container Apps answers validation errors), plain text, an HTML page, or nothing.
 */
export function parseErrorBody(
  status: number,
  contentType: string | undefined,
  text: string | undefined,
): ParsedErrorBody {
  const fallbackCode = STATUS_CODES[status] ?? `HTTP${status}`;
  const body = (text ?? '').trim();
  if (!body) return { code: fallbackCode, message: `Azure answered HTTP ${status} with an empty body` };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  if (typeof json === 'object' && json !== null) {
    const o = json as Record<string, unknown>;
    const inner = (typeof o.error === 'object' && o.error !== null ? o.error : o) as Record<string, unknown>;
    const message = str(inner.message) ?? str(o.Message);
    if (message || str(inner.code)) {
      return {
        code: str(inner.code) ?? fallbackCode,
        message: oneLine(withDetails(message ?? `HTTP ${status}`, armDetails(inner.details))),
      };
    }
    if (str(o.title) || o.errors !== undefined) {
      const title = str(o.title) ?? `HTTP ${status}`;
      const trace = str(o.traceId) ? ` (traceId ${str(o.traceId)})` : '';
      const errors = problemErrors(o.errors);
      const detail = str(o.detail);
      const text = [title, detail, errors.join('; ')].filter(Boolean).join(' ');
      return { code: fallbackCode, message: oneLine(`${text}${trace}`) };
    }
  }
  if (/html/i.test(contentType ?? '') || /^<(!doctype|html|head|body)/i.test(body)) {
    return { code: fallbackCode, message: `HTTP ${status} from a gateway: ${htmlText(body) || 'an HTML page'}` };
  }
  return { code: fallbackCode, message: oneLine(body, 300) };
}
