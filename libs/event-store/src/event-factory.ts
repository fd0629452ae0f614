import { randomUUID } from 'node:crypto';
import { currentVersion, DomainEvent, EventMetadata, isoTime, NewEvent } from '@concert/contracts';

export interface Causation {
  correlationId?: string;
  causationId?: string;
}

/** Wraps decided events in the envelope the store keeps: id, version, metadata. */
export function envelope(
  events: DomainEvent[],
  occurredAt: Date,
  causation: Causation = {},
  ids: () => string = randomUUID,
): NewEvent[] {
  const correlationId = causation.correlationId ?? randomUUID();
  const at = isoTime(occurredAt);
  return events.map((e) => {
    const metadata: EventMetadata = {
      occurredAt: at,
      correlationId,
      causationId: causation.causationId ?? correlationId,
    };
    return { id: ids(), type: e.type, version: currentVersion(e.type), data: e.data, metadata };
  });
}
