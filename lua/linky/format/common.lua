--- What the renderers share: numbers, widths, bars, colours, labels, the title, and the days a
-- result lacks (its `gaps`), placed among the rows that table and chart draw.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.format.common
local compat = require "linky.compat"
local core = require "linky.core"
local dates = require "linky.dates"
local i18n = require "linky.cli.i18n"

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
  return day and i18n.weekday(WEEKDAYS[dates.weekday(day) + 1])
end

-- Numbers -------------------------------------------------------------------------------------

--- A number as CSV writes it: integers as they are, floats without trailing zeros, nil empty;
-- the same text on every Lua version (an integral float is written as an integer, -0 as 0).
-- @treturn string
function M.num(n)
  if n == nil then return "" end
  if n == 0 then return "0" end
  if compat.type(n) == "integer" then return ("%d"):format(n) end
  return (("%.6f"):format(n):gsub("0+$", ""):gsub("%.$", ""))
end

--- An integer with its thousands grouped by spaces: `12 724` (nil: `-`).
-- @tparam number n
-- @treturn string
function M.group(n)
  if n == nil then return "-" end
  local s = M.num(compat.tointeger(n) or n)
  local sign, int, rest = s:match("^(-?)(%d+)(.*)$")
  if not int then return s end
  int = int:reverse():gsub("(%d%d%d)", "%1 "):reverse():gsub("^ ", "")
  return sign .. int .. rest
end

function M.round(x) return math.floor(x + 0.5) end

--- The width of a string on a terminal: its UTF-8 characters.
function M.width(s) return compat.utf8_len(s) or #s end

function M.pad_right(s, w) return s .. (" "):rep(w - M.width(s)) end
function M.pad_left(s, w) return (" "):rep(w - M.width(s)) .. s end

local EIGHTHS = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" }

--- A horizontal bar of `value / max` of `cells` characters, in eighths of a cell.
-- @treturn string
function M.bar(value, max, cells)
  if not value or not max or max <= 0 or value <= 0 then return "" end
  local eighths = M.round(value / max * cells * 8)
  return ("█"):rep(math.floor(eighths / 8)) .. EIGHTHS[eighths % 8 + 1]
end

--- Colours: identities unless enabled.
-- @treturn table `bold`, `dim`, `bar`: functions of a string
function M.painter(enabled)
  local function paint(code)
    return function(s) return enabled and ("\27[" .. code .. "m" .. s .. "\27[0m") or s end
  end
  return { bold = paint("1"), dim = paint("2"), bar = paint("36") }
end

-- Titles and labels ---------------------------------------------------------------------------

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
  local span = res.start == last_day(res) and res.start or i18n.t("%s to %s", res.start, last_day(res))
  local parts = { TITLES[res.kind] and i18n.t(TITLES[res.kind]) or res.kind, "PRM " .. tostring(res.prm),
    span .. (days and (" (%s)"):format(M.plural(days, "day")) or "") }
  if v.by then parts[#parts + 1] = i18n.t("per " .. v.by) end
  return table.concat(parts, " · ")
end

--- A row's label: a date with its weekday, a load-curve time without seconds, a period.
-- @treturn string
function M.label(v, date)
  if v.by == "hour" then return date:sub(1, 16) end
  if v.by == "week" then return i18n.t("week of %s", date) end
  if v.by == "month" then return date:sub(1, 7) end
  if #date == 10 then return date .. " " .. (M.weekday(date) or "") end
  return date:sub(1, 16)
end

--- Total, count, maximum (and its row), nil values and mean of rows.
-- @treturn table `{ total =, count =, max =, max_row =, missing =, mean = }`
function M.stats(rows)
  local total, count, max, max_row, missing = 0, 0, nil, nil, 0
  for _, r in ipairs(rows) do
    if r.value == nil then missing = missing + 1
    else
      total, count = total + r.value, count + 1
      if max == nil or r.value > max then max, max_row = r.value, r end
    end
  end
  return { total = total, count = count, max = max, max_row = max_row, missing = missing,
    mean = count > 0 and M.round(total / count) or nil }
end

-- Missing days --------------------------------------------------------------------------------

local function day_of(s) return type(s) == "string" and core.day_number(s:sub(1, 10)) or nil end

--- A count and its word, plural unless the count is 1: "1 day", "3 requests".
-- @tparam integer n
-- @tparam string word the singular
-- @treturn string
function M.plural(n, word) return i18n.n(n, "%d " .. word, "%d " .. word .. "s") end
local plural = M.plural

--- The days of a result's range that its gaps list, or nil when none does.
-- Gaps outside the range, or whose dates are not dates, are left out.
-- @tparam table res a result
-- @treturn table|nil `{ status = {[day] = "missing"|"incomplete"}, first =, stop =, days =,
-- missing =, incomplete =, ranges = {{ first =, stop =, reason = }, ...} }` (days are day
-- numbers, `stop` excluded; `first`, `stop`, `days` nil when the range is not known)
function M.coverage(res)
  local first, stop = day_of(res.start), day_of(res["end"])
  local cov = { status = {}, first = first, stop = stop, missing = 0, incomplete = 0, ranges = {},
    days = first and stop and stop > first and stop - first or nil }
  for _, g in ipairs(type(res.gaps) == "table" and res.gaps or {}) do
    local a = type(g) == "table" and day_of(g.start)
    local b = a and day_of(g["end"])
    if b then
      a, b = math.max(a, first or a), math.min(b, stop or b)
      local reason = g.reason == "incomplete" and "incomplete" or "missing"
      for d = a, b - 1 do
        if not cov.status[d] then cov.status[d], cov[reason] = reason, cov[reason] + 1 end
      end
      if a < b then cov.ranges[#cov.ranges + 1] = { first = a, stop = b, reason = reason } end
    end
  end
  if cov.missing + cov.incomplete == 0 then return nil end
  return cov
end

--- What a total covers when days lack: `"4 of 7 days, 1 partial"` (complete days of the
-- range, then the incomplete ones), or nil when none lacks.
-- @tparam table|nil cov what `coverage` returned
-- @treturn string|nil
function M.coverage_note(cov)
  if not cov then return nil end
  local lacking = cov.missing + cov.incomplete
  local s = cov.days and i18n.t("%d of %s", cov.days - lacking, plural(cov.days, "day"))
    or i18n.t("%s without data", plural(lacking, "day"))
  if cov.incomplete > 0 then s = s .. i18n.n(cov.incomplete, ", %d partial", ", %d partial") end
  return s
end

-- The marks of a day without (complete) data, in English: `mark` translates them.
M.MARKS = { missing = "no data", incomplete = "partial" }

--- The mark of a day without (complete) data, in the command's language.
-- @tparam string reason "missing" or "incomplete"
-- @treturn string
function M.mark(reason) return i18n.t(M.MARKS[reason]) end

-- The period (its first day) a day belongs to.
local function period_of(by, day)
  if by == "week" then return day - (day + 3) % 7 end -- ISO weeks; day 0 was a Thursday
  if by == "month" then return core.day_number(core.date_of_day(day):sub(1, 8) .. "01") end
  return day
end

-- What a period whose range days are `t` says: nil, "no data", "partial", "2 of 5 days, 1 partial".
local function period_note(t)
  local lacking = t.missing + t.incomplete
  if lacking == 0 then return nil end
  if t.missing == t.days then return M.mark("missing") end
  if t.days == 1 then return M.mark("incomplete") end
  return i18n.t("%d of %s", t.days - lacking, plural(t.days, "day"))
    .. (t.incomplete > 0 and i18n.n(t.incomplete, ", %d partial", ", %d partial") or "")
end

-- Load curves and hours: one marked row per missing or incomplete day, before its rows.
local function day_marks(v, rows, cov)
  local keys, marks = {}, {}
  for i, r in ipairs(rows) do
    local t = compat.tointeger(r.time)
    keys[i] = t and dates.point_day(t, v.curve)
  end
  for day, status in pairs(cov.status) do
    local date = core.date_of_day(day)
    marks[#marks + 1] = { key = day, label = date .. " " .. M.weekday(date), note = M.mark(status) }
  end
  return keys, marks, {}
end

-- Days and periods: a note on the row of a period lacking days, a marked row for a period
-- without any row.
local function period_marks(v, rows, cov)
  local keys, has_row, tally, notes, marks = {}, {}, {}, {}, {}
  for i, r in ipairs(rows) do
    local day = day_of(r.date)
    keys[i] = day and period_of(v.by, day)
    if keys[i] then has_row[keys[i]] = true end
  end
  for day, status in pairs(cov.status) do
    local p = period_of(v.by, day)
    tally[p] = tally[p] or { days = 0, missing = 0, incomplete = 0 }
    tally[p][status] = tally[p][status] + 1
  end
  if cov.first then
    for day = cov.first, cov.stop - 1 do
      local t = tally[period_of(v.by, day)]
      if t then t.days = t.days + 1 end
    end
  else
    for _, t in pairs(tally) do t.days = t.missing + t.incomplete end
  end
  for p, t in pairs(tally) do
    notes[p] = period_note(t)
    if not has_row[p] then
      marks[#marks + 1] = { key = p, label = M.label(v, core.date_of_day(p)), note = notes[p] }
    end
  end
  return keys, marks, notes
end

--- The rows of a view in order, with the days its result lacks: a list of `{ row = i, note = }`
-- (the i-th row, `note` nil unless its period lacks days) and `{ label =, note = }` (a marked
-- row: a missing or incomplete day, or a period without any row).
-- @tparam table v a view
-- @tparam table rows the rows to draw (`v.rows`, or what the renderer derives from them)
-- @tparam table|nil cov what `coverage` returned
-- @treturn table
function M.marked(v, rows, cov)
  local out = {}
  if not cov then
    for i = 1, #rows do out[i] = { row = i } end
    return out
  end
  local keys, marks, notes = ((v.curve or v.by == "hour") and day_marks or period_marks)(v, rows, cov)
  table.sort(marks, function(a, b) return a.key < b.key end)
  local m = 1
  for i = 1, #rows do
    while keys[i] and marks[m] and marks[m].key <= keys[i] do
      out[#out + 1] = marks[m]
      m = m + 1
    end
    out[#out + 1] = { row = i, note = keys[i] and notes[keys[i]] }
  end
  for j = m, #marks do out[#out + 1] = marks[j] end
  return out
end

return M
