import { ChannelUnavailableError, CircuitOpenError, PermanentDeliveryError } from './delivery.errors';
import type { TransportChannel } from './notification.transport';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive provider failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before one trial call is let through. Default 30 s. */
  cooldownMs?: number;
  /** Milliseconds since the epoch; injectable so tests need no real waiting. */
  now?: () => number;
  /** Told about every state change (for logs and metrics). */
  onStateChange?: (change: { channel: TransportChannel; from: CircuitState; to: CircuitState; consecutiveFailures: number }) => void;
}

export interface CircuitSnapshot {
  channel: TransportChannel;
  state: CircuitState;
  consecutiveFailures: number;
  failureThreshold: number;
  cooldownMs: number;
  /** When the circuit last opened, while it is open or half-open. */
  openedAt?: Date;
  /** When an open circuit lets a trial through. */
  retryAt?: Date;
  /** How many times it has opened since start. */
  timesOpened: number;
  /** Calls refused without reaching the provider since start. */
  rejectedCalls: number;
}

type Outcome = 'success' | 'failure' | 'neutral';

interface Ticket {
  generation: number;
  trialId?: number;
}

export const DEFAULT_FAILURE_THRESHOLD = 5;
export const DEFAULT_COOLDOWN_MS = 30_000;

/**
 * Keeps a failing provider from eating every job's retries: after `failureThreshold`
 * consecutive provider failures the channel fails fast with CircuitOpenError (the provider is
 * not called) for `cooldownMs`, then a single trial call decides: success closes the circuit,
 * failure opens it again.
 *
 * Only provider failures count (TransientDeliveryError and anything unexpected). A permanent
 * rejection (bad address, gone subscription) proves the provider is up and answering, so it
 * counts as a success; "not configured" counts as nothing.
 *
 * In memory, per process: each worker judges the provider from its own calls, which is
 * enough to stop hammering it and needs no coordination.
 */
export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  private readonly now: () => number;
  private current: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  // Bumped on every state change: results of calls admitted under an older state are ignored,
  // so stragglers cannot re-open, close or extend a circuit they did not witness.
  private generation = 0;
  private trial?: { id: number; startedAt: number };
  private nextTrialId = 1;
  private timesOpened = 0;
  private rejectedCalls = 0;

  constructor(
    readonly channel: TransportChannel,
    private readonly options: CircuitBreakerOptions = {},
  ) {
    this.failureThreshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    this.cooldownMs = options.cooldownMs ?? DEFAULT_COOLDOWN_MS;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) throw new RangeError('failureThreshold must be an integer >= 1');
    if (!Number.isFinite(this.cooldownMs) || this.cooldownMs < 0) throw new RangeError('cooldownMs must be >= 0');
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    this.refresh();
    return this.current;
  }

  snapshot(): CircuitSnapshot {
    const state = this.state;
    const openOrTrying = state !== 'closed';
    return {
      channel: this.channel,
      state,
      consecutiveFailures: this.consecutiveFailures,
      failureThreshold: this.failureThreshold,
      cooldownMs: this.cooldownMs,
      openedAt: openOrTrying ? new Date(this.openedAt) : undefined,
      retryAt: state === 'open' ? new Date(this.openedAt + this.cooldownMs) : undefined,
      timesOpened: this.timesOpened,
      rejectedCalls: this.rejectedCalls,
    };
  }

  /** Runs fn unless the circuit is open (then throws CircuitOpenError without calling it). */
  async execute<T>(fn: () => Promise<T>): Promise<T> {
    const ticket = this.admit();
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      this.record(ticket, classify(error));
      throw error;
    }
    this.record(ticket, 'success');
    return result;
  }

  private admit(): Ticket {
    this.refresh();
    const now = this.now();
    if (this.current === 'closed') return { generation: this.generation };
    if (this.current === 'open') {
      this.rejectedCalls++;
      throw new CircuitOpenError(this.channel, new Date(this.openedAt + this.cooldownMs));
    }
    // Half-open: one trial at a time. A trial that never settled (a hung provider call)
    // is given up after a cooldown so the circuit cannot stay stuck half-open.
    if (this.trial && now - this.trial.startedAt < this.cooldownMs) {
      this.rejectedCalls++;
      throw new CircuitOpenError(this.channel, new Date(this.trial.startedAt + this.cooldownMs));
    }
    this.trial = { id: this.nextTrialId++, startedAt: now };
    return { generation: this.generation, trialId: this.trial.id };
  }

  private record(ticket: Ticket, outcome: Outcome): void {
    if (ticket.generation !== this.generation) return;
    if (this.current === 'closed') {
      if (outcome === 'success') this.consecutiveFailures = 0;
      if (outcome === 'failure' && ++this.consecutiveFailures >= this.failureThreshold) this.open();
      return;
    }
    if (this.current !== 'half-open' || ticket.trialId === undefined || ticket.trialId !== this.trial?.id) return;
    if (outcome === 'success') this.transition('closed');
    else if (outcome === 'failure') {
      this.consecutiveFailures++;
      this.open();
    } else this.trial = undefined;
  }

  private refresh(): void {
    if (this.current === 'open' && this.now() >= this.openedAt + this.cooldownMs) this.transition('half-open');
  }

  private open(): void {
    this.openedAt = this.now();
    this.timesOpened++;
    this.transition('open');
  }

  private transition(to: CircuitState): void {
    const from = this.current;
    this.current = to;
    this.generation++;
    this.trial = undefined;
    if (to === 'closed') this.consecutiveFailures = 0;
    try {
      this.options.onStateChange?.({ channel: this.channel, from, to, consecutiveFailures: this.consecutiveFailures });
    } catch {
      // A listener's bug must not turn into a failed send.
    }
  }
}

function classify(error: unknown): Outcome {
  if (error instanceof PermanentDeliveryError) return 'success';
  if (error instanceof ChannelUnavailableError || error instanceof CircuitOpenError) return 'neutral';
  return 'failure';
}
