// The custody group's half of a channel spend, through the signing-coordinator (ROAST over the FROST signers, each
// running the `channel` policy against the L2 ledger): POST-equivalent rpc.signing.signatures.create, then poll
// rpc.signing.signatures.get until signed or failed. A refusal comes back with every signer's reason.
import { schnorr } from '@noble/curves/secp256k1.js';
import { ChannelError, type GroupSignRequest } from '@tapbridge/channels';
import { request, type Messaging } from '@tapbridge/messaging';
import { channelSigningRequestWire, signatureStatusSchema } from '@tapbridge/signing';
import { bytesToHex, hexToBytes } from '@tapbridge/bitcoin';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';


export class CoordinatorGroupSigner {
  constructor(private readonly o: { messaging: Messaging; rpcTimeoutMs: number; signingTimeoutMs: number; pollMs?: number }) {}

  async sign(r: GroupSignRequest): Promise<Uint8Array> {
    const wire = channelSigningRequestWire({
      requestId: `channel-${randomUUID()}`,
      params: r.params,
      kind: r.kind,
      sheet: r.sheet,
      tx: r.tx,
      ...(r.holderPerCommitmentPoint ? { holderPerCommitmentPoint: r.holderPerCommitmentPoint } : {}),
      ...(r.close ? { close: r.close } : {}),
      ...(r.sweep ? { sweep: r.sweep } : {}),
    });
    if (wire.payload.kind !== 'taproot-sighash') throw new ChannelError('a channel request is a sighash request');
    const { kind: _k, ...sighash } = wire.payload;
    const { id } = await request(this.o.messaging, 'signing.signatures.create', { sighash, purpose: wire.purpose, tweak: wire.tweak, context: wire.context }, { response: z.object({ id: z.string() }).passthrough(), timeoutMs: this.o.rpcTimeoutMs });
    const deadline = Date.now() + this.o.signingTimeoutMs;
    for (;;) {
      const s = await request(this.o.messaging, 'signing.signatures.get', { id }, { response: signatureStatusSchema, timeoutMs: this.o.rpcTimeoutMs });
      if (s.status === 'signed' && s.signature) {
        const sig = hexToBytes(s.signature);
        // The coordinator's answer is data: it must verify for the sighash we computed, under the group key.
        if (!schnorr.verify(sig, r.sighash, r.params.groupKey)) throw new ChannelError(`signature ${id} does not verify for ${bytesToHex(r.sighash)} under the group key`);
        return sig;
      }
      if (s.status === 'failed') {
        const reasons = s.refusals.map((x) => `signer ${x.signer}: ${x.reason}`).join('; ');
        throw new ChannelError(`the custody group refused to sign the ${r.kind} of state ${r.sheet.stateNumber}: ${s.error ?? 'failed'}${reasons ? ` (${reasons})` : ''}`);
      }
      if (Date.now() > deadline) throw new ChannelError(`signature ${id} still pending after ${this.o.signingTimeoutMs} ms`);
      await new Promise((res) => setTimeout(res, this.o.pollMs ?? 200));
    }
  }
}
