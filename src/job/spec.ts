/**
 * What the inputs ask of the job, pure: an overlay of the job in the wire shape (only what the inputs name), which
 * deploy lays over the live job (or the file, or the create defaults) before one diff makes the merge patch. Also
 * the per-execution template for start overrides.
 */
import type {
  BaseContainer,
  Container,
  EnvironmentVar,
  Job,
  JobConfiguration,
  JobExecutionContainer,
  JobExecutionTemplate,
  ManagedServiceIdentity,
  RegistryCredentials,
  Secret,
} from '@azure/arm-appcontainers';
import type { Config, EnvVarSpec, SecretSpec } from '../inputs/config.js';
import { ActionError } from '../common/errors.js';
import { withTag } from '../common/image.js';
import { sameId } from '../common/ids.js';
import { toJson, wireToJob, type Obj } from './definition.js';

export const CREATE_DEFAULTS = {
  triggerType: 'Manual',
  replicaTimeout: 300,
  replicaRetryLimit: 0,
  parallelism: 1,
  replicaCompletionCount: 1,
  cpu: 0.5,
  memory: '1Gi',
} as const;

/** What the registry step decided the job needs to pull its image. */
export interface RegistryPlan {
  credentials?: RegistryCredentials;
  /** A password to store as a job secret (admin user or registry-password). */
  secret?: { name: string; value: string };
  /** Identity the job must have for `credentials.identity`. */
  identity?: { system?: boolean; userAssigned?: string };
}

/** One line of the change list shown in the log and the summary. Secret values never appear here. */
export interface Change {
  field: string;
  from?: string;
  to?: string;
  /** 'job-yaml' when the definition file asks for this value (the live job differs from the file: drift). */
  source?: 'job-yaml';
}

function toEnvironmentVar(spec: EnvVarSpec): EnvironmentVar {
  return spec.secretRef !== undefined
    ? { name: spec.name, secretRef: spec.secretRef }
    : { name: spec.name, value: spec.value ?? '' };
}

/** Applies env-vars to a live list: merge sets the given names and keeps the rest; replace keeps exactly these. */
export function applyEnv(
  live: EnvironmentVar[] | undefined,
  given: readonly EnvVarSpec[],
  mode: 'merge' | 'replace',
): EnvironmentVar[] {
  const wanted = given.map(toEnvironmentVar);
  if (mode === 'replace') return wanted;
  const result = (live ?? []).map((e) => ({ ...e }));
  for (const w of wanted) {
    const i = result.findIndex((e) => e.name === w.name);
    if (i >= 0) result[i] = w;
    else result.push(w);
  }
  return result;
}

function toSecret(spec: SecretSpec): Secret {
  if (spec.keyVaultUrl !== undefined)
    return { name: spec.name, keyVaultUrl: spec.keyVaultUrl, identity: spec.identity };
  return { name: spec.name, value: spec.value ?? '' };
}

/** The secrets the inputs and the registry plan ask for. */
export function wantedSecrets(config: Config, registry: RegistryPlan): Secret[] {
  const list = (config.secrets ?? []).map(toSecret);
  if (registry.secret && !list.some((s) => s.name === registry.secret!.name)) list.push({ ...registry.secret });
  return list;
}

/** The container the image and container settings apply to. */
export function targetContainer(job: Job, containerName: string | undefined): Container {
  const containers = job.template?.containers ?? [];
  if (containerName) {
    const found = containers.find((c) => c.name === containerName);
    if (!found) {
      throw new ActionError(
        `Job '${job.name}' has no container named '${containerName}' (it has: ${containers.map((c) => c.name).join(', ') || 'none'}): fix input 'container-name'.`,
      );
    }
    return found;
  }
  if (containers.length === 1) return containers[0]!;
  throw new ActionError(
    `Job '${job.name}' has ${containers.length} containers (${containers.map((c) => c.name).join(', ')}): set input 'container-name' to the one to update.`,
  );
}

function triggerBlock(triggerType: string): 'manualTriggerConfig' | 'scheduleTriggerConfig' | 'eventTriggerConfig' {
  const t = triggerType.toLowerCase();
  return t === 'schedule' ? 'scheduleTriggerConfig' : t === 'event' ? 'eventTriggerConfig' : 'manualTriggerConfig';
}

function mergeIdentity(
  live: ManagedServiceIdentity | undefined,
  wanted: { system: boolean; userAssigned: string[] },
): ManagedServiceIdentity | undefined {
  const liveType = (live?.type ?? 'None').toLowerCase();
  const liveSystem = liveType.includes('systemassigned');
  const liveUser = Object.keys(live?.userAssignedIdentities ?? {});
  const system = liveSystem || wanted.system;
  const missingUser = wanted.userAssigned.filter((id) => !liveUser.some((l) => sameId(l, id)));
  if (system === liveSystem && missingUser.length === 0) return undefined;
  const user = [...liveUser, ...missingUser];
  const type = system && user.length ? 'SystemAssigned,UserAssigned' : system ? 'SystemAssigned' : 'UserAssigned';
  return {
    type,
    ...(user.length ? { userAssignedIdentities: Object.fromEntries(user.map((id) => [id, {}])) } : {}),
  };
}

function wantedIdentity(config: Config, registry: RegistryPlan): { system: boolean; userAssigned: string[] } {
  const userAssigned = [...(config.identity?.userAssigned ?? [])];
  if (registry.identity?.userAssigned && !userAssigned.some((u) => sameId(u, registry.identity!.userAssigned))) {
    userAssigned.push(registry.identity.userAssigned);
  }
  return { system: !!config.identity?.system || !!registry.identity?.system, userAssigned };
}

/** True when the secrets list will have to be written (so the caller reads the existing values first). */
export function needsSecrets(config: Config, registry: RegistryPlan): boolean {
  return (config.secrets?.length ?? 0) > 0 || !!registry.secret;
}

/** True when the inputs change a container (so they need to know which one). */
export function hasContainerInputs(config: Config): boolean {
  return (
    config.image !== undefined ||
    config.imageTag !== undefined ||
    config.command !== undefined ||
    config.args !== undefined ||
    config.cpu !== undefined ||
    config.memory !== undefined ||
    config.envVars !== undefined
  );
}

/** True when the start has per-execution overrides (which apply to one container). */
export function hasExecutionOverrides(config: Config): boolean {
  const ex = config.execution;
  return !!(ex.envVars || ex.command || ex.args || ex.image);
}

export interface OverlayContext {
  registry: RegistryPlan;
  /** The container the container inputs apply to (resolved by the caller; absent without container inputs). */
  target?: string;
  /** The definition file, for messages about what it lacks. */
  file?: string;
}

/** The configuration part of the inputs' overlay: trigger, its block, timeouts, secrets, registries. */
function configurationOverlay(config: Config, job: Job, ctx: OverlayContext): Obj {
  const conf = job.configuration ?? ({} as JobConfiguration);
  const out: Obj = {};
  const liveType = conf.triggerType ?? CREATE_DEFAULTS.triggerType;
  const sameType = !config.triggerType || config.triggerType.toLowerCase() === liveType.toLowerCase();
  const newType = sameType ? liveType : config.triggerType;
  if (!sameType) {
    if (newType === 'Event') {
      throw new ActionError(
        ctx.file
          ? `Input trigger-type is Event but job-yaml file '${ctx.file}' describes no event trigger: add properties.configuration.eventTriggerConfig with its scale rules to the file.`
          : `Job '${config.jobName}' cannot get trigger-type Event from inputs, because an event trigger needs scale rules, which inputs cannot express: describe the job in a file and pass it as job-yaml.`,
      );
    }
    out.triggerType = newType;
  }
  const liveBlock = (conf[triggerBlock(liveType)] ?? {}) as Obj;
  const block: Obj = sameType
    ? {}
    : (toJson({ parallelism: liveBlock.parallelism, replicaCompletionCount: liveBlock.replicaCompletionCount }) as Obj);
  if (config.parallelism !== undefined) block.parallelism = config.parallelism;
  if (config.replicaCompletionCount !== undefined) block.replicaCompletionCount = config.replicaCompletionCount;
  if (triggerBlock(newType) === 'scheduleTriggerConfig') {
    const cron = config.cronExpression ?? (sameType ? (liveBlock.cronExpression as string | undefined) : undefined);
    if (!cron) {
      throw new ActionError(
        ctx.file
          ? `Input trigger-type is Schedule but neither input cron-expression nor job-yaml file '${ctx.file}' gives a schedule: set cron-expression (e.g. '0 6 * * *') or properties.configuration.scheduleTriggerConfig.cronExpression.`
          : `Job '${config.jobName}' needs input 'cron-expression' to use trigger-type Schedule, e.g. '0 6 * * *'.`,
      );
    }
    block.cronExpression = cron;
  }
  if (Object.keys(block).length) out[triggerBlock(newType)] = block;
  if (config.replicaTimeout !== undefined) out.replicaTimeout = config.replicaTimeout;
  if (config.replicaRetryLimit !== undefined) out.replicaRetryLimit = config.replicaRetryLimit;
  // secrets and registries: lists the overlay adds to (by name / server); the others stay
  const secrets = wantedSecrets(config, ctx.registry);
  if (secrets.length) out.secrets = toJson(secrets);
  const cred = ctx.registry.credentials;
  if (cred?.server) {
    // a host name in another case is the same registry: keep the job's spelling (the list is keyed by server)
    const server = cred.server.toLowerCase();
    const same = conf.registries?.find((r) => r.server?.toLowerCase() === server)?.server;
    out.registries = [toJson({ ...cred, server: same ?? cred.server })];
  }
  return out;
}

/** The target container's part of the overlay: the settings the container inputs give. */
function containerOverlay(config: Config, container: Container): Obj {
  const out: Obj = { name: container.name ?? '' };
  const image =
    config.image ?? (config.imageTag && container.image ? withTag(container.image, config.imageTag) : undefined);
  if (image !== undefined) out.image = image;
  if (config.command) out.command = [...config.command];
  if (config.args) out.args = [...config.args];
  if (config.cpu !== undefined || config.memory !== undefined) {
    out.resources = toJson({ cpu: config.cpu, memory: config.memory });
  }
  if (config.envVars !== undefined) out.env = toJson(applyEnv(container.env, config.envVars, config.envVarsUpdate));
  return out;
}

/**
 * What the inputs ask for, as an overlay of the job (a partial job in the wire shape, laid over the live job, the file
 * or the create defaults with `overlay`): only what the inputs name. Env vars are merged (or replaced) into the target
 * container's list; secrets, registries and tags are added to the job's; the identity keeps what the job has.
 */
export function inputsOverlay(config: Config, base: Obj, ctx: OverlayContext): Obj {
  const job = { ...wireToJob(base), name: config.jobName };
  const out: Obj = {};
  const properties: Obj = {};
  const configuration = configurationOverlay(config, job, ctx);
  if (Object.keys(configuration).length) properties.configuration = configuration;
  if (ctx.target !== undefined) {
    const containers = job.template?.containers ?? [];
    properties.template = {
      containers: containers.map((c) => (c.name === ctx.target ? containerOverlay(config, c) : { name: c.name ?? '' })),
    };
  }
  if (Object.keys(properties).length) out.properties = properties;
  if (config.tags) out.tags = { ...config.tags };
  const identity = mergeIdentity(job.identity, wantedIdentity(config, ctx.registry));
  if (identity) out.identity = toJson(identity);
  return out;
}

/**
 * The per-execution template for start overrides. Azure replaces the job's template with it (it does not merge), so
 * it carries every container and init container the job has, the overrides applied to the target container only.
 */
export function executionTemplate(config: Config, job: Job): JobExecutionTemplate | undefined {
  const ex = config.execution;
  if (!hasExecutionOverrides(config)) return undefined;
  const target = targetContainer(job, config.containerName);
  const base = (c: Container | BaseContainer): JobExecutionContainer => ({
    name: c.name,
    image: c.image,
    ...(c.command ? { command: c.command } : {}),
    ...(c.args ? { args: c.args } : {}),
    ...(c.env ? { env: c.env } : {}),
    ...(c.resources ? { resources: { cpu: c.resources.cpu, memory: c.resources.memory } } : {}),
  });
  const containers = (job.template?.containers ?? []).map((c) => {
    const b = base(c);
    if (c !== target) return b;
    return {
      ...b,
      ...(ex.image ? { image: ex.image } : {}),
      ...(ex.command ? { command: [...ex.command] } : {}),
      ...(ex.args ? { args: [...ex.args] } : {}),
      ...(ex.envVars ? { env: applyEnv(c.env, ex.envVars, 'merge') } : {}),
    };
  });
  const initContainers = (job.template?.initContainers ?? []).map(base);
  return { containers, ...(initContainers.length ? { initContainers } : {}) };
}
