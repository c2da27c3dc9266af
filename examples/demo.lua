-- make demo: the main job against the bundled Conso API emulator.
-- Prints the last 14 days of daily consumption with units and a total, then one
-- day of load curve turned into energy. No real token or network is needed.
local linky = require "linky"
local emu = require "spec.support.emulator_spec_helper"

local server = emu.start()
local ok, failure = pcall(function()
  local client <close> = assert(linky.new {
    token = emu.TOKEN1, base_url = server.url, user_agent = "linky-demo",
  })
  local today = os.time()
  local function day(offset) return os.date("%Y-%m-%d", today + offset * 86400) end

  local res, err = client:daily_consumption(day(-14), day(0))
  if not res then error(tostring(err), 0) end
  print(("Daily consumption of PRM %s, %s to %s (%s API, emulator at %s)")
    :format(res.prm, res.start, day(-1), res.api, server.base))
  print()
  local max, total = 0, 0
  for _, p in ipairs(res.points) do
    max = math.max(max, p.value or 0)
    total = total + (p.value or 0)
  end
  local function weekday(date) -- from the date itself: p.time is Paris midnight, not local midnight
    local y, m, d = date:match("^(%d+)-(%d+)-(%d+)")
    return os.date("%a", os.time { year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 })
  end
  for _, p in ipairs(res.points) do
    local v = p.value or 0
    print(("  %s %s  %9.3f kWh  %s"):format(p.date, weekday(p.date), v / 1000,
      ("#"):rep(math.floor(v / max * 40 + 0.5))))
  end
  print(("  %s\n  %-14s  %9.3f kWh   (%d days, mean %.3f kWh/day, %d request)")
    :format(("-"):rep(40), "total", total / 1000, #res.points, total / 1000 / #res.points, res.requests))

  local curve = assert(client:consumption_load_curve(day(-1), day(0)))
  -- Load-curve values are average watts over each step: energy = W x step / 3600.
  local wh, peak = 0, curve.points[1]
  for _, p in ipairs(curve.points) do
    wh = wh + (p.value or 0) * (p.step or 1800) / 3600
    if (p.value or 0) > (peak.value or 0) then peak = p end
  end
  print(("\nLoad curve of %s: %d points, %.3f kWh, peak %d %s in the interval ending %s")
    :format(curve.start, #curve.points, wh / 1000, peak.value, curve.unit, peak.date:sub(12, 16)))
end)
server:stop()
if not ok then
  io.stderr:write("demo failed: ", tostring(failure), "\n")
  os.exit(1)
end
