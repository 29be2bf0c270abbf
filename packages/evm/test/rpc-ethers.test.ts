import fs from 'node:fs';
import { Contract, ContractFactory, JsonRpcProvider, Network, Wallet, isError, type ContractTransactionResponse, type InterfaceAbi } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSolidity, type CompiledContract } from '../scripts/solc.js';
import { BRIDGE_ABI, BRIDGE_ADDRESS, EvmEngine, MemoryChainStore, startJsonRpcServer, WEI_PER_SAT, type JsonRpcServer } from '../src/index.js';
import { fundedConfig, ONE_BTC_WEI, testWallets } from './support/chain.js';

const [alice, bob, carol] = testWallets(3) as [Wallet, Wallet, Wallet];
const P2WPKH = `0x0014${'ab'.repeat(20)}`;

describe('JSON-RPC with ethers as the client', () => {
  let engine: EvmEngine;
  let server: JsonRpcServer;
  let provider: JsonRpcProvider;
  let token: CompiledContract;

  beforeAll(async () => {
    token = compileSolidity('TestToken.sol', fs.readFileSync(new URL('./contracts/TestToken.sol', import.meta.url), 'utf8'), 'TestToken');
    const config = fundedConfig([alice, bob], 10n * ONE_BTC_WEI, { blockTimeMs: 60_000 });
    engine = await EvmEngine.open({ store: new MemoryChainStore(), config });
    server = await startJsonRpcServer({ engine, port: 0 });
    provider = new JsonRpcProvider(server.url, Network.from(config.chainId), { staticNetwork: true, pollingInterval: 20, cacheTimeout: -1 });
  });

  afterAll(async () => {
    provider?.destroy();
    await server?.close();
    await engine?.close();
  });

  it('deploys an ERC-20, transfers, and reads logs with address, topic and range filters', async () => {
    const deployer = alice.connect(provider);
    const factory = new ContractFactory((token.abi as InterfaceAbi), token.bytecode, deployer);
    const deployed = await factory.deploy(1_000_000n);
    await deployed.waitForDeployment();
    const address = await deployed.getAddress();
    expect((await provider.getCode(address)).length).toBeGreaterThan(2);
    const erc20 = new Contract(address, (token.abi as InterfaceAbi), deployer);

    const tx = (await erc20.getFunction('transfer')(bob.address, 250n)) as ContractTransactionResponse;
    const receipt = await tx.wait();
    expect(receipt?.status).toBe(1);
    expect(await erc20.getFunction('balanceOf')(bob.address)).toBe(250n);
    expect(await erc20.getFunction('balanceOf')(alice.address)).toBe(999_750n);

    const viaBob = new Contract(address, (token.abi as InterfaceAbi), bob.connect(provider));
    await ((await viaBob.getFunction('transfer')(carol.address, 50n)) as ContractTransactionResponse).wait();

    const transferTopic = erc20.interface.getEvent('Transfer')!.topicHash;
    const all = await provider.getLogs({ address, fromBlock: 0, toBlock: 'latest' });
    expect(all).toHaveLength(3); // mint (constructor), alice→bob, bob→carol
    const fromBob = await provider.getLogs({ address, topics: [transferTopic, `0x${bob.address.slice(2).toLowerCase().padStart(64, '0')}`], fromBlock: 0 });
    expect(fromBob).toHaveLength(1);
    expect(erc20.interface.parseLog(fromBob[0]!)?.args.toArray()).toEqual([bob.address, carol.address, 50n]);
    const inTransferBlock = await provider.getLogs({ address, fromBlock: receipt!.blockNumber, toBlock: receipt!.blockNumber });
    expect(inTransferBlock.map((l) => l.transactionHash)).toEqual([tx.hash]);
    const elsewhere = await provider.getLogs({ address: carol.address, fromBlock: 0 });
    expect(elsewhere).toHaveLength(0);

    // eth_call and eth_estimateGas
    expect(await erc20.getFunction('totalSupply').staticCall()).toBe(1_000_000n);
    const estimate = await erc20.getFunction('transfer').estimateGas(carol.address, 1n);
    expect(estimate).toBeGreaterThan(21_000n);
    expect(estimate).toBeLessThan(100_000n);

    // A revert reason reaches the caller: Error(string) decoded by ethers from our code-3 error data.
    const tooMuch = erc20.getFunction('transfer').staticCall(carol.address, 10n ** 30n);
    await expect(tooMuch).rejects.toSatisfy((err: unknown) => isError(err, 'CALL_EXCEPTION') && err.reason === 'insufficient balance');
    await expect(erc20.getFunction('transfer').estimateGas(carol.address, 10n ** 30n)).rejects.toSatisfy(
      (err: unknown) => isError(err, 'CALL_EXCEPTION') && err.reason === 'insufficient balance',
    );
  });

  it('serves blocks, transactions, receipts and fee data in shapes ethers accepts', async () => {
    const sent = await alice.connect(provider).sendTransaction({ to: carol.address, value: 123n * WEI_PER_SAT });
    const receipt = await sent.wait();
    const block = await provider.getBlock(receipt!.blockNumber, true);
    expect(block?.hash).toBe(receipt?.blockHash);
    expect(block?.prefetchedTransactions.map((t) => t.hash)).toContain(sent.hash);
    const fetched = await provider.getTransaction(sent.hash);
    expect(fetched?.from).toBe(alice.address);
    expect(fetched?.blockNumber).toBe(receipt?.blockNumber);
    expect(await provider.getBalance(carol.address)).toBe(123n * WEI_PER_SAT);
    expect(await provider.estimateGas({ from: alice.address, to: carol.address, value: 1n })).toBe(21_000n);
    const fees = await provider.getFeeData();
    expect(fees.maxFeePerGas).toBeGreaterThan(0n);
    const history = await provider.send('eth_feeHistory', ['0x4', 'latest', [50]]);
    expect(history.baseFeePerGas).toHaveLength(Math.min(4, receipt!.blockNumber + 1) + 1);
    expect(await provider.send('net_version', [])).toBe(engine.chainId.toString());
  });

  it('withdraw burns whole sats, emits WithdrawalRequested and yields one withdrawal request', async () => {
    const bridge = new Contract(BRIDGE_ADDRESS, BRIDGE_ABI, bob.connect(provider));
    const amountSats = 100_000n;
    const before = await provider.getBalance(bob.address);
    const tx = (await bridge.getFunction('withdraw')(P2WPKH, 2_000n, { value: amountSats * WEI_PER_SAT })) as ContractTransactionResponse;
    const receipt = (await tx.wait())!;
    const fee = receipt.gasUsed * receipt.gasPrice;
    expect(await provider.getBalance(bob.address)).toBe(before - amountSats * WEI_PER_SAT - fee);
    expect(await provider.getBalance(BRIDGE_ADDRESS)).toBe(amountSats * WEI_PER_SAT);
    expect(await bridge.getFunction('totalBurnedSats')()).toBe(amountSats);

    const event = bridge.interface.parseLog(receipt.logs[0]!);
    expect(event?.name).toBe('WithdrawalRequested');
    expect(event?.args.toArray()).toEqual([0n, bob.address, P2WPKH, amountSats, 2_000n]);

    const requests = await engine.withdrawalRequests(0n, engine.headNumber);
    expect(requests).toEqual([
      {
        id: 0n,
        sender: bob.address.toLowerCase(),
        btcScriptPubKey: P2WPKH.slice(2),
        amountSats,
        maxFeeSats: 2_000n,
        blockNumber: BigInt(receipt.blockNumber),
        blockHash: receipt.blockHash,
        transactionHash: tx.hash,
        logIndex: receipt.logs[0]!.index,
      },
    ]);
    expect(await engine.finalizedWithdrawals(1_000n)).toEqual([]);
    expect(await engine.finalizedWithdrawals(0n)).toHaveLength(1);
  });

  it('withdraw reverts with a clear reason for fractional sats, dust and malformed scripts', async () => {
    const bridge = new Contract(BRIDGE_ADDRESS, BRIDGE_ABI, bob.connect(provider));
    const withdraw = bridge.getFunction('withdraw');
    const revertName = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        // eth_call errors come decoded; eth_estimateGas ones only carry the raw revert data.
        if (isError(err, 'CALL_EXCEPTION')) return err.revert?.name ?? bridge.interface.parseError(err.data ?? '0x')?.name;
        throw err;
      }
      return 'no revert';
    };
    expect(await revertName(withdraw.staticCall(P2WPKH, 0n, { value: 1_000n * WEI_PER_SAT + 1n }))).toBe('NotWholeSats');
    expect(await revertName(withdraw.staticCall(P2WPKH, 0n, { value: 545n * WEI_PER_SAT }))).toBe('BelowDust');
    expect(await revertName(withdraw.staticCall(`0x0014${'ab'.repeat(19)}`, 0n, { value: 1_000n * WEI_PER_SAT }))).toBe('UnsupportedScriptPubKey');
    expect(await revertName(withdraw.staticCall(`0x6a0401020304`, 0n, { value: 1_000n * WEI_PER_SAT }))).toBe('UnsupportedScriptPubKey');
    expect(await revertName(withdraw.estimateGas(P2WPKH, 0n, { value: 545n * WEI_PER_SAT }))).toBe('BelowDust');
    // All five standard shapes pass the script check.
    const scripts = [`0x76a914${'11'.repeat(20)}88ac`, `0xa914${'22'.repeat(20)}87`, `0x0014${'33'.repeat(20)}`, `0x0020${'44'.repeat(32)}`, `0x5120${'55'.repeat(32)}`];
    for (const s of scripts) expect(await bridge.getFunction('isStandardScriptPubKey')(s)).toBe(true);
  });
});
