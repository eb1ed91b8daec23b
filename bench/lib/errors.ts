// An error meant for the person running the CLI: printed as its message alone (no stack), exit 1.
export class UserError extends Error {
  override name = 'UserError';
}
