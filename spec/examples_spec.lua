-- The examples run as their first lines say, from the repository with nothing but the build:
-- no LUA_PATH, no install. Run with this suite's interpreter, so every Lua version tries them.
local versions = require "spec.support.versions"
local emu = require "spec.support.emulator_spec_helper"

-- Runs a command from the repository without the module paths make gives the specs.
local function run(command)
  local p = assert(io.popen("env -u LUA_PATH -u LUA_CPATH -u LINKY_TOKEN " .. command .. " 2>&1; echo \"rc=$?\""))
  local out = p:read("*a")
  p:close()
  return tonumber(out:match("rc=(%d+)%s*$")), out
end

describe("the examples", function()
  for _, name in ipairs { "luv", "cqueues", "poll" } do
    it(("run as examples/%s.lua's first lines say"):format(name), function()
      local code, out = run(versions.LUA .. " examples/" .. name .. ".lua")
      if versions.NAME == "5.1" then -- non-blocking mode needs yields across pcall: said, not raised
        assert.truthy(out:find("non-blocking mode needs a Lua that yields across pcall", 1, true), out)
      else
        assert.equal(0, code, out)
        assert.truthy(out:find("^7 days, ") and out:find(" 1 requests", 1, true), out)
      end
    end)
  end

  it("include the README's library example, which works on every Lua", function()
    local readme = emu.read_file("README.md")
    local code = readme:match("```lua\n(local linky = require \"linky\".-)```")
    assert.truthy(code, "no library example in README.md")
    local server = emu.start()
    finally(function() server:stop() end)
    -- the example as written, its client pointed at the emulator (no test reaches the internet)
    local linky = require "linky"
    local env = setmetatable({ require = function(name)
      if name ~= "linky" then return require(name) end
      return setmetatable({ new = function(o)
        o.base_url, o.state, o.token = server.url, false, emu.TOKEN1
        return linky.new(o)
      end }, { __index = linky })
    end, print = function(...) server.printed = (server.printed or "") .. table.concat({ ... }, "\t") .. "\n" end,
      os = { getenv = os.getenv, exit = function(n) error("exit " .. tostring(n)) end } }, { __index = _G })
    local chunk = assert((loadstring or load)(code, "README", "t", env))
    if setfenv then setfenv(chunk, env) end
    chunk()
    assert.equal("2026-04-01\t9271\tWh\n2026-04-02\t12724\tWh\n2026-04-03\t14054\tWh\n", server.printed)
  end)
end)
