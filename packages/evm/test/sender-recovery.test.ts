import { createFeeMarket1559Tx, createTxFromRLP } from '@ethereumjs/tx';
import { hexToBytes } from '@ethereumjs/util';
import { Transaction, Wallet } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { createChainCommon, devChainConfig, fromHex } from '../src/index.js';
import { SenderRecovery } from '../src/sender-recovery.js';

const config = devChainConfig();
const common = createChainCommon(config);
const wallet = new Wallet(`0x${'5e'.repeat(32)}`);
const recovery = new SenderRecovery(1);

afterAll(async () => {
  await recovery.close();
});

async function signed(fields: Record<string, unknown>): Promise<Uint8Array> {
  return fromHex(await wallet.signTransaction(Transaction.from({ chainId: config.chainId, nonce: 3, to: `0x${'77'.repeat(20)}`, value: 5n, gasLimit: 21_000n, ...fields })));
}

describe('SenderRecovery', () => {
  it('fills the sender of legacy (EIP-155), EIP-2930 and EIP-1559 transactions with what the synchronous path recovers', async () => {
    await recovery.started;
    const raws = [
      await signed({ type: 0, gasPrice: 10n ** 9n }),
      await signed({ type: 1, gasPrice: 10n ** 9n, accessList: [] }),
      await signed({ type: 2, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 1n }),
    ];
    const txs = raws.map((raw) => createTxFromRLP(raw, { common }));
    // Concurrently, as a JSON-RPC batch does: one message to the worker.
    await Promise.all(txs.map((tx) => recovery.prime(tx)));
    for (const [i, tx] of txs.entries()) {
      expect(tx.cache.senderPubKey).toBeDefined();
      expect(tx.getSenderAddress().toString()).toBe(wallet.address.toLowerCase());
      const fresh = createTxFromRLP(raws[i]!, { common });
      expect(tx.cache.senderPubKey).toEqual(fresh.getSenderPublicKey());
    }
  });

  it('leaves a signature that recovers no key unfilled', async () => {
    const tx = createTxFromRLP(await signed({ type: 2, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 1n }), { common });
    // r = 0 is not a valid x coordinate: libsecp256k1 recovers nothing.
    const { chainId, nonce, maxFeePerGas, maxPriorityFeePerGas, gasLimit, to, value, data, v, s } = tx.toJSON();
    const broken = createFeeMarket1559Tx({ chainId, nonce, maxFeePerGas, maxPriorityFeePerGas, gasLimit, to, value, data, v, s, r: hexToBytes('0x00') }, { common });
    await recovery.prime(broken);
    expect(broken.cache.senderPubKey).toBeUndefined();
    expect(() => broken.getSenderAddress()).toThrow();
  });

  it('does nothing with no worker thread', async () => {
    const off = new SenderRecovery(0);
    const tx = createTxFromRLP(await signed({ type: 2, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 1n }), { common });
    await off.prime(tx);
    expect(tx.cache.senderPubKey).toBeUndefined();
    expect(tx.getSenderAddress().toString()).toBe(wallet.address.toLowerCase());
    await off.close();
  });
});
