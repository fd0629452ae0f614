import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Peak resident memory of a process, from /proc/<pid>/status. `reset()` clears the kernel's
 * high-water mark (VmHWM, via clear_refs) so each scenario on a shared server gets its own peak;
 * where that is not allowed, a 50 ms VmRSS sampler stands in.
 */
export class RssMeter {
  private sampled = 0;
  private timer?: NodeJS.Timeout;
  private hwmResettable = true;

  constructor(readonly pid: number) {}

  /** Starts a new measurement window. */
  reset(): void {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    } catch {
      this.hwmResettable = false;
    }
    this.sampled = this.read('VmRSS');
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => {
      this.sampled = Math.max(this.sampled, this.read('VmRSS'));
    }, 50);
    this.timer.unref();
  }

  /** Peak RSS in MiB since the last reset (or since the process started). */
  peakMiB(): number {
    const hwm = this.hwmResettable || !this.timer ? this.read('VmHWM') : 0;
    return Math.max(hwm, this.sampled, this.read('VmRSS')) / 1024;
  }

  currentMiB(): number {
    return this.read('VmRSS') / 1024;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A field of /proc/<pid>/status in kB; 0 once the process is gone. */
  private read(field: 'VmRSS' | 'VmHWM'): number {
    try {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  }
}

/** CPU time (user + system) the process has used so far, in ms, from /proc/<pid>/stat; 0 once gone. */
export function processCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/**
 * CPU time one thread of a process has used so far, in ms (the main thread is the one whose id is the
 * process id: the event loop of a Node process); 0 once gone.
 */
export function threadCpuMs(pid: number, tid: number): number {
  return statCpuMs(`/proc/${pid}/task/${tid}/stat`);
}

function statCpuMs(path: string): number {
  try {
    return cpuMsOfStat(readFileSync(path, 'utf8'));
  } catch {
    return 0;
  }
}

/**
 * utime + stime of a stat(5) line, in ms: fields 14 and 15, counted after the command name (which may
 * hold spaces and parentheses, so it is skipped up to its last `)`), in clock ticks of 10 ms.
 */
export function cpuMsOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
