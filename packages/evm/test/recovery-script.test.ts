// Issue 11: any account registers the Bitcoin script the emergency disbursal pays it to (setRecoveryScript, standard
// templates only); the signers read the RecoveryScriptSet logs and the balances at a checkpoint block over JSON-RPC.
import { Contract, isError, JsonRpcProvider, Network, type ContractTransactionResponse, type Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_ABI, BRIDGE_ADDRESS, EvmEngine, MemoryChainStore, startJsonRpcServer, type JsonRpcServer } from '../src/index.js';
import { fundedConfig, ONE_BTC_WEI, testWallets } from './support/chain.js';

const [alice, bob] = testWallets(2) as [Wallet, Wallet];
const P2WPKH = `0x0014${'ab'.repeat(20)}`;
const P2TR = `0x5120${'cd'.repeat(32)}`;

describe('bridge setRecoveryScript', () => {
  let engine: EvmEngine;
  let server: JsonRpcServer;
  let provider: JsonRpcProvider;

  beforeAll(async () => {
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

  it('stores the latest standard script per account and logs every registration', async () => {
    const asAlice = new Contract(BRIDGE_ADDRESS, BRIDGE_ABI, alice.connect(provider));
    const asBob = new Contract(BRIDGE_ADDRESS, BRIDGE_ABI, bob.connect(provider));
    const first = await ((await asAlice.getFunction('setRecoveryScript')(P2WPKH)) as ContractTransactionResponse).wait();
    await ((await asBob.getFunction('setRecoveryScript')(P2TR)) as ContractTransactionResponse).wait();
    await ((await asAlice.getFunction('setRecoveryScript')(P2TR)) as ContractTransactionResponse).wait();
    expect(await asAlice.getFunction('recoveryScriptOf')(alice.address)).toBe(P2TR);
    expect(await asAlice.getFunction('recoveryScriptOf')(bob.address)).toBe(P2TR);
    const topic = asAlice.interface.getEvent('RecoveryScriptSet')!.topicHash;
    const logs = await provider.getLogs({ address: BRIDGE_ADDRESS, topics: [topic], fromBlock: 0 });
    expect(logs.map((l) => asAlice.interface.parseLog(l)!.args.toArray())).toEqual([
      [alice.address, P2WPKH],
      [bob.address, P2TR],
      [alice.address, P2TR],
    ]);
    // The state at an earlier block still holds the first script (what a checkpoint snapshot reads).
    expect(await asAlice.getFunction('recoveryScriptOf')(alice.address, { blockTag: first!.blockNumber })).toBe(P2WPKH);
  });

  it('refuses a script that is not a standard payout template', async () => {
    const bridge = new Contract(BRIDGE_ADDRESS, BRIDGE_ABI, alice.connect(provider));
    for (const bad of ['0x6a0401020304', `0x0014${'ab'.repeat(19)}`, '0x']) {
      const name = await bridge
        .getFunction('setRecoveryScript')
        .staticCall(bad)
        .then(
          () => 'accepted',
          (err: unknown) => (isError(err, 'CALL_EXCEPTION') ? (err.revert?.name ?? 'reverted') : String(err)),
        );
      expect(name).toBe('UnsupportedScriptPubKey');
    }
  });
});
