import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { FORWARDS, jsonEvent, KurrentDBClient, START } from '@kurrent/kurrentdb-client';
import { GenericContainer, StartedTestContainer, Wait } from 'testcontainers';
import { NewEvent, StoredEvent } from '@concert/contracts';
import { eventStoreContract } from '../../event-store.contract';
import { KurrentDbEventStore } from './kurrentdb-event-store';

/*
 * The EventStore contract against a real KurrentDB: the server at EVENTSTORE_URL when set,
 * otherwise one started with testcontainers. Without a container runtime (or when the image
 * cannot be pulled) the suite is skipped, with the reason printed and in its title: it never
 * counts as passed. TESTCONTAINERS_REQUIRED=1 turns the skip into a failure (for CI with Docker).
 */

const IMAGE = 'kurrentplatform/kurrentdb:26.1';
const HTTP_PORT = 2113;

type Target = { kind: 'url'; url: string } | { kind: 'container' } | { kind: 'skip'; reason: string };

const target = chooseTarget();
if (target.kind === 'skip') {
  const message = `[kurrentdb int-spec] SKIPPED: ${target.reason}. Set EVENTSTORE_URL=kurrentdb://host:2113?tls=false to run against a running server.`;
  if (/^(1|true|yes)$/i.test(process.env.TESTCONTAINERS_REQUIRED ?? '')) throw new Error(message);
  // Straight to stderr: jest hides console output of a suite whose tests are all skipped.
  process.stderr.write(`${message}\n`);
}
const describeTarget = target.kind === 'skip' ? describe.skip : describe;
const label =
  target.kind === 'skip' ? `skipped: ${target.reason}` : target.kind === 'url' ? `EVENTSTORE_URL` : `testcontainers ${IMAGE}`;

describeTarget(`KurrentDbEventStore on KurrentDB (${label})`, () => {
  let container: StartedTestContainer | undefined;
  let url = target.kind === 'url' ? target.url : '';

  beforeAll(async () => {
    if (target.kind === 'container') {
      container = await new GenericContainer(IMAGE)
        .withEnvironment({
          KURRENTDB_CLUSTER_SIZE: '1',
          KURRENTDB_INSECURE: 'true',
          KURRENTDB_RUN_PROJECTIONS: 'All',
          KURRENTDB_START_STANDARD_PROJECTIONS: 'true',
        })
        .withExposedPorts(HTTP_PORT)
        .withWaitStrategy(Wait.forHttp('/health/live', HTTP_PORT).forStatusCodeMatching((s) => s >= 200 && s < 300))
        .withStartupTimeout(180_000)
        .start();
      url = `kurrentdb://${container.getHost()}:${container.getMappedPort(HTTP_PORT)}?tls=false`;
    }
    await waitUntilWritable(url);
  }, 300_000);

  afterAll(async () => {
    await container?.stop();
  }, 60_000);

  eventStoreContract(
    'kurrentdb',
    async () => {
      const store = new KurrentDbEventStore(url);
      return { store, cleanup: () => store.close() };
    },
    // A shared server with system events in $all; KurrentDB keeps event ids unique per stream only.
    { exclusive: false, globallyUniqueEventIds: false },
  );

  describe('what the adapter relies on in the server', () => {
    let store: KurrentDbEventStore;
    let raw: KurrentDBClient;
    beforeEach(() => {
      store = new KurrentDbEventStore(url);
      raw = KurrentDBClient.connectionString(url);
    });
    afterEach(async () => {
      await store.close();
      await raw.dispose();
    });

    it('gives every event of a multi-event append commit === prepare, the port position being the commit', async () => {
      const s = `kdb-pos-${randomUUID()}`;
      const r = await store.append(s, [event('A'), event('B'), event('C')], 'no_stream');
      const records = [];
      for await (const e of raw.readStream(s, { fromRevision: START, direction: FORWARDS })) records.push(e.event!);
      expect(records.every((e) => e.position && e.position.commit === e.position.prepare)).toBe(true);
      const ported = await store.readStream(s);
      expect(ported.map((e) => e.position)).toEqual(records.map((e) => Number(e.position!.commit)));
      expect(r.position).toBe(ported[2].position);
    });

    it('reads $all forwards inclusively from a position (so the adapter drops the event at `after`)', async () => {
      const s = `kdb-incl-${randomUUID()}`;
      const r = await store.append(s, [event('A')], 'no_stream');
      const p = BigInt(r.position);
      const first = [];
      for await (const e of raw.readAll({ fromPosition: { commit: p, prepare: p }, direction: FORWARDS, maxCount: 1 }))
        first.push(e.event!);
      expect(first[0]?.streamId).toBe(s);
      expect(await store.readAll(r.position, 10)).not.toContainEqual(expect.objectContaining({ position: r.position }));
    });

    it('keeps system records out of readAll and headPosition while $all holds them', async () => {
      const start = await store.headPosition();
      for (let i = 0; i < 5; i++) await store.append(`kdbsys-${randomUUID()}`, [event('E', { i })], 'no_stream');
      // Projections ($by_category, $stream_by_category, …) write $-records of their own.
      await new Promise((r) => setTimeout(r, 1500));
      let systemSeen = 0;
      for await (const e of raw.readAll({ fromPosition: START, direction: FORWARDS, maxCount: 20_000 })) {
        if (e.event && (e.event.streamId.startsWith('$') || e.event.type.startsWith('$'))) systemSeen++;
      }
      // Our container runs the projections; a server at EVENTSTORE_URL may not.
      if (target.kind === 'container') expect(systemSeen).toBeGreaterThan(0);
      const mine = await store.readAll(start, 100_000);
      expect(mine.every((e) => !e.streamId.startsWith('$') && !e.type.startsWith('$'))).toBe(true);
      expect(mine.filter((e) => e.streamId.startsWith('kdbsys-'))).toHaveLength(5);
      const head = await store.headPosition();
      // Only this spec writes to our container; a shared server may have moved on.
      if (target.kind === 'container') expect(head).toBe(mine[mine.length - 1].position);
      else expect(head).toBeGreaterThanOrEqual(mine[mine.length - 1].position);
    });

    it('stores the schema version and correlation in the event metadata', async () => {
      const s = `kdb-meta-${randomUUID()}`;
      const e = { ...event('TokenExpired', { tokenId: 't' }), version: 2 };
      await store.append(s, [e], 'no_stream');
      const records = [];
      for await (const r of raw.readStream(s)) records.push(r.event!);
      expect(records[0].metadata).toMatchObject({
        schemaVersion: 2,
        $correlationId: e.metadata.correlationId,
        occurredAt: e.metadata.occurredAt,
      });
      expect((await store.readStream(s))[0]).toMatchObject({ version: 2, metadata: e.metadata, data: e.data });
    });

    it('wakes a subscription on writes by another client through the live $all subscription (no polling)', async () => {
      const quiet = new KurrentDbEventStore(url, { pollIntervalMs: 0 });
      const received: StoredEvent[] = [];
      const sub = quiet.subscribeAll(await quiet.headPosition(), (e) => {
        received.push(e);
      });
      try {
        await new Promise((r) => setTimeout(r, 500));
        const s = `kdb-live-${randomUUID()}`;
        const r = await store.append(s, [event('A')], 'no_stream');
        const deadline = Date.now() + 10_000;
        while (!received.some((e) => e.position === r.position)) {
          if (Date.now() > deadline) throw new Error('live event not delivered within 10 s');
          await new Promise((res) => setTimeout(res, 20));
        }
      } finally {
        await sub.close();
        await quiet.close();
      }
    });
  });
});

function chooseTarget(): Target {
  const url = process.env.EVENTSTORE_URL?.trim();
  if (url) return { kind: 'url', url };
  const probe = probeContainerRuntime(IMAGE);
  return probe.ok ? { kind: 'container' } : { kind: 'skip', reason: probe.reason };
}

/**
 * Synchronous, at module load (jest needs to know skip vs run while collecting tests): a child
 * node process asks testcontainers for a container runtime and makes sure the image is there
 * (pulling it if needed), and prints the outcome.
 */
function probeContainerRuntime(image: string): { ok: true } | { ok: false; reason: string } {
  const script = `
    const { getContainerRuntimeClient, ImageName } = require(process.env.PROBE_TESTCONTAINERS);
    const say = (o) => { process.stdout.write('\\nPROBE ' + JSON.stringify(o) + '\\n'); process.exit(0); };
    (async () => {
      let client;
      try { client = await getContainerRuntimeClient(); }
      catch (e) { return say({ ok: false, reason: 'no container runtime: ' + (e && e.message || e) }); }
      const name = ImageName.fromString(process.env.PROBE_IMAGE);
      try { if (!(await client.image.exists(name))) await client.image.pull(name); }
      catch (e) { return say({ ok: false, reason: 'cannot pull ' + process.env.PROBE_IMAGE + ': ' + (e && e.message || e) }); }
      say({ ok: true });
    })().catch((e) => say({ ok: false, reason: String(e && e.message || e) }));
  `;
  const result = spawnSync(process.execPath, ['-e', script], {
    env: { ...process.env, PROBE_TESTCONTAINERS: require.resolve('testcontainers'), PROBE_IMAGE: image },
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
  if (result.error) return { ok: false, reason: `container runtime probe failed: ${result.error.message}` };
  const line = result.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('PROBE '));
  if (!line)
    return {
      ok: false,
      reason: `container runtime probe printed no answer (exit ${result.status}): ${result.stderr.trim().slice(0, 300)}`,
    };
  return JSON.parse(line.slice('PROBE '.length));
}

/** /health/live answers before the node has become leader: wait until an append goes through. */
async function waitUntilWritable(url: string): Promise<void> {
  const client = KurrentDBClient.connectionString(url);
  const deadline = Date.now() + 120_000;
  try {
    for (;;) {
      try {
        await client.appendToStream(`readiness-${randomUUID()}`, jsonEvent({ type: 'Ready', data: {} }));
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } finally {
    await client.dispose();
  }
}

function event(type: string, data: Record<string, unknown> = {}): NewEvent {
  const id = randomUUID();
  return { id, type, version: 1, data, metadata: { occurredAt: new Date().toISOString(), correlationId: id, causationId: id } };
}
