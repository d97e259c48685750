#!/usr/bin/env bash
# After `next build` (the Docker build stage): with SENTRY_AUTH_TOKEN, SENTRY_ORG and SENTRY_PROJECT, gives the
# built JavaScript Sentry debug ids and uploads its source maps — the browser's (.next/static, built only for
# this with DROP_BROWSER_SOURCE_MAPS=1) and the server's (.next/server, which has every chunk's map; the injected
# files then replace their copies in .next/standalone, the code that runs). Without a token it says it skips the
# upload. Either way it then deletes every map from .next/static, so no source map is ever served publicly.
set -euo pipefail
cd "$(dirname "$0")/.."

server=.next/server
standalone=.next/standalone/.next/server
[[ -d .next/static && -d $server ]] || { echo "sentry-sourcemaps: run next build first" >&2; exit 1; }

if [[ -z "${SENTRY_AUTH_TOKEN:-}" ]]; then
  echo "Sentry source maps: SENTRY_AUTH_TOKEN is not set, skipping the upload."
else
  : "${SENTRY_ORG:?SENTRY_ORG is required to upload source maps}" "${SENTRY_PROJECT:?SENTRY_PROJECT is required to upload source maps}"
  export SENTRY_ORG SENTRY_PROJECT SENTRY_AUTH_TOKEN
  # Debug ids tie each file to its map, whatever the release: nothing else must match at upload time.
  npx --no-install sentry-cli sourcemaps inject .next/static "$server"
  npx --no-install sentry-cli sourcemaps upload .next/static "$server"
  if [[ -d $standalone ]]; then
    # The standalone server runs copies made before the injection: give it the files with their debug ids.
    (cd "$standalone" && find . -name '*.js' -type f) | while read -r file; do cp "$server/$file" "$standalone/$file"; done
  fi
  echo "Sentry source maps: uploaded for .next/static and $server."
fi

find .next/static -name '*.map' -type f -delete
left=$(find .next/static -name '*.map' -type f | wc -l)
[[ $left -eq 0 ]] || { echo "sentry-sourcemaps: $left source maps are still in .next/static" >&2; exit 1; }
echo "Sentry source maps: none left in .next/static (never served)."
