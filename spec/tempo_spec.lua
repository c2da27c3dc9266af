-- Specs of linky.tempo against the emulated colour sources (api-couleur-tempo and RTE): what is
-- fetched and stored, what is asked again and when, the ledger of each source, the rules, in
-- simulated time. Every request is counted in the emulator's log.
local core = require "linky.core"
local linky = require "linky"
local tempo = require "linky.tempo"
local emu = require "spec.support.emulator_spec_helper"
local simulated = require "spec.support.simulated"

local function at(paris) return core.to_epoch(paris) end

describe("linky.tempo", function()
  local t = simulated.new { now = at("2026-01-15 09:00:00") }
  setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)
  local season = {} -- the emulator's colours of 2025-2026 up to 2026-01-16, read once
  setup(function()
    t.server:tempo { today = "2026-01-15" }
    local res = assert(t.server:request { path = "/api/joursTempo?periode=2025-2026" })
    for _, d in ipairs(require("cjson").decode(res.body)) do
      season[d.dateJour] = ({ "blue", "white", "red" })[d.codeJour]
    end
  end)
  local mono -- the witness of real time: moves with the clock unless a spec holds it
  before_each(function()
    mono = nil
    t.server:tempo { today = "2026-01-15" }
  end)

  local function reader(opts)
    local o = { base_url = t.server.base, state = t.path, clock = function() return t.now end,
                monotonic = function() return mono or t.now end }
    for k, v in pairs(opts or {}) do o[k] = v end
    return assert(tempo.new(o))
  end
  local function rte(opts)
    opts = opts or {}
    opts.source, opts.rte_client_id, opts.rte_client_secret = "rte", emu.RTE_CLIENT_ID, emu.RTE_CLIENT_SECRET
    return reader(opts)
  end
  local function paths(service)
    local out = {}
    for i, e in ipairs(t.server:requests_to(service)) do out[i] = e.method .. " " .. e.path end
    return out
  end
  local function colour_of(days, date)
    for _, d in ipairs(days) do if d.date == date then return d end end
  end
  local function expected(date) return season[date] end

  describe("api-couleur-tempo", function()
    it("fetches a season in one request, stores it, and never asks a known past day again", function()
      local r = reader()
      local days = assert(r:colours("2026-01-01", "2026-01-16"))
      assert.equal(15, #days)
      assert.equal(1, days.requests)
      assert.same({ "GET /api/joursTempo" }, paths("tempo"))
      assert.equal("2025-2026", t.server:requests_to("tempo")[1].params.periode)
      for _, d in ipairs(days) do assert.equal(expected(d.date), d.colour) end
      assert.same({}, days.missing)
      -- the whole season up to tomorrow was stored: October costs nothing
      local oct = assert(r:colours("2025-10-01", "2025-11-01"))
      assert.equal(0, oct.requests)
      assert.same({}, oct.missing)
      t.now = t.now + 30 * 86400
      t.server:tempo { today = "2026-02-14" }
      assert.equal(0, assert(r:colours("2026-01-01", "2026-01-16")).requests)
      assert.equal(1, #t.server:requests_to("tempo"))
      r:close()
    end)

    it("asks one day by date when only that day is wanted", function()
      local r = reader()
      local days = assert(r:colours("2025-12-03", "2025-12-04"))
      assert.equal(expected("2025-12-03"), days[1].colour)
      assert.same({ "GET /api/jourTempo/2025-12-03" }, paths("tempo"))
      r:close()
    end)

    it("keeps tomorrow's colour fetched before 12:00 as provisional and asks it once more after 12:00", function()
      local r = reader()
      local d = colour_of(assert(r:colours("2026-01-15", "2026-01-17")), "2026-01-16")
      assert.equal(expected("2026-01-16"), d.colour)
      assert.is_true(d.provisional)
      t.now = at("2026-01-15 11:30:00")
      assert.equal(0, assert(r:colours("2026-01-15", "2026-01-17")).requests)
      t.now = at("2026-01-15 12:30:00")
      local again = assert(r:colours("2026-01-15", "2026-01-17"))
      assert.equal(1, again.requests)
      assert.same({ "GET /api/joursTempo", "GET /api/jourTempo/2026-01-16" }, paths("tempo"))
      assert.is_false(colour_of(again, "2026-01-16").provisional)
      t.now = at("2026-01-15 18:00:00")
      assert.equal(0, assert(r:colours("2026-01-15", "2026-01-17")).requests)
      r:close()
    end)

    it("asks an unknown tomorrow at most once an hour and never a day after tomorrow", function()
      t.server:tempo { tomorrow = "unknown" }
      local r = reader()
      local days = assert(r:colours("2026-01-14", "2026-01-20"))
      assert.same({ "2026-01-16", "2026-01-17", "2026-01-18", "2026-01-19" }, days.missing)
      assert.equal(1, days.requests)
      t.now = t.now + 59 * 60
      assert.equal(0, assert(r:colours("2026-01-14", "2026-01-20")).requests)
      t.now = t.now + 2 * 60
      t.server:tempo { tomorrow = "known" }
      days = assert(r:colours("2026-01-14", "2026-01-20"))
      assert.equal(1, days.requests)
      assert.same({ "GET /api/joursTempo", "GET /api/jourTempo/2026-01-16" }, paths("tempo"))
      assert.same({ "2026-01-17", "2026-01-18", "2026-01-19" }, days.missing)
      r:close()
    end)

    it("settles a past day still unknown after 7 days as unknown, and asks the recent ones hourly", function()
      t.server:tempo { unknown_seasons = { "2025-2026" } }
      local r = reader()
      local days = assert(r:colours("2025-12-01", "2026-01-16"))
      assert.equal(1, days.requests)
      assert.equal(46, #days.missing)
      assert.is_true(colour_of(days, "2026-01-08").settled)
      assert.is_false(colour_of(days, "2026-01-09").settled)
      t.now = t.now + 3600
      days = assert(r:colours("2025-12-01", "2026-01-16"))
      assert.equal(1, days.requests) -- the 7 days not settled: one season request
      t.now = t.now + 600
      assert.equal(0, assert(r:colours("2025-12-01", "2026-01-09")).requests)
      r:close()
    end)

    it("refuses an answer that breaks RTE's rules as invalid_response and stores nothing of it", function()
      t.server:tempo { broken_seasons = { ["2025-2026"] = "red_on_weekend" } }
      local r = reader()
      local days, err = r:colours("2026-01-01", "2026-01-16")
      assert.is_nil(days)
      assert.equal("invalid_response", err.kind)
      assert.equal("red_on_weekend", err.rule)
      assert.equal(15, #err.partial.missing)
      local db = assert(core.open_sqlite(t.path))
      assert.same({ { n = 0 } }, db:rows("SELECT count(*) AS n FROM tempo_days"))
      db:close()
      r:close()
    end)

    it("refuses what is not a list of days as invalid_response", function()
      t.server:script { service = "tempo", status = 200, body = '{"dateJour": 3}' }
      local r = reader()
      local _, err = r:colours("2026-01-01", "2026-01-16")
      assert.equal("invalid_response", err.kind)
      r:close()
    end)
  end)

  describe("the ledger of a source", function()
    it("admits 12 requests in 24 hours by default, fails closed after, and no clock frees it", function()
      local r = reader()
      for i = 1, 12 do
        assert(r:colours(("2020-01-%02d"):format(i), ("2020-01-%02d"):format(i + 1)))
      end
      local _, err = r:colours("2020-01-20", "2020-01-21")
      assert.equal("budget_exhausted", err.kind)
      assert.equal(12, #t.server:requests_to("tempo"))
      -- the wall clock jumps two days ahead: the witness of real time has not moved
      mono = t.now
      t.now = t.now + 2 * 86400
      _, err = r:colours("2020-01-20", "2020-01-21")
      assert.equal("budget_exhausted", err.kind)
      assert.equal(12, #t.server:requests_to("tempo"))
      assert.equal(12, assert(r:budget()).used)
      r:close()
      -- Conso API's ledger is apart: it counts none of them
      local c = t.client()
      assert.equal(0, assert(c:budget()).used)
      c:close()
    end)

    it("takes a budget of its own per source", function()
      local r = reader { budget = { requests = 1 } }
      assert(r:colours("2020-01-01", "2020-01-02"))
      local _, err = r:colours("2020-01-02", "2020-01-03")
      assert.equal("budget_exhausted", err.kind)
      r:close()
      local other = rte { budget = { requests = 2 } }
      assert(other:colours("2020-01-02", "2020-01-03"))
      other:close()
      assert.equal(1, #t.server:requests_to("tempo"))
      assert.equal(2, #t.server:requests_to("rte"))
    end)

    it("starts a cool-down on a 429 or a 5xx: nothing is sent before its end", function()
      t.server:script { service = "rte", type = "rte_calendars", error = "rte_server_error" }
      local r = rte()
      local _, err = r:colours("2026-01-01", "2026-01-16")
      assert.equal("server_error", err.kind)
      assert.equal(500, err.status)
      _, err = r:colours("2026-01-01", "2026-01-16")
      assert.equal("server_error", err.kind)
      assert.is_true(err.from_state)
      assert.equal(2, #t.server:requests_to("rte"))
      t.now = t.now + 16 * 60
      assert(r:colours("2026-01-01", "2026-01-16"))
      assert.equal(3, #t.server:requests_to("rte"))
      r:close()
      -- the other source has no cool-down
      t.server:script { service = "tempo", status = 429, body = "{}" }
      local a = reader()
      _, err = a:colours("2025-11-01", "2025-11-02")
      assert.equal("rate_limited", err.kind)
      _, err = a:colours("2025-11-01", "2025-11-02")
      assert.is_true(err.from_state)
      assert.equal(1, #t.server:requests_to("tempo"))
      a:close()
    end)
  end)

  describe("RTE", function()
    it("asks a token once, then a season's days in one request; a day from 00:00 is that tariff day", function()
      local r = rte()
      local days = assert(r:colours("2025-09-01", "2026-01-17"))
      assert.same({ "POST /token/oauth/",
        "GET /open_api/tempo_like_supply_contract/v1/tempo_like_calendars" }, paths("rte"))
      local q = t.server:requests_to("rte")[2].params
      assert.equal("2025-09-01T00:00:00+02:00", q.start_date)
      assert.equal("2026-01-17T00:00:00+01:00", q.end_date)
      for _, d in ipairs(days) do assert.equal(expected(d.date), d.colour, d.date) end
      assert.equal(2, days.requests)
      assert(r:colours("2024-12-01", "2024-12-03"))
      assert.equal(3, #t.server:requests_to("rte")) -- the token is reused
      r:close()
      assert.same({}, paths("tempo"))
    end)

    it("reads the array shape of tempo_like_calendars", function()
      t.server:tempo { rte_shape = "array" }
      local r = rte()
      local days = assert(r:colours("2026-01-01", "2026-01-16"))
      for _, d in ipairs(days) do assert.equal(expected(d.date), d.colour) end
      r:close()
    end)

    it("keeps the credentials and the token out of the state file and of the error", function()
      local r = reader { source = "rte", rte_client_id = emu.RTE_CLIENT_ID, rte_client_secret = "wrong-secret" }
      local _, err = r:colours("2026-01-01", "2026-01-02")
      assert.equal("unauthorized", err.kind)
      assert.is_nil(tostring(err):find("wrong-secret", 1, true))
      r:close()
      r = rte()
      assert(r:colours("2026-01-01", "2026-01-02"))
      r:close()
      local f = assert(io.open(t.path, "rb"))
      local bytes = f:read("*a")
      f:close()
      assert.is_nil(bytes:find(emu.RTE_CLIENT_SECRET, 1, true))
      assert.is_nil(bytes:find("rte-emulated-token", 1, true))
    end)

    it("refuses a season that breaks a rule and stores nothing of it", function()
      t.server:tempo { broken_seasons = { ["2024-2025"] = "too_many_red_in_a_row" } }
      local r = rte()
      local _, err = r:colours("2024-09-01", "2025-09-01")
      assert.equal("invalid_response", err.kind)
      assert.equal("too_many_red_in_a_row", err.rule)
      assert.equal(365, #err.partial.missing)
      r:close()
    end)
  end)

  describe("new", function()
    it("refuses an unknown source, and rte without its credentials", function()
      local _, err = tempo.new { source = "edf" }
      assert.equal("invalid_argument", err.kind)
      _, err = tempo.new { source = "rte" }
      assert.equal("invalid_argument", err.kind)
      assert.is_true(linky.is_error(err))
    end)
  end)
end)

describe("linky state file version 5", function()
  local t = simulated.new { now = at("2026-01-15 09:00:00") }
  setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)

  it("migrates a version 4 file: its ledger and cool-down become Conso API's, and colours have a table", function()
    local c = t.client()
    assert(c:daily_consumption("2026-01-01", "2026-01-08"))
    c:close()
    local db = assert(core.open_sqlite(t.path))
    assert(db:exec("INSERT INTO holds (name, kind, since, expires) VALUES ('cooldown', 'rate_limited', "
      .. t.now .. ", " .. (t.now + 600) .. ")"))
    assert(db:exec("ALTER TABLE requests DROP COLUMN source; ALTER TABLE holds DROP COLUMN source;"
      .. " DROP TABLE tempo_days; DROP TABLE published; DROP TABLE mqtt_baselines; DROP TABLE mqtt_topics;"
      .. " PRAGMA user_version = 4"))
    db:close()
    c = t.client()
    local b = assert(c:budget())
    assert.equal(1, b.used)
    assert.equal(t.now + 600, b.cooldown_until)
    c:close()
    t.server:tempo { today = "2026-01-15" }
    local r = assert(tempo.new { base_url = t.server.base, state = t.path, clock = function() return t.now end })
    assert.equal(1, assert(r:colours("2026-01-01", "2026-01-08")).requests) -- no cool-down of its own
    assert.equal(1, assert(r:budget()).used)
    r:close()
    db = assert(core.open_sqlite(t.path))
    assert.same({ { user_version = 7 } }, db:rows("PRAGMA user_version"))
    assert.same({ { n = 1 } }, db:rows("SELECT count(*) AS n FROM requests WHERE source = 'conso'"))
    assert.same({ { n = 1 } }, db:rows("SELECT count(*) AS n FROM requests WHERE source = 'api-couleur-tempo'"))
    db:close()
  end)
end)

describe("linky.tempo in use", function()
  local t = simulated.new { now = at("2026-01-01 07:00:00") }
  setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)

  local function reader(source)
    local o = { source = source, base_url = t.server.base, state = t.path, clock = function() return t.now end,
                monotonic = function() return t.now end }
    if source == "rte" then o.rte_client_id, o.rte_client_secret = emu.RTE_CLIENT_ID, emu.RTE_CLIENT_SECRET end
    return assert(tempo.new(o))
  end

  for _, case in ipairs { { "api-couleur-tempo", "tempo", 1 }, { "rte", "rte", 2 } } do
    local source, service, year = case[1], case[2], case[3]
    it(("costs %d request(s) of %s for a year of colours"):format(year, source), function()
      t.server:tempo { today = "2026-01-01" }
      local r = reader(source)
      local days = assert(r:colours("2024-09-01", "2025-09-01"))
      assert.same({}, days.missing)
      r:close()
      assert.equal(year, #t.server:requests_to(service))
    end)
  end

  -- A month of a daily cron run at 07:00 (before RTE publishes tomorrow's colour, around 11:00):
  -- each run is a new process (`linky tempo`: the last 7 days to tomorrow, then the colours of
  -- yesterday's cost, already there). Requests per source, counted.
  for _, case in ipairs { { "api-couleur-tempo", "tempo", 31 }, { "rte", "rte", 62 } } do
    local source, service, month = case[1], case[2], case[3]
    it(("costs %d requests of %s in the first month of a daily cron run"):format(month, source), function()
      local first = require("linky.dates").day("2026-01-01")
      for i = 0, 30 do
        local date = require("linky.dates").format(first + i)
        t.now = at(date .. " 07:00:00")
        t.server:tempo { today = date, tomorrow = "unknown" }
        local r = reader(source)
        local days = assert(r:colours(require("linky.dates").format(first + i - 7),
          require("linky.dates").format(first + i + 2)))
        assert.same({ require("linky.dates").format(first + i + 1) }, days.missing)
        assert(r:colours(require("linky.dates").format(first + i - 1), date)) -- the cost of yesterday
        r:close()
      end
      assert.equal(month, #t.server:requests_to(service))
      local r = reader(source)
      assert.equal(source == "rte" and 2 or 1, assert(r:budget()).used) -- the last 24 hours
      r:close()
    end)
  end
end)
