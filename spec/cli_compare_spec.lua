-- `linky tariff`, `linky cost --cre` and `linky compare`: the regulator's file as a tariff, the
-- same figures as the library's, every file checked before any request, and the README's
-- comparison of a year of the emulator's load curve.
local linky = require "linky"
local cjson = require "cjson"
local core = require "linky.core"
local cre = require "linky.cre"
local emu = require "spec.support.emulator_spec_helper"
local runner = require "spec.support.cli_runner"

local FIXTURES = runner.ROOT .. "/spec/fixtures/cre/"
local EXAMPLES = runner.ROOT .. "/examples/tariffs/"

describe("linky tariff, cost --cre and compare", function()
  local server, r

  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)
  before_each(function()
    server:reset()
    r = runner.new()
  end)
  after_each(function() r:remove() end)

  local function linky_cmd(args, env)
    local all = { args[1], "--base-url", server.url, "--token-file", r.token_file }
    for i = 2, #args do all[#all + 1] = args[i] end
    return r:run(all, { env = env })
  end

  it("linky tariff writes every dated period of the power, prices digit for digit", function()
    local out = linky_cmd { "tariff", "--cre", FIXTURES .. "Option_Base.csv", "--kva", "9" }
    assert.equal(0, out.code, out.err)
    assert.truthy(out.out:find('"base":0.19266', 1, true), out.out)
    assert.truthy(out.out:find('"subscription_year":235.9', 1, true), out.out)
    local t = cjson.decode(out.out)
    assert.equal("Base 9 kVA (CRE, TTC)", t.name)
    assert.same({ "2024-02-01", "2025-02-01", "2025-08-01", "2026-02-01" },
      { t.periods[1].from, t.periods[2].from, t.periods[3].from, t.periods[4].from })
    assert.same({}, server:api_requests())
  end)

  it("exits 2 naming the file, line and column, the powers, and the --hc rules", function()
    local function refused(code, args, ...)
      local out = linky_cmd(args)
      assert.equal(code, out.code, out.err)
      for _, word in ipairs { ... } do assert.truthy(out.err:find(word, 1, true), out.err) end
    end
    local bad = r:write("bad.csv", emu.read_file(FIXTURES .. "Option_Base.csv"):gsub("0,2016\n", "0.2016\n", 1))
    refused(2, { "tariff", "--cre", bad, "--kva", "9" }, bad, "line 4 column 7 (PART_VARIABLE_TTC)")
    refused(2, { "tariff", "--cre", FIXTURES .. "Option_Base.csv", "--kva", "12" }, "6, 9 kVA")
    refused(2, { "tariff", "--cre", FIXTURES .. "Option_Base.csv", "--kva", "9", "--hc", "22:00-06:00" }, "--hc")
    local hphc = r:write("hphc.csv", "DATE_DEBUT;DATE_FIN;P_SOUSCRITE;PART_FIXE_TTC;PART_VARIABLE_HC_TTC;"
      .. "PART_VARIABLE_HP_TTC\n")
    refused(2, { "tariff", "--cre", hphc, "--kva", "9" }, "--hc")
    refused(2, { "tariff", "--cre", FIXTURES .. "Option_Base.csv", "--kva", "nine" }, "--kva")
    refused(8, { "tariff", "--cre", r.dir .. "/none.csv", "--kva", "9" }, "none.csv")
    local big = r:write("big.csv", ("x"):rep(1024 * 1024 + 1))
    refused(2, { "tariff", "--cre", big, "--kva", "9" }, "1 MiB")
    refused(2, { "cost", "--cre", bad, "--kva", "9", "--start", "2026-03-28" }, "line 4")
    refused(2, { "compare", "--cre", FIXTURES .. "Option_Base.csv", "--start", "2026-03-28" }, "--kva")
    assert.same({}, server:api_requests())
  end)

  it("linky cost --cre gives the library's figures", function()
    local out = linky_cmd { "cost", "--cre", FIXTURES .. "Option_Base_midmonth.csv", "--kva", "9",
                            "--start", "2026-02-10", "--end", "2026-02-20", "--format", "json" }
    assert.equal(0, out.code, out.err)
    local tariff = assert(cre.tariff(emu.read_file(FIXTURES .. "Option_Base_midmonth.csv"), 9))
    local c = assert(linky.new { token = emu.TOKEN1, base_url = server.url, state = false, min_interval = 0 })
    local want = assert(linky.cost(assert(c:consumption_load_curve("2026-02-10", "2026-02-20")), tariff))
    assert.is_true(math.abs(want.total - cjson.decode(out.out).total) <= 5.001e-8)
  end)

  -- Colours for the README's year: every day blue but 22 red weekdays from 2025-12-01 and 43 white
  -- days (never a Sunday) from 2026-01-05 that are not red: a season within RTE's rules.
  local function season()
    local lines, red, white = { "date,colour" }, 0, 0
    local day = core.day_number("2025-07-31")
    for _ = 1, 367 do
      local date = core.date_of_day(day)
      local weekday = (day + 4) % 7
      local colour = "blue"
      if date >= "2025-12-01" and weekday ~= 0 and weekday ~= 6 and red < 22 then
        colour, red = "red", red + 1
      elseif date >= "2026-01-05" and weekday ~= 0 and white < 43 then
        colour, white = "white", white + 1
      end
      lines[#lines + 1] = date .. "," .. colour
      day = day + 1
    end
    return table.concat(lines, "\n") .. "\n"
  end

  it("compares offers on a year of the load curve, as the README shows", function()
    r:write("tempo.csv", season())
    -- a year is 53 requests, more than a budget window: the README fills the store first with
    -- `linky backfill` over two windows; here the library fills it at once, with a larger budget
    local state = r.dir .. "/state.sqlite3"
    local c = assert(linky.new { token = emu.TOKEN1, base_url = server.url, state = state, min_interval = 0,
                                 budget = { requests = 60, window = 43200 } })
    assert(c:consumption_load_curve("2025-08-01", "2026-08-01"))
    c:close()
    local sent = #server:api_requests()
    local out = linky_cmd({ "compare", "--state", state, "--cre", EXAMPLES .. "Option_Base.csv", "--kva", "9",
                            "--tariff", EXAMPLES .. "tempo.json", "--colours", "tempo.csv", "--last", "12m" },
                          { LINKY_TODAY = "2026-08-01" })
    assert.equal(0, out.code, out.err)
    assert.equal(sent, #server:api_requests()) -- served from the store
    -- the README's comparison, figure for figure
    assert.equal(table.concat({
      "offer                              days         kWh  unpriced kWh     energy  subscription      total  difference",
      "Tempo 9 kVA (illustrative prices)   364    5674.718         6.650    1000.56        199.02    1199.59        0.00",
      "Base 9 kVA (CRE, TTC)               365    5681.367         0.000    1102.59        234.79    1337.38     +137.80",
      "not covered by Tempo 9 kVA (illustrative prices): 2025-08-01 no price",
      "" }, "\n"), out.out)
    local json = linky_cmd({ "compare", "--state", state, "--cre", EXAMPLES .. "Option_Base.csv", "--kva", "9",
                             "--tariff", EXAMPLES .. "tempo.json", "--colours", "tempo.csv", "--last", "12m",
                             "--format", "json" }, { LINKY_TODAY = "2026-08-01" })
    assert.equal(0, json.code, json.err)
    local offers = cjson.decode(json.out).offers
    assert.same({ true, false, 364, 365 }, { offers[1].partial, offers[2].partial, offers[1].days, offers[2].days })
    assert.same({ start = "2025-08-01", ["end"] = "2025-08-02", reason = "no price" }, offers[1].not_covered[1])
    assert.is_true(math.abs(offers[2].difference - 137.80) < 0.005)
    assert.truthy(json.out:find('"difference":137%.%d%d%d%d%d%d%d'), json.out)
    local readme = emu.read_file(runner.ROOT .. "/README.md")
    assert.truthy(readme:find(out.out, 1, true), "README.md does not show this comparison")
  end)
end)
