--- Calendar days as the API speaks them: "YYYY-MM-DD", Europe/Paris.
-- Days are integers (days since 1970-01-01) so ranges are simple arithmetic;
-- the calendar itself lives in the C core.
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

--- `"YYYY-MM-DD"` of a day number.
M.format = core.date_of_day

--- Today's day number in Paris for an epoch time.
M.paris_day = core.paris_day

--- Splits [first, stop) into consecutive sub-ranges of at most `max_days`.
-- @treturn {{integer,integer},...} pairs of day numbers, end excluded
function M.split(first, stop, max_days)
  local ranges = {}
  while first < stop do
    local e = math.min(first + max_days, stop)
    ranges[#ranges + 1] = { first, e }
    first = e
  end
  return ranges
end

return M
