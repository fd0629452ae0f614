import { Connection, Model, Schema } from 'mongoose';
import { EventListener } from '@concert/bus';
import { isDuplicateKey } from '../mongo/mongo-connection';

interface ProcessedEventDoc {
  _id: string;
  consumer: string;
  eventId: string;
  processedAt: Date;
}

const schema = new Schema<ProcessedEventDoc>(
  { _id: String, consumer: String, eventId: String, processedAt: Date },
  { versionKey: false, strict: true, autoIndex: false, id: false },
);

/** Which events a consumer has already handled, by event id (MongoDB collection `processed_events`). */
export class ProcessedEvents {
  private readonly model: Model<ProcessedEventDoc>;

  constructor(connection: Connection) {
    this.model =
      (connection.models.ProcessedEvent as Model<ProcessedEventDoc> | undefined) ??
      connection.model<ProcessedEventDoc>('ProcessedEvent', schema, 'processed_events');
  }

  async has(consumer: string, eventId: string): Promise<boolean> {
    return (await this.model.exists({ _id: `${consumer}:${eventId}` }).exec()) !== null;
  }

  async mark(consumer: string, eventId: string): Promise<void> {
    try {
      await this.model.create({ _id: `${consumer}:${eventId}`, consumer, eventId, processedAt: new Date() });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }
}

/**
 * Runs the listener once per event id: a redelivered event (at-least-once relay, consumer restart)
 * is skipped. Marked after the listener succeeds, so a crash in between runs it again: for effects
 * that must happen exactly once, the listener's own write must also be idempotent.
 */
export function idempotentListener(ledger: ProcessedEvents, consumer: string, listener: EventListener): EventListener {
  return async (event) => {
    if (await ledger.has(consumer, event.id)) return;
    await listener(event);
    await ledger.mark(consumer, event.id);
  };
}
