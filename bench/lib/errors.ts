// An error meant for the person running the CLI: printed as its message alone (no stack), exit 1.
export class UserError extends Error {
  override name = 'UserError';
}

/** One line for an unexpected error: `Name: message` (stack traces only with --debug). */
export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
