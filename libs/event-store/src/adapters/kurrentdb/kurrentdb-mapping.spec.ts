import { ANY, NO_STREAM, RecordedEvent, START } from '@kurrent/kurrentdb-client';
import { NewEvent } from '@concert/contracts';
import {
  bigintToSafeNumber,
  firstRevisionFor,
  fromCurrentState,
  fromRecorded,
  isSystemRecord,
  readPositionAfter,
  toEventData,
  toPortPosition,
  toStreamState,
  UnmappablePositionError,
} from './kurrentdb-mapping';

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

describe('KurrentDB mapping: positions', () => {
  it('uses the commit position when it equals the prepare position (every ordinary append)', () => {
    expect(toPortPosition({ commit: 4711n, prepare: 4711n })).toBe(4711);
    expect(toPortPosition({ commit: MAX, prepare: MAX })).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses positions that a number cannot hold exactly (past 2^53 - 1)', () => {
    expect(() => toPortPosition({ commit: MAX + 1n, prepare: MAX + 1n })).toThrow(UnmappablePositionError);
    expect(() => bigintToSafeNumber(-1n, 'x')).toThrow(UnmappablePositionError);
  });

  it('refuses events of explicit transactions (shared commit, distinct prepare)', () => {
    expect(() => toPortPosition({ commit: 900n, prepare: 500n })).toThrow(/explicit transaction/);
  });

  it('refuses a missing position (servers before 22.6 leave it out of stream reads)', () => {
    expect(() => toPortPosition(undefined)).toThrow(UnmappablePositionError);
  });

  it('reads from the start for after = 0 and from the same record otherwise (the read is inclusive)', () => {
    expect(readPositionAfter(0)).toBe(START);
    expect(readPositionAfter(1234)).toEqual({ commit: 1234n, prepare: 1234n });
  });

  it('rejects negative, fractional or unsafe `after` values', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1])
      expect(() => readPositionAfter(bad)).toThrow(RangeError);
  });
});

describe('KurrentDB mapping: revisions', () => {
  it("maps 'any', 'no_stream' and numbers to stream states", () => {
    expect(toStreamState('any')).toBe(ANY);
    expect(toStreamState('no_stream')).toBe(NO_STREAM);
    expect(toStreamState(0)).toBe(0n);
    expect(toStreamState(41)).toBe(41n);
  });

  it('rejects revisions that are not non-negative integers', () => {
    for (const bad of [-1, 2.5, Number.NaN]) expect(() => toStreamState(bad)).toThrow(RangeError);
  });

  it('reads the current state of a conflict as a revision, -1 for no stream', () => {
    expect(fromCurrentState(NO_STREAM)).toBe(-1);
    expect(fromCurrentState(undefined)).toBe(-1);
    expect(fromCurrentState(0n)).toBe(0);
    expect(fromCurrentState(17n)).toBe(17);
  });

  it('knows where the events of an append must land, except for any', () => {
    expect(firstRevisionFor('no_stream')).toBe(0);
    expect(firstRevisionFor(4)).toBe(5);
    expect(firstRevisionFor('any')).toBeUndefined();
  });
});

describe('KurrentDB mapping: system records', () => {
  it('treats $-prefixed streams and types as system records', () => {
    expect(isSystemRecord('$stats-127.0.0.1:2113', 'StatsCollected')).toBe(true);
    expect(isSystemRecord('$ce-booking', '$>')).toBe(true);
    expect(isSystemRecord('booking-seat-1', '$metadata')).toBe(true);
    expect(isSystemRecord('booking-seat-1', 'SeatHeld')).toBe(false);
    expect(isSystemRecord('wallet-$x', 'WalletCharged')).toBe(false);
  });
});

describe('KurrentDB mapping: events', () => {
  const event: NewEvent = {
    id: '3f1c2a4e-1b7d-4c55-9a0e-0c2f4c7b9d11',
    type: 'TokenExpired',
    version: 1,
    data: { tokenId: 't1', nested: { list: [1, 'two', null] }, note: '대기열 ✓' },
    metadata: { occurredAt: '2026-12-24T10:00:00.000Z', correlationId: 'c-1', causationId: 'k-1' },
  };

  function recorded(data: unknown, metadata: unknown, extra: Partial<RecordedEvent> = {}): RecordedEvent {
    return {
      streamId: 'queue-token-t1',
      id: event.id,
      isJson: true,
      revision: 3n,
      type: event.type,
      created: new Date('2026-12-24T10:00:01.000Z'),
      data,
      metadata,
      position: { commit: 9000n, prepare: 9000n },
      ...extra,
    } as RecordedEvent;
  }

  it('writes a JSON event with the same id, the schema version and KurrentDB correlation keys in its metadata', () => {
    const data = toEventData({ ...event, version: 2 });
    expect(data).toMatchObject({ id: event.id, type: 'TokenExpired', contentType: 'application/json', data: event.data });
    expect(data.metadata).toEqual({
      ...event.metadata,
      schemaVersion: 2,
      $correlationId: 'c-1',
      $causationId: 'k-1',
    });
  });

  it('reads back exactly what was written, version included (so old versions can be upcast)', () => {
    const written = toEventData({ ...event, version: 1 });
    // What the client hands back after a server round trip: JSON parsed anew.
    const back = fromRecorded(recorded(JSON.parse(JSON.stringify(written.data)), JSON.parse(JSON.stringify(written.metadata))));
    expect(back).toEqual({ ...event, version: 1, streamId: 'queue-token-t1', revision: 3, position: 9000 });
  });

  it('keeps caller metadata keys beyond the envelope', () => {
    const withExtra = { ...event, metadata: { ...event.metadata, userId: 'u-1' } as NewEvent['metadata'] };
    const written = toEventData(withExtra);
    expect(fromRecorded(recorded(written.data, written.metadata)).metadata).toEqual(withExtra.metadata);
  });

  it('fills the envelope of events written by other tools from what KurrentDB knows', () => {
    const foreign = fromRecorded(recorded({ a: 1 }, { $correlationId: 'corr', $causationId: 'cause' }));
    expect(foreign.version).toBe(1);
    expect(foreign.metadata).toEqual({ occurredAt: '2026-12-24T10:00:01.000Z', correlationId: 'corr', causationId: 'cause' });
    const bare = fromRecorded(recorded({ a: 1 }, undefined));
    expect(bare.metadata).toEqual({ occurredAt: '2026-12-24T10:00:01.000Z', correlationId: event.id, causationId: event.id });
  });

  it('decodes binary events as JSON when they are, base64 otherwise', () => {
    const json = fromRecorded(
      recorded(new Uint8Array(Buffer.from('{"x":1}')), undefined, { isJson: false } as Partial<RecordedEvent>),
    );
    expect(json.data).toEqual({ x: 1 });
    const bytes = fromRecorded(recorded(new Uint8Array([0xff, 0x00]), undefined, { isJson: false } as Partial<RecordedEvent>));
    expect(bytes.data).toBe(Buffer.from([0xff, 0x00]).toString('base64'));
  });

  it('ignores a schema version that is not a positive integer', () => {
    expect(fromRecorded(recorded({}, { ...event.metadata, schemaVersion: 'two' })).version).toBe(1);
    expect(fromRecorded(recorded({}, { ...event.metadata, schemaVersion: 3 })).version).toBe(3);
  });
});
