import { createKeccak } from 'hash-wasm';

// Keccak-256 compiled to WebAssembly. Trie node hashing dominates block production (every insert re-hashes the
// path to the root); the pure-JS keccak costs several times more per call. One hasher instance, created once
// at module load: calls are synchronous and JavaScript is single-threaded, so reuse cannot interleave.
const hasher = await createKeccak(256);

export function keccak256(data: Uint8Array): Uint8Array {
  return hasher.init().update(data).digest('binary');
}
