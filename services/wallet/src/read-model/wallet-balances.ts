import { StoredEvent, upcast, WalletEvent } from '@concert/contracts';

/** The balances read model: each wallet event carries the balance after it. */
export class WalletBalances {
  readonly balances = new Map<string, number>();

  apply(stored: StoredEvent): void {
    const event = upcast<WalletEvent>(stored);
    switch (event.type) {
      case 'WalletCharged':
      case 'WalletDebited':
      case 'WalletRefunded':
        this.balances.set(event.data.userId, event.data.balanceAfter);
    }
  }
}
