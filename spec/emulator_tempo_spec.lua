-- Specs of the emulated Tempo colour sources (spec/support/emulator/tempo.lua): api-couleur-tempo
-- and RTE, their variants, and the log that counts every request. Over luasocket only; the
-- seasons are checked with linky.tempo_rules and by counting.
local cjson = require "cjson"
local emu = require "spec.support.emulator_spec_helper"
local rules = require "linky.tempo_rules"

local CALENDARS = "/open_api/tempo_like_supply_contract/v1/tempo_like_calendars"
local COLOURS = { "blue", "white", "red" }
local RTE_COLOURS = { BLUE = "blue", WHITE = "white", RED = "red" }

local function b64(s)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    for k = 3, 0, -1 do
      local v = math.floor(n / 64 ^ k) % 64
      out[#out + 1] = alphabet:sub(v + 1, v + 1)
    end
    if not b then out[#out - 1], out[#out] = "=", "=" elseif not c then out[#out] = "=" end
  end
  return table.concat(out)
end

describe("emulator", function()
  local s
  setup(function() s = emu.start() end)
  teardown(function() s:stop() end)
  before_each(function()
    s:reset()
    s:tempo { today = "2026-01-15" }
  end)

  local function get_json(path, headers)
    local res = assert(s:request { path = path, headers = headers })
    return res.status, cjson.decode(res.body), res
  end

  -- The days of a joursTempo answer as linky.tempo_rules takes them.
  local function as_days(list)
    local days = {}
    for i, d in ipairs(list) do days[i] = { day = d.dateJour, colour = COLOURS[d.codeJour] } end
    return days
  end

  local function token()
    local res = assert(s:request { method = "POST", path = "/token/oauth/", body = "grant_type=client_credentials",
      headers = { Authorization = "Basic " .. b64(emu.RTE_CLIENT_ID .. ":" .. emu.RTE_CLIENT_SECRET),
                  ["Content-Type"] = "application/x-www-form-urlencoded" } })
    assert.equal(200, res.status)
    return cjson.decode(res.body).access_token
  end

  local function calendars(query, bearer)
    return get_json(CALENDARS .. (query and "?" .. query or ""),
      bearer ~= false and { Authorization = "Bearer " .. (bearer or token()) } or nil)
  end

  local function range(from, to)
    return ("start_date=%sT00:00:00%%2B%s&end_date=%sT00:00:00%%2B%s"):format(from, from:match("%-0[4-9]%-")
      and "02:00" or "01:00", to, to:match("%-0[4-9]%-") and "02:00" or "01:00")
  end

  describe("api-couleur-tempo", function()
    it("serves a past season that keeps RTE's rules, the same on every request", function()
      local status, list, res = get_json("/api/joursTempo?periode=2024-2025")
      assert.equal(200, status)
      assert.equal(365, #list)
      assert.equal("2024-09-01", list[1].dateJour)
      assert.equal("2025-08-31", list[365].dateJour)
      local counts = { 0, 0, 0 }
      for i, d in ipairs(list) do
        assert.equal("2024-2025", d.periode)
        assert.equal(({ "Bleu", "Blanc", "Rouge" })[d.codeJour], d.libCouleur)
        if i > 1 then assert.is_true(d.dateJour > list[i - 1].dateJour) end
        counts[d.codeJour] = counts[d.codeJour] + 1
      end
      assert.same({ 300, 43, 22 }, counts)
      assert.is_true(rules.check(as_days(list)))
      assert.equal(res.body, s:request { path = "/api/joursTempo?periode=2024-2025" }.body)
      status, list = get_json("/api/joursTempo?periode=2019-2020") -- a leap year: 366 days
      assert.equal(200, status)
      assert.equal(366, #list)
      assert.is_true(rules.check(as_days(list)))
    end)

    it("serves the current season up to tomorrow, and one day by name or date", function()
      local _, list = get_json("/api/joursTempo?periode=2025-2026")
      assert.equal(138, #list) -- 2025-09-01 to 2026-01-16
      assert.equal("2026-01-16", list[#list].dateJour)
      assert.is_true(rules.check(as_days(list)))
      local by_date = {}
      for _, d in ipairs(list) do by_date[d.dateJour] = d.codeJour end
      for path, date in pairs { today = "2026-01-15", tomorrow = "2026-01-16", ["2025-12-01"] = "2025-12-01" } do
        local status, d = get_json("/api/jourTempo/" .. path)
        assert.equal(200, status)
        assert.equal(date, d.dateJour)
        assert.equal(by_date[date], d.codeJour)
        assert.is_true(d.codeJour >= 1)
      end
      local _, later = get_json("/api/jourTempo/2026-01-20")
      assert.equal(0, later.codeJour)
      assert.same({}, select(2, get_json("/api/joursTempo?periode=2026-2027")))
      assert.equal(400, (get_json("/api/joursTempo?periode=2025-2027")))
      assert.equal(400, (get_json("/api/jourTempo/2026-02-30")))
    end)

    it("answers code 0 for tomorrow while it is unknown", function()
      s:tempo { tomorrow = "unknown" }
      local _, d = get_json("/api/jourTempo/tomorrow")
      assert.equal(0, d.codeJour)
      local _, list = get_json("/api/joursTempo?periode=2025-2026")
      assert.equal("2026-01-16", list[#list].dateJour)
      assert.equal(0, list[#list].codeJour)
      assert.is_true(list[#list - 1].codeJour >= 1)
    end)

    it("answers a whole season of code 0", function()
      s:tempo { unknown_seasons = { "2024-2025" } }
      local _, list = get_json("/api/joursTempo?periode=2024-2025")
      assert.equal(365, #list)
      for _, d in ipairs(list) do assert.equal(0, d.codeJour) end
      assert.is_true(select(2, get_json("/api/jourTempo/2026-01-05")).codeJour >= 1)
    end)

    it("serves a season that breaks each rule, as RTE does", function()
      local breaks = {}
      for name in emu.eval("table.concat(emulator.tempo.BREAKS, ',')"):gmatch("[^,]+") do breaks[#breaks + 1] = name end
      assert.same({ "too_many_red", "too_many_white", "red_out_of_winter", "red_on_weekend", "too_many_red_in_a_row",
                    "white_on_sunday" }, breaks)
      local bearer = token()
      for _, rule in ipairs(breaks) do
        s:tempo { broken_seasons = { ["2024-2025"] = rule } }
        local _, list = get_json("/api/joursTempo?periode=2024-2025")
        local ok, _, got = rules.check(as_days(list))
        assert.is_nil(ok, rule)
        assert.equal(rule, got)
        local _, doc = calendars(range("2024-09-01", "2025-09-01"), bearer)
        local days = {}
        for i, v in ipairs(doc.tempo_like_calendars.values) do
          days[i] = { day = v.start_date:sub(1, 10), colour = RTE_COLOURS[v.value] }
        end
        assert.equal(rule, select(3, rules.check(days)))
      end
    end)
  end)

  describe("RTE", function()
    it("issues a token for the account's basic auth only", function()
      s:tempo { revoke_tokens = true }
      for _, auth in ipairs { false, "Basic " .. b64(emu.RTE_CLIENT_ID .. ":wrong"), "Bearer x" } do
        local res = assert(s:request { method = "POST", path = "/token/oauth/", headers = { Authorization = auth or nil } })
        assert.equal(401, res.status)
        assert.equal("invalid_client", cjson.decode(res.body).error)
      end
      local res = assert(s:request { method = "POST", path = "/token/oauth/",
        headers = { Authorization = "Basic " .. b64(emu.RTE_CLIENT_ID .. ":" .. emu.RTE_CLIENT_SECRET) } })
      assert.equal(200, res.status)
      local doc = cjson.decode(res.body)
      assert.equal("Bearer", doc.token_type)
      assert.equal(7200, doc.expires_in)
      assert.is_string(doc.access_token)
      assert.equal(1, s:tempo().tokens)
    end)

    it("serves tempo_like_calendars with a valid token only, newest first, in Paris time", function()
      local status, doc = calendars(range("2025-10-20", "2025-11-03"), false)
      assert.equal(401, status)
      assert.equal("invalid_token", doc.error)
      status, doc = calendars(range("2025-10-20", "2025-11-03"), "forged")
      assert.equal(401, status)
      assert.equal("invalid_token", doc.error)
      status, doc = calendars(range("2025-10-20", "2025-11-03"))
      assert.equal(200, status)
      local values = doc.tempo_like_calendars.values
      assert.equal(14, #values)
      assert.equal("2025-11-02T00:00:00+01:00", values[1].start_date)
      assert.equal("2025-11-03T00:00:00+01:00", values[1].end_date)
      assert.equal("2025-10-20T00:00:00+02:00", values[14].start_date) -- summer time
      local _, list = get_json("/api/joursTempo?periode=2025-2026")
      local by_date = {}
      for _, d in ipairs(list) do by_date[d.dateJour] = COLOURS[d.codeJour] end
      for _, v in ipairs(values) do
        assert.equal(by_date[v.start_date:sub(1, 10)], RTE_COLOURS[v.value])
        assert.matches("^%d%d%d%d%-%d%d%-%d%dT10:20:00%+0%d:00$", v.updated_date)
      end
    end)

    it("leaves out tomorrow while unknown and ends at tomorrow", function()
      local bearer = token()
      local _, doc = calendars(range("2026-01-10", "2026-01-17"), bearer)
      assert.equal(7, #doc.tempo_like_calendars.values)
      assert.equal("2026-01-16T00:00:00+01:00", doc.tempo_like_calendars.values[1].start_date)
      s:tempo { tomorrow = "unknown" }
      _, doc = calendars(range("2026-01-10", "2026-01-17"), bearer)
      assert.equal(6, #doc.tempo_like_calendars.values)
    end)

    it("serves the array shape: one block of values per season", function()
      s:tempo { rte_shape = "array" }
      local _, doc = calendars(range("2025-08-25", "2025-09-05"))
      local blocks = doc.tempo_like_calendars
      assert.equal(2, #blocks)
      assert.equal(7, #blocks[1].values)
      assert.equal(4, #blocks[2].values)
      assert.equal("2025-09-01T00:00:00+02:00", blocks[2].start_date)
    end)

    it("refuses a range over 366 days, ending more than two days ahead, or malformed", function()
      local bearer = token()
      for _, query in ipairs { range("2024-01-01", "2025-01-02"), range("2026-01-10", "2026-01-18"),
                               "start_date=2026-01-01&end_date=2026-01-02", "start_date=2026-01-01T00:00:00+01:00&end_date=x",
                               range("2026-01-10", "2026-01-09"), range("2014-08-31", "2014-09-02") } do
        local status, doc = calendars(query, bearer)
        assert.equal(400, status, query)
        assert.is_string(doc.error)
      end
      assert.equal(200, (calendars(range("2025-01-16", "2026-01-17"), bearer)))
    end)

    it("answers the scripted 500 COMMON_ERROR_T03, then normally", function()
      local bearer = token()
      s:script { service = "rte", type = "rte_calendars", error = "rte_server_error" }
      local status, doc = get_json("/api/jourTempo/today") -- another service: not scripted
      assert.equal(200, status)
      assert.equal("2026-01-15", doc.dateJour)
      status, doc = calendars(range("2026-01-10", "2026-01-12"), bearer)
      assert.equal(500, status)
      assert.equal("COMMON_ERROR_T03", doc.error)
      assert.is_string(doc.error_description)
      assert.equal(200, (calendars(range("2026-01-10", "2026-01-12"), bearer)))
    end)

    it("expires and revokes tokens", function()
      s:tempo { rte_expires_in = 0 }
      local bearer = token()
      assert.equal(401, (calendars(nil, bearer)))
      s:tempo { rte_expires_in = 7200 }
      bearer = token()
      assert.equal(200, (calendars(nil, bearer)))
      s:tempo { revoke_tokens = true }
      assert.equal(401, (calendars(nil, bearer)))
    end)
  end)

  describe("request log", function()
    it("logs and counts every request of each service", function()
      local before = s:stats().services
      local bearer = token()
      get_json("/api/joursTempo?periode=2025-2026")
      get_json("/api/jourTempo/tomorrow")
      calendars(range("2026-01-10", "2026-01-12"), bearer)
      calendars(nil, false)
      s:get("daily_consumption", "prm=" .. emu.PRM1 .. "&start=2026-01-01&end=2026-01-02")
      assert.equal(2, #s:requests_to("tempo"))
      assert.equal(3, #s:requests_to("rte"))
      assert.equal(1, #s:requests_to("conso"))
      local rte = s:requests_to("rte")
      assert.equal("POST", rte[1].method)
      assert.equal("/token/oauth/", rte[1].path)
      assert.equal("grant_type=client_credentials", rte[1].body)
      assert.equal("2026-01-10T00:00:00+01:00", rte[2].params.start_date)
      local after = s:stats().services
      assert.same({ conso = before.conso + 1, tempo = before.tempo + 2, rte = before.rte + 3 }, after)
    end)

    it("refuses settings it does not know", function()
      for _, bad in ipairs { { tomorrow = "maybe" }, { broken_seasons = { ["2024-2025"] = "no_such_rule" } },
                             { rte_shape = "list" }, { colour = "red" }, { today = "2026-13-01" } } do
        local res = assert(s:request { method = "POST", path = "/_emulator/tempo", body = cjson.encode(bad) })
        assert.equal(400, res.status)
      end
      assert.equal("2026-01-15", s:tempo().today)
      s:reset()
      assert.equal("known", s:tempo().tomorrow)
    end)
  end)
end)
