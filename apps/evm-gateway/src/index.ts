// The gateway is a deployable (src/main.ts); these non-Nest pieces are exported for tests and tools.
export { evmGatewayConfig, type EvmGatewayConfig } from './config.js';
export { chooseChain, DEV_ACCOUNT_COUNT, DEV_ACCOUNTS, DEV_ACCOUNT_BALANCE_WEI, GatewayChainError, type ChainChoice } from './chain/chain.js';
export { DepositMinter, depositIdOf, MINT_CONSUMER, type DepositMinterOptions, type MintResult, type ReorgResult } from './mint/deposit-minter.js';
export { WithdrawalFinalizer, withdrawalRequestedPayload, type WithdrawalFinalizerOptions } from './withdrawals/withdrawal-finalizer.js';
export { NATS_API_SUBJECTS } from './api/gateway.rpc.js';
