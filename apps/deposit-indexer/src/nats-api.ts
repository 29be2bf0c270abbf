// Read-only queries over NATS request/reply (rpc.deposits.*) for services that do not speak HTTP to the indexer:
// the sweep-coordinator asks how to spend a confirmed deposit and what the custody UTXO set is.
import { RemoteError, serveRequests, type Messaging } from '@tapbridge/messaging';
import { z } from 'zod';
import { MAX_VOUT } from './deposit-dto.js';
import type { DepositQueries } from './deposit-queries.js';

export const NATS_API_SUBJECTS = {
  deposit: 'deposits.deposit.get',
  custody: 'deposits.custody.utxos',
} as const;

const outpoint = z.object({ txid: z.string().regex(/^[0-9a-f]{64}$/), vout: z.number().int().min(0).max(MAX_VOUT) });

export function serveDepositQueries(messaging: Messaging, queries: DepositQueries): Array<{ unsubscribe(): void }> {
  return [
    serveRequests(messaging, NATS_API_SUBJECTS.deposit, outpoint, async ({ txid, vout }) => {
      const found = await queries.one(txid, vout);
      if (!found) throw new RemoteError('not_found', `no deposit ${txid}:${vout}`);
      return found;
    }),
    serveRequests(messaging, NATS_API_SUBJECTS.custody, z.object({}).passthrough(), () => queries.custodyUtxos()),
  ];
}
