-- Project-local LuaRocks configuration for offline installs on Debian:
-- the system's lua-cjson (Debian package) satisfies the rock's dependency.
rocks_provided = {
  ["lua-cjson"] = "2.1.0-1",
}
