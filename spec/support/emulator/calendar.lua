-- Calendar arithmetic on day numbers (days since 1970-01-01) and Europe/Paris wall-clock labels,
-- independent of the host's time zone. Written here: os.date knows only the host's zone.
local M = {}

local format = string.format

-- Howard Hinnant's days_from_civil / civil_from_days.
function M.days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end
local days_from_civil = M.days_from_civil

function M.civil_from_days(z)
  z = z + 719468
  local era = z // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m, d
end
local civil_from_days = M.civil_from_days

--- "YYYY-MM-DD" of a day number.
function M.day_string(dn)
  return format("%04d-%02d-%02d", civil_from_days(dn))
end

--- Day of the week of a day number, 0 = Sunday.
function M.weekday(dn)
  return (dn + 4) % 7
end
local weekday = M.weekday

local function days_in_month(y, m)
  if m == 12 then return 31 end
  return days_from_civil(y, m + 1, 1) - days_from_civil(y, m, 1)
end

--- "YYYY-MM-DD" -> day number, or nil when the calendar date does not exist.
function M.parse_day(s)
  local y, m, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not y then return nil end
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if m < 1 or m > 12 or d < 1 or d > days_in_month(y, m) then return nil end
  return days_from_civil(y, m, d)
end

--- Days since January 1st of the day's year.
function M.day_of_year(dn)
  local y = civil_from_days(dn)
  return dn - days_from_civil(y, 1, 1)
end

local function last_sunday(y, m)
  local last = days_from_civil(y, m, days_in_month(y, m))
  return last - weekday(last)
end

--- Offset of Europe/Paris from UTC (seconds) at a UTC instant. EU rule: summer time from the
-- last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC.
function M.paris_offset(t)
  local y = civil_from_days(t // 86400)
  local from = last_sunday(y, 3) * 86400 + 3600
  local to = last_sunday(y, 10) * 86400 + 3600
  return (t >= from and t < to) and 7200 or 3600
end
local paris_offset = M.paris_offset

--- UTC instant of local midnight starting day dn. Transitions happen at 01:00 UTC, far from
-- local midnight, so the offset an hour before the CET midnight is the right one.
function M.paris_midnight(dn)
  return dn * 86400 - paris_offset(dn * 86400 - 3600)
end
local paris_midnight = M.paris_midnight

--- Local wall-clock label "YYYY-MM-DD HH:MM:SS" (no offset) of a UTC instant.
function M.paris_label(t)
  local lt = t + paris_offset(t)
  local s = lt % 86400
  return format("%s %02d:%02d:%02d", M.day_string(lt // 86400), s // 3600, s % 3600 // 60, s % 60)
end

--- End-of-interval UTC instants of the half-hours of local day dn: 48, 46 (spring) or 50.
-- @tparam integer dn day number
-- @treturn table UTC instants (seconds)
function M.half_hours(dn)
  local from, to = paris_midnight(dn), paris_midnight(dn + 1)
  local out = {}
  for t = from + 1800, to, 1800 do out[#out + 1] = t end
  return out
end

return M
