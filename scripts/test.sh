#!/usr/bin/env bash
# Runs every test against real Postgres, Redis and NATS on localhost (started or installed if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "[test] typecheck"
pnpm -r --if-present --silent run typecheck
echo "[test] build (apps are run from their build in end-to-end tests)"
pnpm exec turbo run build --output-logs=errors-only
echo "[test] vitest"
pnpm exec vitest run "$@"
