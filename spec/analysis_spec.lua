-- Analysis helpers on the recorded fixtures, against values computed by hand from the bodies
-- (energy of a 30-minute interval = W / 2; the day's load curve adds up to the day's energy).
local linky = require "linky"
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"

describe("linky analysis", function()
  local server, client, legacy

  setup(function()
    server = emu.start()
    client = assert(linky.new { token = emu.TOKEN1, base_url = server.url, min_interval = 0 })
    -- the legacy recordings are of April 2023: the client's today is then (history limits)
    legacy = assert(linky.new { token = emu.TOKEN1, base_url = server.url, min_interval = 0, api = "legacy",
                                today = "2023-04-10" })
  end)

  teardown(function()
    client:close()
    legacy:close()
    server:stop()
  end)

  local function curve(c, first, stop)
    return assert(c:consumption_load_curve(first or "2026-04-01", stop or "2026-04-02"))
  end

  describe("energy", function()
    it("turns watts into Wh per interval, unit Wh, keeping dates and steps", function()
      local res = curve(client)
      local wh = assert(linky.energy(res))
      assert.equal("Wh", wh.unit)
      assert.equal("W", res.unit) -- the input is untouched
      assert.equal(48, #wh.points)
      assert.same({ 55, 204, 56 }, { wh.points[1].value, wh.points[2].value, wh.points[3].value })
      assert.equal(50, wh.points[48].value)
      assert.equal("2026-04-01 00:30:00", wh.points[1].date)
      assert.equal(1800, wh.points[1].step)
      local total = 0
      for _, p in ipairs(wh.points) do total = total + p.value end
      assert.equal(9271, total) -- the recorded daily consumption of 2026-04-01
    end)

    it("rounds half up, keeps nil values, and honours each point's step", function()
      local res = { kind = "consumption_load_curve", unit = "W", points = {
        { time = 1800, step = 1800, value = 1 }, { time = 3600, step = 1800, value = 3 },
        { time = 4200, step = 600, value = 7 }, { time = 4800, step = 600, value = 9 },
        { time = 5400, step = 600 },
      } }
      local wh = assert(linky.energy(res))
      assert.same({ 1, 2, 1, 2 }, { wh.points[1].value, wh.points[2].value, wh.points[3].value, wh.points[4].value })
      assert.is_nil(wh.points[5].value)
      assert.equal(5, #wh.points)
    end)

    it("fails with invalid_argument when a point has no step", function()
      local res = { kind = "consumption_load_curve", unit = "W",
        points = { { time = 1800, step = 1800, value = 1 }, { time = 3600, value = 2, date = "x" } } }
      local wh, err = linky.energy(res)
      assert.is_nil(wh)
      assert.equal("invalid_argument", err.kind)
    end)

    it("returns daily energy as it is and refuses power peaks", function()
      local daily = assert(client:daily_consumption("2026-04-01", "2026-04-04"))
      assert.same(daily.points, assert(linky.energy(daily)).points)
      local _, err = linky.energy(assert(client:consumption_max_power("2026-04-01", "2026-04-04")))
      assert.equal("invalid_argument", err.kind)
      assert.has_error(function() linky.energy(nil) end)
    end)
  end)

  describe("aggregate", function()
    it("sums a load curve per hour, by the start of each interval", function()
      local hours = assert(linky.aggregate(curve(client), "hour"))
      assert.equal(24, #hours)
      assert.same({ start = "2026-04-01 00:00:00", time = 1774994400, value = 259, count = 2, min = 55, max = 204 },
        hours[1])
      assert.equal(2406, hours[5].value)                       -- 04:00-05:00
      assert.equal("2026-04-01 23:00:00", hours[24].start)
      assert.equal(114, hours[24].value)                       -- 23:00-24:00 includes the 00:00 point
    end)

    it("sums a load curve into its day, equal to the daily consumption", function()
      assert.same({ { start = "2026-04-01", time = 1774994400, value = 9271, count = 48, min = 41, max = 1360 } },
        linky.aggregate(curve(client), "day"))
      local days = assert(linky.aggregate(curve(legacy, "2023-04-01", "2023-04-02"), "day"))
      assert.equal(11776, days[1].value)
    end)

    it("groups days into ISO weeks and months", function()
      local daily = assert(client:daily_consumption("2026-04-01", "2026-04-04"))
      local weeks = assert(linky.aggregate(daily, "week"))
      assert.same({ { start = "2026-03-30", time = 1774821600, value = 36049, count = 3, min = 9271, max = 14054 } },
        weeks)
      local months = assert(linky.aggregate(daily, "month"))
      assert.equal("2026-04-01", months[1].start)
      assert.equal(36049, months[1].value)
      local days = assert(linky.aggregate(daily, "day"))
      assert.same({ 9271, 12724, 14054 }, { days[1].value, days[2].value, days[3].value })
    end)

    it("keeps the peak of power values", function()
      local months = assert(linky.aggregate(assert(client:consumption_max_power("2026-04-01", "2026-04-04")), "month"))
      assert.same({ { start = "2026-04-01", time = 1774994400, value = 3533, count = 3, min = 3092, max = 3533 } },
        months)
    end)

    it("follows the Paris calendar over summer-time changes", function()
      local spring = assert(linky.aggregate(curve(client, "2026-03-29", "2026-03-30"), "hour"))
      assert.equal(23, #spring)
      assert.equal("2026-03-29 01:00:00", spring[2].start)
      assert.equal("2026-03-29 03:00:00", spring[3].start)
      local autumn = assert(linky.aggregate(curve(client, "2026-10-25", "2026-10-26"), "hour"))
      assert.equal(25, #autumn)
      assert.equal("2026-10-25 02:00:00", autumn[3].start)
      assert.equal("2026-10-25 02:00:00", autumn[4].start) -- the repeated hour, one hour later
      assert.equal(3600, autumn[4].time - autumn[3].time)
      for _, h in ipairs(autumn) do assert.equal(2, h.count) end
      local days = assert(linky.aggregate(curve(client, "2026-10-25", "2026-10-26"), "day"))
      assert.equal(1, #days)
      assert.equal(50, days[1].count)
    end)

    it("skips nil values and rejects unknown periods", function()
      local res = { kind = "daily_consumption", unit = "Wh", points = {
        { time = 1774994400, value = 5 }, { time = 1775080800 } } }
      local days = assert(linky.aggregate(res, "day"))
      assert.same({ start = "2026-04-02", time = 1775080800, count = 0 }, days[2])
      local out, err = linky.aggregate(res, "year")
      assert.is_nil(out)
      assert.equal("invalid_argument", err.kind)
    end)
  end)

  describe("split_offpeak", function()
    it("splits the day's energy at 22:00-06:00", function()
      local split = linky.split_offpeak(curve(client), { "22:00-06:00" })
      assert.same({ peak = 4484, offpeak = 4787, unit = "Wh" }, split)
      -- beside the golden values, the invariant: peak + off-peak = the day's total
      assert.equal(linky.aggregate(curve(client), "day")[1].value, split.peak + split.offpeak)
      assert.same({ peak = 10184, offpeak = 1592, unit = "Wh" },
        linky.split_offpeak(curve(legacy, "2023-04-01", "2023-04-02"), { "22:00-06:00" }))
    end)

    it("accepts several ranges", function()
      local other = linky.split_offpeak(curve(client), { "01:30-07:30", "12:30-14:30" })
      assert.same({ peak = 3499, offpeak = 5772, unit = "Wh" }, other)
      assert.equal(linky.aggregate(curve(client), "day")[1].value, other.peak + other.offpeak)
    end)

    it("rejects bad ranges and results that are not load curves", function()
      for _, ranges in ipairs { {}, { "22h-6h" }, { "25:00-06:00" }, { "06:00-06:00" }, "22:00-06:00" } do
        local out, err = linky.split_offpeak(curve(client), ranges)
        assert.is_nil(out)
        assert.equal("invalid_argument", err.kind)
      end
      local _, err = linky.split_offpeak(assert(client:daily_consumption("2026-04-01", "2026-04-04")), { "22:00-06:00" })
      assert.equal("invalid_argument", err.kind)
    end)
  end)

  describe("exact sums", function()
    -- `n` points of `watts` each `step` seconds long, from 2026-06-10 00:00 Paris (UTC+2).
    local MIDNIGHT = 1781042400 -- 2026-06-09 22:00:00 UTC
    local function steady(n, step, watts, from)
      local points, t = {}, from or MIDNIGHT
      for _ = 1, n do
        t = t + step
        points[#points + 1] = { time = t, step = step, value = watts }
      end
      return { kind = "consumption_load_curve", unit = "W", points = points }
    end

    it("adds watt-seconds and rounds each total once, for every step the API uses", function()
      assert.equal(MIDNIGHT, core.to_epoch("2026-06-10 00:00:00"))
      local cases = {
        -- { step, W, points in a day, Wh of one point as shown, exact Wh of the day }
        { 300, 3, 288, 0, 72 },    -- 3 W × 300 s = 900 W·s = 0.25 Wh; 288 × 900 / 3600 = 72
        { 600, 7, 144, 1, 168 },   -- 7 × 600 = 4200 W·s = 1.1667 Wh; 144 × 4200 / 3600 = 168
        { 900, 5, 96, 1, 120 },    -- 5 × 900 = 4500 W·s = 1.25 Wh; 96 × 4500 / 3600 = 120
        { 1800, 1, 48, 1, 24 },    -- 1 × 1800 = 1800 W·s = 0.5 Wh, shown 1; 48 × 1800 / 3600 = 24
        { 3600, 3, 24, 3, 72 },    -- 3 × 3600 = 10800 W·s = 3 Wh; 24 × 3 = 72
      }
      for _, c in ipairs(cases) do
        local step, watts, n, shown, day = c[1], c[2], c[3], c[4], c[5]
        local res = steady(n, step, watts)
        assert.equal(shown, linky.energy(res).points[1].value, step)
        local days = assert(linky.aggregate(res, "day"))
        assert.equal(1, #days, step)
        assert.equal(day, days[1].value, step)
        assert.equal(shown, days[1].max, step) -- min and max stay per interval, as shown
      end
      -- 3 half-hours of 1 W: 3 × 1800 = 5400 W·s = 1.5 Wh, rounded half up once: 2 (not 3 × 1)
      local three = assert(linky.aggregate(steady(3, 1800, 1), "day"))
      assert.equal(2, three[1].value)
      -- each hour of 1 W half-hours: 2 × 1800 = 3600 W·s = 1 Wh (not 2 × 1)
      local hours = assert(linky.aggregate(steady(48, 1800, 1), "hour"))
      assert.equal(24, #hours)
      for _, h in ipairs(hours) do assert.equal(1, h.value) end
    end)

    it("splits peak and off-peak watt-seconds, each rounded once", function()
      -- 48 half-hours of 1 W: 22:00-06:00 holds 16 of them, 16 × 1800 = 28800 W·s = 8 Wh;
      -- the 32 others 32 × 1800 = 57600 W·s = 16 Wh
      assert.same({ peak = 16, offpeak = 8, unit = "Wh" }, linky.split_offpeak(steady(48, 1800, 1), { "22:00-06:00" }))
      -- 288 five minutes of 3 W: off-peak 96 × 900 = 86400 W·s = 24 Wh, peak 192 × 900 = 172800 = 48 Wh
      assert.same({ peak = 48, offpeak = 24, unit = "Wh" }, linky.split_offpeak(steady(288, 300, 3), { "22:00-06:00" }))
    end)

    it("refuses values that cannot be summed exactly", function()
      for _, v in ipairs { 1.5, 2 ^ 52, 10000001, -10000001 } do
        local res = steady(2, 1800, 1)
        res.points[2].value = v
        for name, call in pairs {
          energy = function() return linky.energy(res) end,
          aggregate = function() return linky.aggregate(res, "day") end,
          split_offpeak = function() return linky.split_offpeak(res, { "22:00-06:00" }) end,
        } do
          local out, err = call()
          assert.is_nil(out, name .. " " .. v)
          assert.equal("invalid_argument", err.kind)
        end
      end
      local ok = steady(2, 1800, 10000000) -- 10 MW is the largest: 2 × 10^7 × 1800 / 3600 = 10^7 Wh
      assert.equal(10000000, linky.aggregate(ok, "day")[1].value)
    end)
  end)

  describe("a stored point without a step", function()
    it("makes every helper return invalid_argument, never raise", function()
      local dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir -p " .. emu.quote(dir)))
      finally(function() os.execute("rm -rf " .. emu.quote(dir)) end)
      local path = dir .. "/state.sqlite3"
      local c = assert(linky.new { token = emu.TOKEN1, base_url = server.url, min_interval = 0, state = path })
      finally(function() c:close() end)
      assert(c:consumption_load_curve("2026-04-01", "2026-04-02"))
      local db = assert(core.open_sqlite(path))
      assert(db:exec("UPDATE readings SET step = NULL WHERE time = (SELECT min(time) FROM readings)"))
      db:close()
      local res = assert(c:consumption_load_curve("2026-04-01", "2026-04-02"))
      assert.equal(48, res.cached)
      assert.is_nil(res.points[1].step)
      for name, call in pairs {
        energy = function() return linky.energy(res) end,
        aggregate = function() return linky.aggregate(res, "hour") end,
        split_offpeak = function() return linky.split_offpeak(res, { "22:00-06:00" }) end,
      } do
        local ok, out, err = pcall(call)
        assert.is_true(ok, name .. ": " .. tostring(out))
        assert.is_nil(out, name)
        assert.equal("invalid_argument", err.kind, name)
        assert.truthy(err.message:find("no step", 1, true), name)
      end
    end)
  end)
end)
