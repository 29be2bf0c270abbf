#!/usr/bin/env bash
# Brings the whole local devnet stack up: dependencies, servers, migrations, build, then every service in the
# background with logs under .devnet/logs. Stop it with scripts/stack.sh stop.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
STATE=.devnet
mkdir -p "$STATE/logs"

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
  nohup "$@" >"$STATE/logs/$name.log" 2>&1 &
  echo $! >"$STATE/pids/$name.pid"
  echo "  started $name (log: $STATE/logs/$name.log)"
}
echo "[stack] starting services"
# shellcheck source=/dev/null
source scripts/stack-services.sh
echo
echo "tapbridge devnet is up. Health: curl localhost:<port>/health/ready; metrics: /metrics; API docs: /docs"
echo "Stop with: scripts/stack.sh stop"
