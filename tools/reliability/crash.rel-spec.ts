import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEvents } from './lib/events';
import { Answer, call, prng, sleep, tokenId } from './lib/http';
import { table, writeResults } from './lib/results';
import { runAudit, ServerProcess, spawnServer } from './lib/server';

jest.setTimeout(600_000);

const CYCLES = Number(process.env.CRASH_CYCLES ?? 12);
const USERS = 16;
const HOLD_TTL_SECONDS = 3;
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

interface Acked {
  tokens: Set<string>;
  charges: { userId: string; amount: number; balance: number }[];
  holds: Map<string, string>;
  cancels: Set<string>;
  payments: { paymentId: string; reservationId: string; userId: string; amount: number }[];
}

/**
 * SIGKILL the real server process at random moments under a mixed load (token issue, charges, holds,
 * payments racing a 3-second hold expiry, cancels), restart it on the same DATA_DIR, many times.
 * Then: every answer a client got as 200/201 is in the log, and the audit proves nothing sold twice,
 * money conserved, every debit settled and no hold left open.
 */
describe('crashes: SIGKILL at random moments under load, restart on the same DATA_DIR', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'concert-crash-'));
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`loses nothing acknowledged across ${CYCLES} kills, and the audit holds`, async () => {
    const random = prng(SEED);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
    const adminKey = `crash-admin-${randomUUID()}`;
    const env = {
      QUEUE_MAX_ACTIVE: '100000',
      HOLD_TTL_SECONDS: String(HOLD_TTL_SECONDS),
      ACTIVE_TOKEN_TTL_SECONDS: '3600',
      ADMIN_API_KEY: adminKey,
    };
    server = await spawnServer({ dataDir, env });
    const port = server.port;
    const base = server.url;

    const acked: Acked = { tokens: new Set(), charges: [], holds: new Map(), cancels: new Set(), payments: [] };
    const stats = { requests: 0, noAnswer: 0, serverErrors: [] as string[], byStatus: new Map<string, number>() };
    const count = (what: string, res: Answer) => {
      stats.requests++;
      if (res.status === 0) stats.noAnswer++;
      if (res.status >= 500) stats.serverErrors.push(`${what} ${res.status} ${res.text.slice(0, 200)}`);
      const key = `${what} ${res.status === 0 ? 'no answer' : res.status}`;
      stats.byStatus.set(key, (stats.byStatus.get(key) ?? 0) + 1);
    };

    const first = await call(base, 'POST', '/queue/token', { body: { userId: randomUUID() } });
    const dates: string[] = (await call(base, 'GET', '/concerts/1/available-dates', { token: first.body.token })).body
      .availableDates;
    expect(dates.length).toBeGreaterThan(0);
    // More seats than the demo's 150, so the load does not sell out: concert 2, two dates of 300 seats.
    const admin = { 'x-admin-key': adminKey };
    expect(
      (await call(base, 'POST', '/admin/concerts', { body: { concertId: 2, title: 'Crash test' }, headers: admin })).status,
    ).toBe(201);
    const moreDates = [40, 41].map((d) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10));
    for (const date of moreDates) {
      const seats = Array.from({ length: 300 }, (_, i) => ({ seatNumber: i + 1, price: 10_000 + 1_000 * (i % 50) }));
      expect((await call(base, 'POST', '/admin/concerts/2/schedules', { body: { date, seats }, headers: admin })).status).toBe(
        201,
      );
    }
    const seatPool = [
      ...dates.map((date) => ({ concertId: 1, date, seats: 50 })),
      ...moreDates.map((date) => ({ concertId: 2, date, seats: 300 })),
    ];

    let stop = false;
    const worker = async (userId: string) => {
      let token: string | undefined;
      const holds: string[] = [];
      while (!stop) {
        if (!token) {
          const res = await call(base, 'POST', '/queue/token', { body: { userId }, timeoutMs: 10_000 });
          count('token', res);
          if (res.status === 200) {
            token = res.body.token as string;
            acked.tokens.add(tokenId(token)!);
          } else await sleep(50);
          continue;
        }
        const roll = random();
        let res: Answer;
        if (roll < 0.2) {
          res = await call(base, 'POST', `/users/${userId}/charge`, {
            token,
            body: { amount: 50_000 + Math.floor(random() * 250_000) },
            headers: { 'idempotency-key': randomUUID() },
            timeoutMs: 10_000,
          });
          count('charge', res);
          if (res.status === 200) acked.charges.push({ userId, amount: res.body.chargedAmount, balance: res.body.balance });
        } else if (roll < 0.6 || holds.length === 0) {
          res = await call(base, 'POST', '/reservations', {
            token,
            body: (() => {
              const where = pick(seatPool);
              return { concertId: where.concertId, date: where.date, seatNumber: 1 + Math.floor(random() * where.seats) };
            })(),
            timeoutMs: 10_000,
          });
          count('hold', res);
          if (res.status === 201) {
            acked.holds.set(res.body.reservationId, userId);
            holds.push(res.body.reservationId);
          }
        } else if (roll < 0.85) {
          // Pay one of this user's holds, sometimes twice at once; young or near its expiry.
          const reservationId = holds.splice(Math.floor(random() * holds.length), 1)[0];
          const twice = random() < 0.3;
          const answers = await Promise.all(
            Array.from({ length: twice ? 2 : 1 }, () =>
              call(base, 'POST', '/payments', { token, body: { reservationId }, timeoutMs: 15_000 }),
            ),
          );
          res = answers[0];
          for (const a of answers) {
            count('pay', a);
            if (a.status === 200)
              acked.payments.push({ paymentId: a.body.paymentId, reservationId, userId, amount: a.body.amount });
          }
          if (answers.some((a) => a.status === 200)) token = undefined; // a completed payment spends the token
        } else {
          const reservationId = holds.splice(Math.floor(random() * holds.length), 1)[0];
          res = await call(base, 'DELETE', `/reservations/${reservationId}`, { token, timeoutMs: 10_000 });
          count('cancel', res);
          if (res.status === 200) acked.cancels.add(reservationId);
        }
        if (res.status === 401 || res.status === 403) token = undefined;
        if (res.status === 0) await sleep(50);
        else await sleep(random() * 30);
      }
    };
    const users = Array.from({ length: USERS }, () => randomUUID());
    const load = Promise.all(users.map((u) => worker(u)));

    const kills: number[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const runMs = 500 + Math.floor(random() * 2500);
      await sleep(runMs);
      kills.push(runMs);
      await server.kill();
      server = await spawnServer({ dataDir, env, port });
    }
    // Run a little after the last restart, then let the expiry process and resumed sagas finish.
    await sleep(1500);
    stop = true;
    await load;
    await sleep((HOLD_TTL_SECONDS + 6) * 1000);
    await server.stop();
    const stoppedCleanly = (await server.exited).code === 0;

    // Every acknowledged answer is in the log.
    const events = readEvents(dataDir, [
      'TokenIssued',
      'WalletCharged',
      'SeatHeld',
      'SeatHoldCancelled',
      'SeatSold',
      'WalletDebited',
    ]);
    const logged = {
      tokens: new Set(events.filter((e) => e.type === 'TokenIssued').map((e) => e.data.tokenId as string)),
      charges: new Set(
        events.filter((e) => e.type === 'WalletCharged').map((e) => `${e.data.userId}/${e.data.amount}/${e.data.balanceAfter}`),
      ),
      holds: new Set(events.filter((e) => e.type === 'SeatHeld').map((e) => e.data.reservationId as string)),
      cancels: new Set(events.filter((e) => e.type === 'SeatHoldCancelled').map((e) => e.data.reservationId as string)),
      sold: new Set(events.filter((e) => e.type === 'SeatSold').map((e) => `${e.data.paymentId}/${e.data.reservationId}`)),
      debits: new Set(events.filter((e) => e.type === 'WalletDebited').map((e) => e.data.paymentId as string)),
    };
    const lost = {
      tokens: [...acked.tokens].filter((t) => !logged.tokens.has(t)),
      charges: acked.charges.filter((c) => !logged.charges.has(`${c.userId}/${c.amount}/${c.balance}`)),
      holds: [...acked.holds.keys()].filter((r) => !logged.holds.has(r)),
      cancels: [...acked.cancels].filter((r) => !logged.cancels.has(r)),
      payments: acked.payments.filter(
        (p) => !logged.sold.has(`${p.paymentId}/${p.reservationId}`) || !logged.debits.has(p.paymentId),
      ),
    };

    const audit = runAudit(dataDir, ['--max-active', '100000']);
    const totals = audit.report?.totals ?? ({} as Record<string, number>);
    const lostCount = Object.values(lost).reduce((n, l) => n + l.length, 0);
    writeResults('crash', 'Crashes (SIGKILL under load, restart on the same DATA_DIR)', [
      `${kills.length} SIGKILLs of the server process (after ${Math.min(...kills)}–${Math.max(...kills)} ms of load each), ` +
        `${USERS} clients, HOLD_TTL_SECONDS=${HOLD_TTL_SECONDS}, seed ${SEED}; ${stats.requests} requests, ${stats.noAnswer} without an answer (server down), ` +
        `${stats.serverErrors.length} answered 5xx. Last stop by SIGTERM: ${stoppedCleanly ? 'exit 0' : 'NOT clean'}.`,
      '',
      ...table(
        ['acknowledged', 'count', 'missing from the log'],
        [
          ['tokens issued (200)', acked.tokens.size, lost.tokens.length],
          ['charges (200)', acked.charges.length, lost.charges.length],
          ['holds (201)', acked.holds.size, lost.holds.length],
          ['cancels (200)', acked.cancels.size, lost.cancels.length],
          [
            `payments (200; ${new Set(acked.payments.map((p) => p.paymentId)).size} distinct payment ids)`,
            acked.payments.length,
            lost.payments.length,
          ],
        ],
      ),
      '',
      `Audit (\`npm run audit -- --data-dir … --json\`): exit ${audit.exitCode}, ${audit.report?.checks.map((c) => `${c.id} ${c.ok ? 'ok' : `FAILED (${c.violations})`}`).join(', ') ?? 'no report'}; ` +
        `${totals.events} events, ${totals.holds} holds, ${totals.seatsSold} seats sold, ${totals.debits} debits ` +
        `(${totals.debitsSold} sold, ${totals.debitsRefunded} refunded, ${audit.report?.inFlight.length ?? '?'} in flight), ` +
        `${totals.openHolds} holds still open, charged ${totals.charged} = balances ${totals.balanceTotal} + debited ${totals.debited} − refunded ${totals.refunded}.`,
    ]);

    expect(stats.serverErrors).toEqual([]);
    expect(kills.length).toBeGreaterThanOrEqual(10);
    expect(acked.holds.size).toBeGreaterThan(0);
    expect(acked.payments.length).toBeGreaterThan(0);
    expect({ lostCount, lost }).toEqual({
      lostCount: 0,
      lost: { tokens: [], charges: [], holds: [], cancels: [], payments: [] },
    });
    expect({ exit: audit.exitCode, violations: audit.report?.violations ?? audit.stderr }).toEqual({ exit: 0, violations: [] });
    expect(audit.report!.inFlight).toEqual([]);
    expect(totals.openHolds).toBe(0);
    expect(totals.charged).toBe(totals.balanceTotal + totals.debited - totals.refunded);
    expect(stoppedCleanly).toBe(true);
  });
});
