import { tokenIds } from './token-issue';
import { Row } from '../harness/report';
import { ServerProcess } from '../harness/server';
import { missing, StoreCheck } from '../harness/store-check';

/**
 * Crashes the server (SIGKILL, no shutdown hooks) and reads its store: every token and hold a
 * client was told about must be there. Adds the verdict to the rows that made those writes.
 */
export async function verifyDurable(
  server: ServerProcess,
  acknowledged: { tokens: string[]; reservationIds: string[] },
  rows: { tokenRow: Row; holdRow: Row },
): Promise<void> {
  await server.kill();
  const store = new StoreCheck(server.dataDir!);
  try {
    const lostTokens = missing(tokenIds(acknowledged.tokens), store.values('TokenIssued', 'tokenId'));
    const lostHolds = missing(acknowledged.reservationIds, store.values('SeatHeld', 'reservationId'));
    rows.tokenRow.checks.push({
      ok: lostTokens === 0 && acknowledged.tokens.length > 0,
      what: `after SIGKILL, ${acknowledged.tokens.length - lostTokens}/${acknowledged.tokens.length} acknowledged tokens are in the store`,
    });
    rows.holdRow.checks.push({
      ok: lostHolds === 0 && acknowledged.reservationIds.length > 0,
      what: `after SIGKILL, ${acknowledged.reservationIds.length - lostHolds}/${acknowledged.reservationIds.length} acknowledged holds are in the store`,
    });
  } finally {
    store.close();
  }
}
