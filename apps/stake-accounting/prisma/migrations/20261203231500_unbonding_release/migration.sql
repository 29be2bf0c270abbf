-- Unbonding releases decided by stake-accounting (pledge/unbonding-release.service.ts), each sent to the L2 once as
-- releaseUnbonding(below).
CREATE TABLE "unbonding_release" (
  "below" NUMERIC(78, 0) PRIMARY KEY,
  "ids" JSONB NOT NULL,
  "total" NUMERIC(78, 0) NOT NULL,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);
