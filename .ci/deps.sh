#!/bin/sh
# Installs the Debian packages linky needs to build, test, fuzz, lint and document (clang and its
# fuzzer runtime for make fuzz, clang-tidy for make lint, iproute2 for the offline specs,
# prometheus-node-exporter, influxdb, victoria-metrics and mosquitto for the specs that read back
# what linky exports, libmosquitto-dev for linky.mqtt; bash-completion, zsh, fish and man-db for
# the specs of the completions and the man page, zip for make dist), on Lua 5.4, 5.3, 5.2, 5.1 and
# LuaJIT (their interpreters and -dev packages; lua-cjson, lua-busted and the other lua-* packages
# hold the modules of every version).
# As root it installs what is missing; otherwise it prints the exact command.
# Arguments, if any, replace the list (bench/setup.sh passes its own packages).
set -e
PACKAGES="lua5.4 liblua5.4-dev libcurl4-openssl-dev libsqlite3-dev lua-cjson lua-cjson-dev lua-busted luarocks
lua-socket lua-sec lua-check lua5.1 lua-ldoc lua-markdown lua-argparse lua-dkjson lua-luaossl lua-luv lua-cqueues lua5.3 liblua5.3-dev pkg-config gcc make cppcheck valgrind
openssl git clang libclang-rt-14-dev clang-tidy iproute2 prometheus-node-exporter influxdb victoria-metrics
mosquitto mosquitto-clients libmosquitto-dev
lua5.2 liblua5.2-dev liblua5.1-0-dev luajit libluajit-5.1-dev
bash-completion zsh fish man-db zip"
[ $# -gt 0 ] && PACKAGES="$*"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  echo "missing Debian packages; run:" >&2
  echo "  sudo apt-get install$missing" >&2
  exit 1
fi
