-- A certified DKG that not every signer has confirmed yet: written before the certificate goes out, so a
-- coordinator restart finishes this same DKG (ChillDKG recovery) instead of starting another. Deleted in the
-- transaction that writes group_key.
CREATE TABLE "dkg_certified" (
  "id" SMALLINT PRIMARY KEY CHECK ("id" = 1),
  "ceremony_id" TEXT NOT NULL,
  "t" INTEGER NOT NULL,
  "host_pubkeys" JSONB NOT NULL,
  "recovery_data" TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);

-- identity.host_seckey now holds an encrypted key file (packages/signing key-file.ts, COORDINATOR_KEY_PASSPHRASE);
-- a plain hex row from before is re-encrypted by the coordinator on its next start.
COMMENT ON COLUMN "identity"."host_seckey" IS 'encrypted key file (JSON); plain hex only before the first start of this version';
