--- French public holidays (jours fériés, Code du travail L3133-1): 1 January, Easter Monday,
-- 1 May, 8 May, Ascension Thursday (Easter + 39 days), Whit Monday (Easter + 50 days), 14 July,
-- 15 August, 1 November, 11 November, 25 December. Alsace-Moselle's two extra days (Good
-- Friday, 26 December) are not included. Easter Sunday is computed with the anonymous Gregorian
-- algorithm (Meeus, "Astronomical Algorithms", ch. 8; also known as Meeus/Jones/Butcher), exact
-- for every Gregorian year. Hand-written: a few lines of arithmetic, no library needed.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.holidays
local core = require "linky.core"
local dates = require "linky.dates"

local M = {}

local FIXED = { "01-01", "05-01", "05-08", "07-14", "08-15", "11-01", "11-11", "12-25" }
local AFTER_EASTER = { 1, 39, 50 } -- Easter Monday, Ascension Thursday, Whit Monday

--- Easter Sunday of a year (Gregorian calendar).
-- @tparam integer year
-- @treturn integer month
-- @treturn integer day
function M.easter(year)
  local a = year % 19
  local b, c = math.floor(year / 100), year % 100
  local d, e = math.floor(b / 4), b % 4
  local f = math.floor((b + 8) / 25)
  local g = math.floor((b - f + 1) / 3)
  local h = (19 * a + b - d - g + 15) % 30
  local i, k = math.floor(c / 4), c % 4
  local l = (32 + 2 * e + 2 * i - h - k) % 7
  local m = math.floor((a + 11 * h + 22 * l) / 451)
  local month = math.floor((h + l - 7 * m + 114) / 31)
  local day = (h + l - 7 * m + 114) % 31 + 1
  return month, day
end

local cache = {}

--- The public holidays of a year, as a set of day numbers.
-- @tparam integer year from 1000 to 9999
-- @treturn table `{ [day] = true }`
function M.of_year(year)
  if cache[year] then return cache[year] end
  local set = {}
  for _, md in ipairs(FIXED) do set[core.day_number(("%04d-%s"):format(year, md))] = true end
  local em, ed = M.easter(year)
  local easter = core.day_number(("%04d-%02d-%02d"):format(year, em, ed))
  for _, n in ipairs(AFTER_EASTER) do set[easter + n] = true end
  cache[year] = set
  return set
end

--- Whether a day is a French public holiday.
-- @tparam integer day a day number
-- @treturn boolean
function M.is_holiday(day)
  local year = tonumber(dates.format(day):sub(1, 4))
  return M.of_year(year)[day] == true
end

return M
