/**
 * Long-running operations: Azure-AsyncOperation and Location URLs (signed), their polls and outcomes.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Arm } from '../arm.ts';
import { ArmError } from '../errors.ts';
import type { JobRecord, Operation, OperationKind } from '../state.ts';
import { type JsonObject, armTimestamp, dotnetTicks, guid, normalizeLocation } from '../util.ts';
import { type Call, type Reply, type Route, S, r } from './route.ts';

/** The routes of this module, in matching order. */
export function operationRoutes(arm: Arm): Route[] {
  return [
    r(
      'GET',
      `${S}/providers/Microsoft.App/locations/{loc}/containerappsjobOperationStatuses/{op}`,
      'Microsoft.App',
      'locations/containerappsjobOperationStatuses',
      undefined,
      (c) => operationStatus(arm, c),
    ),
    r(
      'GET',
      `${S}/providers/Microsoft.App/locations/{loc}/containerappsjobOperationResults/{op}`,
      'Microsoft.App',
      'locations/containerappsjobOperationResults',
      undefined,
      (c) => operationResult(arm, c),
    ),
  ];
}

export function startOperation(
  arm: Arm,
  kind: OperationKind,
  resourceId: string,
  location: string,
  onDone?: (op: Operation) => void,
): Operation {
  const qi = arm.outcomeQueue.findIndex((q) => q.kind === undefined || q.kind === kind);
  const queued = qi >= 0 ? arm.outcomeQueue.splice(qi, 1)[0] : undefined;
  const outcome = queued?.outcome ?? arm.lro.outcome;
  const error =
    queued?.error ??
    arm.lro.error ??
    (outcome === 'Failed'
      ? { code: 'JobOperationFailed', message: 'The operation on the Container Apps job failed.' }
      : outcome === 'Canceled'
        ? { code: 'OperationCanceled', message: 'The operation was canceled.' }
        : undefined);
  const op: Operation = {
    id: guid(),
    kind,
    location: normalizeLocation(location) || 'eastus',
    resourceId,
    startedAt: arm.clock(),
    observed: 0,
    inProgressPolls: Math.max(0, arm.lro.inProgressPolls),
    durationMs: Math.max(0, arm.lro.durationMs + Math.floor(Math.random() * Math.max(0, arm.lro.durationJitterMs))),
    outcome,
    ...(outcome !== 'Succeeded' && error ? { error } : {}),
    errorStatus: 400,
    done: false,
    ...(onDone ? { onDone } : {}),
  };
  arm.operations.set(op.id, op);
  return op;
}

/** One observation of an operation: completes it once enough polls and time have passed. */
export function observe(arm: Arm, op: Operation): void {
  if (!op.done && op.observed >= op.inProgressPolls && arm.clock() - op.startedAt >= op.durationMs) {
    op.done = true;
    op.endedAt = arm.clock();
    op.onDone?.(op);
  }
  op.observed++;
}

export function signature(arm: Arm, op: Operation, t: string): string {
  return createHash('sha256').update(arm.signingSecret).update(op.id).update(t).digest('base64url');
}

export function statusUrl(arm: Arm, c: Call, op: Operation): string {
  const t = dotnetTicks(op.startedAt);
  const u = new URL(
    `${c.base}/subscriptions/${arm.subscriptionId}/providers/Microsoft.App/locations/${op.location}/containerappsjobOperationStatuses/${op.id}`,
  );
  u.searchParams.set('api-version', c.apiVersion);
  u.searchParams.set('azureAsyncOperation', 'true');
  u.searchParams.set('t', t);
  u.searchParams.set('c', randomBytes(24).toString('base64'));
  u.searchParams.set('s', signature(arm, op, t));
  u.searchParams.set('h', randomBytes(16).toString('base64url'));
  return u.toString();
}

export function resultUrl(arm: Arm, c: Call, op: Operation): string {
  const u = new URL(
    `${c.base}/subscriptions/${arm.subscriptionId}/providers/Microsoft.App/locations/${op.location}/containerappsjobOperationResults/${op.id}`,
  );
  u.searchParams.set('api-version', c.apiVersion);
  return u.toString();
}

/**
 * `Location` (+ `Retry-After` when set) of a 202. With `job`, the operation takes the id of the job's earlier
 * Location operations: the service reuses one operation id per job in these URLs (R3, field-evidence.md).
 */
export function locationHeaders(arm: Arm, c: Call, op: Operation, job?: JobRecord): Record<string, string> {
  if (job) {
    if (job.locationOpId === undefined) job.locationOpId = op.id;
    else if (job.locationOpId !== op.id) {
      arm.operations.delete(op.id);
      op.id = job.locationOpId;
      arm.operations.set(op.id, op);
    }
  }
  const h: Record<string, string> = { location: resultUrl(arm, c, op) };
  if (arm.lro.retryAfterSec !== null) h['retry-after'] = String(arm.lro.retryAfterSec);
  return h;
}

export function requireOperation(arm: Arm, c: Call): Operation {
  const op = arm.operations.get((c.params.op as string).toLowerCase());
  if (!op) throw new ArmError(404, 'OperationNotFound', `The operation '${c.params.op}' could not be found.`);
  return op;
}

export function operationStatus(arm: Arm, c: Call): Reply {
  const op = requireOperation(arm, c);
  observe(arm, op);
  const id = `/subscriptions/${arm.subscriptionId}/providers/Microsoft.App/locations/${op.location}/containerappsjobOperationStatuses/${op.id}`;
  const body: JsonObject = {
    id,
    name: op.id,
    status: op.done ? op.outcome : 'InProgress',
    startTime: armTimestamp(op.startedAt),
  };
  if (op.done && op.outcome !== 'Succeeded') {
    if (op.endedAt !== undefined) body.endTime = armTimestamp(op.endedAt);
    if (op.error) body.error = { ...op.error };
  }
  const headers: Record<string, string> = {};
  if (!op.done && arm.lro.putRetryAfterSec !== null) headers['retry-after'] = String(arm.lro.putRetryAfterSec);
  return { status: 200, body, headers };
}

export function operationResult(arm: Arm, c: Call): Reply {
  const op = requireOperation(arm, c);
  observe(arm, op);
  if (!op.done) {
    const headers: Record<string, string> = { location: `${c.base}${c.url.pathname}${c.url.search}` };
    if (arm.lro.retryAfterSec !== null) headers['retry-after'] = String(arm.lro.retryAfterSec);
    return { status: 202, headers };
  }
  if (op.outcome !== 'Succeeded') {
    return {
      status: op.errorStatus,
      body: { error: op.error ?? { code: 'OperationFailed', message: 'The operation failed.' } },
    };
  }
  return op.result ? op.result(c.apiVersion) : { status: 200 };
}
