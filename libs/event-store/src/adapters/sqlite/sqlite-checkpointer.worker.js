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

parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    // log: pages in the WAL file now; checkpointed: of them, how many are in the database file.
    const [{ log, checkpointed }] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ type: 'checkpointed', log, checkpointed });
  } catch (err) {
    parentPort.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  }
});
