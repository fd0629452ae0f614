import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { StoredEvent } from '@concert/contracts';

export const EVENT_HEADERS = {
  id: 'event-id',
  type: 'event-type',
  version: 'event-version',
} as const;

/** An event on a topic: keyed by its stream (per-stream order), the value is the stored event as JSON. */
export function encodeEvent(event: StoredEvent): Message {
  return {
    key: event.streamId,
    value: JSON.stringify(event),
    headers: {
      [EVENT_HEADERS.id]: event.id,
      [EVENT_HEADERS.type]: event.type,
      [EVENT_HEADERS.version]: String(event.version),
    },
  };
}

export class PoisonMessageError extends Error {
  constructor(reason: string) {
    super(`Not a stored event: ${reason}`);
    this.name = 'PoisonMessageError';
  }
}

/** Throws PoisonMessageError for anything that is not a stored event: retrying would not help. */
export function decodeEvent(message: Pick<KafkaMessage, 'value'>): StoredEvent {
  if (!message.value) throw new PoisonMessageError('empty value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.value.toString('utf8'));
  } catch {
    throw new PoisonMessageError('value is not JSON');
  }
  const e = parsed as Partial<StoredEvent> | null;
  if (
    !e ||
    typeof e !== 'object' ||
    typeof e.id !== 'string' ||
    typeof e.type !== 'string' ||
    typeof e.version !== 'number' ||
    typeof e.streamId !== 'string' ||
    typeof e.revision !== 'number' ||
    typeof e.position !== 'number' ||
    typeof e.metadata !== 'object'
  ) {
    throw new PoisonMessageError('missing id, type, version, streamId, revision, position or metadata');
  }
  return e as StoredEvent;
}

export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
