-- The finalized L2 block indexed when an epoch started: an epoch's fee income is what the L2's fee recipient collected
-- between its block and the next epoch's (pledge/fee-income.ts).
ALTER TABLE "epoch" ADD COLUMN "l2_block" BIGINT;
