import { DomainEvent, StoredEvent, upcast } from '@concert/contracts';
import { Causation, envelope } from './event-factory';
import { AppendResult, EventRef, EventStore, WrongExpectedRevisionError } from './event-store.port';

export interface Decider<S, C, E extends DomainEvent> {
  decide: (command: C, state: S) => E[];
  evolve: (state: S, event: E) => S;
  initialState: () => S;
}

export interface Loaded<S> {
  state: S;
  /** Revision of the last event, -1 when the stream does not exist. */
  revision: number;
  events: StoredEvent[];
}

export async function load<S, C, E extends DomainEvent>(
  store: EventStore,
  streamId: string,
  decider: Decider<S, C, E>,
): Promise<Loaded<S>> {
  const events = await store.readStream(streamId);
  const state = events.reduce((s, e) => decider.evolve(s, upcast<E>(e)), decider.initialState());
  return { state, revision: events.length ? events[events.length - 1].revision : -1, events };
}

export interface Handled<S, E> {
  /** State after the new events. */
  state: S;
  /** Events this command appended (empty when the decider had nothing to do). */
  events: E[];
  appended: AppendResult | null;
}

/**
 * The four steps of a command handler: read the stream, fold it, decide, append with the
 * expected revision. A conflict means someone else wrote first: decide again on the new state.
 *
 * `likelyNew`: the caller's read model has never seen this stream (a new user's first token), so the
 * first attempt decides on the initial state and appends with `no_stream` without reading. If the
 * stream exists after all, that append conflicts and the next attempt reads it; a refusal or a no-op
 * decided on the assumed state is checked the same way, against the stream as stored. That first append
 * is queued before `execute` returns (no await comes before it): an append the caller makes in the same
 * tick goes to the store after it.
 *
 * `after`: the append is stored only if that event is (see AppendOptions); a RequiredEventMissingError
 * is not retried.
 */
export async function execute<S, C, E extends DomainEvent>(
  store: EventStore,
  streamId: string,
  decider: Decider<S, C, E>,
  command: C,
  options: {
    now: Date;
    causation?: Causation;
    retries?: number;
    eventIds?: () => string;
    likelyNew?: boolean;
    after?: EventRef;
  } = {
    now: new Date(),
  },
): Promise<Handled<S, E>> {
  const retries = options.retries ?? 5;
  for (let attempt = 0; ; attempt++) {
    const assumed = attempt === 0 && options.likelyNew === true;
    const { state, revision } = assumed ? { state: decider.initialState(), revision: -1 } : await load(store, streamId, decider);
    let events: E[];
    try {
      events = decider.decide(command, state);
    } catch (err) {
      if (assumed) continue;
      throw err;
    }
    if (events.length === 0) {
      if (assumed) continue;
      return { state, events, appended: null };
    }
    try {
      const newEvents = envelope(events, options.now, options.causation, options.eventIds);
      const expected = revision === -1 ? 'no_stream' : revision;
      const appended = await store.append(streamId, newEvents, expected, options.after && { after: options.after });
      return { state: events.reduce(decider.evolve, state), events, appended };
    } catch (err) {
      if (!(err instanceof WrongExpectedRevisionError) || attempt >= retries) throw err;
    }
  }
}
