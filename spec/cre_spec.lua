-- The regulator's files (linky.cre): a CRE open-data file to a linky tariff of one power, priced
-- by hand on the cited rows of spec/fixtures/cre/ (see its README for each row's source).
local linky = require "linky"
local core = require "linky.core"
local cost = require "linky.cost"
local cre = require "linky.cre"

local DIR = "spec/fixtures/cre/"

local function read(name)
  local f = assert(io.open(DIR .. name, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

-- A load-curve result of `watts` constant power over the Paris days [first, stop).
local function curve(first, stop, watts)
  local points = {}
  local t, last = core.to_epoch(first .. " 00:00:00"), core.to_epoch(stop .. " 00:00:00")
  while t < last do
    t = t + 1800
    points[#points + 1] = { time = t, value = watts, step = 1800 }
  end
  return { kind = "consumption_load_curve", unit = "W", start = first, ["end"] = stop, points = points, gaps = {} }
end

local function near(expected, got)
  assert.is_true(math.abs(expected - got) < 1e-9, ("expected %.12g, got %.12g"):format(expected, got))
end

local function refused(text, kva, opts)
  local t, err = cre.tariff(text, kva, opts)
  assert.is_nil(t)
  assert.equal("invalid_argument", err.kind)
  return err
end

local HEADER = "DATE_DEBUT;DATE_FIN;P_SOUSCRITE;PART_FIXE_HT;PART_FIXE_TTC;PART_VARIABLE_HT;PART_VARIABLE_TTC\n"
local ROW_2012 = "23/07/2012;31/07/2013;9;76,08;96,97;0,0848;0,1287\n"     -- Option_Base.csv, 9 kVA
local ROW_2024 = "01/02/2024;31/01/2025;9;154,08;190,91;0,1887;0,2516\n"
local ROW_2025 = "01/02/2025;31/07/2025;9;167,88;208,55;0,1343;0,2016\n"

describe("linky.cre", function()
  it("turns Option_Base.csv into a tariff holding every dated period of one power, TTC", function()
    local t = assert(cre.tariff(read("Option_Base.csv"), 9))
    assert.equal("Base 9 kVA (CRE, TTC)", t.name)
    assert.equal("base", t.option)
    assert.truthy(t.source:find("TTC", 1, true))
    assert.same({ { name = "base" } }, t.classes)
    assert.same({
      { from = "2024-02-01", subscription_year = "190.91", prices = { base = "0.2516" } },
      { from = "2025-02-01", subscription_year = "208.55", prices = { base = "0.2016" } },
      { from = "2025-08-01", subscription_year = "233.70", prices = { base = "0.1952" } },
      { from = "2026-02-01", subscription_year = "235.9", prices = { base = "0.19266" } },
    }, t.periods)
    assert.is_nil(t.ends) -- the last row is current: empty DATE_FIN
    assert.equal("6 kVA", assert(cre.tariff(read("Option_Base.csv"), 6)).name:match("%d+ kVA"))
    assert(cost.check(t))
  end)

  it("prices a change in the middle of a month, the fixed part per day of its calendar year", function()
    local t = assert(cre.tariff(read("Option_Base_midmonth.csv"), 9)) -- CRLF line ends
    assert.equal("2026-02-15", t.periods[2].from)
    local x = assert(cost.price(curve("2026-02-01", "2026-03-01", 1000), t))
    -- 1000 W is 24 kWh a day: 14 days at 0.1952 = 65.5872, 14 days at 0.19266 = 64.73376
    assert.equal("130.32", cost.format_money(x.energy))
    assert.equal("130.3209600", cost.format_decimal(x.energy))
    -- 14 × 233.70 / 365 + 14 × 235.90 / 365 = 6574.4 / 365 = 18.01205479452...
    assert.equal("18.0120548", cost.format_decimal(x.subscription))
    assert.equal("148.3330148", cost.format_decimal(cost.total(x))) -- 148.33301479452...
    assert.equal("148.33", cost.format_money(cost.total(x)))
    local c = assert(linky.cost(curve("2026-02-14", "2026-02-16", 1000), t))
    near(24 * 0.1952, c.days[1].energy)
    near(24 * 0.19266, c.days[2].energy)
    near(233.70 / 365, c.days[1].subscription) -- 0.64027397...
    near(235.9 / 365, c.days[2].subscription) -- 0.64630136...
  end)

  it("shares a fixed part among the 366 days of a leap year", function()
    local t = assert(cre.tariff(read("Option_Base.csv"), 9))
    local c = assert(linky.cost(curve("2024-02-01", "2024-03-01", 1000), t))
    near(29 * 190.91 / 366, c.subscription) -- 15.1267486...
    near(29 * 24 * 0.2516, c.energy) -- 696 kWh: 175.1136
  end)

  it("recognises Tempo from the header, skips the row not offered, and defaults to 22:00-06:00", function()
    local text = read("Option_Tempo.csv")
    assert.equal("tempo", cre.option(text))
    local t = assert(cre.tariff(text, 9))
    assert.equal("06:00", t.day_starts)
    assert.same({ "22:00-06:00" }, t.classes[1].hours)
    assert.same({ name = "blue_hp", colour = "blue" }, t.classes[2])
    assert.equal("0.706", t.periods[1].prices.red_hp)
    local c = assert(linky.cost(curve("2026-02-10", "2026-02-11", 1000), t,
      { colours = { ["2026-02-09"] = "red", ["2026-02-10"] = "blue" } }))
    -- 00:00-06:00 red HC 6 kWh × 0.1575 = 0.945; 06:00-22:00 blue HP 16 × 0.1612 = 2.5792;
    -- 22:00-24:00 blue HC 2 × 0.1325 = 0.265: 3.7892
    near(3.7892, c.energy)
    local err = refused(text, 3) -- every price cell of the 3 kVA row is empty: not offered
    assert.same({ 9 }, err.powers)
    local other = assert(cre.tariff(text, 9, { hc = { "23:00-07:00" } }))
    assert.same({ "23:00-07:00" }, other.classes[5].hours)
  end)

  it("lists the powers the file has when the one asked is absent", function()
    local err = refused(read("Option_Base.csv"), 12)
    assert.same({ 6, 9 }, err.powers)
    assert.truthy(err.message:find("6, 9 kVA", 1, true), err.message)
  end)

  it("needs --hc for HP/HC and refuses it for Base", function()
    local hphc = "DATE_DEBUT;DATE_FIN;P_SOUSCRITE;PART_FIXE_HT;PART_FIXE_TTC;PART_VARIABLE_HC_HT;"
      .. "PART_VARIABLE_HC_TTC;PART_VARIABLE_HP_HT;PART_VARIABLE_HP_TTC\n"
    assert.equal("hphc", cre.option(hphc))
    assert.truthy(refused(hphc, 9).message:find("--hc", 1, true))
    assert.is_nil(refused(hphc, 9, { hc = { "22:00-06:00" } }).line) -- past the hours: no 9 kVA row
    assert.truthy(refused(hphc, 9, { hc = { "25:00-06:00" } }).message:find("--hc", 1, true))
    assert.truthy(refused(read("Option_Base.csv"), 9, { hc = { "22:00-06:00" } }).message:find("--hc", 1, true))
  end)

  it("names both lines of a gap or an overlap between two rows of one power", function()
    local err = refused(HEADER .. ROW_2012 .. ROW_2024, 9) -- 01/08/2013 to 31/01/2024 missing
    assert.same({ 3, 2 }, { err.line, err.other_line })
    err = refused(HEADER .. ROW_2024 .. ROW_2025 .. ROW_2024, 9)
    assert.same({ 4, 2 }, { err.line, err.other_line })
    err = refused(HEADER .. ROW_2025:gsub("31/07/2025", "") .. ROW_2024:gsub("^01/02/2024;31/01/2025",
      "01/08/2025;"), 9) -- a current row (empty DATE_FIN) followed by another
    assert.same({ 3, 2 }, { err.line, err.other_line })
  end)

  it("names the line and column of a header, date or number that does not parse", function()
    local function at(text, line, column, field)
      local err = refused(text, 9)
      assert.same({ line, column, field }, { err.line, err.column, err.field })
    end
    at("DATE;PRIX\n", 1, nil, nil)
    at(HEADER:gsub("PART_FIXE_HT", "DATE_FIN"), 1, 4, "DATE_FIN")
    at(HEADER .. "32/01/2024;31/01/2025;9;154,08;190,91;0,1887;0,2516\n", 2, 1, "DATE_DEBUT")
    at(HEADER .. "01/02/2024;2025-01-31;9;154,08;190,91;0,1887;0,2516\n", 2, 2, "DATE_FIN")
    at(HEADER .. ROW_2024 .. "01/02/2025;31/07/2025;9;167,88;208,55;0,1343;0.2016\n", 3, 7, "PART_VARIABLE_TTC")
    at(HEADER .. "01/02/2024;31/01/2025;9;154,08;190,91;0,1887;0,2516001\n", 2, 7, "PART_VARIABLE_TTC")
    at(HEADER .. "01/02/2024;31/01/2025;9;154,08;190,91;0,1887\n", 2, 7, nil)
    at(HEADER .. "01/02/2024;31/01/2025;neuf;154,08;190,91;0,1887;0,2516\n", 2, 3, "P_SOUSCRITE")
    at(HEADER .. "01/02/2024;31/01/2025;9;154,08;;0,1887;0,2516\n", 2, 5, "PART_FIXE_TTC")
    at(HEADER .. "01/02/2024;31/01/2023;9;154,08;190,91;0,1887;0,2516\n", 2, 2, "DATE_FIN")
  end)

  it("refuses a file over 1 MiB and never raises on bytes", function()
    assert.is_nil(cre.tariff(HEADER .. (" "):rep(cre.MAX_BYTES), 9))
    for _, text in ipairs { "", "\n\n", ";;;;", HEADER .. ";;;;;;\n", HEADER .. ("9;"):rep(100) .. "\n",
                            HEADER .. "\0\255\n", "\239\187\191" .. HEADER .. ROW_2024 } do
      local ok, t, err = pcall(cre.tariff, text, 9)
      assert.is_true(ok, tostring(t))
      assert.is_true(t ~= nil or err.kind == "invalid_argument")
    end
  end)
end)
