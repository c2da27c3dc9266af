-- RTE's Tempo rules, checked on hand-written seasons. Weekdays here come from os.date, not from
-- linky.dates, so that the module's calendar is checked against another one.
local rules = require "linky.tempo_rules"

-- "YYYY-MM-DD" of `date` plus n days, and its weekday (1 Sunday .. 7 Saturday), through os.date.
local function shift(date, n)
  local y, m, d = date:match("^(%d+)-(%d+)-(%d+)$")
  local t = os.time { year = tonumber(y), month = tonumber(m), day = tonumber(d) + n, hour = 12 }
  return os.date("%Y-%m-%d", t), os.date("*t", t).wday
end

local SUNDAY, SATURDAY = 1, 7

-- Season 2025-2026, every day blue but `colours` (date -> colour).
local function season(colours)
  local days, date = {}, "2025-09-01"
  while date <= "2026-08-31" do
    days[#days + 1] = { day = date, colour = colours[date] or "blue" }
    date = shift(date, 1)
  end
  return days
end

-- `count` days from `first` on, skipping the weekdays in `skip`: a list of dates.
local function pick(first, count, skip)
  local out, date, wday = {}, first, select(2, shift(first, 0))
  while #out < count do
    if not skip[wday] then out[#out + 1] = date end
    date, wday = shift(date, 1)
  end
  return out
end

-- A season that keeps every rule: 22 red weekdays in January and February (runs of at most 5),
-- 43 white days from 3 November on, no Sunday.
local function valid_colours()
  local colours = {}
  for _, d in ipairs(pick("2026-01-05", 22, { [SUNDAY] = true, [SATURDAY] = true })) do colours[d] = "red" end
  for _, d in ipairs(pick("2025-11-03", 43, { [SUNDAY] = true })) do colours[d] = "white" end
  return colours
end

local function expect_broken(days, rule, day)
  local ok, message, got_rule, got_day = rules.check(days)
  assert.is_nil(ok)
  assert.equal(rule, got_rule)
  assert.equal(day, got_day)
  assert.is_string(message)
  if day then assert.matches(day, message, 1, true) end
end

describe("linky.tempo_rules", function()
  describe("check", function()
    it("accepts a season that keeps the rules, an empty one and a part of one", function()
      local days = season(valid_colours())
      assert.equal(365, #days)
      assert.is_true(rules.check(days))
      assert.is_true(rules.check {})
      assert.is_true(rules.check { { day = "2026-01-05", colour = "red" }, { day = "2025-09-01", colour = "blue" } })
    end)

    it("refuses a 23rd red day, naming it", function()
      local colours = valid_colours()
      local extra = pick("2026-02-16", 1, { [SUNDAY] = true, [SATURDAY] = true })[1]
      colours[extra] = "red"
      expect_broken(season(colours), "too_many_red", extra)
    end)

    it("refuses a 44th white day, naming it", function()
      local colours = valid_colours()
      colours["2026-03-31"] = "white"
      expect_broken(season(colours), "too_many_white", "2026-03-31")
    end)

    it("refuses a red day before 1 November or after 31 March", function()
      for _, day in ipairs { "2025-10-31", "2026-04-01", "2026-08-03" } do
        expect_broken({ { day = day, colour = "red" } }, "red_out_of_winter", day)
      end
      assert.is_true(rules.check { { day = "2025-11-03", colour = "red" }, { day = "2026-03-31", colour = "red" } })
    end)

    it("refuses a red Saturday or Sunday", function()
      for _, first in ipairs { "2026-01-03", "2026-01-04" } do
        local date, wday = shift(first, 0)
        assert.is_true(wday == SATURDAY or wday == SUNDAY)
        expect_broken(season { [date] = "red" }, "red_on_weekend", date)
      end
    end)

    it("refuses a sixth red day in a row", function()
      local colours = {}
      for n = 0, 5 do colours[shift("2026-01-05", n)] = "red" end -- Monday to Saturday
      expect_broken(season(colours), "too_many_red_in_a_row", "2026-01-10")
      colours["2026-01-10"] = nil
      assert.is_true(rules.check(season(colours)))
    end)

    it("refuses a white Sunday and accepts a white Saturday", function()
      expect_broken(season { ["2026-01-04"] = "white" }, "white_on_sunday", "2026-01-04")
      assert.is_true(rules.check(season { ["2026-01-03"] = "white" }))
    end)

    it("names the first broken day whatever the order of the list", function()
      local days = season { ["2026-01-04"] = "white", ["2026-05-05"] = "red" }
      local reversed = {}
      for i = #days, 1, -1 do reversed[#reversed + 1] = days[i] end
      expect_broken(reversed, "white_on_sunday", "2026-01-04")
    end)

    it("refuses what is no season: a bad date or colour, a day twice, two seasons", function()
      expect_broken({ { day = "2026-02-30", colour = "blue" } }, "invalid", nil)
      expect_broken({ { day = "2026-02-03", colour = "RED" } }, "invalid", "2026-02-03")
      expect_broken({ { day = "2026-02-03", colour = "blue" }, { day = "2026-02-03", colour = "red" } },
        "invalid", "2026-02-03")
      expect_broken({ { day = "2026-08-31", colour = "blue" }, { day = "2026-09-01", colour = "blue" } },
        "invalid", "2026-09-01")
      expect_broken({ "2026-01-01" }, "invalid", nil)
    end)
  end)

  describe("season", function()
    it("runs from 1 September to 31 August", function()
      local dates = require "linky.dates"
      local name, first, last = rules.season(dates.day("2026-02-10"))
      assert.equal("2025-2026", name)
      assert.equal("2025-09-01", dates.format(first))
      assert.equal("2026-08-31", dates.format(last))
      assert.equal("2025-2026", (rules.season(dates.day("2025-09-01"))))
      assert.equal("2024-2025", (rules.season(dates.day("2025-08-31"))))
    end)
  end)
end)
