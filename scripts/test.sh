#!/usr/bin/env bash
# Runs every test against real Postgres, Redis and NATS on localhost (started or installed if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
bash scripts/setup.sh
echo "[test] typecheck"
pnpm exec turbo run typecheck --output-logs=errors-only
echo "[test] build (apps are run from their build in end-to-end tests)"
pnpm exec turbo run build --output-logs=errors-only
echo "[test] vitest"
pnpm exec vitest run "$@"
