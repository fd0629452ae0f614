import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCode, StoredEvent } from '@concert/contracts';
import { InProcessBus } from './in-process-bus';

function stored(streamId: string, position: number): StoredEvent {
  const id = randomUUID();
  return {
    id,
    type: 'Happened',
    version: 1,
    data: { position },
    metadata: { occurredAt: new Date(0).toISOString(), correlationId: id, causationId: id },
    streamId,
    revision: position - 1,
    position,
  };
}

describe('InProcessBus', () => {
  let bus: InProcessBus;
  beforeEach(() => {
    bus = new InProcessBus();
  });
  afterEach(() => bus.close());

  describe('request/reply', () => {
    it('routes a request to the handler of its pattern and returns the reply', async () => {
      bus.handle('wallet.balance', async (p: { userId: string }) => ({ userId: p.userId, balance: 7 }));
      bus.handle('wallet.charge', async () => 'other');
      await expect(bus.request('wallet.balance', { userId: 'u1' })).resolves.toEqual({ userId: 'u1', balance: 7 });
    });

    it('keeps the DomainError code and message of a failing handler', async () => {
      bus.handle('booking.hold', async () => {
        throw new DomainError(ErrorCode.SeatAlreadyReserved);
      });
      const err = await bus.request('booking.hold', {}).catch((e: unknown) => e);
      expect(DomainError.is(err, ErrorCode.SeatAlreadyReserved)).toBe(true);
      expect((err as DomainError).message).toBe('Seat is already reserved');
    });

    it('keeps a custom DomainError message', async () => {
      bus.handle('x', async () => {
        throw new DomainError(ErrorCode.ValidationFailed, 'seatNumber must be a positive integer');
      });
      await expect(bus.request('x', {})).rejects.toMatchObject({
        code: ErrorCode.ValidationFailed,
        message: 'seatNumber must be a positive integer',
      });
    });

    it('turns a handler that throws synchronously into a rejection', async () => {
      bus.handle('sync', ((): Promise<unknown> => {
        throw new DomainError(ErrorCode.Forbidden);
      }) as never);
      await expect(bus.request('sync', {})).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    });

    it('answers Unavailable when no handler is registered', async () => {
      const err = await bus.request('nobody.home', {}).catch((e: unknown) => e);
      expect(DomainError.is(err, ErrorCode.Unavailable)).toBe(true);
      expect((err as Error).message).toContain('nobody.home');
    });

    it('answers Unavailable after close', async () => {
      bus.handle('p', async () => 1);
      await bus.close();
      await expect(bus.request('p', {})).rejects.toMatchObject({ code: ErrorCode.Unavailable });
    });

    it('refuses a second handler for one pattern', () => {
      bus.handle('p', async () => 1);
      expect(() => bus.handle('p', async () => 2)).toThrow(/already registered/);
    });
  });

  describe('publish/subscribe', () => {
    it('delivers every event once to each group, in order', async () => {
      const a: number[] = [];
      const b: number[] = [];
      await bus.subscribe('booking.events', 'wallet', (e) => void a.push(e.position));
      await bus.subscribe('booking.events', 'queue', (e) => void b.push(e.position));
      await bus.publish('booking.events', [stored('s', 1), stored('s', 2)]);
      await bus.publish('booking.events', [stored('s', 3)]);
      expect(a).toEqual([1, 2, 3]);
      expect(b).toEqual([1, 2, 3]);
    });

    it('gives each event to one member of a group, not to every member', async () => {
      const seen: string[] = [];
      await bus.subscribe('t', 'g', () => void seen.push('first'));
      await bus.subscribe('t', 'g', () => void seen.push('second'));
      await bus.publish('t', [stored('s', 1), stored('s', 2)]);
      expect(seen).toHaveLength(2);
    });

    it('keeps topics apart and ignores a topic nobody subscribed to', async () => {
      const seen: string[] = [];
      await bus.subscribe('a', 'g', (e) => void seen.push(`a:${e.position}`));
      await bus.subscribe('b', 'g', (e) => void seen.push(`b:${e.position}`));
      await bus.publish('a', [stored('s', 1)]);
      await bus.publish('nobody', [stored('s', 2)]);
      expect(seen).toEqual(['a:1']);
    });

    it('waits for an async listener before the next event', async () => {
      const log: string[] = [];
      await bus.subscribe('t', 'g', async (e) => {
        log.push(`start ${e.position}`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`end ${e.position}`);
      });
      await bus.publish('t', [stored('s', 1), stored('s', 2)]);
      expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
    });

    it('a failing group does not keep the event from the other groups, and the publisher hears of the failure', async () => {
      const healthy: number[] = [];
      await bus.subscribe('t', 'broken', () => {
        throw new Error('projection bug');
      });
      await bus.subscribe('t', 'healthy', (e) => void healthy.push(e.position));
      await expect(bus.publish('t', [stored('s', 1), stored('s', 2)])).rejects.toThrow('projection bug');
      expect(healthy).toEqual([1, 2]);
    });
  });
});
