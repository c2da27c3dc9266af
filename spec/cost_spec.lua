-- What it cost: hand-checked prices of constant-power days under base, peak/off-peak and Tempo
-- tariffs, DST days, the 06:00 colour boundary, a price change at midnight, subscriptions over
-- months of 28, 30 and 31 days, and every tariff mistake named.
local linky = require "linky"
local core = require "linky.core"
local cost = require "linky.cost"

local HC = { "22:00-06:00" }

-- A load-curve result of `watts` constant power over the Paris days [first, stop).
local function curve(first, stop, watts, gaps)
  local points = {}
  local t, last = core.to_epoch(first .. " 00:00:00"), core.to_epoch(stop .. " 00:00:00")
  while t < last do
    t = t + 1800
    points[#points + 1] = { time = t, date = os.date("!%Y-%m-%d %H:%M:%S", t + core.paris_offset(t - 1)),
                            value = watts, step = 1800 }
  end
  return { kind = "consumption_load_curve", unit = "W", start = first, ["end"] = stop, points = points,
           gaps = gaps or {} }
end

local function base(price, sub, from)
  return { name = "Base", periods = { { from = from or "2026-01-01", subscription = sub or 0,
                                        prices = { base = price } } },
           classes = { { name = "base" } } }
end

local function hphc(hp, hc, sub)
  return { periods = { { from = "2026-01-01", subscription = sub or 0, prices = { hc = hc, hp = hp } } },
           classes = { { name = "hc", hours = HC }, { name = "hp" } } }
end

local TEMPO = {
  name = "Tempo", day_starts = "06:00",
  periods = { { from = "2026-01-01", subscription = 0,
                prices = { blue_hc = 0.10, blue_hp = 0.20, white_hc = 0.30, white_hp = 0.40,
                           red_hc = 0.50, red_hp = 0.60 } } },
  classes = {
    { name = "blue_hc", colour = "blue", hours = HC }, { name = "blue_hp", colour = "blue" },
    { name = "white_hc", colour = "white", hours = HC }, { name = "white_hp", colour = "white" },
    { name = "red_hc", colour = "red", hours = HC }, { name = "red_hp", colour = "red" },
  },
}

local function near(expected, got)
  assert.is_true(math.abs(expected - got) < 1e-9, ("expected %.12g, got %.12g"):format(expected, got))
end

describe("linky.cost", function()
  it("prices a day of constant power under a base tariff, with its subscription", function()
    local c = assert(linky.cost(curve("2026-06-10", "2026-06-11", 1000), base(0.2, 15)))
    near(24, c.kwh)
    near(4.8, c.energy) -- 24 kWh at 0.20
    near(0.5, c.subscription) -- 15 a month, June has 30 days
    near(5.3, c.total)
    near(24, c.classes.base.kwh)
    near(4.8, c.classes.base.cost)
    assert.equal(1, #c.days)
    assert.equal("2026-06-10", c.days[1].date)
    near(5.3, c.days[1].total)
  end)

  it("splits peak and off-peak hours by each interval's start", function()
    local c = assert(linky.cost(curve("2026-06-10", "2026-06-11", 1000), hphc(0.20, 0.15)))
    near(8, c.classes.hc.kwh) -- 22:00-06:00: 16 half-hours of 500 Wh
    near(16, c.classes.hp.kwh)
    near(8 * 0.15 + 16 * 0.20, c.energy)
    near(c.kwh, c.classes.hc.kwh + c.classes.hp.kwh) -- the invariant: the classes make the whole
    near(c.energy, c.classes.hc.cost + c.classes.hp.cost)
  end)

  it("counts the DST days' 46 and 50 half-hours, the changed hour in off-peak", function()
    local spring = assert(linky.cost(curve("2026-03-29", "2026-03-30", 1000), hphc(0.2, 0.1)))
    near(23, spring.kwh)
    near(7, spring.classes.hc.kwh) -- 00:00-06:00 lacks 02:00-03:00: 10 half-hours, then 22:00-24:00
    near(16, spring.classes.hp.kwh)
    local autumn = assert(linky.cost(curve("2026-10-25", "2026-10-26", 1000), hphc(0.2, 0.1)))
    near(25, autumn.kwh)
    near(9, autumn.classes.hc.kwh) -- 02:00-03:00 twice: 14 half-hours, then 22:00-24:00
    near(16, autumn.classes.hp.kwh)
    for _, c in ipairs { spring, autumn } do near(c.kwh, c.classes.hc.kwh + c.classes.hp.kwh) end
  end)

  it("gives an interval starting at 05:30 the previous tariff day's Tempo colour", function()
    local colours = { ["2026-06-09"] = "red", ["2026-06-10"] = "blue" }
    local c = assert(linky.cost(curve("2026-06-10", "2026-06-11", 1000), TEMPO, { colours = colours }))
    near(6, c.classes.red_hc.kwh) -- 00:00 to 06:00 belongs to the red tariff day of the 9th
    near(16, c.classes.blue_hp.kwh) -- 06:00 to 22:00
    near(2, c.classes.blue_hc.kwh) -- 22:00 to 24:00
    assert.is_nil(c.classes.red_hp)
    near(6 * 0.5 + 16 * 0.2 + 2 * 0.1, c.energy)
    local by_function = assert(linky.cost(curve("2026-06-10", "2026-06-11", 1000), TEMPO,
      { colours = function(day) return colours[day] end }))
    near(c.energy, by_function.energy)
  end)

  it("prices a tariff day without a colour partially: its energy unpriced, its subscription paid", function()
    local tariff = { day_starts = "06:00", periods = { { from = "2026-01-01", subscription = 31,
      prices = TEMPO.periods[1].prices } }, classes = TEMPO.classes }
    -- the 9th's tariff day (00:00 to 06:00 of the 10th) and the 11th's have no colour
    local c = assert(linky.cost(curve("2026-06-10", "2026-06-12", 1000), tariff,
      { colours = { ["2026-06-10"] = "blue" } }))
    assert.is_true(c.partial)
    assert.same({ "2026-06-09", "2026-06-11" }, c.missing_colours)
    near(48, c.kwh)
    near(6 + 18, c.unpriced_kwh) -- the 10th's 00:00 to 06:00, the 11th's 06:00 to 24:00
    near(16, c.classes.blue_hp.kwh)
    near(2 + 6, c.classes.blue_hc.kwh) -- 22:00 to 06:00 of the blue tariff day of the 10th
    near(16 * 0.2 + 8 * 0.1, c.energy)
    near(2 * 31 / 30, c.subscription)
    near(c.energy + c.subscription, c.total)
    near(6, c.days[1].unpriced_kwh)
    near(24, c.days[1].kwh)
    assert.is_nil(c.classes.red_hc)
    local full = assert(linky.cost(curve("2026-06-10", "2026-06-11", 1000), TEMPO,
      { colours = { ["2026-06-09"] = "red", ["2026-06-10"] = "blue" } }))
    assert.is_false(full.partial)
    assert.same({}, full.missing_colours)
    assert.equal(0, full.unpriced_kwh)
    assert.is_nil(full.days[1].unpriced_kwh)
  end)

  it("changes price at midnight inside the range", function()
    local tariff = base(0.2)
    tariff.periods[2] = { from = "2026-06-11", subscription = 0, prices = { base = 0.25 } }
    local c = assert(linky.cost(curve("2026-06-10", "2026-06-12", 1000), tariff))
    near(24 * 0.2, c.days[1].energy)
    near(24 * 0.25, c.days[2].energy)
    near(24 * 0.45, c.energy)
  end)

  it("charges every day of the range its month's share of the subscription, with data or not", function()
    local res = curve("2026-02-27", "2026-03-02", 0)
    res.points = {} -- no data at all: the subscription is still due
    local c = assert(linky.cost(res, base(0.2, 14)))
    near(14 / 28, c.days[1].subscription) -- February 2026: 28 days
    near(14 / 28, c.days[2].subscription)
    near(14 / 31, c.days[3].subscription) -- March: 31 days
    near(2 * 14 / 28 + 14 / 31, c.subscription)
    near(0, c.energy)
    local june = assert(linky.cost(curve("2026-06-01", "2026-07-01", 0), base(0.2, 15)))
    near(15, june.subscription) -- 30 days of 15 / 30
  end)

  describe("sums exactly", function()
    -- 14 days of half-hours, every fourth 1115 W and the others 1117 W: all odd, so each
    -- half-hour is x.5 Wh and rounding each one first would add 0.5 Wh 672 times
    local function odd_fortnight()
      local res = curve("2026-06-01", "2026-06-15", 1117)
      for i, p in ipairs(res.points) do
        if i % 4 == 0 then p.value = 1115 end
      end
      return res
    end

    it("adds watt-seconds, then prices them once", function()
      local res = odd_fortnight()
      assert.equal(672, #res.points)
      local c = assert(linky.cost(res, base(0.2516)))
      -- 504 × 1117 + 168 × 1115 = 750288 W, × 1800 s = 1350518400 W·s / 3.6e6 = 375.144 kWh
      -- (rounding each half-hour first: (750288 + 672) / 2 Wh = 375.48 kWh)
      assert.equal(375.144, c.kwh)
      assert.equal(375.144, c.classes.base.kwh)
      -- 375.144 kWh × 0.2516 EUR = 94.3862304 EUR (rounded first: 375.48 × 0.2516 = 94.470768)
      near(94.3862304, c.energy)
      near(94.3862304, c.total)
      -- a day: 36 × 1117 + 12 × 1115 = 53592 W × 1800 s = 26.7960 kWh; × 0.2516 = 6.7418736 EUR
      assert.equal(26.796, c.days[1].kwh)
      near(6.7418736, c.days[1].energy)
    end)

    it("shows amounts rounded once, half up, from the exact sums", function()
      local x = assert(cost.price(odd_fortnight(), base(0.2516)))
      assert.equal("375.144", cost.format_kwh(x.ws))
      assert.equal("94.39", cost.format_money(x.energy)) -- 94.3862304
      -- 5 kWh (1 h of 5000 W) at 0.201 EUR = 1.005 EUR exactly, a tie: 1.01 (the float 1.005 is
      -- 1.00499999999999989, which %.2f prints 1.00)
      local res = curve("2026-06-10", "2026-06-11", 0)
      res.points[1].value, res.points[2].value = 5000, 5000
      local tie = assert(cost.price(res, base(0.201)))
      assert.equal("5.000", cost.format_kwh(tie.ws))
      assert.equal("1.01", cost.format_money(tie.energy))
      -- 1 W for half an hour: 1800 W·s = 0.5 Wh, shown half up 0.001 kWh
      res.points[1].value, res.points[2].value = 1, 0
      assert.equal("0.001", cost.format_kwh(assert(cost.price(res, base(0.2))).ws))
      -- a 31-day month of 10 EUR: each day 10 / 31 = 0.3225806... EUR shown 0.32; the month is
      -- 31 × 10 / 31 = 10 exactly (31 rounded days would be 9.92)
      local july = assert(cost.price(curve("2026-07-01", "2026-08-01", 0), base(0.2, 10)))
      assert.equal("0.32", cost.format_money(july.days[1].subscription))
      assert.equal("10.00", cost.format_money(july.subscription))
      assert.equal("10.00", cost.format_money(cost.total(july)))
      -- 29.99 EUR a month of 31 days, 15 days: 15 × 29.99 / 31 = 14.5112903... EUR: 14.51
      local half = assert(cost.price(curve("2026-07-01", "2026-07-16", 0), base(0.2, 29.99)))
      assert.equal("14.51", cost.format_money(half.subscription))
    end)

    it("keeps 6 decimals of a price: 0.123456 EUR/kWh for 1 kWh", function()
      local res = curve("2026-06-10", "2026-06-11", 0)
      res.points[1].value, res.points[2].value = 1000, 1000 -- 2 × 1000 W × 1800 s = 1 kWh
      local x = assert(cost.price(res, base(0.123456)))
      assert.same({ u = 123456, r = 0 }, x.energy) -- micro-euros, no remainder
      assert.equal("0.12", cost.format_money(x.energy))
    end)
  end)

  it("repeats the result's gaps", function()
    local gaps = { { start = "2026-06-10", ["end"] = "2026-06-11", reason = "missing" } }
    local c = assert(linky.cost(curve("2026-06-10", "2026-06-11", 1000, gaps), base(0.2)))
    assert.same(gaps, c.gaps)
  end)

  it("prices daily consumption when no class depends on hours or colours", function()
    local res = { kind = "daily_consumption", unit = "Wh", start = "2026-06-10", ["end"] = "2026-06-12",
      points = { { time = core.to_epoch("2026-06-10 00:00:00"), date = "2026-06-10", value = 10000 },
                 { time = core.to_epoch("2026-06-11 00:00:00"), date = "2026-06-11", value = 20000 } } }
    local weekend = { periods = { { from = "2026-01-01", prices = { we = 0.1, week = 0.2 } } },
                      classes = { { name = "we", days = { "sat", "sun" } }, { name = "week" } } }
    local c = assert(linky.cost(res, weekend))
    near(30 * 0.2, c.energy) -- a Wednesday and a Thursday
    local _, err = linky.cost(res, hphc(0.2, 0.1))
    assert.equal("invalid_argument", err.kind)
  end)

  describe("names every mistake of a tariff", function()
    local function refused(tariff, field, opts, res)
      local c, err = linky.cost(res or curve("2026-06-10", "2026-06-11", 1000), tariff, opts)
      assert.is_nil(c)
      assert.equal("invalid_argument", err.kind)
      assert.truthy(err.message:find(field, 1, true), err.message)
    end

    it("a price key that names no class, and a class without a price", function()
      local t = base(0.2)
      t.periods[1].prices.peak = 0.3
      refused(t, "tariff.periods[1].prices.peak")
      refused(hphc(0.2, nil), "tariff.periods[1].prices.hc")
    end)

    it("an unknown colour in a class or in the colours", function()
      local t = hphc(0.2, 0.1)
      t.classes[1].colour = "green"
      refused(t, "tariff.classes[1].colour")
      refused(TEMPO, 'colours["2026-06-10"]', { colours = { ["2026-06-09"] = "blue", ["2026-06-10"] = "pink" } })
    end)

    it("a date before the first period, and periods unsorted or repeated", function()
      refused(base(0.2, 0, "2026-06-11"), "tariff.periods[1].from")
      local t = base(0.2)
      t.periods[2] = { from = "2025-01-01", prices = { base = 0.1 } }
      refused(t, "tariff.periods[2].from")
      t.periods[2].from = "2026-01-01"
      refused(t, "tariff.periods[2].from")
    end)

    it("bad hours, days, prices and subscriptions", function()
      local t = hphc(0.2, 0.1)
      t.classes[1].hours = { "25:00-06:00" }
      refused(t, "tariff.classes[1].hours")
      t = hphc(0.2, 0.1)
      t.classes[1].days = { "someday" }
      refused(t, "tariff.classes[1].days[1]")
      refused(base(-1), "tariff.periods[1].prices.base")
      refused(base(0.2, "15,5"), "tariff.periods[1].subscription") -- a decimal string has a point
      refused(base(0.2, "fifteen"), "tariff.periods[1].subscription")
    end)

    it("prices outside 0 <= price < 10 EUR/kWh, subscriptions outside 0 <= s < 1,000 EUR/month", function()
      for _, price in ipairs { 1e308, 10, math.huge, -math.huge, 0 / 0, -0.000001, 0.1234567 } do
        refused(base(price), "tariff.periods[1].prices.base")
      end
      for _, sub in ipairs { 1e308, 1000, math.huge, 0 / 0, -0.01, 15.0000001 } do
        refused(base(0.2, sub), "tariff.periods[1].subscription")
      end
      for _, price in ipairs { 0, 9.999999, 0.1952 } do assert(linky.cost(curve("2026-06-10", "2026-06-11", 1), base(price))) end
      assert(linky.cost(curve("2026-06-10", "2026-06-11", 1), base(0.2, 999.999999)))
      refused({ periods = {}, classes = { { name = "x" } } }, "tariff.periods")
      refused({ periods = { { from = "2026-01-01", prices = {} } } }, "tariff.classes")
    end)

    it("and never raises for a tariff of the wrong shape", function()
      for _, t in ipairs { 1, "x", {}, { classes = 1 }, { classes = { 1 } }, { classes = { {} } },
                           { classes = { { name = "a" } }, periods = { 1 } },
                           { classes = { { name = "a" } }, periods = { { from = 1 } } } } do
        local c, err = linky.cost(curve("2026-06-10", "2026-06-11", 1000), t)
        assert.is_nil(c)
        assert.equal("invalid_argument", err.kind)
      end
    end)
  end)
end)

describe("examples/tariffs", function()
  local cjson = require "cjson"

  for _, name in ipairs { "base", "hphc", "tempo", "weekend" } do
    it(name .. ".json is a valid tariff that names its source and the date of its prices", function()
      local f = assert(io.open("examples/tariffs/" .. name .. ".json", "rb"))
      local tariff = cjson.decode(f:read("*a"))
      f:close()
      assert.truthy(tariff.source:find("illustrative", 1, true))
      assert.truthy(tariff.prices_date:match("^%d%d%d%d%-%d%d%-%d%d$"))
      local colours = setmetatable({}, { __index = function() return "white" end })
      local c = assert(linky.cost(curve("2026-06-10", "2026-06-11", 1000), tariff, { colours = colours }))
      near(24, c.kwh)
    end)
  end

  it("Option_Base.csv is a CRE file of cited rows the parser reads", function()
    local f = assert(io.open("examples/tariffs/Option_Base.csv", "rb"))
    local text = f:read("*a")
    f:close()
    local t = assert(require("linky.cre").tariff(text, 9))
    assert.same({ "235.9", "0.19266" }, { t.periods[#t.periods].subscription_year, t.periods[#t.periods].prices.base })
    assert.truthy(io.open("examples/tariffs/README.md"):read("*a"):find("Option_Base.csv", 1, true))
  end)
end)

describe("linky.cost exact money (issue 27)", function()
  local function refused(tariff, field, res)
    local c, err = linky.cost(res or curve("2026-06-10", "2026-06-11", 1000), tariff)
    assert.is_nil(c)
    assert.equal("invalid_argument", err.kind)
    assert.truthy(err.message:find(field, 1, true), err.message)
  end

  it("reads a price through its shortest decimal form, or from a decimal string", function()
    assert.equal(195200, cost.decimal(0.1952, 6, 10)) -- the float is 0.19519999999999998...
    assert.equal(192660, cost.decimal("0.19266", 6, 10))
    assert.equal(235900000, cost.decimal("235.9", 6, 12000))
    assert.equal(1000, cost.decimal("1e-3", 6, 10))
    assert.equal(100000, cost.decimal("0.1000000", 6, 10)) -- trailing zeros are no decimals
    assert.same({ nil, "places" }, { cost.decimal(0.1234567, 6, 10) })
    assert.same({ nil, "places" }, { cost.decimal("1e-7", 6, 10) })
    assert.same({ nil, "syntax" }, { cost.decimal("0,1952", 6, 10) })
    assert.same({ nil, "range" }, { cost.decimal("-0.1", 6, 10) })
    assert.same({ nil, "range" }, { cost.decimal(10, 6, 10) })
    local by_string = assert(linky.cost(curve("2026-06-10", "2026-06-11", 1000), base("0.2", "15")))
    near(5.3, by_string.total) -- 24 kWh × 0.20 + 15 / 30
  end)

  it("shares subscription_year among the days of the calendar year, never with subscription", function()
    local t = base(0.2)
    t.periods[1].subscription, t.periods[1].subscription_year = nil, "365"
    local c = assert(linky.cost(curve("2026-12-31", "2027-01-02", 0), t))
    near(1, c.days[1].subscription) -- 365 / 365 days of 2026
    near(1, c.days[2].subscription)
    t.periods[1].from = "2028-01-01"
    near(365 / 366, assert(linky.cost(curve("2028-02-29", "2028-03-01", 0), t)).subscription)
    t.periods[1].subscription = 1
    refused(t, "subscription_year", curve("2028-02-29", "2028-03-01", 0))
    t.periods[1].subscription, t.periods[1].subscription_year = nil, 12000
    refused(t, "tariff.periods[1].subscription_year", curve("2028-02-29", "2028-03-01", 0))
  end)

  it("gives no price after tariff.ends", function()
    local t = base(0.2)
    t.ends = "2026-06-10"
    assert(linky.cost(curve("2026-06-10", "2026-06-11", 1000), t))
    refused(t, "tariff.ends", curve("2026-06-10", "2026-06-12", 1000))
    local checked = assert(cost.check(t))
    assert.is_nil(cost.check_range(checked, "2026-06-10", "2026-06-12"))
    t.ends = "2025-12-31"
    refused(t, "tariff.ends")
  end)

  it("shows 7 decimals half up, and the rows of a column adding up to its total", function()
    -- three days of 1 kWh at 0.333335 EUR: 0.333335 each, 1.000005 in all
    local res = curve("2026-06-10", "2026-06-13", 0)
    for i, p in ipairs(res.points) do p.value = i % 48 == 1 and 2000 or 0 end -- 1 kWh at 00:00-00:30
    local x = assert(cost.price(res, base(0.333335)))
    assert.equal("1.0000050", cost.format_decimal(x.energy))
    assert.equal("1.00", cost.format_money(x.energy)) -- 1.000005 to the cent
    -- each day alone shows 0.33 (0.333335): 0.99 in all, not the total's 1.00; largest
    -- remainder gives the cent left to the first of the equal remainders
    local list = {}
    for i, d in ipairs(x.days) do list[i] = d.energy end
    local rows, total = cost.money_column(list, x.energy)
    assert.same({ "0.34", "0.33", "0.33" }, rows)
    assert.equal("1.00", total)
    -- half-up ties: 0.005 shows 0.01; 0.0000005 EUR shows 0.0000005, 0.00000005 rounds up
    local half = cost.row()
    half.energy.u = 5000
    assert.equal("0.01", cost.format_money(half.energy))
    local rows2, total2 = cost.kwh_column({ 1800, 1800, 1800 }, 5400) -- 0.5 Wh each, 1.5 Wh in all
    assert.same({ "0.001", "0.001", "0.000" }, rows2)
    assert.equal("0.002", total2)
  end)

  it("gives the signed difference of two amounts", function()
    local a, b = cost.row().energy, cost.row().energy
    a.u, b.u = 1500000, 1250000
    local d, sign = cost.difference(b, a)
    assert.same({ 250000, -1 }, { d.u, sign })
    d, sign = cost.difference(a, b)
    assert.same({ 250000, 1 }, { d.u, sign })
    assert.equal(0, select(2, cost.difference(a, a)))
  end)
end)
