import { firstDemoDate } from '../harness/api';
import { BenchContext } from '../harness/context';
import { HttpDriver } from '../harness/driver';
import { Row } from '../harness/report';
import { ServerProcess } from '../harness/server';
import { runSteadyRead } from './steady-read';

/** GET /concerts/1/available-seats for a demo date (50 seats), with ACTIVE tokens round robin. */
export async function runSeatRead(ctx: BenchContext, server: ServerProcess, tokens: string[]): Promise<Row> {
  const driver = new HttpDriver(server.url, 1);
  const date = await firstDemoDate(driver, tokens[0]).finally(() => driver.close());
  return runSteadyRead(ctx, server, tokens, {
    scenario: 'available-seats read',
    label: 'seat-read',
    path: `/concerts/1/available-seats?date=${date}`,
    noun: 'read',
    note: `concert 1, ${date}, ${tokens.length} tokens in rotation (each read passes the ACTIVE-token guard)`,
  });
}
