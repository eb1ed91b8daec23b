// PromQL errors, each mapping to one Prometheus API error type: a ParseError is "bad_data" (400),
// an EvalError "execution" (422), a TimeoutError "timeout" (503).

/** A syntax or type error, rendered like Prometheus: `1:5: parse error: <message>`. */
export class ParseError extends Error {
  readonly pos: number;
  readonly detail: string;
  constructor(detail: string, pos: number, query: string) {
    super(`${position(query, pos)} parse error: ${detail}`);
    this.name = 'ParseError';
    this.pos = pos;
    this.detail = detail;
  }
}

/** "line:column:" (1-based) of a character offset. */
function position(query: string, pos: number): string {
  if (pos < 0 || pos > query.length) return 'invalid position:';
  let line = 1;
  let lastBreak = -1;
  for (let i = 0; i < pos; i++) {
    if (query[i] === '\n') {
      line++;
      lastBreak = i;
    }
  }
  return `${line}:${pos - lastBreak}:`;
}

/** A failure while evaluating a valid query (duplicate label sets, many-to-many matches, ...). */
export class EvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvalError';
  }
}

export class TimeoutError extends Error {
  constructor(message = 'query timed out in expression evaluation') {
    super(message);
    this.name = 'TimeoutError';
  }
}
