import Database from 'better-sqlite3';
import { join } from 'node:path';

/**
 * Reads a stopped server's event store directly: what a restart would find. Used to check that
 * every write a client was told succeeded is there after a SIGKILL.
 */
export class StoreCheck {
  private readonly db: Database.Database;

  constructor(dataDir: string) {
    this.db = new Database(join(dataDir, 'events.db'));
  }

  /** Values of `data.<field>` over all events of `type`. */
  values(type: string, field: string, where = ''): Set<string> {
    const rows = this.db
      .prepare<[string], { v: string }>(`SELECT json_extract(data, '$.${field}') AS v FROM events WHERE type = ? ${where}`)
      .all(type);
    return new Set(rows.map((r) => String(r.v)));
  }

  count(type: string, where = ''): number {
    return this.db.prepare<[string], { n: number }>(`SELECT COUNT(*) AS n FROM events WHERE type = ? ${where}`).get(type)!.n;
  }

  /** How many different streams hold an event of `type`. */
  streams(type: string): number {
    return this.db.prepare<[string], { n: number }>('SELECT COUNT(DISTINCT stream_id) AS n FROM events WHERE type = ?').get(type)!
      .n;
  }

  total(): number {
    return this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM events').get()!.n;
  }

  close(): void {
    this.db.close();
  }
}

/** How many of `expected` are missing from `found`. */
export function missing(expected: Iterable<string>, found: Set<string>): number {
  let n = 0;
  for (const id of expected) if (!found.has(id)) n++;
  return n;
}
