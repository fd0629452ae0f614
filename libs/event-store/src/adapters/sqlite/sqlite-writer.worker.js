// The SQLite store's writer thread. Each message is one batch of appends; the batch is committed in one
// transaction with synchronous=FULL (one fsync), each append in its own savepoint so a failing append
// rolls back alone. The reply comes only after the commit: an acknowledged append is on disk.
// Plain JavaScript on purpose: worker threads start without the TypeScript loader.
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');

const head = db.prepare('SELECT MAX(revision) AS r FROM events WHERE stream_id = ?');
const lastPosition = db.prepare('SELECT MAX(position) AS p FROM events');
const byId = db.prepare('SELECT stream_id, revision, position FROM events WHERE id = ?');
const insert = db.prepare(
  'INSERT INTO events (stream_id, revision, id, type, version, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)',
);

function matches(expected, actual) {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === -1;
  return expected === actual;
}

function applyOne(append) {
  const { streamId, expected, events } = append;
  const existing = byId.get(events[0].id);
  if (existing) {
    const last = byId.get(events[events.length - 1].id);
    if (existing.stream_id === streamId && last) return { ok: true, nextRevision: last.revision, position: last.position, replayed: true };
    return { ok: false, kind: 'error', message: `Event ${events[0].id} already exists in ${existing.stream_id}` };
  }
  if (new Set(events.map((e) => e.id)).size !== events.length) {
    return { ok: false, kind: 'error', message: `Append to ${streamId} repeats an event id` };
  }
  const current = head.get(streamId).r;
  const actual = current === null ? -1 : current;
  if (!matches(expected, actual)) return { ok: false, kind: 'conflict', streamId, expected, actual };
  let revision = actual;
  let position = 0;
  for (const e of events) {
    revision += 1;
    position = Number(insert.run(streamId, revision, e.id, e.type, e.version, e.data, e.metadata).lastInsertRowid);
  }
  return { ok: true, nextRevision: revision, position };
}

const applyInSavepoint = db.transaction(applyOne);

/** An append whose first event id is stored already: the same append again (answered), or a clash. */
function replayOr(append, otherwise) {
  const { streamId, events } = append;
  const existing = byId.get(events[0].id);
  if (!existing) return otherwise;
  const last = byId.get(events[events.length - 1].id);
  if (existing.stream_id === streamId && last) return { ok: true, nextRevision: last.revision, position: last.position, replayed: true };
  return { ok: false, kind: 'error', message: `Event ${events[0].id} already exists in ${existing.stream_id}` };
}

/**
 * The common case, one event: no savepoint and no lookup by id up front. A failed INSERT backs out
 * only itself (ON CONFLICT ABORT), and an id already stored shows up as its UNIQUE violation.
 */
function applySingle(append) {
  const { streamId, expected, events } = append;
  const e = events[0];
  const current = head.get(streamId).r;
  const actual = current === null ? -1 : current;
  if (!matches(expected, actual)) return replayOr(append, { ok: false, kind: 'conflict', streamId, expected, actual });
  try {
    const position = Number(insert.run(streamId, actual + 1, e.id, e.type, e.version, e.data, e.metadata).lastInsertRowid);
    return { ok: true, nextRevision: actual + 1, position };
  } catch (err) {
    if (!(err && typeof err.code === 'string' && err.code.startsWith('SQLITE_CONSTRAINT'))) throw err;
    return replayOr(append, { ok: false, kind: 'error', message: err.message });
  }
}

// `before`/`after`: the store's head when the batch's write lock was taken and when it committed. Nothing
// else writes in between, so the rows in (before, after] are exactly the batch's new events: the main
// thread hands them to its subscribers without reading them back.
const commitBatch = db.transaction((appends) => {
  const before = lastPosition.get().p ?? 0;
  const outcomes = appends.map((append) => {
    if (append.events.length === 1) return applySingle(append);
    try {
      return applyInSavepoint(append);
    } catch (err) {
      return { ok: false, kind: 'error', message: err instanceof Error ? err.message : String(err) };
    }
  });
  return { outcomes, before, after: lastPosition.get().p ?? 0 };
});

parentPort.on('message', (raw) => {
  // A commit comes as one JSON string (see SqliteEventStore.flush); data and metadata are stored as JSON text.
  const message = typeof raw === 'string' ? JSON.parse(raw) : raw;
  if (message.type === 'commit') {
    for (const append of message.appends) {
      for (const e of append.events) {
        e.data = JSON.stringify(e.data);
        e.metadata = JSON.stringify(e.metadata);
      }
    }
  }
  if (message.type === 'close') {
    db.close();
    parentPort.postMessage({ type: 'closed' });
    return;
  }
  try {
    parentPort.postMessage({ type: 'committed', batch: message.batch, ...commitBatch.immediate(message.appends) });
  } catch (err) {
    parentPort.postMessage({ type: 'failed', batch: message.batch, message: err instanceof Error ? err.message : String(err) });
  }
});
