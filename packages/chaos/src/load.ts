// The users: each has an L2 wallet, a reclaim key and Bitcoin from the devnet wallet. Deposits go in all forms
// (per-deposit taproot registered through the public API, the simple OP_RETURN form, unregistered ones taken back
// through the reclaim leaf, large ones); withdrawals burn through the bridge to all five script types. Every step
// retries through faults: a request is submitted exactly once (one signed transaction, re-sent as the same bytes).
import { randomBytes } from 'node:crypto';
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { addressToOutputScript, buildOpReturnDepositScript, buildReclaimTx, bytesToHex, depositAddress, encodeSegwitAddress, hexToBytes } from '@tapbridge/bitcoin';
import { signP2wpkhInput } from '@tapbridge/devnet-chain';
import { BRIDGE_ABI, BRIDGE_ADDRESS, WEI_PER_SAT } from '@tapbridge/evm';
import { crypto as bcrypto, Transaction } from 'bitcoinjs-lib';
import { Interface, keccak256, Wallet, type InterfaceAbi } from 'ethers';
import type { SubmittedDeposit, SubmittedWithdrawal } from './checker.js';
import { retry } from './rpc.js';
import type { PlannedDeposit, PlannedWithdrawal, ScriptType } from './schedule.js';
import type { ChaosStack } from './stack.js';

export const DEPOSIT_MAX_FEE = 20_000n;
const RECLAIM_LOCK_BLOCKS = 2;
const bridge = new Interface(BRIDGE_ABI as InterfaceAbi);

export interface User {
  index: number;
  wallet: Wallet;
  address: string;
  reclaimSecret: Uint8Array;
  reclaimKey: Uint8Array;
  nonce: number | undefined;
}

export function newUser(index: number): User {
  const wallet = new Wallet(`0x${randomBytes(32).toString('hex')}`);
  const reclaimSecret = schnorr.utils.randomSecretKey();
  return { index, wallet, address: wallet.address.toLowerCase(), reclaimSecret, reclaimKey: schnorr.getPublicKey(reclaimSecret), nonce: undefined };
}

const btcString = (sats: bigint): string => `${sats / 100_000_000n}.${(sats % 100_000_000n).toString().padStart(8, '0')}`;

/** A fresh, unique output script of the given type (the checker finds the payout by it). */
export function withdrawalScript(type: ScriptType): string {
  const h20 = randomBytes(20).toString('hex');
  switch (type) {
    case 'p2pkh': return `76a914${h20}88ac`;
    // Nested segwit: the P2SH hash commits to a real P2WPKH redeem script (OP_0 <20-byte key hash>).
    case 'p2sh-p2wpkh': return `a914${bytesToHex(bcrypto.hash160(hexToBytes(`0014${h20}`)))}87`;
    case 'p2wpkh': return `0014${h20}`;
    case 'p2wsh': return `0020${randomBytes(32).toString('hex')}`;
    case 'p2tr': return `5120${bytesToHex(schnorr.getPublicKey(schnorr.utils.randomSecretKey()))}`;
  }
}

export class Load {
  readonly deposits: SubmittedDeposit[] = [];
  readonly withdrawals: SubmittedWithdrawal[] = [];
  readonly errors: string[] = [];
  private chainId: bigint | undefined;
  constructor(private readonly stack: ChaosStack, readonly users: User[], private readonly log: (l: string) => void) {}

  private async rawTx(txid: string): Promise<Transaction> {
    return Transaction.fromHex(await this.stack.btc.call<string>('getrawtransaction', [txid, false]));
  }

  private async findVout(txid: string, scriptHex: string): Promise<number> {
    const tx = await this.rawTx(txid);
    const vout = tx.outs.findIndex((o) => bytesToHex(o.script) === scriptHex);
    if (vout < 0) throw new Error(`output ${scriptHex} not in ${txid}`);
    return vout;
  }

  async deposit(p: PlannedDeposit): Promise<void> {
    const user = this.users[p.user]!;
    const { btc, custody } = this.stack;
    try {
      if (p.form === 'op_return') {
        // Funded from a key of the user's own, so the user signs the custody payment + OP_RETURN itself.
        const sk = secp256k1.utils.randomSecretKey();
        const h = bcrypto.hash160(secp256k1.getPublicKey(sk, true));
        const fundingScript = `0014${bytesToHex(h)}`;
        const fee = 3_000n;
        const fundingTxid = await btc.call<string>('sendtoaddress', [encodeSegwitAddress('bcrt', 0, h), btcString(p.amountSats + fee)]);
        const fundingVout = await this.findVout(fundingTxid, fundingScript);
        const tx = new Transaction();
        tx.version = 2;
        tx.addInput(Uint8Array.from(hexToBytes(fundingTxid)).reverse(), fundingVout, 0xfffffffd);
        tx.addOutput(hexToBytes(custody.scriptPubKey), p.amountSats);
        tx.addOutput(buildOpReturnDepositScript({ recipient: user.wallet.address }), 0n);
        tx.setWitness(0, signP2wpkhInput(tx, 0, sk, p.amountSats + fee));
        const sentAt = Date.now();
        const txid = await retry('OP_RETURN deposit broadcast', () => btc.call<string>('sendrawtransaction', [tx.toHex()]), 120_000);
        this.deposits.push({ n: p.n, form: p.form, txid, vout: 0, amountSats: p.amountSats, recipient: user.address, sentAt });
        return;
      }
      const lockBlocks = p.form === 'reclaimed' ? RECLAIM_LOCK_BLOCKS : 1_000;
      const addr = depositAddress({ network: 'regtest', groupKey: hexToBytes(custody.groupKey), recipient: user.wallet.address, maxFee: DEPOSIT_MAX_FEE, reclaimKey: user.reclaimKey, lockBlocks });
      const sentAt = Date.now();
      const txid = await btc.call<string>('sendtoaddress', [addr.address, btcString(p.amountSats)]);
      const vout = await this.findVout(txid, bytesToHex(addr.scriptPubKey));
      this.deposits.push({ n: p.n, form: p.form, txid, vout, amountSats: p.amountSats, recipient: user.address, sentAt, reclaimScript: bytesToHex(addr.reclaimLeaf.script) });
      if (p.form === 'reclaimed') {
        // Never registered: the depositor takes it back through the reclaim leaf once the lock has passed.
        const reclaim = buildReclaimTx({
          deposit: { txid, vout, value: p.amountSats }, depositScript: addr.depositLeaf.script, reclaimScript: addr.reclaimLeaf.script,
          depositorSecretKey: user.reclaimSecret, destinationScriptPubKey: hexToBytes(await this.minerScript()), feeRate: 2, lockBlocks,
        });
        await retry(`reclaim of deposit #${p.n}`, () => btc.call('sendrawtransaction', [reclaim.hex]), 600_000, 2_000);
        return;
      }
      // Registered through the public API; the gateway and the indexer may be down or cut off meanwhile.
      await retry(`registration of deposit #${p.n}`, async () => {
        const res = await fetch(this.stack.api.register, {
          method: 'POST', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(30_000),
          body: JSON.stringify({ txid, vout, depositScript: bytesToHex(addr.depositLeaf.script), reclaimScript: bytesToHex(addr.reclaimLeaf.script) }),
        });
        if (res.status === 200 || res.status === 201) return;
        const text = await res.text();
        if (res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408) {
          this.errors.push(`deposit #${p.n} registration refused: ${res.status} ${text.slice(0, 300)}`);
          return;
        }
        throw new Error(`${res.status} ${text.slice(0, 200)}`);
      }, 600_000, 1_000);
    } catch (err) {
      this.errors.push(`deposit #${p.n} (${p.form}): ${(err as Error).message}`);
    }
  }

  private async minerScript(): Promise<string> {
    return bytesToHex(addressToOutputScript(this.stack.minerAddress, 'regtest'));
  }

  /** The user's L2 balance in wei (the chain's own answer). */
  private async balance(user: User): Promise<bigint> {
    return BigInt(await this.stack.evm.call<string>('eth_getBalance', [user.wallet.address, 'latest']));
  }

  /**
   * One burn through the bridge, once: a single signed transaction (fixed nonce), re-sent as the same bytes until
   * its receipt appears, so a node crash can delay it but never make it twice.
   */
  async withdraw(p: PlannedWithdrawal, deadline: number): Promise<void> {
    const user = this.users[p.user]!;
    const { evm } = this.stack;
    try {
      const script = withdrawalScript(p.scriptType);
      const gasLimit = 300_000n;
      const maxFeePerGas = 20_000_000_000n;
      const need = p.amountSats * WEI_PER_SAT + gasLimit * maxFeePerGas;
      // Funded by the user's own deposits: wait until they have been minted.
      await retry(`L2 balance of user ${user.index} for withdrawal #${p.n}`, async () => {
        if ((await this.balance(user)) < need) throw new Error('not funded yet');
      }, Math.max(10_000, deadline - Date.now()), 2_000);
      this.chainId ??= BigInt(await retry('eth_chainId', () => evm.call<string>('eth_chainId')));
      user.nonce ??= Number(BigInt(await retry('nonce', () => evm.call<string>('eth_getTransactionCount', [user.wallet.address, 'latest']))));
      const raw = await user.wallet.signTransaction({
        type: 2, chainId: this.chainId, nonce: user.nonce, to: BRIDGE_ADDRESS, value: p.amountSats * WEI_PER_SAT, gasLimit, maxFeePerGas, maxPriorityFeePerGas: 1_000_000_000n,
        data: bridge.encodeFunctionData('withdraw', [`0x${script}`, p.maxFeeSats]),
      });
      const hash = keccak256(raw);
      const receipt = await retry(`burn #${p.n}`, async () => {
        const r = await evm.call<{ status: string; logs: Array<{ topics: string[]; data: string }> } | null>('eth_getTransactionReceipt', [hash]);
        if (r) return r;
        await evm.call('eth_sendRawTransaction', [raw]).catch((err: Error) => {
          if (!/known|nonce too low|already/i.test(err.message)) throw err;
        });
        throw new Error('not mined yet');
      }, 600_000, 1_000);
      user.nonce++;
      const burnedAt = Date.now();
      if (receipt.status !== '0x1') {
        this.errors.push(`withdrawal #${p.n}: the burn reverted (${hash})`);
        return;
      }
      const event = receipt.logs.map((l) => { try { return bridge.parseLog(l); } catch { return null; } }).find((l) => l?.name === 'WithdrawalRequested');
      if (!event) throw new Error(`no WithdrawalRequested in ${hash}`);
      this.withdrawals.push({ n: p.n, id: (event.args[0] as bigint).toString(), scriptPubKey: script, scriptType: p.scriptType, amountSats: p.amountSats, maxFeeSats: p.maxFeeSats, burnedAt });
    } catch (err) {
      this.errors.push(`withdrawal #${p.n} (${p.scriptType}): ${(err as Error).message}`);
    }
  }
}
