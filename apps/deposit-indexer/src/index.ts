// The deposit-indexer service (NestJS app); its rules live in @tapbridge/deposits.
export { depositIndexerConfig, custodyScriptPubKey } from './config.js';
export { PostgresDepositStore, DuplicateEventError } from './postgres-store.js';
