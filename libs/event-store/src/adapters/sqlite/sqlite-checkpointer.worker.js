// The SQLite store's checkpointer thread (started by the writer thread, see sqlite-writer.worker.js): on each
// request it copies the pages committed to the WAL back into the database file with a PASSIVE checkpoint,
// which takes no lock the writer waits on and never waits itself, then syncs the database file (synchronous
// = FULL) before SQLite counts the pages as copied. The WAL keeps every page until then: a crash at any
// point loses nothing. Plain JavaScript for the same reason as the writer (worker threads start without
// the TypeScript loader).
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = FULL');
db.pragma('wal_autocheckpoint = 0');

/** Passes after the first, at most, to catch up with a WAL the writer keeps writing. */
const MAX_CATCH_UP_PASSES = 4;
/** Pages a catch-up pass may find new and still count as caught up (a commit or two). */
const FEW_PAGES = 64;

parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    // log: the pages in the WAL when the pass began (the pass copies them all unless a reader holds some).
    let [{ log }] = db.pragma('wal_checkpoint(PASSIVE)');
    // A WAL the writer will start over (see sqlite-writer.worker.js): copy the pages committed during the
    // pass too, until a pass finds only a few new ones, so that the writer's own step copies next to nothing.
    for (let again = 0; again < MAX_CATCH_UP_PASSES && log >= workerData.restartPages; again++) {
      const before = log;
      [{ log }] = db.pragma('wal_checkpoint(PASSIVE)');
      if (log - before <= FEW_PAGES) break;
    }
    parentPort.postMessage({ type: 'checkpointed', log });
  } catch (err) {
    parentPort.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  }
});
