--- Analysis helpers: energy of load curves, totals per period, peak/off-peak split.
-- Pure functions on the results of a `linky.Client`; the Paris calendar comes
-- from the C core, so the process time zone never matters.
--
-- Energy is exact: a point's energy is an integer of watt-seconds (W × step seconds, or
-- Wh × 3600 for energy results), totals add those integers and round once, half up, to the Wh
-- they show. Values are integers bounded by 10 MW (a day's energy point by 10 MW × 25 h): a
-- year of 10 MW is 3.2e14 W·s, so every sum stays an exact integer below 2^53 on every Lua
-- (numbers are doubles on 5.1, 5.2 and LuaJIT); a Linky meter measures at most 36 kVA.
-- @module linky.analysis
local compat = require "linky.compat"
local core = require "linky.core"
local dates = require "linky.dates"
local errors = require "linky.errors"
local kinds = require "linky.kinds"

local M = {}

local floor = math.floor

--- Watt-seconds in a Wh.
M.WS_PER_WH = 3600
-- The largest power a load-curve value may hold, in W (and an energy point: a day of it).
local MAX_W = 10000000
local MAX_WH = MAX_W * 25

local function invalid(message)
  return nil, errors.new("invalid_argument", message)
end

--- Watt-seconds rounded half up to Wh: the single rounding of every energy shown.
-- @tparam number ws an integer of watt-seconds
-- @treturn number an integer of Wh
function M.wh(ws)
  local q, r = compat.divmod(ws, M.WS_PER_WH)
  if 2 * r >= M.WS_PER_WH then q = q + 1 end
  return q
end

local function check_result(res, fname)
  if type(res) ~= "table" or type(res.points) ~= "table" then
    error(("bad argument #1 to '%s' (linky result expected, got %s)"):format(fname, type(res)), 3)
  end
end

--- Whether a result is a load curve (values are average watts over a step).
-- @tparam table res a result
-- @treturn boolean
function M.is_load_curve(res)
  local spec = kinds[res.kind]
  if spec then return spec.load_curve end
  local p = res.points[1]
  return p ~= nil and p.step ~= nil
end

-- A copy of `res` with new points and unit.
local function with_points(res, points, unit)
  local out = {}
  for k, v in pairs(res) do out[k] = v end
  out.points, out.unit, out.responses = points, unit, nil
  return out
end

--- The exact energy of each point, in watt-seconds.
-- A load curve's value is W over the point's `step` seconds; an energy result's value is Wh.
-- @tparam table res a result holding energy or a load curve
-- @treturn table|nil `ws[i]` for each point `i` with a value (an integer)
-- @treturn table an `invalid_argument` error: a point without step, a value that is not an
-- integer or beyond 10 MW, a power result
function M.watt_seconds(res)
  check_result(res, "watt_seconds")
  local curve = M.is_load_curve(res)
  if not curve and res.unit ~= "Wh" then
    return invalid(("%s values are in %s, not energy"):format(res.kind or "these", res.unit or "?"))
  end
  local ws = {}
  for i, p in ipairs(res.points) do
    local step = curve and compat.tointeger(p.step)
    if curve and (not step or step <= 0) then
      return invalid(("point %d (%s) has no step: its energy is unknown"):format(i, tostring(p.date)))
    end
    if p.value ~= nil then
      local v = compat.tointeger(p.value)
      local max = curve and MAX_W or MAX_WH
      if not v or v > max or v < -max then
        return invalid(("point %d (%s): %s %s is not a whole number within %d"):format(i, tostring(p.date),
          tostring(p.value):sub(1, 30), curve and "W" or "Wh", max))
      end
      ws[i] = curve and v * step or v * M.WS_PER_WH
    end
  end
  return ws
end

--- Energy in Wh per interval of a load curve, for display.
-- Each value becomes `W * step / 3600` rounded half up; nil values stay nil. Totals are not
-- sums of these: `aggregate` and `split_offpeak` add exact watt-seconds and round once.
-- A result that already holds energy (unit `Wh`, not a load curve) is returned as a copy.
-- @tparam table res a result
-- @treturn table|nil a result whose points are Wh per interval, `unit = "Wh"`
-- @treturn table an `invalid_argument` error (a point without step, a value that is not an
-- integer or beyond 10 MW, a power result)
function M.energy(res)
  check_result(res, "energy")
  if not M.is_load_curve(res) then
    if res.unit == "Wh" then return with_points(res, res.points, "Wh") end
    return invalid(("%s values are in %s, not energy"):format(res.kind or "these", res.unit or "?"))
  end
  local ws, err = M.watt_seconds(res)
  if not ws then return nil, err end
  local points = {}
  for i, p in ipairs(res.points) do
    local q = {}
    for k, v in pairs(p) do q[k] = v end
    if ws[i] ~= nil then q.value = M.wh(ws[i]) end
    points[i] = q
  end
  return with_points(res, points, "Wh")
end

--- The exact total energy of a result, rounded once.
-- @tparam table res a result holding energy or a load curve
-- @treturn number|nil Wh (0 when no point has a value)
-- @treturn table an `invalid_argument` error, as `watt_seconds`
function M.total_wh(res)
  local ws, err = M.watt_seconds(res)
  if not ws then return nil, err end
  local sum = 0
  for i in ipairs(res.points) do sum = sum + (ws[i] or 0) end
  return M.wh(sum)
end

-- Start of a point's interval: load-curve dates end their interval.
local function interval_start(p)
  return p.time - (p.step or 0)
end

local function day_start(day)
  return core.to_epoch(core.date_of_day(day))
end

-- period -> function(epoch) -> key epoch, label
local PERIODS = {
  hour = function(t)
    local u = t - t % 3600 -- Paris offsets are whole hours
    local local_t = u + core.paris_offset(u)
    local day = floor(local_t / 86400)
    local hh = floor(local_t % 86400 / 3600)
    return u, ("%s %02d:00:00"):format(core.date_of_day(day), hh)
  end,
  day = function(t)
    local day = core.paris_day(t)
    return day_start(day), core.date_of_day(day)
  end,
  week = function(t) -- ISO weeks start on Monday
    local monday = dates.week_start(core.paris_day(t))
    return day_start(monday), core.date_of_day(monday)
  end,
  month = function(t)
    local first = dates.month_start(core.paris_day(t))
    return day_start(first), core.date_of_day(first)
  end,
}

-- How values of a period combine: energy adds up, power keeps its peak,
-- a totaliser index keeps its last reading.
local function combine_mode(res)
  local spec = kinds[res.kind]
  if spec and spec.shape == "index" then return "last" end
  if res.unit == "Wh" then return "sum" end
  return "max"
end

--- Totals per period of the Paris calendar.
-- Load curves are converted to energy first; an interval belongs to the period of its start
-- (`time - step`). `value` is the sum for energy (exact watt-seconds, rounded once to Wh), the
-- maximum for power (VA) and the last reading for index kinds; `min` and `max` are the values
-- of single points (Wh per interval for a load curve); nil values are skipped (`count` counts
-- the others).
-- @tparam table res a result
-- @tparam string period `"hour"`, `"day"`, `"week"` or `"month"`
-- @treturn table|nil list of `{ start = "YYYY-MM-DD[ HH:MM:SS]", time =, value =, count =, min =, max = }`
-- in time order
-- @treturn table an `invalid_argument` error
function M.aggregate(res, period)
  check_result(res, "aggregate")
  local key_of = PERIODS[period]
  if not key_of then
    return invalid(("period must be \"hour\", \"day\", \"week\" or \"month\", not %q")
      :format(tostring(period):sub(1, 20)))
  end
  -- min and max are the Wh per interval shown; a sum adds exact watt-seconds
  local shown, ws, err = res
  if M.is_load_curve(res) then
    shown, err = M.energy(res)
    if not shown then return nil, err end
  end
  local mode = combine_mode(shown)
  if mode == "sum" then
    ws, err = M.watt_seconds(res)
    if not ws then return nil, err end
  end
  local out, by_key = {}, {}
  for i, p in ipairs(shown.points) do
    local key, label = key_of(interval_start(p))
    local agg = by_key[key]
    if not agg then
      agg = { start = label, time = key, count = 0 }
      by_key[key] = agg
      out[#out + 1] = agg
    end
    local v = p.value
    if v ~= nil then
      agg.count = agg.count + 1
      agg.min = agg.min and math.min(agg.min, v) or v
      agg.max = agg.max and math.max(agg.max, v) or v
      if mode == "sum" then agg.ws = (agg.ws or 0) + ws[i]
      elseif mode == "max" then agg.value = agg.max
      else agg.value = v end
    end
  end
  for _, agg in ipairs(out) do
    if agg.ws then agg.value, agg.ws = M.wh(agg.ws), nil end
  end
  table.sort(out, function(a, b) return a.time < b.time end)
  return out
end

-- "HH:MM-HH:MM" -> minute of day of both ends, or nil.
local function parse_range(s)
  if type(s) ~= "string" then return nil end
  local h1, m1, h2, m2 = s:match("^(%d%d?):(%d%d)%-(%d%d?):(%d%d)$")
  if not h1 then return nil end
  local a, b = tonumber(h1) * 60 + tonumber(m1), tonumber(h2) * 60 + tonumber(m2)
  if tonumber(m1) > 59 or tonumber(m2) > 59 or a > 1440 or b > 1440 or a == b then return nil end
  return a, b
end

--- Parses off-peak ranges.
-- @tparam {string,...} ranges e.g. `{"22:00-06:00"}` or `{"01:30-07:30", "12:30-14:30"}`
-- @treturn table|nil list of `{from, to}` minutes of the day (a range may wrap past midnight)
-- @treturn table an `invalid_argument` error
function M.parse_ranges(ranges)
  if type(ranges) ~= "table" or ranges[1] == nil then
    return invalid("off-peak ranges must be a non-empty list like {\"22:00-06:00\"}")
  end
  local out = {}
  for i, s in ipairs(ranges) do
    local a, b = parse_range(s)
    if not a then
      return invalid(("off-peak range %d must be \"HH:MM-HH:MM\", not %q"):format(i, tostring(s):sub(1, 20)))
    end
    out[i] = { a, b }
  end
  return out
end

--- Whether a minute of the day falls in parsed ranges (`parse_ranges`), a range wrapping past
-- midnight included.
-- @tparam integer minute minutes after midnight
-- @tparam table ranges what `parse_ranges` returned
-- @treturn boolean
function M.in_ranges(minute, ranges)
  for _, r in ipairs(ranges) do
    local a, b = r[1], r[2]
    if a < b then
      if minute >= a and minute < b then return true end
    elseif minute >= a or minute < b then
      return true
    end
  end
  return false
end

--- Peak and off-peak energy of a load curve.
-- An interval counts by the Paris wall-clock time of its start; each total adds exact
-- watt-seconds and is rounded once to Wh.
-- @tparam table res a load-curve result
-- @tparam {string,...} ranges off-peak ranges, e.g. `{"22:00-06:00"}`
-- @treturn table|nil `{ peak =, offpeak =, unit = "Wh" }` (nil values skipped)
-- @treturn table an `invalid_argument` error
function M.split_offpeak(res, ranges)
  check_result(res, "split_offpeak")
  if not M.is_load_curve(res) then
    return invalid("split_offpeak needs a load curve, not " .. tostring(res.kind))
  end
  local parsed, err = M.parse_ranges(ranges)
  if not parsed then return nil, err end
  local ws
  ws, err = M.watt_seconds(res)
  if not ws then return nil, err end
  local totals = { peak = 0, offpeak = 0 }
  for i, p in ipairs(res.points) do
    if ws[i] ~= nil then
      local t = interval_start(p)
      local minute = floor((t + core.paris_offset(t)) % 86400 / 60)
      local k = M.in_ranges(minute, parsed) and "offpeak" or "peak"
      totals[k] = totals[k] + ws[i]
    end
  end
  return { peak = M.wh(totals.peak), offpeak = M.wh(totals.offpeak), unit = "Wh" }
end

return M
