/** Where replay progress goes: a redrawn bar on a terminal, a plain line now and then elsewhere. */
export interface Progress {
  update(events: number, position: number): void;
  done(events: number, position: number): void;
}

export const silentProgress: Progress = { update: () => undefined, done: () => undefined };

interface Output {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function createProgress(
  out: Output,
  label: string,
  fromPosition: number,
  headPosition: number,
  now = () => performance.now(),
): Progress {
  const tty = Boolean(out.isTTY);
  const interval = tty ? 100 : 1000;
  const started = now();
  const total = Math.max(0, headPosition - fromPosition);
  let last = started;

  const line = (events: number, position: number, elapsed: number): string => {
    const rate = elapsed > 0 ? Math.round((events / elapsed) * 1000) : 0;
    const done = Math.max(0, position - fromPosition);
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const stats = `${fmt(events)} events, ${(ratio * 100).toFixed(1)}% (position ${fmt(position)}/${fmt(headPosition)}), ${fmt(rate)} events/s`;
    if (!tty) return `${label}: ${stats}`;
    const width = Math.max(10, Math.min(40, (out.columns ?? 80) - stats.length - label.length - 6));
    const filled = Math.round(ratio * width);
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${stats}`;
  };

  return {
    update(events, position) {
      const t = now();
      if (t - last < interval) return;
      last = t;
      out.write(tty ? `\r${line(events, position, t - started)}\x1b[K` : `${line(events, position, t - started)}\n`);
    },
    done(events, position) {
      const t = now();
      out.write(tty ? `\r${line(events, position, t - started)}\x1b[K\n` : `${line(events, position, t - started)}\n`);
    },
  };
}

export function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
