/**
 * The socket could not connect. `refused` is true when the server rejected the handshake
 * (missing, bad or expired token): socket.io does not retry that on its own.
 */
export class RealtimeConnectError extends Error {
  constructor(
    message: string,
    readonly refused: boolean,
    /** What the server attached to the refusal (`err.data`), if anything. */
    readonly data: unknown,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RealtimeConnectError';
  }
}

/** An emit with ack failed: the server answered `{ok:false}`, or no answer came in time. */
export class RealtimeAckError extends Error {
  constructor(
    readonly event: string,
    readonly reason: string,
    readonly timedOut: boolean,
    /** The HTTP-equivalent status the server put in its ack, when it did. */
    readonly statusCode?: number,
  ) {
    super(`${event}: ${reason}`);
    this.name = 'RealtimeAckError';
  }
}
