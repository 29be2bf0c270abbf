// packages/evm: the Layer 2 EVM with BTC as its native coin. Engine, sequencer, bridge contract, chain stores
// and a transport-agnostic Ethereum JSON-RPC handler (plus a small HTTP/WebSocket server).
export * from './errors.js';
export * from './units.js';
export * from './hex.js';
export * from './chain-config.js';
export * from './mempool.js';
export * from './mint-queue.js';
export * from './withdrawals.js';
export * from './finality.js';
export * from './sequencer.js';
export * from './engine.js';
export * from './message-call.js';
export { CallTimeoutError, DEFAULT_CALL_LIMITS, goDuration, type CallLimits } from './call-pool.js';
export * from './store/chain-store.js';
export * from './store/memory-store.js';
export { BRIDGE_ABI, BRIDGE_DEPLOYED_BYTECODE, BRIDGE_SOURCE_KECCAK256, BRIDGE_COMPILER_VERSION } from './generated/bridge-artifact.js';
export * from './stake-predeploy.js';
export * from './generated/stake-artifacts.js';
export * from './store/postgres-store.js';
export * from './rpc/errors.js';
export * from './rpc/handler.js';
export * from './rpc/format.js';
export * from './rpc/server.js';
export { revertReason } from './rpc/revert.js';
export * from './store/file-store.js';
export * from './dev-accounts.js';
export { ecrecover } from './ecrecover.js';
export { keccak256 } from './keccak.js';
