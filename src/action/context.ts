/**
 * What main and post share: the state keys the main step saves for the post step, reading the inputs (masking
 * their secret values first) and signing in to Azure. Post imports this, never main.
 */
import { parseConfig, secretValuesFromInputs, type Config } from '../inputs/config.js';
import type { Connection, Toolkit } from './toolkit.js';

export { USER_AGENT } from './toolkit.js';

export const STATE_EXECUTION = 'execution-name';
export const STATE_DONE = 'execution-done';
/** 'true' when main tried to stop the execution and could not: post tries again whatever stop-on-cancel says. */
export const STATE_STOP = 'execution-stop';
export const STATE_IS_POST = 'isPost';

/** Masks secret input values before anything else can print them, then parses the inputs. */
export function loadConfig(kit: Toolkit): Config {
  const getInput = (name: string): string => kit.getInput(name);
  for (const value of secretValuesFromInputs(getInput)) kit.mask(value);
  const config = parseConfig(getInput, kit.env);
  for (const value of config.secretValues) kit.mask(value);
  return config;
}

const SIGN_IN = {
  oidc: 'GitHub OIDC',
  'azure-cli': 'the Azure CLI sign-in',
  'managed-identity': 'the managed identity',
};

export function connect(kit: Toolkit, config: Config): Connection {
  const connection = kit.connect(config);
  kit.info(`Signing in with ${SIGN_IN[connection.kind]}.`);
  return connection;
}
