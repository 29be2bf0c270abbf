import http from 'node:http';
import type { Logger } from 'pino';
import { bytesToHex } from '@tapbridge/bitcoin';
import { outpointKey } from '../chain/utxo-set.js';
import type { DevnetChain } from '../devnet-chain.js';
import { RpcError } from '../errors.js';
import { blockStatusJson, esploraBlockJson, esploraTxJson } from './format.js';

export interface EsploraServerOptions {
  port: number;
  host?: string;
  logger: Logger;
}

export interface EsploraServerHandle {
  port: number;
  close(): Promise<void>;
}

type Body = { status: number; type: 'text/plain' | 'application/json' | 'application/octet-stream'; data: string | Uint8Array };

const text = (data: string, status = 200): Body => ({ status, type: 'text/plain', data });
const json = (value: unknown): Body => ({ status: 200, type: 'application/json', data: JSON.stringify(value) });
const HASH = '([0-9a-fA-F]{64})';
/** electrs BLOCK_LIMIT: blocks per `/blocks/:start_height` page. */
const BLOCKS_PER_PAGE = 10;
const FEE_TARGETS = [...Array.from({ length: 25 }, (_, i) => i + 1), 144, 504, 1008];

/** Routes as in Blockstream's esplora API.md, for the subset tapbridge reads. */
function route(node: DevnetChain, method: string, url: string, body: string): Body {
  const path = url.split('?')[0]!.replace(/\/+$/, '');
  let m: RegExpExecArray | null;
  const blockOr404 = (hash: string) => node.chain.index.get(hash.toLowerCase());
  const txOr404 = (txid: string) => node.lookupTransaction(txid);

  if (method === 'POST') {
    if (path !== '/tx') return text('Not found', 404);
    try {
      return text(node.sendRawTransaction(body.trim()));
    } catch (e) {
      if (e instanceof RpcError) return text(`sendrawtransaction RPC error: ${JSON.stringify({ code: e.code, message: e.message })}`, 400);
      throw e;
    }
  }
  if (method !== 'GET') return text('Method not allowed', 405);
  if (path === '/blocks/tip/height') return text(String(node.tip.height));
  if (path === '/blocks/tip/hash') return text(node.tip.hash);
  // electrs: the block at start_height (the tip without one) and the ones below it, 10 at most, newest first.
  if ((m = /^\/blocks(?:\/(\d+))?$/.exec(path))) {
    const start = m[1] === undefined ? node.tip.height : Number(m[1]);
    if (start > node.tip.height) return text('Block not found', 404);
    const page: unknown[] = [];
    for (let h = start; h >= 0 && page.length < BLOCKS_PER_PAGE; h--) page.push(esploraBlockJson(node, node.chain.active[h]!));
    return json(page);
  }
  if (path === '/fee-estimates') return json(Object.fromEntries(FEE_TARGETS.map((t) => [String(t), node.estimateFeeRate(t)])));
  if ((m = /^\/block-height\/(\d+)$/.exec(path))) {
    const height = Number(m[1]);
    return height <= node.tip.height ? text(node.chain.active[height]!.hash) : text('Block not found', 404);
  }
  if ((m = new RegExp(`^/block/${HASH}(/[a-z]+)?$`).exec(path))) {
    const entry = blockOr404(m[1]!);
    if (!entry) return text('Block not found', 404);
    switch (m[2]) {
      case undefined:
        return json(esploraBlockJson(node, entry));
      case '/header':
        return text(bytesToHex(entry.block.headerBytes));
      case '/raw':
        return { status: 200, type: 'application/octet-stream', data: entry.block.raw };
      case '/status': {
        const active = node.chain.isActive(entry);
        const next = node.chain.nextActive(entry);
        return json({ in_best_chain: active, ...(active ? { height: entry.height } : {}), next_best: next ? next.hash : null });
      }
      case '/txids':
        return json(entry.txids);
      default:
        return text('Not found', 404);
    }
  }
  if ((m = new RegExp(`^/tx/${HASH}/outspend/(\\d+)$`).exec(path))) {
    const txid = m[1]!.toLowerCase();
    const key = outpointKey(txid, Number(m[2]));
    const pooled = node.mempool.spentBy.get(key);
    if (pooled) {
      const vin = node.mempool.entries.get(pooled)!.spends.indexOf(key);
      return json({ spent: true, txid: pooled, vin, status: { confirmed: false } });
    }
    const spend = node.chain.spends.get(key);
    if (spend) return json({ spent: true, txid: spend.txid, vin: spend.vin, status: blockStatusJson(node, spend.entry) });
    return json({ spent: false });
  }
  if ((m = new RegExp(`^/tx/${HASH}(/[a-z-]+)?$`).exec(path))) {
    const found = txOr404(m[1]!);
    if (!found) return text('Transaction not found', 404);
    switch (m[2]) {
      case undefined:
        return json(esploraTxJson(node, found));
      case '/hex':
        return text(bytesToHex(found.tx.toBuffer()));
      case '/raw':
        return { status: 200, type: 'application/octet-stream', data: found.tx.toBuffer() };
      case '/status':
        return json(blockStatusJson(node, found.entry));
      case '/merkle-proof': {
        const proof = node.merkleProof(found.txid);
        if (!proof) return text('Transaction not found', 404);
        return json({ block_height: proof.blockHeight, merkle: proof.merkle, pos: proof.pos });
      }
      case '/merkleblock-proof':
        if (!found.entry) return text('Transaction not found', 404);
        return text(bytesToHex(node.getTxOutProof([found.txid], found.entry.hash)));
      default:
        return text('Not found', 404);
    }
  }
  if ((m = /^\/address\/([a-zA-Z0-9]+)\/utxo$/.exec(path))) {
    let script: Uint8Array;
    try {
      script = node.decodeAddress(m[1]!);
    } catch {
      return text('Invalid Bitcoin address', 400);
    }
    const scriptHex = bytesToHex(script);
    const utxos: unknown[] = [];
    for (const key of node.chain.utxo.outpointsForScript(scriptHex)) {
      if (node.mempool.spentBy.has(key)) continue;
      const coin = node.chain.utxo.get(key)!;
      const [txid, vout] = [key.slice(0, key.lastIndexOf(':')), Number(key.slice(key.lastIndexOf(':') + 1))];
      utxos.push({ txid, vout, status: blockStatusJson(node, node.chain.active[coin.height]), value: Number(coin.value) });
    }
    for (const entry of node.mempool.entries.values()) {
      entry.tx.outs.forEach((out, vout) => {
        if (bytesToHex(out.script) === scriptHex && !node.mempool.spentBy.has(outpointKey(entry.txid, vout)))
          utxos.push({ txid: entry.txid, vout, status: { confirmed: false }, value: Number(out.value) });
      });
    }
    return json(utxos);
  }
  return text('Not found', 404);
}

/** Esplora REST over node:http: plain text and JSON bodies as Blockstream's electrs serves them. */
export async function startEsploraServer(node: DevnetChain, options: EsploraServerOptions): Promise<EsploraServerHandle> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let reply: Body;
      try {
        reply = route(node, req.method ?? 'GET', req.url ?? '/', Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        if (e instanceof RpcError) reply = text(e.message, 400);
        else {
          options.logger.error({ err: e, url: req.url }, 'esplora handler failed');
          reply = text('Internal error', 500);
        }
      }
      res.writeHead(reply.status, { 'Content-Type': reply.type, 'Access-Control-Allow-Origin': '*' }).end(reply.data);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  options.logger.info({ port }, 'Esplora REST server listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
