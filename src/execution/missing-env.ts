/**
 * Which environment variables a failed program says it missed, read from its last output lines (pure).
 *
 * The output is untrusted: each line is cut to `MAX_LINE` characters and only a bounded number of lines is read;
 * every pattern is a literal anchor followed by bounded character classes (no nested or unbounded quantifiers),
 * so matching costs at most a constant per character. A name must look like an environment variable
 * (`[A-Za-z_][A-Za-z0-9_]{0,127}`); forms that do not say "environment" also need an upper-case name.
 *
 * Families recognised:
 * - Python: `KeyError: 'X'` (certain when the traceback shows `os.environ` or the `os` module's `__getitem__`,
 *   else only for an upper-case name), `os.environ['X']` / `os.getenv("X")` in a traceback, environs' and
 *   django-environ's and python-decouple's messages, pydantic-style "X environment variable is not set";
 * - any language: "environment variable X is not set / missing / required", "Missing required environment
 *   variable X", "X must be set", "X is not set";
 * - Node: `process.env.X is undefined`, "X is not defined in process.env", dotenv-safe's `MissingEnvVarsError`
 *   (the names on the lines after it), envalid's "Missing environment variables:" list, env-var's
 *   `"X" is a required variable`;
 * - Go: `os.Getenv("X")`, "X must be set", envconfig's `required key X missing value`, caarlos0/env's
 *   `required environment variable "X" is not set`;
 * - Java: `System.getenv("X")` with a NullPointerException; Spring's `Could not resolve placeholder 'X'` (a dotted
 *   property becomes its relaxed-binding variable, `db.url` → `DB_URL`);
 * - .NET: "Environment variable 'X' is not set", `GetEnvironmentVariable("X")`, an `ArgumentNullException`
 *   whose parameter is an upper-case name.
 */

/** Characters of a line that are read (the rest is ignored). */
export const MAX_LINE = 2_000;
/** Lines read, from the end of the output. */
export const MAX_LINES = 200;

const NAME = '([A-Za-z_][A-Za-z0-9_]{0,127})';
const Q = `['"\`]?`;
const UPPER = /^[A-Z][A-Z0-9_]{1,127}$/;

export interface MissingEnv {
  /** The variables, in the order the output names them (at most 5). */
  names: string[];
  /** What the output said about the first one: only the matched words, never the rest of the line. */
  evidence: string;
  /** The output names them as environment variables (not a guess from an upper-case dictionary key). */
  certain: boolean;
}

interface Rule {
  re: RegExp;
  /** Cheap tests before the regex: the lower-cased line contains one of these. */
  hints: string[];
  /** 'missing': the line says the variable is missing; 'lookup': the line reads it (a missing one only together
   * with an error about a null or absent value, see NULLISH). */
  kind: 'missing' | 'lookup';
  /** The name must be upper-case (the line does not say "environment"). */
  upper?: boolean;
  /** Turns what was captured into the variable's name. */
  name?(captured: string): string | undefined;
}

const ENV = ['env'];
const MISSING = '(?:not (?:set|defined|found|provided|present)|unset|undefined|missing|required|empty)';

const RULES: Rule[] = [
  // "environment variable X is not set", "Environment variable 'X' not set", "env var X missing"
  {
    kind: 'missing',
    hints: ENV,
    re: new RegExp(
      `\\b(?:environment|env)[ _-]?var(?:iable)?s?[ :]{1,3}${Q}${NAME}${Q},? {1,3}(?:is |was |has )?${MISSING}`,
      'i',
    ),
  },
  // "Missing required environment variable X", "missing env var: X", "required environment variable "X" is not set"
  {
    kind: 'missing',
    hints: ENV,
    re: new RegExp(
      `\\b(?:missing|required|undefined|unset|no)(?: required)? (?:environment|env)[ _-]?var(?:iable)?s?(?: named)?[ :=]{1,3}${Q}${NAME}${Q}`,
      'i',
    ),
  },
  // "X environment variable is not set", "X env var is required"
  {
    kind: 'missing',
    hints: ENV,
    re: new RegExp(`${Q}\\b${NAME}${Q} (?:environment|env)[ _-]?var(?:iable)? (?:is |was )?${MISSING}`, 'i'),
  },
  // django-environ
  { kind: 'missing', hints: ['set the '], re: new RegExp(`\\bSet the ${NAME} environment variable`, 'i') },
  // Node
  {
    kind: 'missing',
    hints: ['process.env'],
    re: new RegExp(`\\bprocess\\.env(?:\\.${NAME}|\\[ ?['"]${NAME}['"] ?\\]) (?:is |was )?(?:undefined|${MISSING})`),
  },
  {
    kind: 'missing',
    hints: ['process.env'],
    re: new RegExp(`${Q}\\b${NAME}${Q} (?:is |was )?(?:not (?:set|defined|found)|missing|undefined) in process\\.env`),
  },
  // env-var (Node)
  { kind: 'missing', hints: ['is a required variable'], re: new RegExp(`"${NAME}" is a required variable`) },
  // Go envconfig, python-decouple
  { kind: 'missing', hints: ['required key'], re: new RegExp(`\\brequired key ${NAME} missing value`) },
  { kind: 'missing', hints: ['declare it as envvar'], re: new RegExp(`\\b${NAME} not found\\. Declare it as envvar`) },
  // Spring
  {
    kind: 'missing',
    hints: ['could not resolve placeholder'],
    re: /\bCould not resolve placeholder '([A-Za-z_][A-Za-z0-9_.-]{0,127})'/,
    name: relaxedBinding,
  },
  // Python KeyError (certain when the traceback shows the lookup, see missingEnv)
  { kind: 'missing', hints: ['keyerror'], re: new RegExp(`\\bKeyError: ['"]${NAME}['"]`) },
  // .NET ArgumentNullException naming an upper-case parameter
  {
    kind: 'missing',
    hints: ['argumentnullexception'],
    re: new RegExp(`ArgumentNullException: .{0,120}\\(Parameter '${NAME}'\\)`),
    upper: true,
  },
  // Plain sentences that do not say "environment" (Go's "X must be set"): only for upper-case names
  {
    kind: 'missing',
    hints: [' must be ', ' is not set', ' is required', ' is unset'],
    re: new RegExp(`${Q}\\b${NAME}${Q} (?:must be (?:set|defined|provided)|is (?:not set|required|unset))`),
    upper: true,
  },
  // Reads: Python os.environ / os.getenv, Go os.Getenv, Java System.getenv, .NET GetEnvironmentVariable
  { kind: 'lookup', hints: ['environ'], re: new RegExp(`\\bos\\.environ(?:\\[ ?|\\.get\\( ?)['"]${NAME}['"]`) },
  { kind: 'lookup', hints: ['getenv'], re: new RegExp(`\\b(?:os\\.getenv|os\\.Getenv|System\\.getenv)\\( ?"${NAME}"`) },
  { kind: 'lookup', hints: ['getenvironmentvariable'], re: new RegExp(`\\bGetEnvironmentVariable\\( ?"${NAME}"`) },
];

/** Words a sentence can put where a name would be ("the environment variable is not set"). */
const NOT_NAMES = new Set(
  'a an and are as be for has in is it its named not of or set some the this that to value var variable was with'.split(
    ' ',
  ),
);

/** Spring's relaxed binding: `db.url` and `db-url` are read from `DB_URL`; upper-case names stay. */
function relaxedBinding(placeholder: string): string | undefined {
  const name = placeholder.replace(/-/g, '').replace(/\./g, '_').toUpperCase();
  return /^[A-Z_][A-Z0-9_]{0,127}$/.test(name) ? name : undefined;
}

/** Lines after which the output lists missing names (dotenv-safe, envalid). */
const LIST_HEAD = /MissingEnvVarsError|not present in the environment|Missing environment variables/i;
const LIST_ITEM = /^ {0,8}([A-Z_][A-Z0-9_]{0,127})(?::|$)/;
/** An error about an absent value, which makes a read of a variable (a 'lookup') the likely cause. */
const NULLISH =
  /NullPointerException|ArgumentNullException|NoneType|KeyError|of undefined|undefined is not|nil pointer|is null\b/;
/** A traceback line that shows an environment lookup (Python's os module frame or an `environ` access). */
const ENVIRON_FRAME = /\bos\.environ\b|\benviron\[|File "<frozen os>"|[\\/]os\.py", line \d{1,6}, in __getitem__/;

/** Strips the timestamp (or `| `) the log printer puts before a line, and cuts it to MAX_LINE. */
function textOf(line: string): string {
  const cut = line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line;
  const m = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z /.exec(cut);
  if (m) return cut.slice(m[0].length);
  return cut.startsWith('| ') ? cut.slice(2) : cut;
}

function firstCapture(m: RegExpExecArray): string | undefined {
  for (let i = 1; i < m.length; i++) if (m[i] !== undefined) return m[i];
  return undefined;
}

interface Found {
  name: string;
  line: string;
  certain: boolean;
}

/** The first rule of `kind` that names a variable on this line. */
function match(text: string, lower: string): { rule: Rule; name: string; matched: string } | undefined {
  for (const rule of RULES) {
    if (!rule.hints.some((h) => lower.includes(h))) continue;
    const m = rule.re.exec(text);
    const captured = m ? firstCapture(m) : undefined;
    if (captured === undefined) continue;
    const name = rule.name ? rule.name(captured) : captured;
    if (!name || NOT_NAMES.has(name.toLowerCase())) continue;
    if (rule.upper && !UPPER.test(name)) continue;
    return { rule, name, matched: (m as RegExpExecArray)[0] };
  }
  return undefined;
}

/** Names listed on a line after a dotenv-safe / envalid heading ("  A, B" or "    A: undefined"). */
function listed(text: string): string[] {
  return text
    .split(',')
    .map((part) => LIST_ITEM.exec(part)?.[1])
    .filter((n): n is string => n !== undefined);
}

/**
 * The environment variables a program's last lines say it missed, or undefined. `lines` are its last output
 * lines, oldest first (timestamps as the log printer writes them are allowed).
 */
export function missingEnv(lines: readonly string[]): MissingEnv | undefined {
  const texts = lines.slice(-MAX_LINES).map(textOf);
  const found: Found[] = [];
  const lookups: Found[] = [];
  let environSeen = false;
  let nullish = false;
  let listing = 0;
  let listHead = '';
  for (const text of texts) {
    const lower = text.toLowerCase();
    if (ENVIRON_FRAME.test(text)) environSeen = true;
    if (NULLISH.test(text)) nullish = true;
    if (listing > 0) {
      const names = listed(text);
      for (const name of names) found.push({ name, line: `${listHead}: ${names.join(', ')}`, certain: true });
      listing = names.length > 0 || /^[ =-]*$/.test(text) ? listing - 1 : 0;
    }
    const head = LIST_HEAD.exec(text);
    if (head) {
      listing = 5;
      listHead = head[0];
    }
    const hit = match(text, lower);
    if (!hit) continue;
    if (hit.rule.kind === 'lookup') {
      lookups.push({ name: hit.name, line: hit.matched, certain: true });
    } else if (hit.rule.hints[0] === 'keyerror') {
      // A KeyError is an environment variable when the traceback shows the lookup, or (a guess) when the key
      // is an upper-case name.
      if (environSeen || UPPER.test(hit.name)) found.push({ name: hit.name, line: hit.matched, certain: environSeen });
    } else {
      found.push({ name: hit.name, line: hit.matched, certain: true });
    }
  }
  const all = found.length > 0 ? found : nullish ? lookups : [];
  if (all.length === 0) return undefined;
  const names: string[] = [];
  for (const f of all) if (!names.includes(f.name) && names.length < 5) names.push(f.name);
  const first = all.find((f) => f.name === names[0]) as Found;
  // Only text the patterns matched (a name and fixed words), never the rest of the untrusted line.
  const evidence = first.line.trim().replace(/`/g, "'").slice(0, 200);
  return { names, evidence, certain: all.some((f) => f.certain) };
}

/** A job secret name for a variable: `POSTGRES_URL` → `postgres-url`. */
export function secretNameFor(variable: string): string {
  const parts = variable
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return parts.length ? parts.join('-') : 'my-secret';
}
