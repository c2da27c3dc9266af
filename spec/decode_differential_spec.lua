-- core.decode's C reader (csrc/points_reader.c) against the path it replaces, lua-cjson and the
-- walk (the spec field reader = "cjson", internal): on every body, the same result table or the
-- same nil, kind, message. The common bodies (recorded fixtures, the emulator's synthetic ones)
-- must take the reader (reader = "fast" answers nil, "unhandled" for a body it leaves to lua-cjson).
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper" -- synthetic bodies from a lua5.4 child
local kinds = require "linky.kinds"

local SPECS = {
  { shape = "2026", metier = "CONS", measure = "PA", curve = true },
  { shape = "2026", metier = "PROD", measure = "PA", curve = true },
  { shape = "2026", metier = "CONS", measure = "EA" },
  { shape = "2026", metier = "CONS", measure = "PMA" },
  { shape = "2026", metier = "CONS" },
  { shape = "legacy", curve = true },
  { shape = "legacy" },
}

-- gsub's first result alone.
local function sub(s, pattern, repl, n)
  return (s:gsub(pattern, repl, n))
end

local function with(spec, field, value)
  local t = { [field] = value }
  for k, v in pairs(spec) do t[k] = v end
  return t
end

local function describe_spec(spec)
  return ("%s %s %s%s"):format(spec.shape, tostring(spec.metier), tostring(spec.measure),
    spec.curve and " curve" or "")
end

local checked, fast = 0, 0

-- The default path (the reader, falling back on lua-cjson) against lua-cjson and the walk.
local function same(body, spec, what)
  local r1, k1, m1 = core.decode(body, spec)
  local r2, k2, m2 = core.decode(body, with(spec, "reader", "cjson"))
  local label = what .. " / " .. describe_spec(spec)
  assert.same(r2, r1, label)
  assert.equal(k2, k1, label)
  assert.equal(m2, m1, label)
  local r3, k3 = core.decode(body, with(spec, "reader", "fast"))
  if r3 then
    assert.same(r2, r3, label)
    fast = fast + 1
  else
    assert.equal("unhandled", k3, label)
  end
  checked = checked + 1
  return r1, k1
end

local function same_all(body, what)
  for _, spec in ipairs(SPECS) do same(body, spec, what) end
end

-- The body goes through the reader itself, and gives lua-cjson's result.
local function fast_path(body, spec, what)
  local r, kind, msg = core.decode(body, with(spec, "reader", "fast"))
  assert.is_table(r, what .. ": " .. tostring(kind) .. " " .. tostring(msg))
  assert.same(core.decode(body, with(spec, "reader", "cjson")), r, what)
end

-- Every API type but the index ones, with its kind: "daily", "curve" or "max".
local TYPES = {}
for _, k in pairs(kinds) do
  if k.shape ~= "index" then
    local kind = k.load_curve and "curve" or k.measure == "PMA" and "max" or "daily"
    TYPES[k.v2026] = kind
    if k.legacy then TYPES[k.legacy] = kind end
  end
end

-- A decode spec for an API type, as lua/linky/call.lua builds it.
local function spec_of(type_name)
  for _, k in pairs(kinds) do
    if k.legacy == type_name then return { shape = "legacy", metier = k.metier, curve = k.load_curve } end
    if k.v2026 == type_name then
      return { shape = k.shape or "2026", metier = k.metier, measure = k.measure, curve = k.load_curve }
    end
  end
end

-- Bodies written by hand, each point's JSON text given.
local function p26(v, d, extra)
  return '{"v":' .. v .. ',"d":' .. d .. ',"p":"PT30M","n":"B","iv":"0","ec":"0"' .. (extra or "") .. '}'
end
local function pl(v, d, extra)
  return '{"value":' .. v .. ',"date":' .. d .. ',"interval_length":"PT30M","measure_type":"B"' ..
    (extra or "") .. '}'
end
local function v2026(points, extra, top)
  return '{"idPrm":"1","etapeMetier":"BRUT",' .. (top or "") .. '"grandeur":[{"grandeurMetier":"CONS",' ..
    '"grandeurPhysique":"PA","unite":"W",' .. (extra or "") .. '"points":[' .. points ..
    '],"calendrier":[]}],"contexte":[]}'
end
local function legacy(points, extra, top)
  return '{"usage_point_id":"1","quality":"BRUT",' .. (top or "") .. '"reading_type":{"unit":"W"' ..
    (extra or "") .. '},"interval_reading":[' .. points .. ']}'
end
local D1, D2, D3 = '"2026-04-01 00:30:00"', '"2026-04-01 01:00:00"', '"2026-04-01 01:30:00"'

-- A body in both generations whose first point's value (or date) is the JSON text given.
local function both(v, d, extra)
  local tail26 = "," .. p26('"2"', D2) .. "," .. p26('"3"', D3)
  local taill = "," .. pl('"2"', D2) .. "," .. pl('"3"', D3)
  return { v2026(p26(v, d or D1, extra) .. tail26), legacy(pl(v, d or D1, extra) .. taill) }
end

local function mutations()
  local bodies = {}
  local function add(list)
    for _, b in ipairs(list) do bodies[#bodies + 1] = b end
  end
  -- values: decimal strings at the edges of 2^53 and int64, JSON numbers, nulls, junk
  for _, v in ipairs {
    '"9007199254740991"', '"9007199254740992"', '"9007199254740993"', '"-9007199254740991"',
    '"-9007199254740992"', '"-9007199254740993"', '"9223372036854775807"', '"9223372036854775808"',
    '"-9223372036854775808"', '"-9223372036854775809"', '"18446744073709551616"', '"0"', '"-0"',
    '"007"', '"+1"', '"1.5"', '""', '"-"', '" 1"', '"1 "', '"1e3"',
    "9007199254740991", "9007199254740992", "9007199254740993", "-9007199254740993", "1", "-1",
    "1.0", "1.5", "1e3", "1E+2", "-0", "0.5e1", "null", "true", "false", "[]", "{}", '["1"]', "01", "1.",
  } do add(both(v)) end
  -- dates: impossible, other forms, offsets, the spring gap and the repeated autumn hour
  for _, d in ipairs {
    '"2026-02-30"', '"2026-13-01 00:00:00"', '"x"', '""', '"2026-04-01T00:30:00"', '"2026-04-01 00:30:00Z"',
    '"2026-04-01 00:30:00+02:00"', '"2026-04-01 00:30:00.5"', '"2026-04-01 24:00:00"',
    '"2026-03-29 02:30:00"', '"2026-10-25 02:30:00"', '"2026-04-01"', "null", "20260401", "[]",
  } do add(both('"1"', d)) end
  -- steps and natures
  for _, s in ipairs {
    '"PT0M"', '"PT30S"', '"PT1M"', '"P1D"', '"P2D"', '"PT30"', '"30M"', '""', "30", "null", "{}",
  } do
    add { v2026(sub(p26('"1"', D1), '"p":"PT30M"', '"p":' .. s) .. "," .. p26('"2"', D2)),
          legacy(sub(pl('"1"', D1), '"interval_length":"PT30M"', '"interval_length":' .. s) .. "," ..
            pl('"2"', D2)) }
  end
  for _, n in ipairs { '"C"', '""', "null", "1", "[]", '{"a":1}' } do
    add { v2026(sub(p26('"1"', D1), '"n":"B"', '"n":' .. n)),
          legacy(sub(pl('"1"', D1), '"measure_type":"B"', '"measure_type":' .. n)) }
  end
  -- missing fields, steps to infer
  add { v2026('{"v":"1","d":' .. D1 .. '},{"v":"2","d":' .. D2 .. ',"p":"PT30M"}'),
        v2026('{"v":"1","d":' .. D1 .. '},{"v":"2","d":' .. D2 .. '}'),
        v2026('{"d":' .. D1 .. '}'), v2026('{"v":"1"}'), v2026('{}'), v2026(''),
        legacy('{"value":"1","date":' .. D1 .. '},{"value":"2","date":' .. D3 .. '}') }
  -- duplicates and order: equal times, unsorted, keys given twice
  add { v2026(p26('"1"', D1) .. "," .. p26('"2"', D1) .. "," .. p26('"3"', D2)),
        v2026(p26('"1"', D3) .. "," .. p26('"2"', D1) .. "," .. p26('"3"', D2)),
        legacy(pl('"1"', D2) .. "," .. pl('"2"', D1) .. "," .. pl('"3"', D2)),
        v2026(p26('"1"', D1, ',"v":"5"')), v2026(p26('"1"', D1, ',"d":' .. D2)),
        v2026(p26('"1"', D1, ',"p":"PT10M"')), v2026(p26('"1"', D1, ',"n":"C"')),
        v2026(p26('"1"', D1, ',"v":null')), v2026(p26('"1"', D1, ',"p":null')), v2026(p26('"1"', D1, ',"n":1')),
        legacy(pl('"1"', D1, ',"value":null')), legacy(pl('"1"', D1, ',"measure_type":null')),
        v2026(p26('"1"', D1), nil, '"etapeMetier":"X",'), v2026(p26('"1"', D1), '"unite":"kW",'),
        v2026(p26('"1"', D1), '"grandeurMetier":"PROD",'), v2026(p26('"1"', D1), '"points":[],'),
        v2026(p26('"1"', D1), nil, '"grandeur":[],'), legacy(pl('"1"', D1), ',"unit":"kW"'),
        legacy(pl('"1"', D1), nil, '"interval_reading":[],'), legacy(pl('"1"', D1), nil, '"quality":"X",'),
        legacy(pl('"1"', D1), nil, '"reading_type":{"unit":"kW"},') }
  -- invalid UTF-8 and escapes, in fields read and skipped
  local ff, overlong = string.char(255), string.char(0xC0, 0xAF)
  add(both('"1"', '"2026-04-01 00:30:00' .. ff .. '"'))
  add(both('"1"', nil, ',"x":"' .. overlong .. '"'))
  add(both('"1"', nil, ',"x":"caf' .. string.char(0xC3, 0xA9) .. '"'))
  add(both('"1"', '"2026-04-01 00:30:00\\u0000"'))
  add(both('"1"', '"2026\\/04\\/01"'))
  add(both('"\\u0031"'))
  add(both('"1"', nil, ',"x":"a\\"b\\\\"'))
  add { v2026(sub(p26('"1"', D1), '"n":"B"', '"n":"\\u0042"')), v2026(sub(p26('"1"', D1), '"v"', '"\\u0076"')),
        sub(v2026(p26('"1"', D1)), '"grandeurMetier":"CONS"', '"grandeurMetier":"CO\\u004eS"'),
        sub(v2026(p26('"1"', D1)), '"unite":"W"', '"unite":"' .. ff .. '"'),
        sub(v2026(p26('"1"', D1)), '"unite":"W"', '"unite":"\\u00e9\\ud83d\\ude00"'),
        v2026(p26('"1"', D1), nil, '"x":"\1",') }
  -- nulls and other types where objects and arrays go
  for _, j in ipairs { "null", "1", '"x"', "{}", "[]", "[null]", "[1]", "true" } do
    add { sub(v2026(p26('"1"', D1)), '"grandeur":%[.*%],"contexte"', '"grandeur":' .. j .. ',"contexte"'),
          sub(v2026(p26('"1"', D1)), '"points":%[.*%],"calendrier"', '"points":' .. j .. ',"calendrier"'),
          v2026(j), legacy(j), sub(legacy(pl('"1"', D1)), '"reading_type":{"unit":"W"}', '"reading_type":' .. j),
          sub(legacy(pl('"1"', D1)), '"interval_reading":%[.*%]', '"interval_reading":' .. j),
          sub(legacy(pl('"1"', D1), nil, '"quality":' .. j .. ","), '"quality":"BRUT",', ""),
          sub(v2026(p26('"1"', D1)), '"unite":"W"', '"unite":' .. j),
          sub(v2026(p26('"1"', D1)), '"grandeurMetier":"CONS"', '"grandeurMetier":' .. j),
          sub(v2026(p26('"1"', D1)), '"grandeurPhysique":"PA"', '"grandeurPhysique":' .. j),
          sub(v2026(p26('"1"', D1)), '"etapeMetier":"BRUT"', '"etapeMetier":' .. j), j }
  end
  -- extra keys and nested junk at every level, white space, text around the body
  local deep64 = ("["):rep(63) .. ("]"):rep(63)
  local deep65 = ("["):rep(66) .. ("]"):rep(66)
  local deep1100 = ("["):rep(1100) .. ("]"):rep(1100)
  for _, junk in ipairs {
    '{"a":[1,{"b":null},true,false,-1.5e-3,"s"],"c":{}}', deep64, deep65, deep1100, '[1,]', '{"a":}', '{"a"}',
    '[1 2]', 'tru', 'nul', '-', '1.e3', '.5', '"\\z"', "[" .. ("[],"):rep(400) .. "[]]",
  } do
    add { v2026(p26('"1"', D1, ',"x":' .. junk)), v2026(p26('"1"', D1), '"x":' .. junk .. ","),
          v2026(p26('"1"', D1), nil, '"x":' .. junk .. ","), legacy(pl('"1"', D1, ',"x":' .. junk)),
          legacy(pl('"1"', D1), ',"x":' .. junk), legacy(pl('"1"', D1), nil, '"x":' .. junk .. ",") }
  end
  local body = v2026(p26('"1"', D1) .. "," .. p26('"2"', D2))
  add { " \n\t" .. sub(body, "([,:{}%[%]])", " %1\n ") .. " \r\n", body .. "x", body .. body, body .. "}",
        "\239\187\191" .. body, sub(body, ",", ",,", 1), sub(body, "}$", ",}"), sub(body, "^{", "{{") }
  -- second grandeurs: another metier first, other measures (series), the points before the metier
  local g = '{"grandeurMetier":"%s","grandeurPhysique":"%s","unite":"W","points":[' .. p26('"%s"', D1) .. ']}'
  local function grandeurs(...)
    return '{"grandeur":[' .. table.concat({ ... }, ",") .. ']}'
  end
  add { grandeurs(g:format("PROD", "PA", 1), g:format("CONS", "PA", 2)),
        grandeurs(g:format("CONS", "PA1", 1), g:format("CONS", "PA", 2), g:format("CONS", "PA2", 3),
          g:format("CONS", "PA1", 4)),
        grandeurs(g:format("CONS", "PA", 1), g:format("CONS", "PA", 2)),
        grandeurs('{"points":[' .. p26('"1"', D1) .. '],"unite":"W","grandeurPhysique":"PA","grandeurMetier":"CONS"}'),
        grandeurs('{"points":[{"v":"x"}],"grandeurMetier":"PROD","grandeurPhysique":"PA"}', g:format("CONS", "PA", 2)),
        grandeurs('{"grandeurMetier":"PROD","grandeurPhysique":"PA","points":[{"v":"x"}],"unite":null}',
          g:format("CONS", "PA", 2)),
        grandeurs('{"grandeurMetier":"PROD","unite":"W"}', g:format("CONS", "PA", 2)),
        grandeurs(g:format("CONS", "PA", 1), "null"),
        grandeurs('{"grandeurMetier":"CONS","grandeurPhysique":"PA","points":[]}'),
        grandeurs('{"grandeurMetier":"CONS","grandeurPhysique":"PA","unite":"W"}') }
  -- more arrays and objects than a body of its size may open (json_bounds.h), or just as many
  local points = {}
  for i = 1, 400 do points[i] = '{"v":"' .. i .. '","d":"2026-04-01","x":[[],[],[],[]]}' end
  add { v2026(table.concat(points, ",")) }
  return bodies
end

describe("linky.core", function()
  describe("decode's C reader", function()
    it("reads every recorded fixture body itself, with lua-cjson's result", function()
      local n = 0
      for _, gen in ipairs { "legacy", "v2026" } do
        local dir = "spec/fixtures/recorded/" .. gen .. "/"
        for type_name in pairs(TYPES) do
          local body = emu.read_file(dir .. type_name .. ".json")
          if body then
            fast_path(body, spec_of(type_name), dir .. type_name)
            same_all(body, type_name)
            n = n + 1
          end
        end
      end
      assert.equal(10, n)
    end)

    it("reads the emulator's synthetic bodies itself, DST days included, with lua-cjson's result", function()
      local ranges = { { "2025-03-29", "2025-04-01" }, { "2025-10-25", "2025-10-28" }, { "2024-12-30", "2025-01-02" } }
      local n = 0
      for type_name, kind in pairs(TYPES) do
        for _, range in ipairs(ranges) do
          for _, q in ipairs { {}, { physical = "TOUT" }, { step = "P1M" } } do
            if kind == "max" and type_name:find("_quotidienne$") or not next(q) then
              q.prm, q.start, q["end"] = "11111111111111", range[1], range[2]
              local body = emu.synthetic(type_name, q)
              fast_path(body, spec_of(type_name), type_name .. " " .. range[1])
              same_all(body, type_name .. " " .. range[1])
              n = n + 1
            end
          end
        end
      end
      assert.equal(36, n)
    end)

    it("reads a year of daily values and the three phases of max power itself", function()
      for _, type_name in ipairs { "consommation_quotidienne", "daily_consumption" } do
        local body = emu.synthetic(type_name, { prm = "11111111111111", start = "2025-01-01", ["end"] = "2026-01-01" })
        local r = core.decode(body, with(spec_of(type_name), "reader", "fast"))
        assert.equal(365, #r.points)
      end
      local body = emu.synthetic("puissance_conso_max_quotidienne", { prm = "11111111111111", start = "2025-10-25",
                                 ["end"] = "2025-10-28", physical = "TOUT" })
      local r = core.decode(body, { shape = "2026", metier = "CONS", measure = "PMA", reader = "fast" })
      assert.equal(3, #r.points)
      assert.same({ "PMA1", "PMA2", "PMA3" }, (function()
        local names = {}
        for k in pairs(r.series) do names[#names + 1] = k end
        table.sort(names)
        return names
      end)())
    end)

    it("gives lua-cjson's result or failure on mutated bodies", function()
      checked, fast = 0, 0
      for i, body in ipairs(mutations()) do same_all(body, "mutation " .. i) end
      -- both outcomes are exercised: bodies the reader takes, and bodies it leaves to lua-cjson
      assert.is_true(fast > 100, "fast " .. fast)
      assert.is_true(checked - fast > 100, "left " .. (checked - fast))
    end)

    it("gives lua-cjson's result or failure on every truncation of a body", function()
      for _, body in ipairs {
        v2026(p26('"1"', D1) .. "," .. p26('"2"', D2) .. "," .. p26("null", D3)),
        legacy(pl('"1"', D1) .. "," .. pl('"2"', D2)),
        emu.synthetic("courbe_de_charge_consommation", { prm = "11111111111111", start = "2025-10-26",
                      ["end"] = "2025-10-27" }),
      } do
        local step = #body > 1000 and 7 or 1
        for n = 0, #body, step do same_all(body:sub(1, n), "prefix " .. n) end
      end
    end)

    it("gives lua-cjson's result or failure on the fuzzer's seed bodies", function()
      local n = 0
      for name in io.popen("ls fuzz/corpus"):lines() do
        same_all(assert(emu.read_file("fuzz/corpus/" .. name)), name)
        n = n + 1
      end
      assert.is_true(n >= 7)
    end)

    it("leaves index bodies, kept bodies and bodies with escapes to lua-cjson", function()
      local body = v2026(p26('"1"', D1))
      local spec = { shape = "2026", metier = "CONS", measure = "PA", curve = true }
      assert.is_table(core.decode(body, with(spec, "reader", "fast")))
      local r, kind = core.decode(sub(body, '"n":"B"', '"n":"\\u0042"'), with(spec, "reader", "fast"))
      assert.is_nil(r)
      assert.equal("unhandled", kind)
      r, kind = core.decode(body, { shape = "index", reader = "fast" })
      assert.is_nil(r)
      assert.equal("unhandled", kind)
      local kept = with(spec, "keep", true)
      r, kind = core.decode(body, with(kept, "reader", "fast"))
      assert.is_nil(r)
      assert.equal("unhandled", kind)
      local result, decoded = core.decode(body, kept)
      assert.same(core.decode(body, spec), result)
      assert.equal("B", decoded.grandeur[1].points[1].n)
    end)

    it("raises on a reader that is neither \"cjson\" nor \"fast\"", function()
      assert.has_error(function() core.decode("{}", { reader = "dkjson" }) end)
    end)
  end)
end)
