// `tapbridge withdraw | withdrawal status | reserves`: burn L2 BTC through the bridge contract so the signers pay it
// out on Bitcoin, then follow the payout and the proof of reserves through the public API (api-gateway /v1).
// The EVM private key is read from a file or the environment, never argv, so it stays out of shell history and
// the process list.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Contract, JsonRpcProvider, Wallet, type Log } from 'ethers';
import { addressParams, addressToOutputScript, bytesToHex } from '@tapbridge/bitcoin';
import { BRIDGE_ABI, BRIDGE_ADDRESS, WEI_PER_SAT } from '@tapbridge/evm';
import { answer, API_OPTION_HELP, publicApi } from './public-api.js';
import { run } from './run.js';

export const EVM_KEY_ENV = 'TAPBRIDGE_EVM_PRIVATE_KEY';

/** A problem with the command line itself (missing key source, malformed amount or address). */
export class WithdrawCommandError extends Error {
  override readonly name = 'WithdrawCommandError';
}

export interface WithdrawOptions {
  to: string;
  sats: string;
  maxFee: string;
  network: string;
  rpc?: string;
  keyFile?: string;
  bridge?: string;
}

export interface WithdrawRequest {
  scriptPubKey: string;
  amountSats: bigint;
  maxFeeSats: bigint;
}

function parseSats(value: string, what: string): bigint {
  if (!/^\d+$/.test(value)) throw new WithdrawCommandError(`${what} must be a whole number of satoshis, got "${value}"`);
  return BigInt(value);
}

/** Checks the command line before anything touches the chain: a bad address or amount never costs gas. */
export function parseWithdrawRequest(o: Pick<WithdrawOptions, 'to' | 'sats' | 'maxFee' | 'network'>): WithdrawRequest {
  addressParams(o.network); // throws UnknownNetworkError naming the valid networks
  let script: Uint8Array;
  try {
    script = addressToOutputScript(o.to, o.network);
  } catch (err) {
    throw new WithdrawCommandError(`--to is not a ${o.network} address: ${(err as Error).message}`);
  }
  const amountSats = parseSats(o.sats, '--sats');
  const maxFeeSats = parseSats(o.maxFee, '--max-fee');
  if (amountSats < 546n) throw new WithdrawCommandError(`--sats must be at least the 546-sat dust limit, got ${amountSats}`);
  if (maxFeeSats >= amountSats) throw new WithdrawCommandError(`--max-fee (${maxFeeSats}) must be below --sats (${amountSats}): the payout would shrink to nothing`);
  return { scriptPubKey: bytesToHex(script), amountSats, maxFeeSats };
}

/** The burner's key: --key-file, else $TAPBRIDGE_EVM_PRIVATE_KEY. */
export function readEvmKey(keyFile: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = keyFile !== undefined ? readFileSync(keyFile, 'utf8') : env[EVM_KEY_ENV] || undefined;
  if (raw === undefined) throw new WithdrawCommandError(`no EVM key: pass --key-file <path> or set ${EVM_KEY_ENV}`);
  const key = raw.trim().replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]{64}$/.test(key)) throw new WithdrawCommandError(`the EVM key${keyFile !== undefined ? ` in ${keyFile}` : ''} must be 32 bytes of hex`);
  return `0x${key.toLowerCase()}`;
}

export interface WithdrawResult {
  withdrawalId: string;
  evmTxHash: string;
  evmBlockNumber: number;
  sender: string;
  scriptPubKey: string;
  amountSats: string;
  maxFeeSats: string;
}

/** Sends the burn and returns the id the bridge assigned, read from its WithdrawalRequested log. */
export async function burnForWithdrawal(o: { rpc: string; privateKey: string; bridge?: string; request: WithdrawRequest }): Promise<WithdrawResult> {
  const provider = new JsonRpcProvider(o.rpc, undefined, { staticNetwork: true });
  try {
    const wallet = new Wallet(o.privateKey, provider);
    // ethers insists on EIP-55 or all-lowercase; the lowercase form is always valid.
    const bridge = new Contract((o.bridge ?? BRIDGE_ADDRESS).toLowerCase(), BRIDGE_ABI, wallet);
    const withdraw = bridge.getFunction('withdraw');
    const tx = await withdraw(`0x${o.request.scriptPubKey}`, o.request.maxFeeSats, { value: o.request.amountSats * WEI_PER_SAT });
    const receipt = await tx.wait();
    if (!receipt || receipt.status !== 1) throw new Error(`the burn transaction ${tx.hash} failed`);
    const event = receipt.logs
      .map((l: Log) => {
        try {
          return bridge.interface.parseLog(l);
        } catch {
          return null;
        }
      })
      .find((p: ReturnType<typeof bridge.interface.parseLog>) => p?.name === 'WithdrawalRequested');
    if (!event) throw new Error(`the burn ${tx.hash} emitted no WithdrawalRequested log`);
    return {
      withdrawalId: (event.args.getValue('id') as bigint).toString(),
      evmTxHash: tx.hash,
      evmBlockNumber: receipt.blockNumber,
      sender: wallet.address,
      scriptPubKey: o.request.scriptPubKey,
      amountSats: o.request.amountSats.toString(),
      maxFeeSats: o.request.maxFeeSats.toString(),
    };
  } finally {
    provider.destroy();
  }
}

const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

export function registerWithdraw(program: Command): void {
  program
    .command('withdraw')
    .description('burn L2 BTC through the bridge so the signers pay it to a Bitcoin address; prints the withdrawal id')
    .requiredOption('--to <address>', 'the Bitcoin address to be paid (P2PKH, P2SH, P2WPKH, P2WSH or P2TR)')
    .requiredOption('--sats <n>', 'amount to burn, in satoshis (≥ 546)')
    .requiredOption('--max-fee <n>', 'the most of the amount you accept to pay as this payout\'s share of the Bitcoin fee, in sats')
    .option('--network <name>', 'Bitcoin network of --to', 'regtest')
    .option('--rpc <url>', 'the L2 Ethereum JSON-RPC endpoint (default $EVM_RPC_URL or http://127.0.0.1:8545)')
    .option('--key-file <path>', `file holding the burner's EVM private key (hex); else $${EVM_KEY_ENV}`)
    .option('--bridge <address>', 'bridge contract address (default: the predeployed one)')
    .action((opts: WithdrawOptions) =>
      run(async () => {
        const request = parseWithdrawRequest(opts);
        const privateKey = readEvmKey(opts.keyFile);
        const rpc = opts.rpc ?? process.env.EVM_RPC_URL ?? 'http://127.0.0.1:8545';
        print(await burnForWithdrawal({ rpc, privateKey, request, ...(opts.bridge ? { bridge: opts.bridge } : {}) }));
      }),
    );

  const withdrawal = program.command('withdrawal').description('follow a withdrawal (public API, api-gateway /v1)');
  withdrawal
    .command('status')
    .description('status, txid, vout and the amount received of a withdrawal')
    .argument('<id>', 'withdrawal id (as printed by `tapbridge withdraw`)')
    .option('--api <url>', API_OPTION_HELP)
    .action((id: string, opts: { api?: string }) =>
      run(async () => {
        if (!/^(0|[1-9][0-9]*)$/.test(id)) throw new WithdrawCommandError(`withdrawal id must be a non-negative integer, got "${id}"`);
        const { client, baseUrl } = publicApi(opts);
        print(await answer(baseUrl, client.GET('/v1/withdrawals/{id}', { params: { path: { id } } })));
      }),
    );

  program
    .command('reserves')
    .description('proof of reserves: custody UTXOs on Bitcoin with proofs, L2 supply, pending withdrawals, fees paid (public API)')
    .option('--api <url>', API_OPTION_HELP)
    .action((opts: { api?: string }) =>
      run(async () => {
        const { client, baseUrl } = publicApi(opts);
        print(await answer(baseUrl, client.GET('/v1/reserves')));
      }),
    );
}
