# The services of the devnet stack, in start order (sourced by scripts/stack.sh, which defines `start`).
# Each `start` is one process. The signers run DKG on first start; the deposit-indexer then watches that custody.
:
start devnet-chain node packages/cli/dist/main.js devnet start --data-dir .devnet/chain --rpc-port 18443 --esplora-port 3030 --host "$DEVNET_BIND"
start header-watcher env HTTP_PORT=4001 BTC_SOURCES=core+http://127.0.0.1:18443#cookie=.devnet/chain/.cookie,esplora+http://127.0.0.1:3030 node apps/header-watcher/dist/main.js
# The dynamic pledge is enforced (EVM_MINT_CAPACITY=stake): a deposit is minted only within stake value / R; the five
# signers' bonds below (5 x 100,000 tokens at the default 1,000 sats each, / 1.5) leave room for 3.3 BTC.
start evm-gateway env HTTP_PORT=4005 RPC_PORT=8545 EVM_BLOCK_TIME_MS=2000 EVM_FINALITY_DEPTH=3 EVM_DEPOSIT_MIN_CONFIRMATIONS=1 EVM_MINT_CAPACITY=stake node apps/evm-gateway/dist/main.js
# Signers keep their own databases (<DATABASE_URL>_signer_<i>, created and marked by stack.sh's devnet claim); devnet
# passphrases come from infra/compose/devnet-secrets.
# Trust pins, no trust on first use for the DKG's participants: every signer's host key is collected before anything
# starts (`host-key` creates the encrypted key on first use) and given to the coordinator and to every signer.
SIGNER_HOST_PUBKEYS=$(for i in 1 2 3 4 5; do
  SIGNER_INDEX=$i SIGNER_DATA_DIR=.devnet/signer-$i SIGNER_KEY_PASSPHRASE="$(cat infra/compose/devnet-secrets/signer-$i-passphrase)" node apps/signer/dist/host-key.js || exit 1
done | paste -sd, -) || { echo "  could not read the signers' host keys"; exit 1; }
start signing-coordinator env BITCOIN_NETWORK=regtest HTTP_PORT=4003 SIGNER_COUNT=5 SIGNER_THRESHOLD=3 SIGNER_HOST_PUBKEYS="$SIGNER_HOST_PUBKEYS" COORDINATOR_KEY_PASSPHRASE="$(cat infra/compose/devnet-secrets/coordinator-passphrase)" node apps/signing-coordinator/dist/main.js
# The coordinator's host key (kept encrypted in its schema) as it logs it at start: the signers pin it.
COORDINATOR_PUBKEY=""
for _ in $(seq 1 120); do
  # Only the current run's lines (after the newest start marker): the log is appended across restarts.
  COORDINATOR_PUBKEY=$(tac "$STATE/logs/signing-coordinator.log" 2>/dev/null | sed '/^===== .* started signing-coordinator =====$/q' | grep -o '"coordinatorPubkey":"0[23][0-9a-f]\{64\}"' | head -1 | cut -d'"' -f4 || true)
  [ -n "$COORDINATOR_PUBKEY" ] && break
  sleep 1
done
[ -n "$COORDINATOR_PUBKEY" ] || { echo "  the coordinator did not log its host key; see .devnet/logs/signing-coordinator.log"; exit 1; }
# Raw 32-byte message signing is OFF unless you start the stack with SIGNER_ALLOW_RAW_MESSAGES=true (regtest only:
# a raw message may be a custody sighash; signers refuse the setting on any other network).
RAW="${SIGNER_ALLOW_RAW_MESSAGES:-false}"
if [ "$RAW" = "true" ]; then echo "  WARNING: SIGNER_ALLOW_RAW_MESSAGES=true: the devnet signers sign ANY 32-byte message (regtest only)"; fi
# Each signer checks every sweep from its own view: its own Bitcoin sources (own header chain) and the L2 node.
# Outflow is not rate-limited on the devnet (SWEEP_OUTFLOW_LIMIT_BPS=10000; the default is 10% of the reserve per 24 h).
SIGNER_VIEW="BTC_SOURCES=core+http://127.0.0.1:18443#cookie=.devnet/chain/.cookie,esplora+http://127.0.0.1:3030 EVM_RPC_URL=http://127.0.0.1:8545 EVM_FINALITY_DEPTH=3 DEPOSIT_CONFIRMATIONS=1 SWEEP_OUTFLOW_LIMIT_BPS=10000"
for i in 1 2 3 4 5; do
  # shellcheck disable=SC2086 # SIGNER_VIEW is a list of NAME=value words
  start signer-$i env $SIGNER_VIEW BITCOIN_NETWORK=regtest SIGNER_INDEX=$i SIGNER_COUNT=5 SIGNER_THRESHOLD=3 HTTP_PORT=$((4100 + i)) DATABASE_URL="${DATABASE_URL}_signer_$i" SIGNER_DATA_DIR=.devnet/signer-$i SIGNER_KEY_PASSPHRASE="$(cat infra/compose/devnet-secrets/signer-$i-passphrase)" COORDINATOR_PUBKEY="$COORDINATOR_PUBKEY" SIGNER_HOST_PUBKEYS="$SIGNER_HOST_PUBKEYS" SIGNER_ALLOW_RAW_MESSAGES="$RAW" SIGNER_CHANNEL_POLICY=true node apps/signer/dist/main.js
done
# The indexer watches the real custody output: the group key the signers made by DKG, read from the coordinator.
custody=$(node -e '
  const deadline = Date.now() + 180_000;
  (async function poll() {
    try { const r = await fetch("http://127.0.0.1:4003/custody"); if (r.ok) return console.log(JSON.stringify(await r.json())); } catch {}
    if (Date.now() > deadline) process.exit(1);
    setTimeout(poll, 1000);
  })();') || { echo "  the signers did not finish DKG in 3 minutes; see .devnet/logs/signing-coordinator.log"; exit 1; }
CUSTODY_GROUP_KEY=$(node -e 'console.log(JSON.parse(process.argv[1]).groupKey)' "$custody")
CUSTODY_ADDRESS=$(node -e 'console.log(JSON.parse(process.argv[1]).address)' "$custody")
echo "  custody address (FROST group key $CUSTODY_GROUP_KEY): $CUSTODY_ADDRESS"
start deposit-indexer env HTTP_PORT=4002 DEPOSIT_CONFIRMATIONS=1 BTC_SOURCES=esplora+http://127.0.0.1:3030,core+http://127.0.0.1:18443#cookie=.devnet/chain/.cookie CUSTODY_GROUP_KEY="$CUSTODY_GROUP_KEY" CUSTODY_ADDRESS="$CUSTODY_ADDRESS" node apps/deposit-indexer/dist/main.js
# Withdrawals: sweeps and payouts on Bitcoin, signed by the signers (purpose sweep); proof of reserves at :4006/reserves.
start sweep-coordinator env HTTP_PORT=4006 PAYOUT_CONFIRMATIONS=2 RBF_AFTER_BLOCKS=2 SWEEP_OUTFLOW_LIMIT_BPS=10000 BTC_SOURCES=esplora+http://127.0.0.1:3030,core+http://127.0.0.1:18443#cookie=.devnet/chain/.cookie node apps/sweep-coordinator/dist/main.js
# Stake: the five signers bond at devnet start (dev accounts 0..4, the ones the L2 genesis funds, each under its
# signer's host key; skipped once bonded), so capacity is open. stake-accounting indexes the staking contract at the L2's finality
# depth; the devnet price is `tapbridge stake price set <sats>` (three stand-in sources), epochs every 10 Bitcoin blocks, 3 of 5.
i=0
for key in $(echo "$SIGNER_HOST_PUBKEYS" | tr ',' ' '); do
  i=$((i + 1))
  node packages/cli/dist/main.js stake bond --account "$((i - 1))" --amount 100000 --host-key "$key" --once --rpc http://127.0.0.1:8545 >/dev/null || { echo "  signer $i could not bond its stake; is the evm-gateway up?"; exit 1; }
done
start stake-accounting env HTTP_PORT=4007 EVM_RPC_URL=http://127.0.0.1:8545 DEVNET=true PRICE_SOURCES=devnet PRICE_MAX_CHANGE_BPS=1000000 EPOCH_LENGTH_BLOCKS=10 EPOCH_MAX_SIGNERS=5 EPOCH_THRESHOLD_BPS=6000 COORDINATOR_PUBKEY="$COORDINATOR_PUBKEY" node apps/stake-accounting/dist/main.js
# State channels (issue 12) on :4010: custody's side of every channel, the channel ledger and the watchtower (Esplora:
# it needs an index of spends). The two secrets are the public devnet values compose uses.
start channel-service env HTTP_PORT=4010 BTC_SOURCES=esplora+http://127.0.0.1:3030 CHANNEL_SEED_SECRET=6465766e65742d6368616e6e656c2d736565642d7365637265742d2d2d2d2d31 CHANNEL_REVOCATION_SECRET=6465766e65742d6368616e6e656c2d7265766f636174696f6e2d736563726574 CHANNEL_CHALLENGE_PERIOD=6 CHANNEL_MIN_CONFIRMATIONS=1 node apps/channel-service/dist/main.js
# The public API on :4000 (/v1, OpenAPI at /v1/openapi.json): reads from the services above over rpc.*, webhooks,
# live status (SSE). Devnet webhooks may post to http:// URLs.
start api-gateway env HTTP_PORT=4000 WEBHOOK_ALLOW_HTTP=true node apps/api-gateway/dist/main.js
