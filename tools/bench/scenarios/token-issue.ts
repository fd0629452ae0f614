import { randomUUID } from 'node:crypto';
import { claimsOf } from '../harness/api';
import { BenchContext } from '../harness/context';
import { formatStatuses, load } from '../harness/load';
import { Row } from '../harness/report';
import { ServerProcess } from '../harness/server';
import { efficiency, measureSteady, steadyColumns } from '../harness/steady';

export interface TokenIssueOutcome {
  row: Row;
  /** Every token a 200 acknowledged, warm-up included. */
  tokens: string[];
}

/** POST /queue/token for a new user every request: one durable append per token (plus admission). */
export async function runTokenIssue(ctx: BenchContext, server: ServerProcess): Promise<TokenIssueOutcome> {
  const tokens: string[] = [];
  const requests = [
    {
      method: 'POST',
      path: '/queue/token',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req: object) => ({ ...req, body: JSON.stringify({ userId: randomUUID() }) }),
      onResponse: (status: number, body: string) => {
        if (status === 200) tokens.push(JSON.parse(String(body)).token);
      },
    },
  ];
  await load({ url: server.url, connections: ctx.connections, durationS: ctx.warmupS, requests });
  const m = await measureSteady(ctx, server, 'token-issue', () =>
    load({ url: server.url, connections: ctx.connections, durationS: ctx.durationS, requests }),
  );
  const { result: r, rssMiB } = m;
  const ok = r.statuses['200'] ?? 0;
  return {
    tokens,
    row: {
      scenario: 'token issue (new users)',
      ...steadyColumns(m, rssMiB),
      target: '≥ 25 % of ceiling, durable',
      minRatio: 0.25,
      checks: [
        {
          ok: ok === r.total && r.errors === 0,
          what: `every request answered 200 (${formatStatuses(r.statuses)}, errors ${r.errors})`,
        },
      ],
      notes: [
        efficiency(m),
        `${ctx.connections} connections; QUEUE_MAX_ACTIVE is high, so each new token is also admitted (TokenIssued + TokenActivated)`,
      ],
    },
  };
}

export function tokenIds(tokens: string[]): string[] {
  return tokens.map((t) => claimsOf(t).jti);
}
