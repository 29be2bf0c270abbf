import pg from 'pg';

/**
 * A pg.Pool whose clients never crash the process when their connection dies. pg-pool listens for `error` only on
 * idle clients; a client that is checked out (inside a transaction) when Postgres restarts or the network drops
 * emits an `error` nobody handles, and Node exits (found by `pnpm chaos`: header-watcher and a signer died ~2 s into
 * a cut Postgres link). Each client gets a listener for its whole life instead: the query in flight rejects as
 * usual, the caller's transaction fails and retries, and the pool drops the broken client when it is released.
 */
export function createServicePool(options: pg.PoolConfig, onError: (err: Error, where: 'idle' | 'in-use') => void): pg.Pool {
  const pool = new pg.Pool(options);
  const inUse = new WeakSet<pg.PoolClient>();
  pool.on('error', (err) => onError(err, 'idle'));
  pool.on('acquire', (client) => void inUse.add(client));
  pool.on('release', (_err, client) => void inUse.delete(client));
  pool.on('connect', (client) => {
    // An idle client's error also reaches pool.on('error') above; report here only the ones pg-pool does not see.
    client.on('error', (err) => {
      if (inUse.has(client)) onError(err, 'in-use');
    });
  });
  return pool;
}
