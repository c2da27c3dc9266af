#!/bin/sh
# Installs the rock with `luarocks make` into a fresh temporary tree (offline),
# then checks that `require "linky"` works from that tree and not from the checkout.
set -eu
root=$(pwd)
tree=$(mktemp -d)
trap 'rm -rf "$tree"; rm -rf "$root/linky" "$root"/csrc/*.o' EXIT
luarocks --lua-version=5.4 --tree="$tree" make rockspec/linky-scm-1.rockspec \
  CURL_INCDIR="$(pkg-config --variable=includedir libcurl)" \
  CURL_LIBDIR="$(pkg-config --variable=libdir libcurl)" >/dev/null
eval "$(luarocks --lua-version=5.4 --tree="$tree" path)"
cd "$tree"
TREE="$tree" lua5.4 -e '
  local linky = require "linky"
  local tree = os.getenv("TREE")
  for _, name in ipairs { "linky", "linky.core" } do
    local where = package.searchpath(name, package.path) or package.searchpath(name, package.cpath)
    assert(where and where:sub(1, #tree) == tree, name .. " resolved outside the rocks tree: " .. tostring(where))
  end
  assert(linky.decode_token("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOlsiMTExMTExMTExMTExMTEiXX0.x").prms[1] == "11111111111111")
  print("rock: linky " .. linky._VERSION .. " installed and loaded from the rocks tree")'
