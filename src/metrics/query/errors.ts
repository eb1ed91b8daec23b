// Typed errors of the query layer. The engine and the HTTP layer map `code` to a response
// (400 for every code here: each one is a problem with the query the caller sent).

export type QueryErrorCode =
  /** A label matcher is malformed: unknown op, non-string value, or a regex that does not compile. */
  | 'BAD_MATCHER'
  /** Range/step/agg parameters are invalid (non-finite, step ≤ 0, from > to, unknown agg). */
  | 'BAD_QUERY'
  /** A rollup was asked for a step or start that is not a whole number of its buckets. */
  | 'UNALIGNED';

export class QueryError extends Error {
  readonly code: QueryErrorCode;
  constructor(code: QueryErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'QueryError';
    this.code = code;
  }
}
