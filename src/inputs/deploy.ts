/**
 * The deploy inputs, by concern: the target job, the image, the registry, the build, the trigger, replicas and
 * resources, and the container's settings. Each reader returns its typed values or throws the first InputError.
 */
import { CronError, parseCron } from '../common/cron.js';
import { InputError } from '../common/errors.js';
import { matchResourceId } from '../common/ids.js';
import { CLOUDS } from './endpoints.js';
import {
  CONTAINER_NAME_RE,
  describeJobNameProblems,
  DOCKER_HUB_HOSTS,
  ENVIRONMENT_NAME_RE,
  formatNumber,
  HOST_RE,
  identityProblem,
  identityRef,
  INT32_MAX,
  isAcrHost,
  JOB_NAME_RE,
  parseCpu,
  parseDuration,
  parseImage,
  parseList,
  parseMemory,
  parseWholeNumber,
  q,
  RESOURCE_GROUP_RE,
  suggestJobName,
  TAG_RE,
  UUID_RE,
} from './fields.js';
import { parseBuildArgs, parseEnvVars, parseIdentity, parseSecrets, parseTags } from './lists.js';
import { readChoice, type Get } from './table.js';
import type { CloudName, Config, ImageReference, TriggerType } from './types.js';

/** A replica-timeout this long is far above what a course job needs: say what it costs (a notice, not a warning). */
export const LONG_REPLICA_TIMEOUT_SEC = 3600;

function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `${seconds} s (${h} h${m > 0 ? ` ${m} min` : ''})`;
}

export function readTarget(get: Get): Pick<Config, 'resourceGroup' | 'jobName' | 'environment' | 'location'> {
  const resourceGroup = get('resource-group');
  if (resourceGroup === '') {
    throw new InputError(
      'resource-group',
      'resource-group is required: set the resource group that holds the job, e.g. resource-group: rg-data.',
    );
  }
  if (!RESOURCE_GROUP_RE.test(resourceGroup) || resourceGroup.endsWith('.')) {
    throw new InputError(
      'resource-group',
      `resource-group ${q(resourceGroup)} is not a valid resource group name: use 1-90 letters, digits, '_', '-', '.', '(' and ')', not ending with '.', e.g. rg-data.`,
    );
  }
  const jobName = get('job-name');
  if (jobName === '') {
    throw new InputError(
      'job-name',
      'job-name is required: set the name of the Container Apps job, e.g. job-name: alice-weather-job.',
    );
  }
  if (!JOB_NAME_RE.test(jobName)) {
    const fixed = suggestJobName(jobName);
    throw new InputError(
      'job-name',
      `job-name ${q(jobName)} is not a valid job name (${describeJobNameProblems(jobName)}): use 2-32 lowercase letters, digits and '-', starting with a letter, ending with a letter or digit, without '--'; e.g. ${q(fixed ?? 'alice-weather-job')}.`,
    );
  }
  const environment = get('environment') || undefined;
  if (environment !== undefined) {
    if (environment.startsWith('/')) {
      const id = matchResourceId(environment);
      const ok =
        id !== undefined &&
        UUID_RE.test(id.subscriptionId) &&
        RESOURCE_GROUP_RE.test(id.resourceGroup) &&
        id.provider.toLowerCase() === 'microsoft.app' &&
        ['managedenvironments', 'connectedenvironments'].includes(id.type.toLowerCase()) &&
        /^[A-Za-z0-9-]{2,60}$/.test(id.name);
      if (!ok) {
        throw new InputError(
          'environment',
          `environment ${q(environment)} is not a Container Apps environment resource ID like /subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.App/managedEnvironments/<name>; or give just the name.`,
        );
      }
    } else if (!ENVIRONMENT_NAME_RE.test(environment)) {
      const lower = environment.toLowerCase();
      throw new InputError(
        'environment',
        `environment ${q(environment)} is not a Container Apps environment name (2-60 lowercase letters, digits and '-')${ENVIRONMENT_NAME_RE.test(lower) ? `; write ${q(lower)}` : ''}; or give its full resource ID.`,
      );
    }
  }
  const location = get('location') || undefined;
  if (location !== undefined && !/^[A-Za-z0-9 ]{2,64}$/.test(location)) {
    throw new InputError(
      'location',
      `location ${q(location)} is not an Azure region name like westeurope (az account list-locations -o table).`,
    );
  }
  return { resourceGroup, jobName, environment, location };
}

export interface ImageInputs {
  imageText: string;
  image?: ImageReference;
  /** Warnings about the image, which depend on whether there is a build (see readBuild). */
  imageWarnings: string[];
  imageTag?: string;
  containerName?: string;
}

export function readImage(get: Get, cloud: CloudName, jobName: string): ImageInputs {
  const imageText = get('image');
  const imageWarnings: string[] = [];
  const image = imageText === '' ? undefined : parseImage('image', imageText, imageWarnings);
  if (
    image?.registry &&
    isAcrHost(image.registry) &&
    !image.registry.toLowerCase().endsWith(`.${CLOUDS[cloud].acrSuffix}`)
  ) {
    imageWarnings.push(
      `image is in ${image.registry}, which belongs to another Azure cloud than cloud ${cloud} (whose registries end in .${CLOUDS[cloud].acrSuffix}).`,
    );
  }
  const imageTag = get('image-tag') || undefined;
  if (imageTag !== undefined) {
    if (image) {
      throw new InputError(
        'image-tag',
        'image and image-tag cannot both be set: image replaces the whole reference, image-tag keeps the repository and changes only the tag; keep one.',
      );
    }
    if (/^@?sha256:/i.test(imageTag)) {
      throw new InputError(
        'image-tag',
        'image-tag takes a tag, not a digest; to deploy by digest set image to the full reference, e.g. myregistry.azurecr.io/my-app@sha256:<64 hex>.',
      );
    }
    if (imageTag.includes('/') || imageTag.includes(':') || imageTag.includes('@')) {
      throw new InputError(
        'image-tag',
        `image-tag ${q(imageTag)} looks like a full image reference; image-tag takes only the tag (e.g. 1.0 or \${{ github.sha }}), so set image instead.`,
      );
    }
    if (!TAG_RE.test(imageTag)) {
      throw new InputError(
        'image-tag',
        `image-tag ${q(imageTag)} is not a valid tag: use 1-128 letters, digits, '_', '.' and '-', not starting with '.' or '-', e.g. 1.0 or \${{ github.sha }}.`,
      );
    }
  }
  const containerName = get('container-name') || undefined;
  if (containerName !== undefined && !CONTAINER_NAME_RE.test(containerName)) {
    throw new InputError(
      'container-name',
      `container-name ${q(containerName)} is not a valid container name: use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit, e.g. ${q(jobName)}.`,
    );
  }
  return { imageText, image, imageWarnings, imageTag, containerName };
}

export function readRegistry(get: Get, { image, imageText }: ImageInputs, warnings: string[]): Config['registry'] {
  let server = get('registry-server') || undefined;
  if (server !== undefined) {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(server);
    if (scheme) {
      const host = server.slice(scheme[0].length).replace(/\/.*$/, '');
      throw new InputError(
        'registry-server',
        `registry-server is a host name without ${q(scheme[0])}: write ${q(host)}.`,
      );
    }
    if (server.includes('/')) {
      throw new InputError(
        'registry-server',
        `registry-server is only the registry host, without a path: write ${q(server.replace(/\/.*$/, ''))} and put the repository in image.`,
      );
    }
    if (!HOST_RE.test(server)) {
      throw new InputError(
        'registry-server',
        `registry-server ${q(server)} is not a host[:port] such as myregistry.azurecr.io.`,
      );
    }
    server = server.toLowerCase();
  }
  const registryIdentityText = get('registry-identity');
  let registryIdentity: string | undefined;
  if (registryIdentityText !== '') {
    registryIdentity = identityRef(registryIdentityText);
    if (!registryIdentity) {
      throw new InputError('registry-identity', identityProblem('registry-identity', registryIdentityText, true));
    }
  }
  const username = get('registry-username') || undefined;
  const password = get('registry-password') || undefined;
  if (username !== undefined && password === undefined) {
    throw new InputError(
      'registry-password',
      'registry-username is set but registry-password is not: set both (e.g. registry-password: ${{ secrets.REGISTRY_PASSWORD }}), or use registry-identity instead.',
    );
  }
  if (password !== undefined && username === undefined) {
    throw new InputError(
      'registry-username',
      'registry-password is set but registry-username is not: set both, or use registry-identity instead.',
    );
  }
  if (registryIdentity !== undefined && username !== undefined) {
    throw new InputError(
      'registry-identity',
      'registry-identity cannot be combined with registry-username and registry-password: the job pulls either with an identity or with credentials; keep one.',
    );
  }
  if (server !== undefined && image) {
    const host = image.registry?.toLowerCase();
    if (host === undefined) {
      if (!DOCKER_HUB_HOSTS.has(server)) {
        throw new InputError(
          'image',
          `image ${q(imageText)} has no registry host, so it would be pulled from Docker Hub, not from registry-server ${server}: write image: ${server}/${imageText}.`,
        );
      }
    } else if (host !== server) {
      if (isAcrHost(host) || isAcrHost(server)) {
        throw new InputError(
          'registry-server',
          `registry-server ${server} differs from the registry in image (${host}); the job would pull ${host} with settings meant for ${server}: make them the same.`,
        );
      }
      warnings.push(
        `registry-server ${server} differs from the registry in image (${host}); the pull credentials are set for ${server} only.`,
      );
    }
  }
  return { server, identity: registryIdentity, username, password };
}

export function readBuild(
  get: Get,
  { image, imageWarnings }: ImageInputs,
  jobName: string,
  warnings: string[],
): Config['build'] {
  const buildContext = get('build-context') || undefined;
  const dockerfile = get('dockerfile') || undefined;
  const buildArgsText = get('build-args');
  let build: Config['build'];
  if (buildContext === undefined) {
    if (dockerfile !== undefined) {
      throw new InputError(
        'dockerfile',
        'dockerfile is set without build-context: set build-context (e.g. build-context: .) to build an image.',
      );
    }
    if (buildArgsText !== '') {
      throw new InputError(
        'build-args',
        'build-args is set without build-context: set build-context (e.g. build-context: .) to build an image.',
      );
    }
  } else {
    if (!image) {
      throw new InputError(
        'image',
        `build-context is set but image is not: the build needs image as the reference to push to, e.g. image: myregistry.azurecr.io/${jobName}:\${{ github.sha }}.`,
      );
    }
    if (image.digest) {
      throw new InputError(
        'image',
        'image has a digest, but with build-context it is the reference to push to: give a tag instead (e.g. :${{ github.sha }}); the action deploys the built image by digest.',
      );
    }
    build = { context: buildContext, dockerfile, buildArgs: parseBuildArgs(buildArgsText) };
  }
  // With a build, a tag-less image is only the push target (the built image is deployed by digest).
  warnings.push(...imageWarnings.filter((w) => !build || !w.includes("':latest'")));
  return build;
}

export function readTrigger(get: Get): Pick<Config, 'triggerType' | 'cronExpression'> {
  const triggerType = readChoice<TriggerType>(get, 'trigger-type', 'e.g. trigger-type: Schedule.');
  const cronText = get('cron-expression');
  let cronExpression: string | undefined;
  if (cronText !== '') {
    if (triggerType === 'Manual' || triggerType === 'Event') {
      throw new InputError(
        'cron-expression',
        `cron-expression is set but trigger-type is ${triggerType}, which does not run on a schedule: set trigger-type: Schedule, or remove cron-expression.`,
      );
    }
    try {
      cronExpression = parseCron(cronText).expression;
    } catch (e) {
      if (!(e instanceof CronError)) throw e;
      throw new InputError(
        'cron-expression',
        `cron-expression ${q(cronText)} is not valid: ${e.message}${e.message.endsWith('?') ? '' : '.'}`,
      );
    }
  } else if (triggerType === 'Schedule' && get('job-yaml') === '') {
    // With job-yaml the schedule may come from the file (checked when the file is applied).
    throw new InputError(
      'cron-expression',
      "trigger-type Schedule needs cron-expression (five fields, UTC), e.g. cron-expression: '0 6 * * *' for every day at 06:00 UTC.",
    );
  }
  return { triggerType, cronExpression };
}

export function readResources(
  get: Get,
  warnings: string[],
  notices: string[],
): Pick<Config, 'replicaTimeout' | 'replicaRetryLimit' | 'parallelism' | 'replicaCompletionCount' | 'cpu' | 'memory'> {
  const replicaTimeoutText = get('replica-timeout');
  let replicaTimeout: number | undefined;
  if (replicaTimeoutText !== '') {
    let seconds: number;
    try {
      seconds = parseDuration(replicaTimeoutText, 'replica-timeout');
    } catch {
      throw new InputError(
        'replica-timeout',
        `replica-timeout must be whole seconds of at least 1, or a duration such as 5m, not ${q(replicaTimeoutText)}; e.g. 300.`,
      );
    }
    if (seconds < 1 || seconds > INT32_MAX) {
      throw new InputError(
        'replica-timeout',
        `replica-timeout must be at least 1 second, not ${q(replicaTimeoutText)}; e.g. 300.`,
      );
    }
    replicaTimeout = seconds;
    if (seconds >= LONG_REPLICA_TIMEOUT_SEC) {
      notices.push(
        `replica-timeout is ${formatDuration(seconds)}: a replica that hangs is billed until then. Set it a little above what a run needs (e.g. 1800 for a 20-minute run).`,
      );
    }
  }
  const replicaRetryLimit = parseWholeNumber(
    'replica-retry-limit',
    get('replica-retry-limit'),
    0,
    '0 (no retries) or 1',
  );
  const parallelism = parseWholeNumber('parallelism', get('parallelism'), 1, '1');
  const replicaCompletionCount = parseWholeNumber('replica-completion-count', get('replica-completion-count'), 1, '1');
  const cpu = parseCpu(get('cpu'));
  const memory = parseMemory(get('memory'));
  if (cpu !== undefined && memory !== undefined) {
    const gi = Number(memory.slice(0, -2));
    if (Math.abs(gi - 2 * cpu) > 1e-9) {
      warnings.push(
        `cpu ${formatNumber(cpu)} with memory ${memory} works only on a dedicated workload profile: the Consumption profile needs 2Gi per vCPU (e.g. cpu 0.5 with memory 1Gi).`,
      );
    }
  } else if (cpu !== undefined && cpu !== 0.5) {
    warnings.push(
      `cpu is ${formatNumber(cpu)} but memory is not set; the Consumption profile needs 2Gi per vCPU, so also set memory: ${formatNumber(cpu * 2)}Gi.`,
    );
  } else if (memory !== undefined && memory !== '1Gi') {
    warnings.push(
      `memory is ${memory} but cpu is not set; the Consumption profile needs 2Gi per vCPU, so also set cpu: ${formatNumber(Number(memory.slice(0, -2)) / 2)}.`,
    );
  }
  if (cpu !== undefined && (cpu < 0.25 || cpu > 4 || Math.abs(cpu * 4 - Math.round(cpu * 4)) > 1e-9)) {
    warnings.push(
      `cpu ${formatNumber(cpu)} is not offered on the Consumption profile (0.25 to 4 vCPU in steps of 0.25); it needs a dedicated workload profile.`,
    );
  }
  return { replicaTimeout, replicaRetryLimit, parallelism, replicaCompletionCount, cpu, memory };
}

export function readContainer(
  get: Get,
  warnings: string[],
): Pick<Config, 'command' | 'args' | 'envVars' | 'envVarsUpdate' | 'secrets' | 'identity' | 'tags' | 'jobYaml'> {
  const command = parseList('command', get('command'));
  const firstCommand = command?.[0];
  if (command && command.length === 1 && firstCommand !== undefined && /\s/.test(firstCommand)) {
    warnings.push(
      `command is the single item ${q(firstCommand)}, which runs a program with that whole name (spaces included); put the program and each argument on its own line.`,
    );
  }
  const args = parseList('args', get('args'));
  const envVars = parseEnvVars('env-vars', get('env-vars'), warnings);
  const envVarsUpdate =
    readChoice<'merge' | 'replace'>(
      get,
      'env-vars-update',
      'merge sets the given variables and keeps the rest, replace keeps exactly the given ones.',
    ) ?? 'merge';
  if (envVarsUpdate === 'replace' && !envVars) {
    warnings.push("env-vars-update is replace but env-vars is empty, so the job's variables are left as they are.");
  }
  const secrets = parseSecrets(get('secrets'));
  const identity = parseIdentity(get('identity'));
  const tags = parseTags(get('tags'));
  const jobYaml = get('job-yaml') || undefined;
  return { command, args, envVars, envVarsUpdate, secrets, identity, tags, jobYaml };
}
