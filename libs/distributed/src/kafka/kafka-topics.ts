import type { Admin, Kafka } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Add partitions to an existing topic that has fewer. Only for topics without per-key order (requests, replies). */
  grow?: boolean;
}

export const replyTopic = (requestTopic: string): string => `${requestTopic}.reply`;
export const deadLetterTopic = (topic: string): string => `${topic}.dlq`;

/**
 * Creates the topics that are missing (idempotent, safe when several processes race) and, for
 * request/reply topics, grows the partition count so more instances can share them.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<void> {
  if (specs.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length) {
      try {
        await admin.createTopics({
          topics: missing.map((s) => ({ topic: s.topic, numPartitions: s.partitions })),
          // kafkajs' own wait gives up on the "unknown topic" a fresh topic reports for a moment.
          waitForLeaders: false,
        });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      await waitForLeaders(
        admin,
        missing.map((s) => s.topic),
      );
    }
    const growable = specs.filter((s) => s.grow && existing.has(s.topic));
    if (growable.length) {
      const { topics } = await admin.fetchTopicMetadata({ topics: growable.map((s) => s.topic) });
      const small = growable.filter(
        (s) => (topics.find((t) => t.name === s.topic)?.partitions.length ?? s.partitions) < s.partitions,
      );
      if (small.length) {
        try {
          await admin.createPartitions({ topicPartitions: small.map((s) => ({ topic: s.topic, count: s.partitions })) });
        } catch (err) {
          // Another process grew it first.
          if (!/INVALID_PARTITIONS|already has/i.test(String((err as Error).message))) throw err;
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** Metadata names a leader a moment before it serves: wait until every new topic answers a ListOffsets. */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  const pending = new Set(topics);
  while (Date.now() < deadline) {
    for (const topic of [...pending]) {
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        if (offsets.length > 0) pending.delete(topic);
      } catch (err) {
        last = err;
      }
    }
    if (pending.size === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `topics ${[...pending].join(', ')} not served after ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`,
  );
}

function isAlreadyExists(err: unknown): boolean {
  const e = err as { type?: string; errors?: { type?: string }[]; message?: string };
  if (e?.type === 'TOPIC_ALREADY_EXISTS') return true;
  if (Array.isArray(e?.errors) && e.errors.length > 0) return e.errors.every((x) => x?.type === 'TOPIC_ALREADY_EXISTS');
  return /already exists/i.test(String(e?.message));
}
