import { Logger } from '@nestjs/common';
import { ClientKafka, KafkaContext, ServerKafka } from '@nestjs/microservices';
import {
  Consumer,
  ConsumerConfig,
  EachMessagePayload,
  Kafka,
  KafkaConfig,
  logCreator,
  logLevel,
  Partitioners,
  Producer,
  ProducerConfig,
} from 'kafkajs';
import { lastValueFrom, timeout } from 'rxjs';
import { DomainError, ErrorCode, StoredEvent } from '@concert/contracts';
import { EventListener, MessageBus, RequestHandler } from '@concert/bus';
import { ALL_REQUEST_PATTERNS } from '../contexts';
import { decodeEvent, encodeEvent, headerText, PoisonMessageError } from './event-codec';
import { deadLetterTopic, ensureTopics, replyTopic, TopicSpec } from './kafka-topics';
import { fromRpcError, toRpcError } from './rpc-error';
import { SingleOwnerAssignment } from './single-owner-assigner';

export interface KafkaBusOptions {
  brokers: string[];
  /** The service this process runs (`queue`, `booking`, `wallet`, `gateway`): names its consumer groups. */
  service: string;
  /** Prefix for every topic and group, so several deployments (or test runs) can share one cluster. */
  namespace?: string;
  /** Partitions of the topics this bus creates; instances of one service share them. Default 6. */
  partitions?: number;
  /** How long a caller waits for a reply (ms). Default 10 000. */
  requestTimeoutMs?: number;
  /** Patterns this process may request; their reply topics are subscribed at connect. Default: every contract pattern. */
  requestPatterns?: string[];
  /** Deliveries of one event before it goes to `<topic>.dlq`. Default 5. */
  maxDeliveryAttempts?: number;
  /** First pause between deliveries (doubles each time, ms). Default 100. */
  retryBackoffMs?: number;
  /** Partitions one consumer works on at once. Default 8. */
  concurrency?: number;
  /** Awaited before every request handler runs: e.g. a read-your-writes fence. */
  beforeHandle?: () => Promise<void>;
}

/** Header with the caller's deadline (epoch ms): a request nobody waits for any more is not executed. */
export const DEADLINE_HEADER = 'x-deadline';
export const DLQ_HEADERS = {
  error: 'dlq-error',
  topic: 'dlq-original-topic',
  partition: 'dlq-original-partition',
  offset: 'dlq-original-offset',
  group: 'dlq-group',
  attempts: 'dlq-attempts',
  failedAt: 'dlq-failed-at',
} as const;

export interface EventSubscribeOptions {
  singleOwner?: boolean;
}

interface ReplyEnvelope {
  result?: unknown;
}

/** Small fetch waits and a short session: replies come back fast and a dead instance's partitions move on soon. */
const CONSUMER_TUNING = {
  sessionTimeout: 10_000,
  rebalanceTimeout: 20_000,
  heartbeatInterval: 1_000,
  maxWaitTimeInMs: 100,
  retry: { initialRetryTime: 100, retries: 10 },
} satisfies Omit<ConsumerConfig, 'groupId'>;
/** No batching delay (kafkajs has no linger); acks from all in-sync replicas. */
const PRODUCER_TUNING: ProducerConfig = {
  allowAutoTopicCreation: false,
  createPartitioner: Partitioners.DefaultPartitioner,
  retry: { initialRetryTime: 100, retries: 8 },
};

/**
 * The distributed MessageBus.
 *
 * - Commands and queries: request/reply over @nestjs/microservices' Kafka transport. Each pattern is
 *   a topic; every instance of a service joins the same consumer group, so they share its partitions.
 *   A DomainError thrown by a handler travels as `{code, message}` and is rethrown as a DomainError.
 * - Events: `publish` writes them keyed by stream id (per-stream order); `subscribe` consumes with a
 *   consumer group and commits an offset only after the listener succeeded; after bounded retries
 *   the message goes to `<topic>.dlq` with the error in its headers.
 */
export class KafkaBus implements MessageBus {
  private readonly logger: Logger;
  private readonly kafka: Kafka;
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly consumers: Consumer[] = [];
  private readonly ensuredEventTopics = new Map<string, Promise<void>>();
  private server?: ServerKafka;
  private client?: Promise<ClientKafka>;
  private producer?: Promise<Producer>;
  private closing = false;
  private serving = false;
  readonly namespace: string;
  private readonly partitions: number;
  private readonly requestTimeoutMs: number;
  private readonly requestPatterns: Set<string>;

  constructor(private readonly options: KafkaBusOptions) {
    this.logger = new Logger(`KafkaBus:${options.service}`);
    this.namespace = options.namespace ?? '';
    this.partitions = options.partitions ?? 6;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.requestPatterns = new Set(options.requestPatterns ?? ALL_REQUEST_PATTERNS);
    this.kafka = new Kafka(this.kafkaConfig(options.service));
  }

  /** Topic and group names inside this bus's namespace. */
  topic(name: string): string {
    return `${this.namespace}${name}`;
  }

  async request<T>(pattern: string, payload: unknown): Promise<T> {
    if (this.closing) throw new DomainError(ErrorCode.Unavailable);
    if (!this.requestPatterns.has(pattern)) {
      this.logger.error(`request to ${pattern}, which is not among this bus's request patterns`);
      throw new DomainError(ErrorCode.Unavailable);
    }
    let client: ClientKafka;
    try {
      client = await this.connectRequests();
    } catch (err) {
      this.logger.warn(`cannot reach Kafka for ${pattern}: ${(err as Error).message}`);
      throw new DomainError(ErrorCode.Unavailable);
    }
    const message = {
      key: routingKey(payload),
      value: payload ?? {},
      headers: { [DEADLINE_HEADER]: String(Date.now() + this.requestTimeoutMs) },
    };
    try {
      const reply = await lastValueFrom(
        client.send<ReplyEnvelope>(this.topic(pattern), message).pipe(timeout({ first: this.requestTimeoutMs })),
        { defaultValue: undefined },
      );
      return reply?.result as T;
    } catch (err) {
      const domain = fromRpcError(err);
      if (domain.code === ErrorCode.Unavailable && !(err instanceof DomainError)) {
        this.logger.warn(`${pattern} failed: ${describe(err)}`);
      }
      throw domain;
    }
  }

  handle(pattern: string, handler: RequestHandler): void {
    if (this.server || this.serving) throw new Error(`Handler for ${pattern} registered after listen()`);
    if (this.handlers.has(pattern)) throw new Error(`Handler for ${pattern} already registered`);
    this.handlers.set(pattern, handler);
  }

  /** Starts serving the registered handlers (call once every module has registered its own). */
  async listen(): Promise<void> {
    if (this.serving || this.handlers.size === 0) return;
    this.serving = true;
    const topics = [...this.handlers.keys()].map((p) => this.topic(p));
    await ensureTopics(
      this.kafka,
      topics.flatMap((t): TopicSpec[] => [
        { topic: t, partitions: this.partitions, grow: true },
        { topic: replyTopic(t), partitions: this.partitions, grow: true },
      ]),
    );
    const server = new ServerKafka({
      client: this.kafkaConfig(this.options.service),
      consumer: { ...CONSUMER_TUNING, groupId: this.group(`concert-${this.options.service}`) },
      producer: PRODUCER_TUNING,
      // Requests left from before this group first joined are read too: their deadline has passed, so they are not run.
      subscribe: { fromBeginning: true },
      run: { partitionsConsumedConcurrently: this.options.concurrency ?? 8 },
    });
    for (const [pattern, handler] of this.handlers) {
      server.addHandler(this.topic(pattern), (data: unknown, ctx: KafkaContext) => this.serve(handler, data, ctx), false);
    }
    await new Promise<void>((resolve, reject) => server.listen((err?: unknown) => (err ? reject(err) : resolve())));
    this.server = server;
  }

  /** Stops taking requests (first step of a graceful stop); requests, events and replies still flow until close(). */
  async stopServing(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.close();
  }

  /** Connects the request client and waits until it owns a reply partition of every pattern (idempotent). */
  connectRequests(): Promise<ClientKafka> {
    this.client ??= this.createClient().catch((err: unknown) => {
      this.client = undefined;
      throw err;
    });
    return this.client;
  }

  async publish(topic: string, events: StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    const name = this.topic(topic);
    await this.ensureEventTopic(name);
    const producer = await this.eventProducer();
    await producer.send({ topic: name, messages: events.map(encodeEvent), acks: -1 });
  }

  /**
   * `singleOwner`: one member of the group gets every partition and the others stand by (failover
   * at the next rebalance), for consumers that must be the only writer of what they write.
   */
  async subscribe(topic: string, group: string, listener: EventListener, options: EventSubscribeOptions = {}): Promise<void> {
    const name = this.topic(topic);
    await this.ensureEventTopic(name);
    const single = options.singleOwner ? new SingleOwnerAssignment() : undefined;
    const consumer = this.kafka.consumer({
      ...CONSUMER_TUNING,
      groupId: this.group(group),
      ...(single ? { partitionAssigners: [single.assigner] } : {}),
    });
    this.consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [name], fromBeginning: true });
    const joined = new Promise<void>((resolve) =>
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        single?.joined(e.payload.memberAssignment);
        resolve();
      }),
    );
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.options.concurrency ?? 8,
      eachMessage: (payload) => this.deliver(consumer, group, listener, payload),
    });
    await Promise.race([joined, sleep(30_000)]);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const results = await Promise.allSettled([
      ...this.consumers.map((c) => c.disconnect()),
      this.stopServing(),
      this.client?.then((c) => c.close()),
      this.producer?.then((p) => p.disconnect()),
    ]);
    for (const r of results) if (r.status === 'rejected') this.logger.warn(`close: ${describe(r.reason)}`);
  }

  private async serve(handler: RequestHandler, data: unknown, ctx: KafkaContext): Promise<ReplyEnvelope> {
    const deadline = Number(headerText(ctx.getMessage().headers, DEADLINE_HEADER));
    if (Number.isFinite(deadline) && Date.now() > deadline) {
      throw toRpcError(new DomainError(ErrorCode.Unavailable, 'Request expired before it was handled'));
    }
    try {
      await this.options.beforeHandle?.();
      return { result: await handler(data) };
    } catch (err) {
      if (!(err instanceof DomainError)) this.logger.error(`${ctx.getTopic()} failed: ${describe(err)}`);
      throw toRpcError(err);
    }
  }

  private async createClient(): Promise<ClientKafka> {
    const topics = [...this.requestPatterns].map((p) => this.topic(p));
    await ensureTopics(
      this.kafka,
      topics.flatMap((t): TopicSpec[] => [
        { topic: t, partitions: this.partitions, grow: true },
        { topic: replyTopic(t), partitions: this.partitions, grow: true },
      ]),
    );
    const client = new ClientKafka({
      client: this.kafkaConfig(`${this.options.service}-requests`),
      consumer: { ...CONSUMER_TUNING, groupId: this.group(`concert-${this.options.service}`) },
      producer: PRODUCER_TUNING,
      subscribe: { fromBeginning: true },
      run: { partitionsConsumedConcurrently: this.options.concurrency ?? 8 },
    });
    for (const t of topics) client.subscribeToResponseOf(t);
    await client.connect();
    // Requests need a reply partition of their pattern's reply topic: wait for the group's assignment.
    const replies = topics.map(replyTopic);
    const deadline = Date.now() + 60_000;
    while (!replies.every((t) => client.getConsumerAssignments()[t] !== undefined)) {
      if (Date.now() > deadline) {
        await client.close();
        throw new Error(`no reply partitions assigned within 60 s (more instances than the ${this.partitions} partitions?)`);
      }
      await sleep(50);
    }
    return client;
  }

  private async deliver(consumer: Consumer, group: string, listener: EventListener, payload: EachMessagePayload): Promise<void> {
    const { topic, partition, message, heartbeat } = payload;
    const maxAttempts = this.options.maxDeliveryAttempts ?? 5;
    const backoff = this.options.retryBackoffMs ?? 100;
    let failure: unknown;
    let attempts = 0;
    try {
      const event = decodeEvent(message);
      for (;;) {
        if (this.closing) throw new Error('consumer closing: offset not committed');
        attempts += 1;
        try {
          await listener(event);
          failure = undefined;
          break;
        } catch (err) {
          failure = err;
          if (attempts >= maxAttempts) break;
          await sleep(backoff * 2 ** (attempts - 1));
          await heartbeat();
        }
      }
    } catch (err) {
      if (!(err instanceof PoisonMessageError)) throw err;
      failure = err;
    }
    if (failure !== undefined) {
      this.logger.error(
        `${topic}[${partition}]@${message.offset} for ${group} failed ${attempts} time(s), to the DLQ: ${describe(failure)}`,
      );
      await this.deadLetter(topic, partition, group, attempts, message, failure);
    }
    await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
  }

  private async deadLetter(
    topic: string,
    partition: number,
    group: string,
    attempts: number,
    message: EachMessagePayload['message'],
    failure: unknown,
  ): Promise<void> {
    const producer = await this.eventProducer();
    const dlq = deadLetterTopic(topic);
    await this.ensureEventTopic(topic);
    await producer.send({
      topic: dlq,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            [DLQ_HEADERS.error]: describe(failure).slice(0, 4000),
            [DLQ_HEADERS.topic]: topic,
            [DLQ_HEADERS.partition]: String(partition),
            [DLQ_HEADERS.offset]: message.offset,
            [DLQ_HEADERS.group]: group,
            [DLQ_HEADERS.attempts]: String(attempts),
            [DLQ_HEADERS.failedAt]: new Date().toISOString(),
          },
        },
      ],
    });
  }

  private ensureEventTopic(name: string): Promise<void> {
    let ensured = this.ensuredEventTopics.get(name);
    if (!ensured) {
      ensured = ensureTopics(this.kafka, [
        { topic: name, partitions: this.partitions },
        { topic: deadLetterTopic(name), partitions: this.partitions },
      ]).catch((err: unknown) => {
        this.ensuredEventTopics.delete(name);
        throw err;
      });
      this.ensuredEventTopics.set(name, ensured);
    }
    return ensured;
  }

  private eventProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer(PRODUCER_TUNING);
      await producer.connect();
      return producer;
    })().catch((err: unknown) => {
      this.producer = undefined;
      throw err;
    });
    return this.producer;
  }

  private group(name: string): string {
    return `${this.namespace}${name}`;
  }

  private kafkaConfig(clientId: string): KafkaConfig {
    return {
      clientId: `${this.namespace}concert-${clientId}`,
      brokers: this.options.brokers,
      connectionTimeout: 3_000,
      retry: { initialRetryTime: 100, retries: 8 },
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(this.logger),
    };
  }
}

/** A user's requests share a partition, so one instance sees them in order. */
function routingKey(payload: unknown): string | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  const p = payload as Record<string, unknown>;
  for (const field of ['userId', 'tokenId', 'reservationId']) {
    if (typeof p[field] === 'string' && p[field]) return p[field] as string;
  }
  return undefined;
}

/** Rebalances are routine when instances come and go: logged at debug, not as errors. */
const ROUTINE =
  /rebalanc|not the correct coordinator|group coordinator is not available|coordinator is loading|not the leader for that topic-partition|does not host this topic-partition|leader not available|Topic creation errors/i;

function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const text = `[${namespace}] ${log.message}${log.error && log.error !== log.message ? `: ${log.error}` : ''}`;
      if (ROUTINE.test(text)) logger.debug(text);
      else if (level <= logLevel.ERROR) logger.error(text);
      else if (level === logLevel.WARN) logger.warn(text);
    };
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.name === 'TimeoutError' ? 'no reply in time' : err.message;
  if (typeof err === 'object') return JSON.stringify(err);
  return String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
