import { createHash } from 'node:crypto';
import { bookingIdempotencyStream, DomainError, ErrorCode, StoredEvent } from '@concert/contracts';
import { envelope, EventStore, WrongExpectedRevisionError } from '@concert/event-store';

type Outcome = { ok: true; body: unknown } | { ok: false; code: ErrorCode; message: string };

interface KeyClaimed {
  requestHash: string;
}
interface ReplyRecorded {
  requestHash: string;
  outcome: Outcome;
}

interface KeyEntry {
  requestHash: string;
  reply?: ReplyRecorded;
  revision: number;
}

/**
 * Answers a retry may change, or that say nothing happened: they are not kept, so the buyer
 * who got a 402 can charge and retry under the same key.
 */
const NOT_FINAL = new Set<ErrorCode>([ErrorCode.InsufficientBalance, ErrorCode.Unavailable, ErrorCode.Internal]);

/**
 * Idempotency-Key for payments. The key is claimed for one request (its hash) before any work,
 * so a key reused for another request is refused before it can pay anything, even when both
 * arrive at once. The first final answer is then recorded and replayed. The work itself is
 * idempotent per reservation, so a crash between the effect and the record only means the work
 * runs once more and changes nothing.
 */
/** The answer already recorded under this key for this request, if any; never claims the key. */
export async function recordedAnswer<T>(
  store: EventStore,
  userId: string,
  key: string,
  request: unknown,
): Promise<{ answer: () => T } | undefined> {
  const entry = await read(store, bookingIdempotencyStream(userId, createHash('sha256').update(key).digest('hex').slice(0, 32)));
  if (!entry) return undefined;
  if (entry.requestHash !== createHash('sha256').update(JSON.stringify(request)).digest('hex')) {
    throw new DomainError(ErrorCode.IdempotencyKeyReused);
  }
  const reply = entry.reply;
  return reply ? { answer: () => replay<T>(reply.outcome) } : undefined;
}

export async function withIdempotencyKey<T>(
  store: EventStore,
  userId: string,
  key: string | undefined,
  request: unknown,
  now: Date,
  work: () => Promise<T>,
): Promise<T> {
  if (!key) return work();
  const stream = bookingIdempotencyStream(userId, createHash('sha256').update(key).digest('hex').slice(0, 32));
  const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
  let entry = await read(store, stream);
  if (!entry) {
    try {
      await store.append(
        stream,
        envelope([{ type: 'IdempotencyKeyClaimed', data: { requestHash } satisfies KeyClaimed }], now),
        'no_stream',
      );
    } catch (err) {
      if (!(err instanceof WrongExpectedRevisionError)) throw err;
    }
    entry = await read(store, stream);
    if (!entry) throw new DomainError(ErrorCode.Internal, 'Idempotency-Key was not recorded');
  }
  if (entry.requestHash !== requestHash) throw new DomainError(ErrorCode.IdempotencyKeyReused);
  if (entry.reply) return replay<T>(entry.reply.outcome);

  let outcome: Outcome;
  try {
    outcome = { ok: true, body: await work() };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    outcome = { ok: false, code: err.code, message: err.message };
  }
  if (!outcome.ok && NOT_FINAL.has(outcome.code)) return replay<T>(outcome);
  try {
    const recorded: ReplyRecorded = { requestHash, outcome };
    await store.append(stream, envelope([{ type: 'IdempotentReplyRecorded', data: recorded }], now), entry.revision);
  } catch (err) {
    if (!(err instanceof WrongExpectedRevisionError)) throw err;
    const first = (await read(store, stream))?.reply;
    if (first) return replay<T>(first.outcome);
  }
  return replay<T>(outcome);
}

async function read(store: EventStore, stream: string): Promise<KeyEntry | undefined> {
  const events: StoredEvent[] = await store.readStream(stream);
  if (events.length === 0) return undefined;
  // The first event fixes the request: a claim, or (streams written before claims existed) the reply itself.
  const { requestHash } = events[0].data as KeyClaimed;
  const reply = events.find((e) => e.type === 'IdempotentReplyRecorded')?.data as ReplyRecorded | undefined;
  return { requestHash, reply, revision: events[events.length - 1].revision };
}

function replay<T>(outcome: Outcome): T {
  if (outcome.ok) return outcome.body as T;
  throw new DomainError(outcome.code, outcome.message);
}
