// Read-only queries over NATS request/reply (rpc.evm.*): the sweep-coordinator's proof of reserves asks for the
// L2 supply of bridged BTC.
import { qualified, serveRequests, type Messaging } from '@tapbridge/messaging';
import type { Pool } from 'pg';
import { z } from 'zod';

export const NATS_API_SUBJECTS = { supply: 'evm.supply.get', chain: 'evm.chain.get' } as const;

export interface BridgeSupply {
  /** Every deposit credited on the L2, satoshis. */
  mintedSats: string;
  /** Every burn that reached finality (and so was published as withdrawal.requested), satoshis. */
  finalBurnedSats: string;
  /** mintedSats − finalBurnedSats: BTC on the L2, counting burns not yet final as still there. */
  supplySats: string;
  mints: number;
  finalBurns: number;
}

export async function bridgeSupply(pool: Pick<Pool, 'query'>, schema: string): Promise<BridgeSupply> {
  const r = await pool.query<{ minted: string; mints: string; burned: string; burns: string }>(
    `SELECT (SELECT coalesce(sum(amount_sats), 0) FROM ${qualified(schema, 'evm_mint')}) AS minted,
            (SELECT count(*) FROM ${qualified(schema, 'evm_mint')}) AS mints,
            (SELECT coalesce(sum(amount_sats), 0) FROM ${qualified(schema, 'final_withdrawal')}) AS burned,
            (SELECT count(*) FROM ${qualified(schema, 'final_withdrawal')}) AS burns`,
  );
  const row = r.rows[0]!;
  return {
    mintedSats: row.minted,
    finalBurnedSats: row.burned,
    supplySats: (BigInt(row.minted) - BigInt(row.burned)).toString(),
    mints: Number(row.mints),
    finalBurns: Number(row.burns),
  };
}

/** rpc.evm.supply.get, and rpc.evm.chain.get (the head, finality and bridge address, as GET /chain) when given `chain`. */
export function serveGatewayQueries(messaging: Messaging, pool: Pick<Pool, 'query'>, schema: string, chain?: () => object): Array<{ unsubscribe(): void }> {
  return [
    serveRequests(messaging, NATS_API_SUBJECTS.supply, z.object({}).passthrough(), () => bridgeSupply(pool, schema)),
    ...(chain ? [serveRequests(messaging, NATS_API_SUBJECTS.chain, z.object({}).passthrough(), async () => chain())] : []),
  ];
}
