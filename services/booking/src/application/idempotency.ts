import { createHash } from 'node:crypto';
import { bookingIdempotencyStream, DomainError, ErrorCode } from '@concert/contracts';
import { envelope, EventStore, WrongExpectedRevisionError } from '@concert/event-store';

type Outcome = { ok: true; body: unknown } | { ok: false; code: ErrorCode; message: string };

interface ReplyRecorded {
  requestHash: string;
  outcome: Outcome;
}

/**
 * Idempotency-Key for payments: the first final answer is recorded and replayed for every
 * later request with the same key. The effect itself is idempotent per reservation, so a crash
 * between effect and record only means the effect runs once more and changes nothing.
 */
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
  const recorded = await read(store, stream);
  if (recorded) return replay<T>(recorded, requestHash);
  let outcome: Outcome;
  try {
    outcome = { ok: true, body: await work() };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    outcome = { ok: false, code: err.code, message: err.message };
  }
  try {
    await store.append(stream, envelope([{ type: 'IdempotentReplyRecorded', data: { requestHash, outcome } }], now), 'no_stream');
  } catch (err) {
    if (!(err instanceof WrongExpectedRevisionError)) throw err;
    const first = await read(store, stream);
    if (first) return replay<T>(first, requestHash);
  }
  return replay<T>({ requestHash, outcome }, requestHash);
}

async function read(store: EventStore, stream: string): Promise<ReplyRecorded | undefined> {
  const [first] = await store.readStream(stream);
  return first?.data as ReplyRecorded | undefined;
}

function replay<T>(recorded: ReplyRecorded, requestHash: string): T {
  if (recorded.requestHash !== requestHash) throw new DomainError(ErrorCode.IdempotencyKeyReused);
  if (recorded.outcome.ok) return recorded.outcome.body as T;
  throw new DomainError(recorded.outcome.code, recorded.outcome.message);
}
