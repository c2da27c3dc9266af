-- The linky command runs anywhere without LUA_PATH or LUA_CPATH: from a source checkout (it
-- finds lua/ and build/ beside itself), from any working folder, and once installed under any
-- PREFIX (make install writes its folders into it).
local emu = require "spec.support.emulator_spec_helper"
local cli_runner = require "spec.support.cli_runner"
local versions = require "spec.support.versions"

local quote, read = emu.quote, emu.read_file
-- VERSION: the module folders' version (5.1 for LuaJIT); NAME: the Makefile's LUA_VERSION and
-- build folder (jit for LuaJIT).
local VERSION, NAME, LUA = versions.VERSION, versions.NAME, versions.LUA

-- package.searchpath (Lua 5.2 and later, LuaJIT): the first file of `path` that opens.
local function searchpath(name, path)
  if package.searchpath then return package.searchpath(name, path) end
  for template in path:gmatch("[^;]+") do
    local file = template:gsub("%?", (name:gsub("%.", "/")))
    local f = io.open(file, "rb")
    if f then
      f:close()
      return file
    end
  end
  return nil, "module " .. name .. " not found"
end
-- The module under test (the Makefile's build, or a rock's tree), from the spec's LUA_CPATH.
local MODULE = assert(searchpath("linky.core", os.getenv("LUA_CPATH") or package.cpath))
-- No module path from outside: the command must find its own.
local BARE = "env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_3 -u LUA_CPATH_5_3 -u LUA_PATH_5_4 -u LUA_CPATH_5_4"
  .. " -u LUA_PATH_5_2 -u LUA_CPATH_5_2 -u LUA_INIT -u LUA_INIT_5_2 -u LUA_INIT_5_3 -u LUA_INIT_5_4"

local function sh(command)
  local p = assert(io.popen(command .. " 2>&1; echo \"exit=$?\""))
  local out = p:read("*a")
  p:close()
  return out
end

describe("linky command", function()
  local server, runner, dir

  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)
  before_each(function()
    runner = cli_runner.new()
    dir = runner.dir
  end)
  after_each(function() runner:remove() end)

  it("runs from a source checkout after make, from any folder, without LUA_PATH or LUA_CPATH", function()
    -- a checkout of its own: bin/, lua/ and the built module where `make` puts it
    local checkout = dir .. "/checkout"
    local build = checkout .. "/build" .. (NAME == "5.4" and "" or "/" .. NAME) .. "/linky"
    assert(os.execute(("mkdir -p %s && cp -R bin lua %s/ && cp %s %s/"):format(quote(build), quote(checkout),
      quote(MODULE), quote(build))))
    local out = sh(("cd / && %s XDG_CONFIG_HOME=%s %s %s --version"):format(BARE, quote(dir .. "/config"), LUA,
      quote(checkout .. "/bin/linky")))
    assert.equal("linky " .. require("linky")._VERSION .. "\nexit=0\n", out)
    out = sh(("cd %s && %s XDG_CONFIG_HOME=%s LINKY_TOKEN=%s %s ../checkout/bin/linky prms"):format(quote(dir .. "/config"),
      BARE, quote(dir .. "/config"), emu.TOKEN1, LUA))
    assert.truthy(out:find("^11111111111111\ntoken expires"), out)
  end)

  it("runs once installed under any PREFIX, without LUA_PATH or LUA_CPATH", function()
    local prefix = dir .. "/opt/x"
    -- a build folder of its own holding the module under test (copied: newer than the sources)
    local build = dir .. "/build"
    assert(os.execute(("mkdir -p %s/linky && cp %s %s/linky/"):format(quote(build), quote(MODULE), quote(build))))
    local out = sh(("make -s install PREFIX=%s BUILD_DIR=%s LUA_VERSION=%s >/dev/null"):format(quote(prefix),
      quote(build), NAME))
    assert.equal("exit=0\n", out)
    local program = prefix .. "/bin/linky"
    assert.truthy(read(program):find("\nlocal INSTALLED = { share = \"" .. prefix .. "/share/lua/" .. VERSION, 1, true))
    assert.equal("#!/usr/bin/env " .. LUA .. "\n", read(program):match("^[^\n]*\n"))
    out = sh(("cd / && %s HOME=%s XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s LINKY_TODAY=2026-04-04 %s %s daily"
      .. " --base-url %s --token-file %s --start 2026-04-01 --end 2026-04-04 --format csv"):format(BARE, quote(dir),
      quote(dir .. "/config"), quote(dir .. "/state"), LUA, quote(program), quote(server.url),
      quote(runner.token_file)))
    assert.equal("date,value,unit,time\n2026-04-01,9271,Wh,1774994400\n2026-04-02,12724,Wh,1775080800\n2026-04-03,14054,Wh,1775167200\nexit=0\n", out)
    -- and it loaded the installed modules, not the checkout's
    out = sh(("cd / && %s %s -e %s"):format(BARE, LUA, quote(("package.path = %q .. package.path; "
      .. "package.cpath = %q .. package.cpath; print(debug.getinfo(require('linky.cli').main, 'S').source)"):format(
      prefix .. "/share/lua/" .. VERSION .. "/?.lua;" .. prefix .. "/share/lua/" .. VERSION .. "/?/init.lua;", prefix .. "/lib/lua/" .. VERSION .. "/?.so;"))))
    assert.equal("@" .. prefix .. "/share/lua/" .. VERSION .. "/linky/cli/init.lua\nexit=0\n", out)
    out = sh(("make -s uninstall PREFIX=%s BUILD_DIR=%s LUA_VERSION=%s >/dev/null"):format(quote(prefix),
      quote(build), NAME))
    assert.equal("exit=0\n", out)
    assert.equal("exit=0\n", sh("test ! -e " .. quote(program) .. " && test ! -e " .. quote(prefix .. "/share/lua/"
      .. VERSION .. "/linky")))
  end)
end)
