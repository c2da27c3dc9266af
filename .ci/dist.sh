#!/bin/sh
# make dist: the release into build/dist/, then its checks from a temporary folder.
#   VERSION (lua/linky/version.lua's), RELEASE_URL and DIST_ROCKS come from the Makefile.
# 1. linky-VERSION.tar.gz: `git archive` of HEAD under linky-VERSION/ (less what .gitattributes
#    marks export-ignore). Uncommitted changes are not in it: said, not refused.
# 2. For each rock NAME of DIST_ROCKS: NAME-VERSION-1.rockspec, rockspec/'s with @RELEASE_URL@
#    replaced, and NAME-VERSION-1.src.rock, packed by `luarocks pack` from the archive (a copy of
#    the rockspec naming the local archive lets it pack offline; the rock then holds the
#    RELEASE_URL one: installing a .src.rock reads the archive inside it, never the URL).
# 3. The archive, unpacked in a temporary folder, builds (make all: the module, the man page,
#    the completions), installs (make install DESTDIR=...: every file where it belongs; and
#    PREFIX=... to run it) and passes a smoke test: `linky --version`, `require "linky"` from
#    the installed paths alone, `man linky` with MANPATH.
# 4. Each .src.rock installs offline into a fresh tree (rockspec/luarocks-config.lua) on Lua 5.4,
#    5.3, 5.2, 5.1 and LuaJIT, and loads there: `require` of NAME ("-" read as "."), the module
#    and the C core at VERSION, and for linky the command's wrapper.
set -eu
: "${VERSION:?}" "${RELEASE_URL:?}" "${DIST_ROCKS:=linky}"
root=$(pwd)
out=$root/build/dist
name=linky-$VERSION
archive=$out/$name.tar.gz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$root/.ci/luarocks.sh"

case "$RELEASE_URL" in
  */"$name.tar.gz") ;;
  *) echo "dist: RELEASE_URL must end in /$name.tar.gz (LuaRocks finds the archive by that name)" >&2
     exit 1 ;;
esac
case "$RELEASE_URL" in
  file://*) echo "dist: RELEASE_URL is the local archive: set RELEASE_URL=https://.../$name.tar.gz to publish" ;;
esac
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
  echo "dist: the archive is HEAD ($(git rev-parse --short HEAD)): uncommitted changes are not in it"

rm -rf "$out"
mkdir -p "$out"
git archive --format=tar.gz --prefix="$name/" -o "$archive" HEAD

luarocks_for 5.4 "$work"
for rock in $DIST_ROCKS; do
  spec=rockspec/$rock-$VERSION-1.rockspec
  [ -f "$spec" ] || { echo "dist: $spec is missing" >&2; exit 1; }
  sed "s|@RELEASE_URL@|$RELEASE_URL|" "$spec" > "$out/$rock-$VERSION-1.rockspec"
  grep -q "^version = \"$VERSION-1\"$" "$out/$rock-$VERSION-1.rockspec" ||
    { echo "dist: $spec is not version $VERSION-1" >&2; exit 1; }
  $rocks lint "$out/$rock-$VERSION-1.rockspec"
  mkdir -p "$work/pack"
  sed "s|@RELEASE_URL@|file://$archive|" "$spec" > "$work/pack/$rock-$VERSION-1.rockspec"
  (cd "$work/pack" && $rocks pack "$rock-$VERSION-1.rockspec" >/dev/null &&
    cp "$out/$rock-$VERSION-1.rockspec" . && zip -q "$rock-$VERSION-1.src.rock" "$rock-$VERSION-1.rockspec" &&
    mv "$rock-$VERSION-1.src.rock" "$out/")
  rm -rf "$work/pack"
done

# 3. The archive, from a clean folder.
mkdir "$work/src"
tar -xzf "$archive" -C "$work/src"
src=$work/src/$name
(cd "$src" && make -s all >/dev/null)
stage=$work/stage
(cd "$src" && make -s install DESTDIR="$stage" PREFIX=/usr/local >/dev/null)
for f in bin/linky lib/lua/5.4/linky/core.so share/lua/5.4/linky/init.lua share/lua/5.4/linky/version.lua \
         share/man/man1/linky.1 share/bash-completion/completions/linky share/zsh/site-functions/_linky \
         share/fish/vendor_completions.d/linky.fish; do
  [ -f "$stage/usr/local/$f" ] || { echo "dist: make install DESTDIR= did not install $f" >&2; exit 1; }
done
prefix=$work/prefix
(cd "$src" && make -s install PREFIX="$prefix" >/dev/null)
(cd / && env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 "$prefix/bin/linky" --version) |
  grep -qx "linky $VERSION" || { echo "dist: the installed linky --version is not linky $VERSION" >&2; exit 1; }
(cd / && LUA_PATH="$prefix/share/lua/5.4/?.lua;$prefix/share/lua/5.4/?/init.lua;;" \
  LUA_CPATH="$prefix/lib/lua/5.4/?.so;;" PREFIX="$prefix" VERSION="$VERSION" lua5.4 -e '
    local version, prefix = os.getenv("VERSION"), os.getenv("PREFIX")
    local linky = require "linky"
    assert(linky._VERSION == version and require("linky.core")._VERSION == version, "not version " .. version)
    assert(package.searchpath("linky", package.path):sub(1, #prefix) == prefix, "linky is not the installed one")')
[ "$(MANPATH="$prefix/share/man" man -w linky)" = "$prefix/share/man/man1/linky.1" ] ||
  { echo "dist: man linky does not find the installed page" >&2; exit 1; }
[ -z "$(MANWIDTH=80 man --warnings -l "$prefix/share/man/man1/linky.1" 2>&1 >/dev/null)" ] ||
  { echo "dist: man warns about the installed page" >&2; exit 1; }
echo "dist: $name.tar.gz builds, installs and runs from a clean folder"

# 4. Each rock, offline, on every Lua.
for v in 5.4 5.3 5.2 5.1 jit; do
  luarocks_for "$v" "$work"
  tree=$work/tree-$v
  for rock in $DIST_ROCKS; do
    # shellcheck disable=SC2086
    (cd "$work" && $rocks --tree="$tree" install "$out/$rock-$VERSION-1.src.rock" $rock_vars >"$work/log" 2>&1) ||
      { cat "$work/log" >&2; exit 1; }
    (cd / && LUA_PATH="$tree/share/lua/$abi/?.lua;$tree/share/lua/$abi/?/init.lua;;" \
      LUA_CPATH="$tree/lib/lua/$abi/?.so;;" ROCK="$rock" VERSION="$VERSION" "$lua" -e '
        local version = os.getenv("VERSION")
        require((os.getenv("ROCK"):gsub("%-", ".")))
        local linky, core = require "linky", require "linky.core"
        assert(linky._VERSION == version and core._VERSION == version, "not version " .. version)')
  done
  case " $DIST_ROCKS " in
    *" linky "*) "$tree/bin/linky" --version | grep -qx "linky $VERSION" ||
      { echo "dist: the rock's linky --version on $lua is not linky $VERSION" >&2; exit 1; } ;;
  esac
  echo "dist: $(echo "$DIST_ROCKS" | sed "s/\([^ ]*\)/\1-$VERSION-1.src.rock/g") installs offline and loads on $lua"
done
ls -l "$out"
