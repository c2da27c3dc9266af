-- What one call costs the Lua side, counted rather than timed: the memory
-- a lean call allocates (its garbage), with the collector stopped, so that a call path that
-- builds more tables, closures and strings fails here whatever the machine's load.
local linky = require "linky"
local dates = require "linky.dates"
local emu = require "spec.support.emulator_spec_helper"

describe("linky per call", function()
  local server
  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)

  it("a lean one-day call allocates at most 8 KiB of Lua memory", function()
    -- the lean client of `make bench`: no pacing, no store, no budget
    local c = assert(linky.new { token = emu.TOKEN1, base_url = server.url, api = "legacy",
      min_interval = 0, cache = false, state = false, budget = false })
    finally(function() c:close() end)
    local first = dates.day("2026-01-01")
    local n = 40
    local days = {}
    for i = 0, n do days[i] = { dates.format(first + i), dates.format(first + i + 1) } end
    assert(c:daily_consumption(days[0][1], days[0][2])) -- the state database opened, modules loaded
    collectgarbage()
    collectgarbage("stop")
    finally(function() collectgarbage("restart") end)
    local before = collectgarbage("count")
    for i = 1, n do
      local res = assert(c:daily_consumption(days[i][1], days[i][2]))
      assert.equal(1, #res.points)
    end
    local bytes = (collectgarbage("count") - before) * 1024 / n
    -- about 9 to 10 KiB before the call path was made lean, 6 to 7 KiB after (5.1 to 5.4, LuaJIT)
    assert.is_true(bytes <= 8192, ("%.0f bytes a call"):format(bytes))
  end)
end)
