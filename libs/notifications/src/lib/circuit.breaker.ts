import { BrokenCircuitError, CircuitState as PolicyState, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import type { CircuitBreakerPolicy } from 'cockatiel';
import { ChannelUnavailableError, CircuitOpenError, PermanentDeliveryError } from './delivery.errors';
import type { TransportChannel } from './notification.transport';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive provider failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before one trial call is let through. Default 30 s. */
  cooldownMs?: number;
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

export const DEFAULT_FAILURE_THRESHOLD = 5;
export const DEFAULT_COOLDOWN_MS = 30_000;

const STATE_NAMES: Record<PolicyState, CircuitState> = {
  [PolicyState.Closed]: 'closed',
  [PolicyState.Open]: 'open',
  [PolicyState.HalfOpen]: 'half-open',
  // Isolation is never used here; an isolated circuit refuses calls like an open one.
  [PolicyState.Isolated]: 'open',
};

/** A provider's failure: anything but a rejection of this one recipient or "not configured". */
const isProviderFailure = (error: Error) => !(error instanceof PermanentDeliveryError || error instanceof ChannelUnavailableError);

/**
 * Keeps a failing provider from eating every job's retries: after `failureThreshold`
 * consecutive provider failures the channel fails fast with CircuitOpenError (the provider is
 * not called) for `cooldownMs`; then one trial call decides (calls arriving meanwhile wait for
 * its verdict): success closes the circuit, failure opens it again. The state machine is
 * cockatiel's; this class adds the channel, the error the jobs understand and a snapshot.
 *
 * A permanent rejection (bad address, gone subscription) proves the provider is up and
 * answering, so it counts as a success; "not configured" counts as nothing. A trial cannot
 * hang: every transport gives up on its provider after NOTIFY_TIMEOUT_MS.
 *
 * In memory, per process: each worker judges the provider from its own calls, which is
 * enough to stop hammering it and needs no coordination.
 */
export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  private readonly policy: CircuitBreakerPolicy;
  private readonly counter: ConsecutiveBreaker;
  private previous: CircuitState = 'closed';
  private openedAt = 0;
  private timesOpened = 0;
  private rejectedCalls = 0;

  constructor(
    readonly channel: TransportChannel,
    options: CircuitBreakerOptions = {},
  ) {
    this.failureThreshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    this.cooldownMs = options.cooldownMs ?? DEFAULT_COOLDOWN_MS;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) throw new RangeError('failureThreshold must be an integer >= 1');
    if (!Number.isFinite(this.cooldownMs) || this.cooldownMs < 0) throw new RangeError('cooldownMs must be >= 0');
    this.counter = new ConsecutiveBreaker(this.failureThreshold);
    this.policy = circuitBreaker(handleWhen(isProviderFailure), { halfOpenAfter: this.cooldownMs, breaker: this.counter });
    this.policy.onBreak(() => {
      this.openedAt = Date.now();
      this.timesOpened++;
    });
    this.policy.onStateChange((next) => {
      const from = this.previous;
      const to = STATE_NAMES[next];
      this.previous = to;
      try {
        options.onStateChange?.({ channel: this.channel, from, to, consecutiveFailures: this.consecutiveFailures });
      } catch {
        // A listener's bug must not turn into a failed send.
      }
    });
  }

  /** The policy moves from open to half-open on the first call after the cooldown; reads see it already. */
  get state(): CircuitState {
    const state = STATE_NAMES[this.policy.state];
    return state === 'open' && Date.now() >= this.retryAt ? 'half-open' : state;
  }

  snapshot(): CircuitSnapshot {
    const state = this.state;
    return {
      channel: this.channel,
      state,
      consecutiveFailures: this.consecutiveFailures,
      failureThreshold: this.failureThreshold,
      cooldownMs: this.cooldownMs,
      openedAt: state === 'closed' ? undefined : new Date(this.openedAt),
      retryAt: state === 'open' ? new Date(this.retryAt) : undefined,
      timesOpened: this.timesOpened,
      rejectedCalls: this.rejectedCalls,
    };
  }

  /** Runs fn unless the circuit is open (then throws CircuitOpenError without calling it). */
  async execute<T>(fn: () => Promise<T>): Promise<T> {
    let outcome: { value: T } | { rejected: PermanentDeliveryError };
    try {
      // A permanent rejection leaves the policy as a result, so it counts as the provider answering.
      outcome = await this.policy.execute(() =>
        fn().then(
          (value) => ({ value }),
          (error: unknown) => {
            if (error instanceof PermanentDeliveryError) return { rejected: error };
            throw error;
          },
        ),
      );
    } catch (error) {
      if (!(error instanceof BrokenCircuitError)) throw error;
      this.rejectedCalls++;
      throw new CircuitOpenError(this.channel, new Date(this.retryAt));
    }
    if ('rejected' in outcome) throw outcome.rejected;
    return outcome.value;
  }

  private get retryAt(): number {
    return this.openedAt + this.cooldownMs;
  }

  private get consecutiveFailures(): number {
    // ConsecutiveBreaker keeps the run of failures as its state; closing the circuit resets it.
    return this.policy.state === PolicyState.Closed ? this.counter.state : Math.max(this.counter.state, this.failureThreshold);
  }
}
