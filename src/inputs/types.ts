/** The typed, immutable result of parsing the inputs (src/inputs/config.ts). */
export type AuthType = 'auto' | 'oidc' | 'azure-cli' | 'managed-identity';
export type CloudName = 'AzureCloud' | 'AzureChinaCloud' | 'AzureUSGovernment';
export type TriggerType = 'Manual' | 'Schedule' | 'Event';

/** Exactly one of value / secretRef. */
export interface EnvVarSpec {
  readonly name: string;
  readonly value?: string;
  readonly secretRef?: string;
}

/** value, or keyVaultUrl + identity ('system' or a user-assigned identity resource ID). */
export interface SecretSpec {
  readonly name: string;
  readonly value?: string;
  readonly keyVaultUrl?: string;
  readonly identity?: string;
}

export interface AuthConfig {
  /** As given ('auto' is resolved at run time by the auth module). */
  readonly type: AuthType;
  readonly clientId?: string;
  readonly tenantId?: string;
  readonly subscriptionId: string;
  readonly audience: string;
  readonly cloud: CloudName;
  /** No trailing slash. */
  readonly armEndpoint: string;
  /** No trailing slash. */
  readonly authorityHost: string;
  /** From the cloud, also when arm-endpoint overrides the endpoint, e.g. https://management.azure.com/.default */
  readonly armScope: string;
  /** https://portal.azure.com, https://portal.azure.cn or https://portal.azure.us */
  readonly portalUrl: string;
  /** Log Analytics query endpoint, no trailing slash (https://api.loganalytics.io for AzureCloud). */
  readonly logAnalyticsEndpoint: string;
  /** From the cloud, also when log-analytics-endpoint overrides the endpoint, e.g. https://api.loganalytics.io/.default */
  readonly logAnalyticsScope: string;
}

export interface Config {
  readonly auth: AuthConfig;
  readonly resourceGroup: string;
  readonly jobName: string;
  /** Name or full resource ID, as given. */
  readonly environment?: string;
  readonly location?: string;
  /** Full image reference. */
  readonly image?: string;
  /** A tag only; a digest belongs in `image`. */
  readonly imageTag?: string;
  readonly containerName?: string;
  /** As given (server lower-cased); deriving the server from an ACR image host is the deploy module's job. */
  readonly registry: {
    readonly server?: string;
    readonly identity?: string;
    readonly username?: string;
    readonly password?: string;
  };
  readonly build?: {
    readonly context: string;
    readonly dockerfile?: string;
    readonly buildArgs: Readonly<Record<string, string>>;
  };
  readonly triggerType?: TriggerType;
  readonly cronExpression?: string;
  readonly replicaTimeout?: number;
  readonly replicaRetryLimit?: number;
  readonly parallelism?: number;
  readonly replicaCompletionCount?: number;
  readonly cpu?: number;
  /** Normalised to Gi, e.g. '1Gi', '0.5Gi'. */
  readonly memory?: string;
  /** [] when given as the JSON array '[]' (reset to the image's default). */
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly envVars?: readonly EnvVarSpec[];
  readonly envVarsUpdate: 'merge' | 'replace';
  readonly secrets?: readonly SecretSpec[];
  readonly identity?: { readonly system: boolean; readonly userAssigned: readonly string[] };
  readonly tags?: Readonly<Record<string, string>>;
  /** Path of the job definition file, as given (read by the deploy module). */
  readonly jobYaml?: string;
  readonly start: boolean;
  readonly wait: boolean;
  /** undefined = derive later from the job's replica timeout and retries. */
  readonly timeoutSec?: number;
  readonly onTimeout: 'stop' | 'leave';
  readonly stopOnCancel: boolean;
  readonly execution: {
    readonly envVars?: readonly EnvVarSpec[];
    readonly command?: readonly string[];
    readonly args?: readonly string[];
    readonly image?: string;
  };
  readonly logs: boolean;
  /** How long to wait after the execution for its logs to reach Log Analytics, when they were not streamed live. */
  readonly logsWaitSec: number;
  readonly dryRun: boolean;
  readonly apiVersion?: string;
  /** check-image: before writing, check that the image exists in its registry (when the identity can read it). */
  readonly checkImage: boolean;
  /** check-since: judge the executions that started in this many seconds before now (exclusive with awaitNextSec). */
  readonly checkSinceSec?: number;
  /** await-next-execution: wait this many seconds for the next execution the job's trigger starts. */
  readonly awaitNextSec?: number;
  /** on-failure: rollback (only with start and wait) puts back what this step changed when its execution fails. */
  readonly onFailure: 'keep' | 'rollback';
  /** true when any input asks to change the job (image, image-tag, build, env-vars, secrets, resources, trigger...). */
  readonly wantsDeploy: boolean;
  /** Every secret value found in the inputs (secrets values, registry-password), to be masked. */
  readonly secretValues: readonly string[];
  /** Things that are allowed but probably not what the user meant; the caller prints each as a warning. */
  readonly warnings: readonly string[];
  /** Advice that is not a problem (e.g. the cost of a long replica-timeout); the caller prints each as a notice. */
  readonly notices: readonly string[];
}

/** An image reference split into its parts. */
export interface ImageReference {
  /** Registry host[:port], when the reference names one (otherwise Docker Hub). */
  readonly registry?: string;
  readonly repository: string;
  readonly tag?: string;
  /** 'sha256:<64 hex>' */
  readonly digest?: string;
}
