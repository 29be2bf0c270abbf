// The signer's REST shapes, declared once: the zod schema serialises the response (@ZodResponse) and is its OpenAPI
// schema. Response schemas stay loose (plain strings): they describe what the signer says, they do not re-check it.
import { createZodDto } from '@tapbridge/runtime/nest';
import { z } from 'zod';

const sweepStatus = z.object({
  headerTip: z
    .object({ height: z.number().int(), hash: z.string() })
    .nullable()
    .describe("Best tip of this signer's own validated header chain (its embedded light client)"),
  custodyAddress: z.string().nullable().describe('The custody address this signer derives; a sweep whose output 0 pays anything else is refused'),
});
export type SweepStatus = z.infer<typeof sweepStatus>;

export const signerStatus = z.object({
  index: z.number().int().describe('1-based signer index'),
  n: z.number().int(),
  t: z.number().int(),
  hostPubkey: z.string().describe('Compressed host public key (hex): authenticates every message this signer sends'),
  groupKey: z.string().nullable().describe('Compressed even-y group key once the DKG completed'),
  pubshare: z.string().nullable().describe("This signer's public share (never the secret one)"),
  ready: z.boolean().describe('Holds a key share'),
  purposes: z.array(z.string()).describe('Purposes this signer has a policy for; anything else is refused'),
  coordinatorPubkey: z.string().nullable().describe('The coordinator key this signer accepts'),
  secretNonces: z.number().int().describe('Secret nonces currently held in memory (count only)'),
  sweep: sweepStatus.nullable().describe("The sweep policy's own view; null when the policy is off (regtest without BTC_SOURCES / EVM_RPC_URL)"),
});
export class SignerStatusDto extends createZodDto(signerStatus) {}
