import { CeilingProbe } from './steady';

export interface BenchContext {
  quick: boolean;
  /** Temp folder of this run: server data, logs. */
  workDir: string;
  /** Set by --profile: servers write CPU profiles here. */
  profileDir?: string;
  /** Concurrent connections for the steady-state rows (the ceiling uses the same). */
  connections: number;
  /** Seconds each steady-state row is measured, after `warmupS` of unmeasured load. */
  durationS: number;
  warmupS: number;
  /** Set once the ceiling has run: samples it again next to each row. */
  ceiling?: CeilingProbe;
  log(message: string): void;
}
