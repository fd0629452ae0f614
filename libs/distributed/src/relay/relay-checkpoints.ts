import { Connection, Model, Schema } from 'mongoose';
import { isDuplicateKey } from '../mongo/mongo-connection';

/** A relay's place in its event store, and who may move it. */
export interface RelayCheckpointDoc {
  _id: string;
  /** Global position of the last event published (exclusive start of the next read). */
  position: number;
  /** Id of the store's first event: a checkpoint from another store (wiped data dir) is not trusted. */
  epoch: string | null;
  owner: string | null;
  leaseUntil: Date;
}

const schema = new Schema<RelayCheckpointDoc>(
  { _id: String, position: Number, epoch: String, owner: String, leaseUntil: Date },
  { versionKey: false, strict: true, autoIndex: false, id: false },
);

export const RELAY_CHECKPOINTS = 'relay_checkpoints';

/**
 * Checkpoints in MongoDB (collection `relay_checkpoints`) with a lease: of the instances that share
 * one store, one relays at a time. Every write is a single-document update (no transactions).
 */
export class RelayCheckpoints {
  private readonly model: Model<RelayCheckpointDoc>;

  constructor(connection: Connection) {
    this.model =
      (connection.models.RelayCheckpoint as Model<RelayCheckpointDoc> | undefined) ??
      connection.model<RelayCheckpointDoc>('RelayCheckpoint', schema, RELAY_CHECKPOINTS);
  }

  /** Takes (or renews) the lease when it is free, expired or already ours; null when another owner holds it. */
  async acquire(name: string, owner: string, leaseMs: number, now = new Date()): Promise<RelayCheckpointDoc | null> {
    try {
      const doc = await this.model
        .findOneAndUpdate(
          { _id: name, $or: [{ owner }, { leaseUntil: { $lt: now } }] },
          { $set: { owner, leaseUntil: new Date(now.getTime() + leaseMs) }, $setOnInsert: { position: 0, epoch: null } },
          { upsert: true, new: true },
        )
        .lean()
        .exec();
      return doc as RelayCheckpointDoc | null;
    } catch (err) {
      // The document exists and another owner's lease is live: the upsert ran into its _id.
      if (isDuplicateKey(err)) return null;
      throw err;
    }
  }

  /** Moves the checkpoint and renews the lease; false when the lease was lost (someone else relays now). */
  async save(
    name: string,
    owner: string,
    position: number,
    epoch: string | null,
    leaseMs: number,
    now = new Date(),
  ): Promise<boolean> {
    const result = await this.model
      .updateOne({ _id: name, owner }, { $set: { position, epoch, leaseUntil: new Date(now.getTime() + leaseMs) } })
      .exec();
    return result.matchedCount === 1;
  }

  /** Lets another instance take over at once (graceful stop). */
  async release(name: string, owner: string): Promise<void> {
    await this.model.updateOne({ _id: name, owner }, { $set: { leaseUntil: new Date(0) } }).exec();
  }

  async get(name: string): Promise<RelayCheckpointDoc | null> {
    return (await this.model.findById(name).lean().exec()) as RelayCheckpointDoc | null;
  }
}
