# The services of the devnet stack, in start order (sourced by scripts/stack.sh, which defines `start`).
# Each `start` is one process. The signers run DKG on first start; the deposit-indexer then watches that custody.
:
start devnet-chain node packages/cli/dist/main.js devnet start --data-dir .devnet/chain --rpc-port 18443 --esplora-port 3030
start header-watcher env HTTP_PORT=4001 BTC_SOURCES=core+http://127.0.0.1:18443#cookie=.devnet/chain/.cookie,esplora+http://127.0.0.1:3030 node apps/header-watcher/dist/main.js
start evm-gateway env HTTP_PORT=4005 RPC_PORT=8545 EVM_BLOCK_TIME_MS=2000 EVM_FINALITY_DEPTH=3 node apps/evm-gateway/dist/main.js
# Signers keep their own databases (tapbridge_signer_<i>); devnet passphrases come from infra/compose/devnet-secrets.
for i in 1 2 3 4 5; do DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tapbridge_signer_$i node packages/cli/dist/main.js db create >/dev/null; done
start signing-coordinator env HTTP_PORT=4003 SIGNER_COUNT=5 SIGNER_THRESHOLD=3 node apps/signing-coordinator/dist/main.js
start signer-1 env SIGNER_INDEX=1 SIGNER_COUNT=5 SIGNER_THRESHOLD=3 HTTP_PORT=4101 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tapbridge_signer_1 SIGNER_DATA_DIR=.devnet/signer-1 SIGNER_KEY_PASSPHRASE="$(cat infra/compose/devnet-secrets/signer-1-passphrase)" SIGNER_ALLOW_RAW_MESSAGES=true node apps/signer/dist/main.js
start signer-2 env SIGNER_INDEX=2 SIGNER_COUNT=5 SIGNER_THRESHOLD=3 HTTP_PORT=4102 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tapbridge_signer_2 SIGNER_DATA_DIR=.devnet/signer-2 SIGNER_KEY_PASSPHRASE="$(cat infra/compose/devnet-secrets/signer-2-passphrase)" SIGNER_ALLOW_RAW_MESSAGES=true node apps/signer/dist/main.js
start signer-3 env SIGNER_INDEX=3 SIGNER_COUNT=5 SIGNER_THRESHOLD=3 HTTP_PORT=4103 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tapbridge_signer_3 SIGNER_DATA_DIR=.devnet/signer-3 SIGNER_KEY_PASSPHRASE="$(cat infra/compose/devnet-secrets/signer-3-passphrase)" SIGNER_ALLOW_RAW_MESSAGES=true node apps/signer/dist/main.js
start signer-4 env SIGNER_INDEX=4 SIGNER_COUNT=5 SIGNER_THRESHOLD=3 HTTP_PORT=4104 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tapbridge_signer_4 SIGNER_DATA_DIR=.devnet/signer-4 SIGNER_KEY_PASSPHRASE="$(cat infra/compose/devnet-secrets/signer-4-passphrase)" SIGNER_ALLOW_RAW_MESSAGES=true node apps/signer/dist/main.js
start signer-5 env SIGNER_INDEX=5 SIGNER_COUNT=5 SIGNER_THRESHOLD=3 HTTP_PORT=4105 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tapbridge_signer_5 SIGNER_DATA_DIR=.devnet/signer-5 SIGNER_KEY_PASSPHRASE="$(cat infra/compose/devnet-secrets/signer-5-passphrase)" SIGNER_ALLOW_RAW_MESSAGES=true node apps/signer/dist/main.js
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
