local linky = require "linky"
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"
local fixtures = require "spec.support.fixtures"
local versions = require "spec.support.versions"

-- A fixed "now" (2026-11-28 11:00 in Paris): no spec depends on the wall clock.
local NOW = core.to_epoch("2026-11-28 11:00:00")
local EXPIRED = emu.token { iat = 1600000000, exp = 1700000000, sub = { "11111111111111" } }
local TWO_PRMS = emu.TOKEN2

local function sum(points)
  local total = 0
  for _, p in ipairs(points) do total = total + p.value end
  return total
end

local function assert_increasing(points, step)
  for i = 2, #points do
    if step then
      assert.equal(step, points[i].time - points[i - 1].time, points[i].date)
    else
      assert.is_true(points[i].time > points[i - 1].time, points[i].date)
    end
  end
end

describe("linky", function()
  local server, sleeps

  -- One request per sub-range and no state shared between specs: the state, the budget and
  -- retries have their own specs (state_spec.lua).
  local function client(opts)
    opts = opts or {}
    local o = { token = emu.TOKEN1, base_url = server.url, min_interval = 0, state = false, retry = false,
                clock = function() return NOW end,
                sleep = function(s) sleeps[#sleeps + 1] = s end }
    for k, v in pairs(opts) do o[k] = v end
    return assert(linky.new(o))
  end

  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)
  before_each(function()
    server:reset()
    sleeps = {}
  end)

  describe("recorded bodies", function()
    local cases = {
      { "daily_consumption", "2023-04-01", "2023-04-04", "legacy/daily_consumption.json", "Wh", 3, 38997 },
      { "daily_production", "2023-04-01", "2023-04-04", "legacy/daily_production.json", "Wh", 3, 643 + 6 + 15411 },
      { "consumption_max_power", "2023-04-01", "2023-04-04", "legacy/consumption_max_power.json", "VA", 3, 4638 + 4410 + 3570 },
      { "consumption_load_curve", "2023-04-01", "2023-04-02", "legacy/consumption_load_curve.json", "W", 48 },
      { "production_load_curve", "2023-04-01", "2023-04-02", "legacy/production_load_curve.json", "W", 48 },
      { "daily_consumption", "2026-04-01", "2026-04-04", "v2026/consommation_quotidienne.json", "Wh", 3, 36049 },
      { "daily_production", "2026-04-01", "2026-04-04", "v2026/production_quotidienne.json", "Wh", 3, 1882 + 12072 + 899 },
      { "consumption_max_power", "2026-04-01", "2026-04-04", "v2026/puissance_conso_max_quotidienne.json", "VA", 3, 3533 + 3092 + 3494 },
      { "consumption_load_curve", "2026-04-01", "2026-04-02", "v2026/courbe_de_charge_consommation.json", "W", 48 },
      { "production_load_curve", "2026-04-01", "2026-04-02", "v2026/courbe_de_charge_production.json", "W", 48 },
    }
    for _, case in ipairs(cases) do
      local kind, first, stop, file, unit, count, total = versions.unpack(case)
      local api = file:match("^legacy") and "legacy" or "2026"
      it(("returns %s (%s) with unit %s and %d integer points"):format(kind, api, unit, count), function()
        -- the legacy recordings are of April 2023: the client's today is then (history limits)
        local c = client { api = api, today = api == "legacy" and "2023-04-10" or nil }
        local r = assert(c[kind](c, first, stop))
        assert.equal(kind, r.kind)
        assert.equal(api, r.api)
        assert.equal(api == "legacy" and linky.kinds[kind].legacy or linky.kinds[kind].v2026, r.type)
        assert.equal("11111111111111", r.prm)
        assert.equal(first, r.start)
        assert.equal(stop, r["end"])
        assert.equal(unit, r.unit)
        assert.equal("BRUT", r.quality)
        assert.equal(1, r.requests)
        assert.equal(count, #r.points)
        local raw, vkey, dkey = fixtures.raw_points(file)
        for i, p in ipairs(r.points) do
          assert.is_integer(p.value)
          assert.equal(tonumber(raw[i][vkey]), p.value)
          assert.equal(raw[i][dkey], p.date)
          assert.equal(core.to_epoch(p.date), p.time)
        end
        if total then assert.equal(total, sum(r.points)) end
        if linky.kinds[kind].load_curve then
          assert_increasing(r.points, 1800)
          assert.equal(1800, r.points[1].step)
          assert.equal("B", r.points[1].nature)
        end
        assert.is_nil(r.responses)
      end)
    end

    it("reads daily time as Paris midnight", function()
      local r = assert(client():daily_consumption("2026-04-01", "2026-04-04"))
      assert.same({ date = "2026-04-01", time = 1774994400, value = 9271 }, r.points[1])
    end)
  end)

  describe("synthetic data", function()
    for _, api in ipairs { "legacy", "2026" } do
      it("returns 48, 46 and 50 half-hours on normal and DST days (" .. api .. ")", function()
        local c = client { api = api }
        for _, case in ipairs { { "2026-05-12", "2026-05-13", 48 }, { "2026-03-29", "2026-03-30", 46 },
                                { "2026-10-25", "2026-10-26", 50 } } do
          local r = assert(c:consumption_load_curve(case[1], case[2]))
          assert.equal(case[3], #r.points)
          assert_increasing(r.points, 1800)
          assert.equal(core.to_epoch(case[1]) + 1800, r.points[1].time)
          assert.equal(core.to_epoch(case[2]), r.points[#r.points].time)
        end
      end)
    end

    it("returns the index kinds with their time classes", function()
      local c = client()
      local r = assert(c:consumption_index("2026-04-01", "2026-04-08"))
      assert.equal("index_consommation", r.type)
      assert.equal("Wh", r.unit)
      assert.equal(7, #r.points)
      assert_increasing(r.points, 86400)
      assert.is_table(r.classes)
      local classes = 0
      for _, pts in pairs(r.classes) do
        classes = classes + 1
        assert.equal(7, #pts)
      end
      assert.is_true(classes >= 1)
      local p = assert(c:production_index("2026-04-01", "2026-04-03"))
      assert.equal("index_production", p.type)
      assert.equal(2, #p.points)
    end)

    it("sends mesuresPas and grandeurPhysique for max power and returns other phases as series", function()
      local r = assert(client():consumption_max_power("2026-04-01", "2026-04-04", { measure = "TOUT", step = "P1D" }))
      local req = server:api_requests()[1]
      assert.equal("TOUT", req.params.grandeurPhysique)
      assert.equal("P1D", req.params.mesuresPas)
      assert.equal(3, #r.points)
      assert.is_table(r.series)
      assert.is_not_nil(next(r.series))
      for _, s in pairs(r.series) do assert.equal(3, #s.points) end
    end)
  end)

  describe("scripted bodies", function()
    local function scripted(body, kind, opts)
      server:script { { status = 200, body = body } }
      local c = client(opts)
      return c:fetch(kind or "daily_consumption", "2026-04-01", "2026-04-04")
    end

    it("turns null values into points without value", function()
      local r = assert(scripted([[{"idPrm":"11111111111111","etapeMetier":"BRUT","grandeur":[{"grandeurMetier":"CONS",
        "grandeurPhysique":"EA","unite":"Wh","points":[{"v":"12","d":"2026-04-01"},{"v":null,"d":"2026-04-02"},
        {"v":"30","d":"2026-04-03"}]}]}]]))
      assert.equal(3, #r.points)
      assert.is_nil(r.points[2].value)
      assert.equal("2026-04-02", r.points[2].date)
      assert.equal(42, r.points[1].value + r.points[3].value)
    end)

    it("keeps mixed steps and infers missing ones", function()
      local r = assert(scripted([[{"etapeMetier":"BRUT","grandeur":[{"grandeurMetier":"CONS","grandeurPhysique":"PA",
        "unite":"W","points":[{"v":"100","d":"2026-04-01 00:30:00","p":"PT30M"},{"v":"200","d":"2026-04-01 00:45:00","p":"PT15M"},
        {"v":"300","d":"2026-04-01 00:50:00","p":"PT5M"},{"v":"400","d":"2026-04-01 01:00:00"}]}]}]], "consumption_load_curve"))
      local steps = {}
      for i, p in ipairs(r.points) do steps[i] = p.step end
      assert.same({ 1800, 900, 300, 600 }, steps)
    end)

    it("reports BEST quality", function()
      local r = assert(scripted([[{"etapeMetier":"BEST","grandeur":[{"grandeurMetier":"CONS","grandeurPhysique":"EA",
        "unite":"Wh","points":[{"v":"1","d":"2026-04-01"}]}]}]]))
      assert.equal("BEST", r.quality)
    end)

    local off_shape = {
      { "an empty body", "" },
      { "a body that is not JSON", "<html>oops</html>" },
      { "a body without points", [[{"etapeMetier":"BRUT","grandeur":[{"grandeurMetier":"CONS","grandeurPhysique":"EA","unite":"Wh"}]}]] },
      { "a value that is not an integer", [[{"grandeur":[{"grandeurMetier":"CONS","grandeurPhysique":"EA","unite":"Wh","points":[{"v":"1,5","d":"2026-04-01"}]}]}]] },
      -- never rounded: 2^53 before Lua 5.3 (numbers are floats), 2^63 from 5.3 (int64)
      { "a value past the integers this Lua holds exactly", ([[{"grandeur":[{"grandeurMetier":"CONS","grandeurPhysique":"EA","unite":"Wh","points":[{"v":"%s","d":"2026-04-01"}]}]}]])
        :format(versions.INTEGERS and "9223372036854775808" or "9007199254740992") },
      { "a date that is not a date", [[{"grandeur":[{"grandeurMetier":"CONS","grandeurPhysique":"EA","unite":"Wh","points":[{"v":"1","d":"hier"}]}]}]] },
      { "the wrong grandeur", [[{"grandeur":[{"grandeurMetier":"PROD","grandeurPhysique":"EA","unite":"Wh","points":[]}]}]] },
      { "a legacy body in 2026 mode", fixtures.read("legacy/daily_consumption.json") },
    }
    for _, case in ipairs(off_shape) do
      it("returns invalid_response for " .. case[1], function()
        local r, err = scripted(case[2])
        assert.is_nil(r)
        assert.equal("invalid_response", err.kind)
        assert.equal(200, err.status)
        assert.is_false(err.retryable)
        assert.equal(case[2]:sub(1, 4096), err.body)
        assert.matches("^GET /api/consommation_quotidienne%?", err.request)
        assert.is_string(err.message)
      end)
    end

    it("keeps the decoded bodies when asked", function()
      local r = assert(client():daily_consumption("2026-04-01", "2026-04-04", { keep_responses = true }))
      assert.equal(1, #r.responses)
      assert.equal("11111111111111", r.responses[1].idPrm)
    end)
  end)

  describe("splitting", function()
    it("fetches a 30-day load curve in 5 consecutive requests and merges them", function()
      local r = assert(client():consumption_load_curve("2026-05-01", "2026-05-31"))
      assert.equal(5, r.requests)
      local reqs = server:api_requests()
      assert.equal(5, #reqs)
      local expect = { "2026-05-01", "2026-05-08", "2026-05-15", "2026-05-22", "2026-05-29", "2026-05-31" }
      for i, req in ipairs(reqs) do
        assert.equal(expect[i], req.params.dateDebut)
        assert.equal(expect[i + 1], req.params.dateFin)
      end
      assert.equal(30 * 48, #r.points)
      assert_increasing(r.points, 1800)
    end)

    it("fetches 400 days of daily data in 2 requests without gaps or duplicates", function()
      local r = assert(client { api = "legacy" }:daily_consumption("2024-06-01", "2025-07-06"))
      assert.equal(2, r.requests)
      local reqs = server:api_requests()
      assert.same({ "2024-06-01", "2025-06-01" }, { reqs[1].params.start, reqs[2].params.start })
      assert.same({ "2025-06-01", "2025-07-06" }, { reqs[1].params["end"], reqs[2].params["end"] })
      assert.equal(400, #r.points)
      for i = 2, #r.points do
        assert.equal(core.day_number(r.points[i - 1].date) + 1, core.day_number(r.points[i].date))
      end
    end)

    it("returns what earlier sub-ranges fetched in err.partial", function()
      server:script { {}, { error = "technical_500" } }
      local r, err = client():consumption_load_curve("2026-05-01", "2026-05-20")
      assert.is_nil(r)
      assert.equal("server_error", err.kind)
      assert.equal(2, #server:api_requests())
      assert.is_table(err.partial)
      assert.equal(7 * 48, #err.partial.points)
      assert.equal(2, err.partial.requests)
      assert.equal("consumption_load_curve", err.partial.kind)
    end)

    it("leaves err.partial empty when the first request fails", function()
      server:script { { error = "unauthorized_401" } }
      local r, err = client():consumption_load_curve("2026-05-01", "2026-05-20")
      assert.is_nil(r)
      assert.equal("unauthorized", err.kind)
      assert.is_nil(err.partial)
      assert.equal(1, #server:api_requests())
    end)

    it("waits min_interval between requests through the injected sleep", function()
      local now = NOW
      local c = client { min_interval = 0.25, clock = function() return now end,
                         sleep = function(s) sleeps[#sleeps + 1] = s; now = now + s end }
      assert(c:consumption_load_curve("2026-05-01", "2026-05-22"))
      assert.same({ 0.25, 0.25 }, sleeps)
    end)
  end)

  describe("errors", function()
    local function fails_with(answer, kind, status)
      server:reset()
      server:script { answer }
      local r, err = client():daily_consumption("2026-04-01", "2026-04-04")
      assert.is_nil(r)
      assert.is_true(linky.is_error(err))
      assert.equal(kind, err.kind)
      assert.equal(status, err.status)
      assert.equal(1, #server:api_requests())
      assert.equal("GET /api/consommation_quotidienne?pointId=11111111111111&dateDebut=2026-04-01&dateFin=2026-04-04",
        err.request)
      return err
    end

    it("maps 400 bodies to bad_request with the API message", function()
      local err = fails_with({ error = "zod_400" }, "bad_request", 400)
      assert.equal("Paramètres invalides", err.api_message)
      assert.is_false(err.retryable)
      err = fails_with({ error = "header_400" }, "bad_request", 400)
      assert.equal("Le header 'Authorization' est manquant ou invalide", err.api_message)
    end)

    for _, case in ipairs { { "adam_err0002", "ADAM-ERR0002" }, { "adam_err0123", "ADAM-ERR0123" },
                            { "adam_err0125", "ADAM-ERR0125" }, { "adam_dc0007", "ADAM-DC-0007" },
                            { "legacy_invalid_request", "Invalid_request" } } do
      it("reads the wrapped Enedis code " .. case[2], function()
        local err = fails_with({ error = case[1] }, "bad_request", 400)
        assert.equal(case[2], err.upstream_code)
        assert.is_string(err.upstream_description)
        assert.equal("The Enedis API returned an error", err.api_message)
      end)
    end

    it("reads a wrapped error that is a plain string", function()
      local err = fails_with({ error = "plain_string_400" }, "bad_request", 400)
      assert.is_nil(err.upstream_code)
      assert.is_string(err.upstream_description)
    end)

    it("maps 401 to unauthorized and prints it with status and message", function()
      local err = fails_with({ error = "unauthorized_401" }, "unauthorized", 401)
      assert.equal("Votre token est invalide ou ne permet pas d'accéder à ce PRM", err.api_message)
      assert.equal("linky: unauthorized (HTTP 401): Votre token est invalide ou ne permet pas d'accéder à ce PRM",
        tostring(err))
    end)

    it("gets a real 401 for a token the server did not sign", function()
      local forged = emu.TOKEN1:gsub("%.[^.]+$", ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
      local r, err = client({ token = forged }):daily_consumption("2026-04-01", "2026-04-04")
      assert.is_nil(r)
      assert.equal("unauthorized", err.kind)
    end)

    it("maps a JSON 403 to forbidden and an HTML 403 to banned", function()
      local err = fails_with({ error = "consent_403" }, "forbidden", 403)
      assert.equal("ADAM-DC-0008", err.upstream_code)
      err = fails_with({ error = "ban_403" }, "banned", 403)
      assert.is_false(err.retryable)
      assert.matches("Sorry, you have been blocked", err.body)
    end)

    it("maps 404 no_data_found to a retryable not_found", function()
      local err = fails_with({ error = "no_data_404" }, "not_found", 404)
      assert.equal("no_data_found", err.upstream_code)
      assert.equal("no measure found for this usage point", err.upstream_description)
      assert.is_true(err.retryable)
    end)

    it("maps 405 to method_not_allowed", function()
      local err = fails_with({ error = "method_405" }, "method_not_allowed", 405)
      assert.equal("Seule la méthode GET est autorisée", err.api_message)
    end)

    it("maps both 429 shapes to rate_limited", function()
      local err = fails_with({ error = "quota_429_fault" }, "rate_limited", 429)
      assert.equal("900807", err.upstream_code)
      assert.equal("You have exceeded your quota", err.upstream_description)
      assert.is_nil(err.next_access_time)
      assert.is_true(err.retryable)
      err = fails_with({ error = "quota_429_next" }, "rate_limited", 429)
      assert.equal("900804", err.upstream_code)
      assert.equal("2026-Jul-17 05:00:00+0000 UTC", err.next_access_time)
    end)

    it("maps the 500 bodies and the Cloudflare 502 to server_error", function()
      local err = fails_with({ error = "token_500" }, "server_error", 500)
      assert.equal("Impossible de rafraîchir le token. Réessayez plus tard", err.api_message)
      err = fails_with({ error = "unknown_500" }, "server_error", 500)
      assert.equal("Erreur inconnue. Réessayez plus tard", err.api_message)
      err = fails_with({ error = "technical_500" }, "server_error", 500)
      assert.equal("technical_error", err.upstream_code)
      err = fails_with({ error = "cloudflare_502" }, "server_error", 502)
      assert.equal("origin_bad_gateway", err.upstream_code)
      assert.is_true(err.retryable)
    end)

    it("maps 503 and 504 to server_error and other statuses to http_error", function()
      fails_with({ status = 503, body = "{}" }, "server_error", 503)
      fails_with({ status = 504, body = "" }, "server_error", 504)
      local err = fails_with({ status = 418, body = '{"message":"teapot"}' }, "http_error", 418)
      assert.equal("teapot", err.api_message)
      assert.is_false(err.retryable)
    end)

    it("never follows a redirect", function()
      local err = fails_with({ redirect = server.url .. "/consommation_quotidienne" }, "http_error", 302)
      assert.is_false(err.retryable)
    end)

    it("keeps at most 4 KiB of the body", function()
      local err = fails_with({ status = 500, body = ("x"):rep(10000) }, "server_error", 500)
      assert.equal(4096, #err.body)
    end)

    it("returns network for a refused connection", function()
      local dead = emu.start()
      local url = dead.url
      dead:stop()
      local r, err = client({ base_url = url }):daily_consumption("2026-04-01", "2026-04-04")
      assert.is_nil(r)
      assert.equal("network", err.kind)
      assert.is_nil(err.status)
      assert.is_true(err.retryable)
      assert.matches("^GET /api/consommation_quotidienne%?", err.request)
    end)

    it("returns network for a dropped connection and a truncated body", function()
      local err = fails_with({ drop = true }, "network", nil)
      assert.is_true(err.retryable)
      fails_with({ truncate = 20 }, "network", nil)
    end)

    it("returns timeout when the server does not answer in time", function()
      server:script { { hang = true } }
      local r, err = client({ timeout = 0.5 }):daily_consumption("2026-04-01", "2026-04-04")
      assert.is_nil(r)
      assert.equal("timeout", err.kind)
      assert.is_true(err.retryable)
    end)

    it("returns invalid_response for a body larger than max_body", function()
      local r, err = client({ max_body = 100 }):daily_consumption("2026-04-01", "2026-04-04")
      assert.is_nil(r)
      assert.equal("invalid_response", err.kind)
      assert.matches("max_body", err.message)
    end)

    it("decodes a gzip-encoded body", function()
      server:script { { gzip = true } }
      local r = assert(client():daily_consumption("2026-04-01", "2026-04-04"))
      assert.equal(36049, sum(r.points))
    end)
  end)

  describe("invalid arguments", function()
    local function refused(call, reason)
      local r, err = call()
      assert.is_nil(r)
      assert.is_true(linky.is_error(err))
      assert.equal("invalid_argument", err.kind)
      assert.is_false(err.retryable)
      if reason then assert.equal(reason, err.reason) end
      assert.same({}, server:api_requests())
      return err
    end

    it("refuses bad dates and ranges without sending a request", function()
      local c = client()
      refused(function() return c:daily_consumption("2026-04-04", "2026-04-01") end)
      refused(function() return c:daily_consumption("2026-04-01", "2026-04-01") end)
      refused(function() return c:daily_consumption("2026-02-30", "2026-03-02") end)
      refused(function() return c:daily_consumption("01/04/2026", "2026-04-02") end)
      refused(function() return c:daily_consumption({ year = 2026, month = 13, day = 1 }, "2027-01-02") end)
      refused(function() return c:daily_consumption("2026-11-29", "2026-11-30") end)
    end)

    it("accepts date tables such as os.date('*t') returns", function()
      local r = assert(client():daily_consumption({ year = 2026, month = 4, day = 1, hour = 12 }, { year = 2026, month = 4, day = 4 }))
      assert.equal("2026-04-01", r.start)
      assert.equal(36049, sum(r.points))
    end)

    it("refuses the index kinds in legacy mode", function()
      local c = client { api = "legacy" }
      refused(function() return c:consumption_index("2026-04-01", "2026-04-02") end)
      refused(function() return c:production_index("2026-04-01", "2026-04-02") end)
    end)

    it("refuses unknown kinds, PRMs outside the token and bad call options", function()
      local c = client()
      refused(function() return c:fetch("hourly_consumption", "2026-04-01", "2026-04-02") end)
      refused(function() return c:fetch("daily_consumption", "2026-04-01", "2026-04-02", { prm = "22222222222222" }) end)
      refused(function() return c:fetch("daily_consumption", "2026-04-01", "2026-04-02", { prn = "x" }) end)
      refused(function() return c:daily_consumption("2026-04-01", "2026-04-02", { step = "P1M" }) end)
      refused(function() return c:consumption_max_power("2026-04-01", "2026-04-02", { measure = "MAX" }) end)
    end)

    it("refuses malformed and expired tokens", function()
      refused(function() return linky.new { token = "not-a-token" } end, "token_malformed")
      refused(function() return linky.new { token = "a.b.c" } end, "token_malformed")
      refused(function() return linky.new { token = emu.token { sub = {} } } end, "token_malformed")
      refused(function() return linky.new { token = emu.token { sub = { 11111111111111 } } } end, "token_malformed")
      local err = refused(function() return linky.new { token = EXPIRED, clock = function() return NOW end } end,
        "token_expired")
      assert.matches("2023%-11%-14", err.message)
    end)

    it("refuses unknown options and bad values", function()
      refused(function() return linky.new { token = emu.TOKEN1, user_agnet = "x" } end)
      refused(function() return linky.new { token = emu.TOKEN1, api = "v3" } end)
      refused(function() return linky.new { token = emu.TOKEN1, prm = "123" } end)
      refused(function() return linky.new { token = emu.TOKEN1, timeout = 0 } end)
      refused(function() return linky.new { token = emu.TOKEN1, min_interval = -1 } end)
      refused(function() return linky.new { token = emu.TOKEN1, user_agent = "x\r\nX-Evil: 1" } end)
      refused(function() return linky.new { token = emu.TOKEN1, base_url = "http://example.com/api" } end)
      refused(function() return linky.new { token = emu.TOKEN1, base_url = "ftp://127.0.0.1/api" } end)
      refused(function() return linky.new { token = emu.TOKEN1, base_url = "https://user:pw@host/api" } end)
      refused(function() return linky.new {} end)
    end)

    it("accepts https anywhere and http to loopback addresses", function()
      for _, url in ipairs { "https://conso.boris.sh/api", "http://127.0.0.1:8080/api", "http://127.1.2.3/api",
                             "http://localhost:1/api/", "http://[::1]:8080/api" } do
        assert.is_table(linky.new { token = emu.TOKEN1, base_url = url }, url)
      end
    end)

    it("raises on wrongly typed options and arguments", function()
      assert.has_error(function() linky.new("token") end, "bad argument #1 to 'new' (table expected, got string)")
      assert.has_error(function() linky.new { token = 42 } end, "bad option 'token' (string expected, got number)")
      assert.has_error(function() linky.new { token = emu.TOKEN1, timeout = "30" } end,
        "bad option 'timeout' (number expected, got string)")
      local c = client()
      assert.has_error(function() c:daily_consumption(20260401, "2026-04-02") end)
      assert.has_error(function() c:daily_consumption("2026-04-01", "2026-04-02", "prm") end)
      assert.has_error(function() c:fetch(nil, "2026-04-01", "2026-04-02") end)
    end)
  end)

  describe("requests", function()
    it("sends the token, Accept, User-Agent and From headers", function()
      assert(client({ user_agent = "my-script/1.0", from = "me@example.org" })
        :daily_consumption("2026-04-01", "2026-04-04"))
      local h = server:api_requests()[1].headers
      assert.equal("Bearer " .. emu.TOKEN1, h.authorization)
      assert.equal("application/json", h.accept)
      assert.equal("my-script/1.0 linky-lua/" .. linky._VERSION, h["user-agent"])
      assert.equal("me@example.org", h.from)
    end)

    it("identifies itself without a user_agent", function()
      assert(client():daily_consumption("2026-04-01", "2026-04-04"))
      local h = server:api_requests()[1].headers
      assert.equal("linky-lua/" .. linky._VERSION, h["user-agent"])
      assert.is_nil(h.from)
    end)

    it("uses the legacy routes exactly as documented", function()
      assert(client({ api = "legacy", today = "2023-04-10" }):daily_consumption("2023-04-01", "2023-04-04"))
      local req = server:api_requests()[1]
      assert.equal("/api/daily_consumption", req.path)
      assert.equal("prm=11111111111111&start=2023-04-01&end=2023-04-04", req.query)
    end)

    it("reuses one connection for three requests", function()
      local c = client()
      for _ = 1, 3 do assert(c:daily_consumption("2026-04-01", "2026-04-04")) end
      local reqs = server:api_requests()
      assert.equal(3, #reqs)
      assert.equal(reqs[1].conn, reqs[2].conn)
      assert.equal(reqs[1].conn, reqs[3].conn)
    end)

    it("fetches by raw type name of the client's generation", function()
      local r = assert(client():fetch("consommation_quotidienne", "2026-04-01", "2026-04-04"))
      assert.equal("daily_consumption", r.kind)
      local l = assert(client({ api = "legacy", today = "2023-04-10" }):fetch("daily_consumption", "2023-04-01",
        "2023-04-04"))
      assert.equal(38997, sum(l.points))
      local _, err = client():fetch("daily_consumption_x", "2026-04-01", "2026-04-04")
      assert.equal("invalid_argument", err.kind)
    end)
  end)

  describe("PRM choice", function()
    it("takes the first PRM of the token by default and lists them all", function()
      local c = client { token = TWO_PRMS }
      assert.equal("11111111111111", c.prm)
      assert.same({ "11111111111111", "22222222222222" }, c.prms)
      assert.equal("2026", c.api)
    end)

    it("uses the prm option and the per-call prm", function()
      local c = client { token = TWO_PRMS, prm = "22222222222222" }
      assert.equal("22222222222222", c.prm)
      assert(c:daily_consumption("2026-04-01", "2026-04-04"))
      assert(c:daily_consumption("2026-04-01", "2026-04-04", { prm = "11111111111111" }))
      local reqs = server:api_requests()
      assert.equal("22222222222222", reqs[1].params.pointId)
      assert.equal("11111111111111", reqs[2].params.pointId)
    end)

    it("refuses a PRM the token does not grant", function()
      local c, err = linky.new { token = emu.TOKEN1, prm = "22222222222222" }
      assert.is_nil(c)
      assert.equal("invalid_argument", err.kind)
    end)

    it("decodes tokens with decode_token", function()
      local info = assert(linky.decode_token(TWO_PRMS))
      assert.same({ "11111111111111", "22222222222222" }, info.prms)
      assert.equal(1874521600, info.exp)
      assert.equal(1780000000, info.iat)
    end)
  end)

  describe("kinds", function()
    it("lists the seven kinds with types, units and limits", function()
      local n = 0
      for _, spec in pairs(linky.kinds) do
        n = n + 1
        assert.is_string(spec.v2026)
        assert.is_string(spec.unit)
        assert.is_true(spec.max_days == 7 or spec.max_days == 365)
      end
      assert.equal(7, n)
      assert.equal("courbe_de_charge_consommation", linky.kinds.consumption_load_curve.v2026)
      assert.equal(7, linky.kinds.production_load_curve.max_days)
      assert.is_nil(linky.kinds.production_index.legacy)
      assert.is_string(linky._VERSION)
    end)
  end)

  describe("client lifecycle", function()
    it("prints its PRM and API but never the token", function()
      local c = client()
      assert.equal("linky.Client: 11111111111111 (2026)", tostring(c))
      c:close()
      assert.equal("linky.Client: closed", tostring(c))
    end)

    it("closes twice without error and raises when used after close", function()
      local c = client()
      c:close()
      c:close()
      assert.has_error(function() c:daily_consumption("2026-04-01", "2026-04-02") end,
        "attempt to use a closed linky.Client")
    end)

    it("is collected without close", function()
      local weak = setmetatable({}, { __mode = "v" })
      do
        local c = client()
        assert(c:daily_consumption("2026-04-01", "2026-04-04"))
        weak[1] = c
      end
      collectgarbage()
      collectgarbage()
      assert.is_nil(weak[1])
    end)
  end)
end)
