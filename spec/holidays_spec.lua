-- French public holidays (linky.holidays) and the class condition days = { "holiday" }.
local linky = require "linky"
local core = require "linky.core"
local holidays = require "linky.holidays"

local function day(s) return core.day_number(s) end

describe("linky.holidays", function()
  it("computes Easter Sunday", function()
    -- published dates: 2024-03-31, 2025-04-20, 2026-04-05, 2027-03-28, 2038-04-25 (the latest
    -- of the century), 2285-03-22 (the earliest possible date)
    for _, case in ipairs { { 2024, 3, 31 }, { 2025, 4, 20 }, { 2026, 4, 5 }, { 2027, 3, 28 }, { 2038, 4, 25 },
                            { 2285, 3, 22 } } do
      assert.same({ case[2], case[3] }, { holidays.easter(case[1]) })
    end
  end)

  it("lists the 11 holidays of a year, Alsace-Moselle's extra days not included", function()
    local got = {}
    for d in pairs(holidays.of_year(2026)) do got[#got + 1] = core.date_of_day(d) end
    table.sort(got)
    -- Easter 2026-04-05: Monday 04-06, Ascension (+39) 05-14, Whit Monday (+50) 05-25
    assert.same({ "2026-01-01", "2026-04-06", "2026-05-01", "2026-05-08", "2026-05-14", "2026-05-25",
                  "2026-07-14", "2026-08-15", "2026-11-01", "2026-11-11", "2026-12-25" }, got)
    assert.is_false(holidays.is_holiday(day("2026-04-03"))) -- Good Friday (Alsace-Moselle only)
    assert.is_false(holidays.is_holiday(day("2026-12-26"))) -- St Stephen's (Alsace-Moselle only)
    assert.is_true(holidays.is_holiday(day("2024-05-09"))) -- Ascension 2024 (Easter 03-31 + 39)
  end)

  it("is a class condition matched on the tariff day", function()
    local tariff = { day_starts = "06:00",
      periods = { { from = "2026-01-01", prices = { off = 0.1, peak = 0.3 } } },
      classes = { { name = "off", days = { "sat", "sun", "holiday" } }, { name = "peak" } } }
    local points = {}
    local t = core.to_epoch("2026-05-14 00:00:00") -- Ascension, a Thursday
    for _ = 1, 48 do
      t = t + 1800
      points[#points + 1] = { time = t, value = 1000, step = 1800 }
    end
    local res = { kind = "consumption_load_curve", unit = "W", start = "2026-05-14", ["end"] = "2026-05-15",
                  points = points, gaps = {} }
    local c = assert(linky.cost(res, tariff))
    -- 00:00-06:00 belongs to Wednesday 13 (peak): 6 kWh; 06:00-24:00 to the holiday: 18 kWh
    assert.equal(6, c.classes.peak.kwh)
    assert.equal(18, c.classes.off.kwh)
    tariff.classes[1].days = { "sat", "sun" }
    assert.equal(24, assert(linky.cost(res, tariff)).classes.peak.kwh)
  end)
end)
