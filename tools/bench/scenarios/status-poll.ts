import { BenchContext } from '../harness/context';
import { Row } from '../harness/report';
import { ServerProcess } from '../harness/server';
import { runSteadyRead } from './steady-read';

/** GET /queue/status with the tokens the token-issue row created, round robin. */
export function runStatusPoll(ctx: BenchContext, server: ServerProcess, tokens: string[]): Promise<Row> {
  return runSteadyRead(ctx, server, tokens, {
    scenario: 'status poll',
    label: 'status-poll',
    path: '/queue/status',
    noun: 'poll',
    note: `${tokens.length} distinct tokens in rotation`,
  });
}
