import { hostname } from 'node:os';

export const SERVICES = ['queue', 'booking', 'wallet', 'gateway'] as const;
export type ProcessRole = (typeof SERVICES)[number];

export function isProcessRole(value: string | undefined): value is ProcessRole {
  return (SERVICES as readonly string[]).includes(value ?? '');
}

/** Knobs only the distributed processes read (the shared settings come from loadConfig). */
export interface DistributedSettings {
  /** Prefix for topics and consumer groups (KAFKA_NAMESPACE), so deployments can share a cluster. */
  kafkaNamespace: string;
  /** Partitions of the topics the bus creates (KAFKA_PARTITIONS): the most instances of one service. */
  kafkaPartitions: number;
  /** How long a caller waits for a reply, ms (REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** This instance among those of its service (INSTANCE_ID); names its relay lease. */
  instanceId: string;
  /** SQLite poll for events other processes append to the same file, ms (STORE_POLL_MS). */
  storePollMs: number;
}

export function loadDistributedSettings(env: NodeJS.ProcessEnv = process.env): DistributedSettings {
  const problems: string[] = [];
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return def;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return def;
    }
    return Number(raw);
  };
  const kafkaNamespace = env.KAFKA_NAMESPACE?.trim() ?? '';
  if (kafkaNamespace && !/^[A-Za-z0-9._-]{1,100}$/.test(kafkaNamespace)) {
    problems.push(`KAFKA_NAMESPACE may only hold letters, digits, '.', '_' and '-', got "${kafkaNamespace}"`);
  }
  const instanceId = env.INSTANCE_ID?.trim() || '1';
  const settings: DistributedSettings = {
    kafkaNamespace,
    kafkaPartitions: int('KAFKA_PARTITIONS', 6, 1, 1000),
    requestTimeoutMs: int('REQUEST_TIMEOUT_MS', 10_000, 100, 600_000),
    instanceId: `${hostname()}#${instanceId}`,
    storePollMs: int('STORE_POLL_MS', 50, 5, 10_000),
  };
  if (problems.length) throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return settings;
}
