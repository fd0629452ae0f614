/** An event, named by its stream and id. */
export interface EventRef {
  streamId: string;
  eventId: string;
}

/** Metadata every event carries (DESIGN.md: Events). */
export interface EventMetadata {
  occurredAt: string;
  correlationId: string;
  causationId: string;
}

/** An event as a decider emits it, before the store gives it a place. */
export interface NewEvent<T extends string = string, D = unknown> {
  id: string;
  type: T;
  version: number;
  data: D;
  metadata: EventMetadata;
}

/** An event as the store returns it: with its stream revision (0-based) and global position (1-based). */
export interface StoredEvent<T extends string = string, D = unknown> extends NewEvent<T, D> {
  streamId: string;
  revision: number;
  position: number;
}

/** The shape deciders work with: type + data, the envelope is added when appending. */
export interface DomainEvent<T extends string = string, D = unknown> {
  type: T;
  data: D;
}
