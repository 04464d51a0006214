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
