-- Issue 11 (rotation): custody per epoch. One row per stake.epoch.started the coordinator acted on: the epoch's set
-- (rank order = signer index) and threshold, its group key once its DKG completed (or the key it carried from an
-- earlier epoch with the same set), and the migration sweep that moved custody to it with the height it became final.
CREATE TABLE "custody_epoch" (
  "epoch" INTEGER PRIMARY KEY,
  "t" INTEGER NOT NULL,
  "members" JSONB NOT NULL,
  "status" TEXT NOT NULL,
  "group_key" TEXT,
  "carried_from" INTEGER,
  "migration_txid" TEXT,
  "migration_final_height" INTEGER,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);
