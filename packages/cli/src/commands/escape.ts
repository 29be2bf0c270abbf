// `tapbridge escape show | broadcast` (issue 11): the escape hatch after the sweep. `show` fetches the newest
// pre-signed emergency disbursal (GET /escape/latest on the sweep-coordinator) and prints who it pays, or saves it;
// `broadcast` sends a saved disbursal to any Bitcoin node or Esplora once its lock height is reached: the intermediate
// transaction first, then every final one. Nothing here needs the L2 or a signer: that is the point.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { decodeTransaction, hashToHex } from '@tapbridge/bitcoin';
import { createChainSources, parseSourceSpec, type SourceSpec } from '@tapbridge/chain-source';
import { z } from 'zod';
import { run } from './run.js';

export const ESCAPE_URL_ENV = 'TAPBRIDGE_ESCAPE_URL';
const DEFAULT_ESCAPE_URL = 'http://127.0.0.1:4006';

export class EscapeCommandError extends Error {
  override readonly name = 'EscapeCommandError';
}

const sats = z.string().regex(/^\d+$/);
/** The published disbursal (GET /escape/latest), as kept in a file. Only what broadcasting and the table need. */
export const disbursalFileSchema = z
  .object({
    sweepTxid: z.string().regex(/^[0-9a-f]{64}$/),
    custody: z.object({ txid: z.string(), vout: z.number(), value: sats }),
    terms: z.object({ l2Block: z.string(), lockHeight: z.number().int(), feeRate: z.number() }).passthrough(),
    payouts: z.array(z.object({ account: z.string(), scriptPubKey: z.string(), balanceSats: sats, shareSats: sats, feeShareSats: sats, amountSats: sats, batch: z.number(), vout: z.number() })),
    excessSats: sats,
    totalFeeSats: sats,
    rawTransactions: z.array(z.string().regex(/^([0-9a-f]{2})+$/)).min(1),
  })
  .passthrough();
export type DisbursalFile = z.infer<typeof disbursalFileSchema>;

export function parseDisbursalFile(text: string): DisbursalFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EscapeCommandError('the disbursal file is not JSON');
  }
  const parsed = disbursalFileSchema.safeParse(json);
  if (!parsed.success) throw new EscapeCommandError(`not a disbursal (GET /escape/latest) file: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const d = parsed.data;
  // The chain of spends must hold before anything is sent: intermediate spends custody, final k spends intermediate:k.
  const txs = d.rawTransactions.map((hex, i) => {
    try {
      return decodeTransaction(hex);
    } catch (e) {
      throw new EscapeCommandError(`transaction ${i} does not decode: ${(e as Error).message}`);
    }
  });
  const intermediate = txs[0]!;
  const custodyIn = intermediate.inputs[0]!.prevout;
  if (intermediate.inputs.length !== 1 || hashToHex(custodyIn.txid) !== d.custody.txid || custodyIn.vout !== d.custody.vout)
    throw new EscapeCommandError(`transaction 0 does not spend the custody output ${d.custody.txid}:${d.custody.vout}`);
  const intermediateTxid = hashToHex(intermediate.txid);
  txs.slice(1).forEach((tx, k) => {
    const p = tx.inputs[0]!.prevout;
    if (tx.inputs.length !== 1 || hashToHex(p.txid) !== intermediateTxid || p.vout !== k) throw new EscapeCommandError(`transaction ${k + 1} does not spend output ${k} of the intermediate ${intermediateTxid}`);
  });
  return d;
}

/** `--rpc`: a BTC_SOURCES entry (core+http://user:pass@host:port, esplora+http://host/path), or a bare URL (with credentials: Core; without: Esplora). */
export function parseRpcOption(rpc: string): SourceSpec {
  if (/^(core|esplora)\+/.test(rpc)) return parseSourceSpec(rpc);
  let url: URL;
  try {
    url = new URL(rpc);
  } catch {
    throw new EscapeCommandError(`--rpc ${JSON.stringify(rpc)} is not a URL`);
  }
  return parseSourceSpec(`${url.username ? 'core' : 'esplora'}+${rpc}`);
}

/** The payouts as an aligned text table, with the totals that must add up to the custody output. */
export function disbursalTable(d: DisbursalFile): string {
  const rows = [['account', 'balance', 'share', 'fee share', 'paid', 'tx', 'vout'], ...d.payouts.map((p) => [p.account, p.balanceSats, p.shareSats, p.feeShareSats, p.amountSats, String(p.batch + 1), String(p.vout)])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const paid = d.payouts.reduce((s, p) => s + BigInt(p.amountSats), 0n);
  return [
    `custody ${d.custody.txid}:${d.custody.vout} (${d.custody.value} sat), L2 block ${d.terms.l2Block}, valid from block ${d.terms.lockHeight}`,
    line(rows[0]!),
    ...rows.slice(1).map(line),
    `paid ${paid} + excess to the recovery keys ${d.excessSats} + fees ${d.totalFeeSats} = ${paid + BigInt(d.excessSats) + BigInt(d.totalFeeSats)} sat (custody ${d.custody.value})`,
  ].join('\n');
}

export interface BroadcastReport {
  txid: string;
  outcome: 'accepted' | 'already-known' | 'refused';
  reason?: string;
}

/** Sends every transaction in order; stops at the first refusal (the later ones spend it). */
export async function broadcastDisbursal(d: DisbursalFile, spec: SourceSpec): Promise<BroadcastReport[]> {
  const [source] = createChainSources([spec]);
  const reports: BroadcastReport[] = [];
  for (const hex of d.rawTransactions) {
    const txid = hashToHex(decodeTransaction(hex).txid);
    try {
      const r = await source!.broadcastTransaction(hex);
      reports.push({ txid, outcome: r.status });
    } catch (e) {
      reports.push({ txid, outcome: 'refused', reason: (e as Error).message });
      break;
    }
  }
  return reports;
}

export function registerEscape(program: Command): void {
  const escape = program.command('escape').description('the pre-signed emergency disbursal: every registered L2 account paid on Bitcoin if the L2 and the signers stop');
  escape
    .command('show')
    .description('fetch the newest signed disbursal (GET /escape/latest) and print who it pays; --out keeps it')
    .option('--url <url>', `service publishing /escape/latest (default $${ESCAPE_URL_ENV} or ${DEFAULT_ESCAPE_URL}, the sweep-coordinator)`)
    .option('--file <path>', 'show a saved disbursal instead of fetching one')
    .option('--out <path>', 'save the disbursal JSON here (what `escape broadcast --file` takes)')
    .option('--json', 'print the JSON instead of the table')
    .action((o: { url?: string; file?: string; out?: string; json?: boolean }) =>
      run(async () => {
        let text: string;
        if (o.file) text = readFileSync(o.file, 'utf8');
        else {
          const base = (o.url ?? process.env[ESCAPE_URL_ENV] ?? DEFAULT_ESCAPE_URL).replace(/\/+$/, '');
          const res = await fetch(`${base}/escape/latest`, { signal: AbortSignal.timeout(15_000) });
          text = await res.text();
          if (!res.ok) throw new EscapeCommandError(`${base}/escape/latest answered HTTP ${res.status}: ${text.slice(0, 300)}`);
        }
        const d = parseDisbursalFile(text);
        if (o.out) writeFileSync(o.out, `${JSON.stringify(JSON.parse(text), null, 2)}\n`);
        console.log(o.json ? JSON.stringify(d, null, 2) : disbursalTable(d));
      }),
    );
  escape
    .command('broadcast')
    .description('send a saved disbursal to a Bitcoin node or Esplora (valid once the chain reaches its lock height)')
    .requiredOption('--file <path>', 'the disbursal JSON (from `escape show --out` or GET /escape/latest)')
    .requiredOption('--rpc <url>', 'core+http://user:pass@host:port, esplora+http://host/path, or a bare URL (with credentials: Bitcoin Core; without: Esplora)')
    .action((o: { file: string; rpc: string }) =>
      run(async () => {
        const d = parseDisbursalFile(readFileSync(o.file, 'utf8'));
        const reports = await broadcastDisbursal(d, parseRpcOption(o.rpc));
        console.log(JSON.stringify({ lockHeight: d.terms.lockHeight, transactions: reports }, null, 2));
        if (reports.some((r) => r.outcome === 'refused')) process.exitCode = 1;
      }),
    );
}
