import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { EmbeddedServer, startEmbedded } from '@concert/testing';
import { Answer, call, prng, sleep } from './lib/http';
import { table, writeResults } from './lib/results';
import { runAudit } from './lib/server';

jest.setTimeout(600_000);

const HOLD_TTL_SECONDS = 2;
const ROUNDS = Number(process.env.RACE_ROUNDS ?? 10);
const SEED = Number(process.env.RACE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const START_BALANCE = 5_000_000;

/**
 * Races on one seat (holds from many clients, the holder's payments and cancel, and the hold's own
 * expiry, all within a few hundred ms of each other) and on one wallet (many payments at once,
 * money for only some of them). The API's answers must agree with each other, and the audit of the
 * log must hold.
 */
describe('races: hold vs expiry vs payment vs cancel on one seat; concurrent payments on one wallet', () => {
  let server: EmbeddedServer;
  const random = prng(SEED);

  beforeAll(async () => {
    server = await startEmbedded({ env: { HOLD_TTL_SECONDS: String(HOLD_TTL_SECONDS), QUEUE_MAX_ACTIVE: '100000' } });
  });
  afterAll(async () => {
    await server?.close({ keepData: true });
    rmSync(server.dataDir, { recursive: true, force: true });
  });

  const tokenOf = async (userId: string): Promise<string> => {
    const res = await call(server.url, 'POST', '/queue/token', { body: { userId } });
    expect(res.body.status).toBe('ACTIVE');
    return res.body.token;
  };
  const at = <T>(ms: number, work: () => Promise<T>): Promise<T> => sleep(Math.max(0, ms)).then(work);

  const seatRounds: (string | number)[][] = [];
  const walletRounds: (string | number)[][] = [];
  const tally = {
    seatRaces: 0,
    holdRequests: 0,
    holdWinners: 0,
    sold: 0,
    cancelled: 0,
    expired: 0,
    reheld: 0,
    payRequests: 0,
    payIdsPerSale: 0,
  };

  it('one seat: exactly one hold wins; pay, cancel, expiry and other holds never contradict each other', async () => {
    const url = server.url;
    const date: string = (await call(url, 'GET', '/concerts/1/available-dates', { token: await tokenOf(randomUUID()) })).body
      .availableDates[0];
    const users = Array.from({ length: 12 }, () => randomUUID());
    for (const u of users) {
      const token = await tokenOf(u);
      expect((await call(url, 'POST', `/users/${u}/charge`, { token, body: { amount: START_BALANCE } })).status).toBe(200);
    }
    const spent = new Map<string, number>(users.map((u) => [u, 0]));

    for (let round = 0; round < ROUNDS; round++) {
      const seatNumber = round + 1;
      const tokens = new Map<string, string>();
      for (const u of users) tokens.set(u, await tokenOf(u));
      // Everyone holds the same seat at once: exactly one 201, the others 409.
      const holds = await Promise.all(
        users.map((u) => call(url, 'POST', '/reservations', { token: tokens.get(u), body: { concertId: 1, date, seatNumber } })),
      );
      tally.seatRaces++;
      tally.holdRequests += holds.length;
      const winners = holds.map((h, i) => ({ h, u: users[i] })).filter(({ h }) => h.status === 201);
      expect({ round, winners: winners.length, others: holds.filter((h) => h.status !== 201).map((h) => h.status) }).toEqual({
        round,
        winners: 1,
        others: Array(users.length - 1).fill(409),
      });
      tally.holdWinners++;
      const holder = winners[0].u;
      const reservationId: string = winners[0].h.body.reservationId;
      const price: number = winners[0].h.body.price;
      const untilExpiry = Date.parse(winners[0].h.body.expiresAt) - Date.now();

      // Around the moment of expiry: the holder pays three times and cancels once; five others try to hold.
      // Centred before, at, or after the expiry in turn, so each of pay, cancel and expiry gets to win.
      const centre = untilExpiry + [-300, 0, 300][round % 3];
      const jitter = () => centre - 300 + random() * 600;
      const others = users.filter((u) => u !== holder).slice(0, 5);
      const [pays, cancel, reholds] = await Promise.all([
        Promise.all(
          [0, 1, 2].map(() =>
            at(jitter(), () => call(url, 'POST', '/payments', { token: tokens.get(holder), body: { reservationId } })),
          ),
        ),
        at(jitter(), () => call(url, 'DELETE', `/reservations/${reservationId}`, { token: tokens.get(holder) })),
        Promise.all(
          others.map((u) =>
            at(jitter(), () =>
              call(url, 'POST', '/reservations', { token: tokens.get(u), body: { concertId: 1, date, seatNumber } }),
            ),
          ),
        ),
      ]);
      tally.payRequests += pays.length;
      const all: Answer[] = [...pays, cancel, ...reholds];
      expect(all.filter((a) => a.status === 0 || a.status >= 500)).toEqual([]);
      const paid = pays.filter((p) => p.status === 200);
      const paymentIds = new Set(paid.map((p) => p.body.paymentId));
      const reheld = reholds.filter((r) => r.status === 201);
      const outcome = paid.length > 0 ? 'sold' : cancel.status === 200 ? 'cancelled' : 'expired';
      // One payment at most, however many requests; never both paid and cancelled; a sold seat is never held again.
      expect({ round, paymentIds: paymentIds.size <= 1, paidAndCancelled: paid.length > 0 && cancel.status === 200 }).toEqual({
        round,
        paymentIds: true,
        paidAndCancelled: false,
      });
      if (paid.length > 0) expect({ round, reheldAfterSale: reheld.length }).toEqual({ round, reheldAfterSale: 0 });
      expect(reheld.length).toBeLessThanOrEqual(1);
      for (const p of pays.filter((p) => p.status !== 200)) {
        // 400 expired, 409 cancelled or taken, 403 once a completed payment spent the token.
        expect({ round, status: p.status, allowed: [400, 403, 409].includes(p.status) }).toEqual({
          round,
          status: p.status,
          allowed: true,
        });
      }
      if (paid.length > 0) spent.set(holder, spent.get(holder)! + price);
      tally[outcome === 'sold' ? 'sold' : outcome === 'cancelled' ? 'cancelled' : 'expired']++;
      tally.reheld += reheld.length;
      tally.payIdsPerSale = Math.max(tally.payIdsPerSale, paymentIds.size);
      seatRounds.push([
        round + 1,
        outcome,
        pays.map((p) => p.status).join(' '),
        cancel.status,
        reholds.map((r) => r.status).join(' '),
      ]);
    }

    // Let expiries and any compensation settle, then every wallet shows exactly its sales.
    await sleep((HOLD_TTL_SECONDS + 3) * 1000);
    for (const u of users) {
      const token = await tokenOf(u);
      const balance = (await call(url, 'GET', `/users/${u}/balance`, { token })).body.balance;
      expect({ user: u, balance }).toEqual({ user: u, balance: START_BALANCE - spent.get(u)! });
    }
  });

  it('one wallet: many payments at once with money for only some: never negative, exactly what was paid', async () => {
    const url = server.url;
    const date: string = (await call(url, 'GET', '/concerts/1/available-dates', { token: await tokenOf(randomUUID()) })).body
      .availableDates[1];
    const PRICE = 80_000; // seats 31-50
    let seat = 31;
    for (let round = 0; round < 4; round++) {
      const userId = randomUUID();
      const token = await tokenOf(userId);
      const affordable = 1 + (round % 3);
      const charged = affordable * PRICE + 40_000;
      expect((await call(url, 'POST', `/users/${userId}/charge`, { token, body: { amount: charged } })).status).toBe(200);
      const reservations: string[] = [];
      for (let i = 0; i < 5; i++) {
        const hold = await call(url, 'POST', '/reservations', { token, body: { concertId: 1, date, seatNumber: seat++ } });
        expect(hold.status).toBe(201);
        reservations.push(hold.body.reservationId);
      }
      // Every reservation paid twice at once, with and without an Idempotency-Key: 10 requests in flight together.
      const answers = await Promise.all(
        reservations.flatMap((reservationId, i) => [
          call(url, 'POST', '/payments', { token, body: { reservationId } }),
          call(url, 'POST', '/payments', {
            token,
            body: { reservationId },
            headers: { 'idempotency-key': `pay-${i}-${userId}` },
          }),
        ]),
      );
      expect(answers.filter((a) => a.status === 0 || a.status >= 500)).toEqual([]);
      const paidReservations = new Set(answers.filter((a) => a.status === 200).map((a) => a.body.reservationId));
      for (const a of answers.filter((a) => a.status !== 200)) expect([402, 403, 400, 409]).toContain(a.status);
      const fresh = await tokenOf(userId);
      const balance = (await call(url, 'GET', `/users/${userId}/balance`, { token: fresh })).body.balance;
      expect(paidReservations.size).toBeLessThanOrEqual(affordable);
      expect(paidReservations.size).toBeGreaterThanOrEqual(1);
      expect(balance).toBe(charged - paidReservations.size * PRICE);
      expect(balance).toBeGreaterThanOrEqual(0);
      walletRounds.push([
        round + 1,
        charged,
        affordable,
        answers.length,
        paidReservations.size,
        answers.filter((a) => a.status === 402).length,
        answers.filter((a) => a.status === 403).length,
        balance,
      ]);
    }
  });

  it('the audit of the whole log holds (seats, balances, debits, holds)', async () => {
    await sleep((HOLD_TTL_SECONDS + 3) * 1000);
    await server.close({ keepData: true });
    const audit = runAudit(server.dataDir, ['--max-active', '100000']);
    const totals = audit.report?.totals ?? ({} as Record<string, number>);
    writeResults('races', 'Races', [
      `Seed ${SEED}, HOLD_TTL_SECONDS=${HOLD_TTL_SECONDS}.`,
      '',
      `**One seat, ${tally.seatRaces} rounds.** ${tally.holdRequests} concurrent holds: ${tally.holdWinners} won (one per round), the rest 409. ` +
        `Then, within ±0.6 s of the hold's expiry, the holder paid 3 times and cancelled once while 5 others tried to hold: ` +
        `${tally.sold} sold (never more than ${tally.payIdsPerSale} payment id per sale, never also cancelled, never held again), ` +
        `${tally.cancelled} cancelled, ${tally.expired} expired; ${tally.reheld} re-holds by others after a cancel or expiry. Every balance = start − its sales.`,
      '',
      ...table(['round', 'outcome', 'payments', 'cancel', 'holds by others'], seatRounds),
      '',
      `**One wallet, ${walletRounds.length} rounds.** Five held seats of 80 000, money for 1–3 of them, each paid twice at once:`,
      '',
      ...table(['round', 'charged', 'affordable', 'requests', 'paid', '402', '403 (token spent)', 'balance after'], walletRounds),
      '',
      `Audit: exit ${audit.exitCode}, ${audit.report?.checks.map((c) => `${c.id} ${c.ok ? 'ok' : `FAILED (${c.violations})`}`).join(', ') ?? 'no report'}; ` +
        `${totals.seatsSold} seats sold, ${totals.debits} debits (${totals.debitsSold} sold, ${totals.debitsRefunded} refunded), ${totals.openHolds} holds open.`,
    ]);
    expect({ exit: audit.exitCode, violations: audit.report?.violations ?? audit.stderr }).toEqual({ exit: 0, violations: [] });
    expect(audit.report!.inFlight).toEqual([]);
    expect(totals.openHolds).toBe(0);
  });
});
