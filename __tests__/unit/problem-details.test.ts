import { describe, expect, it } from 'vitest';
import { problemDetailsMessage } from '../../src/azure/arm.ts';

describe('problemDetailsMessage (RFC 7807 answers of Azure)', () => {
  it('joins the title and the validation errors, naming fields other than the whole body ($)', () => {
    expect(
      problemDetailsMessage({
        type: 'https://tools.ietf.org/html/rfc7231#section-6.5.1',
        title: 'One or more validation errors occurred.',
        status: 400,
        traceId: '00-f95aa880601a91981198b9bbc550bc1f-627c64d7eb718b9f-01',
        errors: {
          $: ['Unknown properties eventTriggerConfig are not supported'],
          'properties.template': ['Required.'],
        },
      }),
    ).toBe(
      'One or more validation errors occurred. Unknown properties eventTriggerConfig are not supported; properties.template: Required.',
    );
  });

  it('leaves ARM error bodies and anything else to the SDK', () => {
    expect(problemDetailsMessage({ error: { code: 'X', message: 'y' }, title: 't' })).toBeUndefined();
    expect(problemDetailsMessage({ message: 'no title' })).toBeUndefined();
    expect(problemDetailsMessage('text')).toBeUndefined();
    expect(problemDetailsMessage(null)).toBeUndefined();
  });
});
