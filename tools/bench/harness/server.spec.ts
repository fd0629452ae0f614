import { nodeFlagsOf, START_FLAGS } from './server';
import { cpuMsOfStat, processCpuMs, threadCpuMs } from './rss';

describe('bench servers run with the node flags of npm start', () => {
  it('reads the flags between node and its first other argument', () => {
    expect(nodeFlagsOf('exec node --max-semi-space-size=32 --foo -r ./tools/register.js main.ts')).toEqual([
      '--max-semi-space-size=32',
      '--foo',
    ]);
    expect(nodeFlagsOf('node -r ./tools/register.js main.ts')).toEqual([]);
  });

  it('takes them from package.json', () => {
    expect(START_FLAGS).toEqual(['--max-semi-space-size=32', '--v8-pool-size=1']);
  });
});

describe('CPU time from /proc', () => {
  it('reads utime + stime of a stat line whose command name holds spaces and parentheses', () => {
    // Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const stat = '4242 (node (main) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 11 0';
    expect(cpuMsOfStat(stat)).toBe((1234 + 567) * 10);
  });

  it('counts this process and its main thread, the thread no more than the process', () => {
    if (process.platform !== 'linux') return;
    const end = Date.now() + 50;
    while (Date.now() < end); // some CPU to count
    // The thread first: the process read after it has counted at least as much.
    const mainMs = threadCpuMs(process.pid, process.pid);
    const processMs = processCpuMs(process.pid);
    expect(mainMs).toBeGreaterThan(0);
    expect(mainMs).toBeLessThanOrEqual(processMs);
    expect(threadCpuMs(process.pid, 0)).toBe(0); // no thread has id 0
  });
});
