import { createConcert, dateInDays } from '../harness/api';
import { BenchContext } from '../harness/context';
import { HttpDriver } from '../harness/driver';
import { formatStatuses, holdRequest, load } from '../harness/load';
import { Row } from '../harness/report';
import { ServerProcess } from '../harness/server';
import { efficiency, measureSteady, steadyColumns } from '../harness/steady';

export interface HoldOutcome {
  row: Row;
  /** Every reservation a 201 acknowledged. */
  reservationIds: string[];
}

const BENCH_CONCERT = 2;
const MAX_SEATS_PER_DATE = 10_000;

/** POST /reservations where every request holds a different free seat: one durable append each. */
export async function runHold(ctx: BenchContext, server: ServerProcess, tokens: string[]): Promise<HoldOutcome> {
  const count = Math.min(tokens.length, ctx.quick ? 5_000 : 20_000);
  const seatsPerDate = Math.min(MAX_SEATS_PER_DATE, count);
  const dates = Array.from({ length: Math.ceil(count / seatsPerDate) }, (_, i) => dateInDays(60 + i));
  const admin = new HttpDriver(server.url, 1);
  await createConcert(admin, BENCH_CONCERT, dates, seatsPerDate).finally(() => admin.close());

  const reservationIds: string[] = [];
  const requests = [
    holdRequest(
      (i) => ({
        token: tokens[i % tokens.length],
        body: { concertId: BENCH_CONCERT, date: dates[Math.floor(i / seatsPerDate)], seatNumber: (i % seatsPerDate) + 1 },
      }),
      (status, body) => {
        if (status === 201) reservationIds.push(JSON.parse(String(body)).reservationId);
      },
    ),
  ];
  if (count < 2 * ctx.connections) throw new Error(`only ${count} tokens to hold seats with: the token-issue row issued too few`);
  const warmup = Math.max(ctx.connections, Math.floor(count / 10));
  await load({ url: server.url, connections: ctx.connections, amount: warmup, requests });
  const m = await measureSteady(ctx, server, 'hold', () =>
    load({ url: server.url, connections: ctx.connections, amount: count - warmup, requests }),
  );
  const { result: r, rssMiB } = m;
  return {
    reservationIds,
    row: {
      scenario: 'seat hold (distinct seats)',
      ...steadyColumns(m, rssMiB),
      target: '≥ 25 % of ceiling, durable',
      minRatio: 0.25,
      checks: [
        {
          ok: (r.statuses['201'] ?? 0) === r.total && r.errors === 0,
          what: `every hold answered 201 (${formatStatuses(r.statuses)})`,
        },
      ],
      notes: [
        efficiency(m),
        `${count} holds (${warmup} of them warm-up) on ${dates.length} date(s) of ${seatsPerDate} seats, one per user`,
      ],
    },
  };
}
