/**
 * The job's desired shape, pure: what to send to create a job, and the smallest PATCH that makes a live job
 * what the inputs ask for (nothing else changes; secrets kept; arrays that a merge patch replaces whole are
 * sent whole). Also the per-execution template for start overrides.
 */
import type {
  Container,
  EnvironmentVar,
  Job,
  JobConfiguration,
  JobExecutionContainer,
  JobExecutionTemplate,
  JobPatchProperties,
  ManagedServiceIdentity,
  RegistryCredentials,
  Secret,
} from '@azure/arm-appcontainers';
import type { Config, EnvVarSpec, SecretSpec } from '../inputs/config.js';
import { ActionError } from '../common/errors.js';
import { withTag } from '../common/image.js';

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

export interface UpdatePlan {
  patch?: JobPatchProperties;
  changes: Change[];
}

const show = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : Array.isArray(v) ? JSON.stringify(v) : String(v);

function sameArray(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

function toEnvironmentVar(spec: EnvVarSpec): EnvironmentVar {
  return spec.secretRef !== undefined
    ? { name: spec.name, secretRef: spec.secretRef }
    : { name: spec.name, value: spec.value ?? '' };
}

function sameEnv(a: EnvironmentVar, b: EnvironmentVar): boolean {
  return (
    a.name === b.name &&
    (a.value ?? undefined) === (b.value ?? undefined) &&
    (a.secretRef ?? undefined) === (b.secretRef ?? undefined)
  );
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

function describeEnv(e: EnvironmentVar | undefined): string | undefined {
  if (!e) return undefined;
  return e.secretRef !== undefined ? `secretref:${e.secretRef}` : (e.value ?? '');
}

function envChanges(before: EnvironmentVar[] | undefined, after: EnvironmentVar[]): Change[] {
  const changes: Change[] = [];
  const names = new Set([...(before ?? []).map((e) => e.name ?? ''), ...after.map((e) => e.name ?? '')]);
  for (const name of names) {
    const a = (before ?? []).find((e) => e.name === name);
    const b = after.find((e) => e.name === name);
    if (a && b && sameEnv(a, b)) continue;
    changes.push({ field: `env ${name}`, from: describeEnv(a), to: describeEnv(b) });
  }
  return changes;
}

function toSecret(spec: SecretSpec): Secret {
  if (spec.keyVaultUrl !== undefined)
    return { name: spec.name, keyVaultUrl: spec.keyVaultUrl, identity: spec.identity };
  return { name: spec.name, value: spec.value ?? '' };
}

function sameSecret(a: Secret, b: Secret): boolean {
  return (
    a.name === b.name &&
    (a.value ?? undefined) === (b.value ?? undefined) &&
    (a.keyVaultUrl ?? undefined) === (b.keyVaultUrl ?? undefined) &&
    (a.identity ?? undefined) === (b.identity ?? undefined)
  );
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
  const missingUser = wanted.userAssigned.filter((id) => !liveUser.some((l) => l.toLowerCase() === id.toLowerCase()));
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
  if (
    registry.identity?.userAssigned &&
    !userAssigned.some((u) => u.toLowerCase() === registry.identity!.userAssigned!.toLowerCase())
  ) {
    userAssigned.push(registry.identity.userAssigned);
  }
  return { system: !!config.identity?.system || !!registry.identity?.system, userAssigned };
}

export interface CreateContext {
  environmentId: string;
  location: string;
  image: string;
  registry: RegistryPlan;
}

/** The full job to create, with the interface's create defaults. */
export function buildNewJob(config: Config, ctx: CreateContext): Job {
  const triggerType = config.triggerType ?? CREATE_DEFAULTS.triggerType;
  if (triggerType === 'Event') {
    throw new ActionError(
      `Creating job '${config.jobName}' with trigger-type Event needs scale rules, which inputs cannot express: describe the job in a file and pass it as job-yaml.`,
    );
  }
  const counts = {
    parallelism: config.parallelism ?? CREATE_DEFAULTS.parallelism,
    replicaCompletionCount: config.replicaCompletionCount ?? CREATE_DEFAULTS.replicaCompletionCount,
  };
  const configuration: JobConfiguration = {
    triggerType,
    replicaTimeout: config.replicaTimeout ?? CREATE_DEFAULTS.replicaTimeout,
    replicaRetryLimit: config.replicaRetryLimit ?? CREATE_DEFAULTS.replicaRetryLimit,
    ...(triggerType === 'Schedule'
      ? { scheduleTriggerConfig: { cronExpression: config.cronExpression ?? '', ...counts } }
      : { manualTriggerConfig: counts }),
  };
  const secrets = wantedSecrets(config, ctx.registry);
  if (secrets.length) configuration.secrets = secrets;
  if (ctx.registry.credentials) configuration.registries = [ctx.registry.credentials];
  const container: Container = {
    name: config.containerName ?? config.jobName,
    image: ctx.image,
    ...(config.command ? { command: [...config.command] } : {}),
    ...(config.args ? { args: [...config.args] } : {}),
    ...(config.envVars?.length ? { env: config.envVars.map(toEnvironmentVar) } : {}),
    resources: { cpu: config.cpu ?? CREATE_DEFAULTS.cpu, memory: config.memory ?? CREATE_DEFAULTS.memory },
  };
  const identity = mergeIdentity(undefined, wantedIdentity(config, ctx.registry));
  return {
    location: ctx.location,
    ...(config.tags ? { tags: config.tags } : {}),
    ...(identity ? { identity } : {}),
    environmentId: ctx.environmentId,
    configuration,
    template: { containers: [container] },
  };
}

/** The changes a create makes, for the log and the summary. */
export function describeNewJob(job: Job): Change[] {
  const c = job.template?.containers?.[0];
  const conf = job.configuration;
  const changes: Change[] = [
    { field: 'image', to: c?.image },
    { field: 'trigger type', to: conf?.triggerType },
    { field: 'replica timeout', to: show(conf?.replicaTimeout) },
    { field: 'replica retry limit', to: show(conf?.replicaRetryLimit) },
    { field: 'cpu / memory', to: `${c?.resources?.cpu} / ${c?.resources?.memory}` },
  ];
  const cron = conf?.scheduleTriggerConfig?.cronExpression;
  if (cron) changes.push({ field: 'cron expression', to: cron });
  for (const e of c?.env ?? []) changes.push({ field: `env ${e.name}`, to: describeEnv(e) });
  for (const s of conf?.secrets ?? [])
    changes.push({ field: `secret ${s.name}`, to: s.keyVaultUrl ? `keyvaultref:${s.keyVaultUrl}` : '(set)' });
  for (const r of conf?.registries ?? []) {
    changes.push({ field: `registry ${r.server}`, to: r.identity ? `identity ${r.identity}` : `user ${r.username}` });
  }
  return changes;
}

export interface UpdateContext {
  registry: RegistryPlan;
  /** Secret values from listSecrets; needed (and fetched) only when secrets must be written. */
  existingSecrets?: Secret[];
}

/** True when the update will have to write the secrets list (so the caller fetches existing values first). */
export function needsSecrets(config: Config, registry: RegistryPlan): boolean {
  return (config.secrets?.length ?? 0) > 0 || !!registry.secret;
}

/** The smallest PATCH that makes `live` what the inputs ask for, or no patch when nothing differs. */
export function planUpdate(config: Config, live: Job, ctx: UpdateContext): UpdatePlan {
  const changes: Change[] = [];
  const liveConf = live.configuration;
  if (!liveConf)
    throw new ActionError(`Job '${live.name}' as returned by Azure has no configuration; it cannot be updated safely.`);

  // --- template: the target container (looked for only when a container input is given)
  const containers = live.template?.containers ?? [];
  const containerInputs =
    config.image !== undefined ||
    config.imageTag !== undefined ||
    config.command !== undefined ||
    config.args !== undefined ||
    config.cpu !== undefined ||
    config.memory !== undefined ||
    config.envVars !== undefined;
  const target = containerInputs ? targetContainer(live, config.containerName) : ({} as Container);
  const updated: Container = { ...target };
  const image = config.image ?? (config.imageTag && target.image ? withTag(target.image, config.imageTag) : undefined);
  if (image !== undefined && image !== target.image) {
    changes.push({ field: 'image', from: target.image, to: image });
    updated.image = image;
  }
  if (config.command && !sameArray(config.command, target.command)) {
    changes.push({ field: 'command', from: show(target.command), to: show(config.command) });
    updated.command = [...config.command];
  }
  if (config.args && !sameArray(config.args, target.args)) {
    changes.push({ field: 'args', from: show(target.args), to: show(config.args) });
    updated.args = [...config.args];
  }
  if (config.cpu !== undefined || config.memory !== undefined) {
    const cpu = config.cpu ?? target.resources?.cpu;
    const memory = config.memory ?? target.resources?.memory;
    if (cpu !== target.resources?.cpu || memory !== target.resources?.memory) {
      changes.push({
        field: 'cpu / memory',
        from: `${target.resources?.cpu} / ${target.resources?.memory}`,
        to: `${cpu} / ${memory}`,
      });
      updated.resources = { cpu, memory };
    }
  }
  if (config.envVars !== undefined) {
    const env = applyEnv(target.env, config.envVars, config.envVarsUpdate);
    const envDiff = envChanges(target.env, env);
    if (envDiff.length) {
      changes.push(...envDiff);
      updated.env = env;
    }
  }
  const templateChanged = changes.length > 0;

  // --- configuration
  const conf: Record<string, unknown> = {};
  const liveType = liveConf.triggerType;
  const newType = config.triggerType ?? liveType;
  if (newType.toLowerCase() !== liveType.toLowerCase()) {
    if (newType === 'Event') {
      throw new ActionError(
        `Changing job '${live.name}' to trigger-type Event needs scale rules, which inputs cannot express: describe the job in a file and pass it as job-yaml.`,
      );
    }
    changes.push({ field: 'trigger type', from: liveType, to: newType });
    conf.triggerType = newType;
  }
  const liveBlockName = triggerBlock(liveType);
  const newBlockName = triggerBlock(newType);
  const liveBlock = (liveConf[liveBlockName] ?? {}) as {
    parallelism?: number;
    replicaCompletionCount?: number;
    cronExpression?: string;
  };
  const block: { parallelism?: number; replicaCompletionCount?: number; cronExpression?: string } =
    newBlockName === liveBlockName
      ? {}
      : { parallelism: liveBlock.parallelism, replicaCompletionCount: liveBlock.replicaCompletionCount };
  if (config.parallelism !== undefined && config.parallelism !== liveBlock.parallelism) {
    changes.push({ field: 'parallelism', from: show(liveBlock.parallelism), to: show(config.parallelism) });
    block.parallelism = config.parallelism;
  }
  if (
    config.replicaCompletionCount !== undefined &&
    config.replicaCompletionCount !== liveBlock.replicaCompletionCount
  ) {
    changes.push({
      field: 'replica completion count',
      from: show(liveBlock.replicaCompletionCount),
      to: show(config.replicaCompletionCount),
    });
    block.replicaCompletionCount = config.replicaCompletionCount;
  }
  if (newBlockName === 'scheduleTriggerConfig') {
    const cron = config.cronExpression ?? liveBlock.cronExpression;
    if (!cron) {
      throw new ActionError(
        `Job '${live.name}' needs input 'cron-expression' to use trigger-type Schedule, e.g. '0 6 * * *'.`,
      );
    }
    if (cron !== liveBlock.cronExpression || newBlockName !== liveBlockName) {
      if (cron !== liveBlock.cronExpression)
        changes.push({ field: 'cron expression', from: liveBlock.cronExpression, to: cron });
      block.cronExpression = cron;
    }
  }
  if (Object.values(block).some((v) => v !== undefined) || newBlockName !== liveBlockName) {
    conf[newBlockName] = block;
    if (newBlockName !== liveBlockName) conf[liveBlockName] = null;
  }
  if (config.replicaTimeout !== undefined && config.replicaTimeout !== liveConf.replicaTimeout) {
    changes.push({ field: 'replica timeout', from: show(liveConf.replicaTimeout), to: show(config.replicaTimeout) });
    conf.replicaTimeout = config.replicaTimeout;
  }
  if (config.replicaRetryLimit !== undefined && config.replicaRetryLimit !== liveConf.replicaRetryLimit) {
    changes.push({
      field: 'replica retry limit',
      from: show(liveConf.replicaRetryLimit),
      to: show(config.replicaRetryLimit),
    });
    conf.replicaRetryLimit = config.replicaRetryLimit;
  }

  // secrets: a merge patch replaces the list whole, so send every existing secret with the given ones set
  const wanted = wantedSecrets(config, ctx.registry);
  if (wanted.length) {
    const existing = ctx.existingSecrets ?? [];
    const merged: Secret[] = existing.map((s) => ({ ...s }));
    let secretsChanged = false;
    for (const w of wanted) {
      const i = merged.findIndex((s) => s.name === w.name);
      if (i >= 0 && sameSecret(merged[i]!, w)) continue;
      secretsChanged = true;
      changes.push({
        field: `secret ${w.name}`,
        from: i >= 0 ? '(set)' : undefined,
        to: w.keyVaultUrl ? `keyvaultref:${w.keyVaultUrl}` : '(new value)',
      });
      if (i >= 0) merged[i] = w;
      else merged.push(w);
    }
    if (secretsChanged) conf.secrets = merged;
  }

  // registries: also replaced whole
  const cred = ctx.registry.credentials;
  if (cred?.server) {
    const liveRegs = liveConf.registries ?? [];
    const i = liveRegs.findIndex((r) => (r.server ?? '').toLowerCase() === cred.server!.toLowerCase());
    const current = i >= 0 ? liveRegs[i] : undefined;
    const same =
      current &&
      (current.identity ?? '') === (cred.identity ?? '') &&
      (current.username ?? '') === (cred.username ?? '') &&
      (current.passwordSecretRef ?? '') === (cred.passwordSecretRef ?? '');
    if (!same) {
      const regs = liveRegs.map((r) => ({ ...r }));
      if (i >= 0) regs[i] = cred;
      else regs.push(cred);
      conf.registries = regs;
      changes.push({
        field: `registry ${cred.server}`,
        from: current ? (current.identity ? `identity ${current.identity}` : `user ${current.username}`) : undefined,
        to: cred.identity ? `identity ${cred.identity}` : `user ${cred.username}`,
      });
    }
  }

  // --- identity and tags
  const identity = mergeIdentity(live.identity, wantedIdentity(config, ctx.registry));
  if (identity) changes.push({ field: 'identity', from: live.identity?.type ?? 'None', to: identity.type });
  let tags: Record<string, string> | undefined;
  if (config.tags) {
    const liveTags = live.tags ?? {};
    const diff = Object.entries(config.tags).filter(([k, v]) => liveTags[k] !== v);
    if (diff.length) {
      tags = { ...liveTags, ...config.tags };
      for (const [k, v] of diff) changes.push({ field: `tag ${k}`, from: liveTags[k], to: v });
    }
  }

  if (changes.length === 0) return { changes };

  const properties: NonNullable<JobPatchProperties['properties']> = {};
  if (Object.keys(conf).length) {
    // A PATCH that carries configuration must still carry its required fields.
    properties.configuration = {
      triggerType: newType,
      replicaTimeout: (conf.replicaTimeout as number | undefined) ?? liveConf.replicaTimeout,
      ...conf,
    } as JobConfiguration;
  }
  if (templateChanged) {
    properties.template = { containers: containers.map((c) => (c === target ? updated : c)) };
  }
  const patch: JobPatchProperties = {
    ...(Object.keys(properties).length ? { properties } : {}),
    ...(identity ? { identity } : {}),
    ...(tags ? { tags } : {}),
  };
  return { patch, changes };
}

/** What the job's target container would look like after the plan (for the `image` output). */
export function imageAfter(job: Job, containerName: string | undefined): string | undefined {
  return targetContainer(job, containerName).image;
}

/** The per-execution template for start overrides, built from the job's own containers. */
export function executionTemplate(config: Config, job: Job): JobExecutionTemplate | undefined {
  const ex = config.execution;
  if (!ex.envVars && !ex.command && !ex.args && !ex.image) return undefined;
  const target = targetContainer(job, config.containerName);
  const base = (c: Container): JobExecutionContainer => ({
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
  return { containers };
}
