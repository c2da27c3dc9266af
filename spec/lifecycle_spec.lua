-- Lifecycle under load: many clients created and dropped, errors raised while a client is open
-- (spec/close_spec.lua covers `<close>`, with an error leaving the block).
-- valgrind (make valgrind) turns any leaked C resource into a failure; the plain run also
-- bounds the growth of the resident memory.
local emu = require "spec.support.emulator_spec_helper"
local clients = require "spec.support.client"

local N = tonumber(os.getenv("LINKY_SPEC_CLIENTS")) or 10000

local function rss_kb()
  local f = assert(io.open("/proc/self/status"))
  local kb = tonumber(f:read("*a"):match("VmRSS:%s*(%d+) kB"))
  f:close()
  return kb
end

local function live(weak)
  local n = 0
  for _ in pairs(weak) do n = n + 1 end
  return n
end

describe("linky", function()
  describe("client lifecycle under load", function()
    local server

    setup(function() server = emu.start() end)
    teardown(function() server:stop() end)

    local function new()
      return assert(clients.new { token = emu.TOKEN1, base_url = server.url })
    end

    it(("creates and drops %d clients, a full collection every 100, and keeps no memory"):format(N), function()
      local weak = setmetatable({}, { __mode = "k" })
      collectgarbage()
      local lua_before, rss_before = collectgarbage("count"), rss_kb()
      for i = 1, N do
        do
          local c = new()
          weak[c] = true
          if i % 100 == 1 then assert(c:daily_consumption("2026-04-01", "2026-04-02")) end
          if i % 2 == 0 then -- half are closed (twice), the others left to the collector
            c:close()
            c:close()
            assert.has_error(function() c:daily_consumption("2026-04-01", "2026-04-02") end,
              "attempt to use a closed linky.Client")
          end
        end
        if i % 100 == 0 then
          collectgarbage()
          collectgarbage()
          assert.equal(0, live(weak), "clients still alive after a full collection")
        end
      end
      collectgarbage()
      collectgarbage()
      assert.is_true(collectgarbage("count") - lua_before < 256, "Lua heap grew")
      if clients.SLOWDOWN == 1 then -- instrumented runs have their own allocators and leak checks
        assert.is_true(rss_kb() - rss_before < 8 * 1024, "resident memory grew by " .. (rss_kb() - rss_before) .. " kB")
      end
    end)

    it("collects a client left open by a Lua error", function()
      local weak = setmetatable({}, { __mode = "v" })
      local ok = pcall(function()
        local c = new()
        weak[1] = c
        assert(c:daily_consumption("2026-04-01", "2026-04-02"))
        error("boom")
      end)
      assert.is_false(ok)
      collectgarbage()
      collectgarbage()
      assert.is_nil(weak[1])
    end)

    it("stays usable after an error raised from its sleep in the middle of a call", function()
      local raise = true
      local c = assert(clients.new { token = emu.TOKEN1, base_url = server.url, min_interval = 1,
        sleep = function() if raise then error("interrupted") end end })
      local ok, e = pcall(c.consumption_load_curve, c, "2026-04-01", "2026-04-15")
      assert.is_false(ok)
      assert.matches("interrupted", e)
      raise = false
      local r = assert(c:consumption_load_curve("2026-04-01", "2026-04-15"))
      assert.equal(14 * 48, #r.points)
      c:close()
    end)
  end)
end)
