-- The renderers of the command, on results built by hand: no server, no state.
local core = require "linky.core"
local dkjson = require "dkjson"
local format = require "linky.format"
local versions = require "spec.support.versions"

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

local function lines_of(s)
  local out = {}
  for line in s:gmatch("([^\n]*)\n") do out[#out + 1] = line end
  return out
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
      res.prm = 'a "quoted"\\ \n\t\1 é\226\128\168'
      res.zeta, res.alpha = 1, { b = 2, a = { 3, 4 } }
      local out = format.json(view(res))
      local back = assert(dkjson.decode(out))
      assert.equal(res.prm, back.prm)
      assert.same({ b = 2, a = { 3, 4 } }, back.alpha)
      assert.same({ 1, 2 }, { back.points[1].value, back.points[2].value })
      assert.truthy(out:find('"points":%[.*\n  "alpha":{\n    "a":%[3,4%],\n    "b":2\n  },\n  "zeta":1\n}\n$'), out)
      for _ = 1, 20 do assert.equal(out, format.json(view(res))) end
    end)

    it("writes numbers as every Lua version does: an integral float as an integer, -0 as 0", function()
      local big = 2 ^ 47 -- tostring writes 1.4073748835533e+14 before Lua 5.3
      local out = format.json(view(daily("2026-04-01", { 3.0, 0 / -1, big, 0.5, 2 ^ 53 })))
      assert.truthy(out:find('\n    {"date":"2026-04-01","time":1774994400,"value":3},\n'
        .. '    {"date":"2026-04-02","time":1775080800,"value":0},\n'
        .. '    {"date":"2026-04-03","time":1775167200,"value":140737488355328},\n'
        .. '    {"date":"2026-04-04","time":1775253600,"value":0.5},\n'
        .. '    {"date":"2026-04-05","time":1775340000,"value":9.007199254741e+15}\n', 1, true), out)
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

    it("says partial and the error of a failed call whose rows are printed", function()
      local err = setmetatable({ kind = "server_error", message = "Erreur \"inconnue\"", status = 500,
        body = "<html>" }, { __tostring = function() return "linky: server_error" end })
      local out = format.json(view(week()), { error = err })
      assert.truthy(out:find('\n  "cached":0,\n  "partial":true,\n  "error":{\n    "kind":"server_error",\n'
        .. '    "message":"Erreur \\"inconnue\\""\n  },\n  "gaps":[\n', 1, true), out)
      assert.is_nil(out:find("html", 1, true))
      assert.is_nil(format.json(view(week())):find('"partial"', 1, true))
      assert.is_nil(format.json(view(week()), {}):find('"error"', 1, true))
      assert.has_error(function() format.json(view(week()), { error = "boom" }) end)
    end)
  end)

  describe("csv", function()
    it("keeps its shape: no row for a missing day", function()
      assert.equal("date,value,unit,time\n2026-04-01,9271,Wh,1774994400\n2026-04-02,,Wh,1775080800\n"
        .. "2026-04-05,12724,Wh,1775340000\n2026-04-06,14054,Wh,1775426400\n2026-04-07,10000,Wh,1775512800\n",
        format.csv(view(week())))
    end)

    it("writes numbers as every Lua version does: an integral float as an integer, -0 as 0", function()
      assert.equal("date,value,unit,time\n2026-04-01,3,Wh,1774994400\n2026-04-02,0,Wh,1775080800\n"
        .. "2026-04-03,140737488355328,Wh,1775167200\n2026-04-04,0.5,Wh,1775253600\n", format.csv(view(daily("2026-04-01", { 3.0, 0 / -1, 2 ^ 47, 0.5 }))))
    end)
  end)

  describe("table", function()
    it("marks each missing or incomplete day at its place, and the total says the days it covers", function()
      local out = format.table(view(week()), {})
      local bar = function(v) return format.bar(v, 14054, 30) end
      assert.equal(table.concat({
        "Daily consumption · PRM 11111111111111 · 2026-04-01 to 2026-04-07 (7 days)",
        "",
        "date             value  unit",
        "2026-04-01 Wed   9 271  Wh    " .. bar(9271),
        "2026-04-02 Thu       -  Wh    partial",
        "2026-04-03 Fri                no data",
        "2026-04-04 Sat                no data",
        "2026-04-05 Sun  12 724  Wh    " .. bar(12724),
        "2026-04-06 Mon  14 054  Wh    " .. bar(14054),
        "2026-04-07 Tue  10 000  Wh    " .. bar(10000),
        ("─"):rep(28),
        "total           46 049  Wh    4 of 7 days, 1 partial",
        "mean            11 512  Wh",
        "max             14 054  Wh    2026-04-06 Mon",
        "1 value missing",
      }, "\n") .. "\n", out)
    end)

    it("says nothing more when no day is missing", function()
      local out = format.table(view(daily("2026-04-01", { 1, 2, 3 })), {})
      assert.truthy(out:find("\ntotal +6 +Wh +3 days\n"), out)
      assert.is_nil(out:find("no data", 1, true))
      assert.is_nil(out:find(" of ", 1, true))
    end)

    it("marks a missing first or last day, and a range without any data", function()
      local res = daily("2026-04-01", { false, 5, false },
        { { start = "2026-04-01", ["end"] = "2026-04-02", reason = "missing" },
          { start = "2026-04-03", ["end"] = "2026-04-04", reason = "missing" } })
      local l = lines_of(format.table(view(res), {}))
      assert.same({ "2026-04-01 Wed               no data", "2026-04-02 Thu      5  Wh    " .. format.bar(5, 5, 30),
        "2026-04-03 Fri               no data" }, { l[4], l[5], l[6] })
      assert.truthy(l[8]:find("^total +5 +Wh +1 of 3 days$"), l[8])
      local none = daily("2026-04-01", { false, false }, { { start = "2026-04-01", ["end"] = "2026-04-03",
        reason = "missing" } })
      local out = format.table(view(none), {})
      assert.truthy(out:find("\n2026%-04%-01 Wed +no data\n2026%-04%-02 Thu +no data\n"), out)
      assert.truthy(out:find("\ntotal +0 +Wh +0 of 2 days\n"), out)
      assert.is_nil(out:find("(no data)", 1, true))
    end)

    it("puts the days covered beside the mean when there is no total (max power)", function()
      local res = daily("2026-04-01", { 3000, false, 3500 },
        { { start = "2026-04-02", ["end"] = "2026-04-03", reason = "missing" } }, "consumption_max_power")
      local out = format.table(view(res), {})
      assert.truthy(out:find("\n2026%-04%-02 Thu +no data\n"), out)
      assert.truthy(out:find("\nmean +3 250 +VA +2 of 3 days\n"), out)
      assert.is_nil(out:find("\ntotal", 1, true))
    end)

    it("says per period how many of its days have data, and marks a period without any", function()
      local out = format.table(view(week(), { by = "week" }), {})
      assert.truthy(out:find("\nweek of 2026%-03%-30 +21 995 +Wh +█[^ \n]* +2 of 5 days, 1 partial\n"
        .. "week of 2026%-04%-06 +24 054 +Wh +█[^ \n]*\n"), out)
      assert.truthy(out:find("\ntotal +46 049 +Wh +2 weeks, 4 of 7 days, 1 partial\n"), out)
      out = format.table(view(week(), { by = "day" }), {})
      assert.truthy(out:find("\n2026%-04%-02 Thu +%- +Wh +partial\n2026%-04%-03 Fri +no data\n"
        .. "2026%-04%-04 Sat +no data\n2026%-04%-05 Sun +12 724 +Wh +█[^ \n]*\n"), out)
      local res = daily("2026-03-30", { 1, 2, 3, 4, 5, 6, 7, false, false, false, false, false, false, false, 9 },
        { { start = "2026-04-06", ["end"] = "2026-04-13", reason = "missing" } })
      out = format.table(view(res, { by = "week" }), {})
      assert.truthy(out:find("\nweek of 2026%-03%-30 +28 +Wh +█[^ \n]*\nweek of 2026%-04%-06 +no data\n"
        .. "week of 2026%-04%-13 +9 +Wh +█[^ \n]*\n"), out)
      out = format.table(view(week(), { by = "month" }), {})
      assert.truthy(out:find("\n2026%-04 +46 049 +Wh +█[^ \n]* +4 of 7 days, 1 partial\n"), out)
    end)

    it("marks a missing and an incomplete day of a load curve among its intervals", function()
      local res = curve("2026-04-01", "2026-04-04", {
        { start = "2026-04-02", ["end"] = "2026-04-03", reason = "missing" },
        { start = "2026-04-03", ["end"] = "2026-04-04", reason = "incomplete" },
      }, { ["2026-04-02"] = true }, { ["2026-04-03 12:00:00"] = true })
      local out = format.table(view(res), {})
      assert.truthy(out:find("\n2026%-04%-02 00:00 +1 000 +W +█[^ \n]*\n2026%-04%-02 Thu +no data\n"
        .. "2026%-04%-03 Fri +partial\n2026%-04%-03 00:30 +1 000 +W +█[^ \n]*\n"), out)
      assert.truthy(out:find("\nenergy +47 500 +Wh +95 intervals, 1 of 3 days, 1 partial\n"), out)
      out = format.table(view(res, { by = "hour" }), {})
      assert.truthy(out:find("\n2026%-04%-01 23:00 +1 000 +Wh +█[^ \n]*\n2026%-04%-02 Thu +no data\n"
        .. "2026%-04%-03 Fri +partial\n2026%-04%-03 00:00 +1 000 +Wh +█[^ \n]*\n"), out)
      out = format.table(view(res, { by = "day" }), {})
      assert.truthy(out:find("\n2026%-04%-02 Thu +no data\n2026%-04%-03 Fri +23 500 +Wh +█[^ \n]* +partial\n"), out)
    end)

    it("marks the days of index kinds", function()
      local res = daily("2026-04-01", { 100, false, 300 },
        { { start = "2026-04-02", ["end"] = "2026-04-03", reason = "missing" } }, "consumption_index")
      local out = format.table(view(res), {})
      assert.truthy(out:find("\n2026%-04%-02 Thu +no data\n"), out)
      assert.truthy(out:find("\nchange +200 +Wh +from 2026%-04%-01 Wed to 2026%-04%-03 Fri, 2 of 3 days\n"), out)
    end)
  end)

  describe("chart", function()
    it("marks each missing or incomplete day at its place, and the total says the days it covers", function()
      local out = format.chart(view(week()), {})
      local l = lines_of(out)
      assert.equal("2026-04-01 Wed │" .. format.bar(9271, 14054, 50) .. (" "):rep(50 - versions.utf8_len(format.bar(9271, 14054, 50)))
        .. " │  9 271 Wh", l[3])
      assert.equal("2026-04-02 Thu │" .. (" "):rep(50) .. " │      - Wh  partial", l[4])
      assert.equal("2026-04-03 Fri │ no data" .. (" "):rep(42) .. " │", l[5])
      assert.equal("2026-04-04 Sat │ no data" .. (" "):rep(42) .. " │", l[6])
      assert.truthy(l[7]:find("^2026%-04%-05 Sun │█+"), l[7])
      assert.truthy(out:find("\n +total +46 049 Wh  4 of 7 days, 1 partial\n"), out)
      out = format.chart(view(week(), { by = "week" }), {})
      assert.truthy(out:find("\nweek of 2026%-03%-30 │.-│ 21 995 Wh  2 of 5 days, 1 partial\n"), out)
    end)

    it("draws a line for a missing day of a load curve and marks an incomplete one", function()
      local res = curve("2026-04-01", "2026-04-04", {
        { start = "2026-04-02", ["end"] = "2026-04-03", reason = "missing" },
        { start = "2026-04-03", ["end"] = "2026-04-04", reason = "incomplete" },
      }, { ["2026-04-02"] = true }, { ["2026-04-03 12:00:00"] = true })
      local l = lines_of(format.chart(view(res), { offpeak = { "22:00-06:00" } }))
      local days = {}
      for _, line in ipairs(l) do
        if line:find("^2026%-") then days[#days + 1] = line end
      end
      assert.equal(3, #days)
      assert.equal("2026-04-01 Wed │" .. ("█"):rep(48) .. "│ 24 000 Wh   max 1 000 W", days[1])
      assert.equal("2026-04-02 Thu │" .. (" "):rep(48) .. "│ no data", days[2])
      assert.equal("2026-04-03 Fri │" .. ("█"):rep(23) .. " " .. ("█"):rep(24) .. "│ 23 500 Wh   max 1 000 W   partial",
        days[3])
      assert.truthy(table.concat(l, "\n"):find("\ntotal +47 500 Wh  1 of 3 days, 1 partial$"))
      l = lines_of(format.chart(view(res), {}))
      assert.equal("data: 1 of 3 days, 1 partial", l[#l])
    end)

    it("marks the days of index kinds", function()
      local res = daily("2026-04-01", { 100, false, 300 },
        { { start = "2026-04-02", ["end"] = "2026-04-03", reason = "missing" } }, "consumption_index")
      local out = format.chart(view(res), {})
      assert.truthy(out:find("\n2026%-04%-02 Thu │ no data +│\n2026%-04%-03 Fri │█.-│ 200 Wh\n"), out)
    end)
  end)

  describe("missing_warning", function()
    it("names the missing and incomplete ranges on one line", function()
      assert.equal("warning: 3 of 7 days without data: 2026-04-02 (partial), 2026-04-03 to 2026-04-04 (no data)",
        format.missing_warning(week()))
    end)

    it("is nil when nothing is missing", function()
      assert.is_nil(format.missing_warning(daily("2026-04-01", { 1, 2 })))
      local res = daily("2026-04-01", { 1 })
      res.gaps = nil
      assert.is_nil(format.missing_warning(res))
    end)

    it("stays one line for many ranges", function()
      local values, gaps = {}, {}
      for i = 1, 60 do
        values[i] = i % 2 == 0 and 1 or false
        if i % 2 == 1 then
          local d = core.day_number("2026-01-01") + i - 1
          gaps[#gaps + 1] = { start = core.date_of_day(d), ["end"] = core.date_of_day(d + 1), reason = "missing" }
        end
      end
      local w = format.missing_warning(daily("2026-01-01", values, gaps))
      assert.is_nil(w:find("\n", 1, true))
      assert.truthy(w:find("^warning: 30 of 60 days without data: 2026%-01%-01 %(no data%), "), w)
      assert.truthy(w:find(", and 20 more$"), w)
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
      assert.truthy(format.csv(v):find("\n2026-04-01 00:30:00,1000,W,,1774996200\n", 1, true))
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
