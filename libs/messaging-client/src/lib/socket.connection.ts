import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { SocketAckFailure } from '@mq/messaging-contracts';
import { ListenerRegistry, type HandlerMap } from './listener-registry';
import { RealtimeAckError, RealtimeConnectError } from './realtime.errors';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export interface StateChange {
  state: ConnectionState;
  /** socket.io's reason (`transport close`, `io server disconnect`...) or the connect error's message. */
  reason?: string;
  error?: RealtimeConnectError;
}

export interface ReconnectionOptions {
  /** Default: unlimited. */
  attempts?: number;
  /** First delay, doubled (with jitter) up to `maxDelayMs`. Default 1000. */
  delayMs?: number;
  /** Default 5000. */
  maxDelayMs?: number;
}

export interface RealtimeOptions {
  /** Acknowledge every `message:new` from someone else with `message:delivered`. Default false. */
  autoAckDelivered?: boolean;
  /** `false` to never reconnect on a dropped transport. Default: reconnect forever. */
  reconnection?: boolean | ReconnectionOptions;
  /** How long an emit waits for its ack. Default 10 s. */
  ackTimeoutMs?: number;
  /** How long `ready()` waits for the first connection. Default 20 s. */
  connectTimeoutMs?: number;
  /** socket.io's HTTP path on the server. Default `/socket.io`. */
  path?: string;
  /** Default `['websocket', 'polling']`: websocket first, long-polling only if it fails. */
  transports?: Array<'websocket' | 'polling'>;
  /** Whose messages not to auto-acknowledge. Default: the user the client signed in as. */
  userId?: string;
}

/** What a connection needs from the client that opened it (kept narrow to avoid an import cycle). */
export interface ConnectionContext {
  baseUrl: string;
  getToken: () => string | null;
  userId: string | null;
  withCredentials: boolean;
}

/** Tries of an automatic delivery receipt after the first, 0.5 s, 1 s, 2 s, 4 s, 8 s apart. */
const DEFAULT_ACK_TIMEOUT_MS = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;

type StateListener = (change: StateChange) => void;
type ErrorListener = (error: Error) => void;

/** One socket.io namespace: state tracking, typed listeners, a token read afresh on every (re)connect. */
export abstract class SocketConnection<Listen extends HandlerMap<Listen>, Emit extends HandlerMap<Emit>> {
  protected readonly socket: Socket<Listen, Emit>;
  protected readonly ackTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly listeners: ListenerRegistry<Listen>;
  private readonly stateListeners = new Set<StateListener>();
  private readonly errorListeners = new Set<ErrorListener>();
  private currentState: ConnectionState = 'connecting';
  private lastError: RealtimeConnectError | undefined;

  protected constructor(
    context: ConnectionContext,
    namespace: string,
    private readonly eventNames: ReadonlySet<string>,
    options: RealtimeOptions,
  ) {
    this.ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.listeners = new ListenerRegistry<Listen>((error, event) =>
      this.reportError(new Error(`a "${String(event)}" handler threw: ${describe(error)}`, { cause: error })),
    );
    const socketOptions: Partial<ManagerOptions & SocketOptions> = {
      // A function, so each attempt (first connect and every reconnect) sends the current token.
      auth: (send) => {
        const token = context.getToken();
        send(token ? { token } : {});
      },
      path: options.path ?? '/socket.io',
      transports: options.transports ?? ['websocket', 'polling'],
      tryAllTransports: true,
      withCredentials: context.withCredentials,
      // Our own Manager: reconnection settings are per Manager, and tests open many clients.
      forceNew: true,
      ...reconnectionSettings(options.reconnection),
    };
    this.socket = io(new URL(context.baseUrl).origin + namespace, socketOptions);
    this.wireSocket();
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** The socket.io session id while connected. */
  get id(): string | undefined {
    return this.socket.id;
  }

  /** Typed listener for a server event; returns the unsubscribe function. */
  on<E extends keyof Listen>(event: E, handler: Listen[E]): () => void {
    return this.listeners.add(event, handler);
  }

  off<E extends keyof Listen>(event: E, handler: Listen[E]): void {
    this.listeners.remove(event, handler);
  }

  onStateChange(listener: StateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Connect errors (incl. a refused handshake), failed automatic acks, throwing handlers. */
  onError(listener: ErrorListener): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /**
   * Resolves once connected; rejects with a `RealtimeConnectError` when the handshake is
   * refused, when the connection gives up, or after `connectTimeoutMs`.
   */
  ready(): Promise<void> {
    if (this.currentState === 'connected') return Promise.resolve();
    if (this.currentState === 'disconnected') {
      return Promise.reject(this.lastError ?? new RealtimeConnectError('not connected', false, undefined));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        const last = this.lastError ? `: ${this.lastError.message}` : '';
        reject(new RealtimeConnectError(`not connected after ${this.connectTimeoutMs} ms${last}`, false, undefined));
      }, this.connectTimeoutMs);
      const unsubscribe = this.onStateChange(({ state, error }) => {
        if (state !== 'connected' && state !== 'disconnected') return;
        clearTimeout(timer);
        unsubscribe();
        if (state === 'connected') resolve();
        else reject(error ?? new RealtimeConnectError('disconnected before connecting', false, undefined));
      });
    });
  }

  /**
   * Connects again after a refused handshake, a server-side disconnect or `disconnect()`,
   * none of which socket.io retries by itself. Uses the client's current token.
   */
  reconnect(): Promise<void> {
    if (!this.socket.connected) {
      this.setState('connecting');
      this.socket.connect();
    }
    return this.ready();
  }

  /** Closes the socket; listeners stay registered for a later `reconnect()`. */
  disconnect(): void {
    this.socket.disconnect();
    this.setState('disconnected', { reason: 'io client disconnect' });
  }

  /** Called for every known server event, after the user's handlers are registered on our side. */
  protected handleEvent<E extends keyof Listen>(event: E, args: Parameters<Listen[E]>): void {
    this.listeners.emit(event, ...args);
  }

  protected reportError(error: Error): void {
    for (const listener of [...this.errorListeners]) listener(error);
  }

  /** Turns an emit-with-ack into the success ack, or a `RealtimeAckError`. */
  protected async expectAck<A extends { ok: true } | SocketAckFailure>(event: string, emit: () => Promise<A>): Promise<Extract<A, { ok: true }>> {
    let ack: A;
    try {
      ack = await emit();
    } catch (error) {
      // socket.io rejects on its timeout, or when the socket drops with the ack outstanding.
      const reason = describe(error);
      throw new RealtimeAckError(event, reason, /timed out/i.test(reason));
    }
    if (typeof ack !== 'object' || ack === null) throw new RealtimeAckError(event, 'malformed ack', false);
    if (ack.ok !== true) {
      const failure = ack as SocketAckFailure;
      throw new RealtimeAckError(event, failure.error || 'refused by the server', false, failure.status);
    }
    return ack as Extract<A, { ok: true }>;
  }

  private wireSocket(): void {
    this.socket.onAny((event: string, ...args: unknown[]) => {
      if (!this.eventNames.has(event)) return;
      this.handleEvent(event as keyof Listen, args as Parameters<Listen[keyof Listen]>);
    });
    this.socket.on('connect', () => {
      this.lastError = undefined;
      this.setState('connected');
    });
    this.socket.on('disconnect', (reason) => {
      // `active` is false when the server or we closed it: socket.io will not come back on its own.
      this.setState(this.socket.active ? 'reconnecting' : 'disconnected', { reason });
    });
    this.socket.on('connect_error', (cause) => {
      // A middleware refusal destroys the socket (inactive); a transport error keeps it active.
      const refused = !this.socket.active;
      const data = (cause as Error & { data?: unknown }).data;
      const error = new RealtimeConnectError(refused ? `handshake refused: ${cause.message}` : `cannot connect: ${cause.message}`, refused, data, cause);
      this.lastError = error;
      this.reportError(error);
      const retrying = this.socket.active && this.socket.io.reconnection();
      this.setState(retrying ? 'reconnecting' : 'disconnected', { reason: cause.message, error });
    });
    this.socket.io.on('reconnect_attempt', () => this.setState('reconnecting'));
    this.socket.io.on('reconnect_failed', () => this.setState('disconnected', { reason: 'reconnection attempts exhausted', error: this.lastError }));
  }

  private setState(state: ConnectionState, detail: Omit<StateChange, 'state'> = {}): void {
    if (state === this.currentState) return;
    this.currentState = state;
    const change: StateChange = { state, ...detail };
    for (const listener of [...this.stateListeners]) listener(change);
  }
}

function reconnectionSettings(option: RealtimeOptions['reconnection']): Partial<ManagerOptions> {
  if (option === false) return { reconnection: false };
  const settings = option === true || option === undefined ? {} : option;
  return {
    reconnection: true,
    reconnectionAttempts: settings.attempts ?? Infinity,
    reconnectionDelay: settings.delayMs ?? 1_000,
    reconnectionDelayMax: settings.maxDelayMs ?? 5_000,
  };
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
