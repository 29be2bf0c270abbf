// `tapbridge stake bond|delegate|unbond|withdraw|status|price set|verify-evidence`: stake from an ordinary Ethereum
// wallet against the staking contract on the L2, read the pledge from stake-accounting, set the devnet price, and
// check slashing evidence offline. The key is a devnet dev account (--account i, the test mnemonic) or a key file /
// $TAPBRIDGE_EVM_PRIVATE_KEY, never argv.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Contract, JsonRpcProvider, NonceManager, Wallet, formatUnits, parseUnits, type ContractTransactionResponse } from 'ethers';
import { deriveDevAccounts, STAKE_TOKEN_ABI, STAKE_TOKEN_ADDRESS, STAKING_ABI, STAKING_ADDRESS } from '@tapbridge/evm';
import { verifyEvidence } from '@tapbridge/stake';
import { readEvmKey } from './withdraw.js';
import { run } from './run.js';

export class StakeCommandError extends Error {
  override readonly name = 'StakeCommandError';
}

interface KeyOptions {
  account?: string;
  keyFile?: string;
  rpc?: string;
}

/** Stake-token amounts are given in whole tokens (up to 18 decimals). */
export function parseTokens(value: string, what = '--amount'): bigint {
  if (!/^[0-9]{1,40}(\.[0-9]{1,18})?$/.test(value)) throw new StakeCommandError(`${what} must be a number of tokens (up to 18 decimals), got "${value}"`);
  const units = parseUnits(value, 18);
  if (units === 0n) throw new StakeCommandError(`${what} must be more than 0`);
  return units;
}

/** A host key as bond() takes it: 33-byte compressed secp256k1, hex. */
export function parseHostKey(value: string): string {
  const key = value.toLowerCase().replace(/^0x/, '');
  if (!/^0[23][0-9a-f]{64}$/.test(key)) throw new StakeCommandError(`--host-key must be a 33-byte compressed public key in hex (02… or 03…), got "${value}"`);
  return `0x${key}`;
}

function privateKeyOf(o: KeyOptions): string {
  if (o.account !== undefined) {
    if (!/^[0-9]{1,3}$/.test(o.account)) throw new StakeCommandError(`--account must be a dev account index 0..999, got "${o.account}"`);
    return deriveDevAccounts(Number(o.account) + 1)[Number(o.account)]!.privateKey;
  }
  return readEvmKey(o.keyFile);
}

function rpcOf(o: { rpc?: string }): string {
  return o.rpc ?? process.env.EVM_RPC_URL ?? 'http://127.0.0.1:8545';
}

function stakeApi(o: { api?: string }): string {
  return (o.api ?? process.env.STAKE_ACCOUNTING_URL ?? 'http://127.0.0.1:4007').replace(/\/+$/, '');
}

async function withWallet<T>(o: KeyOptions, fn: (w: Wallet, token: Contract, staking: Contract) => Promise<T>): Promise<T> {
  const provider = new JsonRpcProvider(rpcOf(o), undefined, { staticNetwork: true });
  try {
    const wallet = new Wallet(privateKeyOf(o), provider);
    // Nonces counted here after the first: a node may still report the old pending count right after a receipt
    // (seen with approve then bond: "nonce too low").
    const signer = new NonceManager(wallet);
    return await fn(wallet, new Contract(STAKE_TOKEN_ADDRESS.toLowerCase(), STAKE_TOKEN_ABI, signer), new Contract(STAKING_ADDRESS.toLowerCase(), STAKING_ABI, signer));
  } finally {
    provider.destroy();
  }
}

async function mined(tx: ContractTransactionResponse, what: string): Promise<{ txHash: string; blockNumber: number }> {
  const receipt = await tx.wait();
  if (receipt === null || receipt.status !== 1) throw new StakeCommandError(`${what} failed (tx ${tx.hash})`);
  return { txHash: tx.hash, blockNumber: receipt.blockNumber };
}

/** Approves the staking contract for `amount` unless it already may take that much. */
async function ensureAllowance(wallet: Wallet, token: Contract, amount: bigint): Promise<void> {
  const allowed = (await token.getFunction('allowance')(wallet.address, STAKING_ADDRESS.toLowerCase())) as bigint;
  if (allowed < amount) await mined(await token.getFunction('approve')(STAKING_ADDRESS.toLowerCase(), amount), 'approve');
}

async function send(method: 'PUT', url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch((err: unknown) => {
    throw new StakeCommandError(`cannot reach stake-accounting at ${url}: ${(err as Error).message}`);
  });
  const json = (await res.json().catch(() => null)) as { detail?: string } | null;
  if (!res.ok) throw new StakeCommandError(`${method} ${url}: ${res.status} ${json?.detail ?? ''}`);
  return json;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url).catch((err: unknown) => {
    throw new StakeCommandError(`cannot reach stake-accounting at ${url}: ${(err as Error).message}`);
  });
  const json = (await res.json().catch(() => null)) as { detail?: string } | null;
  if (!res.ok) throw new StakeCommandError(`GET ${url}: ${res.status} ${json?.detail ?? ''}`);
  return json;
}

const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);


const keyOptions = (c: Command): Command =>
  c
    .option('--account <i>', 'devnet dev account index (test mnemonic); else --key-file or $TAPBRIDGE_EVM_PRIVATE_KEY')
    .option('--key-file <path>', "file holding the staker's EVM private key (hex)")
    .option('--rpc <url>', 'the L2 Ethereum JSON-RPC endpoint (default $EVM_RPC_URL or http://127.0.0.1:8545)');

export function registerStake(program: Command): void {
  const stake = program.command('stake').description('stake on the L2 (bond, delegate, unbond, withdraw), the pledge status, the devnet price, evidence checks');

  keyOptions(stake.command('bond').description('bond stake tokens as a signer whose protocol messages the host key signs'))
    .requiredOption('--amount <tokens>', 'stake tokens to bond')
    .requiredOption('--host-key <hex>', "the signer's 33-byte host public key")
    .option('--once', 'do nothing if the account has already bonded under this host key (devnet start-up, safe to repeat)')
    .action((o: KeyOptions & { amount: string; hostKey: string; once?: boolean }) =>
      run(async () => {
        const amount = parseTokens(o.amount);
        const hostKey = parseHostKey(o.hostKey);
        print(
          await withWallet(o, async (w, token, staking) => {
            if (o.once) {
              const [bondedKey, selfBond] = (await staking.getFunction('signerInfo')(w.address)) as [string, bigint, bigint];
              if (bondedKey.toLowerCase() === hostKey) return { signer: w.address, skipped: `already bonded under this host key (${formatUnits(selfBond, 18)} tokens)` };
            }
            await ensureAllowance(w, token, amount);
            return { signer: w.address, amount: o.amount, ...(await mined(await staking.getFunction('bond')(amount, hostKey), 'bond')) };
          }),
        );
      }),
    );

  keyOptions(stake.command('delegate').description('back a signer with stake tokens and share its rewards'))
    .requiredOption('--signer <address>', "the signer's bonding address")
    .requiredOption('--amount <tokens>', 'stake tokens to delegate')
    .action((o: KeyOptions & { amount: string; signer: string }) =>
      run(async () => {
        const amount = parseTokens(o.amount);
        if (!/^0x[0-9a-fA-F]{40}$/.test(o.signer)) throw new StakeCommandError(`--signer must be a 0x address, got "${o.signer}"`);
        print(
          await withWallet(o, async (w, token, staking) => {
            await ensureAllowance(w, token, amount);
            return { delegator: w.address, signer: o.signer, amount: o.amount, ...(await mined(await staking.getFunction('delegate')(o.signer.toLowerCase(), amount), 'delegate')) };
          }),
        );
      }),
    );

  keyOptions(stake.command('unbond').description('start the unbonding delay: your own bond, or (with --signer) a delegation'))
    .requiredOption('--amount <tokens>', 'stake tokens to unbond')
    .option('--signer <address>', 'undelegate from this signer instead of unbonding your own bond')
    .action((o: KeyOptions & { amount: string; signer?: string }) =>
      run(async () => {
        const amount = parseTokens(o.amount);
        print(
          await withWallet(o, async (w, _token, staking) => {
            const tx = o.signer === undefined ? await staking.getFunction('unbond')(amount) : await staking.getFunction('undelegate')(o.signer.toLowerCase(), amount);
            return { owner: w.address, amount: o.amount, ...(o.signer ? { signer: o.signer } : {}), ...(await mined(tx, o.signer ? 'undelegate' : 'unbond')) };
          }),
        );
      }),
    );

  keyOptions(stake.command('withdraw').description('withdraw unbonded stake whose delay has ended and that capacity released'))
    .action((o: KeyOptions) =>
      run(async () => {
        print(await withWallet(o, async (w, _token, staking) => ({ owner: w.address, ...(await mined(await staking.getFunction('withdrawUnbonded')(), 'withdrawUnbonded')) })));
      }),
    );

  keyOptions(stake.command('status').description("the pledge (capacity, signers) from stake-accounting, and the account's own stake on the L2"))
    .option('--api <url>', 'stake-accounting base URL (default $STAKE_ACCOUNTING_URL or http://127.0.0.1:4007)')
    .option('--address <address>', 'whose stake to show (default: the key given, if any)')
    .action((o: KeyOptions & { api?: string; address?: string }) =>
      run(async () => {
        const base = stakeApi(o);
        const [capacity, signers] = await Promise.all([getJson(`${base}/capacity`), getJson(`${base}/signers`)]);
        let account: unknown;
        const address = o.address ?? (o.account !== undefined || o.keyFile !== undefined || process.env.TAPBRIDGE_EVM_PRIVATE_KEY ? new Wallet(privateKeyOf(o)).address : undefined);
        if (address !== undefined) {
          const provider = new JsonRpcProvider(rpcOf(o), undefined, { staticNetwork: true });
          try {
            const token = new Contract(STAKE_TOKEN_ADDRESS.toLowerCase(), STAKE_TOKEN_ABI, provider);
            const staking = new Contract(STAKING_ADDRESS.toLowerCase(), STAKING_ABI, provider);
            const [balance, info, unbondings] = await Promise.all([
              token.getFunction('balanceOf')(address) as Promise<bigint>,
              staking.getFunction('signerInfo')(address) as Promise<[string, bigint, bigint]>,
              staking.getFunction('openUnbondings')(address) as Promise<bigint[]>,
            ]);
            account = { address, walletTokens: formatUnits(balance, 18), selfBondTokens: formatUnits(info[1], 18), delegatedToItTokens: formatUnits(info[2], 18), hostKey: info[0] === '0x' ? null : info[0], openUnbondings: unbondings.map(String) };
          } finally {
            provider.destroy();
          }
        }
        print({ capacity, signers, ...(account ? { account } : {}) });
      }),
    );

  const price = stake.command('price').description('the stake price');
  price
    .command('set')
    .description('devnet only: the price the devnet stand-in sources report, in sats per whole token')
    .argument('<sats>', 'sats per whole stake token')
    .option('--api <url>', 'stake-accounting base URL (default $STAKE_ACCOUNTING_URL or http://127.0.0.1:4007)')
    .action((sats: string, o: { api?: string }) =>
      run(async () => {
        if (!/^[1-9][0-9]{0,30}$/.test(sats)) throw new StakeCommandError(`<sats> must be a positive whole number, got "${sats}"`);
        print(await send('PUT', `${stakeApi(o)}/devnet/price`, { satsPerToken: sats }));
      }),
    );
  price
    .command('get')
    .description('the last accepted price and what capacity may use now')
    .option('--api <url>', 'stake-accounting base URL (default $STAKE_ACCOUNTING_URL or http://127.0.0.1:4007)')
    .action((o: { api?: string }) => run(async () => print(await getJson(`${stakeApi(o)}/price`))));

  stake
    .command('verify-evidence')
    .description('check slashing evidence offline (no server): prints the verdict, exits 1 when it does not prove the offence')
    .argument('<file>', 'evidence JSON (as GET /slashes/:id returns it in "evidence", or the whole slash)')
    .option('--coordinator <hex>', 'the coordinator host key you trust (refuses evidence attested by another)')
    .option('--liveness <W:M>', 'the liveness rule the record must use, e.g. 100:50')
    .action((file: string, o: { coordinator?: string; liveness?: string }) =>
      run(() => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (err) {
          throw new StakeCommandError(`cannot read ${file}: ${(err as Error).message}`);
        }
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (err) {
          throw new StakeCommandError(`${file} is not JSON: ${(err as Error).message}`);
        }
        // A whole slash (GET /slashes/:id) carries the evidence in its "evidence" field.
        if (json !== null && typeof json === 'object' && 'evidence' in json && 'evidenceId' in json) json = (json as { evidence: unknown }).evidence;
        let liveness: { windowSize: number; maxMisses: number } | undefined;
        if (o.liveness !== undefined) {
          const m = /^([1-9][0-9]*):([0-9]+)$/.exec(o.liveness);
          if (!m) throw new StakeCommandError(`--liveness must be W:M, got "${o.liveness}"`);
          liveness = { windowSize: Number(m[1]), maxMisses: Number(m[2]) };
        }
        const verdict = verifyEvidence(json, { ...(o.coordinator ? { coordinatorHostPubkey: o.coordinator.toLowerCase() } : {}), ...(liveness ? { liveness } : {}) });
        print(verdict);
        if (!verdict.valid) process.exitCode = 1;
      }),
    );
}
