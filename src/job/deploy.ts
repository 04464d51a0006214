/**
 * Deploy: one engine. The definition file (job-yaml) and the inputs each become an overlay of the job (a partial job
 * in the wire shape); laid over the live job (or, for a new job, over the create defaults) they give the desired job.
 * Everything is checked against it before any write; then one diff (live vs desired) gives the merge patch, or the
 * job to create. Nothing differs: nothing is written and the job is `unchanged`.
 */
import type { Job, JobPatchProperties, Secret } from '@azure/arm-appcontainers';
import type { JobApi } from '../azure/arm.js';
import type { Config } from '../inputs/config.js';
import { ActionError, statusOf } from '../common/errors.js';
import { adoptIds, formatResourceId, parseResourceId, sameId } from '../common/ids.js';
import { registryHost, withTag } from '../common/image.js';
import {
  applyFile,
  checkReferences,
  describeCreate,
  diffJobs,
  jobToWire,
  nextRunsNote,
  normalizeTrigger,
  overlay,
  toJson,
  wireToJob,
  wireToPatch,
  type Definition,
  type Obj,
} from './definition.js';
import {
  CREATE_DEFAULTS,
  hasContainerInputs,
  hasExecutionOverrides,
  inputsOverlay,
  needsSecrets,
  targetContainer,
  type Change,
  type OverlayContext,
} from './spec.js';
import { planRegistry } from './registry.js';
import { rollbackPatch } from './rollback.js';
import { addRunRecord, clashingTags, createWithRunRecord, withLiveRecord, type RunRecord } from './run-record.js';

export type JobOperation = 'created' | 'updated' | 'unchanged';

export interface DeployResult {
  operation: JobOperation;
  /** The job after the deploy (as Azure returned it; as planned on a dry run). */
  job: Job;
  changes: Change[];
  image?: string;
  /** Lines for the log and the summary: drift, the next scheduled runs. */
  notes?: string[];
  /**
   * After an update that wrote: the merge patch that puts back exactly what it changed (secret values included, read
   * before the write), for on-failure: rollback. Holds secret values: never print it.
   */
  restore?: JobPatchProperties;
  /** After an update that wrote: the PATCH it sent (secret values included: never print it). */
  written?: JobPatchProperties;
  /** After an update that wrote: the job as it was read before the write (what `restore` puts back). */
  before?: Job;
}

export interface DeployDeps {
  api: JobApi;
  mask(value: string): void;
  info(message: string): void;
  notice(message: string): void;
  warning(message: string): void;
  /** Milliseconds since the epoch, for the next scheduled runs (default Date.now). */
  now?(): number;
  /** The workflow run making this deploy: its tags ride on the write (never a write of their own). */
  record?: RunRecord;
}

/** The environment's resource ID from a name (in the job's resource group) or an ID. */
export function environmentId(config: Config, subscriptionId: string): string {
  const env = config.environment!;
  if (env.startsWith('/')) return env;
  return formatResourceId({
    subscriptionId,
    resourceGroup: config.resourceGroup,
    provider: 'Microsoft.App',
    type: 'managedEnvironments',
    name: env,
  });
}

export async function deploy(
  config: Config,
  live: Job | undefined,
  deps: DeployDeps,
  definition?: Definition,
): Promise<DeployResult> {
  const result = live ? await update(config, live, deps, definition) : await create(config, deps, definition);
  const conf = result.job.configuration;
  if (conf?.triggerType === 'Schedule') {
    const cron = conf.scheduleTriggerConfig?.cronExpression;
    const note = nextRunsNote(cron, new Date(deps.now?.() ?? Date.now()));
    if (note) result.notes = [...(result.notes ?? []), note];
    const wasScheduled =
      live?.configuration?.triggerType === 'Schedule' &&
      live.configuration.scheduleTriggerConfig?.cronExpression === cron;
    if (!wasScheduled && result.operation !== 'unchanged')
      deps.notice(
        `Job '${config.jobName}' now runs on its own on schedule '${cron ?? ''}' (UTC), every time, until the job is deleted or its trigger changed: each run is billed per vCPU-second and GiB-second of its replicas${note ? `. ${note}` : '.'}`,
      );
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// The desired job

interface Plan {
  /** The live job (or the create defaults), wire-shaped; with secret values when they had to be read. */
  base: Obj;
  /** `base` with only the file laid over it (for drift notes). */
  fromFile: Obj;
  /** `base` with the file and then the inputs laid over it. */
  desired: Obj;
}

const clone = (o: Obj): Obj => JSON.parse(JSON.stringify(o)) as Obj;

/** The image the target container will run, when the inputs or the file say (for the registry and host checks). */
function plannedImage(config: Config, job: Job, target: string | undefined): string | undefined {
  if (config.image) return config.image;
  const containers = job.template?.containers ?? [];
  const t = target ? containers.find((c) => c.name === target) : containers.length === 1 ? containers[0] : undefined;
  if (config.imageTag && t?.image) return withTag(t.image, config.imageTag);
  return t?.image;
}

/** The target container's image in `job` (the only container's without a target). */
function currentImage(job: Job | undefined, target: string | undefined): string | undefined {
  const containers = job?.template?.containers ?? [];
  const t = target ? containers.find((c) => c.name === target) : containers.length === 1 ? containers[0] : undefined;
  return t?.image;
}

/**
 * An image without a registry host comes from Docker Hub. When the job or the inputs point at a registry, that is
 * the classic mistake of leaving the host out: fail naming the full reference; otherwise say where it comes from.
 */
function checkImageHost(config: Config, image: string, job: Job, deps: DeployDeps): void {
  if (registryHost(image)) return;
  const server =
    config.registry.server ??
    job.configuration?.registries?.find((r) => r.server)?.server ??
    (job.template?.containers ?? []).map((c) => (c.image ? registryHost(c.image) : undefined)).find(Boolean);
  if (server) {
    throw new ActionError(
      `Image '${image}' names no registry host, so Azure would pull it from Docker Hub, but job '${config.jobName}' pulls from '${server}': set input 'image' to '${server}/${image}' (or 'docker.io/${image}' if you do mean Docker Hub).`,
    );
  }
  deps.info(`Image '${image}' names no registry host, so it comes from Docker Hub (docker.io).`);
}

/** Puts the secret values read with listSecrets into a wire-shaped job (its GET gives names only). */
function withSecretValues(base: Obj, values: Secret[]): Obj {
  const out = clone(base);
  const props = (out.properties ??= {}) as Obj;
  const conf = (props.configuration ??= {}) as Obj;
  conf.secrets = values.map((s) =>
    s.keyVaultUrl
      ? toJson({ name: s.name, keyVaultUrl: s.keyVaultUrl, identity: s.identity })
      : toJson({ name: s.name, value: s.value ?? '' }),
  );
  return out;
}

/**
 * Pure: the inputs' overlay laid over `fromFile` (the base with the file laid over it). Resource IDs that `base` (the
 * live job) also holds, in another case, take its spelling: they are the same IDs to Azure, so no needless change.
 */
export function desiredJob(config: Config, fromFile: Obj, base: Obj, ctx: OverlayContext): Obj {
  const desired = (overlay(fromFile, inputsOverlay(config, fromFile, ctx), '#Job') ?? {}) as Obj;
  normalizeTrigger(desired);
  return adoptIds(desired, base);
}

/** The desired job: `base` with the file and the inputs laid over it, checked; reads what it needs from Azure. */
async function planJob(
  config: Config,
  live: Job | undefined,
  start: Obj,
  deps: DeployDeps,
  def: Definition | undefined,
  fileInBase = false,
): Promise<Plan> {
  let base = start;
  let fromFile = def && !fileInBase ? applyFile(base, def) : clone(base);
  const fileJob = { ...wireToJob(fromFile), name: config.jobName };
  // Which container the container inputs (and the execution overrides) apply to: settled before anything is written.
  const target = hasContainerInputs(config) ? targetContainer(fileJob, config.containerName).name : undefined;
  if (config.start && hasExecutionOverrides(config)) targetContainer(fileJob, config.containerName);
  const image = plannedImage(config, fileJob, target);
  const imageChanges = image !== undefined && image !== currentImage(live, target);
  if (image && imageChanges) checkImageHost(config, image, fileJob, deps);
  const registryInputs = !!(config.registry.server || config.registry.identity || config.registry.username);
  const registry = !live || imageChanges || registryInputs ? await planRegistry(config, image, fileJob, deps) : {};
  const fileConf = (def?.wire.properties as Obj | undefined)?.configuration as Obj | undefined;
  const fileSecrets = ((fileConf?.secrets ?? []) as Obj[]).length > 0;
  if (live && (fileSecrets || needsSecrets(config, registry))) {
    // Secrets are write-only: a changed list is sent whole, so the existing values are read first.
    const values = await deps.api.listSecrets();
    for (const s of values) if (s.value) deps.mask(s.value);
    base = withSecretValues(base, values);
    fromFile = def ? applyFile(base, def) : clone(base);
  }
  const desired = desiredJob(config, fromFile, base, { registry, target, file: def?.file });
  fromFile = adoptIds(fromFile, base);
  const existing = new Set((live?.configuration?.secrets ?? []).map((s) => s.name ?? ''));
  checkReferences(desired, def, config.jobName, existing);
  return { base, fromFile, desired };
}

/** The target container's image (or the first container's when there are several and no container-name). */
function imageOf(job: Job, containerName: string | undefined): string | undefined {
  try {
    return targetContainer(job, containerName).image;
  } catch {
    return job.template?.containers?.[0]?.image;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Create

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

/** The create defaults of the interface, for what the file and the inputs do not say. */
function createDefaults(config: Config, def: Definition | undefined, envId: string, location: string): Obj {
  const fileConf = ((def?.wire.properties as Obj | undefined)?.configuration ?? {}) as Obj;
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

/** Where the new job goes: its environment's ID and location, from the inputs or the file. */
async function placement(
  config: Config,
  deps: DeployDeps,
  def: Definition | undefined,
): Promise<{ envId: string; location: string }> {
  const where = `Job '${config.jobName}' does not exist in resource group '${config.resourceGroup}'`;
  if (!def && !config.image) {
    throw new ActionError(
      config.imageTag
        ? `${where}, so there is no image whose tag 'image-tag' could change: set input 'image' to the full image reference to create it.`
        : `${where}: set input 'image' (and 'environment') to create it, or fix 'job-name' / 'resource-group'.`,
    );
  }
  const fileEnv = (def?.wire.properties as Obj | undefined)?.environmentId as string | undefined;
  const envId = config.environment ? environmentId(config, deps.api.subscriptionId) : fileEnv;
  if (!envId) {
    throw new ActionError(
      def
        ? `${where} and creating it needs its environment: set input 'environment' or properties.environmentId in job-yaml file '${def.file}'.`
        : `${where} and creating it needs input 'environment' (the Container Apps environment's name or resource ID; az containerapp env list -o table).`,
    );
  }
  const source = config.environment
    ? "input 'environment'"
    : `properties.environmentId in job-yaml file '${def!.file}'`;
  const location =
    config.location ?? (def?.wire.location as string | undefined) ?? (await environmentLocation(envId, source, deps));
  if (!location) {
    throw new ActionError(
      `Could not tell the location of environment '${parseResourceId(envId).name}': set input 'location'${def ? ` or location in job-yaml file '${def.file}'` : ''}.`,
    );
  }
  return { envId, location };
}

async function create(config: Config, deps: DeployDeps, def: Definition | undefined): Promise<DeployResult> {
  const { envId, location } = await placement(config, deps, def);
  warnRecordTags(config, deps);
  let start = createDefaults(config, def, envId, location);
  if (def) {
    start = applyFile(start, def);
    (start.properties as Obj).environmentId = envId;
    start.location = location;
  }
  for (const c of (((start.properties as Obj).template as Obj).containers ?? []) as Obj[]) {
    c.resources = { cpu: CREATE_DEFAULTS.cpu, memory: CREATE_DEFAULTS.memory, ...((c.resources as Obj) ?? {}) };
  }
  // The file is already in the base here (under the environment and location chosen above).
  const { desired } = await planJob(config, undefined, start, deps, def, true);
  const job = wireToJob(desired);
  const changes = describeCreate(desired);
  const image = imageOf(job, config.containerName);
  if (config.dryRun) return { operation: 'created', job: { ...job, name: config.jobName }, changes, image };
  const created = await deps.api.createJob(createWithRunRecord(job, deps.record));
  return { operation: 'created', job: created, changes, image: imageOf(created, config.containerName) };
}

// ---------------------------------------------------------------------------------------------------------------
// Update

/** Warnings for what the inputs or the file ask but an update cannot change (environment, location, profile). */
function warnFixed(config: Config, live: Job, deps: DeployDeps, def: Definition | undefined): void {
  const file = def?.file;
  const fileProps = (def?.wire.properties ?? {}) as Obj;
  const fileLocation = def?.wire.location as string | undefined;
  if (fileLocation && live.location && !sameLocation(fileLocation, live.location)) {
    deps.warning(
      `job-yaml file '${file}' gives location '${fileLocation}', but job '${config.jobName}' is in '${live.location}'; a job's location cannot change, so the file's location is ignored.`,
    );
  }
  const fileEnv = fileProps.environmentId as string | undefined;
  const envWanted = config.environment ? environmentId(config, deps.api.subscriptionId) : fileEnv;
  if (envWanted && live.environmentId && !sameId(envWanted, live.environmentId)) {
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
}

const sameLocation = (a: string, b: string): boolean =>
  a.replace(/\s/g, '').toLowerCase() === b.replace(/\s/g, '').toLowerCase();

/** The drift line: where the live job differs from the settings the file owns. */
function driftNotes(config: Config, def: Definition, changes: Change[]): string[] {
  const file = def.file;
  const drift = changes.filter((c) => c.source === 'job-yaml');
  const fields = drift.slice(0, 8).map((c) => c.field);
  if (drift.length > 8) fields.push(`and ${drift.length - 8} more`);
  const owned = `${drift.length} setting${drift.length === 1 ? '' : 's'} the file owns (${fields.join(', ')})`;
  if (!drift.length) return [`No drift: the live job matches job-yaml file '${file}' in every setting the file owns.`];
  return config.dryRun
    ? [
        `Drift: the live job differs from job-yaml file '${file}' in ${owned}; a run without dry-run makes them match the file.`,
      ]
    : [`Drift corrected: the live job differed from job-yaml file '${file}' in ${owned}; they now match the file.`];
}

/**
 * Says when input `tags` names the run record's keys, which the record sets on every write. A job-yaml file's values
 * for them are ignored without a word: a file saved with `az containerapp job show -o yaml` carries an old record.
 */
function warnRecordTags(config: Config, deps: DeployDeps): void {
  const keys = deps.record ? clashingTags(config.tags) : [];
  if (keys.length) {
    deps.warning(
      `Tags named ${keys.map((k) => `'${k}'`).join(', ')} in input 'tags' are ignored: the action sets them on every write to record the workflow run that made it; remove them or use other names.`,
    );
  }
}

async function update(config: Config, live: Job, deps: DeployDeps, def: Definition | undefined): Promise<DeployResult> {
  if (def?.name && def.name !== config.jobName) {
    deps.warning(
      `job-yaml file '${def.file}' names job '${def.name}' but input job-name is '${config.jobName}': inputs override the file, so this deploys '${config.jobName}'; make them the same or remove name from the file.`,
    );
  }
  if (!live.configuration)
    throw new ActionError(`Job '${live.name}' as returned by Azure has no configuration; it cannot be updated safely.`);
  warnFixed(config, live, deps, def);
  warnRecordTags(config, deps);
  const { base, fromFile, desired } = await planJob(config, live, jobToWire(live), deps, def);
  // The run record is not the user's to plan: another run's record is no change, and the inputs cannot remove it.
  if (desired.tags) desired.tags = withLiveRecord(desired.tags as Record<string, string>, live.tags)!;
  const diff = diffJobs(base, desired, def ? fromFile : undefined);
  const notes = def ? driftNotes(config, def, diff.changes) : undefined;
  const image = (job: Job): string | undefined => imageOf(job, config.containerName);
  if (!diff.patch)
    return { operation: 'unchanged', job: live, changes: [], image: image(live), ...(notes ? { notes } : {}) };
  const planned = { ...live, ...wireToJob(desired) };
  if (config.dryRun)
    return {
      operation: 'updated',
      job: planned,
      changes: diff.changes,
      image: image(planned),
      ...(notes ? { notes } : {}),
    };
  const patch = addRunRecord(wireToPatch(diff.patch), live.tags, deps.record)!;
  const restore = rollbackPatch(wireToJob(base), patch);
  const job = await deps.api.updateJob(patch);
  return {
    operation: 'updated',
    job,
    changes: diff.changes,
    image: image(job),
    restore,
    written: patch,
    before: live,
    ...(notes ? { notes } : {}),
  };
}
