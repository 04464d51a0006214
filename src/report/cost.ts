/**
 * What a finished execution used, and what that costs at Azure Container Apps consumption prices (pure).
 *
 * Usage is allocation, as Azure bills it: every replica is charged for the CPU and memory of all its containers (init
 * containers included) while it runs. The estimate here is duration × (sum of the containers' resources) ×
 * parallelism: it assumes the replicas ran side by side for the whole execution, so retries and replicas that ran
 * one after another (replica-completion-count above parallelism) are not counted, and a replica that ended early
 * is counted to the end.
 */

/**
 * Consumption plan, active usage, pay-as-you-go, in US dollars, from the Azure Container Apps pricing page
 * (https://azure.microsoft.com/pricing/details/container-apps/), as recorded on PRICE_DATE. Prices differ by
 * region, currency and agreement; the page is the reference.
 */
export const PRICES = {
  vcpuSecondUsd: 0.000024,
  gibSecondUsd: 0.000003,
  date: '2026-12-05',
  source: 'https://azure.microsoft.com/pricing/details/container-apps/',
} as const;

/** The monthly free grant per subscription (not subtracted: the action cannot know what else used it). */
export const FREE_GRANT = { vcpuSeconds: 180_000, gibSeconds: 360_000 } as const;

export interface ContainerResources {
  cpu?: number;
  memory?: string;
}

export interface UsageInput {
  /** Seconds from the execution's start to its end. */
  durationSec: number;
  /** The execution's containers and init containers (the execution's template, or the job's). */
  containers: readonly { resources?: ContainerResources }[];
  initContainers?: readonly { resources?: ContainerResources }[];
  /** Replicas run at once (the trigger's parallelism; 1 when absent). */
  parallelism?: number;
}

export interface Usage {
  durationSec: number;
  parallelism: number;
  /** Per replica: the containers' vCPU and GiB added up. */
  vcpuPerReplica: number;
  gibPerReplica: number;
  vcpuSeconds: number;
  gibSeconds: number;
  /** vcpuSeconds × vCPU price + gibSeconds × memory price, in US dollars. */
  estimateUsd: number;
}

const UNITS: Record<string, number> = {
  '': 1 / 2 ** 30, // plain bytes
  Ki: 1 / 2 ** 20,
  Mi: 1 / 2 ** 10,
  Gi: 1,
  Ti: 2 ** 10,
  K: 1e3 / 2 ** 30,
  M: 1e6 / 2 ** 30,
  G: 1e9 / 2 ** 30,
  T: 1e12 / 2 ** 30,
};

/** A Kubernetes-style memory quantity ('1Gi', '0.5Gi', '512Mi', '2G') in GiB; undefined when it is not one. */
export function memoryGiB(memory: string | undefined): number | undefined {
  if (memory === undefined) return undefined;
  const m = /^\s*(\d{1,12}(?:\.\d{1,12})?)\s*([KMGT]i?)?\s*$/.exec(memory);
  if (!m) return undefined;
  const factor = UNITS[m[2] ?? ''];
  return factor === undefined ? undefined : Number(m[1]) * factor;
}

/**
 * The usage of a finished execution, or undefined when a container's resources are unknown or unreadable (an
 * estimate from half the containers would mislead) or the duration is not known.
 */
export function executionUsage(input: UsageInput): Usage | undefined {
  const all = [...input.containers, ...(input.initContainers ?? [])];
  if (!all.length || !Number.isFinite(input.durationSec) || input.durationSec < 0) return undefined;
  let vcpu = 0;
  let gib = 0;
  for (const c of all) {
    const cpu = c.resources?.cpu;
    const mem = memoryGiB(c.resources?.memory);
    if (cpu === undefined || !Number.isFinite(cpu) || cpu < 0 || mem === undefined) return undefined;
    vcpu += cpu;
    gib += mem;
  }
  const parallelism = input.parallelism && input.parallelism > 0 ? input.parallelism : 1;
  const vcpuSeconds = input.durationSec * vcpu * parallelism;
  const gibSeconds = input.durationSec * gib * parallelism;
  return {
    durationSec: input.durationSec,
    parallelism,
    vcpuPerReplica: vcpu,
    gibPerReplica: gib,
    vcpuSeconds,
    gibSeconds,
    estimateUsd: vcpuSeconds * PRICES.vcpuSecondUsd + gibSeconds * PRICES.gibSecondUsd,
  };
}

/** A number with at most `digits` decimals, without trailing zeros. */
function num(value: number, digits = 2): string {
  return String(Number(value.toFixed(digits)));
}

/** Dollars: 4 significant digits below a cent, else cents. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${Number(usd.toPrecision(2))}`;
  return `$${usd.toFixed(2)}`;
}

/** The summary's lines for an execution's usage (Markdown, no untrusted text in it). */
export function renderUsage(usage: Usage): string[] {
  const perReplica = `${num(usage.vcpuPerReplica, 3)} vCPU and ${num(usage.gibPerReplica, 3)} GiB per replica`;
  return [
    `**Usage:** ${num(usage.vcpuSeconds)} vCPU-seconds and ${num(usage.gibSeconds)} GiB-seconds (${usage.durationSec} s × ${perReplica} × parallelism ${usage.parallelism}); about **${formatUsd(usage.estimateUsd)}** at consumption-plan active-usage prices ($${PRICES.vcpuSecondUsd} per vCPU-second, $${PRICES.gibSecondUsd} per GiB-second, [Azure pricing page](${PRICES.source}) as of ${PRICES.date}; pay-as-you-go, USD).`,
    `The monthly free grant (${FREE_GRANT.vcpuSeconds.toLocaleString('en-US')} vCPU-seconds and ${FREE_GRANT.gibSeconds.toLocaleString('en-US')} GiB-seconds per subscription) is not subtracted; retries and replicas run one after another are not counted.`,
  ];
}

/** What `usageOf` reads of an execution and its job (the SDK models fit). */
export interface ExecutionLike {
  template?: {
    containers?: { resources?: ContainerResources }[];
    initContainers?: { resources?: ContainerResources }[];
  };
}
export interface JobLike extends ExecutionLike {
  configuration?: {
    triggerType?: string;
    manualTriggerConfig?: { parallelism?: number };
    scheduleTriggerConfig?: { parallelism?: number };
    eventTriggerConfig?: { parallelism?: number };
  };
}

/**
 * The usage of a finished execution: its own template's containers (they carry the per-execution overrides) or
 * else the job's, and the parallelism of the job's trigger.
 */
export function usageOf(
  durationSec: number | undefined,
  execution: ExecutionLike | undefined,
  job: JobLike,
): Usage | undefined {
  if (durationSec === undefined) return undefined;
  const template = execution?.template?.containers?.length ? execution.template : job.template;
  const conf = job.configuration;
  const trigger = (conf?.triggerType ?? '').toLowerCase();
  const block =
    trigger === 'schedule'
      ? conf?.scheduleTriggerConfig
      : trigger === 'event'
        ? conf?.eventTriggerConfig
        : conf?.manualTriggerConfig;
  return executionUsage({
    durationSec,
    containers: template?.containers ?? [],
    initContainers: template?.initContainers ?? [],
    parallelism: block?.parallelism,
  });
}
