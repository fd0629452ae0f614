import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { call } from './lib/http';
import { table, writeResults } from './lib/results';
import { ServerProcess, spawnServer } from './lib/server';

/**
 * Property-based fuzzing of the whole API from its own /openapi.json with schemathesis (PyPI): valid and
 * invalid inputs for every operation, with an ACTIVE token. Checks: no 5xx, every status documented,
 * every body (errors included: exactly {statusCode, message, error}) valid against its schema, content
 * types and headers as documented, invalid input refused, and auth not ignored.
 */
// The project's testTimeout in jest.config.js is not applied per project by Jest 30: set it here.
jest.setTimeout(600_000);

const VENV = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'concert-reliability', 'venv');
const SCHEMATHESIS = join(VENV, 'bin', 'schemathesis');
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
  'ignored_auth',
];
const MAX_EXAMPLES = Number(process.env.FUZZ_MAX_EXAMPLES ?? 80);
const RUN_LIMIT_MS = 240_000;

interface CheckCount {
  name: string;
  passed: number;
  total: number;
  verdict: string;
}

/** The "Performed checks" table and the closing line of `schemathesis run`. */
export function parseSchemathesisOutput(out: string): {
  checks: CheckCount[];
  operations: number;
  passed: number;
  failed: number;
  errored: number;
} {
  const checks: CheckCount[] = [];
  for (const m of out.matchAll(/^\s+(\w+)\s+(\d+) \/ (\d+) passed\s+(PASSED|FAILED)/gm)) {
    checks.push({ name: m[1], passed: Number(m[2]), total: Number(m[3]), verdict: m[4] });
  }
  const operations = Number(/Collected API operations: (\d+)/.exec(out)?.[1] ?? 0);
  const closing =
    out
      .split('\n')
      .filter((l) => /=+ .*(passed|failed|errored).* in [\d.]+s =+/.test(l))
      .pop() ?? '';
  const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(closing)?.[1] ?? 0);
  return { checks, operations, passed: count('passed'), failed: count('failed'), errored: count('errored') };
}

describe('fuzzing the API with schemathesis against /openapi.json', () => {
  let server: ServerProcess | undefined;
  let dataDir: string;
  let workDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'concert-fuzz-'));
    workDir = mkdtempSync(join(tmpdir(), 'concert-fuzz-work-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  it('finds no 5xx, no undocumented status, no body off its schema, no error off the seed shape', async () => {
    if (!existsSync(SCHEMATHESIS)) {
      throw new Error(
        `schemathesis is not installed at ${SCHEMATHESIS}: run \`bash tools/reliability/setup.sh\` first (CI runs it)`,
      );
    }
    // Rate limits off: on a quiet machine one fuzzer outruns 20 writes/s on its one token, and a 429 would
    // hide the answer under test (rate-limit.rel-spec.ts covers the limits).
    server = await spawnServer({
      dataDir,
      env: { QUEUE_MAX_ACTIVE: '100000', RATE_LIMIT_RPS_PER_IP: '0', RATE_LIMIT_RPS_PER_TOKEN: '0' },
    });
    const userId = randomUUID();
    const issued = await call(server.url, 'POST', '/queue/token', { body: { userId } });
    expect(issued).toMatchObject({ status: 200, body: { status: 'ACTIVE' } });
    const token: string = issued.body.token;
    expect((await call(server.url, 'POST', `/users/${userId}/charge`, { token, body: { amount: 1_000_000 } })).status).toBe(200);

    const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const args = [
      'run',
      `${server.url}/openapi.json`,
      '--header',
      `Authorization: Bearer ${token}`,
      '--set-path',
      `userId=${userId}`,
      '--checks',
      CHECKS.join(','),
      '--data-generation-method',
      'all',
      '--contrib-openapi-formats-uuid',
      '--hypothesis-max-examples',
      String(MAX_EXAMPLES),
      '--hypothesis-deadline',
      '15000',
      '--hypothesis-database',
      'none',
      '--hypothesis-seed',
      String(seed),
      '--hypothesis-suppress-health-check',
      'too_slow,filter_too_much,data_too_large',
      '--request-timeout',
      '20000',
      '--junit-xml',
      join(workDir, 'junit.xml'),
      '--no-color',
    ];
    const started = Date.now();
    const run = await new Promise<{ code: number | null; out: string; timedOut: boolean }>((done) => {
      const child = spawn(SCHEMATHESIS, args, {
        cwd: workDir,
        env: {
          ...process.env,
          SCHEMATHESIS_TELEMETRY: 'false',
          SCHEMATHESIS_HOSTS_PATH: join(workDir, 'hosts.toml'),
          NO_COLOR: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, RUN_LIMIT_MS);
      child.on('close', (code) => {
        clearTimeout(timer);
        done({ code, out, timedOut });
      });
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const parsed = parseSchemathesisOutput(run.out);
    const junit = existsSync(join(workDir, 'junit.xml')) ? readFileSync(join(workDir, 'junit.xml'), 'utf8') : '';
    const testcases = (junit.match(/<testcase /g) ?? []).length;
    const answers = parsed.checks.find((c) => c.name === 'not_a_server_error')?.total ?? 0;

    writeResults('fuzz', 'Fuzzing (schemathesis against /openapi.json)', [
      `schemathesis 3.39.16 (tools/reliability/setup.sh), positive and negative data, up to ${MAX_EXAMPLES} examples per operation, ` +
        `seed ${seed}, ${parsed.operations} operations, ${seconds} s; ${answers} responses checked.`,
      '',
      ...table(
        ['check', 'passed', 'of', 'verdict'],
        parsed.checks.map((c) => [c.name, c.passed, c.total, c.verdict]),
      ),
      '',
      `Operations: ${parsed.passed} passed, ${parsed.failed} failed, ${parsed.errored} errored (${testcases} JUnit test cases).`,
    ]);

    const why = `schemathesis exit ${run.code}${run.timedOut ? ' (killed at the time limit)' : ''}, seed ${seed}:\n${run.out.slice(-6000)}`;
    expect({ exit: run.code, timedOut: run.timedOut, why: run.code === 0 ? '' : why }).toEqual({
      exit: 0,
      timedOut: false,
      why: '',
    });
    expect(parsed.operations).toBeGreaterThanOrEqual(10);
    expect(parsed.failed + parsed.errored).toBe(0);
    expect(parsed.checks.map((c) => c.name).sort()).toEqual([...CHECKS].sort());
    for (const check of parsed.checks)
      expect({ check: check.name, verdict: check.verdict }).toEqual({ check: check.name, verdict: 'PASSED' });
    expect(answers).toBeGreaterThan(parsed.operations * 5);
  });
});
