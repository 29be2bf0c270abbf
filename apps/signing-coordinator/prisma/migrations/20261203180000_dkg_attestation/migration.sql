-- Each signer's signed dkg.done for the current group key: its own attestation of its public share and the group key.
-- Evidence of a bad partial signature needs it (packages/stake evidence.ts); kept from the DKG, or asked again
-- (dkg.recover) for a group key made before this table existed.
CREATE TABLE "dkg_attestation" (
  "signer" INTEGER PRIMARY KEY,
  "ceremony_id" TEXT NOT NULL,
  "message" JSONB NOT NULL,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);
