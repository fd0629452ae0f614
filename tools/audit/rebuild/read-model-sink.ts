import { StoredEvent } from '@concert/contracts';
import { EventReader } from '../readers/event-reader';
import { replay } from '../replay';
import { Progress } from '../progress';

/**
 * Where a rebuild folds the log: the embedded read models in memory, or (later) MongoDB.
 * Pages arrive in log order; a database sink writes each page in bulk and returns a promise.
 */
export interface ReadModelSink<S> {
  readonly name: string;
  applyPage(events: StoredEvent[]): void | Promise<void>;
  /** Called once after the last page; returns what the sink rebuilt. */
  finish(): S | Promise<S>;
}

export interface RebuildOptions {
  /** Start after this position (0: the whole log). */
  after?: number;
  pageSize?: number;
  progress?: (from: number, head: number) => Progress;
}

export interface RebuildResult<S> {
  sink: string;
  events: number;
  lastPosition: number;
  summary: S;
  timing: { ms: number; eventsPerSecond: number };
}

/** Replays the log from the reader into the sink. */
export async function rebuildReadModels<S>(
  reader: EventReader,
  sink: ReadModelSink<S>,
  options: RebuildOptions = {},
): Promise<RebuildResult<S>> {
  const after = options.after ?? 0;
  const head = await reader.headPosition();
  const stats = await replay((a, l) => reader.readEvents(a, l), sink, {
    after,
    until: head,
    pageSize: options.pageSize ?? 5000,
    progress: options.progress?.(after, head),
  });
  const summary = await sink.finish();
  return {
    sink: sink.name,
    events: stats.events,
    lastPosition: stats.lastPosition,
    summary,
    timing: { ms: stats.ms, eventsPerSecond: rate(stats.events, stats.ms) },
  };
}

export function rate(events: number, ms: number): number {
  return ms > 0 ? Math.round((events / ms) * 1000) : 0;
}
