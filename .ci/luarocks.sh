# Sourced by .ci/rock.sh and .ci/dist.sh: offline LuaRocks for one Lua version.
#   luarocks_for VERSION DIR  (VERSION: 5.1 to 5.4, or jit; DIR: a folder for LuaJIT's config)
# sets abi (the module folders' version), lua (the interpreter), LUAROCKS_CONFIG (the system
# lua-cjson, lua-argparse and lua-dkjson provided: rockspec/luarocks-config.lua), rocks (the
# luarocks command for that version) and rock_vars (where Debian keeps libcurl and SQLite).
luarocks_for() {
  case "$1" in
    jit) abi=5.1 lua=luajit ;;
    *) abi=$1 lua=lua$1 ;;
  esac
  LUAROCKS_CONFIG="$root/rockspec/luarocks-config.lua"
  if [ "$1" = jit ]; then
    # LuaJIT is a Lua 5.1 to LuaRocks: its interpreter and headers are named here
    LUAROCKS_CONFIG="$2/luarocks-config.lua"
    { cat "$root/rockspec/luarocks-config.lua"
      echo 'lua_interpreter = "luajit"'
      echo "variables = { LUA = \"$(command -v luajit)\", LUA_BINDIR = \"$(dirname "$(command -v luajit)")\","
      echo "  LUA_INCDIR = \"$(pkg-config --variable=includedir luajit)\" }"
    } > "$LUAROCKS_CONFIG"
  fi
  export LUAROCKS_CONFIG
  rocks="luarocks --lua-version=$abi"
  rock_vars="CURL_INCDIR=$(pkg-config --variable=includedir libcurl) CURL_LIBDIR=$(pkg-config --variable=libdir libcurl)
    SQLITE_INCDIR=$(pkg-config --variable=includedir sqlite3) SQLITE_LIBDIR=$(pkg-config --variable=libdir sqlite3)
    MOSQUITTO_INCDIR=$(pkg-config --variable=includedir libmosquitto 2>/dev/null || echo /usr/include)
    MOSQUITTO_LIBDIR=$(dirname "$(${CC:-cc} -print-file-name=libmosquitto.so)")"
}
