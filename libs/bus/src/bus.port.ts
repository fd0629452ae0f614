import { StoredEvent } from '@concert/contracts';

export const MESSAGE_BUS = Symbol('MESSAGE_BUS');

export type RequestHandler = (payload: any) => Promise<unknown>;
export type EventListener = (event: StoredEvent) => Promise<void> | void;

/**
 * How services talk: commands and queries are request/reply by pattern, events are published
 * to a topic and delivered to every consumer group subscribed to it.
 * Errors thrown by a handler arrive at the caller as `DomainError` with the same code.
 */
export interface MessageBus {
  request<T>(pattern: string, payload: unknown): Promise<T>;
  handle(pattern: string, handler: RequestHandler): void;
  publish(topic: string, events: StoredEvent[]): Promise<void>;
  subscribe(topic: string, group: string, listener: EventListener): Promise<void>;
  close(): Promise<void>;
}
