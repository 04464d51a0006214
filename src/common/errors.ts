/**
 * Errors the action reports to the user. Every message is one sentence (or two) that says what went
 * wrong, which input or Azure resource, and the fix; `main` prints it as the single `::error::` line.
 */
export class ActionError extends Error {
  override name = 'ActionError';
}

/** A bad input, found before any call to Azure. */
export class InputError extends ActionError {
  override name = 'InputError';
  readonly input: string;
  constructor(input: string, message: string) {
    super(message);
    this.input = input;
  }
}

/** The HTTP status of an Azure SDK error (RestError), if it has one. */
export function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null ? (error as { statusCode?: number }).statusCode : undefined;
}

/** The Azure error code of an Azure SDK error (RestError), if it has one. */
export function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { code?: string }).code : undefined;
}

interface AzureErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
  name?: string;
}

const FIXES: Record<string, (what: string) => string> = {
  AuthorizationFailed: (what) =>
    `give the identity a role that allows it on ${what} (Contributor on the resource group, or 'Container Apps Jobs Operator' to only start and stop executions)`,
  ResourceGroupNotFound: () => `check inputs 'resource-group' and 'subscription-id'`,
  SubscriptionNotFound: () => `check input 'subscription-id' (az account show --query id)`,
  InvalidAuthenticationTokenTenant: () => `check that 'tenant-id' is the tenant of subscription-id`,
  NoRegisteredProviderFound: () => `set input 'api-version' to one of the supported versions listed above`,
  InvalidApiVersionParameter: () => `set input 'api-version' to one of the supported versions listed above`,
};

/** Keeps Azure's code and message, says which resource and operation, and adds the fix when one is known. */
export function describeAzureError(error: unknown, operation: string, resource: string): ActionError {
  if (error instanceof ActionError) return error;
  const e = (error ?? {}) as AzureErrorLike;
  const message = (e.message ?? String(error)).trim().replace(/\s+/g, ' ');
  if (e.statusCode === undefined && !e.code && /^Operation was canceled/i.test(message)) {
    // The SDK's poller reports a Canceled long-running operation without Azure's error body.
    return new ActionError(
      `Azure canceled the operation to ${operation} ${resource} (provisioning state Canceled), usually because another change to it replaced this one: rerun the step, and check the job's activity log if it happens again.`,
    );
  }
  if (e.statusCode === undefined && !e.code) {
    return new ActionError(
      `Could not ${operation} ${resource}: ${message}. Check the network path to Azure and rerun the job.`,
    );
  }
  const code = e.code ?? 'Error';
  const fix = FIXES[code]?.(resource);
  const status = e.statusCode !== undefined ? `${e.statusCode} ` : '';
  return new ActionError(
    `Azure refused to ${operation} ${resource} (${status}${code}): ${message.replace(/\.$/, '')}.${fix ? ` Fix: ${fix}.` : ''}`,
  );
}
