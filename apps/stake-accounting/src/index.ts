// apps/stake-accounting: importable pieces for tests and tools (the service itself starts from main.ts).
export { PostgresLedger } from './ledger/postgres-ledger.js';
export { stakeAccountingConfig, type StakeAccountingConfig } from './config.js';
