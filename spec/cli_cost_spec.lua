-- `linky cost`: its totals are the library's, it plans first and is served from the store, and a
-- bad tariff or colours file is a usage error naming what is wrong.
local linky = require "linky"
local cjson = require "cjson"
local emu = require "spec.support.emulator_spec_helper"
local runner = require "spec.support.cli_runner"

local TARIFFS = runner.ROOT .. "/examples/tariffs/"

describe("linky cost", function()
  local server, r

  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)
  before_each(function()
    server:reset()
    r = runner.new()
  end)
  after_each(function() r:remove() end)

  local function cost(args)
    local all = { "cost", "--base-url", server.url, "--token-file", r.token_file }
    for _, a in ipairs(args) do all[#all + 1] = a end
    return r:run(all)
  end

  local function library(tariff_file, opts)
    local f = assert(io.open(tariff_file, "rb"))
    local tariff = cjson.decode(f:read("*a"))
    f:close()
    local c = assert(linky.new { token = emu.TOKEN1, base_url = server.url, state = false, min_interval = 0 })
    local res = assert(c:consumption_load_curve("2026-03-28", "2026-04-02"))
    return assert(linky.cost(res, tariff, opts))
  end

  it("gives the library's totals, per day and per month", function()
    local out = cost { "--tariff", TARIFFS .. "hphc.json", "--start", "2026-03-28", "--end", "2026-04-02",
                       "--format", "json", "--by", "month" }
    assert.equal(0, out.code, out.err)
    local got = cjson.decode(out.out)
    local want = library(TARIFFS .. "hphc.json")
    assert.is_true(math.abs(want.total - got.total) < 1e-9)
    assert.is_true(math.abs(want.energy - got.energy) < 1e-9)
    assert.is_true(math.abs(want.kwh - got.kwh) < 1e-9)
    assert.equal(5, #got.days)
    assert.same({ "2026-03", "2026-04" }, { got.periods[1].date, got.periods[2].date })
    local csv = cost { "--tariff", TARIFFS .. "hphc.json", "--start", "2026-03-28", "--end", "2026-04-02",
                       "--format", "csv" }
    assert.equal(0, csv.code)
    assert.truthy(csv.out:find(("\ntotal,%.3f,"):format(want.kwh), 1, true), csv.out)
    assert.truthy(csv.out:find((",%.2f\n$"):format(want.total)), csv.out)
  end)

  it("prices Tempo days with the colours of a CSV file", function()
    local colours = r:write("colours.csv", "date,colour\n2026-03-27,red\n2026-03-28,blue\n2026-03-29,white\n"
      .. "2026-03-30,red\n2026-03-31,blue\n2026-04-01,blue\n2026-05-01,red\n")
    local out = cost { "--tariff", TARIFFS .. "tempo.json", "--colours", colours, "--start", "2026-03-28",
                       "--end", "2026-04-02", "--format", "json" }
    assert.equal(0, out.code, out.err)
    local want = library(TARIFFS .. "tempo.json", { colours = { ["2026-03-27"] = "red", ["2026-03-28"] = "blue",
      ["2026-03-29"] = "white", ["2026-03-30"] = "red", ["2026-03-31"] = "blue", ["2026-04-01"] = "blue" } })
    assert.is_true(math.abs(want.total - cjson.decode(out.out).total) < 1e-9)
  end)

  it("is served from the store the second time, and warns about missing days", function()
    server:script { { error = "no_data_404", type = "courbe_de_charge_consommation" } }
    local args = { "--tariff", TARIFFS .. "base.json", "--start", "2026-03-25", "--end", "2026-04-02" }
    local first = cost(args)
    assert.equal(0, first.code, first.err)
    assert.truthy(first.err:find("without data", 1, true), first.err)
    local sent = #server:api_requests()
    local again = cost(args)
    assert.equal(0, again.code, again.err)
    assert.equal(sent, #server:api_requests())
  end)

  it("exits 2 naming the field of a bad tariff, before any request", function()
    local bad = r:write("bad.json", '{"periods":[{"from":"2026-01-01","prices":{"base":0.2,"peak":0.3}}],'
      .. '"classes":[{"name":"base"}]}')
    local out = cost { "--tariff", bad }
    assert.equal(2, out.code)
    assert.truthy(out.err:find("tariff.periods[1].prices.peak", 1, true), out.err)
    assert.equal(2, cost({ "--tariff", r:write("not.json", "{oops") }).code)
    assert.equal(2, cost({ "--tariff", TARIFFS .. "tempo.json", "--colours",
      r:write("c.csv", "day,colour\n") }).code)
    assert.equal(2, cost({ "--tariff", TARIFFS .. "hphc.json", "--daily" }).code)
    assert.equal(2, cost({}).code)
    assert.equal(8, cost({ "--tariff", r.dir .. "/missing.json" }).code)
    assert.same({}, server:api_requests())
  end)
end)
