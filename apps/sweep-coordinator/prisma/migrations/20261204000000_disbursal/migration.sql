-- The emergency disbursal of each sweep version's custody output (issue 11): built from the coordinator's L2 view,
-- signed (one request per transaction) before any input of that sweep is asked for; the newest signed one is
-- published at GET /escape/latest. `data` holds the terms, the unsigned transactions, the payouts, the request ids
-- and the signatures (the pipeline's JSON convention).
CREATE TABLE "disbursal" (
  "sweep_txid" CHAR(64) PRIMARY KEY,
  "data" JSONB NOT NULL,
  "signed_at" TIMESTAMPTZ,
  "created_at" TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX "disbursal_signed_at_idx" ON "disbursal" ("signed_at");
