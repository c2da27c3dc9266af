--- What the renderers share: numbers, widths, bars, colours, labels and the title.
-- @module linky.format.common
local core = require "linky.core"

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

-- Numbers -------------------------------------------------------------------------------------

--- A number as CSV writes it: integers as they are, floats without trailing zeros, nil empty.
-- @treturn string
function M.num(n)
  if n == nil then return "" end
  if math.type(n) == "integer" then return tostring(n) end
  return (("%.6f"):format(n):gsub("0+$", ""):gsub("%.$", ""))
end

--- An integer with its thousands grouped by spaces: `12 724` (nil: `-`).
-- @tparam number n
-- @treturn string
function M.group(n)
  if n == nil then return "-" end
  local s = M.num(math.tointeger(n) or n)
  local sign, int, rest = s:match("^(-?)(%d+)(.*)$")
  if not int then return s end
  int = int:reverse():gsub("(%d%d%d)", "%1 "):reverse():gsub("^ ", "")
  return sign .. int .. rest
end

function M.round(x) return math.floor(x + 0.5) end

--- The width of a string on a terminal: its UTF-8 characters.
function M.width(s) return utf8.len(s) or #s end

function M.pad_right(s, w) return s .. (" "):rep(w - M.width(s)) end
function M.pad_left(s, w) return (" "):rep(w - M.width(s)) .. s end

local EIGHTHS = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" }

--- A horizontal bar of `value / max` of `cells` characters, in eighths of a cell.
-- @treturn string
function M.bar(value, max, cells)
  if not value or not max or max <= 0 or value <= 0 then return "" end
  local eighths = M.round(value / max * cells * 8)
  return ("█"):rep(eighths // 8) .. EIGHTHS[eighths % 8 + 1]
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
  local span = res.start == last_day(res) and res.start or (res.start .. " to " .. last_day(res))
  local parts = { TITLES[res.kind] or res.kind, "PRM " .. tostring(res.prm),
    span .. (days and (" (%d day%s)"):format(days, days == 1 and "" or "s") or "") }
  if v.by then parts[#parts + 1] = "per " .. v.by end
  return table.concat(parts, " · ")
end

--- A row's label: a date with its weekday, a load-curve time without seconds, a period.
-- @treturn string
function M.label(v, date)
  if v.by == "hour" then return date:sub(1, 16) end
  if v.by == "week" then return "week of " .. date end
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

return M
