import { Connection, Model } from 'mongoose';
import { StoredEvent } from '@concert/contracts';
import { KeyedMutex } from '@concert/platform';
import { CONTEXT_NAMES, ContextName, contextOfStream } from '../contexts';
import { isDuplicateKey } from '../mongo/mongo-connection';
import { projectEvent, ReadModelOp } from './projections';
import { READ_MODELS_OF, ReadModelDocs, ReadModelModels, readModelModels, ReadModelName } from './read-model.schemas';

const BULK_CHUNK = 1000;

/** The MongoDB read models of some contexts: applies events to them through `projectEvent`. */
export class MongoReadModels {
  readonly models: ReadModelModels;
  readonly names: ReadModelName[];
  private readonly documentLocks = new KeyedMutex();

  constructor(
    readonly connection: Connection,
    readonly contexts: ContextName[] = CONTEXT_NAMES,
  ) {
    this.models = readModelModels(connection);
    this.names = contexts.flatMap((c) => READ_MODELS_OF[c]);
  }

  async ensureIndexes(): Promise<void> {
    for (const name of this.names) {
      await this.model(name)
        .createCollection()
        .catch(() => undefined);
      await this.model(name).createIndexes();
    }
  }

  private model(name: ReadModelName): Model<any> {
    return this.models[name] as unknown as Model<any>;
  }

  /** Applies events in order. Safe to repeat: a redelivered event changes nothing. */
  async apply(events: StoredEvent[]): Promise<number> {
    const byModel = new Map<ReadModelName, ReadModelOp[]>();
    for (const event of events) {
      const context = contextOfStream(event.streamId);
      if (!context || !this.contexts.includes(context)) continue;
      for (const op of projectEvent(event)) {
        const ops = byModel.get(op.model) ?? [];
        ops.push(op);
        byModel.set(op.model, ops);
      }
    }
    let written = 0;
    // Documents of different models are independent: only the order inside one model matters.
    for (const [name, ops] of byModel) written += await applyInOrder(this.model(name), ops);
    return written;
  }

  /**
   * Applies one event while no other event of this process writes the same documents. Consumers
   * work on several partitions at once, and a queue token or a seat is fed by two streams: on
   * MongoDB each update is atomic anyway, but FerretDB 1.x reads, changes and rewrites a document
   * without isolation, so two concurrent updates of one document can lose one of them.
   */
  async applyOne(event: StoredEvent): Promise<number> {
    const keys = [...new Set(projectEvent(event).map((op) => `${op.model}:${String(op.filter._id)}`))].sort();
    const locked = keys.reduceRight<() => Promise<number>>(
      (inner, key) => () => this.documentLocks.run(key, inner),
      () => this.apply([event]),
    );
    return locked();
  }

  async clear(): Promise<void> {
    for (const name of this.names) await this.model(name).deleteMany({}).exec();
  }

  /** Every document of one read model, sorted by _id (for comparisons and audits). */
  async documents<K extends ReadModelName>(name: K): Promise<ReadModelDocs[K][]> {
    return (await this.model(name).find({}).sort({ _id: 1 }).lean().exec()) as unknown as ReadModelDocs[K][];
  }

  async counts(): Promise<Partial<Record<ReadModelName, number>>> {
    const out: Partial<Record<ReadModelName, number>> = {};
    for (const name of this.names) out[name] = await this.model(name).countDocuments({}).exec();
    return out;
  }
}

/**
 * Ordered bulk writes. A duplicate-key error means one of two things: the upsert's revision guard
 * did not match (the document already has this event or a newer one), or another consumer inserted
 * the same document a moment before (two streams feed one queue token). The op is tried once more on
 * its own: in the second case it now updates the document, in the first it is skipped again.
 */
async function applyInOrder(model: Model<any>, ops: ReadModelOp[]): Promise<number> {
  let start = 0;
  let applied = 0;
  while (start < ops.length) {
    const chunk = ops.slice(start, start + BULK_CHUNK);
    try {
      await model.bulkWrite(
        chunk.map((op) => ({ updateOne: { filter: op.filter, update: op.update, upsert: op.upsert } })) as never,
        { ordered: true },
      );
      applied += chunk.length;
      start += chunk.length;
    } catch (err) {
      const failedAt = firstWriteErrorIndex(err);
      if (!isDuplicateKey(err) || failedAt === undefined) throw err;
      applied += failedAt;
      const op = chunk[failedAt];
      try {
        await model.updateOne(op.filter, op.update, { upsert: op.upsert }).exec();
        applied += 1;
      } catch (again) {
        if (!isDuplicateKey(again)) throw again;
      }
      start += failedAt + 1;
    }
  }
  return applied;
}

function firstWriteErrorIndex(err: unknown): number | undefined {
  const e = err as { writeErrors?: { index?: number; code?: number }[] | { index?: number; code?: number } };
  const first = Array.isArray(e?.writeErrors) ? e.writeErrors[0] : e?.writeErrors;
  if (first?.code !== undefined && first.code !== 11000) return undefined;
  return typeof first?.index === 'number' ? first.index : undefined;
}
