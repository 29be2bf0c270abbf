// Two parties running the update protocol in process (no transport): open, updates proposed by the user, and each
// side's fully signed latest commitment. Shared by the watchtower and service tests.
import type { Transaction } from '@tapbridge/bitcoin';
import { buildCommitment, completeFundingSpend, openParty, openingPoints, openingSignature, ownPoint, propose, receiveAcceptance, receiveProposal, receiveRevocation, type ChannelParams, type PartyKeys, type PartyState } from '../src/index.js';
import { sheet } from './helpers.js';

export interface TwoParties {
  params: ChannelParams;
  user: PartyState;
  custody: PartyState;
  userKeys: PartyKeys;
  custodyKeys: PartyKeys;
}

export function open(params: ChannelParams, userKeys: PartyKeys, custodyKeys: PartyKeys): TwoParties {
  const s0 = sheet(0, params.capacity, 0n);
  const up = openingPoints(userKeys);
  const cp = openingPoints(custodyKeys);
  return {
    params,
    userKeys,
    custodyKeys,
    user: openParty(params, 'user', userKeys, s0, cp, openingSignature(params, 'custody', custodyKeys, s0, up[0])),
    custody: openParty(params, 'custody', custodyKeys, s0, up, openingSignature(params, 'user', userKeys, s0, cp[0])),
  };
}

/** One full update proposed by the user, to `user` sat on the user's side. */
export function update(o: TwoParties, user: bigint): void {
  const next = sheet(o.user.latest.sheet.stateNumber + 1, user, o.params.capacity - user);
  const a = propose(o.params, o.user, o.userKeys, next);
  o.user = a.state;
  const b = receiveProposal(o.params, o.custody, o.custodyKeys, a.message);
  o.custody = b.state;
  const c = receiveAcceptance(o.params, o.user, o.userKeys, b.message);
  o.user = c.state;
  o.custody = receiveRevocation(o.custody, c.message);
}

/** The holder's latest commitment, signed by both: what the holder can publish now. */
export function signedCommitment(o: TwoParties, holder: 'user' | 'custody'): { tx: Transaction; commitment: ReturnType<typeof buildCommitment> } {
  const party = holder === 'user' ? o.user : o.custody;
  const keys = holder === 'user' ? o.userKeys : o.custodyKeys;
  const s = party.latest.sheet;
  const commitment = buildCommitment(o.params, holder, s, ownPoint(keys, s.stateNumber));
  const own = keys.sign(commitment.sighash);
  const tx = completeFundingSpend(o.params, commitment.tx, holder === 'user' ? { user: own, custody: party.latest.counterpartySignature } : { user: party.latest.counterpartySignature, custody: own });
  return { tx, commitment };
}
