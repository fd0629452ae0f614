import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'config-spec-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const load = (env: Record<string, string | undefined> = {}) => loadConfig({ DATA_DIR: dataDir, ...env });
  const problemsOf = (env: Record<string, string | undefined>): string[] => {
    try {
      load(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
  };

  it('has the documented defaults', () => {
    const config = load();
    expect(config).toMatchObject({
      mode: 'embedded',
      port: 3000,
      host: '0.0.0.0',
      dataDir: resolve(dataDir),
      queueMaxActive: 100,
      activeTokenTtlSeconds: 600,
      queueIdleTimeoutSeconds: 300,
      holdTtlSeconds: 300,
      seedDemo: true,
      maxChargeAmount: 10_000_000,
      rateLimitRpsPerIp: 200,
      rateLimitRpsPerToken: 20,
    });
    expect(config.adminApiKey).toBeUndefined();
    expect(config.kafkaBrokers).toBeUndefined();
    expect(config.mongoUrl).toBeUndefined();
    expect(config.eventstoreUrl).toBeUndefined();
  });

  it('DATA_DIR defaults to ./data', () => {
    const config = loadConfig({ JWT_SECRET: 'k'.repeat(32) });
    expect(config.dataDir).toBe(resolve('./data'));
  });

  it('reads every setting', () => {
    const config = load({
      PORT: '8080',
      HOST: '127.0.0.1',
      QUEUE_MAX_ACTIVE: '3',
      ACTIVE_TOKEN_TTL_SECONDS: '60',
      QUEUE_IDLE_TIMEOUT_SECONDS: '30',
      HOLD_TTL_SECONDS: '5',
      JWT_SECRET: 's'.repeat(32),
      ADMIN_API_KEY: 'admin-key-123456',
      SEED_DEMO: 'false',
      MAX_CHARGE_AMOUNT: '500',
      RATE_LIMIT_RPS_PER_IP: '20',
      RATE_LIMIT_RPS_PER_TOKEN: '5',
      EVENTSTORE_URL: 'kurrentdb://localhost:2113?tls=false',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      queueMaxActive: 3,
      activeTokenTtlSeconds: 60,
      queueIdleTimeoutSeconds: 30,
      holdTtlSeconds: 5,
      jwtSecret: 's'.repeat(32),
      adminApiKey: 'admin-key-123456',
      seedDemo: false,
      maxChargeAmount: 500,
      rateLimitRpsPerIp: 20,
      rateLimitRpsPerToken: 5,
      eventstoreUrl: 'kurrentdb://localhost:2113?tls=false',
    });
  });

  it('accepts IPv4, IPv6 and host names for HOST', () => {
    for (const host of ['127.0.0.1', '::', '::1', 'localhost', 'api.internal']) expect(load({ HOST: host }).host).toBe(host);
  });

  it('reads the distributed settings', () => {
    const config = load({
      MODE: 'distributed',
      KAFKA_BROKERS: 'kafka:9092, kafka2:9092',
      MONGO_URL: 'mongodb://mongo:27017/concert',
    });
    expect(config.mode).toBe('distributed');
    expect(config.kafkaBrokers).toEqual(['kafka:9092', 'kafka2:9092']);
    expect(config.mongoUrl).toBe('mongodb://mongo:27017/concert');
  });

  it('treats an empty variable as unset', () => {
    expect(load({ PORT: '', QUEUE_MAX_ACTIVE: '', SEED_DEMO: '' })).toMatchObject({
      port: 3000,
      queueMaxActive: 100,
      seedDemo: true,
    });
  });

  it.each([
    ['PORT', ['abc', '-1', '65536', '80.5', '1e3']],
    ['HOST', ['not a host', 'http://localhost']],
    ['QUEUE_MAX_ACTIVE', ['abc', '0', '-3', '2.5', '99999999999999999999']],
    ['ACTIVE_TOKEN_TTL_SECONDS', ['0', 'ten']],
    ['QUEUE_IDLE_TIMEOUT_SECONDS', ['0', '5s']],
    ['HOLD_TTL_SECONDS', ['0', '300 s', '0x10']],
    ['MAX_CHARGE_AMOUNT', ['0', '1,000']],
    ['RATE_LIMIT_RPS_PER_IP', ['-1', 'many']],
    ['RATE_LIMIT_RPS_PER_TOKEN', ['-1', 'many']],
    ['SEED_DEMO', ['maybe', '2']],
    ['MODE', ['cluster']],
    ['JWT_SECRET', ['too-short']],
    ['ADMIN_API_KEY', ['short']],
    ['KAFKA_BROKERS', ['kafka', 'kafka:port', ':9092', 'kafka:9092,broken']],
    ['MONGO_URL', ['localhost:27017', 'http://mongo']],
    ['EVENTSTORE_URL', ['localhost:2113', 'http://esdb:2113']],
  ])('rejects a bad %s naming the variable', (name, values) => {
    for (const value of values) {
      const problems = problemsOf({ [name]: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(name);
    }
  });

  it('lists every problem at once in a readable message', () => {
    let error: unknown;
    try {
      load({ PORT: 'x', QUEUE_MAX_ACTIVE: 'abc', HOLD_TTL_SECONDS: '0', SEED_DEMO: 'perhaps', JWT_SECRET: 'short' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { message, problems } = error as ConfigError;
    expect(problems).toHaveLength(5);
    for (const name of ['PORT', 'QUEUE_MAX_ACTIVE', 'HOLD_TTL_SECONDS', 'SEED_DEMO', 'JWT_SECRET'])
      expect(message).toContain(name);
    expect(message).toContain('"abc"');
    expect(message).toMatch(/^Invalid configuration/);
  });

  it('requires Kafka and Mongo in distributed mode', () => {
    const problems = problemsOf({ MODE: 'distributed' });
    expect(problems.join('\n')).toContain('KAFKA_BROKERS');
    expect(problems.join('\n')).toContain('MONGO_URL');
  });

  it('does not write a secret when the configuration is invalid', () => {
    problemsOf({ PORT: 'x' });
    expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(false);
  });

  describe('JWT_SECRET', () => {
    it('is used as given', () => {
      expect(load({ JWT_SECRET: 'x'.repeat(40) }).jwtSecret).toBe('x'.repeat(40));
      expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(false);
    });

    it('when unset, is generated once, kept in DATA_DIR (owner-only) and stable across loads', () => {
      const first = load().jwtSecret;
      expect(Buffer.byteLength(first)).toBeGreaterThanOrEqual(32);
      const file = join(dataDir, 'jwt-secret');
      expect(readFileSync(file, 'utf8').trim()).toBe(first);
      expect(statSync(file).mode & 0o077).toBe(0);
      expect(load().jwtSecret).toBe(first);
      expect(load({ PORT: '1234' }).jwtSecret).toBe(first);
    });

    it('when unset, differs between data dirs', () => {
      const other = mkdtempSync(join(tmpdir(), 'config-spec-'));
      try {
        expect(loadConfig({ DATA_DIR: other }).jwtSecret).not.toBe(load().jwtSecret);
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    });

    it('creates DATA_DIR when it does not exist', () => {
      const nested = join(dataDir, 'a', 'b');
      const secret = loadConfig({ DATA_DIR: nested }).jwtSecret;
      expect(readFileSync(join(nested, 'jwt-secret'), 'utf8').trim()).toBe(secret);
    });

    it.each([
      ['empty', ''],
      ['blank', '   \n'],
      ['short', 'abc'],
    ])('never signs with a weak persisted secret (%s file): it is a configuration error naming the file', (_, content) => {
      writeFileSync(join(dataDir, 'jwt-secret'), content);
      let error: unknown;
      try {
        load();
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain('jwt-secret');
    });
  });
});
