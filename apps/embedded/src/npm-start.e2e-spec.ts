import { ChildProcess, spawn } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { LISTEN_BACKLOG } from '@concert/gateway';

const repoRoot = resolve(__dirname, '../../..');

/** The listen queue length of a listening TCP port, from `ss` (its Send-Q column); undefined without `ss`. */
function listenBacklog(port: number): number | undefined {
  const ss = spawnSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' });
  if (ss.error || ss.status !== 0) return undefined;
  const fields = ss.stdout.trim().split(/\s+/);
  return Number(fields[2]);
}
const BOOT_DEADLINE_MS = 15_000;
const EXIT_DEADLINE_MS = 10_000;

interface Started {
  proc: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** How an operator runs it: `npm start` (or the node command it wraps) with settings in the environment. */
describe('the embedded app as a process', () => {
  jest.setTimeout(90_000);
  let dataDir: string;
  let started: Started[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'npm-start-'));
  });

  afterEach(async () => {
    for (const { proc, exit } of started) {
      if (proc.exitCode === null && proc.signalCode === null) {
        killGroup(proc, 'SIGKILL');
        await exit;
      } else {
        // The wrapper may be gone while what it started is not.
        killGroup(proc, 'SIGKILL');
      }
    }
    started = [];
    rmSync(dataDir, { recursive: true, force: true });
  });

  function start(command: string, args: string[], env: Record<string, string>): Started {
    const proc = spawn(command, args, {
      cwd: repoRoot,
      env: { ...process.env, HOST: '127.0.0.1', DATA_DIR: dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group, so cleanup can reach whatever the wrapper started.
      detached: true,
    });
    let output = '';
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      proc.on('exit', (code, signal) => done({ code, signal })),
    );
    const s = { proc, output: () => output, exit };
    started.push(s);
    return s;
  }

  async function answersWithin(port: number, s: Started, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const status = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      if (s.proc.exitCode !== null) throw new Error(`exited with ${s.proc.exitCode} before answering:\n${s.output()}`);
      if (Date.now() > deadline) throw new Error(`no HTTP answer within ${ms} ms:\n${s.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function exitsWithin(s: Started, ms: number) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still running ${ms} ms after SIGTERM:\n${s.output()}`)), ms);
    });
    try {
      return await Promise.race([s.exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function portIsClosed(port: number): Promise<boolean> {
    return fetch(`http://127.0.0.1:${port}/health`).then(
      () => false,
      () => true,
    );
  }

  // npm forwards SIGTERM to its direct child only: the start script must `exec node …`, or the
  // `sh -c` npm puts in between dies of the signal (npm exits 143) and the app is left orphaned.
  it('npm start answers HTTP within 15 s and exits 0 on SIGTERM, leaving nothing running', async () => {
    const port = await freePort();
    const s = start('npm', ['start'], { PORT: String(port) });
    await answersWithin(port, s, BOOT_DEADLINE_MS);
    const docs = await fetch(`http://127.0.0.1:${port}/openapi.json`);
    expect(docs.status).toBe(200);
    // An on-sale opens with a burst of connects: the listen queue is sized for it, not Node's 511.
    const backlog = listenBacklog(port);
    if (backlog === undefined) console.warn('listen backlog not checked: `ss` (iproute2) is not installed here');
    else expect(backlog).toBe(Math.min(LISTEN_BACKLOG, Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'))));

    s.proc.kill('SIGTERM');
    const exit = await exitsWithin(s, EXIT_DEADLINE_MS);
    expect({ ...exit, output: exit.code === 0 ? '' : s.output() }).toEqual({ code: 0, signal: null, output: '' });
    expect(await portIsClosed(port)).toBe(true);
  });

  it('the node process behind npm start closes gracefully on SIGTERM and SIGINT (exit 0) and boots again on its data', async () => {
    const node = [process.execPath, ['-r', './tools/register.js', 'apps/embedded/src/main.ts']] as const;
    const userId = '0b5d8a4e-2f1c-4d7a-9e6b-3c2a1f0e9d8c';
    let token = '';
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const port = await freePort();
      const s = start(node[0], [...node[1]], { PORT: String(port) });
      await answersWithin(port, s, BOOT_DEADLINE_MS);
      if (!token) {
        const res = await fetch(`http://127.0.0.1:${port}/queue/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userId }),
        });
        token = ((await res.json()) as { token: string }).token;
      } else {
        // Second boot on the same DATA_DIR: the token issued before the first shutdown is still known.
        const status = await fetch(`http://127.0.0.1:${port}/queue/status`, { headers: { authorization: `Bearer ${token}` } });
        expect(status.status).toBe(200);
      }
      s.proc.kill(signal);
      const exit = await exitsWithin(s, EXIT_DEADLINE_MS);
      expect({ sent: signal, ...exit, output: exit.code === 0 ? '' : s.output() }).toEqual({
        sent: signal,
        code: 0,
        signal: null,
        output: '',
      });
      expect(await portIsClosed(port)).toBe(true);
    }
  });

  it.each([
    ['npm', ['start']],
    [process.execPath, ['-r', './tools/register.js', 'apps/embedded/src/main.ts']],
  ])('%s with a bad setting exits non-zero naming the variable', async (command, args) => {
    const s = start(command, args, { PORT: String(await freePort()), QUEUE_MAX_ACTIVE: 'abc', HOLD_TTL_SECONDS: '-5' });
    const exit = await exitsWithin(s, 30_000);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(s.output()).toContain('QUEUE_MAX_ACTIVE');
    expect(s.output()).toContain('"abc"');
    expect(s.output()).toContain('HOLD_TTL_SECONDS');
  });
});

function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (proc.pid) process.kill(-proc.pid, signal);
  } catch {
    // already gone
  }
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}
