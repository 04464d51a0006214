/**
 * What main and post share: the state keys the main step saves for the post step, reading the inputs (masking
 * their secret values first) and signing in to Azure. Post imports this, never main.
 */
import * as core from '@actions/core';
import type { TokenCredential } from '@azure/core-auth';
import { createCredential } from '../azure/credential.js';
import { createJobApi, type JobApi } from '../azure/arm.js';
import { parseConfig, secretValuesFromInputs, type Config } from '../inputs/config.js';
import { mask } from '../common/secrets.js';

export const STATE_EXECUTION = 'execution-name';
export const STATE_DONE = 'execution-done';
export const STATE_IS_POST = 'isPost';

export const USER_AGENT = 'deploy-container-apps-job/1';
/** Masks secret input values before anything else can print them, then parses the inputs. */
export function loadConfig(): Config {
  const getInput = (name: string): string => core.getInput(name);
  for (const value of secretValuesFromInputs(getInput)) mask(value);
  const config = parseConfig(getInput, process.env);
  for (const value of config.secretValues) mask(value);
  return config;
}

export function connect(config: Config): { api: JobApi; credential: TokenCredential } {
  const auth = createCredential(config.auth, {
    getIDToken: (audience) => core.getIDToken(audience),
    env: process.env,
    debug: core.debug,
  });
  core.info(
    `Signing in with ${auth.kind === 'oidc' ? 'GitHub OIDC' : auth.kind === 'azure-cli' ? 'the Azure CLI sign-in' : 'the managed identity'}.`,
  );
  const api = createJobApi({
    credential: auth.credential,
    subscriptionId: config.auth.subscriptionId,
    resourceGroup: config.resourceGroup,
    jobName: config.jobName,
    endpoint: config.auth.armEndpoint,
    scope: config.auth.armScope,
    apiVersion: config.apiVersion,
    userAgent: USER_AGENT,
    warn: core.warning,
  });
  return { api, credential: auth.credential };
}
