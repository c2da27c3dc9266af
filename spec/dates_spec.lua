-- linky.dates: the calendar rules every module takes from one place (the day a point belongs
-- to, weeks, months), checked against dates written out by hand.
local core = require "linky.core"
local dates = require "linky.dates"

local function day(s) return assert(dates.day(s)) end

describe("linky.dates", function()
  describe("point_day", function()
    it("puts a load-curve point in the day its interval ends in, any other point in its own day", function()
      local midnight = core.to_epoch("2026-04-02T00:00:00+02:00")
      assert.equal(day("2026-04-01"), dates.point_day(midnight, true))
      assert.equal(day("2026-04-02"), dates.point_day(midnight, false))
      assert.equal(day("2026-04-02"), dates.point_day(midnight + 1800, true))
    end)
  end)

  describe("weeks", function()
    it("numbers weekdays from Sunday (0) and starts a week on its Monday", function()
      assert.equal(4, dates.weekday(day("1970-01-01"))) -- a Thursday
      assert.equal(0, dates.weekday(day("2026-04-05")))
      for _, d in ipairs { "2026-03-30", "2026-04-01", "2026-04-05" } do
        assert.equal(day("2026-03-30"), dates.week_start(day(d)), d)
      end
      assert.equal(day("2026-04-06"), dates.week_start(day("2026-04-06")))
    end)
  end)

  describe("months", function()
    it("gives a month's first day and its length", function()
      assert.equal(day("2024-02-01"), dates.month_start(day("2024-02-29")))
      assert.equal(day("2026-12-01"), dates.month_start(day("2026-12-31")))
      local lengths = { ["2024-02-10"] = 29, ["2023-02-28"] = 28, ["2026-04-01"] = 30, ["2026-12-31"] = 31,
                        ["2026-01-15"] = 31 }
      for d, n in pairs(lengths) do assert.equal(n, dates.days_in_month(day(d)), d) end
    end)

    it("steps back whole months, to the month's last day when it is shorter", function()
      assert.equal(day("2024-02-29"), dates.months_before(day("2024-03-31"), 1))
      assert.equal(day("2025-12-15"), dates.months_before(day("2026-01-15"), 1))
      assert.equal(day("2024-04-30"), dates.months_before(day("2026-04-30"), 24))
    end)
  end)
end)
