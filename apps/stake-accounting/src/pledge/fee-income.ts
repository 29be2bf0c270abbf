/**
 * An epoch's fee income, measured on the L2: what its fee recipient (the coinbase, where the L2's gas fees collect and
 * from which the sequencer funds reward credits) collected between the L2 block the epoch started at and the one the
 * next epoch started at (epoch.l2_block, the finalized block indexed at that moment).
 *
 *   collected(b) = balance(coinbase, b) + Σ reward credits executed by b (a paid epoch's credit moves its paid_wei out
 *                  of the coinbase; the staking contract's epochRewarded(k) at b says whether it had run)
 *   income(e)    = collected(b_{e+1}) − collected(b_e)
 *
 * So a credit leaving the coinbase is not mistaken for lost income, and only BTC that really reached the coinbase is
 * ever split: the sum paid can never exceed what the L2 collected. The bridge fee is 0 bps (it is not charged on mints
 * or withdrawals yet), so gas fees are the whole income today. An epoch without its L2 blocks recorded (started before
 * they were) has no measurable income: 0, said in the log.
 */
import { STAKING_ABI, STAKING_ADDRESS } from '@tapbridge/evm';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { Interface, type InterfaceAbi } from 'ethers';
import type { L2Client } from '../indexing/l2-client.js';
import type { PrismaService } from '../prisma.service.js';
import type { FeeIncome } from './rewards.service.js';

const staking = new Interface(STAKING_ABI as unknown as InterfaceAbi);

export class CoinbaseFeeIncome implements FeeIncome {
  constructor(private readonly o: { prisma: PrismaService; l2: L2Client; logger: ServiceRuntime['logger'] }) {}

  /** What the coinbase had collected by block `b` (wei). */
  async collectedAt(b: bigint): Promise<bigint> {
    const coinbase = await this.o.l2.coinbaseOf(b);
    let collected = await this.o.l2.balanceAt(coinbase, b);
    const runs = await this.o.prisma.rewardRun.findMany({ where: { paidWei: { gt: 0 } }, select: { epoch: true, paidWei: true }, orderBy: { epoch: 'asc' } });
    for (const r of runs) {
      const ret = await this.o.l2.callAt(STAKING_ADDRESS, staking.encodeFunctionData('epochRewarded', [BigInt(r.epoch)]), b);
      if (BigInt(ret) !== 0n) collected += BigInt(r.paidWei.toFixed());
    }
    return collected;
  }

  async forEpoch(epoch: number): Promise<bigint> {
    const [start, end] = await Promise.all([
      this.o.prisma.epoch.findUnique({ where: { epoch }, select: { l2Block: true } }),
      this.o.prisma.epoch.findFirst({ where: { epoch: { gt: epoch } }, orderBy: { epoch: 'asc' }, select: { l2Block: true } }),
    ]);
    if (start?.l2Block == null || end?.l2Block == null) {
      this.o.logger.warn({ epoch }, 'epoch has no L2 block range recorded: no fee income can be measured for it');
      return 0n;
    }
    if (end.l2Block <= start.l2Block) return 0n;
    const income = (await this.collectedAt(end.l2Block)) - (await this.collectedAt(start.l2Block));
    if (income < 0n) {
      // Only a credit we do not know of could do this (the coinbase spending on its own): never split a negative.
      this.o.logger.error({ alert: 'stake_fee_income_negative', epoch, income: income.toString() }, 'ALERT: the L2 fee recipient lost funds during an epoch');
      return 0n;
    }
    return income;
  }
}
