import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HDNodeWallet, Mnemonic, Transaction } from 'ethers';
import { describe, expect, it } from 'vitest';
import { deriveDevAccounts, DEV_MNEMONIC, devChainConfig, EvmEngine, FileChainStore, fromHex, toHex } from '../src/index.js';

describe('dev accounts', () => {
  it('derives the same m/44\'/60\'/0\'/0/i accounts as ethers from the test mnemonic', () => {
    const ours = deriveDevAccounts(3);
    const mnemonic = Mnemonic.fromPhrase(DEV_MNEMONIC);
    for (const account of ours) {
      const wallet = HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${account.index}`);
      expect(account.address).toBe(wallet.address);
      expect(account.privateKey).toBe(wallet.privateKey);
    }
  });
});

describe('FileChainStore', () => {
  it('reopens at the same head and state, ignoring a torn last line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evm-file-store-'));
    try {
      const [account] = deriveDevAccounts(1);
      const config = devChainConfig({ alloc: new Map([[account!.address.toLowerCase(), { balance: 10n ** 18n, nonce: 0n }]]) });
      const first = await EvmEngine.open({ store: FileChainStore.open(dir), config, autoMine: false });
      const wallet = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), "m/44'/60'/0'/0/0");
      const tx = Transaction.from({ type: 2, chainId: config.chainId, nonce: 0, to: `0x${'77'.repeat(20)}`, value: 5n, gasLimit: 21_000n, maxFeePerGas: first.pendingBaseFee() * 2n, maxPriorityFeePerGas: 1n });
      await first.sendRawTransaction(fromHex(await wallet.signTransaction(tx)));
      await first.queueMint({ depositId: 'file-dep', recipient: account!.address, amountSats: 3n });
      const { block } = await first.produceBlock();
      await first.close();
      await first.store.close();
      fs.appendFileSync(path.join(dir, 'chain.jsonl'), '{"type":"block","block":{"num'); // a crash mid-append

      const second = await EvmEngine.open({ store: FileChainStore.open(dir), config, autoMine: false });
      expect(second.headNumber).toBe(1n);
      expect(toHex(second.head.hash())).toBe(toHex(block.hash()));
      expect(await second.getBalance(`0x${'77'.repeat(20)}`)).toBe(5n);
      expect((await second.queueMint({ depositId: 'file-dep', recipient: account!.address, amountSats: 3n })).status).toBe('already-minted');
      await second.produceBlock();
      await second.close();
      await second.store.close();
      expect((await FileChainStore.open(dir).getHead())?.number).toBe(2n);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
