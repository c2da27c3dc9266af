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
    -- JSON carries 7 decimals, rounded once half up: within half a unit of the 7th
    assert.is_true(math.abs(want.total - got.total) <= 5.001e-8, ("%.12f %.12f"):format(want.total, got.total))
    assert.is_true(math.abs(want.energy - got.energy) <= 5.001e-8, ("%.12f %.12f"):format(want.energy, got.energy))
    assert.truthy(out.out:find('"total":%d+%.%d%d%d%d%d%d%d[,\n]'), out.out)
    assert.is_true(math.abs(want.kwh - got.kwh) < 1e-9)
    assert.equal(5, #got.days)
    assert.same({ "2026-03", "2026-04" }, { got.periods[1].date, got.periods[2].date })
    local csv = cost { "--tariff", TARIFFS .. "hphc.json", "--start", "2026-03-28", "--end", "2026-04-02",
                       "--format", "csv" }
    assert.equal(0, csv.code)
    -- the 240 half-hours add up to 192391 W: × 1800 s = 346303800 W·s = 96.1955 kWh exactly, a
    -- tie shown half up (the float 96.19549999999999 would print 96.195); 20.888952... EUR
    assert.near(96.1955, want.kwh, 1e-12)
    assert.truthy(csv.out:find("\ntotal,96.196,", 1, true), csv.out)
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
    assert.is_true(math.abs(want.total - cjson.decode(out.out).total) <= 5.001e-8)
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

  describe("checks the tariff and colours files before any request", function()
    local BASE = '{"periods":[{"from":"2026-01-01","subscription":%s,"prices":{"base":%s}}],"classes":[{"name":"base"}]}'
    local RANGE = { "--start", "2026-03-28", "--end", "2026-04-02" }

    local function with(args)
      local all = {}
      for _, a in ipairs(args) do all[#all + 1] = a end
      for _, a in ipairs(RANGE) do all[#all + 1] = a end
      return all
    end

    local function refused(code, args, ...)
      local out = cost(with(args))
      assert.equal(code, out.code, out.err)
      for _, word in ipairs { ... } do assert.truthy(out.err:find(word, 1, true), out.err) end
      assert.same({}, server:api_requests())
      return out
    end

    it("exits 8 naming the path and the reason of a file it cannot read", function()
      local missing = r.dir .. "/missing.json"
      local out = refused(8, { "--tariff", missing }, missing, "No such file")
      assert.is_nil(out.err:find("nil", 1, true))
      refused(8, { "--tariff", r.dir }, r.dir, "directory")
      refused(8, { "--tariff", TARIFFS .. "base.json", "--colours", r.dir .. "/none.csv" }, r.dir .. "/none.csv",
        "No such file")
      refused(8, { "--tariff", TARIFFS .. "base.json", "--colours", r.dir }, r.dir, "directory")
    end)

    it("exits 8 for a file it has no permission to read, as another user", function()
      local path = r:write("private.json", BASE:format(0, 0.2))
      assert(os.execute("chmod 600 " .. emu.quote(path) .. " && chmod 755 " .. emu.quote(r.dir)))
      local all = { "cost", "--base-url", server.url, "--token-file", r.token_file, "--tariff", path }
      local p = assert(io.popen(("setpriv --reuid=65534 --regid=65534 --clear-groups sh -c %s 2>&1; echo \"exit $?\"")
        :format(emu.quote(r:command(with(all)) .. " 2>&1"))))
      local text = p:read("*a")
      p:close()
      assert.truthy(text:find("exit 8\n$"), text)
      assert.truthy(text:find(path .. ": Permission denied", 1, true), text)
      assert.same({}, server:api_requests())
    end)

    it("exits 2 naming the file and the field of a price or subscription out of bounds", function()
      for _, case in ipairs { { 0, "1e308" }, { 0, 10 }, { 0, -0.1 }, { 0, 0.1234567 }, { 1000, 0.2 },
                              { "1e400", 0.2 }, { -1, 0.2 } } do
        local path = r:write("t.json", BASE:format(case[1], case[2]))
        local field = case[1] == 0 and "tariff.periods[1].prices.base" or "tariff.periods[1].subscription"
        refused(2, { "--tariff", path }, path, field)
      end
    end)

    it("exits 2 for bad syntax and a file over 1 MiB; accepts 1 MiB and a BOM", function()
      refused(2, { "--tariff", r:write("not.json", '{"periods": [') }, r.dir .. "/not.json")
      local json = BASE:format(0, 0.2)
      local exact = r:write("big.json", json .. (" "):rep(1024 * 1024 - #json))
      assert.equal(0, cost(with { "--tariff", exact, "--dry-run" }).code)
      local over = r:write("over.json", json .. (" "):rep(1024 * 1024 + 1 - #json))
      refused(2, { "--tariff", over }, over, "1 MiB")
      local bom = r:write("bom.json", "\239\187\191" .. json)
      local out = cost(with { "--tariff", bom, "--dry-run" })
      assert.equal(0, out.code, out.err)
      local colours = r:write("bom.csv", "\239\187\191date,colour\r\n2026-03-27,blue\r\n2026-03-28,blue\r\n"
        .. "2026-03-29,blue\r\n2026-03-30,red\r\n2026-03-31,white\r\n2026-04-01,blue\r\n")
      out = cost(with { "--tariff", TARIFFS .. "tempo.json", "--colours", colours, "--dry-run" })
      assert.equal(0, out.code, out.err)
      local big = r:write("big.csv", "date,colour\n" .. ("\n"):rep(1024 * 1024))
      refused(2, { "--tariff", TARIFFS .. "tempo.json", "--colours", big }, big, "1 MiB")
    end)

    it("exits 2 when the periods do not cover the range", function()
      local late = r:write("late.json", BASE:gsub("2026%-01%-01", "2026-03-30"):format(0, 0.2))
      refused(2, { "--tariff", late }, late, "tariff.periods[1].from", "2026-03-28")
      -- a Tempo day starts at 06:00: the first midnight belongs to the tariff day before
      local tempo = r:write("tempo.json", (emu.read_file(TARIFFS .. "tempo.json"):gsub("2025%-08%-01", "2026-03-28")))
      local colours = r:write("c.csv", "date,colour\n2026-03-27,blue\n2026-03-28,blue\n2026-03-29,blue\n"
        .. "2026-03-30,blue\n2026-03-31,blue\n2026-04-01,blue\n")
      refused(2, { "--tariff", tempo, "--colours", colours }, tempo, "tariff.periods[1].from", "2026-03-27")
    end)

    it("exits 2 for a date given two colours and a bad colour", function()
      local days = "date,colour\n2026-03-27,blue\n2026-03-28,blue\n2026-03-29,blue\n2026-03-30,red\n"
      local twice = r:write("twice.csv", days .. "2026-03-31,blue\n2026-04-01,white\n2026-03-28,red\n")
      refused(2, { "--tariff", TARIFFS .. "tempo.json", "--colours", twice }, twice, "line 8", "2026-03-28")
      local pink = r:write("pink.csv", days .. "2026-03-31,pink\n2026-04-01,white\n")
      refused(2, { "--tariff", TARIFFS .. "tempo.json", "--colours", pink }, pink, "line 6")
    end)
  end)

  describe("Tempo colours", function()
    local RANGE = { "--start", "2026-03-28", "--end", "2026-04-02" }
    local function configured()
      assert(os.execute("mkdir -p " .. emu.quote(r.dir .. "/config/linky")))
      r:write("config/linky/config", "tempo_base_url=" .. server.base .. "\n")
      server:tempo { today = "2026-04-04" }
    end
    local function run(args)
      for _, a in ipairs(RANGE) do args[#args + 1] = a end
      return cost(args)
    end
    local function emulated_colours()
      local res = assert(server:request { path = "/api/joursTempo?periode=2025-2026" })
      local out = {}
      for _, d in ipairs(cjson.decode(res.body)) do out[d.dateJour] = ({ "blue", "white", "red" })[d.codeJour] end
      return out
    end

    it("makes the cost partial for a tariff day without a colour: exit 0, a warning naming the day, linky tempo and --colours", function()
      local short = r:write("short.csv", "date,colour\n2026-03-27,blue\n2026-03-28,blue\n2026-03-29,blue\n"
        .. "2026-03-30,red\n2026-04-01,white\n") -- no 2026-03-31
      local out = run { "--tariff", TARIFFS .. "tempo.json", "--colours", short, "--format", "json" }
      assert.equal(0, out.code, out.err)
      for _, word in ipairs { "2026-03-31", "`linky tempo`", "--colours", "partial" } do
        assert.truthy(out.err:find(word, 1, true), out.err)
      end
      local got = cjson.decode(out.out)
      assert.is_true(got.partial)
      assert.same({ "2026-03-31" }, got.missing_colours)
      local want = library(TARIFFS .. "tempo.json", { colours = { ["2026-03-27"] = "blue", ["2026-03-28"] = "blue",
        ["2026-03-29"] = "blue", ["2026-03-30"] = "red", ["2026-04-01"] = "white" } })
      assert.is_true(math.abs(want.total - got.total) < 5e-8, ("%.9f %.9f"):format(want.total, got.total))
      assert.is_true(math.abs(want.unpriced_kwh - got.unpriced_kwh) < 5e-8,
        ("%.9f %.9f"):format(want.unpriced_kwh, got.unpriced_kwh))
      assert.is_true(got.unpriced_kwh > 0)
      assert.same({}, server:requests_to("tempo")) -- --colours overrides: no request
    end)

    it("gives linky compare the same colours: fetched from the source, no day left without one", function()
      configured()
      local out = r:run { "compare", "--base-url", server.url, "--token-file", r.token_file,
        "--tariff", TARIFFS .. "tempo.json", "--format", "json", RANGE[1], RANGE[2], RANGE[3], RANGE[4] }
      assert.equal(0, out.code, out.err)
      local offers = cjson.decode(out.out).offers
      assert.is_false(offers[1].partial) -- before: every day not covered, "no colour"
      assert.same({}, offers[1].not_covered)
      assert.equal(1, #server:requests_to("tempo")) -- the season, once
      local again = r:run { "compare", "--base-url", server.url, "--token-file", r.token_file,
        "--tariff", TARIFFS .. "tempo.json", "--format", "json", "--offline", RANGE[1], RANGE[2], RANGE[3],
        RANGE[4] }
      assert.equal(0, again.code, again.err)
      assert.is_false(cjson.decode(again.out).offers[1].partial) -- the stored colours, nothing asked
      assert.equal(1, #server:requests_to("tempo"))
    end)

    it("uses the stored colours and fetches the missing ones from the source, once", function()
      configured()
      local out = run { "--tariff", TARIFFS .. "tempo.json", "--format", "json" }
      assert.equal(0, out.code, out.err)
      local got = cjson.decode(out.out)
      assert.is_false(got.partial)
      local want = library(TARIFFS .. "tempo.json", { colours = emulated_colours() })
      assert.is_true(math.abs(want.total - got.total) < 5e-8) -- JSON carries 7 decimals
      assert.equal(2, #server:requests_to("tempo")) -- the season, and the spec's own read of it
      out = run { "--tariff", TARIFFS .. "tempo.json", "--format", "json" }
      assert.equal(0, out.code, out.err)
      assert.equal(2, #server:requests_to("tempo"))
    end)

    it("sends no colour request with --offline: the cost is partial", function()
      configured()
      assert.equal(0, cost({ "--tariff", TARIFFS .. "tempo.json", "--start", "2026-03-28", "--end", "2026-04-02" }).code)
      local out = run { "--tariff", TARIFFS .. "tempo.json", "--offline", "--format", "json" }
      assert.equal(0, out.code, out.err)
      assert.is_false(cjson.decode(out.out).partial) -- the colours stored by the first run
      r:remove()
      r = runner.new()
      configured()
      assert.equal(0, r:run({ "loadcurve", "--base-url", server.url, "--token-file", r.token_file, "--start",
        "2026-03-28", "--end", "2026-04-02" }).code) -- the readings stored, no colour
      out = run { "--tariff", TARIFFS .. "tempo.json", "--offline", "--format", "json" }
      assert.equal(0, out.code, out.err)
      assert.is_true(cjson.decode(out.out).partial)
      assert.equal(1, #server:requests_to("tempo"))
    end)
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
