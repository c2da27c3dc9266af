--- Calendar days as the API speaks them: "YYYY-MM-DD", Europe/Paris.
-- Days are integers (days since 1970-01-01) so ranges are simple arithmetic;
-- the calendar itself lives in the C core.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.dates
local compat = require "linky.compat"
local core = require "linky.core"

local M = {}

--- The day number of a date argument.
-- @param v `"YYYY-MM-DD"` or `{year=, month=, day=}`
-- @treturn integer|nil the day, or nil and a message when the value is not a date
-- @treturn string
function M.day(v)
  if type(v) == "table" then
    local y, m, d = compat.tointeger(v.year), compat.tointeger(v.month), compat.tointeger(v.day)
    if not (y and m and d) or y < 1000 or y > 9999 or m < 1 or m > 12 or d < 1 or d > 31 then
      return nil, "date table needs integer year, month and day"
    end
    v = ("%04d-%02d-%02d"):format(y, m, d)
  end
  local day = #v == 10 and core.day_number(v) or nil
  if not day then return nil, ("%q is not a date (YYYY-MM-DD)"):format(v:sub(1, 40)) end
  return day
end

--- The Paris day a point belongs to: a load-curve point's time ends its interval, so it
-- belongs to the day of the second before (the 00:00 point is the previous day's last).
-- @tparam integer time the point's epoch time
-- @tparam boolean curve a load-curve kind
-- @treturn integer the day number
function M.point_day(time, curve)
  return core.paris_day(curve and time - 1 or time)
end

--- The Monday that starts the ISO week of a day.
-- @tparam integer day a day number
-- @treturn integer
function M.week_start(day)
  return day - (M.weekday(day) + 6) % 7
end

--- The first day of the month of a day.
-- @tparam integer day a day number
-- @treturn integer
function M.month_start(day)
  return core.day_number(M.format(day):sub(1, 8) .. "01")
end

--- How many days the month of a day has (28 to 31).
-- @tparam integer day a day number
-- @treturn integer
function M.days_in_month(day)
  local first = M.month_start(day)
  return M.month_start(first + 31) - first -- 31 days on is always in the next month
end

--- How many days the calendar year of a day has (365 or 366).
-- @tparam integer day a day number
-- @treturn integer
function M.days_in_year(day)
  local y = M.format(day):sub(1, 4)
  return core.day_number(("%04d-01-01"):format(tonumber(y) + 1)) - core.day_number(y .. "-01-01")
end

--- The day n calendar months before `day`: the same day of the month, or that month's last.
-- @tparam integer day a day number
-- @tparam integer n months
-- @treturn integer|nil the day, or nil before the calendar's first year
function M.months_before(day, n)
  local y, m, d = M.format(day):match("^(%d+)-(%d+)-(%d+)$")
  if not y then return nil end
  y, m, d = tonumber(y), tonumber(m) - n, tonumber(d)
  y, m = y + math.floor((m - 1) / 12), (m - 1) % 12 + 1
  if y < 1 then return nil end
  local first = core.day_number(("%04d-%02d-01"):format(y, m))
  return first + math.min(d, M.days_in_month(first)) - 1
end

--- The first day any data can exist for: no Linky meter reported before 2000-01-01.
M.FIRST = 10957 -- 2000-01-01

--- A day argument of a call: a date (see `day`) on or after 2000-01-01.
-- @treturn integer|nil the day
-- @treturn string why not
function M.call_day(v)
  -- the usual argument, a date string, in one C call; anything else as `day` reads it
  local day = type(v) == "string" and #v == 10 and core.day_number(v)
  if not day then
    local why
    day, why = M.day(v)
    if not day then return nil, why end
  end
  if day < M.FIRST then
    return nil, ("%s is before 2000-01-01: no meter has data then"):format(M.format(day))
  end
  return day
end

--- Months of history Enedis keeps: load curves, and every other kind (index kinds included,
-- an assumption: the service documents no depth for them).
M.HISTORY_MONTHS = { curve = 24, other = 36 }
--- Days of history kept past those months.
M.HISTORY_GRACE = 15

-- The horizons of the last `today` asked, by kind of history: every call of a day asks the same
-- one, which costs a dozen calendar calls and strings to compute.
local horizon_today, horizon_of = nil, {}

--- The first day still within the history Enedis keeps on `today`: today - 24 (load curves) or
-- 36 calendar months - 15 days. Earlier days are `beyond_history`: never asked.
-- @tparam integer today the client's day today
-- @tparam boolean curve a load-curve kind
-- @treturn integer
function M.horizon(today, curve)
  local key = curve and "curve" or "other"
  if today ~= horizon_today then horizon_today, horizon_of = today, {} end
  local h = horizon_of[key]
  if not h then
    h = (M.months_before(today, M.HISTORY_MONTHS[key]) or 0) - M.HISTORY_GRACE
    horizon_of[key] = h
  end
  return h
end

--- `"YYYY-MM-DD"` of a day number.
M.format = core.date_of_day

--- The weekday of a day number: 0 for Sunday to 6 for Saturday (1970-01-01 was a Thursday).
-- @tparam integer day a day number
-- @treturn integer
function M.weekday(day)
  return (day + 4) % 7
end

--- Today's day number in Paris for an epoch time.
M.paris_day = core.paris_day

--- Splits [first, stop) into consecutive sub-ranges of at most `max_days`.
-- @tparam[opt] table into the list the ranges are appended to (default: a new one)
-- @treturn {{integer,integer},...} pairs of day numbers, end excluded
function M.split(first, stop, max_days, into)
  local ranges = into or {}
  while first < stop do
    local e = math.min(first + max_days, stop)
    ranges[#ranges + 1] = { first, e }
    first = e
  end
  return ranges
end

--- Splits [first, stop) as `split` does, from the end: the newest sub-range first, the
-- oldest one shorter.
-- @tparam[opt] table into the list the ranges are appended to (default: a new one)
-- @treturn {{integer,integer},...} pairs of day numbers, end excluded, newest first
function M.split_back(first, stop, max_days, into)
  local ranges = into or {}
  while stop > first do
    local b = math.max(stop - max_days, first)
    ranges[#ranges + 1] = { b, stop }
    stop = b
  end
  return ranges
end

return M
