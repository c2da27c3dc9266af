#!/bin/sh
# make rock: lint the rockspec, install the rock offline into a fresh tree with
# `luarocks make` (the system lua-cjson provided through rockspec/luarocks-config.lua), with the
# linky-mqtt rock beside it, then:
# on Lua 5.4, run the whole spec suite against that installed tree (a spec asserts `linky` and
# `linky.core` resolve inside it) and pack a source rock into build/; on 5.1, 5.2, 5.3 and
# LuaJIT (LUA_VERSION=jit), load `linky` and `linky.core` from the tree with that interpreter.
set -eu
LUA_VERSION=${LUA_VERSION:-5.4}
root=$(pwd)
tree=$(mktemp -d)
trap 'rm -rf "$tree" "$root/linky" "$root"/csrc/*.o' EXIT
# readable by all, as an installed tree is: some specs run the command as another user (nobody)
chmod 0755 "$tree"
. "$root/.ci/luarocks.sh"
luarocks_for "$LUA_VERSION" "$tree"

$rocks lint rockspec/linky-scm-1.rockspec
# shellcheck disable=SC2086
$rocks --tree="$tree" make rockspec/linky-scm-1.rockspec $rock_vars >/dev/null
# linky.mqtt, a rock of its own with its own external dependency (libmosquitto; Debian's .pc
# names /usr/lib while the library is in the multiarch folder: the compiler finds it)
$rocks lint rockspec/linky-mqtt-scm-1.rockspec
$rocks --tree="$tree" make rockspec/linky-mqtt-scm-1.rockspec \
  MOSQUITTO_INCDIR="$(pkg-config --variable=includedir libmosquitto)" \
  MOSQUITTO_LIBDIR="$(dirname "$(${CC:-cc} -print-file-name=libmosquitto.so)")" >/dev/null

if [ "$LUA_VERSION" != 5.4 ]; then
  # Only the tree is on the module paths; then the command's wrapper must run this interpreter.
  (cd "$tree" && LUA_PATH="$tree/share/lua/$abi/?.lua;$tree/share/lua/$abi/?/init.lua;;" \
    LUA_CPATH="$tree/lib/lua/$abi/?.so;;" TREE="$tree" "$lua" -e '
      local linky, core = require "linky", require "linky.core"
      local tree = assert(os.getenv("TREE"))
      local function search(name, path) -- package.searchpath, which Lua 5.1 lacks
        for template in path:gmatch("[^;]+") do
          local file = template:gsub("%?", (name:gsub("%.", "/")))
          local f = io.open(file, "rb")
          if f then f:close() return file end
        end
      end
      for _, m in ipairs { "linky", "linky.core", "linky.mqtt" } do
        local where = search(m, package.path) or search(m, package.cpath)
        assert(where and where:sub(1, #tree) == tree, m .. " is not from the tree: " .. tostring(where))
      end
      print(("rock: linky %s (core %s) loads in %s from the installed tree"):format(linky._VERSION,
        core._VERSION, rawget(_G, "jit") and jit.version or _VERSION))')
  grep -q "$lua" "$tree/bin/linky" || { echo "rock: the command's wrapper does not run $lua" >&2; exit 1; }
  exit 0
fi

# The command, through the wrapper luarocks writes into the tree.
"$tree/bin/linky" --version | grep -q "^linky "
echo "rock: $("$tree/bin/linky" --version) command installed"

# Only the tree and the spec helpers (./?.lua) are on the paths: nothing from ./lua or ./build.
# A fresh state folder: the suite never spends the budget of the machine's user.
LUA_PATH="$tree/share/lua/$abi/?.lua;$tree/share/lua/$abi/?/init.lua;./?.lua;;" \
LUA_CPATH="$tree/lib/lua/$abi/?.so;;" \
LINKY_EXPECT_TREE="$tree" XDG_STATE_HOME="$tree/state" \
  "$lua" /usr/bin/busted

# A source rock needs a fetchable source.url: the local checkout stands in for the repository.
mkdir -p build/rock
sed "s|^  url = .*|  url = \"git+file://$root\",|" rockspec/linky-scm-1.rockspec > build/rock/linky-scm-1.rockspec
(cd build/rock && $rocks pack linky-scm-1.rockspec >/dev/null 2>&1)
ls build/rock/*.src.rock
