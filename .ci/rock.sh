#!/bin/sh
# make rock: lint the rockspec, install the rock offline into a fresh tree with
# `luarocks make` (the system lua-cjson provided through rockspec/luarocks-config.lua),
# run the whole spec suite against that installed tree (a spec asserts `linky` and
# `linky.core` resolve inside it), and pack a source rock into build/.
set -eu
LUA_VERSION=${LUA_VERSION:-5.4}
root=$(pwd)
tree=$(mktemp -d)
trap 'rm -rf "$tree" "$root/linky" "$root"/csrc/*.o' EXIT
export LUAROCKS_CONFIG="$root/rockspec/luarocks-config.lua"
rocks="luarocks --lua-version=$LUA_VERSION"

$rocks lint rockspec/linky-scm-1.rockspec
$rocks --tree="$tree" make rockspec/linky-scm-1.rockspec \
  CURL_INCDIR="$(pkg-config --variable=includedir libcurl)" \
  CURL_LIBDIR="$(pkg-config --variable=libdir libcurl)" \
  SQLITE_INCDIR="$(pkg-config --variable=includedir sqlite3)" \
  SQLITE_LIBDIR="$(pkg-config --variable=libdir sqlite3)" >/dev/null
# The command, through the wrapper luarocks writes into the tree.
"$tree/bin/linky" --version | grep -q "^linky "
echo "rock: $("$tree/bin/linky" --version) command installed"

# Only the tree and the spec helpers (./?.lua) are on the paths: nothing from ./lua or ./build.
# A fresh state folder: the suite never spends the budget of the machine's user.
LUA_PATH="$tree/share/lua/$LUA_VERSION/?.lua;$tree/share/lua/$LUA_VERSION/?/init.lua;./?.lua;;" \
LUA_CPATH="$tree/lib/lua/$LUA_VERSION/?.so;;" \
LINKY_EXPECT_TREE="$tree" XDG_STATE_HOME="$tree/state" \
  "lua$LUA_VERSION" /usr/bin/busted

# A source rock needs a fetchable source.url: the local checkout stands in for the repository.
mkdir -p build/rock
sed "s|^  url = .*|  url = \"git+file://$root\",|" rockspec/linky-scm-1.rockspec > build/rock/linky-scm-1.rockspec
(cd build/rock && $rocks pack linky-scm-1.rockspec >/dev/null 2>&1)
ls build/rock/*.src.rock
