import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

describe('tools/register.js: TypeScript run directly', () => {
  const cache = mkdtempSync(join(tmpdir(), 'ts-cache-'));
  const dir = mkdtempSync(join(ROOT, 'tools', '.register-spec-'));
  const entry = join(dir, 'entry.ts');
  afterAll(() => {
    rmSync(cache, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  writeFileSync(
    entry,
    [
      "import 'reflect-metadata';",
      "import { Injectable } from '@nestjs/common';",
      "import { ErrorCode } from '@concert/contracts';",
      '@Injectable()',
      'class Clock {}',
      '@Injectable()',
      'class Uses {',
      '  constructor(readonly clock: Clock) {}',
      '}',
      "const params = Reflect.getMetadata('design:paramtypes', Uses) as unknown[];",
      'const loaded = Object.keys(require.cache);',
      'console.log(JSON.stringify({',
      '  param: (params[0] as { name: string }).name,',
      '  code: ErrorCode.ReservationExpired,',
      "  swc: loaded.some((k) => k.includes('@swc')),",
      "  typescript: loaded.some((k) => k.includes('/typescript/')),",
      '}));',
      "function fail(): never { throw new Error('where'); }",
      "if (process.argv[2] === 'throw') fail();",
      '',
    ].join('\n'),
  );

  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['-r', './tools/register.js', entry, ...args], {
      cwd: ROOT,
      env: { ...process.env, TS_CACHE_DIR: cache },
      encoding: 'utf8',
    });

  it('compiles decorators with their metadata and resolves @concert/* paths; a warm start loads neither SWC nor TypeScript', () => {
    const cold = run();
    expect(cold.status).toBe(0);
    expect(JSON.parse(cold.stdout)).toMatchObject({ param: 'Clock', code: 'RESERVATION_EXPIRED', swc: true });
    expect(readdirSync(cache).length).toBeGreaterThan(1);
    const warm = run();
    expect(warm.status).toBe(0);
    expect(JSON.parse(warm.stdout)).toEqual({ param: 'Clock', code: 'RESERVATION_EXPIRED', swc: false, typescript: false });
  });

  it('reports errors at their TypeScript line', () => {
    const failed = run('throw');
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain(`${entry}:18:`);
  });
});
