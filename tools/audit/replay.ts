import { Progress, silentProgress } from './progress';

export interface Positioned {
  position: number;
}

export interface PageConsumer<E> {
  applyPage(events: E[]): void | Promise<void>;
}

export interface ReplayOptions {
  /** Replay events with a position strictly after this one. */
  after: number;
  /** Stop at this position (the head when the replay began: a consistent snapshot of a live log). */
  until: number;
  pageSize: number;
  progress?: Progress;
}

export interface ReplayStats {
  events: number;
  lastPosition: number;
  ms: number;
}

/**
 * Reads the log page by page and hands each page to the consumer. A synchronous reader is
 * never awaited, so the SQLite replay runs without a trip through the event loop per page.
 */
export async function replay<E extends Positioned>(
  readPage: (after: number, limit: number) => E[] | Promise<E[]>,
  consumer: PageConsumer<E>,
  options: ReplayOptions,
): Promise<ReplayStats> {
  const progress = options.progress ?? silentProgress;
  const started = performance.now();
  let after = options.after;
  let events = 0;
  while (after < options.until) {
    const result = readPage(after, options.pageSize);
    let page = result instanceof Promise ? await result : result;
    if (page.length === 0) break;
    if (page[page.length - 1].position > options.until) page = page.filter((e) => e.position <= options.until);
    if (page.length === 0) break;
    const applied = consumer.applyPage(page);
    if (applied instanceof Promise) await applied;
    events += page.length;
    after = page[page.length - 1].position;
    progress.update(events, after);
  }
  progress.done(events, after);
  return { events, lastPosition: after, ms: performance.now() - started };
}
