#!/usr/bin/env bash
# Shared first steps of the stack and test commands on a fresh Debian machine with Node 20: pnpm, dependencies,
# local servers, generated Prisma clients. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
PNPM_VERSION=10.33.0
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "[setup] installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null 2>&1 || { corepack enable && corepack prepare "pnpm@$PNPM_VERSION" --activate; }
fi
echo "[setup] installing dependencies (lockfile pinned)"
pnpm install --frozen-lockfile --reporter=silent
bash scripts/ensure-services.sh
echo "[setup] generating Prisma clients"
pnpm -r --if-present --silent run generate
