/**
 * Deploy: read the job; create it when missing (the environment is needed then), or PATCH only what the inputs
 * ask to change; write nothing when nothing differs.
 */
import type { Job } from '@azure/arm-appcontainers';
import { parseResourceId, type JobApi } from './azure.js';
import type { Config } from './config.js';
import { ActionError, statusOf } from './errors.js';
import { buildNewJob, describeNewJob, imageAfter, needsSecrets, planUpdate, type Change } from './jobspec.js';
import { planRegistry } from './registry.js';

export type JobOperation = 'created' | 'updated' | 'unchanged';

export interface DeployResult {
  operation: JobOperation;
  /** The job after the deploy (as Azure returned it; as planned on a dry run). */
  job: Job;
  changes: Change[];
  image?: string;
}

export interface DeployDeps {
  api: JobApi;
  mask(value: string): void;
  info(message: string): void;
  notice(message: string): void;
  warning(message: string): void;
}

/** The environment's resource ID from a name (in the job's resource group) or an ID. */
export function environmentId(config: Config, subscriptionId: string): string {
  const env = config.environment!;
  if (env.startsWith('/')) return env;
  return `/subscriptions/${subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.App/managedEnvironments/${env}`;
}

export async function deploy(config: Config, live: Job | undefined, deps: DeployDeps): Promise<DeployResult> {
  const { api } = deps;
  if (!live) return create(config, deps);
  if (config.environment) {
    const wanted = environmentId(config, api.subscriptionId).toLowerCase();
    if (live.environmentId && live.environmentId.toLowerCase() !== wanted) {
      deps.warning(
        `Job '${config.jobName}' is in environment '${parseResourceId(live.environmentId).name}', not '${config.environment}'; a job's environment cannot change, so input 'environment' is ignored.`,
      );
    }
  }
  const image =
    config.image ??
    live.template?.containers?.find((c) => !config.containerName || c.name === config.containerName)?.image;
  const registry = await planRegistry(config, image, live, deps);
  const existingSecrets = needsSecrets(config, registry) ? await api.listSecrets() : undefined;
  for (const s of existingSecrets ?? []) if (s.value) deps.mask(s.value);
  const plan = planUpdate(config, live, { registry, existingSecrets });
  if (!plan.patch)
    return { operation: 'unchanged', job: live, changes: [], image: imageAfter(live, config.containerName) };
  if (config.dryRun)
    return {
      operation: 'updated',
      job: live,
      changes: plan.changes,
      image: config.image ?? imageAfter(live, config.containerName),
    };
  const job = await api.updateJob(plan.patch);
  return { operation: 'updated', job, changes: plan.changes, image: imageAfter(job, config.containerName) };
}

async function create(config: Config, deps: DeployDeps): Promise<DeployResult> {
  const { api } = deps;
  if (!config.image) {
    throw new ActionError(
      config.imageTag
        ? `Job '${config.jobName}' does not exist in resource group '${config.resourceGroup}', so there is no image whose tag 'image-tag' could change: set input 'image' to the full image reference to create it.`
        : `Job '${config.jobName}' does not exist in resource group '${config.resourceGroup}': set input 'image' (and 'environment') to create it, or fix 'job-name' / 'resource-group'.`,
    );
  }
  if (!config.environment) {
    throw new ActionError(
      `Job '${config.jobName}' does not exist in resource group '${config.resourceGroup}' and creating it needs input 'environment' (the Container Apps environment's name or resource ID; az containerapp env list -o table).`,
    );
  }
  const envId = environmentId(config, api.subscriptionId);
  let location = config.location;
  try {
    const env = await api.getEnvironment(envId);
    location ??= env.location;
  } catch (error) {
    if (statusOf(error) === 404) {
      const parsed = parseResourceId(envId);
      throw new ActionError(
        `Container Apps environment '${parsed.name}' was not found in resource group '${parsed.resourceGroup}': fix input 'environment' (a name in the job's resource group, or a full resource ID; az containerapp env list -o table).`,
      );
    }
    throw error;
  }
  if (!location)
    throw new ActionError(`Could not tell the location of environment '${config.environment}': set input 'location'.`);
  const registry = await planRegistry(config, config.image, undefined, deps);
  const job = buildNewJob(config, { environmentId: envId, location, image: config.image, registry });
  const changes = describeNewJob(job);
  if (config.dryRun)
    return { operation: 'created', job: { ...job, name: config.jobName }, changes, image: config.image };
  const created = await api.createJob(job);
  return {
    operation: 'created',
    job: created,
    changes,
    image: imageAfter(created, config.containerName ?? config.jobName),
  };
}
