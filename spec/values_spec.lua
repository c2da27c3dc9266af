-- Values are checked by the C decoder: numbers that lua-cjson cannot hold exactly, bodies that
-- are not UTF-8, steps outside 1 minute to 1 day are refused, never passed on rounded or cut.
local core = require "linky.core"
local versions = require "spec.support.versions"

local LEGACY = { shape = "legacy", curve = true }
local V2026 = { shape = "2026", metier = "CONS", measure = "PA", curve = true }

-- A legacy body with one reading whose JSON text is `reading`.
local function legacy(reading)
  return '{"reading_type":{"unit":"W"},"interval_reading":[' .. reading .. ']}'
end

-- A 2026 body whose points' JSON text is `points`, with `extra` inside the grandeur.
local function v2026(points, extra)
  return '{"etapeMetier":"BRUT","grandeur":[{"grandeurMetier":"CONS","grandeurPhysique":"PA",'
    .. '"unite":"W",' .. (extra or "") .. '"points":[' .. points .. ']}]}'
end

local function index(v)
  return '{"contexte":[{"grandeur":[{"grandeurMetier":"CONS","unite":"Wh",'
    .. '"cadranTotalisateur":{"valeur":[{"d":"2026-04-01","v":' .. v .. '}]}}]}]}'
end

-- Every string in a table tree (keys too), for UTF-8 checks.
local function strings(t, out, seen)
  out, seen = out or {}, seen or {}
  if seen[t] then return out end
  seen[t] = true
  for k, v in pairs(t) do
    for _, x in ipairs { k, v } do
      if type(x) == "string" then out[#out + 1] = x
      elseif type(x) == "table" then strings(x, out, seen) end
    end
  end
  return out
end

describe("linky.core", function()
  describe("decode values", function()
    it("refuses JSON numbers of magnitude 2^53 or more, which lua-cjson rounds", function()
      for _, n in ipairs { "9007199254740992", "9007199254740993", "-9007199254740992", "1e16", "1e300",
                           "18446744073709551616", "-1e19" } do
        for _, case in ipairs {
          { legacy('{"value":' .. n .. ',"date":"2023-04-01 00:30:00","interval_length":"PT30M"}'), LEGACY },
          { v2026('{"v":' .. n .. ',"d":"2026-04-01 00:30:00","p":"PT30M"}'), V2026 },
          { index(n), { shape = "index", metier = "CONS" } },
        } do
          local r, _, msg = core.decode(case[1], case[2])
          assert.is_nil(r, n .. " in " .. case[2].shape)
          assert.is_string(msg)
        end
      end
    end)

    it("refuses JSON numbers with a fraction, NaN and infinities", function()
      for _, n in ipairs { "1.5", "-0.25", "1e-3", "4503599627370495.5", "NaN", "Infinity", "-Infinity", "1e400" } do
        local r, _, msg = core.decode(v2026('{"v":' .. n .. ',"d":"2026-04-01 00:30:00","p":"PT30M"}'), V2026)
        assert.is_nil(r, n)
        assert.is_string(msg)
      end
    end)

    it("keeps integral JSON numbers below 2^53 exactly, as integers", function()
      for n, want in pairs { ["9007199254740991"] = 9007199254740991, ["-9007199254740991"] = -9007199254740991,
                             ["0"] = 0, ["-0"] = 0, ["1e3"] = 1000, ["42.0"] = 42 } do
        local r = assert(core.decode(v2026('{"v":' .. n .. ',"d":"2026-04-01 00:30:00","p":"PT30M"}'), V2026))
        assert.equal(want, r.points[1].value, n)
        assert.is_integer(r.points[1].value, n)
      end
      local r = assert(core.decode(index("9007199254740991"), { shape = "index", metier = "CONS" }))
      assert.equal(9007199254740991, r.points[1].value)
    end)

    it("still reads values written as strings over the whole range of integers: int64 from Lua 5.3", function()
      local max = versions.INTEGERS and "9223372036854775807" or "9007199254740991"
      local r = assert(core.decode(v2026('{"v":"' .. max .. '","d":"2026-04-01 00:30:00","p":"PT30M"}'), V2026))
      assert.equal(versions.MAXINTEGER, r.points[1].value)
      assert.is_integer(r.points[1].value)
    end)

    it("refuses a value written as a string past that range: 2^53 or more before Lua 5.3, never rounded", function()
      local past = versions.INTEGERS and { "9223372036854775808", "-9223372036854775809" }
        or { "9007199254740992", "9007199254740993", "-9007199254740992", "18014398509481984" }
      for _, s in ipairs(past) do
        local r, _, msg = core.decode(v2026('{"v":"' .. s .. '","d":"2026-04-01 00:30:00","p":"PT30M"}'), V2026)
        assert.is_nil(r, s)
        assert.truthy(msg:find('"' .. s .. '" is not an integer', 1, true), msg)
      end
    end)
  end)

  describe("decode UTF-8", function()
    local bad = {
      lone_continuation = "\128",
      bad_lead = "\255",
      overlong_slash = "\192\175",
      overlong_3 = "\224\128\175",
      overlong_4 = "\240\128\128\175",
      surrogate = "\237\160\128",
      above_10ffff = "\244\144\128\128",
      f5_lead = "\245\128\128\128",
      cut_2 = "\195",
      cut_3 = "\226\130",
      cut_4 = "\240\159\152",
      latin1_e_acute = "caf\233",
    }

    it("refuses a body with bytes that are not UTF-8, in a field it reads or one it ignores", function()
      for name, bytes in pairs(bad) do
        for _, body in ipairs {
          v2026('{"v":"1","d":"2026-04-01 00:30:00","p":"PT30M"}', '"libelle":"' .. bytes .. '",'),
          v2026('{"v":"1","d":"2026-04-01 00:30:00","p":"PT30M","n":"' .. bytes .. '"}'),
          v2026('{"v":"1","d":"2026-04-01 00:30:00","p":"PT30M"}'):gsub('"W"', '"W' .. bytes .. '"'),
          v2026('{"v":"1","d":"2026-04-01 00:30:00","p":"PT30M"}') .. bytes, -- after the document
        } do
          local r, _, msg = core.decode(body, V2026)
          assert.is_nil(r, name)
          assert.matches("UTF%-8", msg, 1, false, name)
        end
      end
    end)

    it("accepts French text and every length of UTF-8 sequence, and passes it on intact", function()
      local text = "Paramètres invalides: la date de fin doit être supérieure — 5 €, ça 😀 \244\143\191\191 \237\159\191"
      local body = v2026('{"v":"1","d":"2026-04-01 00:30:00","p":"PT30M","n":"' .. text .. '"}',
        '"libelle":"' .. text .. '",')
      local r = assert(core.decode(body, V2026))
      assert.equal(text, r.points[1].nature)
      assert.equal(1, r.points[1].value)
    end)

    it("hands out only valid UTF-8 strings, escapes included", function()
      local body = v2026('{"v":"1","d":"2026-04-01 00:30:00","p":"PT30M","n":"\\u00e9\\ud83d\\ude00"}')
      local r, kept = assert(core.decode(body, { shape = "2026", metier = "CONS", curve = true, keep = true }))
      assert.equal("é😀", r.points[1].nature)
      for _, s in ipairs(strings(r)) do assert.truthy(versions.utf8_len(s), s) end
      for _, s in ipairs(strings(kept)) do assert.truthy(versions.utf8_len(s), s) end
      for _, esc in ipairs { "\\ud800", "\\udc00", "\\ud800x" } do
        assert.is_nil(core.decode(v2026('{"v":"1","d":"2026-04-01 00:30:00","n":"' .. esc .. '"}'), V2026), esc)
      end
    end)
  end)

  describe("decode steps", function()
    it("refuses a step under 1 minute or over 1 day, in both generations", function()
      for _, step in ipairs { "PT30S", "PT59S", "PT1S", "P2D", "PT1441M", "PT25H", "P1DT1S", "PT86401S" } do
        for _, case in ipairs {
          { legacy('{"value":"1","date":"2023-04-01 00:30:00","interval_length":"' .. step .. '"}'), LEGACY },
          { v2026('{"v":"1","d":"2026-04-01 00:30:00","p":"' .. step .. '"}'), V2026 },
          { v2026('{"v":"1","d":"2026-04-01","p":"' .. step .. '"}'), { shape = "2026", metier = "CONS" } },
        } do
          local r, _, msg = core.decode(case[1], case[2])
          assert.is_nil(r, step)
          assert.matches("1 minute", msg, 1, true)
        end
      end
    end)

    it("accepts steps from 1 minute to 1 day", function()
      for step, seconds in pairs { PT1M = 60, PT60S = 60, PT5M = 300, PT30M = 1800, PT1H = 3600,
                                   PT24H = 86400, P1D = 86400, PT1440M = 86400 } do
        local r = assert(core.decode(v2026('{"v":"1","d":"2026-04-01 00:30:00","p":"' .. step .. '"}'), V2026))
        assert.equal(seconds, r.points[1].step, step)
      end
    end)

    it("decodes points without a step, and infers none outside 1 minute to 1 day", function()
      local r = assert(core.decode(v2026('{"v":"1","d":"2026-04-01 00:30:00"},{"v":"2","d":"2026-04-04 00:30:00"},'
        .. '{"v":"3","d":"2026-04-04 00:30:30"},{"v":"4","d":"2026-04-04 01:00:30"}'), V2026))
      assert.equal(4, #r.points)
      assert.is_nil(r.points[1].step)  -- 3 days to the next point
      assert.is_nil(r.points[2].step)  -- 3 days since the previous one
      assert.is_nil(r.points[3].step)  -- 30 s
      assert.equal(1800, r.points[4].step)
      local daily = assert(core.decode(v2026('{"v":"1","d":"2026-04-01"}'), { shape = "2026", metier = "CONS" }))
      assert.is_nil(daily.points[1].step)
    end)
  end)
end)
