/**
 * Deploy: read the job; create it when missing (the environment is needed then), or PATCH only what the inputs
 * ask to change; write nothing when nothing differs. With a definition file (job-yaml), the file describes the job
 * and the inputs override it; the plan says where the live job differs from the file (drift).
 */
import type { Job } from '@azure/arm-appcontainers';
import { parseResourceId, type JobApi } from '../azure/arm.js';
import type { Config } from '../inputs/config.js';
import { ActionError, statusOf } from '../common/errors.js';
import {
  applyFile,
  checkReferences,
  describeCreate,
  diffJobs,
  jobToWire,
  mergePatch,
  nextRunsNote,
  normalizeTrigger,
  toJson,
  wireToJob,
  wireToPatch,
  type Definition,
  type Obj,
} from './definition.js';
import { withTag } from '../common/image.js';
import {
  buildNewJob,
  CREATE_DEFAULTS,
  describeNewJob,
  imageAfter,
  needsSecrets,
  planUpdate,
  targetContainer,
  type Change,
  type RegistryPlan,
} from './spec.js';
import { planRegistry } from './registry.js';

export type JobOperation = 'created' | 'updated' | 'unchanged';

export interface DeployResult {
  operation: JobOperation;
  /** The job after the deploy (as Azure returned it; as planned on a dry run). */
  job: Job;
  changes: Change[];
  image?: string;
  /** Lines for the log and the summary: drift, the next scheduled runs. */
  notes?: string[];
}

export interface DeployDeps {
  api: JobApi;
  mask(value: string): void;
  info(message: string): void;
  notice(message: string): void;
  warning(message: string): void;
  /** Milliseconds since the epoch, for the next scheduled runs (default Date.now). */
  now?(): number;
}

/** The environment's resource ID from a name (in the job's resource group) or an ID. */
export function environmentId(config: Config, subscriptionId: string): string {
  const env = config.environment!;
  if (env.startsWith('/')) return env;
  return `/subscriptions/${subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.App/managedEnvironments/${env}`;
}

export async function deploy(
  config: Config,
  live: Job | undefined,
  deps: DeployDeps,
  definition?: Definition,
): Promise<DeployResult> {
  const result = definition
    ? await deployDefinition(config, live, deps, definition)
    : await deployInputs(config, live, deps);
  // A dry run without a file returns the live job: the inputs' trigger and schedule then say what it would be.
  const conf = result.job.configuration;
  const trigger = definition ? conf?.triggerType : (config.triggerType ?? conf?.triggerType);
  if (trigger === 'Schedule') {
    const cron = definition
      ? conf?.scheduleTriggerConfig?.cronExpression
      : (config.cronExpression ?? conf?.scheduleTriggerConfig?.cronExpression);
    const note = nextRunsNote(cron, new Date(deps.now?.() ?? Date.now()));
    if (note) result.notes = [...(result.notes ?? []), note];
  }
  return result;
}

async function deployInputs(config: Config, live: Job | undefined, deps: DeployDeps): Promise<DeployResult> {
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
  const location = config.location ?? (await environmentLocation(envId, "input 'environment'", deps));
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

/** The location of an environment; a missing environment fails naming `source` (where its ID came from). */
async function environmentLocation(envId: string, source: string, deps: DeployDeps): Promise<string | undefined> {
  try {
    return (await deps.api.getEnvironment(envId)).location;
  } catch (error) {
    if (statusOf(error) === 404) {
      const parsed = parseResourceId(envId);
      throw new ActionError(
        `Container Apps environment '${parsed.name}' was not found in resource group '${parsed.resourceGroup}': fix ${source} (a name in the job's resource group, or a full resource ID; az containerapp env list -o table).`,
      );
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// With a definition file

const sameLocation = (a: string, b: string): boolean =>
  a.replace(/\s/g, '').toLowerCase() === b.replace(/\s/g, '').toLowerCase();

/** The image the registry step plans for: the input, the file's image with image-tag, or the target's image. */
function plannedImage(config: Config, job: Job): string | undefined {
  if (config.image) return config.image;
  const containers = job.template?.containers ?? [];
  const target = config.containerName
    ? containers.find((c) => c.name === config.containerName)
    : containers.length === 1
      ? containers[0]
      : undefined;
  if (config.imageTag && target?.image) return withTag(target.image, config.imageTag);
  return target?.image;
}

/** The target container's image (or the first container's when there are several and no container-name). */
function imageOf(job: Job, containerName: string | undefined): string | undefined {
  try {
    return targetContainer(job, containerName).image;
  } catch {
    return job.template?.containers?.[0]?.image;
  }
}

/** The inputs laid over a wire-shaped job (inputs override the file): the same rules as without a file. */
function applyInputs(config: Config, base: Obj, registry: RegistryPlan, def: Definition): Obj {
  const model = { ...wireToJob(base), name: config.jobName };
  const conf = model.configuration!;
  if (config.triggerType === 'Event' && conf.triggerType !== 'Event') {
    throw new ActionError(
      `Input trigger-type is Event but job-yaml file '${def.file}' describes no event trigger: add properties.configuration.eventTriggerConfig with its scale rules to the file.`,
    );
  }
  if (config.triggerType === 'Schedule' && !config.cronExpression && !conf.scheduleTriggerConfig?.cronExpression) {
    throw new ActionError(
      `Input trigger-type is Schedule but neither input cron-expression nor job-yaml file '${def.file}' gives a schedule: set cron-expression (e.g. '0 6 * * *') or properties.configuration.scheduleTriggerConfig.cronExpression.`,
    );
  }
  const plan = planUpdate(config, model, { registry, existingSecrets: conf.secrets });
  const desired = (plan.patch ? mergePatch(base, toJson(plan.patch)) : base) as Obj;
  normalizeTrigger(desired);
  return desired;
}

/** The create defaults of the interface, for what the file does not say. */
function createDefaults(config: Config, def: Definition, envId: string, location: string): Obj {
  const fileConf = ((def.wire.properties as Obj | undefined)?.configuration ?? {}) as Obj;
  const trigger = (fileConf.triggerType as string | undefined) ?? CREATE_DEFAULTS.triggerType;
  const block =
    trigger === 'Schedule'
      ? 'scheduleTriggerConfig'
      : trigger === 'Event'
        ? 'eventTriggerConfig'
        : 'manualTriggerConfig';
  return {
    location,
    properties: {
      environmentId: envId,
      configuration: {
        triggerType: trigger,
        replicaTimeout: CREATE_DEFAULTS.replicaTimeout,
        replicaRetryLimit: CREATE_DEFAULTS.replicaRetryLimit,
        [block]: {
          parallelism: CREATE_DEFAULTS.parallelism,
          replicaCompletionCount: CREATE_DEFAULTS.replicaCompletionCount,
        },
      },
      template: { containers: [{ name: config.containerName ?? config.jobName }] },
    },
  };
}

async function deployDefinition(
  config: Config,
  live: Job | undefined,
  deps: DeployDeps,
  def: Definition,
): Promise<DeployResult> {
  const { api } = deps;
  const file = def.file;
  if (def.name && def.name !== config.jobName) {
    deps.warning(
      `job-yaml file '${file}' names job '${def.name}' but input job-name is '${config.jobName}': inputs override the file, so this deploys '${config.jobName}'; make them the same or remove name from the file.`,
    );
  }
  const fileProps = (def.wire.properties ?? {}) as Obj;
  const fileEnv = fileProps.environmentId as string | undefined;

  if (!live) {
    const envId = config.environment ? environmentId(config, api.subscriptionId) : fileEnv;
    if (!envId) {
      throw new ActionError(
        `Job '${config.jobName}' does not exist in resource group '${config.resourceGroup}' and creating it needs its environment: set input 'environment' or properties.environmentId in job-yaml file '${file}'.`,
      );
    }
    const source = config.environment ? "input 'environment'" : `properties.environmentId in job-yaml file '${file}'`;
    const location =
      config.location ?? (def.wire.location as string | undefined) ?? (await environmentLocation(envId, source, deps));
    if (!location) {
      throw new ActionError(
        `Could not tell the location of environment '${parseResourceId(envId).name}': set input 'location' or location in job-yaml file '${file}'.`,
      );
    }
    const base = applyFile(createDefaults(config, def, envId, location), def);
    (base.properties as Obj).environmentId = envId;
    base.location = location;
    for (const c of (((base.properties as Obj).template as Obj).containers ?? []) as Obj[]) {
      c.resources ??= { cpu: CREATE_DEFAULTS.cpu, memory: CREATE_DEFAULTS.memory };
    }
    const baseJob = wireToJob(base);
    const registry = await planRegistry(config, plannedImage(config, baseJob), baseJob, deps);
    const desired = applyInputs(config, base, registry, def);
    checkReferences(desired, def, config.jobName);
    const job = wireToJob(desired);
    const changes = describeCreate(desired);
    const image = imageOf(job, config.containerName);
    if (config.dryRun) return { operation: 'created', job: { ...job, name: config.jobName }, changes, image };
    const created = await api.createJob(job);
    return { operation: 'created', job: created, changes, image: imageOf(created, config.containerName) };
  }

  const liveWire = jobToWire(live);
  if (def.wire.location && live.location && !sameLocation(def.wire.location as string, live.location)) {
    deps.warning(
      `job-yaml file '${file}' gives location '${def.wire.location}', but job '${config.jobName}' is in '${live.location}'; a job's location cannot change, so the file's location is ignored.`,
    );
  }
  const envWanted = config.environment ? environmentId(config, api.subscriptionId) : fileEnv;
  if (envWanted && live.environmentId && envWanted.toLowerCase() !== live.environmentId.toLowerCase()) {
    deps.warning(
      `Job '${config.jobName}' is in environment '${parseResourceId(live.environmentId).name}', not '${parseResourceId(envWanted).name}' (${config.environment ? "input 'environment'" : `job-yaml file '${file}'`}); a job's environment cannot change, so it is ignored.`,
    );
  }
  const fileProfile = fileProps.workloadProfileName as string | undefined;
  if (fileProfile && (live.workloadProfileName ?? '') !== fileProfile) {
    deps.warning(
      `job-yaml file '${file}' gives workloadProfileName '${fileProfile}', but job '${config.jobName}' runs on '${live.workloadProfileName ?? 'none'}'; an update cannot move a job to another workload profile, so it is ignored.`,
    );
  }
  let fromFile = applyFile(liveWire, def);
  const registry = await planRegistry(config, plannedImage(config, wireToJob(fromFile)), wireToJob(fromFile), deps);
  const fileSecrets = (((fileProps.configuration as Obj | undefined)?.secrets ?? []) as Obj[]).length > 0;
  if (fileSecrets || needsSecrets(config, registry)) {
    // Secrets are write-only: a changed list is sent whole, so the existing values are read first.
    const values = await api.listSecrets();
    for (const s of values) if (s.value) deps.mask(s.value);
    const conf = ((liveWire.properties as Obj).configuration ?? {}) as Obj;
    conf.secrets = values.map((s) =>
      s.keyVaultUrl
        ? toJson({ name: s.name, keyVaultUrl: s.keyVaultUrl, identity: s.identity })
        : toJson({ name: s.name, value: s.value ?? '' }),
    );
    fromFile = applyFile(liveWire, def);
  }
  const desired = applyInputs(config, fromFile, registry, def);
  checkReferences(desired, def, config.jobName, new Set((live.configuration?.secrets ?? []).map((x) => x.name ?? '')));
  const diff = diffJobs(liveWire, desired, fromFile);
  const drift = diff.changes.filter((c) => c.source === 'job-yaml');
  const fields = drift.slice(0, 8).map((c) => c.field);
  if (drift.length > 8) fields.push(`and ${drift.length - 8} more`);
  const owned = `${drift.length} setting${drift.length === 1 ? '' : 's'} the file owns (${fields.join(', ')})`;
  const notes = !drift.length
    ? [`No drift: the live job matches job-yaml file '${file}' in every setting the file owns.`]
    : config.dryRun
      ? [
          `Drift: the live job differs from job-yaml file '${file}' in ${owned}; a run without dry-run makes them match the file.`,
        ]
      : [`Drift corrected: the live job differed from job-yaml file '${file}' in ${owned}; they now match the file.`];
  if (!diff.patch)
    return { operation: 'unchanged', job: live, changes: [], image: imageOf(live, config.containerName), notes };
  if (config.dryRun) {
    const planned = wireToJob(desired);
    return {
      operation: 'updated',
      job: { ...live, ...planned },
      changes: diff.changes,
      image: imageOf(planned, config.containerName),
      notes,
    };
  }
  const job = await api.updateJob(wireToPatch(diff.patch));
  return { operation: 'updated', job, changes: diff.changes, image: imageOf(job, config.containerName), notes };
}
