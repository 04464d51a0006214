/**
 * ARM error answers. Messages are the real service's where a public source shows them (see
 * standin/README.md for the sources and for the ones that are guesses).
 */
import { dotnetUtc } from './util.ts';

export interface ArmErrorBody {
  code: string;
  message: string;
  target?: string | null;
  details?: { code?: string; message?: string; target?: string }[] | null;
  [k: string]: unknown;
}

/** Thrown by handlers; the router turns it into `{ "error": { code, message, ... } }` with `status`. */
export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  /** Full body override (for errors whose real body is not the ARM shape). */
  readonly rawBody: unknown;
  readonly extra: Record<string, unknown>;

  constructor(
    status: number,
    code: string,
    message: string,
    opts: { headers?: Record<string, string>; rawBody?: unknown; extra?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = opts.headers ?? {};
    this.rawBody = opts.rawBody;
    this.extra = opts.extra ?? {};
  }

  body(): unknown {
    if (this.rawBody !== undefined) return this.rawBody;
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}

export const errors = {
  missingAuthorization: (): ArmError =>
    new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing."),
  invalidAuthorizationFormat: (): ArmError =>
    new ArmError(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is provided in an invalid format.",
    ),
  invalidToken: (): ArmError => new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.'),
  expiredToken: (expiredAtMs: number, nowMs: number): ArmError =>
    new ArmError(
      401,
      'ExpiredAuthenticationToken',
      `The access token expiry UTC time '${dotnetUtc(expiredAtMs)}' is earlier than current UTC time '${dotnetUtc(nowMs)}'.`,
    ),
  wrongAudience: (aud: string, allowed: string[]): ArmError =>
    new ArmError(
      401,
      'InvalidAuthenticationTokenAudience',
      `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences ${allowed
        .map((a) => `'${a}'`)
        .join(',')}.`,
    ),
  wrongTenant: (tokenTenant: string, tenant: string): ArmError =>
    new ArmError(
      401,
      'InvalidAuthenticationTokenTenant',
      `The access token is from the wrong issuer 'https://sts.windows.net/${tokenTenant}/'. It must match the tenant 'https://sts.windows.net/${tenant}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${tenant}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.`,
    ),
  authorizationFailed: (clientId: string, objectId: string, action: string, scope: string): ArmError =>
    new ArmError(
      403,
      'AuthorizationFailed',
      `The client '${clientId}' with object id '${objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    ),
  linkedAuthorizationFailed: (
    clientId: string,
    objectId: string,
    action: string,
    scope: string,
    linkedAction: string,
    linkedScope: string,
  ): ArmError =>
    new ArmError(
      403,
      'LinkedAuthorizationFailed',
      `The client '${clientId}' with object id '${objectId}' has permission to perform action '${action}' on scope '${scope}'; however, it does not have permission to perform action(s) '${linkedAction}' on the linked scope(s) '${linkedScope}' (respectively) or the linked scope(s) are invalid.`,
    ),
  subscriptionNotFound: (sub: string): ArmError =>
    new ArmError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`),
  resourceGroupNotFound: (rg: string): ArmError =>
    new ArmError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`),
  resourceNotFound: (type: string, name: string, rg: string): ArmError =>
    new ArmError(
      404,
      'ResourceNotFound',
      `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    ),
  missingApiVersion: (): ArmError =>
    new ArmError(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    ),
  invalidApiVersion: (v: string, supported: string[]): ArmError =>
    new ArmError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${v}' is invalid. The supported versions are '${[...supported].reverse().join(',')}'.`,
    ),
  noRegisteredProvider: (
    location: string,
    v: string,
    type: string,
    supported: string[],
    locations: string[],
  ): ArmError =>
    new ArmError(
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location '${location}' and API version '${v}' for type '${type}'. The supported api-versions are '${supported.join(
        ', ',
      )}'. The supported locations are '${locations.join(', ')}'.`,
    ),
  invalidResourceType: (type: string, namespace: string, v: string): ArmError =>
    new ArmError(
      400,
      'InvalidResourceType',
      `The resource type '${type}' could not be found in the namespace '${namespace}' for api version '${v}'.`,
    ),
  notFoundRoute: (path: string): ArmError =>
    new ArmError(404, 'NotFound', `No HTTP resource was found that matches the request URI '${path}'.`),
  /** hashicorp/terraform-provider-azurerm#31796 (a job PATCH during its create). */
  conflictInProgress: (name: string, operationId = ''): ArmError =>
    new ArmError(
      409,
      'ContainerAppsJobOperationInProgress',
      `Cannot modify a container apps job '${name}' because there is an active provisioning operation in progress. OperationId: '${operationId}'.`,
    ),
  /** Guess: no public source shows what a start of a suspended job answers. */
  jobSuspended: (name: string): ArmError =>
    new ArmError(
      400,
      'ContainerAppsJobSuspended',
      `Cannot start an execution of container apps job '${name}' because the job is suspended. Resume the job first.`,
    ),
  throttled: (kind: string, sub: string, actor: string, retryAfterSec: number): ArmError =>
    new ArmError(
      429,
      'SubscriptionRequestsThrottled',
      `Number of '${kind}' requests for subscription '${sub}' actor '${actor}' exceeded. Please try again after '${retryAfterSec}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
      { headers: { 'retry-after': String(retryAfterSec) } },
    ),
  filterInvalid: (): ArmError =>
    new ArmError(400, 'InvalidParameterValue', 'The parameter filter has an invalid value.'),
  filterInternalError: (correlationId: string): ArmError =>
    new ArmError(500, 'InternalServerError', `Internal server error occurred. correlation ID: ${correlationId}`, {
      extra: { details: null, target: null, additionalInfo: null },
    }),
  adminUserDisabled: (registryId: string): ArmError =>
    new ArmError(
      400,
      'UnAuthorizedForCredentialOperations',
      `Cannot perform credential operations for ${registryId} as admin user is disabled. Kindly enable admin user as per docs: https://docs.microsoft.com/en-us/azure/container-registry/container-registry-authentication#admin-account`,
    ),
  invalidJson: (detail: string): ArmError =>
    new ArmError(
      400,
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: '${detail}'.`,
    ),
};
