/**
 * SIGTERM/SIGINT: run `close` (stop taking requests, let the modules finish, close the store), then
 * exit 0. A second signal or a close that outlasts the deadline exits 1 at once; nothing acknowledged
 * is lost either way, since an acknowledged append is already on disk.
 */
export function closeOnSignals(
  close: () => Promise<unknown>,
  options: { deadlineMs: number; log?: (message: string) => void; exitWithParent?: boolean },
): void {
  let closing = false;
  const stop = (signal: NodeJS.Signals) => {
    if (closing) {
      process.stderr.write(`${signal} while closing: exiting now\n`);
      process.exit(1);
    }
    closing = true;
    options.log?.(`${signal}: closing`);
    setTimeout(() => {
      process.stderr.write(`did not close within ${options.deadlineMs} ms: exiting\n`);
      process.exit(1);
    }, options.deadlineMs).unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`close failed: ${err instanceof Error ? err.stack : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Started by a supervisor over IPC: if it dies, do not outlive it.
  if (options.exitWithParent && process.send) process.once('disconnect', () => stop('SIGTERM'));
}
