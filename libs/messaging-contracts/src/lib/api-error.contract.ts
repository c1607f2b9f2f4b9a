/** Every error answer (Nest's shape); `message` is a list for validation failures. Never a stack trace. */
export interface ApiErrorBody {
  statusCode: number;
  message: string | string[];
  error: string;
}
