// The rules against the real staking contract: stake moves on a VM over the devnet-style genesis (stakers' calls and
// the sequencer's system calls), the contract's logs are decoded and replayed into the book and the ledger, and both
// must agree with what the contract holds. A slash planned by these rules is applied through the contract's system
// call and comes back as exactly the planned debits.
import { createBlock } from '@ethereumjs/block';
import { MerkleStateManager } from '@ethereumjs/statemanager';
import { createAddressFromString } from '@ethereumjs/util';
import { createVM, type VM } from '@ethereumjs/vm';
// buildGenesis is not in @tapbridge/evm's public index; the test writes the same genesis state the engine does.
import { buildGenesis } from '../../evm/src/genesis.js';
import { createChainCommon, devChainConfig, fromHex, STAKE_SYSTEM_ADDRESS, STAKE_TOKEN_ABI, STAKE_TOKEN_ADDRESS, STAKING_ABI, STAKING_ADDRESS, toHex } from '@tapbridge/evm';
import { Interface, type InterfaceAbi } from 'ethers';
import { describe, expect, it } from 'vitest';
import {
  accounts, applySlash, applyStakingEvent, delegationKey, deriveBalances, EMPTY_BOOK, MemoryLedger, planSlash, releasableUnbondings, slashCallArgs, stakingEventTransaction,
  type StakeBook, type StakingEvent,
} from '../src/index.js';

const token = new Interface(STAKE_TOKEN_ABI as unknown as InterfaceAbi);
const staking = new Interface(STAKING_ABI as unknown as InterfaceAbi);
const TOKEN = 10n ** 18n;
const DELAY = 100n;
const T0 = 1_767_300_000n;
const users = Array.from({ length: 5 }, (_, i) => `0x${(0xa0 + i).toString(16).padStart(40, '0')}`);
const [s1, s2, d1, d2, d3] = users as [string, string, string, string, string];
const hostKey = (i: number) => `0x02${i.toString(16).padStart(64, '0')}`;

function decode(log: { topics: string[]; data: string }): StakingEvent | null {
  const p = staking.parseLog(log);
  if (p === null) return null;
  const a = p.args;
  const lower = (x: string) => x.toLowerCase();
  switch (p.name) {
    case 'Bonded':
      return { type: 'Bonded', signer: lower(a[0]), amount: a[1], hostPubkey: a[2] };
    case 'Delegated':
      return { type: 'Delegated', delegator: lower(a[0]), signer: lower(a[1]), amount: a[2] };
    case 'UnbondingStarted':
      return { type: 'UnbondingStarted', id: a[0], owner: lower(a[1]), signer: lower(a[2]), amount: a[3], maturesAt: a[4] };
    case 'UnbondingReleased':
      return { type: 'UnbondingReleased', releasedBelow: a[0] };
    case 'Withdrawn':
      return { type: 'Withdrawn', id: a[0], owner: lower(a[1]), amount: a[2] };
    case 'StakeSlashed':
      return { type: 'StakeSlashed', evidenceIdHash: a[0], signer: lower(a[1]), owner: lower(a[2]), kind: Number(a[3]) as 0 | 1 | 2, unbondingId: a[4], amount: a[5] };
    case 'Slashed':
      return { type: 'Slashed', evidenceIdHash: a[0], signer: lower(a[1]), total: a[2] };
    default:
      return null;
  }
}

/** A VM over the genesis; every call commits, its staking logs are replayed into the book and the ledger. */
class Chain {
  book: StakeBook = EMPTY_BOOK;
  readonly ledger = new MemoryLedger();
  private logs = 0;
  private constructor(private readonly vm: VM) {}

  static async open(): Promise<Chain> {
    const config = devChainConfig({ stake: { holders: new Map(users.map((u) => [u, 1_000n * TOKEN])), unbondingDelaySeconds: DELAY } });
    const common = createChainCommon(config);
    const state = new MerkleStateManager({ common });
    await buildGenesis(config, common, state);
    return new Chain(await createVM({ common, stateManager: state }));
  }

  async call(from: string, iface: Interface, to: string, fn: string, args: unknown[], at = T0) {
    const block = createBlock({ header: { number: 1n, timestamp: at, gasLimit: 30_000_000n } }, { common: this.vm.common });
    const r = await this.vm.evm.runCall({ caller: createAddressFromString(from), to: createAddressFromString(to), data: fromHex(iface.encodeFunctionData(fn, args)), gasLimit: 20_000_000n, block });
    if (r.execResult.exceptionError) throw new Error(`${fn} reverted: ${toHex(r.execResult.returnValue)}`);
    for (const [address, topics, data] of r.execResult.logs ?? []) {
      const index = this.logs++;
      if (toHex(address) !== STAKING_ADDRESS.toLowerCase()) continue;
      const e = decode({ topics: topics.map(toHex), data: toHex(data) });
      if (e === null) continue;
      this.book = applyStakingEvent(this.book, e);
      const tx = stakingEventTransaction({ blockHash: `0x${'00'.repeat(31)}01`, logIndex: index }, e);
      if (tx) this.ledger.post(tx);
    }
    return iface.decodeFunctionResult(fn, toHex(r.execResult.returnValue));
  }

  /** The book and the ledger agree with every position the contract holds, and with its token balance. */
  async expectAgreement(): Promise<void> {
    const bal = (a: string) => deriveBalances(this.ledger.entries).get(`STAKE ${a}`) ?? 0n;
    for (const s of [s1, s2]) {
      const [hostPubkey, selfBond, delegated] = await this.call(s, staking, STAKING_ADDRESS, 'signerInfo', [s]);
      const rec = this.book.signers.get(s);
      expect(rec?.selfBond ?? 0n).toBe(selfBond);
      expect(bal(accounts.bond(s))).toBe(selfBond);
      if (rec) expect(`0x${rec.hostPubkey}`).toBe(hostPubkey);
      let sum = 0n;
      for (const d of [d1, d2, d3]) {
        const [amount] = await this.call(d, staking, STAKING_ADDRESS, 'delegation', [s, d]);
        expect(this.book.delegations.get(delegationKey(s, d))?.amount ?? 0n).toBe(amount);
        expect(bal(accounts.delegation(s, d))).toBe(amount);
        sum += amount;
      }
      expect(delegated).toBe(sum);
    }
    for (const u of this.book.unbonding) {
      const [, , amount, , withdrawn] = await this.call(s1, staking, STAKING_ADDRESS, 'unbondings', [u.id]);
      expect([amount, withdrawn]).toEqual([u.amount, false]);
      expect(bal(accounts.unbonding(u.id))).toBe(u.amount);
    }
    const [held] = await this.call(s1, token, STAKE_TOKEN_ADDRESS, 'balanceOf', [STAKING_ADDRESS]);
    expect(-bal(accounts.wallets)).toBe(held);
    const [slashed] = await this.call(s1, staking, STAKING_ADDRESS, 'totalSlashed', []);
    expect(bal(accounts.slashed)).toBe(slashed);
  }
}

describe('the rules replay the staking contract', () => {
  it('rebuilds the book and the ledger from the contract’s logs, applies a planned slash through the system call, and releases unbonding as capacity allows', async () => {
    const chain = await Chain.open();
    for (const u of users) await chain.call(u, token, STAKE_TOKEN_ADDRESS, 'approve', [STAKING_ADDRESS, 2n ** 256n - 1n]);
    await chain.call(s1, staking, STAKING_ADDRESS, 'bond', [600n * TOKEN, hostKey(1)]);
    await chain.call(s2, staking, STAKING_ADDRESS, 'bond', [400n * TOKEN, hostKey(2)]);
    await chain.call(d1, staking, STAKING_ADDRESS, 'delegate', [s1, 100n * TOKEN]);
    await chain.call(d2, staking, STAKING_ADDRESS, 'delegate', [s1, 333n * TOKEN]);
    await chain.call(d3, staking, STAKING_ADDRESS, 'delegate', [s2, 50n * TOKEN]);
    await chain.call(s1, staking, STAKING_ADDRESS, 'unbond', [100n * TOKEN]);
    await chain.call(d2, staking, STAKING_ADDRESS, 'undelegate', [s1, 33n * TOKEN]);
    await chain.call(d3, staking, STAKING_ADDRESS, 'undelegate', [s2, 50n * TOKEN]);
    await chain.expectAgreement();

    const before = chain.book;
    const decision = planSlash({ rateBps: { invalid_partial_signature: 1_234, equivocation: 5_000, liveness: 100 }, jailEpochs: 1 }, before, { evidenceId: `invalid_partial_signature:${hostKey(1).slice(2)}:sweep-9#1:2`, offence: 'invalid_partial_signature', signer: s1, epoch: 3 }, new Set(), T0);
    if (decision.status !== 'slash') throw new Error('expected a slash');
    const a = slashCallArgs(decision);
    const [total] = await chain.call(STAKE_SYSTEM_ADDRESS, staking, STAKING_ADDRESS, 'slash', [a.evidenceIdHash, a.signer, a.selfAmount, a.delegators, a.delegatorAmounts, a.unbondingIds, a.unbondingAmounts]);
    expect(total).toBe(decision.total);
    const planned = applySlash(before, decision);
    expect([...chain.book.delegations]).toEqual([...planned.delegations]);
    expect(chain.book.unbonding).toEqual(planned.unbonding);
    expect(chain.book.signers.get(s1)?.selfBond).toBe(planned.signers.get(s1)?.selfBond);
    await chain.expectAgreement();

    // Capacity decides releases: about 1,355.5 tokens back custody after the slash; at 1,000 sats per token and R = 1.5,
    // 800,000 sats owed let entries 0 (87.66) and 1 (28.93) leave (825,960 sats covered after), not entry 2 (50).
    const release = releasableUnbondings({ collateralRatioBps: 15_000 }, chain.book, 1_000n, { custodySats: 800_000n, pendingSats: 0n });
    expect(release.map((u) => u.id)).toEqual([0n, 1n]);
    await chain.call(STAKE_SYSTEM_ADDRESS, staking, STAKING_ADDRESS, 'releaseUnbonding', [release.at(-1)!.id + 1n]);
    const [paid] = await chain.call(s1, staking, STAKING_ADDRESS, 'withdrawUnbonded', [], T0 + DELAY);
    expect(paid).toBe(planned.unbonding[0]!.amount);
    await chain.call(d2, staking, STAKING_ADDRESS, 'withdrawUnbonded', [], T0 + DELAY);
    expect(chain.book.unbonding.map((u) => u.id)).toEqual([2n]);
    await chain.expectAgreement();
  });
});
