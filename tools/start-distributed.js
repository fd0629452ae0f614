#!/usr/bin/env node
// `npm run start:distributed`: the distributed mode on this machine, one process per service
// (queue, booking, wallet, then the gateway on PORT), talking through Kafka, read models in MongoDB.
//
//   KAFKA_BROKERS  default 127.0.0.1:9092                      (npm run engines:up prints both)
//   MONGO_URL      default mongodb://127.0.0.1:27017/concert
//   INSTANCES      instances of each service (queue, booking, wallet), default 1; also --instances N
//
// Each child's output is prefixed with its name. SIGTERM/SIGINT stops them all; if one dies, the
// others are stopped and this exits 1. Ready when it prints "[start-distributed] ready on <url>".
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.join(__dirname, '..');
const SERVICES = ['queue', 'booking', 'wallet'];
const STARTUP_TIMEOUT_MS = Number(process.env.STARTUP_TIMEOUT_MS || 180_000);
const STOP_TIMEOUT_MS = Number(process.env.STOP_TIMEOUT_MS || 20_000);

const argIndex = process.argv.indexOf('--instances');
const instancesRaw = argIndex > 0 ? process.argv[argIndex + 1] : process.env.INSTANCES || '1';
const instances = Number(instancesRaw);
if (!Number.isInteger(instances) || instances < 1 || instances > 6) {
  process.stderr.write(`[start-distributed] instances must be an integer from 1 to 6, got "${instancesRaw}"\n`);
  process.exit(2);
}

const env = {
  ...process.env,
  MODE: 'distributed',
  KAFKA_BROKERS: process.env.KAFKA_BROKERS || '127.0.0.1:9092',
  MONGO_URL: process.env.MONGO_URL || 'mongodb://127.0.0.1:27017/concert',
  // The children run from the repository root: a relative DATA_DIR means relative to where this was started.
  DATA_DIR: path.resolve(process.env.DATA_DIR || path.join(ROOT, 'data')),
};

const children = new Map();
let stopping = false;

function say(line) {
  process.stdout.write(`[start-distributed] ${line}\n`);
}

function pipe(stream, name, out) {
  const lines = readline.createInterface({ input: stream });
  lines.on('line', (line) => out.write(`[${name}] ${line}\n`));
}

/** Starts one child; resolves when it reports ready, rejects if it exits or is not ready in time. */
function start(service, instance) {
  const name = instance ? `${service}#${instance}` : service;
  const child = spawn(process.execPath, ['-r', './tools/register.js', 'apps/distributed/src/main.ts', service], {
    cwd: ROOT,
    env: { ...env, INSTANCE_ID: String(instance || 1) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Own process group: a Ctrl-C reaches this supervisor only, which stops the children in order.
    // A child whose supervisor is gone sees its IPC channel close and stops itself.
    detached: true,
  });
  children.set(name, child);
  say(`started ${name} pid ${child.pid}`);
  pipe(child.stdout, name, process.stdout);
  pipe(child.stderr, name, process.stderr);
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
    child.on('message', (message) => {
      if (message && message.type === 'ready') {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${name} exited during start-up`));
    });
  });
  child.once('exit', (code, signal) => {
    children.delete(name);
    if (stopping) return;
    say(`${name} (pid ${child.pid}) exited (${signal || `code ${code}`}): stopping everything`);
    stopAll(1);
  });
  return ready;
}

function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  const running = [...children.entries()];
  if (running.length === 0) process.exit(exitCode);
  say(`stopping ${running.map(([n]) => n).join(', ')}`);
  // The gateway first (no new requests), then the services.
  const gateway = running.filter(([n]) => n === 'gateway');
  const services = running.filter(([n]) => n !== 'gateway');
  const exited = (child) =>
    new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', resolve)));
  const kill = setTimeout(() => {
    for (const [name, child] of children) {
      say(`${name} still running after ${STOP_TIMEOUT_MS} ms: SIGKILL`);
      child.kill('SIGKILL');
    }
  }, STOP_TIMEOUT_MS);
  (async () => {
    for (const [, child] of gateway) child.kill('SIGTERM');
    await Promise.all(gateway.map(([, c]) => exited(c)));
    for (const [, child] of services) child.kill('SIGTERM');
    await Promise.all(services.map(([, c]) => exited(c)));
    clearTimeout(kill);
    say('stopped');
    process.exit(exitCode);
  })();
}

process.on('SIGTERM', () => stopAll(0));
process.on('SIGINT', () => stopAll(0));

/** host:port answers TCP within 3 s. */
function reachable(hostPort) {
  const i = hostPort.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostPort.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hostPort.slice(i + 1)) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(3000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Fails fast, with the fix, when an engine is not there (kafkajs would retry for half a minute). */
async function checkEngines() {
  const mongoHost = /^mongodb:\/\/(?:[^@/]*@)?([^/,?]+)/.exec(env.MONGO_URL);
  const targets = [['Kafka', env.KAFKA_BROKERS.split(',')[0].trim()]];
  if (mongoHost) targets.push(['MongoDB', mongoHost[1].includes(':') ? mongoHost[1] : `${mongoHost[1]}:27017`]);
  const down = [];
  for (const [name, target] of targets) if (!(await reachable(target))) down.push(`${name} at ${target}`);
  if (down.length) {
    say(`${down.join(' and ')} not reachable: start the engines (npm run engines:up) or set KAFKA_BROKERS / MONGO_URL`);
    process.exit(1);
  }
}

(async () => {
  await checkEngines();
  say(
    `Kafka ${env.KAFKA_BROKERS}, MongoDB ${env.MONGO_URL.replace(/\/\/[^@/]*@/, '//***@')}, ${instances} instance(s) per service`,
  );
  const serviceNames = SERVICES.flatMap((s) => Array.from({ length: instances }, (_, i) => [s, instances > 1 ? i + 1 : 0]));
  await Promise.all(serviceNames.map(([s, i]) => start(s, i)));
  await start('gateway', 0);
  say(`ready on http://${env.HOST && env.HOST !== '0.0.0.0' ? env.HOST : '127.0.0.1'}:${env.PORT || 3000}`);
})().catch((err) => {
  if (stopping) return;
  say(`start-up failed: ${err.message}`);
  stopAll(1);
});
