-- The renderers of the command, on results built by hand: no server, no state.
local core = require "linky.core"
local dkjson = require "dkjson"
local format = require "linky.format"

-- A daily result: `values[i]` for the i-th day from `first` (false: no point that day, nil
-- inside a table `{ nil }` is awkward, so `"null"` stands for a null value).
local function daily(first, values, gaps, kind)
  local points = {}
  local day0 = core.day_number(first)
  for i, v in ipairs(values) do
    if v ~= false then
      local date = core.date_of_day(day0 + i - 1)
      points[#points + 1] = { date = date, time = core.to_epoch(date), value = v ~= "null" and v or nil }
    end
  end
  return { prm = "11111111111111", kind = kind or "daily_consumption", api = "2026",
    type = "consommation_quotidienne", start = first, ["end"] = core.date_of_day(day0 + #values),
    unit = kind == "consumption_max_power" and "VA" or "Wh", quality = "BRUT", requests = 1, cached = 0,
    gaps = gaps or {}, points = points }
end

-- A load curve of 30-minute points over [first, stop), but for the days in `skip` (a set of
-- dates) and the half-hours `cut` drops (a set of "YYYY-MM-DD HH:MM:SS" end dates).
local function curve(first, stop, gaps, skip, cut)
  local points = {}
  local a, b = core.to_epoch(first), core.to_epoch(stop)
  for t = a + 1800, b, 1800 do
    local day = core.date_of_day(core.paris_day(t - 1))
    local date = os.date("!%Y-%m-%d %H:%M:%S", t + core.paris_offset(t))
    if not (skip and skip[day]) and not (cut and cut[date]) then
      points[#points + 1] = { date = date, time = t, step = 1800, value = 1000, nature = "REEL" }
    end
  end
  return { prm = "11111111111111", kind = "consumption_load_curve", api = "2026",
    type = "courbe_de_charge_consommation", start = first, ["end"] = stop, unit = "W", quality = "BRUT",
    requests = 1, cached = 0, gaps = gaps or {}, points = points }
end

local function view(res, opts) return assert(format.view(res, opts or {})) end

-- 2026-04-01 to 2026-04-07: the 2nd null (incomplete), the 3rd and 4th missing (settled).
local GAPS = {
  { start = "2026-04-02", ["end"] = "2026-04-03", reason = "incomplete" },
  { start = "2026-04-03", ["end"] = "2026-04-05", reason = "missing", settled = true },
}
local function week() return daily("2026-04-01", { 9271, "null", false, false, 12724, 14054, 10000 }, GAPS) end

describe("linky.format", function()
  describe("json", function()
    it("writes keys in a stable order, one point a line, nil values as null", function()
      local res = daily("2026-04-01", { 9271, "null" })
      res.responses = { { "kept out" } }
      assert.equal([[
{
  "prm":"11111111111111",
  "kind":"daily_consumption",
  "api":"2026",
  "type":"consommation_quotidienne",
  "start":"2026-04-01",
  "end":"2026-04-03",
  "unit":"Wh",
  "quality":"BRUT",
  "requests":1,
  "cached":0,
  "gaps":[],
  "points":[
    {"date":"2026-04-01","time":1774994400,"value":9271},
    {"date":"2026-04-02","time":1775080800,"value":null}
  ]
}
]], format.json(view(res)))
    end)

    it("writes gaps one a line, start first, and keeps the points as they are (no extra rows)", function()
      local out = format.json(view(week()))
      assert.truthy(out:find('\n  "gaps":[\n'
        .. '    {"start":"2026-04-02","end":"2026-04-03","reason":"incomplete"},\n'
        .. '    {"start":"2026-04-03","end":"2026-04-05","reason":"missing","settled":true}\n  ],\n', 1, true), out)
      local back = dkjson.decode(out)
      assert.equal(5, #back.points)
      assert.equal(dkjson.null, dkjson.decode(out, 1, dkjson.null).points[2].value)
    end)

    it("writes no points as an empty array", function()
      local out = format.json(view(daily("2026-04-01", { false }, { GAPS[2] })))
      assert.equal('\n  "points":[]\n}\n', out:sub(-17))
    end)

    it("is JSON that decodes to the result, strings escaped and other keys sorted after", function()
      local res = daily("2026-04-01", { 1, 2 })
      res.prm = 'a "quoted"\\ \n\t\1 é\u{2028}'
      res.zeta, res.alpha = 1, { b = 2, a = { 3, 4 } }
      local out = format.json(view(res))
      local back = assert(dkjson.decode(out))
      assert.equal(res.prm, back.prm)
      assert.same({ b = 2, a = { 3, 4 } }, back.alpha)
      assert.same({ 1, 2 }, { back.points[1].value, back.points[2].value })
      assert.truthy(out:find('"points":%[.*\n  "alpha":{\n    "a":%[3,4%],\n    "b":2\n  },\n  "zeta":1\n}\n$'), out)
      for _ = 1, 20 do assert.equal(out, format.json(view(res))) end
    end)

    it("writes periods with --by, and by", function()
      local out = format.json(view(week(), { by = "week" }))
      assert.truthy(out:find('\n  "by":"week",\n', 1, true), out)
      assert.truthy(out:find('\n    {"start":"2026-03-30","time":1774821600,"value":21995,"count":2,'
        .. '"min":9271,"max":12724},\n', 1, true), out)
    end)

    it("keeps series and classes in a stable order, one point a line", function()
      local res = daily("2026-04-01", { 1 })
      res.series = { PMA = { unit = "VA", points = { { date = "2026-04-01", time = 1774994400, value = 5 } } } }
      res.classes = { HC = { { date = "2026-04-01", time = 1774994400 } } }
      local out = format.json(view(res))
      assert.truthy(out:find('\n  "series":{\n    "PMA":{\n      "unit":"VA",\n      "points":[\n'
        .. '        {"date":"2026-04-01","time":1774994400,"value":5}\n      ]\n    }\n  },\n', 1, true), out)
      assert.truthy(out:find('\n  "classes":{\n    "HC":[\n'
        .. '      {"date":"2026-04-01","time":1774994400,"value":null}\n    ]\n  }\n}\n', 1, true), out)
    end)

  end)

  describe("csv", function()
    it("keeps its shape: no row for a missing day", function()
      assert.equal("date,value,unit\n2026-04-01,9271,Wh\n2026-04-02,,Wh\n2026-04-05,12724,Wh\n"
        .. "2026-04-06,14054,Wh\n2026-04-07,10000,Wh\n", format.csv(view(week())))
    end)
  end)

  describe("a load-curve point without a step", function()
    local function stepless()
      local res = curve("2026-04-01", "2026-04-02")
      res.points[1].step = nil
      return res
    end

    it("is shown by every format, with a note where the energy is unknown", function()
      local v = view(stepless())
      local out = format.table(v, {})
      assert.truthy(out:find("\npoint 1 (2026-04-01 00:30:00) has no step: its energy is unknown\n", 1, true), out)
      assert.truthy(format.chart(v, {}):find("\n2026-04-01 Wed │", 1, true))
      assert.truthy(format.csv(v):find("\n2026-04-01 00:30:00,1000,W,\n", 1, true))
      assert.truthy(format.json(v):find('\n    {"date":"2026-04-01 00:30:00","time":1774996200,"value":1000,'
        .. '"nature":"REEL"},\n', 1, true))
    end)

    it("makes what needs its energy return an error, not raise", function()
      for _, opts in ipairs { { by = "day" }, { energy = true } } do
        local v, err = format.view(stepless(), opts)
        assert.is_nil(v)
        assert.equal("invalid_argument", err.kind)
      end
      local v, err = format.table(view(stepless()), { offpeak = { "22:00-06:00" } })
      assert.is_nil(v)
      assert.equal("invalid_argument", err.kind)
      v, err = format.chart(view(stepless()), { offpeak = { "22:00-06:00" } })
      assert.is_nil(v)
      assert.equal("invalid_argument", err.kind)
    end)
  end)
end)
