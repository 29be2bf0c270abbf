export { claimDevnet, resetDevnet, inspectDatabases, readDevnetId, newDevnetId, DevnetMismatchError, ID_FILE, devnetDatabases } from './devnet-identity.js';
export type { DevnetDatabases, DatabaseState } from './devnet-identity.js';
