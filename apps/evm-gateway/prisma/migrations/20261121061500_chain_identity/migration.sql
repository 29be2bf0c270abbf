-- The chain this database holds (one row, written on first start). The chain id is not part of any block header,
-- so without it a restart with another EVM_CHAIN_ID or genesis file would silently serve the old blocks under a new
-- id; the gateway refuses to start instead.
CREATE TABLE "chain_identity" (
  "id" SMALLINT PRIMARY KEY CHECK ("id" = 1),
  "chain_id" BIGINT NOT NULL CHECK ("chain_id" > 0),
  "genesis_hash" BYTEA NOT NULL CHECK (length("genesis_hash") = 32),
  "created_at" TIMESTAMPTZ NOT NULL DEFAULT now()
);
