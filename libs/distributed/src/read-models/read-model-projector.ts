import { EventListener } from '@concert/bus';
import { CONTEXTS } from '../contexts';
import { EventSubscribeOptions } from '../kafka/kafka-bus';
import { MongoReadModels } from './mongo-read-models';

export const readModelGroup = (context: string): string => `read-models-${context}`;

export interface ProjectorBus {
  subscribe(topic: string, group: string, listener: EventListener, options?: EventSubscribeOptions): Promise<void>;
}

/**
 * Keeps the MongoDB read models of some contexts up to date from their topics. Every write is
 * idempotent, so redeliveries are harmless. One instance per context projects at a time (the
 * others stand by in the group): a queue token or a seat is written from two streams, and on
 * FerretDB 1.x concurrent updates of one document are not atomic.
 */
export class ReadModelProjector {
  constructor(
    private readonly bus: ProjectorBus,
    readonly models: MongoReadModels,
  ) {}

  async start(): Promise<void> {
    for (const context of this.models.contexts) {
      await this.bus.subscribe(
        CONTEXTS[context].topic,
        readModelGroup(context),
        async (event) => {
          await this.models.applyOne(event);
        },
        { singleOwner: true },
      );
    }
  }
}
