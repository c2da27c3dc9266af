--- What it cost: a result priced with a tariff (base, peak/off-peak, Tempo colours, weekday
-- classes, a subscription, prices that change on a date). `linky.cost` is the public function.
-- Energy is summed in integer Wh per day, class and price before it is priced, so no rounding
-- builds up; rounding to the cent is for display only.
-- @module linky.cost
local analysis = require "linky.analysis"
local core = require "linky.core"
local dates = require "linky.dates"
local errors = require "linky.errors"

local M = {}

local COLOURS = { blue = true, white = true, red = true }
local WEEKDAYS = { sun = 0, mon = 1, tue = 2, wed = 3, thu = 4, fri = 5, sat = 6 }

local function invalid(message)
  return nil, errors.new("invalid_argument", message)
end

-- "HH:MM" -> minutes after midnight, or nil.
local function minutes(s)
  local h, m = tostring(s):match("^(%d%d?):(%d%d)$")
  h, m = tonumber(h), tonumber(m)
  if not h or h > 23 or m > 59 then return nil end
  return h * 60 + m
end

-- A list of strings, each checked by `ok`: the set of what `value` maps them to, or nil and
-- the index of the first bad one.
local function string_set(list, value)
  if type(list) ~= "table" or list[1] == nil then return nil, 1 end
  local set = {}
  for i, s in ipairs(list) do
    local v = value(s)
    if v == nil then return nil, i end
    set[v] = true
  end
  return set
end

-- The tariff's classes, checked: { name =, colour =, hours = ranges, days = set }.
local function check_classes(classes)
  if type(classes) ~= "table" or classes[1] == nil then
    return invalid("tariff.classes must be a non-empty list")
  end
  local out, names = {}, {}
  for i, c in ipairs(classes) do
    local where = ("tariff.classes[%d]"):format(i)
    if type(c) ~= "table" or type(c.name) ~= "string" or c.name == "" then
      return invalid(where .. ".name must be a non-empty string")
    end
    if names[c.name] then return invalid(("%s.name %q is repeated"):format(where, c.name)) end
    names[c.name] = true
    local class = { name = c.name, colour = c.colour }
    if c.colour ~= nil and not COLOURS[c.colour] then
      return invalid(("%s.colour must be \"blue\", \"white\" or \"red\", not %q"):format(where,
        tostring(c.colour):sub(1, 20)))
    end
    if c.hours ~= nil then
      local ranges = analysis.parse_ranges(c.hours)
      if not ranges then return invalid(where .. ".hours must be a list like {\"22:00-06:00\"}") end
      class.hours = ranges
    end
    if c.days ~= nil then
      local set, bad = string_set(c.days, function(s) return WEEKDAYS[s] end)
      if not set then return invalid(("%s.days[%d] must be a weekday like \"sat\""):format(where, bad)) end
      class.days = set
    end
    out[i] = class
  end
  return out, names
end

-- The tariff's periods, checked against the class names: { from = day, subscription =, prices = }.
local function check_periods(periods, names)
  if type(periods) ~= "table" or periods[1] == nil then
    return invalid("tariff.periods must be a non-empty list")
  end
  local out = {}
  for i, p in ipairs(periods) do
    local where = ("tariff.periods[%d]"):format(i)
    if type(p) ~= "table" then return invalid(where .. " must be a table") end
    local from = type(p.from) == "string" and dates.day(p.from)
    if not from then return invalid(where .. ".from must be a date YYYY-MM-DD") end
    if out[i - 1] and from <= out[i - 1].from then
      return invalid(where .. ".from must come after the previous period's (sorted, no repeat)")
    end
    local sub = p.subscription or 0
    if type(sub) ~= "number" or sub < 0 or sub ~= sub or sub == math.huge then
      return invalid(where .. ".subscription must be a number >= 0 (per month)")
    end
    if type(p.prices) ~= "table" then return invalid(where .. ".prices must be a table") end
    for key, price in pairs(p.prices) do
      if not names[key] then
        return invalid(("%s.prices.%s names no class"):format(where, tostring(key):sub(1, 40)))
      end
      if type(price) ~= "number" or price < 0 or price ~= price or price == math.huge then
        return invalid(("%s.prices.%s must be a number >= 0 (per kWh)"):format(where, key))
      end
    end
    for name in pairs(names) do
      if p.prices[name] == nil then return invalid(("%s.prices.%s is missing"):format(where, name)) end
    end
    out[i] = { from = from, subscription = sub, prices = p.prices }
  end
  return out
end

--- Checks a tariff (see the README's costs section for its structure).
-- @tparam table tariff the tariff
-- @treturn table|nil the tariff as the pricing uses it
-- @treturn table an `invalid_argument` error naming the field
function M.check(tariff)
  if type(tariff) ~= "table" then return invalid("the tariff must be a table") end
  if tariff.name ~= nil and type(tariff.name) ~= "string" then
    return invalid("tariff.name must be a string")
  end
  local starts = minutes(tariff.day_starts or "00:00")
  if not starts then return invalid("tariff.day_starts must be \"HH:MM\"") end
  local classes, names = check_classes(tariff.classes)
  if not classes then return nil, names end
  local periods, err = check_periods(tariff.periods, names)
  if not periods then return nil, err end
  local t = { name = tariff.name, day_starts = starts, classes = classes, periods = periods }
  for _, c in ipairs(classes) do
    t.by_hours = t.by_hours or c.hours ~= nil
    t.by_colour = t.by_colour or c.colour ~= nil
  end
  return t
end

-- The period in force on a day, or nil before the first one.
local function period_of(t, day)
  local found
  for _, p in ipairs(t.periods) do
    if p.from <= day then found = p else break end
  end
  return found
end

-- The colour of a tariff day: nil and an error when a class needs one and none is known.
local function colour_of(colours, day)
  local date = dates.format(day)
  local c
  if type(colours) == "function" then c = colours(date)
  elseif type(colours) == "table" then c = colours[date] end
  if c == nil then return nil, ("no colour for the tariff day %s"):format(date) end
  if not COLOURS[c] then
    return nil, ("colours[%q] must be \"blue\", \"white\" or \"red\", not %q")
      :format(date, tostring(c):sub(1, 20))
  end
  return c
end

-- The class of an interval starting at local wall-clock `minute` on a tariff day.
local function class_of(t, minute, weekday, colour)
  for _, c in ipairs(t.classes) do
    if (not c.colour or c.colour == colour) and (not c.hours or analysis.in_ranges(minute, c.hours))
      and (not c.days or c.days[weekday]) then
      return c
    end
  end
  return nil
end

local function days_in_month(day)
  local y, m = dates.format(day):match("^(%d+)-(%d+)")
  y, m = tonumber(y), tonumber(m)
  local next_first = m == 12 and ("%04d-01-01"):format(y + 1) or ("%04d-%02d-01"):format(y, m + 1)
  return dates.day(next_first) - dates.day(("%04d-%02d-01"):format(y, m))
end

-- Adds `wh` priced at `price` to a { wh =, cost = } accumulator table keyed by class name.
local function add(acc, name, wh, cost)
  local c = acc[name]
  if not c then
    c = { wh = 0, cost = 0 }
    acc[name] = c
  end
  c.wh, c.cost = c.wh + wh, c.cost + cost
end

-- The public shape of a class table: kWh and cost.
local function classes_out(acc)
  local out = {}
  for name, c in pairs(acc) do out[name] = { kwh = c.wh / 1000, cost = c.cost } end
  return out
end

--- Prices a result with a tariff.
-- @tparam table res a load curve (or daily consumption, when no class depends on hours or colours)
-- @tparam table tariff the tariff
-- @tparam[opt] table opts `colours`: `{ ["YYYY-MM-DD"] = "blue"|"white"|"red" }` or a function of
-- the tariff day `"YYYY-MM-DD"`
-- @treturn table|nil `{ total =, energy =, subscription =, kwh =, classes =, days =, gaps = }`
-- @treturn table an `invalid_argument` error naming the field
function M.cost(res, tariff, opts)
  if type(res) ~= "table" or type(res.points) ~= "table" then
    error(("bad argument #1 to 'cost' (linky result expected, got %s)"):format(type(res)), 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error(("bad argument #3 to 'cost' (table expected, got %s)"):format(type(opts)), 2)
  end
  local colours = opts and opts.colours
  if colours ~= nil and type(colours) ~= "table" and type(colours) ~= "function" then
    return invalid("opts.colours must be a table or a function")
  end
  local t, err = M.check(tariff)
  if not t then return nil, err end
  local first, last = dates.day(res.start or ""), dates.day(res["end"] or "")
  if not (first and last and first < last) then return invalid("the result has no valid start and end") end
  local curve = analysis.is_load_curve(res)
  if not curve and (t.by_hours or t.by_colour) then
    return invalid("daily values can only be priced by a tariff whose classes depend on neither hours"
      .. " nor colours")
  end
  local wh
  wh, err = analysis.energy(res)
  if not wh then return nil, err end

  -- integer Wh per calendar day, class and period (one price each) before any pricing
  local groups = {}
  for _, p in ipairs(wh.points) do
    if p.value ~= nil then
      local start = curve and p.time - p.step or p.time
      local wall = start + core.paris_offset(start)
      local day = math.floor(wall / 86400)
      if day >= first and day < last then
        local tday = math.floor((wall - t.day_starts * 60) / 86400)
        local minute = math.floor((wall % 86400) / 60)
        local colour
        if t.by_colour then
          colour, err = colour_of(colours, tday)
          if not colour then return invalid(err) end
        end
        local class = class_of(t, minute, (tday + 4) % 7, colour) -- day 0 was a Thursday
        if not class then
          return invalid(("no class of the tariff matches the interval starting %s"):format(
            os.date("!%Y-%m-%d %H:%M", wall)))
        end
        local period = period_of(t, tday)
        if not period then
          return invalid(("tariff.periods[1].from is after %s: no price for that day")
            :format(dates.format(tday)))
        end
        local key = day .. "\0" .. class.name .. "\0" .. tostring(period.from)
        local g = groups[key]
        if not g then
          g = { day = day, class = class.name, price = period.prices[class.name], wh = 0 }
          groups[key] = g
        end
        g.wh = g.wh + p.value
      end
    end
  end

  local out = { total = 0, energy = 0, subscription = 0, kwh = 0, classes = {}, days = {}, gaps = {} }
  local day_acc = {}
  for day = first, last - 1 do
    local period = period_of(t, day)
    if not period then
      return invalid(("tariff.periods[1].from is after %s: no subscription for that day")
        :format(dates.format(day)))
    end
    day_acc[day] = { date = dates.format(day), wh = 0, energy = 0,
                     subscription = period.subscription / days_in_month(day), classes = {} }
  end
  local totals = {}
  for _, g in pairs(groups) do
    local cost = g.wh * g.price / 1000
    local d = day_acc[g.day]
    d.wh, d.energy = d.wh + g.wh, d.energy + cost
    add(d.classes, g.class, g.wh, cost)
    add(totals, g.class, g.wh, cost)
  end
  local total_wh = 0
  for day = first, last - 1 do
    local d = day_acc[day]
    local row = { date = d.date, kwh = d.wh / 1000, energy = d.energy, subscription = d.subscription,
                  total = d.energy + d.subscription, classes = classes_out(d.classes) }
    out.days[#out.days + 1] = row
    total_wh = total_wh + d.wh
    out.energy = out.energy + d.energy
    out.subscription = out.subscription + d.subscription
  end
  out.kwh = total_wh / 1000
  out.total = out.energy + out.subscription
  out.classes = classes_out(totals)
  for i, g in ipairs(res.gaps or {}) do
    local copy = {}
    for k, v in pairs(g) do copy[k] = v end
    out.gaps[i] = copy
  end
  return out
end

return M
