local core = require "linky.core"
local fixtures = require "spec.support.fixtures"
local versions = require "spec.support.versions"

local function decode(relative, spec)
  return core.decode(fixtures.read(relative), spec)
end

describe("linky.core", function()
  describe("calendar", function()
    it("numbers days from 1970-01-01 and back", function()
      assert.equal(0, core.day_number("1970-01-01"))
      assert.equal(20544, core.day_number("2026-04-01"))
      assert.equal("2026-04-01", core.date_of_day(20544))
      assert.equal("2024-02-29", core.date_of_day(core.day_number("2024-02-29")))
    end)

    it("writes the date of every day of years 0000 to 9999, and of the days beyond", function()
      local first, last = core.day_number("0000-01-01"), core.day_number("9999-12-31")
      for d = first, last, 97 do
        local s = core.date_of_day(d)
        assert.matches("^%d%d%d%d%-%d%d%-%d%d$", s)
        assert.equal(d, core.day_number(s))
      end
      assert.equal("0000-01-01", core.date_of_day(first))
      assert.equal("9999-12-31", core.date_of_day(last))
      assert.equal("10000-01-01", core.date_of_day(last + 1))
      assert.equal("-001-12-31", core.date_of_day(first - 1))
    end)

    it("rejects impossible dates", function()
      for _, s in ipairs { "2026-02-29", "2026-13-01", "2026-04-31", "2026-4-1", "20260401", "2026-04-01x", "" } do
        assert.is_nil(core.day_number(s), s)
      end
    end)

    it("reads Paris wall-clock times as UTC epochs with the EU summer-time rule", function()
      assert.equal(1774994400, core.to_epoch("2026-04-01"))              -- CEST, UTC+2
      assert.equal(1767222000, core.to_epoch("2026-01-01 00:00:00"))     -- CET, UTC+1
      assert.equal(1774746000, core.to_epoch("2026-03-29 03:00:00"))     -- first summer minute
      assert.equal(1774746000 - 1800, core.to_epoch("2026-03-29 01:30:00"))
      assert.equal(1792886400, core.to_epoch("2026-10-25 02:00:00"))     -- first occurrence: summer
      assert.equal(1792893600, core.to_epoch("2026-10-25 03:00:00"))
      assert.equal(1767225600, core.to_epoch("2026-01-01T00:00:00Z"))
      assert.equal(1767222000, core.to_epoch("2026-01-01T00:00:00+01:00"))
    end)

    it("gives the Paris day of an instant", function()
      assert.equal(core.day_number("2026-04-01"), core.paris_day(1774994400))
      assert.equal(core.day_number("2026-03-31"), core.paris_day(1774994399))
      assert.equal(core.day_number("2026-01-01"), core.paris_day(1767222000))
    end)

    it("gives the Paris UTC offset of an instant, switching at 01:00 UTC", function()
      assert.equal(3600, core.paris_offset(1767222000))
      assert.equal(3600, core.paris_offset(1774745999))                -- 2026-03-29 00:59:59 UTC
      assert.equal(7200, core.paris_offset(1774746000))                -- 01:00 UTC: summer time
      assert.equal(7200, core.paris_offset(1792889999))                -- 2026-10-25 00:59:59 UTC
      assert.equal(3600, core.paris_offset(1792890000))                -- 01:00 UTC: winter time
      assert.has_error(function() core.paris_offset("x") end)
    end)

    it("parses ISO 8601 steps", function()
      assert.equal(1800, core.duration("PT30M"))
      assert.equal(300, core.duration("PT5M"))
      assert.equal(3600, core.duration("PT1H"))
      assert.equal(86400, core.duration("P1D"))
      for _, s in ipairs { "", "P", "PT", "30M", "PT30", "P1M2", "PTM", "PT99999999999M" } do
        assert.is_nil(core.duration(s), s)
      end
    end)
  end)

  describe("base64url_decode", function()
    it("decodes with or without padding and rejects other alphabets", function()
      assert.equal('{"alg":"HS256"}', core.base64url_decode("eyJhbGciOiJIUzI1NiJ9"))
      assert.equal("\251\255", core.base64url_decode("-_8"))
      assert.equal("\251\255", core.base64url_decode("-_8="))
      assert.is_nil(core.base64url_decode("+/8"))
      assert.is_nil(core.base64url_decode("abcde"))
      assert.equal("", core.base64url_decode(""))
    end)
  end)

  describe("decode", function()
    it("normalises recorded legacy daily bodies into integer points", function()
      local r = assert(decode("legacy/daily_consumption.json", { shape = "legacy" }))
      assert.equal("Wh", r.unit)
      assert.equal("BRUT", r.quality)
      assert.equal(3, #r.points)
      assert.same({ date = "2023-04-01", time = 1680300000, value = 11776 }, r.points[1])
      local total = 0
      for _, p in ipairs(r.points) do
        assert.is_integer(p.value)
        total = total + p.value
      end
      assert.equal(38997, total)
    end)

    it("normalises recorded 2026 daily bodies the same way", function()
      local r = assert(decode("v2026/consommation_quotidienne.json", { shape = "2026", metier = "CONS", measure = "EA" }))
      assert.equal("Wh", r.unit)
      assert.same({ date = "2026-04-01", time = 1774994400, value = 9271 }, r.points[1])
      assert.equal(36049, r.points[1].value + r.points[2].value + r.points[3].value)
    end)

    it("gives load-curve points their step, nature and end-of-interval time", function()
      for _, case in ipairs {
        { "legacy/consumption_load_curve.json", { shape = "legacy", curve = true } },
        { "v2026/courbe_de_charge_consommation.json", { shape = "2026", metier = "CONS", measure = "PA", curve = true } },
      } do
        local r = assert(decode(case[1], case[2]))
        local raw, vkey = fixtures.raw_points(case[1])
        assert.equal("W", r.unit)
        assert.equal(48, #r.points)
        for i, p in ipairs(r.points) do
          assert.equal(1800, p.step)
          assert.equal("B", p.nature)
          assert.equal(tonumber(raw[i][vkey]), p.value)
          if i > 1 then assert.equal(1800, p.time - r.points[i - 1].time) end
        end
        assert.matches("00:30:00$", r.points[1].date)
        assert.matches("00:00:00$", r.points[48].date)
      end
    end)

    it("keeps max-power peak timestamps", function()
      local r = assert(decode("v2026/puissance_conso_max_quotidienne.json", { shape = "2026", metier = "CONS", measure = "PMA" }))
      assert.equal("VA", r.unit)
      assert.same({ date = "2026-04-01 04:18:59", time = 1774994400 + 4 * 3600 + 18 * 60 + 59, value = 3533 }, r.points[1])
      local l = assert(decode("legacy/consumption_max_power.json", { shape = "legacy" }))
      assert.equal(4638, l.points[1].value)
      assert.equal("2023-04-01 12:06:20", l.points[1].date)
    end)

    it("reads production from the PROD grandeur", function()
      local r = assert(decode("v2026/production_quotidienne.json", { shape = "2026", metier = "PROD", measure = "EA" }))
      assert.equal(1882 + 12072 + 899, r.points[1].value + r.points[2].value + r.points[3].value)
      local nope, kind, msg = decode("v2026/production_quotidienne.json", { shape = "2026", metier = "CONS", measure = "EA" })
      assert.is_nil(nope)
      assert.equal("invalid_response", kind)
      assert.matches("no grandeur with grandeurMetier CONS", msg)
    end)

    it("turns JSON null into a missing value", function()
      local body = [[{"etapeMetier":"BRUT","grandeur":[{"grandeurMetier":"CONS","grandeurPhysique":"EA","unite":"Wh",
        "points":[{"v":null,"d":"2026-04-01"},{"v":"5","d":"2026-04-02"}]}]}]]
      local r = assert(core.decode(body, { shape = "2026", metier = "CONS", measure = "EA" }))
      assert.is_nil(r.points[1].value)
      assert.equal(5, r.points[2].value)
    end)

    it("keeps mixed steps and infers a missing one from the neighbours", function()
      local body = [[{"reading_type":{"unit":"W"},"interval_reading":[
        {"value":"1","date":"2023-04-01 00:30:00","interval_length":"PT30M"},
        {"value":"2","date":"2023-04-01 00:40:00","interval_length":"PT10M"},
        {"value":"3","date":"2023-04-01 01:00:00"},
        {"value":"4","date":"2023-04-01 02:00:00","interval_length":"PT60M"}]}]]
      local r = assert(core.decode(body, { shape = "legacy", curve = true }))
      assert.same({ 1800, 600, 1200, 3600 }, { r.points[1].step, r.points[2].step, r.points[3].step, r.points[4].step })
      local lone = assert(core.decode([[{"reading_type":{"unit":"W"},"interval_reading":[
        {"value":"1","date":"2023-04-01 00:30:00"}]}]], { shape = "legacy", curve = true }))
      assert.is_nil(lone.points[1].step)
    end)

    it("keeps both occurrences of the repeated autumn hour", function()
      local body = [[{"reading_type":{"unit":"W"},"interval_reading":[
        {"value":"1","date":"2026-10-25 02:00:00","interval_length":"PT30M"},
        {"value":"2","date":"2026-10-25 02:30:00","interval_length":"PT30M"},
        {"value":"3","date":"2026-10-25 02:00:00","interval_length":"PT30M"},
        {"value":"4","date":"2026-10-25 02:30:00","interval_length":"PT30M"},
        {"value":"5","date":"2026-10-25 03:00:00","interval_length":"PT30M"}]}]]
      local r = assert(core.decode(body, { shape = "legacy", curve = true }))
      assert.equal(5, #r.points)
      local t0 = 1792886400 -- 02:00 summer time = 00:00 UTC
      for i, p in ipairs(r.points) do assert.equal(t0 + (i - 1) * 1800, p.time) end
    end)

    it("sorts points and drops duplicate times", function()
      local r = assert(core.decode([[{"reading_type":{"unit":"Wh"},"interval_reading":[
        {"value":"3","date":"2023-04-03"},{"value":"1","date":"2023-04-01"},{"value":"9","date":"2023-04-01"}]}]],
        { shape = "legacy" }))
      assert.same({ "2023-04-01", "2023-04-03" }, { r.points[1].date, r.points[2].date })
      assert.equal(1, r.points[1].value)
    end)

    it("puts other physical measures of a TOUT answer into series", function()
      local body = [[{"etapeMetier":"BEST","grandeur":[
        {"grandeurMetier":"CONS","grandeurPhysique":"PMA1","unite":"VA","points":[{"v":"10","d":"2026-04-01 01:00:00"}]},
        {"grandeurMetier":"CONS","grandeurPhysique":"PMA","unite":"VA","points":[{"v":"30","d":"2026-04-01 02:00:00"}]},
        {"grandeurMetier":"CONS","grandeurPhysique":"PMA2","unite":"VA","points":[{"v":"20","d":"2026-04-01 03:00:00"}]}]}]]
      local r = assert(core.decode(body, { shape = "2026", metier = "CONS", measure = "PMA" }))
      assert.equal("BEST", r.quality)
      assert.equal(30, r.points[1].value)
      assert.equal(10, r.series.PMA1.points[1].value)
      assert.equal("VA", r.series.PMA2.unit)
      assert.equal(20, r.series.PMA2.points[1].value)
    end)

    it("reads index bodies: the totaliser into points, time classes into classes", function()
      local body = [[{"idPrm":"11111111111111","contexte":[{"etapeMetier":"BRUT","grandeur":[
        {"grandeurMetier":"CONS","grandeurPhysique":"EA","unite":"Wh",
         "calendrier":[{"idCalendrier":"DI000003","classeTemporelle":[
           {"idClasseTemporelle":"HC","libelleClasseTemporelle":"Heures Creuses","valeur":[{"d":"2026-04-01","v":100,"iv":0}]},
           {"idClasseTemporelle":"HP","libelleClasseTemporelle":"Heures Pleines","valeur":[{"d":"2026-04-01","v":250,"iv":0}]}]}],
         "cadranTotalisateur":{"codeCadran":"10","valeur":[{"d":"2026-04-02","v":360,"iv":0},{"d":"2026-04-01","v":350,"iv":0}]}}]}]}]]
      local r = assert(core.decode(body, { shape = "index", metier = "CONS" }))
      assert.equal("Wh", r.unit)
      assert.equal("BRUT", r.quality)
      assert.same({ 350, 360 }, { r.points[1].value, r.points[2].value })
      assert.equal(100, r.classes["Heures Creuses"][1].value)
      assert.equal(250, r.classes["Heures Pleines"][1].value)
      local nope, _, msg = core.decode(body, { shape = "index", metier = "PROD" })
      assert.is_nil(nope)
      assert.matches("no PROD index", msg)
    end)

    it("returns a message naming the problem for bodies off the expected shapes", function()
      local cases = {
        { "", "not JSON" },
        { "<html>", "not JSON" },
        { "[1,2]", "reading_type" },
        { '"text"', "not a JSON object" },
        { '{"reading_type":{"unit":"W"}}', "interval_reading is missing" },
        { '{"reading_type":{"unit":"W"},"interval_reading":{"a":1}}', "interval_reading is not an array" },
        { '{"reading_type":{"unit":"W"},"interval_reading":[{"value":"1","date":"yesterday"}]}', 'interval_reading%[1%]%.date: "yesterday" is not a date' },
        { '{"reading_type":{"unit":"W"},"interval_reading":[{"value":"12.5","date":"2023-04-01"}]}', '"12.5" is not an integer' },
        { '{"reading_type":{"unit":"W"},"interval_reading":[{"value":"9223372036854775808","date":"2023-04-01"}]}', "not an integer" },
        { '{"reading_type":{"unit":"W"},"interval_reading":[{"value":1.5,"date":"2023-04-01"}]}', "number is not an integer" },
        { '{"reading_type":{"unit":"W"},"interval_reading":[{"date":"2023-04-01"}]}', "value is missing" },
        { '{"reading_type":{"unit":"W"},"interval_reading":[{"value":"1","date":"2023-04-01 00:30:00","interval_length":"30 minutes"}]}', "not a duration" },
      }
      for _, case in ipairs(cases) do
        local r, kind, msg = core.decode(case[1], { shape = "legacy", curve = true })
        assert.is_nil(r, case[1])
        assert.equal("invalid_response", kind, case[1])
        assert.matches(case[2], msg)
      end
      local r, _, msg = core.decode('{"grandeur":[{"grandeurMetier":"CONS"}]}', { shape = "2026", metier = "CONS" })
      assert.is_nil(r)
      assert.matches("grandeur%[1%]%.grandeurPhysique is missing", msg)
    end)

    it("accepts the extreme integers of this Lua (int64, or below 2^53 before 5.3) and numbers that are integers",
      function()
        -- the smallest and largest, then one past each
        local limits = versions.INTEGERS
          and { "-9223372036854775808", "9223372036854775807", "-9223372036854775809", "9223372036854775808" }
          or { "-9007199254740991", "9007199254740991", "-9007199254740992", "9007199254740992" }
        local function body(a, b)
          return ([[{"reading_type":{"unit":"W"},"interval_reading":[
            {"value":"%s","date":"2023-04-01"},{"value":"%s","date":"2023-04-02"},
            {"value":42,"date":"2023-04-03"}]}]]):format(a, b)
        end
        local r = assert(core.decode(body(limits[1], limits[2]), { shape = "legacy" }))
        assert.equal(versions.MININTEGER, r.points[1].value)
        assert.equal(versions.MAXINTEGER, r.points[2].value)
        assert.equal(42, r.points[3].value)
        for _, p in ipairs(r.points) do assert.is_integer(p.value) end
        for _, past in ipairs { body(limits[3], "0"), body("0", limits[4]) } do
          local none, _, msg = core.decode(past, { shape = "legacy" })
          assert.is_nil(none, past)
          assert.matches("is not an integer", msg)
        end
      end)

    it("returns the decoded body too when asked to keep it", function()
      local r, body = core.decode(fixtures.read("legacy/daily_consumption.json"), { shape = "legacy", keep = true })
      assert.equal(3, #r.points)
      assert.equal("11111111111111", body.usage_point_id)
    end)

    it("gives points only their own fields, and leaves a kept body as the API sent it", function()
      local spec = { shape = "2026", metier = "CONS", measure = "PA", curve = true }
      local own = { date = true, time = true, value = true, step = true, nature = true }
      local r = assert(decode("v2026/courbe_de_charge_consommation.json", spec))
      local daily = assert(decode("legacy/daily_consumption.json", { shape = "legacy" }))
      for _, points in ipairs { r.points, daily.points } do
        for _, p in ipairs(points) do
          for k in pairs(p) do assert.is_true(own[k], "unexpected point field " .. tostring(k)) end
        end
      end
      spec.keep = true
      local kept, body = assert(decode("v2026/courbe_de_charge_consommation.json", spec))
      local raw = body.grandeur[1].points[1]
      assert.same({ v = "110", d = "2026-04-01 00:30:00", p = "PT30M", n = "B", iv = "0", ec = "0" }, raw)
      assert.same({ date = "2026-04-01 00:30:00", time = 1774996200, value = 110, step = 1800, nature = "B" },
        kept.points[1])
      assert.same(r.points, kept.points)
    end)
  end)
end)

describe("linky.core module", function()
  it("exports luaopen_linky_core and nothing else", function()
    local path = assert(package.searchpath("linky.core", package.cpath))
    local nm = assert(io.popen("nm -D --defined-only " .. path .. " 2>/dev/null"))
    local exported = {}
    for line in nm:lines() do
      local name = line:match("^%x+ T (%S+)$")
      if name then exported[#exported + 1] = name end
    end
    nm:close()
    assert.same({ "luaopen_linky_core" }, exported)
  end)
end)

-- Under `make rock`, prove the suite runs against the installed rocks tree.
local expected_tree = os.getenv("LINKY_EXPECT_TREE")
if expected_tree then
  describe("linky installed rock", function()
    it("resolves linky and linky.core inside the rocks tree", function()
      for _, name in ipairs { "linky", "linky.errors", "linky.core" } do
        local where = package.searchpath(name, package.path) or package.searchpath(name, package.cpath)
        assert.equal(expected_tree, where and where:sub(1, #expected_tree), name)
      end
    end)
  end)
end

-- Under `make asan`, prove the sanitized build is the module under test.
local expected_module = os.getenv("LINKY_EXPECT_MODULE")
if expected_module then
  describe("linky.core build", function()
    it("is the instrumented module with the sanitizer runtime loaded", function()
      assert.equal(expected_module, package.searchpath("linky.core", package.cpath))
      local maps = assert(io.open("/proc/self/maps")):read("*a")
      assert.truthy(maps:find(expected_module:gsub("^%./", ""), 1, true))
      assert.truthy(maps:find("libasan", 1, true))
    end)
  end)
end
