import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

export interface EngineTargets {
  kafkaBrokers?: string[];
  mongoUrl?: string;
}

export interface EngineCheck extends EngineTargets {
  /** Why the engine specs cannot run here; undefined when they can. */
  skipReason?: string;
}

/**
 * Decides at load time (synchronously, so a spec can pick `describe` or `describe.skip`) whether
 * the engines named by KAFKA_BROKERS / MONGO_URL are set and accept TCP connections.
 */
export function checkEngines(need: { kafka?: boolean; mongo?: boolean }, env: NodeJS.ProcessEnv = process.env): EngineCheck {
  const kafkaBrokers = env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const mongoUrl = env.MONGO_URL?.trim() || undefined;
  const problems: string[] = [];
  const targets: string[] = [];
  if (need.kafka) {
    if (!kafkaBrokers?.length) problems.push('KAFKA_BROKERS is not set');
    else targets.push(kafkaBrokers[0]);
  }
  if (need.mongo) {
    if (!mongoUrl) problems.push('MONGO_URL is not set');
    else {
      const hostPort = mongoHostPort(mongoUrl);
      if (!hostPort) problems.push(`MONGO_URL ${mongoUrl} names no host:port`);
      else targets.push(hostPort);
    }
  }
  if (!problems.length && targets.length) problems.push(...unreachable(targets));
  return {
    kafkaBrokers,
    mongoUrl,
    skipReason: problems.length ? `${problems.join('; ')} (start them with \`npm run engines:up\`)` : undefined,
  };
}

function mongoHostPort(url: string): string | undefined {
  const match = /^mongodb:\/\/(?:[^@/]*@)?([^/,?]+)/.exec(url);
  if (!match) return undefined;
  return match[1].includes(':') ? match[1] : `${match[1]}:27017`;
}

function unreachable(targets: string[]): string[] {
  const script = `
    const net = require('node:net');
    const targets = JSON.parse(process.argv[1]);
    Promise.all(targets.map((t) => new Promise((resolve) => {
      const i = t.lastIndexOf(':');
      const socket = net.connect({ host: t.slice(0, i).replace(/^\\[|\\]$/g, ''), port: Number(t.slice(i + 1)) });
      const done = (ok) => { socket.destroy(); resolve(ok ? null : t + ' is not reachable'); };
      socket.setTimeout(2000, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    }))).then((r) => { process.stdout.write(JSON.stringify(r.filter(Boolean))); });`;
  const run = spawnSync(process.execPath, ['-e', script, JSON.stringify(targets)], { encoding: 'utf8', timeout: 10_000 });
  if (run.status !== 0) return [`reachability check failed: ${run.stderr || run.error?.message}`];
  return JSON.parse(run.stdout || '[]') as string[];
}

/** A database of its own for one spec run, on the server MONGO_URL names. */
export function isolatedMongoUrl(mongoUrl: string, prefix = 'concert_it'): string {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const url = new URL(mongoUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A topic/group namespace of its own for one spec run, so runs sharing a broker do not meet. */
export function isolatedNamespace(prefix = 'it'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}.`;
}

/** Deletes a spec run's topics and consumer groups, so runs do not pile partitions up on a shared broker. */
export async function dropKafkaNamespace(brokers: string[], namespace: string): Promise<void> {
  if (!namespace) throw new Error('refusing to drop the empty namespace');
  const admin = new Kafka({ clientId: 'spec-cleanup', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(namespace));
    if (groups.length) await admin.deleteGroups(groups).catch(() => undefined);
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(namespace));
    for (let i = 0; i < topics.length; i += 50) await admin.deleteTopics({ topics: topics.slice(i, i + 50), timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}

/**
 * `describe` when the engines are there. Otherwise `describe.skip`, after saying why, around one
 * placeholder test that names the reason: the real body is not run at all (it would open temp dirs
 * and read the unset settings).
 */
export function describeWithEngines(title: string, check: EngineCheck, body: () => void): void {
  if (check.skipReason) {
    const reason = check.skipReason;
    console.warn(`[skip] ${title}: ${reason}`);
    describe.skip(title, () => {
      it(`needs the engines: ${reason}`, () => undefined);
    });
  } else {
    describe(title, body);
  }
}
