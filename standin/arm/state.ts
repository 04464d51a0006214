/** State records of the ARM stand-in. */
import type { ExecutionRecord, ExecutionScript } from './executions.ts';
import type { ScheduledRun } from './triggers.ts';
import type { JsonObject } from './util.ts';

export interface ResourceGroupRecord {
  name: string;
  id: string;
  location: string;
  tags?: Record<string, string>;
}

export interface EnvironmentRecord {
  name: string;
  resourceGroup: string;
  id: string;
  location: string;
  /** Log Analytics workspace customer id (appLogsConfiguration), if any. */
  logAnalyticsCustomerId?: string;
  /**
   * Base URL of the log-stream host for the jobs of this environment (their `eventStreamEndpoint` is
   * `${eventStreamHost}/subscriptions/.../resourceGroups/.../containerApps/JOB/eventstream`).
   * Default `https://{location}.azurecontainerapps.dev` as in the recordings.
   */
  eventStreamHost: string;
  /** Workload-profiles environment (jobs get workloadProfileName "Consumption"); default true. */
  workloadProfiles: boolean;
  defaultDomain: string;
  staticIp: string;
  createdAt: number;
}

export interface RegistryRecord {
  name: string;
  resourceGroup: string;
  id: string;
  location: string;
  loginServer: string;
  adminUserEnabled: boolean;
  username: string;
  passwords: [string, string];
  sku: 'Basic' | 'Standard' | 'Premium';
  createdAt: number;
}

export interface SystemData {
  createdBy: string;
  createdByType: string;
  createdAt: string;
  lastModifiedBy: string;
  lastModifiedByType: string;
  lastModifiedAt: string;
}

export type ProvisioningState = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled' | 'Deleting';

export interface JobRecord {
  name: string;
  resourceGroup: string;
  id: string;
  /**
   * The job as the service keeps it (a normalized Job body: location, tags, identity, properties with
   * environmentId, workloadProfileName, configuration — secret values included — and template).
   */
  spec: JsonObject;
  provisioningState: ProvisioningState;
  systemData: SystemData;
  /** Generated ids of the job's managed identities. */
  identityIds: {
    principalId: string;
    tenantId: string;
    user: Record<string, { clientId: string; principalId: string }>;
  };
  pendingOp?: Operation;
  /** `properties.runningState` (shown from api-version 2026-07-01): default Ready; a Suspended job refuses starts. */
  runningState?: 'Ready' | 'Progressing' | 'Suspended';
  /** The operation id this job's Location URLs carry (the service reuses one per job, as recorded). */
  locationOpId?: string;
  executions: ExecutionRecord[];
  /** Scripts for the next executions, consumed in order. */
  scripts: ExecutionScript[];
  /** Schedule jobs: the due runs up to this time (stand-in clock) have been started (or missed). */
  scheduledThrough?: number;
  /** Schedule jobs: what the next due runs do, consumed in order (then the default script). */
  scheduledRuns?: ScheduledRun[];
}

export type OperationKind =
  'job-put' | 'job-patch' | 'job-delete' | 'job-suspend' | 'job-resume' | 'start' | 'stop' | 'stop-multiple';
export type OperationOutcome = 'Succeeded' | 'Failed' | 'Canceled';

export interface Operation {
  /** Changes once when the job's Location operation id is reused (see locationHeaders). */
  id: string;
  kind: OperationKind;
  /** Normalized location in the operation URLs (eastus). */
  location: string;
  resourceId: string;
  startedAt: number;
  /** Polls (of the operation URL, or GETs of the job) answered so far. */
  observed: number;
  inProgressPolls: number;
  durationMs: number;
  outcome: OperationOutcome;
  error?: { code: string; message: string };
  /** HTTP status of a failed operation's Location poll (default 400). */
  errorStatus: number;
  done: boolean;
  endedAt?: number;
  /** Applied once when the operation completes. */
  onDone?: (op: Operation) => void;
  /** Final answer of a Location poll once Succeeded. */
  result?: (apiVersion: string) => { status: number; body?: unknown };
}

/** A Log Analytics workspace (Microsoft.OperationalInsights/workspaces): where environments send their logs. */
export interface WorkspaceRecord {
  name: string;
  resourceGroup: string;
  id: string;
  location: string;
  /** The workspace ID that queries and environments (appLogsConfiguration) name. */
  customerId: string;
  createdAt: number;
}

/** A token from POST .../jobs/{job}/getAuthToken, good for that job's log streams until it expires. */
export interface LogStreamToken {
  jobId: string;
  expiresAt: number;
}
