import { MicroBatcher } from './micro.batcher';

/** A run that waits until released, recording what each run was given. */
function gatedRun() {
  const runs: number[][] = [];
  const gates: (() => void)[] = [];
  const run = async (items: readonly number[]): Promise<(number | Error)[]> => {
    runs.push([...items]);
    await new Promise<void>((resolve) => gates.push(resolve));
    return items.map((n) => (n < 0 ? new Error(`negative ${n}`) : n * 10));
  };
  const releaseAll = () => gates.splice(0).forEach((open) => open());
  return { runs, run, releaseAll };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Turns the event loop until the condition holds (a few turns at most in these tests). */
async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100 && !condition(); turn += 1) await tick();
  expect(condition()).toBe(true);
}

describe('MicroBatcher', () => {
  it('runs items of the same tick together, each caller getting its own outcome', async () => {
    const { runs, run, releaseAll } = gatedRun();
    const batcher = new MicroBatcher({ run, maxBatch: 100, maxConcurrent: 1 });
    const answers = [1, -2, 3].map((n) => batcher.submit(n).then(String, (error: Error) => error.message));
    await tick();
    releaseAll();
    expect(await Promise.all(answers)).toEqual(['10', 'negative -2', '30']);
    expect(runs).toEqual([[1, -2, 3]]);
  });

  it('gathers what arrives while a run is in flight into the next run', async () => {
    const { runs, run, releaseAll } = gatedRun();
    const batcher = new MicroBatcher({ run, maxBatch: 100, maxConcurrent: 1 });
    const first = batcher.submit(1);
    await tick();
    const later = [2, 3, 4].map((n) => batcher.submit(n));
    await tick();
    expect(runs).toEqual([[1]]);
    expect(batcher.pending).toBe(3);
    releaseAll();
    await first;
    await until(() => runs.length === 2);
    releaseAll();
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
    expect(runs).toEqual([[1], [2, 3, 4]]);
  });

  it('caps a run at maxBatch and keeps up to maxConcurrent runs in flight', async () => {
    const { runs, run, releaseAll } = gatedRun();
    const batcher = new MicroBatcher({ run, maxBatch: 2, maxConcurrent: 2 });
    const all = [1, 2, 3, 4, 5].map((n) => batcher.submit(n));
    await until(() => runs.length === 2);
    await tick();
    expect(runs).toEqual([
      [1, 2],
      [3, 4],
    ]);
    releaseAll();
    await until(() => runs.length === 3);
    releaseAll();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
    expect(runs).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('runs an idle batcher at once, and lingers for a fuller run only while busy', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'performance'] });
    try {
      const runs: number[][] = [];
      const batcher = new MicroBatcher<number, number>({
        run: async (items) => (runs.push([...items]), [...items]),
        maxBatch: 3,
        maxConcurrent: 1,
        lingerMs: 5,
      });
      expect(await batcher.submit(1)).toBe(1); // idle: no wait (fake timers never advanced)
      const next = [batcher.submit(2), batcher.submit(3)];
      await tick();
      expect(runs).toEqual([[1]]); // busy now: waits for more
      const more = batcher.submit(4); // a full batch (3) goes at once
      await until(() => runs.length === 2);
      expect(runs[1]).toEqual([2, 3, 4]);
      expect(await Promise.all([...next, more])).toEqual([2, 3, 4]);
      const last = batcher.submit(5);
      await tick();
      expect(runs).toHaveLength(2);
      jest.advanceTimersByTime(5);
      expect(await last).toBe(5);
      expect(runs[2]).toEqual([5]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('fails every item of a run that throws, and keeps serving afterwards', async () => {
    let fail = true;
    const batcher = new MicroBatcher<number, number>({
      run: async (items) => {
        if (fail) throw new Error('database away');
        return items.map((n) => n + 1);
      },
      maxBatch: 10,
      maxConcurrent: 1,
    });
    const failed = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await batcher.submit(5)).toBe(6);
  });

  it('refuses to answer items a run left out', async () => {
    const batcher = new MicroBatcher<number, number>({ run: async () => [1], maxBatch: 10, maxConcurrent: 1 });
    const outcomes = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: expect.stringMatching(/1 outcomes for 2 items/) }) });
  });
});
