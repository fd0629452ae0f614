#!/usr/bin/env node
// `npm test`: every jest project that can run here (engine specs skip, saying why, when their engine is absent),
// then one closing line `N passed, N failed, N skipped` summing all suites.
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const args = process.argv.slice(2);
const projects = args.length ? args : ['unit', 'e2e', 'int', 'reliability'];
const dir = mkdtempSync(join(tmpdir(), 'concert-jest-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
let exitCode = 0;

for (const project of projects) {
  const out = join(dir, `${project}.json`);
  process.stdout.write(`\n=== jest project: ${project} ===\n`);
  const run = spawnSync(
    process.execPath,
    [require.resolve('jest/bin/jest'), '-c', 'jest.config.js', '--selectProjects', project, '--runInBand', '--passWithNoTests', '--json', '--outputFile', out],
    { stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' } },
  );
  let report;
  try {
    report = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    report = null;
  }
  if (!report) {
    process.stdout.write(`jest project ${project} produced no report (exit ${run.status})\n`);
    totals.failed += 1;
    exitCode = 1;
    continue;
  }
  // A suite that failed to load counts as one failure: jest reports it with no failed test.
  const brokenSuites = report.testResults.filter((s) => s.status === 'failed' && s.assertionResults.every((a) => a.status !== 'failed')).length;
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests + brokenSuites;
  totals.skipped += report.numPendingTests + report.numTodoTests;
  if (run.status !== 0 || report.numFailedTests + brokenSuites > 0) exitCode = 1;
}
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(exitCode);
