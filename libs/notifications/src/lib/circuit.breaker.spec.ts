import { CircuitBreaker } from './circuit.breaker';
import type { CircuitState } from './circuit.breaker';
import { ChannelUnavailableError, CircuitOpenError, PermanentDeliveryError, TransientDeliveryError } from './delivery.errors';

/** cockatiel reads Date.now(); the fake clock moves it without real waiting (promises stay real). */
class FakeClock {
  get time(): number {
    return Date.now();
  }
  advance(ms: number): void {
    jest.setSystemTime(Date.now() + ms);
  }
}

const transient = () => new TransientDeliveryError('sms', 'Twilio is unavailable (HTTP 503)');
const permanent = () => new PermanentDeliveryError('sms', 'Twilio rejected the SMS (HTTP 400, code 21211)', '21211');

describe('CircuitBreaker', () => {
  let clock: FakeClock;
  let changes: string[];
  let breaker: CircuitBreaker;

  beforeEach(() => {
    jest.useFakeTimers({ now: Date.parse('2030-01-01T00:00:00Z'), doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    clock = new FakeClock();
    changes = [];
    breaker = new CircuitBreaker('sms', {
      failureThreshold: 3,
      cooldownMs: 10_000,
      onStateChange: ({ from, to }) => changes.push(`${from}->${to}`),
    });
  });

  afterEach(() => jest.useRealTimers());

  const fail = (error: Error = transient()) => breaker.execute(() => Promise.reject(error));
  const succeed = () => breaker.execute(() => Promise.resolve('ok'));

  async function failTimes(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await expect(fail()).rejects.toBeInstanceOf(TransientDeliveryError);
  }

  it('passes results and errors through while closed', async () => {
    await expect(succeed()).resolves.toBe('ok');
    await expect(fail()).rejects.toBeInstanceOf(TransientDeliveryError);
    expect(breaker.state).toBe<CircuitState>('closed');
  });

  it('opens after the threshold of consecutive provider failures', async () => {
    await failTimes(2);
    expect(breaker.state).toBe('closed');
    await failTimes(1);
    expect(breaker.state).toBe('open');
    expect(changes).toEqual(['closed->open']);
    expect(breaker.snapshot()).toMatchObject({
      channel: 'sms',
      state: 'open',
      consecutiveFailures: 3,
      timesOpened: 1,
      retryAt: new Date(clock.time + 10_000),
    });
  });

  it('counts only consecutive failures: a success in between resets the count', async () => {
    await failTimes(2);
    await succeed();
    await failTimes(2);
    expect(breaker.state).toBe('closed');
  });

  it('fails fast while open, without calling fn, and says when to retry', async () => {
    await failTimes(3);
    clock.advance(4_000);
    const fn = jest.fn(() => Promise.resolve('sent'));
    const error = await breaker.execute(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect((error as CircuitOpenError).retryAt).toEqual(new Date(clock.time + 6_000));
    expect((error as CircuitOpenError).retryable).toBe(true);
    expect(breaker.snapshot().rejectedCalls).toBe(1);
  });

  it('after the cooldown lets exactly one trial through; calls meanwhile wait for it, and its success closes the circuit', async () => {
    await failTimes(3);
    clock.advance(10_000);
    expect(breaker.state).toBe('half-open');

    let release!: (value: string) => void;
    const trialFn = jest.fn(() => new Promise<string>((resolve) => (release = resolve)));
    const trial = breaker.execute(trialFn);
    const other = jest.fn(() => Promise.resolve('other'));
    const waiting = breaker.execute(other);
    await Promise.resolve();
    expect(trialFn).toHaveBeenCalledTimes(1);
    expect(other).not.toHaveBeenCalled();

    release('sent');
    await expect(trial).resolves.toBe('sent');
    await expect(waiting).resolves.toBe('other');
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().consecutiveFailures).toBe(0);
    await expect(succeed()).resolves.toBe('ok');
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('calls waiting on a trial that fails are refused without reaching the provider', async () => {
    await failTimes(3);
    clock.advance(10_000);
    let reject!: (error: Error) => void;
    const trial = breaker.execute(() => new Promise<string>((_, no) => (reject = no)));
    const other = jest.fn(() => Promise.resolve('other'));
    const waiting = breaker.execute(other);
    reject(transient());
    await expect(trial).rejects.toBeInstanceOf(TransientDeliveryError);
    await expect(waiting).rejects.toBeInstanceOf(CircuitOpenError);
    expect(other).not.toHaveBeenCalled();
  });

  it('a failed trial re-opens the circuit for another cooldown', async () => {
    await failTimes(3);
    clock.advance(10_000);
    await expect(fail()).rejects.toBeInstanceOf(TransientDeliveryError);
    expect(breaker.state).toBe('open');
    expect(breaker.snapshot()).toMatchObject({ timesOpened: 2, retryAt: new Date(clock.time + 10_000) });
    const fn = jest.fn(() => Promise.resolve('x'));
    await expect(breaker.execute(fn)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(fn).not.toHaveBeenCalled();
  });

  it('permanent errors (a bad number) are not provider failures: they never open it', async () => {
    for (let i = 0; i < 10; i++) await expect(fail(permanent())).rejects.toBeInstanceOf(PermanentDeliveryError);
    expect(breaker.state).toBe('closed');
    // ...and they show the provider is answering, so they break a run of failures too.
    await failTimes(2);
    await expect(fail(permanent())).rejects.toBeInstanceOf(PermanentDeliveryError);
    await failTimes(2);
    expect(breaker.state).toBe('closed');
  });

  it('a permanent error as the half-open trial closes the circuit (the provider answered)', async () => {
    await failTimes(3);
    clock.advance(10_000);
    await expect(fail(permanent())).rejects.toBeInstanceOf(PermanentDeliveryError);
    expect(breaker.state).toBe('closed');
  });

  it('"not configured" does not count as a provider failure', async () => {
    await failTimes(2);
    for (let i = 0; i < 5; i++) await expect(fail(new ChannelUnavailableError('sms', 'x'))).rejects.toBeInstanceOf(ChannelUnavailableError);
    expect(breaker.state).toBe('closed');
    await failTimes(1);
    expect(breaker.state).toBe('open');
  });

  it('unexpected errors count as provider failures', async () => {
    for (let i = 0; i < 3; i++) await expect(fail(new Error('boom'))).rejects.toThrow('boom');
    expect(breaker.state).toBe('open');
  });

  it('ignores calls that started before the circuit opened when they settle later', async () => {
    let lateSuccess!: (value: string) => void;
    const late = breaker.execute(() => new Promise<string>((resolve) => (lateSuccess = resolve)));
    await failTimes(3);
    lateSuccess('ok');
    await late;
    expect(breaker.state).toBe('open');
  });

  it('uses the documented defaults', () => {
    const defaults = new CircuitBreaker('email');
    expect(defaults.snapshot()).toMatchObject({ state: 'closed', failureThreshold: 5, cooldownMs: 30_000 });
  });

  it('refuses nonsense options', () => {
    expect(() => new CircuitBreaker('email', { failureThreshold: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker('email', { cooldownMs: -1 })).toThrow(RangeError);
  });
});
