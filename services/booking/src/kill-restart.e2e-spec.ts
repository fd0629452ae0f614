import Database from 'better-sqlite3';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiClient, waitFor } from '@concert/testing';

// Boots the real server twice as a child process on a loaded box: generous limits.
jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '../../..');
const USERS = 30;

interface Server {
  child: ChildProcess;
  url: string;
  output: string[];
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => done(port));
    });
  });
}

/** `npm start` as a child process on DATA_DIR; resolves once /health answers. */
async function boot(dataDir: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', './tools/register.js', 'apps/embedded/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      QUEUE_MAX_ACTIVE: '1000',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (d) => output.push(String(d)));
  child.stderr!.on('data', (d) => output.push(String(d)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${output.join('')}`);
      try {
        return (await fetch(`${url}/health`)).ok;
      } catch {
        return false;
      }
    },
    120_000,
    200,
  );
  return { child, url, output };
}

function kill9(server: Server): Promise<void> {
  return new Promise((done) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return done();
    server.child.once('exit', () => done());
    server.child.kill('SIGKILL');
  });
}

interface Row {
  stream_id: string;
  type: string;
  data: string;
}

interface Buyer {
  userId: string;
  token: string;
  client: ApiClient;
  reservationId: string;
  price: number;
  seatNumber: number;
}

describe('kill -9 during charges and payments, restart on the same DATA_DIR', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'concert-kill9-'));
  let server: Server | undefined;

  afterAll(async () => {
    if (server) await kill9(server);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged charge and payment, keeps tokens working and conserves money', async () => {
    server = await boot(dataDir);
    const api = new ApiClient(server.url);
    const date: string = (await (await api.tokenFor(randomUUID())).client.get('/concerts/1/available-dates')).body
      .availableDates[0];

    const buyers: Buyer[] = [];
    for (let seatNumber = 1; seatNumber <= USERS; seatNumber++) {
      const userId = randomUUID();
      const { client, token, status } = await api.tokenFor(userId);
      expect(status).toBe('ACTIVE');
      const hold = await client.post('/reservations', { concertId: 1, date, seatNumber });
      expect(hold.status).toBe(201);
      buyers.push({ userId, token, client, reservationId: hold.body.reservationId, price: hold.body.price, seatNumber });
    }

    const ackedCharges: { userId: string; amount: number }[] = [];
    const ackedPayments: { userId: string; reservationId: string; paymentId: string; amount: number }[] = [];
    let killed = false;

    // Each buyer charges in small unique amounts and pays as soon as the balance covers the seat.
    const stream = buyers.map(async (b, index) => {
      let balance = 0;
      let paid = false;
      for (let i = 0; !killed; i++) {
        const amount = 20_000 + i * 100 + index;
        try {
          const headers: Record<string, string> = i % 2 ? { 'Idempotency-Key': `charge-${b.userId}-${i}` } : {};
          const charged = await b.client.post(`/users/${b.userId}/charge`, { amount }, headers);
          if (charged.status === 200) {
            ackedCharges.push({ userId: b.userId, amount });
            balance = charged.body.balance;
          }
          if (!paid && balance >= b.price) {
            const payment = await b.client.post('/payments', { reservationId: b.reservationId });
            if (payment.status === 200) {
              paid = true;
              ackedPayments.push({
                userId: b.userId,
                reservationId: b.reservationId,
                paymentId: payment.body.paymentId,
                amount: payment.body.amount,
              });
            }
          }
        } catch {
          return; // the server is gone
        }
      }
    });

    await waitFor(async () => ackedPayments.length >= 8, 120_000, 20);
    killed = true;
    await kill9(server);
    await Promise.all(stream);
    expect(ackedCharges.length).toBeGreaterThan(0);

    server = await boot(dataDir);
    const restarted = new ApiClient(server.url);

    const db = new Database(join(dataDir, 'events.db'), { readonly: true, fileMustExist: true });
    const rows = db.prepare('SELECT stream_id, type, data FROM events ORDER BY position').all() as Row[];
    db.close();
    const events = rows.map((r) => ({ streamId: r.stream_id, type: r.type, data: JSON.parse(r.data) }));
    const ofType = (type: string) => events.filter((e) => e.type === type);

    // Every acknowledged charge is on disk.
    for (const c of ackedCharges) {
      expect(ofType('WalletCharged').some((e) => e.data.userId === c.userId && e.data.amount === c.amount)).toBe(true);
    }
    // Every acknowledged payment is complete: debited once, never refunded, the seat sold to the payer.
    for (const p of ackedPayments) {
      expect(ofType('PaymentCompleted').filter((e) => e.data.paymentId === p.paymentId)).toHaveLength(1);
      expect(ofType('WalletDebited').filter((e) => e.data.paymentId === p.paymentId)).toHaveLength(1);
      expect(ofType('WalletRefunded').filter((e) => e.data.paymentId === p.paymentId)).toHaveLength(0);
      const sold = ofType('SeatSold').filter((e) => e.data.reservationId === p.reservationId);
      expect(sold).toHaveLength(1);
      expect(sold[0].data).toMatchObject({ paymentId: p.paymentId, userId: p.userId });
    }
    // No saga is left half-way after the restart, and no seat is sold twice.
    const lastOfPayment = new Map<string, string>();
    for (const e of events) if (e.streamId.startsWith('booking-payment-')) lastOfPayment.set(e.streamId, e.type);
    for (const [stream, type] of lastOfPayment) expect([stream, type]).not.toEqual([stream, 'PaymentStarted']);
    const soldSeats = ofType('SeatSold').map((e) => e.streamId);
    expect(new Set(soldSeats).size).toBe(soldSeats.length);
    // Every debit ends in exactly one of: that seat sold to that user, or a refund.
    for (const debit of ofType('WalletDebited')) {
      const sold = ofType('SeatSold').some(
        (e) => e.data.paymentId === debit.data.paymentId && e.data.userId === debit.data.userId,
      );
      const refunded = ofType('WalletRefunded').some((e) => e.data.paymentId === debit.data.paymentId);
      expect(sold !== refunded).toBe(true);
    }
    // Money is conserved, and the balance read through the old token says the same.
    for (const b of buyers) {
      const mine = events.filter((e) => e.streamId === `wallet-account-${b.userId}`);
      const sum = (type: string) => mine.filter((e) => e.type === type).reduce((total, e) => total + e.data.amount, 0);
      const expected = sum('WalletCharged') - sum('WalletDebited') + sum('WalletRefunded');
      expect(expected).toBeGreaterThanOrEqual(0);
      if (mine.length) expect(mine[mine.length - 1].data.balanceAfter).toBe(expected);
      const balance = await restarted.withToken(b.token).get(`/users/${b.userId}/balance`);
      expect(balance.status).toBe(200);
      expect(balance.body).toEqual({ userId: b.userId, balance: expected });
    }

    // Tokens of buyers who have not paid are still ACTIVE and still pay.
    const paidIds = new Set(ofType('PaymentCompleted').map((e) => e.data.reservationId));
    const unpaid = buyers.filter((b) => !paidIds.has(b.reservationId));
    for (const b of unpaid.slice(0, 3)) {
      const client = restarted.withToken(b.token);
      expect((await client.get('/queue/status')).body.status).toBe('ACTIVE');
      await client.post(`/users/${b.userId}/charge`, { amount: b.price });
      const paid = await client.post('/payments', { reservationId: b.reservationId });
      expect(paid.status).toBe(200);
    }
  });
});
