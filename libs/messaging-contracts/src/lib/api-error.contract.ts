/**
 * Every error answer: Nest's `{statusCode, message, error}`, never a stack trace, plus a stable
 * machine-readable `code` and, for bad input, the `field` at fault (`body.content`, `query.limit`).
 */
export interface ApiErrorBody {
  statusCode: number;
  /** One sentence; several validation failures are joined with `; `. */
  message: string;
  /** The status's reason phrase (`Bad Request`, `Not Found`, ...). */
  error: string;
  /** `bad_request`, `validation_failed`, `not_found`, `too_many_requests`, `unavailable`, ... */
  code: string;
  field?: string;
}
