// A real custody group for tests: ChillDKG among 5 signers (threshold 3) and ROAST signing of a sighash for the
// UNTWEAKED group key, which is what the channel's leaves name. Two signers never answer, so ROAST has to pick
// a working subset.
import { GroupKey, RoastCoordinator, normalizeToEvenY, nonceGen, runChillDkg, sign, type DKGOutput, type SecNonce } from '@tapbridge/frost';

export interface TestCustodyGroup {
  groupKey: Uint8Array;
  /** Signs a 32-byte message through ROAST with the signers in `online`; returns a BIP340 signature for groupKey. */
  sign(message: Uint8Array, online?: readonly number[]): Uint8Array;
}

export function custodyGroup(n = 5, t = 3): TestCustodyGroup {
  const outputs: DKGOutput[] = runChillDkg(n, t).outputs.map(normalizeToEvenY);
  const first = outputs[0]!;
  const groupKey = GroupKey.fromShares({ n, t, threshPk: first.threshPk, pubshares: first.pubshares });
  return {
    groupKey: groupKey.xonly,
    sign(message, online = [0, 2, 4]) {
      const roast = new RoastCoordinator({ groupKey, msg: message, tweaks: [], isXonly: [] });
      const secnonces = new Map<number, SecNonce>();
      const fresh = (id: number): Uint8Array => {
        const { secnonce, pubnonce } = nonceGen({ secshare: outputs[id]!.secshare ?? undefined, pubshare: first.pubshares[id], threshPk: groupKey.xonly, msg: message });
        secnonces.set(id, secnonce);
        return pubnonce;
      };
      const queue = online.flatMap((id) => roast.onReady(id, fresh(id)));
      while (queue.length > 0) {
        const event = queue.shift()!;
        if (event.type === 'session-started') {
          for (const id of event.signers) queue.push(...roast.onPartialSig(id, event.sessionId, sign(secnonces.get(id)!, outputs[id]!.secshare!, id, event.session), fresh(id)));
        } else if (event.type === 'signature-done') {
          return event.signature;
        }
      }
      throw new Error('ROAST did not produce a signature');
    },
  };
}
