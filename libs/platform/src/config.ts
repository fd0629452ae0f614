import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CONFIG = Symbol('CONFIG');

export type RunMode = 'embedded' | 'distributed';

export interface AppConfig {
  mode: RunMode;
  port: number;
  host: string;
  dataDir: string;
  queueMaxActive: number;
  activeTokenTtlSeconds: number;
  queueIdleTimeoutSeconds: number;
  holdTtlSeconds: number;
  jwtSecret: string;
  adminApiKey?: string;
  seedDemo: boolean;
  maxChargeAmount: number;
  rateLimitRpsPerIp: number;
  rateLimitRpsPerToken: number;
  kafkaBrokers?: string[];
  mongoUrl?: string;
  eventstoreUrl?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Per client IP, on token issue and writes (reads and status polls are never limited per IP): generous,
 * because a venue's Wi-Fi or a mobile carrier's NAT puts thousands of buyers behind one address, and
 * an on-sale is exactly when they all click at once; it still stops one host from flooding the line.
 */
export const DEFAULT_RATE_LIMIT_RPS_PER_IP = 200;
/**
 * Per queue token, on writes: a person's client holds, pays or charges a few times a second at most
 * (20 leaves room for retries and a second tab), while a script hammering holds is cut to that.
 */
export const DEFAULT_RATE_LIMIT_RPS_PER_TOKEN = 20;

/** Reads and validates every setting (README: Settings); throws one error listing every problem. */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const int = (name: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return def;
    }
    return Number(raw);
  };
  const bool = (name: string, def: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return def;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    problems.push(`${name} must be true or false, got "${env[name]}"`);
    return def;
  };
  const modeRaw = env.MODE?.trim() || 'embedded';
  if (modeRaw !== 'embedded' && modeRaw !== 'distributed')
    problems.push(`MODE must be embedded or distributed, got "${modeRaw}"`);
  const mode = modeRaw === 'distributed' ? 'distributed' : 'embedded';
  const dataDir = resolve(env.DATA_DIR?.trim() || './data');
  const jwtSecretRaw = env.JWT_SECRET;
  if (jwtSecretRaw !== undefined && jwtSecretRaw !== '' && Buffer.byteLength(jwtSecretRaw) < 32) {
    problems.push('JWT_SECRET must be at least 32 bytes (HS256 needs a key as long as its hash)');
  }
  const host = env.HOST?.trim() || '0.0.0.0';
  if (!/^[A-Za-z0-9.:%-]+$/.test(host)) problems.push(`HOST must be a hostname or IP address, got "${host}"`);
  const adminApiKey = env.ADMIN_API_KEY?.trim() || undefined;
  if (adminApiKey !== undefined && adminApiKey.length < 16) problems.push('ADMIN_API_KEY must be at least 16 characters');
  const kafkaBrokers = env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const badBroker = kafkaBrokers?.find((b) => !isHostPort(b));
  if (badBroker !== undefined) problems.push(`KAFKA_BROKERS must be a comma-separated list of host:port, got "${badBroker}"`);
  const mongoUrl = env.MONGO_URL?.trim() || undefined;
  if (mongoUrl !== undefined && !/^mongodb(\+srv)?:\/\/\S+$/.test(mongoUrl)) {
    problems.push(`MONGO_URL must be a mongodb:// or mongodb+srv:// connection string, got "${mongoUrl}"`);
  }
  const eventstoreUrl = env.EVENTSTORE_URL?.trim() || undefined;
  if (eventstoreUrl !== undefined && !/^(kurrentdb|kurrent|kdb|esdb)(\+discover)?:\/\/\S+$/.test(eventstoreUrl)) {
    problems.push(`EVENTSTORE_URL must be a kurrentdb:// (or esdb://) connection string, got "${eventstoreUrl}"`);
  }
  if (mode === 'distributed') {
    if (!kafkaBrokers?.length) problems.push('KAFKA_BROKERS is required when MODE=distributed');
    if (!mongoUrl) problems.push('MONGO_URL is required when MODE=distributed');
  }
  const config: AppConfig = {
    mode,
    port: int('PORT', 3000, 0, 65535),
    host,
    dataDir,
    queueMaxActive: int('QUEUE_MAX_ACTIVE', 100, 1),
    activeTokenTtlSeconds: int('ACTIVE_TOKEN_TTL_SECONDS', 600, 1),
    queueIdleTimeoutSeconds: int('QUEUE_IDLE_TIMEOUT_SECONDS', 300, 1),
    holdTtlSeconds: int('HOLD_TTL_SECONDS', 300, 1),
    jwtSecret: '',
    adminApiKey,
    seedDemo: bool('SEED_DEMO', true),
    maxChargeAmount: int('MAX_CHARGE_AMOUNT', 10_000_000, 1),
    rateLimitRpsPerIp: int('RATE_LIMIT_RPS_PER_IP', DEFAULT_RATE_LIMIT_RPS_PER_IP, 0),
    rateLimitRpsPerToken: int('RATE_LIMIT_RPS_PER_TOKEN', DEFAULT_RATE_LIMIT_RPS_PER_TOKEN, 0),
    kafkaBrokers,
    mongoUrl,
    eventstoreUrl,
  };
  if (problems.length) throw new ConfigError(problems);
  config.jwtSecret = jwtSecretRaw || persistedSecret(dataDir);
  return config;
}

function isHostPort(value: string): boolean {
  const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/.exec(value);
  return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 65535;
}

const MIN_SECRET_BYTES = 32;

/**
 * Without JWT_SECRET, a strong secret is generated once and kept in DATA_DIR, so tokens survive restarts.
 * It is written to a temp file, synced, then linked into place: a concurrent starter or a crash
 * never sees a half-written (empty) secret, and the first process to link wins.
 */
function persistedSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  const existing = readSecret(file);
  if (existing !== undefined) return existing;
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, secret);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, file);
    syncDir(dataDir);
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readSecret(file)!;
  } finally {
    unlinkSync(temp);
  }
}

function readSecret(file: string): string | undefined {
  let content: string;
  try {
    content = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (Buffer.byteLength(content) < MIN_SECRET_BYTES) {
    throw new ConfigError([
      `${file} holds a JWT secret shorter than ${MIN_SECRET_BYTES} bytes: fix or delete it, or set JWT_SECRET`,
    ]);
  }
  return content;
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the file itself is already synced.
  }
}
