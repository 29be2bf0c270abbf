-- When the pipeline last asked for, got or lost a signature of a sweep version: the planner counts the versions
-- signed in the signers' outflow window (24 h) from here, so it plans only payouts the signers' limit allows.
ALTER TABLE "sweep_version" ADD COLUMN "signing_at" TIMESTAMPTZ;
CREATE INDEX "sweep_version_signing_at_idx" ON "sweep_version" ("signing_at") WHERE "signing_at" IS NOT NULL;
