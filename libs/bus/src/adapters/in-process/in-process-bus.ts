import { DomainError, ErrorCode, StoredEvent } from '@concert/contracts';
import { EventListener, MessageBus, RequestHandler } from '../../bus.port';

/** The embedded bus: a function call per request, one delivery per group per event. */
export class InProcessBus implements MessageBus {
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly groups = new Map<string, Map<string, EventListener[]>>();

  async request<T>(pattern: string, payload: unknown): Promise<T> {
    const handler = this.handlers.get(pattern);
    if (!handler) throw new DomainError(ErrorCode.Unavailable, `No handler for ${pattern}`);
    return (await handler(payload)) as T;
  }

  handle(pattern: string, handler: RequestHandler): void {
    if (this.handlers.has(pattern)) throw new Error(`Handler for ${pattern} already registered`);
    this.handlers.set(pattern, handler);
  }

  async publish(topic: string, events: StoredEvent[]): Promise<void> {
    const groups = this.groups.get(topic);
    if (!groups) return;
    const failures: unknown[] = [];
    for (const listeners of groups.values()) {
      // One process holds every member of a group: its first listener consumes.
      // Groups are independent consumers: one failing stops its own delivery, not the others'.
      try {
        for (const event of events) await listeners[0](event);
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length) throw failures[0];
  }

  async subscribe(topic: string, group: string, listener: EventListener): Promise<void> {
    const groups = this.groups.get(topic) ?? new Map<string, EventListener[]>();
    groups.set(group, [...(groups.get(group) ?? []), listener]);
    this.groups.set(topic, groups);
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.groups.clear();
  }
}
