import { KeyedMutex } from './keyed-mutex';

const tick = (ms = 2) => new Promise((r) => setTimeout(r, ms));

describe('KeyedMutex', () => {
  it('runs work on one key one at a time, in call order', async () => {
    const mutex = new KeyedMutex();
    let running = 0;
    let maxRunning = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        mutex.run('seat-1', async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await tick(i % 3);
          order.push(i);
          running--;
        }),
      ),
    );
    expect(maxRunning).toBe(1);
    expect(order).toEqual([...Array(20).keys()]);
  });

  it('serialises a read-modify-write that would otherwise lose updates', async () => {
    const mutex = new KeyedMutex();
    let counter = 0;
    await Promise.all(
      Array.from({ length: 50 }, () =>
        mutex.run('k', async () => {
          const read = counter;
          await tick(0);
          counter = read + 1;
        }),
      ),
    );
    expect(counter).toBe(50);
  });

  it('lets different keys run at the same time', async () => {
    const mutex = new KeyedMutex();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = mutex.run('a', () => gate.then(() => 'a'));
    const b = await mutex.run('b', async () => 'b');
    expect(b).toBe('b');
    release();
    expect(await a).toBe('a');
  });

  it('returns each result and error to its own caller, and a failure does not block the key', async () => {
    const mutex = new KeyedMutex();
    const first = mutex.run('k', async () => {
      await tick();
      throw new Error('boom');
    });
    const second = mutex.run('k', async () => 2);
    const third = mutex.run('k', () => {
      throw new Error('sync boom');
    });
    const fourth = mutex.run('k', async () => 4);
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe(2);
    await expect(third).rejects.toThrow('sync boom');
    await expect(fourth).resolves.toBe(4);
  });

  it('forgets a key once its queue is empty', async () => {
    const mutex = new KeyedMutex();
    await Promise.all(Array.from({ length: 100 }, (_, i) => mutex.run(`k${i}`, async () => i)));
    await tick();
    expect((mutex as unknown as { tails: Map<string, unknown> }).tails.size).toBe(0);
  });
});
