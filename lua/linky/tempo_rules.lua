--- RTE's rules for the Tempo colours of one season ("Méthode de choix des jours Tempo"): a
-- season runs 1 September to 31 August with at most 22 red and 43 white days; red days fall
-- between 1 November and 31 March, never on a Saturday or Sunday, at most 5 in a row; white
-- days never fall on a Sunday. An answer that breaks them is not to be trusted. Pure Lua.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.tempo_rules
local dates = require "linky.dates"

local M = {}

--- At most this many red days in a season.
M.MAX_RED = 22
--- At most this many white days in a season.
M.MAX_WHITE = 43
--- At most this many red days in a row.
M.MAX_RED_RUN = 5

--- The colours a day can have.
M.COLOURS = { blue = true, white = true, red = true }

local SUNDAY, SATURDAY = 0, 6
local WEEKDAY_NAMES = { [SUNDAY] = "Sunday", [SATURDAY] = "Saturday" }

--- The season a day belongs to.
-- @tparam integer day a day number
-- @treturn string the season's name, `"2025-2026"`
-- @treturn integer its first day (1 September)
-- @treturn integer its last day (31 August)
function M.season(day)
  local y, m = dates.format(day):match("^(%d+)-(%d+)")
  y = tonumber(y)
  if tonumber(m) < 9 then y = y - 1 end
  local first, last = dates.day(("%04d-09-01"):format(y)), dates.day(("%04d-08-31"):format(y + 1))
  return ("%d-%d"):format(y, y + 1), first, last
end

-- Whether a day falls between 1 November and 31 March.
local function in_winter(day)
  local m = tonumber(dates.format(day):sub(6, 7))
  return m >= 11 or m <= 3
end

local function broken(rule, day, message)
  local date = dates.format(day)
  return nil, ("%s: %s (RTE's Tempo rules)"):format(message, date), rule, date
end

--- Checks the colours of one season against RTE's rules.
-- @tparam {{day=string,colour=string},...} days the days of one season, in any order, each
-- `{ day = "YYYY-MM-DD", colour = "blue"|"white"|"red" }`; days left out are not counted
-- @treturn true|nil true when the season keeps the rules
-- @treturn string a message naming the broken rule and the first day that breaks it
-- @treturn string the rule: `"invalid"` (not a date or a colour, a day twice, days of two
-- seasons), `"too_many_red"`, `"too_many_white"`, `"red_out_of_winter"`, `"red_on_weekend"`,
-- `"too_many_red_in_a_row"`, `"white_on_sunday"`
-- @treturn string that day, `"YYYY-MM-DD"` (nil for a value that is no date)
function M.check(days)
  local list, seen, season = {}, {}, nil
  for i, entry in ipairs(days) do
    local day = type(entry) == "table" and type(entry.day) == "string" and dates.day(entry.day)
    if not day then
      return nil, ("day %d is not a date (YYYY-MM-DD)"):format(i), "invalid"
    end
    if not M.COLOURS[entry.colour] then
      return broken("invalid", day, "not a colour (blue, white or red)")
    end
    if seen[day] then return broken("invalid", day, "a day given twice") end
    seen[day] = true
    local name = M.season(day)
    season = season or name
    if name ~= season then
      return broken("invalid", day, ("a day outside the season %s"):format(season))
    end
    list[#list + 1] = { day = day, colour = entry.colour }
  end
  table.sort(list, function(a, b) return a.day < b.day end)
  local red, white, run, last_red = 0, 0, 0, nil
  for _, d in ipairs(list) do
    local weekday = dates.weekday(d.day)
    if d.colour == "red" then
      red = red + 1
      run = last_red == d.day - 1 and run + 1 or 1
      last_red = d.day
      if not in_winter(d.day) then
        return broken("red_out_of_winter", d.day, "a red day outside 1 November - 31 March")
      end
      -- before the weekend rule: a sixth red day in a row is a weekend day too, and the run is
      -- what it breaks first
      if run > M.MAX_RED_RUN then
        local why = ("more than %d red days in a row"):format(M.MAX_RED_RUN)
        return broken("too_many_red_in_a_row", d.day, why)
      end
      if WEEKDAY_NAMES[weekday] then
        return broken("red_on_weekend", d.day, "a red day on a " .. WEEKDAY_NAMES[weekday])
      end
      if red > M.MAX_RED then
        return broken("too_many_red", d.day, ("more than %d red days in the season"):format(M.MAX_RED))
      end
    elseif d.colour == "white" then
      white = white + 1
      if weekday == SUNDAY then return broken("white_on_sunday", d.day, "a white day on a Sunday") end
      if white > M.MAX_WHITE then
        return broken("too_many_white", d.day, ("more than %d white days in the season"):format(M.MAX_WHITE))
      end
    end
  end
  return true
end

return M
