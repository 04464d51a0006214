/**
 * The set-up command: one run makes everything a workflow needs to deploy and run a Container Apps job with
 * GitHub OIDC (identity, federated credentials, least-privilege roles, the pull identity, repository
 * variables), for one repository or a whole class. Signs in as the person running it: the Azure CLI's login
 * (Cloud Shell has one), or a workload identity (AZURE_FEDERATED_TOKEN_FILE). See setup/README.md.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { TokenCredential } from '@azure/core-auth';
import { AzureCliCredential, WorkloadIdentityCredential } from '@azure/identity';
import { parseArgs, USAGE, UsageError } from './args.ts';
import { ArmError, createArm } from './arm.ts';
import { runSetup, SetupError } from './apply.ts';
import { jwtTenant } from '../src/common/jwt.ts';

function credentialFor(
  env: NodeJS.ProcessEnv,
  authorityHost: string | undefined,
  tenant: string | undefined,
): TokenCredential {
  if (env.AZURE_FEDERATED_TOKEN_FILE && env.AZURE_CLIENT_ID && (tenant ?? env.AZURE_TENANT_ID))
    return new WorkloadIdentityCredential({
      tenantId: tenant ?? env.AZURE_TENANT_ID,
      clientId: env.AZURE_CLIENT_ID,
      tokenFilePath: env.AZURE_FEDERATED_TOKEN_FILE,
      authorityHost,
      disableInstanceDiscovery: authorityHost !== undefined,
    });
  return new AzureCliCredential(tenant ? { tenantId: tenant } : {});
}

export async function cli(argv: string[], env: NodeJS.ProcessEnv, line: (text: string) => void): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    line(USAGE);
    return 0;
  }
  try {
    const options = parseArgs(argv, env, (path) => readFileSync(path, 'utf8'));
    // The token's audience is the cloud's ARM resource, also when --arm-endpoint points elsewhere (a local stand-in).
    const sovereign = /^https:\/\/management\.(chinacloudapi\.cn|usgovcloudapi\.net)$/.test(options.armEndpoint);
    const scope = sovereign ? `${options.armEndpoint}/.default` : 'https://management.azure.com/.default';
    const credential = credentialFor(env, options.authorityHost, options.tenant);
    const token = await credential.getToken(scope).catch((e: unknown) => {
      throw new SetupError(
        `Could not sign in to Azure (${e instanceof Error ? e.message.split('\n')[0] : String(e)}): run 'az login' (Cloud Shell is signed in already) and try again.`,
      );
    });
    const tenantId = options.tenant ?? (token ? jwtTenant(token.token) : undefined) ?? '';
    await runSetup(options, {
      arm: createArm(options.armEndpoint, credential, scope),
      line,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      tenantId,
    });
    line('');
    line('Next: add the workflow from the README quick start (uses: OWNER/deploy-container-apps-job@v1) and push.');
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      line(`Error: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof SetupError) line(`Error: ${e.message}`);
    else if (e instanceof ArmError) line(`Error: Azure answered ${e.status} ${e.code}: ${e.message}`);
    else line(`Error: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

// Run as the main module: node gives argv[1] as typed (symlinks kept, spaces as they are), import.meta.url resolved.
if (import.meta.url === pathToFileURL(realpathSync(process.argv[1] ?? '.')).href || process.env.SETUP_MAIN === '1') {
  process.exitCode = await cli(process.argv.slice(2), process.env, (t) => process.stdout.write(`${t}\n`));
}
