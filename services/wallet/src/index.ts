export { WalletModule } from './wallet.module';
export { WalletBalances } from './read-model/wallet-balances';
