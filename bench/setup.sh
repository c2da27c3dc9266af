#!/bin/sh
# Installs what `make bench` needs beyond the build: the Debian packages of the other
# clients and tools, and the Node.js linky 2.0.2 package into bench/node_modules (git-ignored).
set -e
cd "$(dirname "$0")/.."
sh .ci/deps.sh lua-dkjson curl valgrind
command -v node >/dev/null && command -v npm >/dev/null || sh .ci/deps.sh nodejs npm
if ! grep -qs '"version": "2.0.2"' bench/node_modules/linky/package.json; then
  echo "bench: installing the Node.js linky 2.0.2 package into bench/node_modules"
  npm install --prefix bench --no-save --no-package-lock --no-audit --no-fund --loglevel=error linky@2.0.2
fi
