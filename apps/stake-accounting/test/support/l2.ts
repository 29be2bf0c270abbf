// A real L2 for the indexer tests: an EvmEngine over the devnet-style genesis (stake token holders) behind the
// JSON-RPC server the evm-gateway uses, blocks produced on demand, "finalized" = head − depth.
import { devChainConfig, EvmEngine, fromHex, MemoryChainStore, startJsonRpcServer, STAKE_TOKEN_ABI, STAKE_TOKEN_ADDRESS, STAKING_ABI, STAKING_ADDRESS, type JsonRpcServer } from '@tapbridge/evm';
import { Interface, Transaction, Wallet, type InterfaceAbi } from 'ethers';

export const TOKEN = 10n ** 18n;
export const token = new Interface(STAKE_TOKEN_ABI as unknown as InterfaceAbi);
export const staking = new Interface(STAKING_ABI as unknown as InterfaceAbi);
export const wallets = Array.from({ length: 6 }, (_, i) => new Wallet(`0x${(0x5a4e000n + BigInt(i)).toString(16).padStart(64, '0')}`));
export const hostKey = (i: number): string => `0x02${(0x1000 + i).toString(16).padStart(64, '0')}`;

export class TestL2 {
  /** Added to the wall clock for block timestamps: advanceTime() lets an unbonding delay pass without waiting. */
  private static skewMs = 0;

  private constructor(
    readonly engine: EvmEngine,
    readonly server: JsonRpcServer,
  ) {}

  static async start(finalizedDepth = 2n): Promise<TestL2> {
    const config = devChainConfig({
      alloc: new Map(wallets.map((w) => [w.address.toLowerCase(), { balance: 100n * TOKEN, nonce: 0n }])),
      stake: { holders: new Map(wallets.map((w) => [w.address.toLowerCase(), 1_000_000n * TOKEN])), unbondingDelaySeconds: 60n },
    });
    const engine = await EvmEngine.open({ store: new MemoryChainStore(), config, autoMine: false, now: () => Date.now() + TestL2.skewMs });
    const server = await startJsonRpcServer({ engine, port: 0, rpc: { finalizedDepth } });
    return new TestL2(engine, server);
  }

  get url(): string {
    return this.server.url;
  }

  /** Sends a transaction; `tipWei` per gas goes to the coinbase (the L2's fee income). */
  async send(from: Wallet, to: string, iface: Interface, fn: string, args: unknown[], tipWei = 1n): Promise<void> {
    const nonce = Number(await this.engine.getPendingNonce(from.address));
    const tx = Transaction.from({ type: 2, chainId: this.engine.chainId, nonce, to, data: iface.encodeFunctionData(fn, args), gasLimit: 1_000_000n, maxFeePerGas: this.engine.pendingBaseFee() * 2n + tipWei, maxPriorityFeePerGas: tipWei });
    await this.engine.sendRawTransaction(fromHex(await from.signTransaction(tx)));
  }

  async bond(w: Wallet, amount: bigint, key: string): Promise<void> {
    await this.send(w, STAKE_TOKEN_ADDRESS, token, 'approve', [STAKING_ADDRESS, amount]);
    await this.send(w, STAKING_ADDRESS, staking, 'bond', [amount, key]);
  }

  async delegate(w: Wallet, signer: Wallet, amount: bigint): Promise<void> {
    await this.send(w, STAKE_TOKEN_ADDRESS, token, 'approve', [STAKING_ADDRESS, amount]);
    await this.send(w, STAKING_ADDRESS, staking, 'delegate', [signer.address, amount]);
  }

  /** Later blocks are stamped `seconds` later than the wall clock says. */
  advanceTime(seconds: number): void {
    TestL2.skewMs += seconds * 1_000;
  }

  async mine(blocks = 1): Promise<void> {
    for (let i = 0; i < blocks; i++) await this.engine.produceBlock();
  }

  async view(iface: Interface, to: string, fn: string, args: unknown[]): Promise<ReturnType<Interface['decodeFunctionResult']>> {
    const r = await this.engine.call({ to, data: fromHex(iface.encodeFunctionData(fn, args)) });
    if (r.error) throw new Error(`${fn} reverted`);
    return iface.decodeFunctionResult(fn, `0x${Buffer.from(r.returnValue).toString('hex')}`);
  }

  async stop(): Promise<void> {
    await this.server.close();
    await this.engine.close();
  }
}
