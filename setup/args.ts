/**
 * The set-up command's arguments, parsed once into an immutable `SetupOptions` (pure: no I/O). Two forms:
 * one repository (`--repo OWNER/REPO --job JOB`, run by a student or anyone with the rights) and a class
 * (`--class FILE`, run by a TA: one line per student, `OWNER/REPO JOB`).
 */

export interface Student {
  readonly repo: string;
  readonly job: string;
}

export interface SetupOptions {
  readonly subscription: string;
  readonly tenant?: string;
  readonly resourceGroup: string;
  readonly environment: string;
  /** The registry's name (hyfregistry), as `az acr` takes it. */
  readonly registry?: string;
  readonly registryResourceGroup: string;
  readonly students: readonly Student[];
  /** Branches whose workflow runs may sign in (a federated credential each). */
  readonly branches: readonly string[];
  /** GitHub environments whose jobs may sign in (a federated credential each). */
  readonly githubEnvironments: readonly string[];
  /** Name of the workflows' identity (one repository) or the prefix of the class's identities. */
  readonly identityName: string;
  /** The identity the jobs pull their images with (AcrPull on the registry); shared by the class. */
  readonly pullIdentityName?: string;
  /** Grant AcrPush to the workflows' identity (the workflow builds and pushes images). */
  readonly push: boolean;
  /** Grant Log Analytics Reader on this workspace (resource ID) for logs after the run. */
  readonly logsWorkspace?: string;
  readonly dryRun: boolean;
  readonly githubToken?: string;
  readonly githubApi: string;
  readonly armEndpoint: string;
  readonly authorityHost?: string;
  /** Issuer of the workflows' OIDC tokens (GitHub Enterprise Server: https://HOST/_services/token). */
  readonly oidcIssuer: string;
  /** Repositories per shared identity in a class (federated credentials per identity are limited to 20). */
  readonly chunkSize: number;
}

export class UsageError extends Error {}

const MAX_FEDERATED_CREDENTIALS = 20;
const REPO = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;
const JOB = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;

export const USAGE = `Usage:
  one repository:  setup --subscription SUB --resource-group RG --environment ENV --registry ACR \\
                         --repo OWNER/REPO --job JOB [--branch main] [--dry-run]
  a class (TA):    setup --subscription SUB --resource-group RG --environment ENV --registry ACR \\
                         --class students.txt [--dry-run]      (one line per student: OWNER/REPO JOB)
Options:
  --branch NAME            branch whose runs may sign in (repeatable; default main)
  --github-environment N   GitHub environment whose jobs may sign in (repeatable)
  --identity-name NAME     the workflows' identity (default id-gh-JOB, or id-gh-CLASS-N for a class)
  --pull-identity NAME     identity the jobs pull with (default id-acrpull; created with AcrPull)
  --push                   also grant AcrPush (the workflow builds and pushes images)
  --logs-workspace ID      grant Log Analytics Reader on this workspace (logs after the run)
  --github-token TOKEN     set the repository variables through the GitHub API (or env GITHUB_TOKEN / GH_TOKEN);
                           without one, the gh commands are printed
  --oidc-issuer URL        issuer of the workflows' tokens (GitHub Enterprise Server: https://HOST/_services/token)
  --chunk-size N           repositories per shared identity in a class (at most ${MAX_FEDERATED_CREDENTIALS} credentials each)
  --dry-run                print every change and make none
`;

function flagValue(argv: readonly string[], i: number, flag: string): string {
  const value = argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value.`);
  return value;
}

/** `OWNER/REPO JOB` lines; blank lines and # comments skipped. */
export function parseClassFile(text: string, file: string): Student[] {
  const students: Student[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.split('#')[0]!.trim();
    if (!line) return;
    const parts = line.split(/[\s,]+/);
    if (parts.length !== 2 || !REPO.test(parts[0]!) || !JOB.test(parts[1]!))
      throw new UsageError(`${file}:${index + 1}: expected "OWNER/REPO JOB-NAME", got "${line}".`);
    students.push({ repo: parts[0]!, job: parts[1]! });
  });
  if (students.length === 0) throw new UsageError(`${file} lists no students ("OWNER/REPO JOB-NAME" per line).`);
  return students;
}

export function parseArgs(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
): SetupOptions {
  const single = new Map<string, string>();
  const multi: Record<string, string[]> = { '--branch': [], '--github-environment': [] };
  const switches = new Set<string>();
  const known = [
    '--subscription',
    '--tenant',
    '--resource-group',
    '--environment',
    '--registry',
    '--registry-resource-group',
    '--repo',
    '--job',
    '--class',
    '--identity-name',
    '--pull-identity',
    '--logs-workspace',
    '--github-token',
    '--github-api',
    '--arm-endpoint',
    '--authority-host',
    '--chunk-size',
    '--oidc-issuer',
  ];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--dry-run' || arg === '--push') switches.add(arg);
    else if (arg in multi) multi[arg]!.push(flagValue(argv, i++, arg));
    else if (known.includes(arg)) single.set(arg, flagValue(argv, i++, arg));
    else throw new UsageError(`Unknown argument "${arg}".`);
  }
  const need = (flag: string, fallback?: string): string => {
    const v = single.get(flag) ?? fallback;
    if (!v) throw new UsageError(`${flag} is required.`);
    return v;
  };
  const subscription = need('--subscription', env.AZURE_SUBSCRIPTION_ID);
  const resourceGroup = need('--resource-group');
  let students: Student[];
  const classFile = single.get('--class');
  if (classFile) {
    if (single.has('--repo') || single.has('--job')) throw new UsageError('Give either --class or --repo/--job.');
    students = parseClassFile(readFile(classFile), classFile);
  } else {
    const repo = need('--repo');
    const job = need('--job');
    if (!REPO.test(repo)) throw new UsageError(`--repo must be OWNER/REPO, got "${repo}".`);
    if (!JOB.test(job)) throw new UsageError(`--job "${job}" is not a valid Container Apps job name.`);
    students = [{ repo, job }];
  }
  const chunkSize = Number(single.get('--chunk-size') ?? MAX_FEDERATED_CREDENTIALS);
  const branches = multi['--branch']!.length ? multi['--branch']! : ['main'];
  const githubEnvironments = multi['--github-environment']!;
  const perRepo = branches.length + githubEnvironments.length;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize * perRepo > MAX_FEDERATED_CREDENTIALS)
    throw new UsageError(
      `--chunk-size ${chunkSize} with ${perRepo} credential(s) per repository exceeds the ${MAX_FEDERATED_CREDENTIALS} federated credentials an identity may have: use at most ${Math.floor(MAX_FEDERATED_CREDENTIALS / perRepo)}.`,
    );
  const token = single.get('--github-token') ?? env.GITHUB_TOKEN ?? env.GH_TOKEN;
  return {
    subscription,
    tenant: single.get('--tenant') ?? env.AZURE_TENANT_ID,
    resourceGroup,
    environment: need('--environment'),
    registry: single.get('--registry'),
    registryResourceGroup: single.get('--registry-resource-group') ?? resourceGroup,
    students,
    branches,
    githubEnvironments,
    identityName: single.get('--identity-name') ?? (classFile ? `id-gh-${resourceGroup}` : `id-gh-${students[0]!.job}`),
    pullIdentityName: single.get('--registry') ? (single.get('--pull-identity') ?? 'id-acrpull') : undefined,
    push: switches.has('--push'),
    logsWorkspace: single.get('--logs-workspace'),
    dryRun: switches.has('--dry-run'),
    githubToken: token || undefined,
    githubApi: (single.get('--github-api') ?? 'https://api.github.com').replace(/\/+$/, ''),
    armEndpoint: (single.get('--arm-endpoint') ?? 'https://management.azure.com').replace(/\/+$/, ''),
    authorityHost: single.get('--authority-host'),
    oidcIssuer: (single.get('--oidc-issuer') ?? 'https://token.actions.githubusercontent.com').replace(/\/+$/, ''),
    chunkSize: classFile ? chunkSize : 1,
  };
}
