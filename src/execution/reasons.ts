/**
 * Azure's reason codes for an execution or a container, in one plain sentence each (pure). The codes are those
 * of the execution's `reason` (Kubernetes job conditions), of `detailedStatus` container states and of the
 * platform's system events, as seen in the API spec's examples, public issues and the stand-in's model
 * (see /standin/README.md, "Sources and guesses").
 */
import type { Job } from '@azure/arm-appcontainers';

export interface ReasonContext {
  job?: Job;
  /** The memory of the container concerned (e.g. "1Gi"). */
  memory?: string;
}

type Explain = (c: ReasonContext) => string;

const PULL: Explain = () =>
  'the platform could not pull the container image and kept retrying, so the container never started';

const EXPLAINED: Record<string, Explain> = {
  backofflimitexceeded: ({ job }) => {
    const retries = job?.configuration?.replicaRetryLimit ?? 0;
    return retries > 0
      ? `the container exited with an error on every try (${retries + 1} tries: replica-retry-limit ${retries})`
      : 'the container exited with an error and the job allows no retries (replica-retry-limit 0)';
  },
  deadlineexceeded: ({ job }) => {
    const n = job?.configuration?.replicaTimeout;
    return `the replica ran longer than replica-timeout${n ? ` ${n} s` : ''} and was stopped: raise replica-timeout or find what hangs`;
  },
  oomkilled: ({ memory }) =>
    `the container used more memory than its limit${memory ? ` (memory ${memory})` : ''} and was killed: raise memory (with cpu: 0.25 vCPU per 0.5Gi) or make the program use less`,
  imagepullfailure: PULL,
  imagepullbackoff: PULL,
  errimagepull: PULL,
  invalidimagename: () => 'the image reference is not a valid image name: check input image (or image-tag)',
  processexited: () => "the container's program ended by itself; its exit code says how",
  error: () => "the container's program exited with a non-zero code",
  containercannotrun: () =>
    "the container could not start its program: check command and args (or the image's entrypoint)",
  starterror: () => "the container could not start its program: check command and args (or the image's entrypoint)",
  createcontainerconfigerror: () =>
    "the container's settings could not be applied, often an env-vars secretref: to a secret the job does not have",
  stopped: () => 'the execution was stopped (by the action, a person or az containerapp job stop) before it ended',
  evicted: () => 'the platform evicted the replica (the node ran short of resources): run it again',
};

/** One sentence for a reason code, or undefined for codes without one (and success codes). */
export function explainReason(reason: string | undefined, context: ReasonContext = {}): string | undefined {
  if (!reason) return undefined;
  return EXPLAINED[reason.trim().toLowerCase()]?.(context);
}

/** "Azure's reason X: <what it means>." or '' when there is nothing to say. */
export function reasonSentence(reason: string | undefined, context: ReasonContext = {}): string {
  const plain = explainReason(reason, context);
  return plain ? `Azure's reason ${reason}: ${plain}.` : '';
}
