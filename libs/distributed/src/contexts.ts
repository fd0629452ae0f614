import {
  BOOKING_CONTEXT,
  BOOKING_TOPIC,
  BookingPatterns,
  QUEUE_CONTEXT,
  QUEUE_TOPIC,
  QueuePatterns,
  WALLET_CONTEXT,
  WALLET_TOPIC,
  WalletPatterns,
} from '@concert/contracts';

export type ContextName = typeof QUEUE_CONTEXT | typeof BOOKING_CONTEXT | typeof WALLET_CONTEXT;

export interface ContextRoute {
  /** The Kafka topic the context's events are relayed to. */
  topic: string;
  /** Streams owned by the context start with this (`<context>-<aggregate>-<id>`). */
  streamPrefix: string;
}

/** Which topic carries which context's events, and how its streams are named. */
export const CONTEXTS: Record<ContextName, ContextRoute> = {
  queue: { topic: QUEUE_TOPIC, streamPrefix: `${QUEUE_CONTEXT}-` },
  booking: { topic: BOOKING_TOPIC, streamPrefix: `${BOOKING_CONTEXT}-` },
  wallet: { topic: WALLET_TOPIC, streamPrefix: `${WALLET_CONTEXT}-` },
};

export const CONTEXT_NAMES = Object.keys(CONTEXTS) as ContextName[];

export function isContextName(value: string): value is ContextName {
  return (CONTEXT_NAMES as string[]).includes(value);
}

export function contextOfStream(streamId: string): ContextName | undefined {
  return CONTEXT_NAMES.find((c) => streamId.startsWith(CONTEXTS[c].streamPrefix));
}

/** Every request pattern a service handles; the gateway may send any of them. */
export const ALL_REQUEST_PATTERNS: string[] = [
  ...Object.values(QueuePatterns),
  ...Object.values(BookingPatterns),
  ...Object.values(WalletPatterns),
];
