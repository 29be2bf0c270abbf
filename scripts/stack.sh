#!/usr/bin/env bash
# Brings the whole local devnet stack up: dependencies, servers, migrations, build, then every service in the
# background with logs under .devnet/logs. Stop it with scripts/stack.sh stop.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
STATE=.devnet
mkdir -p "$STATE/logs"
# Every devnet server listens on loopback only, unless asked otherwise (DEVNET_BIND=0.0.0.0 exposes the devnet,
# with its raw-message signers and admin key, to the network). Services read it as HTTP_HOST (packages/config).
DEVNET_BIND=${DEVNET_BIND:-127.0.0.1}
export HTTP_HOST="$DEVNET_BIND" RPC_HOST="$DEVNET_BIND"

if [ "${1:-}" = "stop" ]; then
  for f in "$STATE"/pids/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; done
  echo "stack stopped"; exit 0
fi

bash scripts/setup.sh
pnpm exec turbo run build --output-logs=errors-only
export DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/tapbridge}
node packages/cli/dist/main.js db create
node packages/cli/dist/main.js db migrate
mkdir -p "$STATE/pids"

start() { # name, command...
  local name=$1; shift
  if [ -f "$STATE/pids/$name.pid" ] && kill -0 "$(cat "$STATE/pids/$name.pid")" 2>/dev/null; then echo "  $name already running"; return; fi
  # Append, never truncate: a restarted service keeps the log of the run that crashed. The marker starts each run.
  echo "===== $(date -u +%Y-%m-%dT%H:%M:%SZ) started $name =====" >>"$STATE/logs/$name.log"
  nohup "$@" >>"$STATE/logs/$name.log" 2>&1 &
  echo $! >"$STATE/pids/$name.pid"
  echo "  started $name (log: $STATE/logs/$name.log)"
}
# NATS with one identity per service (users and rights from packages/messaging/src/permissions.ts): the devnet's own
# server on $DEVNET_NATS_PORT, so the plain shared one on 4222 (tests, CI) is left alone. Passwords are generated
# once per devnet into .devnet/nats/users; every service reads its own from there (NATS_CREDENTIALS_DIR).
DEVNET_NATS_PORT=${DEVNET_NATS_PORT:-4223}
mkdir -p "$STATE/nats"
node packages/cli/dist/main.js nats config --host "$DEVNET_BIND" --port "$DEVNET_NATS_PORT" --http-port "${DEVNET_NATS_HTTP_PORT:-8223}" \
  --store-dir "$PWD/$STATE/nats/jetstream" --passwords-dir "$STATE/nats/users" --out "$STATE/nats/nats.conf"
start nats nats-server -c "$STATE/nats/nats.conf"
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$DEVNET_NATS_PORT") 2>/dev/null && break; sleep 0.2; done
export NATS_URL="nats://127.0.0.1:$DEVNET_NATS_PORT" NATS_CREDENTIALS_DIR="$PWD/$STATE/nats/users"
# An API key with every scope for the devnet's state-changing endpoints (POST /signatures, ...), made once.
[ -s "$STATE/admin.apikey" ] || node packages/cli/dist/main.js apikey create --name devnet-admin --scope '*' --out "$STATE/admin.apikey" >/dev/null
echo "  devnet admin API key: $STATE/admin.apikey (send it as x-api-key; the CLI reads TAPBRIDGE_API_KEY_FILE=$PWD/$STATE/admin.apikey)"
echo "[stack] starting services"
# shellcheck source=/dev/null
source scripts/stack-services.sh
echo
echo "tapbridge devnet is up. Health: curl localhost:<port>/health/ready; metrics: /metrics; API docs: /docs"
echo "NATS (per-service users): nats://127.0.0.1:$DEVNET_NATS_PORT, passwords in $STATE/nats/users; admin API key: $STATE/admin.apikey"
echo "Stop with: scripts/stack.sh stop"
