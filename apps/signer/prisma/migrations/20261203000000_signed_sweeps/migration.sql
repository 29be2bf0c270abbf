-- The sweeps this signer approved (issue 9), written before it returns a nonce for one: the sweep policy's record of
-- what it may have helped sign. Read for the conflict rules (a withdrawal in two sweeps that could both confirm; an
-- RBF version paying more than an earlier one) and the 24 h outflow limit. Never deleted.
CREATE TABLE "signed_sweep" (
  "txid" TEXT PRIMARY KEY,
  -- Input 0's outpoint (txid:vout): the custody input, shared by every RBF version of a sweep (its conflict family).
  "spends" TEXT NOT NULL,
  -- Every input outpoint, input order.
  "inputs" TEXT[] NOT NULL,
  -- Withdrawal ids paid (decimal uint256), payout order.
  "withdrawal_ids" TEXT[] NOT NULL,
  "payout_sats" BIGINT NOT NULL CHECK ("payout_sats" >= 0),
  "custody_value" BIGINT NOT NULL CHECK ("custody_value" >= 0),
  "signed_at" TIMESTAMPTZ(6) NOT NULL
);
CREATE INDEX "signed_sweep_spends_idx" ON "signed_sweep" ("spends");
CREATE INDEX "signed_sweep_inputs_idx" ON "signed_sweep" USING GIN ("inputs");
CREATE INDEX "signed_sweep_withdrawals_idx" ON "signed_sweep" USING GIN ("withdrawal_ids");
CREATE INDEX "signed_sweep_signed_at_idx" ON "signed_sweep" ("signed_at");
