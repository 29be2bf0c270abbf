# The services of the devnet stack, in start order (sourced by scripts/stack.sh, which defines `start`).
# Each line is one process; later issues add theirs.
:
start devnet-chain node packages/cli/dist/main.js devnet start --data-dir .devnet/chain --rpc-port 18443 --esplora-port 3030
start header-watcher env HTTP_PORT=4001 BTC_SOURCES=core+http://127.0.0.1:18443#cookie=.devnet/chain/.cookie,esplora+http://127.0.0.1:3030 node apps/header-watcher/dist/main.js
start deposit-indexer env HTTP_PORT=4002 DEPOSIT_CONFIRMATIONS=1 BTC_SOURCES=esplora+http://127.0.0.1:3030,core+http://127.0.0.1:18443#cookie=.devnet/chain/.cookie CUSTODY_GROUP_KEY=79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798 CUSTODY_ADDRESS=bcrt1p8h5fh3dp0t0yqrv7z7p9jehjargja35al299vtut97v2ct527zmsh9e7y2 node apps/deposit-indexer/dist/main.js
start evm-gateway env HTTP_PORT=4005 RPC_PORT=8545 EVM_BLOCK_TIME_MS=2000 EVM_FINALITY_DEPTH=3 node apps/evm-gateway/dist/main.js
