--- Renders results for people and programs: table, CSV, JSON and chart.
-- Used by the `linky` command; each renderer takes a view (see `view`) and returns text.
-- @module linky.format
local analysis = require "linky.analysis"
local core = require "linky.core"
local kinds = require "linky.kinds"

local M = {}

local TITLES = {
  daily_consumption = "Daily consumption", consumption_load_curve = "Consumption load curve",
  consumption_max_power = "Daily max power", daily_production = "Daily production",
  production_load_curve = "Production load curve", consumption_index = "Consumption index",
  production_index = "Production index",
}

local WEEKDAYS = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" }

--- The weekday of a "YYYY-MM-DD..." date, or nil.
-- @tparam string date a date or timestamp
-- @treturn string|nil "Mon".."Sun"
function M.weekday(date)
  local day = core.day_number(date:sub(1, 10))
  return day and WEEKDAYS[(day + 4) % 7 + 1]
end

--- A view of a result, ready for a renderer.
-- Load curves stay in watts unless `energy` (then each row also has `energy`, in Wh); with `by`,
-- rows are the totals per period of `linky.aggregate`.
-- @tparam table res a result
-- @tparam table opts `by` (period), `energy` (boolean)
-- @treturn table|nil `{ res =, rows = {{date=, value=, ...}}, unit =, curve =, by =, summable = }`
-- @treturn table an error from the analysis helpers
function M.view(res, opts)
  local curve = analysis.is_load_curve(res)
  local spec = kinds[res.kind] or {}
  local v = { res = res, curve = curve and not opts.by, by = opts.by, unit = res.unit,
    index = spec.shape == "index" and not opts.by,
    summable = res.unit == "Wh" and spec.shape ~= "index" or curve }
  if opts.by then
    local rows, err = analysis.aggregate(res, opts.by)
    if not rows then return nil, err end
    for _, r in ipairs(rows) do r.date = r.start end
    v.rows = rows
    if curve then v.unit = "Wh" end
    return v
  end
  v.rows = {}
  local wh = {}
  if curve and opts.energy then
    local e, err = analysis.energy(res)
    if not e then return nil, err end
    wh = e.points
  end
  for i, p in ipairs(res.points) do
    v.rows[i] = { date = p.date, time = p.time, value = p.value, step = p.step,
      energy = wh[i] and wh[i].value }
  end
  return v
end

-- Numbers -------------------------------------------------------------------------------------

local function num(n)
  if n == nil then return "" end
  if math.type(n) == "integer" then return tostring(n) end
  return (("%.6f"):format(n):gsub("0+$", ""):gsub("%.$", ""))
end

--- An integer with its thousands grouped by spaces: `12 724`.
-- @tparam number n
-- @treturn string
function M.group(n)
  if n == nil then return "-" end
  local s = num(math.tointeger(n) or n)
  local sign, int, rest = s:match("^(-?)(%d+)(.*)$")
  if not int then return s end
  int = int:reverse():gsub("(%d%d%d)", "%1 "):reverse():gsub("^ ", "")
  return sign .. int .. rest
end

local function round(x) return math.floor(x + 0.5) end

local function width(s) return utf8.len(s) or #s end

local function pad_right(s, w) return s .. (" "):rep(w - width(s)) end
local function pad_left(s, w) return (" "):rep(w - width(s)) .. s end

local EIGHTHS = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" }

--- A horizontal bar of `value / max` of `cells` characters, in eighths of a cell.
-- @treturn string
function M.bar(value, max, cells)
  if not value or not max or max <= 0 or value <= 0 then return "" end
  local eighths = round(value / max * cells * 8)
  return ("█"):rep(eighths // 8) .. EIGHTHS[eighths % 8 + 1]
end

-- Colours: an identity unless enabled.
local function painter(enabled)
  local function paint(code)
    return function(s) return enabled and ("\27[" .. code .. "m" .. s .. "\27[0m") or s end
  end
  return { bold = paint("1"), dim = paint("2"), bar = paint("36") }
end

-- Headline ------------------------------------------------------------------------------------

local function last_day(res)
  local e = core.day_number(res["end"] or "")
  return e and core.date_of_day(e - 1) or res["end"]
end

--- The one-line title of a view: kind, PRM, days, API.
-- @treturn string
function M.title(v)
  local res = v.res
  local first, stop = core.day_number(res.start or ""), core.day_number(res["end"] or "")
  local days = first and stop and stop - first
  local span = res.start == last_day(res) and res.start or (res.start .. " to " .. last_day(res))
  local parts = { TITLES[res.kind] or res.kind, "PRM " .. tostring(res.prm),
    span .. (days and (" (%d day%s)"):format(days, days == 1 and "" or "s") or "") }
  if v.by then parts[#parts + 1] = "per " .. v.by end
  return table.concat(parts, " · ")
end

-- Row labels: dates with their weekday, load-curve times without seconds.
local function label(v, date)
  if v.by == "hour" then return date:sub(1, 16) end
  if v.by == "week" then return "week of " .. date end
  if v.by == "month" then return date:sub(1, 7) end
  if #date == 10 then return date .. " " .. (M.weekday(date) or "") end
  return date:sub(1, 16)
end

local function stats(rows)
  local total, count, max, max_row, missing = 0, 0, nil, nil, 0
  for _, r in ipairs(rows) do
    if r.value == nil then missing = missing + 1
    else
      total, count = total + r.value, count + 1
      if max == nil or r.value > max then max, max_row = r.value, r end
    end
  end
  return { total = total, count = count, max = max, max_row = max_row, missing = missing,
    mean = count > 0 and round(total / count) or nil }
end

-- Table ---------------------------------------------------------------------------------------

--- A table: date, value, unit and a bar scaled to the maximum, then total, mean and max.
-- A load curve whose energy is unknown (a point without a step) has no energy line but a note.
-- @tparam table v a view
-- @tparam table opts `color`, `offpeak` (list of ranges), `bar` (cells, default 30)
-- @treturn string|nil
-- @treturn table the analysis error of the off-peak split
function M.table(v, opts)
  local c = painter(opts.color)
  local st = stats(v.rows)
  -- An extra column: energy per interval (load curves with --energy), change since the previous
  -- reading (index kinds, whose bars then show that change).
  local extra, bar_of, bar_max = nil, {}, st.max
  if v.curve and v.rows[1] ~= nil and v.rows[1].energy ~= nil then
    extra = "energy"
  elseif v.index then
    extra, bar_max = "change", 0
    for i, r in ipairs(v.rows) do
      local prev = v.rows[i - 1]
      r.energy = prev and prev.value and r.value and r.value - prev.value or nil
      bar_of[i] = r.energy
      bar_max = math.max(bar_max, r.energy or 0)
    end
  end
  local show_energy = extra ~= nil
  local lines, cells = {}, {}
  local wl, wv, we = #"date", #"value", #(extra or "")
  for i, r in ipairs(v.rows) do
    local row = { label(v, r.date), M.group(r.value), show_energy and M.group(r.energy) or nil }
    cells[i] = row
    wl, wv = math.max(wl, width(row[1])), math.max(wv, #row[2])
    if row[3] then we = math.max(we, #row[3]) end
  end
  local unit = v.unit or ""
  local summary = {}
  local function add(name, value, u, note)
    summary[#summary + 1] = { name, M.group(value), u, note }
    wl, wv = math.max(wl, #name), math.max(wv, #M.group(value))
  end
  local note
  if v.curve then
    local wh, why = analysis.energy(v.res)
    if wh then
      local energy = 0
      for _, p in ipairs(wh.points) do energy = energy + (p.value or 0) end
      add("energy", energy, "Wh", ("%d intervals"):format(st.count))
    else
      note = why.message
    end
    if opts.offpeak then
      local split, err = analysis.split_offpeak(v.res, opts.offpeak)
      if not split then return nil, err end
      local ranges = table.concat(opts.offpeak, ", ")
      add("peak", split.peak, "Wh", "outside " .. ranges)
      add("off-peak", split.offpeak, "Wh", ranges)
    end
    if st.mean then add("mean power", st.mean, unit) end
    if st.max then add("max power", st.max, unit, label(v, st.max_row.date)) end
  elseif v.index then
    local first, last = v.rows[1], v.rows[#v.rows]
    if first and first.value and last.value then
      add("change", last.value - first.value, unit,
        ("from %s to %s"):format(label(v, first.date), label(v, last.date)))
    end
  else
    if v.summable then
      add("total", st.total, unit, ("%d %s"):format(st.count, v.by and v.by .. "s" or "days"))
    end
    if st.mean then add("mean", st.mean, unit) end
    if st.max then add("max", st.max, unit, label(v, st.max_row.date)) end
  end
  local wu = math.max(#"unit", #unit, show_energy and 0 or 2)
  lines[1] = c.bold(M.title(v))
  lines[2] = ""
  local head = pad_right("date", wl) .. "  " .. pad_left("value", wv) .. "  " .. pad_right("unit", wu)
  if show_energy then head = head .. "  " .. pad_left(extra, we) .. "    " end
  lines[3] = c.dim(head)
  local bar_cells = opts.bar or 30
  for i, r in ipairs(v.rows) do
    local row = cells[i]
    local line = pad_right(row[1], wl) .. "  " .. pad_left(row[2], wv) .. "  " .. pad_right(unit, wu)
    if show_energy then line = line .. "  " .. pad_left(row[3], we) .. "  Wh" end
    local b = v.index and M.bar(bar_of[i], bar_max, bar_cells) or M.bar(r.value, bar_max, bar_cells)
    lines[#lines + 1] = line .. "  " .. c.bar(b)
  end
  if #v.rows == 0 then lines[#lines + 1] = c.dim("(no data)") end
  lines[#lines + 1] = c.dim(("─"):rep(wl + wv + wu + 4))
  for _, s in ipairs(summary) do
    lines[#lines + 1] = pad_right(s[1], wl) .. "  " .. pad_left(s[2], wv) .. "  " .. pad_right(s[3], wu)
      .. (s[4] and ("  " .. c.dim(s[4])) or "")
  end
  if st.missing > 0 then
    lines[#lines + 1] = c.dim(("%d value%s missing"):format(st.missing, st.missing == 1 and "" or "s"))
  end
  if note then lines[#lines + 1] = c.dim(note) end
  return (table.concat(lines, "\n"):gsub(" +\n", "\n")) .. "\n"
end

-- CSV -----------------------------------------------------------------------------------------

local function csv_field(s)
  s = s == nil and "" or tostring(s)
  if s:find('[,"\r\n]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end

--- CSV with a header: `date,value,unit` (+ `step` for load curves, + `energy_wh` with energy;
-- `date,value,unit,count,min,max` per period). RFC 4180 quoting, LF line ends.
-- @tparam table v a view
-- @treturn string
function M.csv(v)
  local cols = { "date", "value", "unit" }
  if v.by then
    cols[4], cols[5], cols[6] = "count", "min", "max"
  elseif v.curve then
    cols[4] = "step"
    if v.rows[1] and v.rows[1].energy ~= nil then cols[5] = "energy_wh" end
  end
  local out = { table.concat(cols, ",") }
  for _, r in ipairs(v.rows) do
    local f = { csv_field(r.date), csv_field(num(r.value)), csv_field(v.unit) }
    if v.by then
      f[4], f[5], f[6] = num(r.count), num(r.min), num(r.max)
    elseif v.curve then
      f[4] = num(r.step)
      if cols[5] then f[5] = num(r.energy) end
    end
    out[#out + 1] = table.concat(f, ",")
  end
  return table.concat(out, "\n") .. "\n"
end

-- JSON ----------------------------------------------------------------------------------------

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(ch)
    local named = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
    return named[ch] or ("\\u%04x"):format(ch:byte())
  end) .. '"'
end

local RESULT_KEYS = { "prm", "kind", "api", "type", "start", "end", "unit", "quality", "requests", "cached",
  "gaps", "by", "points", "series", "classes" }
local POINT_KEYS = { "date", "start", "time", "value", "step", "nature", "energy_wh", "count", "min", "max" }

-- Keys in a fixed order first, then the others sorted.
local function ordered_keys(t, first)
  local keys, seen = {}, {}
  for _, k in ipairs(first) do
    if t[k] ~= nil then keys[#keys + 1] = k; seen[k] = true end
  end
  local rest = {}
  for k in pairs(t) do
    if not seen[k] then rest[#rest + 1] = tostring(k) end
  end
  table.sort(rest)
  for _, k in ipairs(rest) do keys[#keys + 1] = k end
  return keys
end

local encode

local function encode_list(list, indent, inline)
  if #list == 0 then return "[]" end
  local items = {}
  for i, x in ipairs(list) do items[i] = encode(x, indent .. "  ", true) end
  if inline then return "[" .. table.concat(items, ", ") .. "]" end
  return "[\n" .. indent .. "  " .. table.concat(items, ",\n" .. indent .. "  ") .. "\n" .. indent .. "]"
end

-- A point or a period: one line, keys in order, a nil value written as null.
local function encode_point(p)
  local parts = {}
  for _, k in ipairs(ordered_keys(p, POINT_KEYS)) do
    parts[#parts + 1] = json_string(k) .. ": " .. encode(p[k], "", true)
  end
  if p.value == nil then table.insert(parts, p.time and 3 or 2, '"value": null') end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function is_point(t) return t.time ~= nil and (t.date ~= nil or t.start ~= nil) end

-- Objects other than points: one key a line.
local function encode_object(t, indent, first)
  local keys = ordered_keys(t, first or {})
  if #keys == 0 then return "{}" end
  local parts = {}
  for _, k in ipairs(keys) do
    local v = t[k]
    local body
    if k == "points" or (type(v) == "table" and v[1] ~= nil and type(v[1]) == "table" and is_point(v[1])) then
      body = encode_list(v, indent .. "  ", false)
    else
      body = encode(v, indent .. "  ", false)
    end
    parts[#parts + 1] = indent .. "  " .. json_string(k) .. ": " .. body
  end
  return "{\n" .. table.concat(parts, ",\n") .. "\n" .. indent .. "}"
end

encode = function(x, indent, inline)
  local t = type(x)
  if x == nil then return "null"
  elseif t == "boolean" then return tostring(x)
  elseif t == "number" then
    if x ~= x or x == math.huge or x == -math.huge then return "null" end
    return math.type(x) == "integer" and tostring(x) or ("%.17g"):format(x)
  elseif t == "string" then return json_string(x)
  elseif t == "table" then
    if is_point(x) then return encode_point(x) end
    if x[1] ~= nil or next(x) == nil then return encode_list(x, indent, inline) end
    return encode_object(x, indent)
  end
  return json_string(tostring(x))
end

--- JSON of a view: the result without `responses`, points always an array, nil values as null,
-- keys in a stable order, one point a line.
-- @tparam table v a view
-- @treturn string
function M.json(v)
  local out = {}
  for k, x in pairs(v.res) do
    if k ~= "responses" then out[k] = x end
  end
  local points = {}
  for i, r in ipairs(v.rows) do
    if v.by then
      points[i] = { start = r.start, time = r.time, value = r.value, count = r.count,
        min = r.min, max = r.max }
    else
      local p = {}
      for k, x in pairs(v.res.points[i]) do p[k] = x end
      p.energy_wh = r.energy
      points[i] = p
    end
  end
  out.points, out.by, out.unit = points, v.by, v.unit
  return encode_object(out, "", RESULT_KEYS) .. "\n"
end

-- Chart ---------------------------------------------------------------------------------------

local SHADES = { "░", "▒", "▓", "█" }

-- Load curves: one line per Paris day, 48 half-hour cells shaded by mean power.
local function curve_chart(v, opts, c)
  local days, order = {}, {}
  for _, p in ipairs(v.res.points) do
    local t = p.time - (p.step or 0)
    local local_t = t + core.paris_offset(t)
    local day = local_t // 86400
    local d = days[day]
    if not d then
      d = { sum = {}, weight = {} }
      days[day] = d
      order[#order + 1] = day
    end
    if p.value ~= nil then
      local slot = local_t % 86400 // 1800
      local w = p.step or 1800
      d.sum[slot] = (d.sum[slot] or 0) + p.value * w
      d.weight[slot] = (d.weight[slot] or 0) + w
      d.max = math.max(d.max or p.value, p.value)
    end
  end
  table.sort(order)
  local max = 0
  for _, d in pairs(days) do max = math.max(max, d.max or 0) end
  local lines = { c.bold(M.title(v)), "" }
  local axis = {}
  for h = 0, 23, 3 do axis[#axis + 1] = ("%02d"):format(h) .. (" "):rep(4) end
  local lw = #"2026-04-01 Wed"
  lines[#lines + 1] = (" "):rep(lw + 2) .. c.dim(table.concat(axis))
  local energy_of = {}
  local per_day, why = analysis.aggregate(v.res, "day") -- unknown energy: "-" each day, and a note
  for _, d in ipairs(per_day or {}) do energy_of[d.start] = d.value end
  local energies, we = {}, 0
  for i, day in ipairs(order) do
    energies[i] = M.group(energy_of[core.date_of_day(day)])
    we = math.max(we, #energies[i])
  end
  for i, day in ipairs(order) do
    local d = days[day]
    local cells = {}
    for slot = 0, 47 do
      local w = d.weight[slot]
      if not w then cells[#cells + 1] = " "
      else
        local mean = d.sum[slot] / w
        if mean <= 0 then cells[#cells + 1] = "·"
        else cells[#cells + 1] = SHADES[math.min(4, math.max(1, math.ceil(mean / max * 4)))] end
      end
    end
    local date = core.date_of_day(day)
    lines[#lines + 1] = ("%s %s │%s│ %s Wh   max %s W"):format(date, M.weekday(date),
      c.bar(table.concat(cells)), pad_left(energies[i], we), M.group(d.max))
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = c.dim(("one cell = 30 min of mean power: ░ up to %s W, ▒ %s W, ▓ %s W, █ %s W; · zero")
    :format(M.group(round(max / 4)), M.group(round(max / 2)), M.group(round(max * 3 / 4)), M.group(max)))
  if not per_day then lines[#lines + 1] = c.dim(why.message) end
  if opts.offpeak then
    local split, err = analysis.split_offpeak(v.res, opts.offpeak)
    if not split then return nil, err end
    local total = split.peak + split.offpeak
    local function share(x) return total > 0 and round(x / total * 100) or 0 end
    local ranges = table.concat(opts.offpeak, ", ")
    local a, b = M.group(split.peak), M.group(split.offpeak)
    local w = math.max(#a, #b, #M.group(total))
    lines[#lines + 1] = ""
    lines[#lines + 1] = ("%-9s %s Wh  %3d %%  %s"):format("peak", pad_left(a, w), share(split.peak),
      c.dim("outside " .. ranges))
    lines[#lines + 1] = ("%-9s %s Wh  %3d %%  %s"):format("off-peak", pad_left(b, w), share(split.offpeak),
      c.dim(ranges))
    lines[#lines + 1] = ("%-9s %s Wh"):format("total", pad_left(M.group(total), w))
  end
  return (table.concat(lines, "\n"):gsub(" +\n", "\n")) .. "\n"
end

--- A chart: bars per day (or per period), or for load curves one line per day of half-hour
-- cells shaded by power.
-- @tparam table v a view
-- @tparam table opts `color`, `offpeak`, `bar` (cells, default 50)
-- @treturn string|nil
-- @treturn table the analysis error of the off-peak split
function M.chart(v, opts)
  local c = painter(opts.color)
  if v.curve then return curve_chart(v, opts, c) end
  if v.index then -- index readings only grow: chart what each day adds
    local changes = {}
    for i = 2, #v.rows do
      local a, b = v.rows[i - 1].value, v.rows[i].value
      changes[#changes + 1] = { date = v.rows[i].date, value = a and b and b - a or nil }
    end
    v = setmetatable({ rows = changes, index = false, summable = true }, { __index = v })
  end
  local st = stats(v.rows)
  local lines = { c.bold(M.title(v)), "" }
  local labels, values, wl, wv = {}, {}, 0, 0
  for i, r in ipairs(v.rows) do
    labels[i], values[i] = label(v, r.date), M.group(r.value)
    wl, wv = math.max(wl, width(labels[i])), math.max(wv, #values[i])
  end
  local cells, rows = opts.bar or 50, {}
  for i, r in ipairs(v.rows) do
    local b = M.bar(r.value, st.max, cells)
    rows[#rows + 1] = { labels[i], b, values[i] }
  end
  for _, s in ipairs(v.summable and { M.group(st.total) } or {}) do wv = math.max(wv, #s) end
  for _, r in ipairs(rows) do
    lines[#lines + 1] = ("%s │%s │ %s %s"):format(pad_right(r[1], wl), c.bar(pad_right(r[2], cells)),
      pad_left(r[3], wv), v.unit or "")
  end
  if #v.rows == 0 then lines[#lines + 1] = c.dim("(no data)") end
  local summary = {}
  if v.summable then summary[1] = { "total", M.group(st.total) } end
  if st.mean then summary[#summary + 1] = { "mean", M.group(st.mean) } end
  for _, s in ipairs(summary) do
    lines[#lines + 1] = ("%s  %s   %s %s"):format(pad_right("", wl), pad_left(s[1], cells),
      pad_left(s[2], wv), v.unit or "")
  end
  return table.concat(lines, "\n") .. "\n"
end

return M
