import { DomainEvent } from '@concert/contracts';
import { InMemoryEventStore } from './adapters/memory/in-memory-event-store';
import { Decider, execute } from './aggregate';

type Opened = DomainEvent<'Opened', { by: string }>;
type Noted = DomainEvent<'Noted', { n: number }>;
type Counter = { open: boolean; n: number };
type Command = { type: 'Open'; by: string } | { type: 'Note'; n: number };

const counter: Decider<Counter, Command, Opened | Noted> = {
  initialState: () => ({ open: false, n: 0 }),
  evolve: (s, e) => (e.type === 'Opened' ? { ...s, open: true } : { ...s, n: e.data.n }),
  decide: (c, s) => {
    if (c.type === 'Open') return s.open ? [] : [{ type: 'Opened', data: { by: c.by } }];
    if (!s.open) throw new Error('not open');
    return [{ type: 'Noted', data: { n: c.n } }];
  },
};

describe('execute with likelyNew', () => {
  const now = new Date(0);

  it('writes a new stream without reading it first', async () => {
    const store = new InMemoryEventStore();
    const read = jest.spyOn(store, 'readStream');
    const result = await execute(store, 's-new', counter, { type: 'Open', by: 'a' }, { now, likelyNew: true });
    expect(read).not.toHaveBeenCalled();
    expect(result.appended).toMatchObject({ nextRevision: 0 });
    expect((await store.readStream('s-new')).map((e) => e.type)).toEqual(['Opened']);
  });

  it('queues the append before it returns, so a caller can queue another right behind it in the same tick', () => {
    const store = new InMemoryEventStore();
    const append = jest.spyOn(store, 'append');
    const pending = execute(store, 's-new', counter, { type: 'Open', by: 'a' }, { now, likelyNew: true });
    expect(append).toHaveBeenCalledTimes(1);
    return pending;
  });

  it('decides on the stored stream when the stream exists after all: a conflict, a no-op or a refusal is checked against it', async () => {
    const store = new InMemoryEventStore();
    await execute(store, 's-old', counter, { type: 'Open', by: 'first' }, { now });
    // Would append on the initial state; the stream exists, so the no_stream append conflicts and is decided again.
    const noted = await execute(store, 's-old', counter, { type: 'Note', n: 7 }, { now, likelyNew: true });
    expect(noted.appended).toMatchObject({ nextRevision: 1 });
    // A no-op on the stored state is answered as one, nothing written twice.
    const again = await execute(store, 's-old', counter, { type: 'Open', by: 'second' }, { now, likelyNew: true });
    expect(again.appended).toBeNull();
    expect((await store.readStream('s-old')).map((e) => e.type)).toEqual(['Opened', 'Noted']);
    // A refusal on the assumed (initial) state is not final: the stored state is asked.
    const fresh = new InMemoryEventStore();
    await expect(execute(fresh, 'never', counter, { type: 'Note', n: 1 }, { now, likelyNew: true })).rejects.toThrow('not open');
  });
});
