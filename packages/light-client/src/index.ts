// @tapbridge/light-client: the Bitcoin header sync loop over a storage interface, without servers.
export type { HeaderSource, SourceTip } from './source.js';
export type { HeaderStore, StoredChain, ChainUpdate, InsertedHeader } from './store.js';
export { SourceDataError, HeaderStoreMismatchError } from './errors.js';
export type { RejectionRule } from './errors.js';
export { reorgId, connectedEvent, disconnectedEvent, eventsOf } from './events.js';
export type { HeaderEvent, HeaderConnectedPayload, HeaderDisconnectedPayload } from './events.js';
export { ChainUpdateBuilder } from './update.js';
export type { ReorgSummary } from './update.js';
export { DEFAULT_BACKOFF } from './source-state.js';
export type { SourceStatus, BackoffPolicy } from './source-state.js';
export { fetchHeaderRange } from './fetch.js';
export { HeaderSync } from './sync.js';
export type { HeaderSyncOptions, RoundResult, SyncStatus, SyncLogger, SyncObserver, Rejection, Disagreement } from './sync.js';
export { InMemoryHeaderStore } from './memory-store.js';
export type { StoredHeader } from './memory-store.js';
