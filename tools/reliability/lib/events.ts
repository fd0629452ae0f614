import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface LoggedEvent {
  position: number;
  streamId: string;
  type: string;
  data: Record<string, unknown>;
}

function open(dataDir: string): Database.Database {
  const file = join(dataDir, 'events.db');
  if (!existsSync(file)) throw new Error(`no event store at ${file}`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Rows in the events table (read-only, beside the running server: WAL lets a reader in). */
export function countEvents(dataDir: string): number {
  const db = open(dataDir);
  try {
    return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Every event of the given types, in log order. */
export function readEvents(dataDir: string, types: string[]): LoggedEvent[] {
  const db = open(dataDir);
  try {
    const rows = db
      .prepare(
        `SELECT position, stream_id, type, data FROM events WHERE type IN (${types.map(() => '?').join(',')}) ORDER BY position`,
      )
      .all(...types) as { position: number; stream_id: string; type: string; data: string }[];
    return rows.map((r) => ({ position: r.position, streamId: r.stream_id, type: r.type, data: JSON.parse(r.data) }));
  } finally {
    db.close();
  }
}

/** The head position of the log (0 when empty). */
export function headPosition(dataDir: string): number {
  const db = open(dataDir);
  try {
    return (db.prepare('SELECT coalesce(max(position), 0) AS p FROM events').get() as { p: number }).p;
  } finally {
    db.close();
  }
}

/** `type stream` of every event after `position`: what a step wrote, for failure messages. */
export function eventsAfter(dataDir: string, position: number): string[] {
  const db = open(dataDir);
  try {
    const rows = db.prepare('SELECT type, stream_id FROM events WHERE position > ? ORDER BY position LIMIT 50').all(position) as {
      type: string;
      stream_id: string;
    }[];
    return rows.map((r) => `${r.type} ${r.stream_id}`);
  } finally {
    db.close();
  }
}
