# syntax=docker/dockerfile:1
# Drop's image: the Next.js standalone server on node:24-trixie-slim (Node 24 LTS, Debian 13), non-root, health-checked.
# The same image runs the app, the alert processor and the backup scheduler (docker-compose.yml).
#   deps    npm ci; better-sqlite3 compiled here from source (build tools live in this stage only)
#   build   next build with NEXT_OUTPUT=standalone; Sentry source-map upload when given a token (secret);
#           the alert processor bundled into one file (esbuild)
#   runner  .next/standalone + static assets + scripts/ + the alert processor's bundle, bash and the
#           PostgreSQL 17 client for backups (Debian 13's own package)

FROM node:24-trixie-slim AS deps
WORKDIR /app
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# build_from_source: better-sqlite3 is compiled against this image's Node and glibc (no prebuilt download).
RUN npm_config_build_from_source=true npm ci --no-audit --no-fund \
 && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"


FROM node:24-trixie-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1 \
    NEXT_OUTPUT=standalone
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# Source maps to Sentry, only when a token is given, as a BuildKit secret so that it is in no layer, no build
# cache and no image history (a build arg would be):
#   docker build --secret id=SENTRY_AUTH_TOKEN,env=SENTRY_AUTH_TOKEN \
#     --build-arg SENTRY_ORG=my-org --build-arg SENTRY_PROJECT=drop .
# With a token, next build also emits browser maps; scripts/sentry-sourcemaps.sh uploads them with the server's
# and deletes every map from .next/static (never served). Without one it says it skips the upload.
# public/ is optional in this repository: make sure the runner stage always has one to copy.
ARG SENTRY_ORG=""
ARG SENTRY_PROJECT=""
RUN --mount=type=secret,id=SENTRY_AUTH_TOKEN,env=SENTRY_AUTH_TOKEN \
    if [ -n "${SENTRY_AUTH_TOKEN:-}" ]; then export DROP_BROWSER_SOURCE_MAPS=1; fi \
 && npx next build \
 && bash scripts/sentry-sourcemaps.sh \
 && mkdir -p public
# The alert processor (alert-processor/): one ES module (pg bundled in) plus the OTLP schema in alert-processor/dist.
# Its one external dependency at run time, better-sqlite3, is already in the standalone output's node_modules for
# the app (pg-native, pg's optional binding, is left out and never loaded).
RUN npm run alerts:build
# The operator commands (admin, db-migrate, audit-*) and the backup scheduler's helpers, bundled into scripts/dist.
# hadolint ignore=DL3059
RUN npm run ops:build


FROM node:24-trixie-slim AS runner
WORKDIR /app
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOST=0.0.0.0
# bash for scripts/*.sh; pg_dump/pg_restore 17 from Debian 13's archive, because pg_dump refuses a server newer than
# itself and compose runs postgres:17.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends bash ca-certificates postgresql-client-17 \
 && rm -rf /var/lib/apt/lists/*

# Code is owned by root and read-only for the app; only data, backups and Next's cache are writable.
COPY --from=build /app/.next/standalone ./
COPY --from=build /app/.next/static ./.next/static
COPY --from=build /app/public ./public
COPY scripts ./scripts
COPY --from=build /app/alert-processor/dist ./alert-processor/dist
COPY --from=build /app/scripts/dist ./scripts/dist
RUN mkdir -p /app/data /app/.next/cache /backups \
 && chown node:node /app/data /app/.next/cache /backups

# The release Sentry reports is drop@<version>+<sha> when the build is given the commit:
#   docker build --build-arg GIT_SHA="$(git rev-parse HEAD)" .   (platforms that set SOURCE_COMMIT work too)
ARG GIT_SHA=""
ARG SOURCE_COMMIT=""
ENV GIT_SHA=${GIT_SHA:-$SOURCE_COMMIT}

# The node image's unprivileged `node` user, numeric so runtimes can verify it is not root.
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "scripts/docker-healthcheck.mjs"]
# Next's standalone server listens on $HOSTNAME, which container runtimes set to the container's name (Kubernetes:
# the pod's, resolving to its IP only, so the loopback health check would fail): HOST names the address instead.
CMD ["sh", "-c", "HOSTNAME=\"$HOST\" exec node server.js"]
