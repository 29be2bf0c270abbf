-- Heartbeat probes per signer host key and minute (signer-network.ts): the measured uptime rpc.signing.uptime.get
-- serves (stake-accounting weighs each epoch's rewards by it).
CREATE TABLE "signer_heartbeat" (
  "host_pubkey" TEXT NOT NULL,
  "minute" TIMESTAMPTZ(6) NOT NULL,
  "probes" INTEGER NOT NULL CHECK ("probes" > 0),
  "answered" INTEGER NOT NULL CHECK ("answered" >= 0 AND "answered" <= "probes"),
  PRIMARY KEY ("host_pubkey", "minute")
);
