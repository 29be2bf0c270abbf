# syntax=docker/dockerfile:1.7
#
# One image for every tapbridge service. The command picks what runs:
#   node apps/<service>/dist/main.js       header-watcher, deposit-indexer, signing-coordinator, evm-gateway
#   tapbridge-signer                       a signer (infra/docker/signer.sh: SIGNER_INDEX from the pod ordinal,
#                                          per-signer database URL and passphrase file)
#   tapbridge-migrate                      one-shot: every app's SQL migrations (infra/docker/migrate.sh)
#   node packages/devnet-chain/dist/main.js   the devnet chain (dev only; DEVNET_* environment)
#   node packages/cli/dist/main.js ...     the operator CLI
#
# Build:  docker build -t tapbridge:dev .
# Stages: base (node + pnpm) → deps (pnpm fetch: lockfile only, cached until it changes) → build (install,
# turbo build, then reinstall production dependencies only) → runtime (slim, non-root, tini as PID 1).

ARG NODE_IMAGE=node:20-bookworm-slim
ARG PNPM_VERSION=10.33.0

FROM ${NODE_IMAGE} AS base
ARG PNPM_VERSION
ENV PNPM_HOME=/pnpm \
    PATH=/pnpm:$PATH \
    CI=true \
    TURBO_TELEMETRY_DISABLED=1 \
    DO_NOT_TRACK=1
RUN npm install -g "pnpm@${PNPM_VERSION}" && pnpm --version
WORKDIR /app

# Every package of the lockfile into a store inside this layer. Only the lockfile and the workspace file
# (which carries onlyBuiltDependencies) are read, so source edits do not invalidate it.
FROM base AS deps
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch --store-dir /pnpm/store

FROM deps AS build
COPY . .
RUN pnpm install --frozen-lockfile --offline --store-dir /pnpm/store
# The Prisma clients are generated code (apps/*/src/generated), not checked in: generate before building.
RUN pnpm -r --if-present run generate
RUN pnpm build
# Prune: drop every node_modules and reinstall production dependencies only (same lockfile, offline from the
# store fetched above). Build output (dist/, generated/) stays; turbo's local cache goes.
RUN rm -rf node_modules apps/*/node_modules packages/*/node_modules .turbo apps/*/.turbo packages/*/.turbo \
 && pnpm install --frozen-lockfile --offline --prod --store-dir /pnpm/store \
 && test -f packages/cli/dist/main.js

FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
# Code is owned by root and read-only to the service user; only /data (volumes) is writable.
COPY --from=build /app /app
COPY --chmod=0644 infra/docker/healthcheck.mjs /usr/local/lib/tapbridge/healthcheck.mjs
COPY --chmod=0755 infra/docker/signer.sh /usr/local/bin/tapbridge-signer
COPY --chmod=0755 infra/docker/migrate.sh /usr/local/bin/tapbridge-migrate
RUN mkdir -p /data && chown node:node /data
USER node
ARG VERSION=dev
LABEL org.opencontainers.image.title="tapbridge" \
      org.opencontainers.image.description="tapbridge node stack: one image, command chosen per service" \
      org.opencontainers.image.version="${VERSION}"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "packages/cli/dist/main.js", "--help"]
