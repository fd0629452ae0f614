import { StoredEvent } from '@concert/contracts';
import { EventStore } from '@concert/event-store';
import { CONTEXT_NAMES, ContextName } from '../contexts';
import { connectMongo } from '../mongo/mongo-connection';
import { MongoReadModels } from './mongo-read-models';
import { ReadModelName } from './read-model.schemas';

export interface RebuildReadModelsOptions {
  /**
   * Contexts whose read models are rebuilt (default: all). With one store per service, rebuild
   * each context from its own store: the other contexts' collections are left alone.
   */
  contexts?: ContextName[];
  pageSize?: number;
}

export interface RebuildReadModelsResult {
  events: number;
  lastPosition: number;
  documents: Partial<Record<ReadModelName, number>>;
  ms: number;
}

/**
 * Rebuilds the MongoDB read models from the event store: empties their collections, then applies
 * every event up to the store's head with the same projection the live consumers use.
 * Run it with the projectors stopped: a live write between the wipe and the replay would be undone.
 */
export async function rebuildReadModels(
  store: EventStore,
  mongoUrl: string,
  options: RebuildReadModelsOptions = {},
): Promise<RebuildReadModelsResult> {
  const started = Date.now();
  const sink = await MongoReadModelSink.open(mongoUrl, options.contexts);
  try {
    const pageSize = options.pageSize ?? 5000;
    const head = await store.headPosition();
    let after = 0;
    let events = 0;
    while (after < head) {
      const page = await store.readAll(after, pageSize);
      if (page.length === 0) break;
      await sink.applyPage(page);
      events += page.length;
      after = page[page.length - 1].position;
    }
    const documents = await sink.finish();
    return { events, lastPosition: after, documents, ms: Date.now() - started };
  } finally {
    await sink.close();
  }
}

/**
 * The read models as a sink for page-by-page replays (the shape tools/audit's rebuild uses):
 * `open` empties the collections, `applyPage` writes a page in bulk, `finish` counts the documents.
 */
export class MongoReadModelSink {
  readonly name = 'mongodb';
  private closed = false;

  private constructor(private readonly models: MongoReadModels) {}

  static async open(mongoUrl: string, contexts: ContextName[] = CONTEXT_NAMES): Promise<MongoReadModelSink> {
    const connection = await connectMongo(mongoUrl);
    try {
      const models = new MongoReadModels(connection, contexts);
      await models.ensureIndexes();
      await models.clear();
      return new MongoReadModelSink(models);
    } catch (err) {
      await connection.close();
      throw err;
    }
  }

  async applyPage(events: StoredEvent[]): Promise<void> {
    await this.models.apply(events);
  }

  /** Counts the documents, then closes the connection. */
  async finish(): Promise<Partial<Record<ReadModelName, number>>> {
    const counts = await this.models.counts();
    await this.close();
    return counts;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.models.connection.close();
  }
}
