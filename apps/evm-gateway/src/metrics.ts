// The gateway's Prometheus metrics, fed by the engine's block events and the mint and burn loops.
import type { CommittedBlock, EvmEngine } from '@tapbridge/evm';
import { counter, gauge, histogram } from '@tapbridge/observability';

export const blockHeight = gauge('tapbridge_evm_block_height', 'Number of the latest committed L2 block');
export const blockTxs = histogram('tapbridge_evm_block_txs', 'Transactions per committed L2 block', [], [0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500]);
export const blockExecutionSeconds = histogram(
  'tapbridge_evm_block_execution_seconds',
  'Time to build, execute and commit one L2 block',
  [],
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
);
export const mempoolSize = gauge('tapbridge_evm_mempool_size', 'Transactions waiting in the mempool');
export const mintsTotal = counter('tapbridge_evm_mints_total', 'Deposits credited on L2 (EIP-4895 withdrawal-list entries)');
export const mintReorgsTotal = counter('tapbridge_evm_mint_reorgs_total', 'Minted deposits whose Bitcoin block was reorged away (unbacked L2 BTC)');
export const mintReconfirmationsTotal = counter('tapbridge_evm_mint_reconfirmations_total', 'Reorged minted deposits confirmed again on the best chain (backed again)');
export const unbackedMints = gauge(
  'tapbridge_evm_unbacked_mints',
  'Minted deposits whose Bitcoin block left the best chain and that have not confirmed again: L2 BTC not backed now',
);
export const mintProofRejectionsTotal = counter(
  'tapbridge_evm_mint_proof_rejections_total',
  'deposit.confirmed / deposit.reorged events refused by the gateway’s own check against the header chain (forged or wrong); nothing minted',
);
export const mintRefusalsTotal = counter('tapbridge_evm_mint_refusals_total', 'deposit.confirmed events refused (conflicting amount or recipient for a known deposit id, amount out of range)');
export const wsSlowConsumersDropped = counter('tapbridge_evm_ws_slow_consumers_dropped_total', 'WebSocket consumers disconnected because their send buffer overflowed');
export const burnsTotal = counter('tapbridge_evm_burns_total', 'Final burns handed to the outbox as withdrawal.requested');

/**
 * Keeps the block metrics. The engine's 'block' event says what was committed but not how long it took, so the
 * block production call is timed here by wrapping the engine's `produceBlock` (its own loop calls it through the
 * instance). Returns a function that undoes the wrapping.
 */
export function observeEngine(engine: EvmEngine): () => void {
  blockHeight.set(Number(engine.headNumber));
  const produce = engine.produceBlock.bind(engine);
  engine.produceBlock = async () => {
    const end = blockExecutionSeconds.startTimer();
    const committed = await produce();
    end();
    return committed;
  };
  const onBlock = ({ block, mints }: CommittedBlock) => {
    blockHeight.set(Number(block.header.number));
    blockTxs.observe(block.transactions.length);
    mempoolSize.set(engine.mempoolSize);
    if (mints.length > 0) mintsTotal.inc(mints.length);
  };
  engine.on('block', onBlock);
  // Transactions also arrive between blocks; sample the pool so the gauge is never a block behind for long.
  const sampler = setInterval(() => mempoolSize.set(engine.mempoolSize), 1_000);
  sampler.unref();
  return () => {
    clearInterval(sampler);
    engine.off('block', onBlock);
    engine.produceBlock = produce;
  };
}
