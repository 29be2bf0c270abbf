// A stand-in for the signing-coordinator's rpc.signing.custody.get (apps/signing-coordinator/src/signing.rpc.ts) on the
// test's stream prefix: the custody every made-up deposit (support/deposits.ts) is locked to, unless a test says not.
import { bytesToHex, p2trScriptPubKey } from '@tapbridge/bitcoin';
import { RemoteError, serveRequests, type Messaging } from '@tapbridge/messaging';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CustodyView } from '@tapbridge/evm';

/** The x coordinate of secp256k1's generator: a valid x-only key, our made-up group key. */
export const TEST_GROUP_KEY = '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
/** Someone else's group key (2·G's x): deposits locked to it are not ours. */
export const FOREIGN_GROUP_KEY = 'c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5';

const scriptOf = (label: string) => bytesToHex(p2trScriptPubKey(createHash('sha256').update(label).digest()));
/** The custody output script OP_RETURN-form deposits pay. */
export const TEST_CUSTODY_SCRIPT = scriptOf('tapbridge test custody');
export const FOREIGN_CUSTODY_SCRIPT = scriptOf('someone else\u2019s custody');

export const TEST_CUSTODY: CustodyView = { groupKey: TEST_GROUP_KEY, scriptPubKey: TEST_CUSTODY_SCRIPT };

/** What the fake coordinator answers: the custody, or 'not_ready' as before its DKG. */
export type CustodyAnswerMode = 'ready' | 'not_ready';

/** Serves rpc.signing.custody.get; `mode()` is read on every request. Returns a stop function. */
export function serveFakeCoordinator(messaging: Messaging, mode: () => CustodyAnswerMode = () => 'ready'): () => void {
  const sub = serveRequests(messaging, 'signing.custody.get', z.object({}).passthrough(), async () => {
    if (mode() === 'not_ready') throw new RemoteError('not_ready', 'no group key yet: the DKG has not completed');
    // The coordinator's whole Custody; the gateway reads only what it checks.
    return {
      network: 'regtest', groupKey: TEST_GROUP_KEY, outputKey: TEST_CUSTODY_SCRIPT.slice(4), address: 'bcrt1p-test', scriptPubKey: TEST_CUSTODY_SCRIPT,
      merkleRoot: null, recoveryLeaf: null, tweak: { kind: 'key-path-only' },
    };
  });
  return () => sub.unsubscribe();
}
