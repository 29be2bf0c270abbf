// The channel policy's memory in the signer's own Postgres schema (signed_channel_state): per channel, the highest
// state whose user commitment this signer approved, written before it returns a nonce for one. A restart keeps it, so
// a coordinator cannot have a restarted signer sign an older state of a channel again.
import type { ChannelSignedStore } from '@tapbridge/signing';
import type { PrismaClient } from './generated/prisma/client.js';

export class PostgresChannelSignedStore implements ChannelSignedStore {
  constructor(private readonly prisma: PrismaClient) {}

  async highestUserCommitment(channelId: string): Promise<number> {
    const row = await this.prisma.signedChannelState.findUnique({ where: { channelId } });
    return row ? Number(row.highestUserCommitment) : 0;
  }

  async recordUserCommitment(channelId: string, stateNumber: number): Promise<void> {
    // Raw SQL for an atomic maximum: two approvals racing (or a replayed older one) can only raise it, never lower it.
    await this.prisma.$executeRaw`
      INSERT INTO signer.signed_channel_state (channel_id, highest_user_commitment, updated_at)
      VALUES (${channelId}, ${BigInt(stateNumber)}, now())
      ON CONFLICT (channel_id) DO UPDATE
        SET highest_user_commitment = GREATEST(signed_channel_state.highest_user_commitment, EXCLUDED.highest_user_commitment),
            updated_at = now()`;
  }
}
