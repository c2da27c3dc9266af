-- `<close>` is Lua 5.4 syntax: these specs are compiled with load() so the rest of the suite
-- still runs under Lua 5.3, 5.2, 5.1 and LuaJIT, where each of them is pending (the same specs,
-- the same count, on every version).
local linky = require "linky"
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"

local HAS_CLOSE = _VERSION >= "Lua 5.4"

-- A spec that needs <close>: pending elsewhere.
local function it_54(name, f)
  it(name, function()
    if not HAS_CLOSE then pending("needs Lua 5.4 (running " .. _VERSION .. ")") end
    f()
  end)
end

-- Runs `body` (Lua 5.4 source taking `...` = the object) and returns the object.
local function with_close(body, obj)
  local chunk = assert(load("local obj = ...\ndo\n  local scoped <close> = obj\n" .. body .. "\nend\nreturn obj"))
  return chunk(obj)
end

describe("linky", function()
  local server
  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)

  describe("<close>", function()
    it_54("closes a client at the end of its block", function()
      local c = assert(linky.new { token = emu.TOKEN1, base_url = server.url, min_interval = 0, state = false })
      with_close('assert(scoped:daily_consumption("2026-04-01", "2026-04-04"))', c)
      assert.equal("linky.Client: closed", tostring(c))
      assert.has_error(function() c:daily_consumption("2026-04-01", "2026-04-02") end,
        "attempt to use a closed linky.Client")
    end)

    it_54("closes a connection at the end of its block", function()
      local conn = core.connect { base_url = server.url, token = emu.TOKEN1, user_agent = "spec" }
      with_close('assert(scoped:get("consommation_quotidienne?pointId=11111111111111&dateDebut=2026-04-01&dateFin=2026-04-04") == 200)', conn)
      assert.equal("linky.Connection: closed", tostring(conn))
    end)

    it_54("closes a state at the end of its block", function()
      local db = with_close('assert(scoped:rows("SELECT 1 AS one")[1].one == 1)', assert(core.open_sqlite(":memory:")))
      assert.equal("linky.SQLite: closed", tostring(db))
    end)

    it_54("closes a client when an error leaves the block", function()
      local c = assert(linky.new { token = emu.TOKEN1, base_url = server.url, min_interval = 0, state = false })
      local ok, err = pcall(with_close, 'error("boom")', c)
      assert.is_false(ok)
      assert.matches("boom", err)
      assert.equal("linky.Client: closed", tostring(c))
    end)
  end)
end)
