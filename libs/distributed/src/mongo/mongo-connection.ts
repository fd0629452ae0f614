import mongoose, { Connection } from 'mongoose';

/** One mongoose connection of its own (never the global one), so several can live in one process. */
export async function connectMongo(url: string, options: { serverSelectionTimeoutMS?: number } = {}): Promise<Connection> {
  const connection = mongoose.createConnection(url, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
    // FerretDB (and a standalone mongod) have no sessions or retryable writes to offer.
    retryWrites: false,
    autoIndex: false,
  });
  await connection.asPromise();
  return connection;
}

export const DUPLICATE_KEY = 11000;

export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: { code?: number }[] } | null;
  return e?.code === DUPLICATE_KEY || (Array.isArray(e?.writeErrors) && e.writeErrors.some((w) => w?.code === DUPLICATE_KEY));
}
