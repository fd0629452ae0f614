// The SQLite store's writer thread. Each message is one batch of appends; the batch is committed in one
// transaction with synchronous=FULL (one fsync). The reply comes only after the commit: an acknowledged
// append is on disk. Plain JavaScript on purpose: worker threads start without the TypeScript loader.
//
// Every check happens before an append writes its first row, so a refused append writes nothing and the
// rest of the batch goes on. Event ids are unique per stream (as in KurrentDB), not across the store: a
// global index on them cost a random B-tree page per event (about a third of the writer's time).
const { join } = require('node:path');
const { parentPort, Worker, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');

// Checkpoints (copying committed pages from the WAL back into the database file) run on a thread of their
// own. SQLite's default runs one inside the commit that fills 1,000 pages of WAL: that commit then waits for
// a thousand random page writes and an fsync of the database file (8-36 ms measured under the token load,
// against 2 ms for a commit), and every request queued behind it waits too. Here the checkpointer copies
// them, asked every `checkpointEvery` appended events, with a PASSIVE checkpoint: it never waits for this
// thread nor makes it wait. Fewer, larger checkpoints also copy a page written by many commits once.
// The WAL file starts over at this thread's first commit after every page in it was copied, which a pass
// running beside commits rarely sees. Once the WAL holds twice `checkpointEvery` pages (32 MiB by default),
// the checkpointer runs more passes, each over the pages committed during the one before, until one finds
// only a few; then this thread copies what is left itself (2-4 ms, against 10-20 ms for the pages of a
// whole pass), so that its next commit starts the file over. Should the checkpointer fail or exit, this
// thread goes back to SQLite's own checkpoints.
// A larger WAL is not free: every page the main thread's connection reads is looked up in it (a hash table
// per 4,096 pages), after each commit has emptied that connection's page cache. At 8,192 events between
// passes the main thread spent 14 % more CPU per purchase (the purchase flow reads streams the cache
// does not hold); at 4,096 it is within the noise, and token issue still gains 10 %.
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;
const checkpointEvery = workerData.checkpointEvery ?? 4096;
const walRestartPages = 2 * checkpointEvery;
let checkpointer = null;
let sinceCheckpoint = 0;
let checkpointing = false;
let closing = false;

function startCheckpointer() {
  if (!(checkpointEvery > 0)) return;
  try {
    checkpointer = new Worker(join(__dirname, 'sqlite-checkpointer.worker.js'), {
      workerData: { file: workerData.file, restartPages: walRestartPages },
    });
  } catch (err) {
    console.error(
      `event store: no checkpointer (${err instanceof Error ? err.message : String(err)}); the writer checkpoints on commit`,
    );
    return;
  }
  db.pragma('wal_autocheckpoint = 0');
  checkpointer.on('message', (m) => {
    checkpointing = false;
    if (m.type === 'failed') return checkpointOnCommit(`its checkpoint failed: ${m.message}`);
    if (m.log < walRestartPages) return;
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Left for the next pass.
    }
  });
  checkpointer.on('error', (err) => checkpointOnCommit(err instanceof Error ? err.message : String(err)));
  checkpointer.on('exit', (code) => {
    if (!closing) checkpointOnCommit(`it exited with code ${code}`);
  });
}

function checkpointOnCommit(reason) {
  if (!checkpointer) return;
  const stopped = checkpointer;
  checkpointer = null;
  db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
  stopped.terminate().catch(() => undefined);
  console.error(`event store: the checkpointer stopped (${reason}); the writer checkpoints on commit again`);
}

/** Counts a commit's events; every `checkpointEvery` of them, asks for a pass (unless one is running). */
function committed(events) {
  if (!checkpointer) return;
  sinceCheckpoint += events;
  if (sinceCheckpoint < checkpointEvery || checkpointing) return;
  sinceCheckpoint = 0;
  checkpointing = true;
  checkpointer.postMessage('checkpoint');
}

function close() {
  closing = true;
  const done = () => {
    db.close();
    parentPort.postMessage({ type: 'closed' });
  };
  if (!checkpointer) return done();
  checkpointer.once('exit', done);
  checkpointer.postMessage('close');
}

const head = db.prepare('SELECT MAX(revision) AS r FROM events WHERE stream_id = ?');
const lastPosition = db.prepare('SELECT MAX(position) AS p FROM events');
const atRevision = db.prepare('SELECT id, position FROM events WHERE stream_id = ? AND revision = ?');
const holds = db.prepare('SELECT 1 FROM events WHERE stream_id = ? AND id = ?');
const inTail = db.prepare('SELECT revision, position FROM events WHERE stream_id = ? AND revision > ? AND id = ?');
/** How far back a retried 'any' append is looked for (best effort there, as in KurrentDB). */
const ANY_RETRY_WINDOW = 64;
const insert = db.prepare(
  'INSERT INTO events (stream_id, revision, id, type, version, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)',
);

function matches(expected, actual) {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === -1;
  return expected === actual;
}

/**
 * The same append again (a retry) is answered with its first result. With an expected revision the
 * events must sit exactly where it put them; with 'any' they are looked up among the stream's last events.
 */
function replayed(append, actual) {
  const { streamId, expected, events } = append;
  const first = events[0].id;
  const last = events[events.length - 1].id;
  if (expected === 'any') {
    const from = actual - ANY_RETRY_WINDOW;
    const a = inTail.get(streamId, from, first);
    const b = a && inTail.get(streamId, from, last);
    return b && b.revision - a.revision === events.length - 1
      ? { ok: true, nextRevision: b.revision, position: b.position, replayed: true }
      : null;
  }
  const from = expected === 'no_stream' ? 0 : expected + 1;
  const a = atRevision.get(streamId, from);
  if (!a || a.id !== first) return null;
  const b = events.length === 1 ? a : atRevision.get(streamId, from + events.length - 1);
  return b && b.id === last ? { ok: true, nextRevision: from + events.length - 1, position: b.position, replayed: true } : null;
}

function apply(append) {
  const { streamId, expected, events, after } = append;
  // The event this append must follow: stored before, or earlier in this batch (applied in order).
  if (after && !holds.get(after.streamId, after.eventId)) return { ok: false, kind: 'missing' };
  if (events.length > 1 && new Set(events.map((e) => e.id)).size !== events.length) {
    return { ok: false, kind: 'error', message: `Append to ${streamId} repeats an event id` };
  }
  const current = head.get(streamId).r;
  const actual = current === null ? -1 : current;
  if (expected === 'any' || !matches(expected, actual)) {
    const again = actual === -1 ? null : replayed(append, actual);
    if (again) return again;
    if (expected !== 'any') return { ok: false, kind: 'conflict', streamId, expected, actual };
  }
  let revision = actual;
  let position = 0;
  for (const e of events) {
    revision += 1;
    position = Number(insert.run(streamId, revision, e.id, e.type, e.version, e.data, e.metadata).lastInsertRowid);
  }
  return { ok: true, nextRevision: revision, position };
}

// `before`/`after`: the store's head when the batch's write lock was taken and when it committed. Nothing
// else writes in between, so the rows in (before, after] are exactly the batch's new events: the main
// thread hands them to its subscribers without reading them back. A failure past the checks (I/O, a full
// disk) fails the whole batch: nothing of it is committed and every append in it is rejected.
// A store created before ids were per stream keeps its UNIQUE index on them: there an append may still
// fail on its insert, so each runs in a savepoint that a failure rolls back alone.
const legacyIdIndex = db
  .prepare(
    "SELECT 1 FROM pragma_index_list('events') l JOIN pragma_index_info(l.name) i WHERE l.\"unique\" = 1 AND i.name = 'id'",
  )
  .get();
const applyInSavepoint = db.transaction(apply);
function applyLegacy(append) {
  try {
    return applyInSavepoint(append);
  } catch (err) {
    return { ok: false, kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
}

// An append whose required event is not stored yet may name one that a later append of the same batch
// stores (appends made in one tick through different services reach the queue in no set order): it is
// tried again once the rest of the batch was applied, and again for as long as a pass stores one of
// those waiting; what is still missing then is refused. Nothing is written for an append until its
// required event is stored, so a waiting append is stored after it (a later position).
const commitBatch = db.transaction((appends) => {
  const before = lastPosition.get().p ?? 0;
  const applyOne = legacyIdIndex ? applyLegacy : apply;
  const outcomes = new Array(appends.length);
  let pending = appends.map((_, i) => i);
  while (pending.length > 0) {
    const waiting = [];
    for (const i of pending) {
      outcomes[i] = applyOne(appends[i]);
      if (outcomes[i].kind === 'missing') waiting.push(i);
    }
    // A pass that stored none of those tried cannot help the ones still waiting: they stay refused.
    if (waiting.length === pending.length) break;
    pending = waiting;
  }
  return { outcomes, before, after: lastPosition.get().p ?? 0 };
});

/** Separates the fields of a framed batch (see encodeBatch in sqlite-event-store.ts). */
const FIELD = '\u0001';

/**
 * A commit as sent by SqliteEventStore.flush: framed fields, data and metadata already the JSON text to
 * store; or, for what the framing does not carry (see encodeBatch), one JSON document whose data is
 * stringified here.
 */
function decodeBatch(raw) {
  if (raw[0] === '{') {
    const message = JSON.parse(raw);
    for (const append of message.appends) {
      for (const e of append.events) {
        e.data = JSON.stringify(e.data);
        e.metadata = JSON.stringify(e.metadata);
      }
    }
    return message;
  }
  const f = raw.split(FIELD);
  let i = 1;
  const batch = Number(f[i++]);
  const appends = new Array(Number(f[i++]));
  for (let a = 0; a < appends.length; a++) {
    const streamId = f[i++];
    const x = f[i++];
    const expected = x === 'a' ? 'any' : x === 'n' ? 'no_stream' : Number(x);
    const afterStream = f[i++];
    const afterId = f[i++];
    const events = new Array(Number(f[i++]));
    for (let j = 0; j < events.length; j++) {
      events[j] = { id: f[i++], type: f[i++], version: Number(f[i++]), data: f[i++], metadata: f[i++] };
    }
    appends[a] = afterStream
      ? { streamId, expected, events, after: { streamId: afterStream, eventId: afterId } }
      : { streamId, expected, events };
  }
  if (i !== f.length) throw new Error(`malformed batch: ${f.length} fields, ${i} read`);
  return { type: 'commit', batch, appends };
}

parentPort.on('message', (raw) => {
  if (typeof raw !== 'string') {
    if (raw.type === 'close') close();
    return;
  }
  let message;
  try {
    message = decodeBatch(raw);
  } catch (err) {
    // Replies answer batches in the order they came: this one is refused, the writer goes on.
    const reason = err instanceof Error ? err.message : String(err);
    parentPort.postMessage({ type: 'failed', batch: null, message: `the writer could not read the batch: ${reason}` });
    return;
  }
  try {
    const result = commitBatch.immediate(message.appends);
    parentPort.postMessage({ type: 'committed', batch: message.batch, ...result });
    committed(result.after - result.before);
  } catch (err) {
    parentPort.postMessage({ type: 'failed', batch: message.batch, message: err instanceof Error ? err.message : String(err) });
  }
});

startCheckpointer();
