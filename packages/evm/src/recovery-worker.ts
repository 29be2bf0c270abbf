// The body of a sender-recovery worker (a worker_threads thread): ECDSA public key recovery for batches of
// transaction signatures, so the engine's event loop does not spend ~0.35 ms of every transfer on it.
// Request: { id, input } with 97 bytes per item (32 message hash, 32 r, 32 s, 1 recovery id).
// Reply: { id, keys } with 64 bytes per item (uncompressed key without 0x04), all zero where none recovers.
import { parentPort } from 'node:worker_threads';
import { recover } from 'tiny-secp256k1';

const port = parentPort;
if (port === null) throw new Error('recovery-worker.ts runs only as a worker thread');

export const RECOVERY_INPUT_BYTES = 97;

port.on('message', ({ id, input }: { id: number; input: Uint8Array }) => {
  const count = input.length / RECOVERY_INPUT_BYTES;
  const keys = new Uint8Array(count * 64);
  for (let i = 0; i < count; i++) {
    const at = i * RECOVERY_INPUT_BYTES;
    const recovery = input[at + 96];
    if (recovery !== 0 && recovery !== 1) continue;
    try {
      const key = recover(input.subarray(at, at + 32), input.subarray(at + 32, at + 96), recovery, false);
      if (key !== null) keys.set(key.subarray(1), i * 64);
    } catch {
      // Left all zero: the engine then recovers on its own thread and reports the error as it always did.
    }
  }
  port.postMessage({ id, keys }, [keys.buffer]);
});
port.postMessage({ ready: true });
