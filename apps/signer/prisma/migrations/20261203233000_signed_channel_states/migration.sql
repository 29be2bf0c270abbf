-- Per channel, the highest state whose user commitment this signer approved (the channel policy, issue 12), written
-- before it returns a nonce for one, so a restarted signer cannot be led to sign an older state. Only ever raised.
CREATE TABLE "signed_channel_state" (
  -- The funding outpoint txid:vout.
  "channel_id" TEXT PRIMARY KEY,
  "highest_user_commitment" BIGINT NOT NULL CHECK ("highest_user_commitment" >= 0),
  "updated_at" TIMESTAMPTZ(6) NOT NULL
);
