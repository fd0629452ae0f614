import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from './sqlite-event-store';

const repoRoot = resolve(__dirname, '../../../../..');
const child = join(__dirname, 'test-fixtures', 'append-until-killed.ts');

/** Acknowledged means on disk: a process killed mid-write loses nothing it was told succeeded. */
describe('SqliteEventStore durability', () => {
  jest.setTimeout(120_000);
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-durability-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every acknowledged event after SIGKILL, and the store opens and accepts writes again', async () => {
    const file = join(dir, 'events.db');
    const proc = spawn(process.execPath, ['-r', './tools/register.js', child, file, '8'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = collectLines(proc);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      proc.on('exit', (code, signal) => done({ code, signal })),
    );

    // Boot (SWC transpiling) can take seconds on a loaded machine: wait for real acknowledgements first.
    await until(
      () => out.lines.length > 50,
      60_000,
      () => `child acknowledged nothing; stderr: ${out.stderr()}`,
    );
    await new Promise((r) => setTimeout(r, 1000));
    proc.kill('SIGKILL');
    const exit = await exited;
    expect(exit.signal).toBe('SIGKILL');

    const acknowledged = out.lines.filter((l) => l !== 'ready');
    expect(acknowledged.length).toBeGreaterThan(50);

    const store = new SqliteEventStore(file);
    try {
      const stored = new Map<string, number>();
      let after = 0;
      for (;;) {
        const page = await store.readAll(after, 5000);
        if (page.length === 0) break;
        for (const e of page) {
          expect(e.position).toBeGreaterThan(after);
          stored.set(e.id, e.position);
          after = e.position;
        }
      }
      const lost = acknowledged.filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
      expect(stored.size).toBeGreaterThanOrEqual(acknowledged.length);

      for (let w = 0; w < 8; w++) {
        const events = await store.readStream(`durability-${w}`);
        expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
      }

      const id = randomUUID();
      const meta = { occurredAt: new Date().toISOString(), correlationId: id, causationId: id };
      const r = await store.append(
        'durability-after-restart',
        [{ id, type: 'Reopened', version: 1, data: {}, metadata: meta }],
        'no_stream',
      );
      expect(r.position).toBeGreaterThan(after);
      expect(await store.headPosition()).toBe(r.position);
    } finally {
      await store.close();
    }
  });
});

/** Complete lines only: the last one may have been cut by the kill. */
function collectLines(proc: ChildProcess): { lines: string[]; stderr: () => string } {
  const lines: string[] = [];
  let partial = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  return { lines, stderr: () => err };
}

async function until(condition: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(describe());
    await new Promise((r) => setTimeout(r, 50));
  }
}
