/**
 * Azure's error shapes, each kept in the one error line: ARM's error body with details, RFC 7807 problem details
 * (Container Apps' validation errors), plain text, an HTML page from a gateway, an empty body.
 */
import { describe, expect, it } from 'vitest';
import { describeAzureError, parseErrorBody, roleFor } from '../../src/common/errors.ts';

const JOB = "job 'alice-weather-job' in resource group 'rg-data'";

describe('parseErrorBody', () => {
  it('keeps the code, the message and the details of an ARM error body', () => {
    const body = JSON.stringify({
      error: {
        code: 'InvalidRequestContent',
        message: 'The request content was invalid and could not be deserialized.',
        details: [{ code: 'InvalidValue', message: "Could not convert 'x' to integer.", target: 'replicaTimeout' }],
      },
    });
    expect(parseErrorBody(400, 'application/json', body)).toEqual({
      code: 'InvalidRequestContent',
      message:
        "The request content was invalid and could not be deserialized (InvalidValue: Could not convert 'x' to integer. (replicaTimeout))",
    });
  });

  it('reads RFC 7807 problem details (title, errors and traceId) instead of "Unexpected status code: 400"', () => {
    const body = JSON.stringify({
      type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
      title: 'One or more validation errors occurred.',
      status: 400,
      traceId: '00-4b1c3f0e8a3a4e9f-01',
      errors: { $: ["Unknown properties 'replicaTimout' are not supported."] },
    });
    const parsed = parseErrorBody(400, 'application/problem+json; charset=utf-8', body);
    expect(parsed.code).toBe('BadRequest');
    expect(parsed.message).toBe(
      "One or more validation errors occurred. Unknown properties 'replicaTimout' are not supported. (traceId 00-4b1c3f0e8a3a4e9f-01)",
    );
  });

  it('strips an HTML page from a gateway to its title and a short text', () => {
    const html = `<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body{color:red}</style>
      <script>var x = "<b>";</script></head><body><h1>502 Bad Gateway</h1><p>The upstream   server\nfailed.</p></body></html>`;
    const parsed = parseErrorBody(502, 'text/html', html);
    expect(parsed.code).toBe('BadGateway');
    expect(parsed.message).toBe('HTTP 502 from a gateway: 502 Bad Gateway The upstream server failed.');
    expect(parsed.message).not.toMatch(/[<>\n]|color|var x/);
  });

  it('keeps plain text on one line and says the status of an empty body', () => {
    expect(parseErrorBody(503, 'text/plain', 'Service\r\nUnavailable\n::error::x')).toEqual({
      code: 'ServiceUnavailable',
      message: 'Service Unavailable ::error::x',
    });
    expect(parseErrorBody(504, undefined, '')).toEqual({
      code: 'GatewayTimeout',
      message: 'Azure answered HTTP 504 with an empty body',
    });
  });

  it('stays linear on markup that never closes a tag', () => {
    const parsed = parseErrorBody(502, 'text/html', `<html>${'<'.repeat(200_000)}`);
    expect(parsed.message.length).toBeLessThan(300);
  });
});

describe('describeAzureError', () => {
  it('names the role that grants the action Azure refused', () => {
    const error = Object.assign(
      new Error(
        "The client 'c' with object id 'o' does not have authorization to perform action 'Microsoft.App/jobs/start/action' over scope '/subscriptions/s/resourcegroups/rg-data/providers/Microsoft.App/jobs/alice-weather-job' or the scope is invalid.",
      ),
      { statusCode: 403, code: 'AuthorizationFailed' },
    );
    const message = describeAzureError(error, 'start', JOB).message;
    expect(message).toMatch(/^Azure refused to start job 'alice-weather-job' .*\(403 AuthorizationFailed\)/);
    expect(message).toMatch(
      /Fix: give the identity a role that allows 'Microsoft.App\/jobs\/start\/action': 'Container Apps Jobs Operator'/,
    );
  });

  it('maps actions to roles', () => {
    expect(roleFor('Microsoft.App/jobs/write')).toMatch(/^Contributor on the resource group/);
    expect(roleFor('Microsoft.ContainerRegistry/registries/read')).toMatch(/^Reader/);
    expect(roleFor('Microsoft.Storage/storageAccounts/read')).toBeUndefined();
  });
});
