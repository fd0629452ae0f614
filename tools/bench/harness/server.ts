import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { processCpuMs, RssMeter, threadCpuMs } from './rss';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const REGISTER = join(REPO_ROOT, 'tools', 'register.js');
const EMBEDDED_MAIN = join(REPO_ROOT, 'apps', 'embedded', 'src', 'main.ts');
const CEILING_MAIN = join(REPO_ROOT, 'tools', 'bench', 'fixtures', 'ceiling-server.ts');
/** The node flags `npm start` gives the embedded app (package.json), so every server here runs as it does. */
export const START_FLAGS = nodeFlagsOf(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).scripts.start);

/** The `--flags` between `node` and its first other argument in a start script. */
export function nodeFlagsOf(script: string): string[] {
  const words = script.trim().split(/\s+/);
  const flags: string[] = [];
  for (const word of words.slice(words.indexOf('node') + 1)) {
    if (!word.startsWith('--')) break;
    flags.push(word);
  }
  return flags;
}

export interface ServerProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly dataDir?: string;
  readonly rss: RssMeter;
  /** Milliseconds from spawn to the first good readiness probe. */
  readonly bootMs: number;
  /**
   * Runs `work` as one measured window: peak RSS over just that window, and with --profile a CPU
   * profile of just that window (`<name>-<label>.cpuprofile`).
   */
  measure<T>(label: string, work: () => Promise<T>): Promise<Measured<T>>;
  /** SIGTERM, then SIGKILL if it has not exited within the grace period. */
  stop(): Promise<void>;
  /** SIGKILL at once: a crash, for durability checks. */
  kill(): Promise<void>;
  logTail(): string;
}

export interface Measured<T> {
  result: T;
  rssMiB: number;
  /** CPU time the server used during the window (all its threads). */
  cpuMs: number;
  /** Of that, its main thread's: the event loop, where every request is handled. */
  mainCpuMs: number;
  wallMs: number;
}

export interface SpawnOptions {
  name: string;
  env?: Record<string, string>;
  dataDir?: string;
  /** With `--profile`: CPU profiles of the child per measured window go into this folder. */
  profileDir?: string;
  readyTimeoutMs?: number;
}

/** A fresh temp folder for one bench run; everything the run writes goes below it. */
export function makeWorkDir(): string {
  return mkdtempSync(join(tmpdir(), 'concert-bench-'));
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/** The real embedded app (all four services, SQLite store) as a child process on loopback. */
export function spawnEmbedded(workDir: string, options: SpawnOptions): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? join(workDir, `${options.name}-data`);
  mkdirSync(dataDir, { recursive: true });
  return spawnNode(workDir, EMBEDDED_MAIN, { ...options, dataDir }, '/health', {
    DATA_DIR: dataDir,
    // All load comes from one loopback address standing for thousands of clients: no per-IP limit.
    RATE_LIMIT_RPS_PER_IP: '0',
    ...options.env,
  });
}

/** The ceiling: a bare Fastify app serving GET /ping, in its own process like the app under test. */
export function spawnCeiling(workDir: string, options: Omit<SpawnOptions, 'dataDir'>): Promise<ServerProcess> {
  return spawnNode(workDir, CEILING_MAIN, options, '/ping', {});
}

async function spawnNode(
  workDir: string,
  main: string,
  options: SpawnOptions,
  readyPath: string,
  env: Record<string, string>,
): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(workDir, `${options.name}.log`);
  const log = openSync(logFile, 'a');
  const nodeArgs = [...START_FLAGS, ...(process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? []), '-r', REGISTER];
  const profileBase = options.profileDir ? join(options.profileDir, options.name) : undefined;
  if (options.profileDir) {
    mkdirSync(options.profileDir, { recursive: true });
    nodeArgs.push('-r', join(REPO_ROOT, 'tools', 'bench', 'harness', 'profiler-preload.js'));
  }
  const started = Date.now();
  const child = spawn(process.execPath, [...nodeArgs, main], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ...(profileBase ? { BENCH_PROFILE_FILE: profileBase } : {}),
      ...env,
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const logTail = (): string => tail(logFile, 30);
  try {
    await waitReady(url + readyPath, child, options.readyTimeoutMs ?? 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${options.name} did not become ready: ${(err as Error).message}\n${logTail()}`);
  }
  const bootMs = Date.now() - started;
  const pid = child.pid!;
  return {
    name: options.name,
    url,
    pid,
    dataDir: options.dataDir,
    rss: new RssMeter(pid),
    bootMs,
    async measure(label, work) {
      const rss = new RssMeter(pid);
      if (profileBase) await cutProfile(child, profileBase, `before-${label}`);
      rss.reset();
      const cpuBefore = processCpuMs(pid);
      const mainBefore = threadCpuMs(pid, pid);
      const started = Date.now();
      try {
        const result = await work();
        return {
          result,
          rssMiB: rss.peakMiB(),
          cpuMs: processCpuMs(pid) - cpuBefore,
          mainCpuMs: threadCpuMs(pid, pid) - mainBefore,
          wallMs: Date.now() - started,
        };
      } finally {
        rss.stop();
        if (profileBase) await cutProfile(child, profileBase, label);
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (profileBase) await cutProfile(child, profileBase, 'until-stop');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    logTail,
  };
}

/** Asks the preload to write the samples since its last cut as `<base>-<label>.cpuprofile`. */
async function cutProfile(child: ChildProcess, base: string, label: string): Promise<void> {
  rmSync(`${base}.done`, { force: true });
  writeFileSync(`${base}.label`, label);
  child.kill('SIGUSR2');
  const deadline = Date.now() + 15_000;
  while (!existsSync(`${base}.done`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited early (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no answer from ${url} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
