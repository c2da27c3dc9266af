-- Which offer would have been cheapest (linky.compare): hand-computed offers on constant-power
-- days, the days an offer does not cover named and left out, never priced as blue.
local linky = require "linky"
local core = require "linky.core"
local cre = require "linky.cre"

local function read(name)
  local f = assert(io.open("spec/fixtures/cre/" .. name, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

local function curve(first, stop, watts, gaps)
  local points = {}
  local t, last = core.to_epoch(first .. " 00:00:00"), core.to_epoch(stop .. " 00:00:00")
  while t < last do
    t = t + 1800
    points[#points + 1] = { time = t, value = watts, step = 1800 }
  end
  return { kind = "consumption_load_curve", unit = "W", start = first, ["end"] = stop, points = points,
           gaps = gaps or {} }
end

local function near(expected, got)
  assert.is_true(math.abs(expected - got) < 1e-9, ("expected %.12g, got %.12g"):format(expected, got))
end

describe("linky.compare", function()
  local base = assert(cre.tariff(read("Option_Base_midmonth.csv"), 9))
  local tempo = assert(cre.tariff(read("Option_Tempo.csv"), 9))

  it("prices one load curve with each offer, the first the reference of the differences", function()
    local colours = { ["2026-02-13"] = "blue", ["2026-02-14"] = "white", ["2026-02-15"] = "blue" }
    local offers = assert(linky.compare(curve("2026-02-14", "2026-02-16", 1000), { base, tempo },
      { colours = colours }))
    local b, t = offers[1], offers[2]
    assert.equal("Base 9 kVA (CRE, TTC)", b.name)
    -- Base: 24 kWh × 0.1952 (14th) + 24 × 0.19266 (15th, the new price) = 9.30864;
    -- 233.70 / 365 + 235.90 / 365 = 469.6 / 365 = 1.28657534...
    near(9.30864, b.energy)
    near(469.6 / 365, b.subscription)
    near(9.30864 + 469.6 / 365, b.total)
    near(0, b.difference)
    assert.same({ 48, 0, 2, false }, { b.kwh, b.unpriced_kwh, b.days, b.partial })
    -- Tempo, fixed part 0: the 14th: 00-06 blue HC (tariff day 13) 6 × 0.1325 = 0.795,
    -- 06-22 white HP 16 × 0.1871 = 2.9936, 22-24 white HC 2 × 0.1499 = 0.2998: 4.0884;
    -- the 15th: 00-06 white HC 6 × 0.1499 = 0.8994, 06-22 blue HP 16 × 0.1612 = 2.5792,
    -- 22-24 blue HC 2 × 0.1325 = 0.265: 3.7436; 7.832 in all
    near(7.832, t.total)
    near(7.832 - (9.30864 + 469.6 / 365), t.difference)
    assert.same({ 48, 0, 2, false }, { t.kwh, t.unpriced_kwh, t.days, t.partial })
  end)

  it("names the days without a colour and leaves them out, never priced as blue", function()
    local offers = assert(linky.compare(curve("2026-02-14", "2026-02-16", 1000), { base, tempo },
      { colours = { ["2026-02-13"] = "blue", ["2026-02-14"] = "white" } })) -- no colour for the 15th
    local t = offers[2]
    near(4.0884, t.total) -- the 14th alone
    assert.same({ 24, 24, 1, true }, { t.kwh, t.unpriced_kwh, t.days, t.partial })
    assert.same({ { start = "2026-02-15", ["end"] = "2026-02-16", reason = "no colour" } }, t.not_covered)
    assert.is_false(offers[1].partial) -- Base needs no colour
  end)

  it("names the days without data and the days without a price", function()
    local res = curve("2026-01-31", "2026-02-03", 1000, { { start = "2026-02-02", ["end"] = "2026-02-03",
                                                             reason = "missing" } })
    for i = #res.points, 1, -1 do
      if res.points[i].time > core.to_epoch("2026-02-02 00:00:00") then table.remove(res.points, i) end
    end
    local offers = assert(linky.compare(res, { base, tempo },
      { colours = { ["2026-01-30"] = "blue", ["2026-01-31"] = "blue", ["2026-02-01"] = "blue",
                    ["2026-02-02"] = "blue" } }))
    -- Base from 2025-08-01 covers the 31st and the 1st; the 2nd has no data
    assert.same({ 2, 48, 0 }, { offers[1].days, offers[1].kwh, offers[1].unpriced_kwh })
    assert.same({ { start = "2026-02-02", ["end"] = "2026-02-03", reason = "no data (missing)" } },
      offers[1].not_covered)
    -- Tempo's prices start on the tariff day 2026-02-01, at 06:00: the 31st has none, nor the
    -- 1st's first 6 hours (tariff day 31): both days left out, their 48 kWh unpriced
    assert.same({ 0, 0, 48 }, { offers[2].days, offers[2].kwh, offers[2].unpriced_kwh })
    assert.same({ { start = "2026-01-31", ["end"] = "2026-02-02", reason = "no price" },
                  { start = "2026-02-02", ["end"] = "2026-02-03", reason = "no data (missing)" } }, offers[2].not_covered)
  end)

  it("names the offer of a bad tariff, and raises for arguments of the wrong type", function()
    local _, err = linky.compare(curve("2026-02-14", "2026-02-15", 1000), { base, { classes = {} } })
    assert.equal("invalid_argument", err.kind)
    assert.truthy(err.message:find("tariffs[2]", 1, true), err.message)
    assert.equal("invalid_argument", select(2, linky.compare(curve("2026-02-14", "2026-02-15", 1), {})).kind)
    assert.has_error(function() linky.compare(nil, { base }) end)
    assert.has_error(function() linky.compare(curve("2026-02-14", "2026-02-15", 1), "x") end)
  end)
end)
