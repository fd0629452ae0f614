import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  /** SIGKILL: a crash, nothing flushed, no shutdown hook. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  logTail(lines?: number): string;
}

export interface SpawnOptions {
  dataDir: string;
  /** Settings (README: Settings); PORT, HOST and DATA_DIR are set here. */
  env?: Record<string, string>;
  /** Reuse a port (restarts); a free one otherwise. */
  port?: number;
  logFile?: string;
  readyTimeoutMs?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => done(port));
    });
  });
}

/**
 * The real embedded server as its own process, the way `npm start` runs it:
 * `node -r ./tools/register.js apps/embedded/src/main.ts`, on 127.0.0.1 only.
 */
export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  mkdirSync(options.dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const logFile = options.logFile ?? join(options.dataDir, 'server.log');
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['-r', './tools/register.js', 'apps/embedded/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      RATE_LIMIT_RPS_PER_IP: '0',
      RATE_LIMIT_RPS_PER_TOKEN: '0',
      ...options.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: options.dataDir,
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  const logTail = (lines = 30) => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  for (;;) {
    if (!alive()) throw new Error(`server exited before it was ready (${JSON.stringify(await exited)}):\n${logTail()}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`server not ready within ${options.readyTimeoutMs ?? 120_000} ms:\n${logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    pid: child.pid!,
    dataDir: options.dataDir,
    exited,
    logTail,
    async kill() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 15_000) {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface AuditRun {
  exitCode: number;
  report: AuditJson | null;
  stderr: string;
}

export interface AuditJson {
  ok: boolean;
  totals: Record<string, number> & { eventsByType?: Record<string, number> };
  checks: { id: string; rule: string; ok: boolean; violations: number }[];
  violations: { check: string; rule: string; message: string }[];
  inFlight: unknown[];
}

/** `npm run audit -- --data-dir <dir> --json`: exit 0 when the log proves every invariant. */
export function runAudit(dataDir: string, extraArgs: string[] = []): AuditRun {
  const run = spawnSync('npm', ['run', '--silent', 'audit', '--', '--data-dir', dataDir, '--json', '--quiet', ...extraArgs], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  let report: AuditJson | null = null;
  try {
    report = JSON.parse(run.stdout) as AuditJson;
  } catch {
    report = null;
  }
  return { exitCode: run.status ?? -1, report, stderr: `${run.stderr ?? ''}${run.error ? String(run.error) : ''}` };
}
