-- Project-local LuaRocks configuration for offline installs on Debian:
-- the system's lua-cjson, lua-argparse and lua-dkjson (Debian packages) satisfy the rock's
-- dependencies.
rocks_provided = {
  ["lua-cjson"] = "2.1.0-1",
  argparse = "0.7.1-1",
  dkjson = "2.6-1",
}
