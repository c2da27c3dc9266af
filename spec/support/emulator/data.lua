-- Deterministic synthetic measurements: every number comes from a hash of (prm, kind, day, slot),
-- never from math.random, so a given request always gets the same body. The hashes (FNV-1a,
-- murmur3's finaliser) are a few lines of integer arithmetic, not a digest: no library needed.
local calendar = require "spec.support.emulator.calendar"

local M = {}

local byte = string.byte
local days_from_civil = calendar.days_from_civil
local weekday, day_of_year = calendar.weekday, calendar.day_of_year
local paris_offset, paris_midnight, half_hours = calendar.paris_offset, calendar.paris_midnight,
  calendar.half_hours

local MASK32 = 0xffffffff

local function fnv1a(s)
  local h = 0x811c9dc5
  for i = 1, #s do h = ((h ~ byte(s, i)) * 0x01000193) & MASK32 end
  return h
end

-- murmur3 finaliser: spreads nearby inputs (consecutive days) over the whole range.
local function fmix(h)
  h = h & MASK32
  h = ((h ~ (h >> 16)) * 0x85ebca6b) & MASK32
  h = ((h ~ (h >> 13)) * 0xc2b2ae35) & MASK32
  return h ~ (h >> 16)
end

-- Uniform in [0, 1) for (seed, day, slot).
local function rnd(seed, dn, k)
  return fmix(seed ~ fmix(dn * 0x9e3779b1 + (k or 0) * 0x7feb352d + 0x165667b1)) / 4294967296.0
end

local function seed_of(prm, kind)
  return fmix(fnv1a(prm .. "|" .. kind))
end

local TAU = 2 * math.pi

-- +1 in mid-January, -1 in mid-July.
local function winterness(dn)
  return math.cos(TAU * (day_of_year(dn) - 15) / 365.25)
end

-- +1 at the June solstice, -1 at the December one.
local function summerness(dn)
  return math.cos(TAU * (day_of_year(dn) - 172) / 365.25)
end

--- Daily consumption in Wh: 3 to ~40 kWh, more in winter and at weekends.
function M.daily_consumption(prm, dn)
  local seed = seed_of(prm, "consumption")
  local scale = 0.8 + 0.45 * rnd(seed, 0, 1) -- household size, fixed per PRM
  local wd = weekday(dn)
  local weekend = (wd == 0 or wd == 6) and 1.15 or 1.0
  local wh = scale * (12500 + 8000 * winterness(dn)) * weekend * (0.8 + 0.4 * rnd(seed, dn, 2))
  return math.floor(wh + 0.5)
end
local daily_consumption = M.daily_consumption

--- Daily production in Wh of a ~3 kWp roof: seasonal, weather-dependent, sometimes 0.
function M.daily_production(prm, dn)
  local seed = seed_of(prm, "production")
  local scale = 0.7 + 0.6 * rnd(seed, 0, 1)
  local weather = rnd(seed, dn, 2)
  if weather < 0.04 then return 0 end -- snow on the panels, or an outage
  weather = weather < 0.15 and weather * 0.1 or weather ^ 0.6
  return math.floor(scale * (11000 + 8000 * summerness(dn)) * weather + 0.5)
end
local daily_production = M.daily_production

local function bump(x, centre, width)
  local z = (x - centre) / width
  return math.exp(-z * z)
end

-- Load curves: one value per half-hour, shaped over the day and scaled so that the sum of
-- W x 0.5 h matches the daily energy (curves and daily totals agree).
local function scale_curve(shape, wh)
  local total = 0
  for i = 1, #shape do total = total + shape[i] end
  local out = {}
  for i = 1, #shape do
    out[i] = total > 0 and math.floor(2 * wh * shape[i] / total + 0.5) or 0
  end
  return out
end

--- Consumption load curve of local day dn: end instants (UTC) and average watts.
function M.consumption_curve(prm, dn)
  local seed = seed_of(prm, "consumption_curve")
  local winter = (1 + winterness(dn)) / 2
  local ends = half_hours(dn)
  local shape = {}
  for i, t in ipairs(ends) do
    local lt = t - 900 + paris_offset(t - 900) -- local clock at the middle of the step
    local h = (lt % 86400) / 3600
    local s = 0.35 + 0.9 * bump(h, 7.5, 1.0) + 0.5 * bump(h, 12.5, 1.2) + 1.4 * bump(h, 19.5, 1.6)
    if h < 6 or h >= 22.5 then s = s + 0.8 * (0.3 + 0.7 * winter) end -- off-peak water heater
    s = s * (0.5 + rnd(seed, dn, i))
    if rnd(seed, dn, 100 + i) < 0.05 then s = s + 2.5 end -- oven, kettle...
    shape[i] = s
  end
  return ends, scale_curve(shape, daily_consumption(prm, dn))
end
local consumption_curve = M.consumption_curve

--- Production load curve of local day dn: end instants (UTC) and average watts.
function M.production_curve(prm, dn)
  local seed = seed_of(prm, "production_curve")
  local half_day = 6.1 + 1.9 * summerness(dn) -- hours from solar noon to sunset
  local ends = half_hours(dn)
  local shape = {}
  for i, t in ipairs(ends) do
    local h = ((t - 900) % 86400) / 3600 -- UTC: solar noon is near 12:00 UTC in France
    local x = (h - 12) / half_day
    shape[i] = math.abs(x) < 1 and math.cos(x * math.pi / 2) ^ 1.5 * (0.6 + 0.4 * rnd(seed, dn, i)) or 0
  end
  return ends, scale_curve(shape, daily_production(prm, dn))
end

--- Daily maximum apparent power (VA), the instant it was reached, the subscribed power.
function M.max_power(prm, dn)
  local seed = seed_of(prm, "max_power")
  local ends, watts = consumption_curve(prm, dn)
  local best = 1
  for i = 2, #watts do
    if watts[i] > watts[best] then best = i end
  end
  local subscribed = ({ 6000, 9000, 12000 })[1 + math.floor(rnd(seed, 0, 1) * 3)]
  local va = math.floor(watts[best] * (1.2 + 0.6 * rnd(seed, dn, 1)))
  va = math.min(va, math.floor(subscribed * 1.1))
  local t = ends[best] - math.floor(rnd(seed, dn, 2) * 1800)
  return va, t, subscribed
end
local max_power = M.max_power

--- Per-phase maximum of a three-phase meter: each phase carries part of the load, at its own time.
function M.phase_max(prm, dn, phase)
  local seed = seed_of(prm, "phase" .. phase)
  local va = max_power(prm, dn)
  local from, to = paris_midnight(dn), paris_midnight(dn + 1)
  local t = from + math.floor(rnd(seed, dn, 1) * (to - from))
  return math.floor(va / 3 * (0.9 + 0.7 * rnd(seed, dn, 2))), t
end

-- Off-peak share of a day's energy, for the HC/HP index split.
local function off_peak_share(prm, dn, kind)
  return 0.3 + 0.15 * rnd(seed_of(prm, kind .. "_hc"), dn, 1)
end

local INDEX_ORIGIN = days_from_civil(2000, 1, 1) -- the zod regex forbids earlier dates

--- Meter indexes (Wh) at local midnight starting each day of [from, to): {dn, HC, HP} rows.
-- @tparam string kind "consumption" or "production"
function M.meter_index(prm, kind, from, to)
  local daily = kind == "production" and daily_production or daily_consumption
  local seed = seed_of(prm, kind .. "_index")
  local hc = math.floor(rnd(seed, 0, 1) * 2e6)
  local hp = math.floor(rnd(seed, 0, 2) * 4e6)
  local out = {}
  for dn = INDEX_ORIGIN, to - 1 do
    if dn >= from then out[#out + 1] = { dn, hc, hp } end
    local wh = daily(prm, dn)
    local off = math.floor(wh * off_peak_share(prm, dn, kind) + 0.5)
    hc, hp = hc + off, hp + wh - off
  end
  return out
end

return M
