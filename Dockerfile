# syntax=docker/dockerfile:1
# Drop's image: the Next.js standalone server on node:20-bookworm-slim, non-root, health-checked.
# The same image runs the app, the alert processor and the backup scheduler (docker-compose.yml).
#   deps    npm ci; better-sqlite3 compiled here from source (build tools live in this stage only)
#   build   next build with NEXT_OUTPUT=standalone; optional Sentry source-map upload
#   runner  .next/standalone + static assets + scripts/, bash and the PostgreSQL 17 client for backups

FROM node:20-bookworm-slim AS deps
WORKDIR /app
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# build_from_source: better-sqlite3 is compiled against this image's Node and glibc (no prebuilt download).
RUN npm_config_build_from_source=true npm ci --no-audit --no-fund \
 && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"


FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1 \
    NEXT_OUTPUT=standalone
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# public/ is optional in this repository: make sure the runner stage always has one to copy.
RUN npx next build \
 && mkdir -p public

# Source maps to Sentry, only when a token is given (docker build --build-arg SENTRY_AUTH_TOKEN=… with
# SENTRY_ORG and SENTRY_PROJECT). The token exists in this build stage only: the runner image, its layers and
# its history never contain it. (A BuildKit secret mount would also keep it out of the builder's cache.)
# hadolint ignore=DL3064
ARG SENTRY_AUTH_TOKEN=""
ARG SENTRY_ORG=""
ARG SENTRY_PROJECT=""
ARG SENTRY_CLI_VERSION=3.8.0
RUN if [ -n "$SENTRY_AUTH_TOKEN" ]; then \
      npx --yes "@sentry/cli@${SENTRY_CLI_VERSION}" sourcemaps inject .next/static .next/server \
      && npx --yes "@sentry/cli@${SENTRY_CLI_VERSION}" sourcemaps upload .next/static .next/server; \
    else \
      echo "Sentry source maps: SENTRY_AUTH_TOKEN is not set, skipping the upload."; \
    fi


FROM node:20-bookworm-slim AS runner
WORKDIR /app
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOSTNAME=0.0.0.0
# bash for scripts/*.sh; pg_dump/pg_restore 17 (PGDG repository, set up by Debian's own postgresql-common
# script and key) because pg_dump refuses a server newer than itself and compose runs postgres:17.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends bash ca-certificates postgresql-common \
 && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
 && apt-get install -y --no-install-recommends postgresql-client-17 \
 && rm -rf /var/lib/apt/lists/*

# Code is owned by root and read-only for the app; only data, backups and Next's cache are writable.
COPY --from=build /app/.next/standalone ./
COPY --from=build /app/.next/static ./.next/static
COPY --from=build /app/public ./public
COPY scripts ./scripts
RUN mkdir -p /app/data /app/.next/cache /backups \
 && chown node:node /app/data /app/.next/cache /backups

# The node image's unprivileged `node` user, numeric so runtimes can verify it is not root.
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "scripts/docker-healthcheck.mjs"]
CMD ["node", "server.js"]
