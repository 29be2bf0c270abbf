-- The deposit transaction (hex) of an output sighting, announced in deposit.confirmed so the gateway can check what
-- the proven txid pays. Nullable: sightings recorded before this column have none.
ALTER TABLE "sighting" ADD COLUMN "raw_tx" TEXT;
