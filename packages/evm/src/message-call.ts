import { createBlock, type Block, type JSONHeader } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import type { MerkleStateManager } from '@ethereumjs/statemanager';
import { createFeeMarket1559Tx } from '@ethereumjs/tx';
import { createAddressFromString, equalsBytes, type Address } from '@ethereumjs/util';
import { runTx, type VM } from '@ethereumjs/vm';
import { EvmEngineError } from './errors.js';
import { toHex } from './hex.js';

const TRANSFER_GAS = 21_000n;

/** A message call for eth_call / eth_estimateGas; absent fields get geth's defaults. */
export interface CallRequest {
  from?: string;
  to?: string | null;
  data?: Uint8Array;
  value?: bigint;
  gas?: bigint;
}

export interface CallResult {
  returnValue: Uint8Array;
  gasUsed: bigint;
  /** Set when execution failed; `revertData` is the REVERT payload if any. */
  error?: { message: string; revertData?: Uint8Array };
}

/** Gas bounds of message calls: geth's RPCGasCap, and the block gas limit estimateGas searches under by default. */
export interface CallGasLimits {
  /** Most gas any eth_call / eth_estimateGas may use, whatever the caller asks (geth: --rpc.gascap, 50M). */
  rpcGasCap: bigint;
  blockGasLimit: bigint;
}

/** The block a call runs on top of: its state root, header fields and hash (all structured-cloneable for workers). */
export interface CallTarget {
  stateRoot: Uint8Array;
  header: JSONHeader;
  hash: string;
}

const callTargets = new WeakMap<Block, CallTarget>();

/** The call target of a block, made once per block (every eth_call at the head asks for the same one). */
export function callTargetOf(block: Block): CallTarget {
  let target = callTargets.get(block);
  if (target === undefined) {
    target = { stateRoot: block.header.stateRoot, header: block.header.toJSON(), hash: toHex(block.hash()) };
    callTargets.set(block, target);
  }
  return target;
}

/** Thrown by estimateGas when the call fails at the gas cap (geth reports these as code 3 / -32000). */
export class ExecutionFailedError extends EvmEngineError {
  constructor(
    message: string,
    readonly revertData: Uint8Array | undefined,
  ) {
    super(message);
  }
}

/**
 * eth_call and eth_estimateGas: message calls on a dedicated VM whose effects are always reverted. The VM has
 * one state root at a time, so calls run one after another; its caches are kept while the root stays the same.
 * It runs inside a call worker (call-worker.ts), never on the engine's event loop: a call is arbitrary code.
 */
export class MessageCaller {
  private queue: Promise<unknown> = Promise.resolve();
  constructor(
    private readonly common: Common,
    private readonly vm: VM,
    private readonly state: MerkleStateManager,
    private readonly gas: CallGasLimits,
  ) {}

  /** The caller's gas, never above the RPC cap; absent, the cap (as geth does). */
  private callGas(requested: bigint | undefined): bigint {
    const cap = this.gas.rpcGasCap;
    return requested === undefined || requested > cap ? cap : requested;
  }

  /** Runs a message call against the state after `base` and discards its effects. */
  call(request: CallRequest, base: CallTarget): Promise<CallResult> {
    return this.withCallState(base, async (block) => {
      const gasLimit = this.callGas(request.gas);
      const caller = createAddressFromString(request.from ?? '0x0000000000000000000000000000000000000000');
      const result = await this.vm.evm.runCall({
        block,
        caller,
        origin: caller,
        ...(request.to !== undefined && request.to !== null ? { to: createAddressFromString(request.to) } : {}),
        data: request.data ?? new Uint8Array(),
        value: request.value ?? 0n,
        gasLimit,
      });
      const exec = result.execResult;
      if (exec.exceptionError === undefined) return { returnValue: exec.returnValue, gasUsed: exec.executionGasUsed };
      const reverted = exec.exceptionError.error === 'revert';
      return {
        returnValue: exec.returnValue,
        gasUsed: exec.executionGasUsed,
        error: reverted ? { message: 'execution reverted', revertData: exec.returnValue } : { message: exec.exceptionError.error },
      };
    });
  }

  /**
   * eth_estimateGas: the lowest gas limit at which the transaction succeeds (binary search like geth, since
   * refunds and the 63/64 rule make "gas used" an underestimate). Throws ExecutionFailedError if it fails even
   * at the cap.
   */
  estimateGas(request: CallRequest, base: CallTarget): Promise<bigint> {
    return this.withCallState(base, async (block) => {
      const cap = this.callGas(request.gas ?? this.gas.blockGasLimit);
      // A plain value transfer to an account without code costs exactly the intrinsic 21,000 (geth's shortcut).
      const to = request.to ?? undefined;
      if (to !== undefined && (request.data?.length ?? 0) === 0 && cap >= TRANSFER_GAS && (await this.state.getCode(createAddressFromString(to))).length === 0) {
        const balance = (await this.state.getAccount(this.callerOf(request)))?.balance ?? 0n;
        if (balance < (request.value ?? 0n)) throw new ExecutionFailedError('insufficient funds for transfer', undefined);
        return TRANSFER_GAS;
      }
      const attempt = async (gasLimit: bigint) => {
        const tx = createFeeMarket1559Tx(
          {
            gasLimit, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, value: request.value ?? 0n,
            data: request.data ?? new Uint8Array(),
            ...(request.to !== undefined && request.to !== null ? { to: createAddressFromString(request.to) } : {}),
            nonce: await this.state.getAccount(this.callerOf(request)).then((a) => a?.nonce ?? 0n),
          },
          { common: this.common, freeze: false },
        );
        const from = this.callerOf(request);
        // An unsigned transaction "from" any address: what eth_estimateGas means.
        tx.getSenderAddress = () => from;
        await this.vm.evm.journal.checkpoint();
        try {
          return await runTx(this.vm, { tx, block, skipBalance: true, skipBlockGasLimitValidation: true, skipHardForkValidation: true });
        } finally {
          await this.vm.evm.journal.revert();
        }
      };
      const failure = (r: Awaited<ReturnType<typeof attempt>>) => r.execResult.exceptionError;
      let top: Awaited<ReturnType<typeof attempt>>;
      try {
        top = await attempt(cap);
      } catch (err) {
        throw new ExecutionFailedError((err as Error).message.split('\n')[0] ?? 'transaction invalid', undefined);
      }
      const topError = failure(top);
      if (topError !== undefined) {
        if (topError.error === 'revert') throw new ExecutionFailedError('execution reverted', top.execResult.returnValue);
        throw new ExecutionFailedError(topError.error === 'out of gas' ? `gas required exceeds allowance (${cap})` : topError.error, undefined);
      }
      let lo = top.totalGasSpent - 1n;
      let hi = cap;
      // Optimistic first probe: most calls succeed with what they used plus the refund and a 64th headroom.
      const optimistic = ((top.totalGasSpent + (top.execResult.gasRefund ?? 0n) + 2_300n) * 64n) / 63n;
      if (optimistic < hi) {
        const r = await attempt(optimistic).catch(() => undefined);
        if (r !== undefined && failure(r) === undefined) hi = optimistic;
        else lo = optimistic;
      }
      while (hi - lo > 1n && (hi - lo) * 1000n > hi * 15n) {
        const mid = (lo + hi) / 2n;
        const r = await attempt(mid).catch(() => undefined);
        if (r !== undefined && failure(r) === undefined) hi = mid;
        else lo = mid;
      }
      return hi;
    });
  }

  private callerOf(request: CallRequest): Address {
    return createAddressFromString(request.from ?? '0x0000000000000000000000000000000000000000');
  }

  /** Runs `fn` on the call VM set to a block's state, one at a time (the call VM has a single state root). */
  private withCallState<T>(base: CallTarget, fn: (block: Block) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      // Switching roots clears the call state's caches, so only switch when the block's state differs.
      const root = base.stateRoot;
      if (this.callRoot === undefined || !equalsBytes(this.callRoot, root)) {
        await this.state.setStateRoot(root, true);
        this.callRoot = root;
      }
      const block = this.callBlockFor(base);
      await this.vm.evm.journal.checkpoint();
      try {
        return await fn(block);
      } finally {
        await this.vm.evm.journal.revert();
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private callRoot: Uint8Array | undefined;
  private callBlock: { hash: string; block: Block } | undefined;

  /** The block context calls run in: the block's header with a zero base fee (geth does the same without a gas price). */
  private callBlockFor(base: CallTarget): Block {
    const hash = base.hash;
    if (this.callBlock?.hash !== hash) {
      this.callBlock = { hash, block: createBlock({ header: { ...base.header, baseFeePerGas: 0n }, withdrawals: [] }, { common: this.common }) };
    }
    return this.callBlock.block;
  }

}
