--- What it cost: a result priced with a tariff (base, peak/off-peak, Tempo colours, weekday
-- classes, a subscription, prices that change on a date). `linky.cost` is the public function.
--
-- Money is exact; nothing is rounded before it is shown. Energy is an integer of watt-seconds
-- (`linky.analysis`), a price an integer of micro-euros per kWh and a subscription one of
-- micro-euros per month or per year (so a tariff gives at most 6 decimals, read from a number's
-- shortest decimal form or from a decimal string: `decimal`; 0 <= price < 10 EUR/kWh,
-- 0 <= subscription < 1,000 EUR/month or 12,000 EUR/year). An amount is a pair `{ u =, r = }`:
-- u + r / DEN micro-euros with 0 <= r < DEN, DEN = 3,600,000 (W·s per kWh) × 7 × 29 × 31 × 61 ×
-- 73 = 100,881,824,400,000, a multiple of every divisor the pricing needs: the W·s of a kWh, the
-- 28 to 31 days a month's subscription is shared among and the 365 (5 × 73) or 366 (6 × 61) days
-- of a year's. Every intermediate stays an exact integer below 2^53, since numbers are doubles
-- on Lua 5.1, 5.2 and LuaJIT: W·s × price, too large for a year at 10 EUR/kWh, is split as
-- (a kWh + b W·s) × price = a × price µEUR + b × price / 3.6e6 with b × price < 3.6e6 × 1e7 =
-- 3.6e13; a remainder is below DEN = 1.01e14 (and 10 remainders below 1.01e15); u is below 2^53
-- µEUR (9 billion EUR). A subscription of P a period (a month, a year) is P × days / days of the
-- period: each day adds the exact fraction P / days of the period, so the sum is that one
-- division. One division per figure, when it is shown: cents rounded half up (`format_money`),
-- 7 decimals for JSON (`format_decimal`), the rows of a table by largest remainder (`column`),
-- or the Lua numbers of `cost`'s result.
-- @module linky.cost
local analysis = require "linky.analysis"
local compat = require "linky.compat"
local core = require "linky.core"
local dates = require "linky.dates"
local errors = require "linky.errors"
local holidays = require "linky.holidays"

local M = {}

local COLOURS = { blue = true, white = true, red = true }
--- The colours a Tempo day may have.
M.COLOURS = COLOURS

local divmod = compat.divmod
local WS_PER_KWH = 3600000
local DEN = WS_PER_KWH * 7 * 29 * 31 * 61 * 73
local MAX_PRICE, MAX_SUBSCRIPTION = 10, 1000 -- EUR per kWh, EUR per month (12 times that a year)
-- A class's days: weekdays, and "holiday" for French public holidays (linky.holidays).
local WEEKDAYS = { sun = 0, mon = 1, tue = 2, wed = 3, thu = 4, fri = 5, sat = 6, holiday = "holiday" }

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
      if not set then
        return invalid(("%s.days[%d] must be a weekday like \"sat\", or \"holiday\""):format(where, bad))
      end
      class.days = set
    end
    out[i] = class
  end
  return out, names
end

-- A number's shortest decimal form: the fewest significant digits that read back as it.
local function shortest(x)
  for digits = 1, 17 do
    local s = ("%." .. digits .. "g"):format(x)
    if tonumber(s) == x then return s end
  end
  return ("%.17g"):format(x)
end

--- A decimal as an exact integer of 10^-places units: a number (through its shortest decimal
-- form, so 0.1952 is 195200 micro-units, not the float's 0.19519999...) or a decimal string
-- ("0.1952", "1e-3"), non-negative and below `max`.
-- @tparam number|string x the decimal
-- @tparam integer places the decimals kept (6: micro-units)
-- @tparam number max the bound, excluded
-- @treturn integer|nil the integer
-- @treturn string why not: "syntax", "places" (more decimals than `places`) or "range"
function M.decimal(x, places, max)
  if type(x) == "number" then
    if x ~= x or x == math.huge or x == -math.huge then return nil, "range" end
    x = shortest(x)
  elseif type(x) ~= "string" or #x > 40 then
    return nil, "syntax"
  end
  local int, frac, exp = x:match("^%+?(%d*)%.?(%d*)$")
  if not int then int, frac, exp = x:match("^%+?(%d*)%.?(%d*)[eE]([%+%-]?%d%d?%d?)$") end
  if x:match("^%s*%-") then return nil, "range" end
  if not int or (int == "" and frac == "") then return nil, "syntax" end
  local digits = (int .. frac):gsub("^0+", "")
  local point = #frac - (tonumber(exp) or 0) -- digits × 10^-point
  digits = digits:gsub("0+$", function(z)
    point = point - #z
    return ""
  end)
  if digits == "" then return 0 end
  if point > places then return nil, "places" end
  if #digits + places - point > 15 then return nil, "range" end -- beyond any bound we use
  local n = tonumber(digits) * 10 ^ (places - point)
  n = compat.tointeger(n) or n
  if n >= max * 10 ^ places then return nil, "range" end
  return n
end

-- An amount of EUR as an integer of micro-euros, or nil when it is not a number or decimal
-- string in [0, max) with at most 6 decimals.
local function micro(x, max)
  return (M.decimal(x, 6, max))
end

-- The tariff's periods, checked against the class names:
-- { from = day, subscription =, prices =, sub_u = µEUR per month, micro = { [class] = µEUR per kWh } }.
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
    if p.subscription ~= nil and p.subscription_year ~= nil then
      return invalid(where .. ".subscription and .subscription_year cannot both be given")
    end
    local yearly = p.subscription_year ~= nil
    local sub = yearly and p.subscription_year or p.subscription or 0
    local sub_u = micro(sub, yearly and 12 * MAX_SUBSCRIPTION or MAX_SUBSCRIPTION)
    if not sub_u then
      return invalid(("%s.%s must be a number of EUR per %s, 0 <= %s < %d, with at most 6 decimals")
        :format(where, yearly and "subscription_year" or "subscription", yearly and "year" or "month",
          yearly and "subscription_year" or "subscription",
          yearly and 12 * MAX_SUBSCRIPTION or MAX_SUBSCRIPTION))
    end
    if type(p.prices) ~= "table" then return invalid(where .. ".prices must be a table") end
    local prices = {}
    for key, price in pairs(p.prices) do
      if not names[key] then
        return invalid(("%s.prices.%s names no class"):format(where, tostring(key):sub(1, 40)))
      end
      prices[key] = micro(price, MAX_PRICE)
      if not prices[key] then
        return invalid(("%s.prices.%s must be a number of EUR per kWh, 0 <= price < %d, with at most"
          .. " 6 decimals"):format(where, key, MAX_PRICE))
      end
    end
    for name in pairs(names) do
      if p.prices[name] == nil then return invalid(("%s.prices.%s is missing"):format(where, name)) end
    end
    out[i] = { from = from, subscription = sub, prices = p.prices, sub_u = sub_u, yearly = yearly,
               micro = prices }
  end
  return out
end

--- Checks a tariff (see docs/costs.md for its structure).
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
  local ends
  if tariff.ends ~= nil then
    ends = type(tariff.ends) == "string" and dates.day(tariff.ends)
    if not ends or ends < periods[#periods].from then
      return invalid("tariff.ends must be a date YYYY-MM-DD, not before the last period's from")
    end
  end
  local t = { name = tariff.name, day_starts = starts, classes = classes, periods = periods, ends = ends }
  for _, c in ipairs(classes) do
    t.by_hours = t.by_hours or c.hours ~= nil
    t.by_colour = t.by_colour or c.colour ~= nil
  end
  return t
end

-- The period in force on a day, or nil before the first one and after `ends`.
local function period_of(t, day)
  if t.ends and day > t.ends then return nil end
  local found
  for _, p in ipairs(t.periods) do
    if p.from <= day then found = p else break end
  end
  return found
end

-- The tariff day of a Paris wall-clock time (seconds, as if UTC): its date less `day_starts`.
local function tariff_day(t, wall)
  return math.floor((wall - t.day_starts * 60) / 86400)
end

local function no_price(t, day)
  local _, err
  if t.ends and day > t.ends then
    _, err = invalid(("tariff.ends is before %s: no price for that day"):format(dates.format(day)))
  else
    _, err = invalid(("tariff.periods[1].from is after %s: no price for that day"):format(dates.format(day)))
  end
  err.reason = "no price"
  return nil, err
end

-- The colour of a tariff day: nil when none is known (the day is priced partially), or nil and
-- an error for a value that is no colour.
local function colour_of(colours, day)
  local date = dates.format(day)
  local c
  if type(colours) == "function" then c = colours(date)
  elseif type(colours) == "table" then c = colours[date] end
  if c == nil then return nil end
  if not COLOURS[c] then
    return nil, ("colours[%q] must be \"blue\", \"white\" or \"red\", not %q")
      :format(date, tostring(c):sub(1, 20))
  end
  return c
end

--- Checks before any data is fetched that a checked tariff can price the days [first, stop):
-- a period in force from the first tariff day on and, when a class depends on colours, no
-- colour given that is not one, for every tariff day the range touches (from the one holding
-- the first midnight to the one holding the last 5 minutes). A day without a colour is no
-- error: its energy is left unpriced (see `cost`).
-- @tparam table t what `check` returned
-- @tparam string first `"YYYY-MM-DD"`
-- @tparam string stop `"YYYY-MM-DD"`, excluded
-- @tparam[opt] table|function colours as `cost`'s `opts.colours`
-- @tparam[opt] boolean whole with it, a tariff day without a colour is an error too (`compare`
-- leaves out the days it cannot price whole; `cost` prices the rest and says what is unpriced)
-- @treturn true|nil
-- @treturn table an `invalid_argument` error naming the field or the day, with `reason`: "no price"
-- or "no colour"
function M.check_range(t, first, stop, colours, whole)
  local a, b = dates.day(first or ""), dates.day(stop or "")
  if not (a and b and a < b) then return invalid("the range has no valid start and end") end
  local from, to = tariff_day(t, a * 86400), tariff_day(t, b * 86400 - 300)
  if t.periods[1].from > from then return no_price(t, from) end
  if t.ends and t.ends < to then return no_price(t, t.ends + 1) end
  if t.by_colour then
    for day = from, to do
      local c, why = colour_of(colours, day)
      if not c and whole and not why then
        why = ("no colour for the tariff day %s"):format(dates.format(day))
      end
      if why then
        local _, err = invalid(why)
        err.reason = "no colour"
        return nil, err
      end
    end
  end
  return true
end

-- Whether a class's days hold a tariff day: its weekday, or "holiday" and a public holiday.
local function on_days(days, tday)
  return days[dates.weekday(tday)] or (days.holiday and holidays.is_holiday(tday)) or false
end

-- The class of an interval starting at local wall-clock `minute` on a tariff day.
local function class_of(t, minute, tday, colour)
  for _, c in ipairs(t.classes) do
    if (not c.colour or c.colour == colour) and (not c.hours or analysis.in_ranges(minute, c.hours))
      and (not c.days or on_days(c.days, tday)) then
      return c
    end
  end
  return nil
end

-- Exact amounts (see the file's header).
local function amount() return { u = 0, r = 0 } end

local function carry(a)
  if a.r >= DEN then a.u, a.r = a.u + 1, a.r - DEN end
end

-- Adds n / d micro-euros: n an integer below 2^53 in magnitude, d a divisor of DEN.
local function add_fraction(a, n, d)
  local q, r = divmod(n, d)
  a.u, a.r = a.u + q, a.r + r * math.floor(DEN / d)
  carry(a)
end

local function add_amount(a, b)
  a.u, a.r = a.u + b.u, a.r + b.r
  carry(a)
end

-- Adds the cost of `ws` watt-seconds at `price` micro-euros per kWh.
local function add_energy(a, ws, price)
  local kwh, rest = divmod(ws, WS_PER_KWH)
  a.u = a.u + kwh * price
  add_fraction(a, rest * price, WS_PER_KWH)
end

-- The amount as a Lua number of EUR (the one division of the results).
local function number(a)
  return a.u / 1e6 + a.r / DEN / 1e6
end
M.number = number

-- An integer shown with `places` decimals: fixed(-5, 2) == "-0.05".
local function fixed(n, places)
  local q, r = divmod(n < 0 and -n or n, 10 ^ places)
  return ("%s%d.%0" .. places .. "d"):format(n < 0 and "-" or "", q, r)
end

-- An amount in cents, rounded down, and what is left as a pair to compare (µEUR, remainder):
-- u + r / DEN >= 5000 µEUR exactly when u >= 5000, since 0 <= r < DEN.
local function cents_of(a)
  local cents, u = divmod(a.u, 10000)
  return cents, u, a.r
end

local function round_cents(a)
  local cents, u = cents_of(a)
  return u >= 5000 and cents + 1 or cents
end

--- An exact amount shown in EUR: rounded once, half up, to the cent (`"94.39"`).
-- @tparam table a an amount of a `price` row
-- @treturn string
function M.format_money(a)
  return fixed(round_cents(a), 2)
end

--- An exact amount shown with 7 decimals of EUR, rounded once, half up (`"94.3862304"`): what the
-- JSON outputs carry.
-- @tparam table a an amount
-- @treturn string
function M.format_decimal(a)
  local eur, u = divmod(a.u, 1000000)
  local tenth, rest = divmod(a.r * 10, DEN) -- a.r × 10 < 1.01e15 < 2^53
  local frac = u * 10 + tenth + (2 * rest >= DEN and 1 or 0)
  if frac >= 10000000 then eur, frac = eur + 1, frac - 10000000 end
  return ("%d.%07d"):format(eur, frac)
end

--- Watt-seconds shown in kWh: rounded once, half up, to the Wh (`"375.144"`).
-- @tparam number ws an integer of watt-seconds
-- @treturn string
function M.format_kwh(ws)
  return fixed(analysis.wh(ws), 3)
end

-- Largest remainder: each part rounded down (`split` gives the units and the remainder as a
-- pair to compare), then the units the total's half-up rounding leaves over go one each to the
-- parts with the largest remainders, the earlier first on a tie.
local function apportion(parts, split, target)
  local out, order, sum = {}, {}, 0
  for i, x in ipairs(parts) do
    local q, r1, r2 = split(x)
    out[i], sum = q, sum + q
    order[i] = { i = i, r1 = r1, r2 = r2 or 0 }
  end
  table.sort(order, function(a, b)
    if a.r1 ~= b.r1 then return a.r1 > b.r1 end
    if a.r2 ~= b.r2 then return a.r2 > b.r2 end
    return a.i < b.i
  end)
  for k = 1, math.min(target - sum, #parts) do out[order[k].i] = out[order[k].i] + 1 end
  return out
end

--- A column of a table: the amounts of its rows shown in EUR so that they add up to their
-- total shown (rounded half up): largest remainder.
-- @tparam {table,...} amounts the rows' amounts
-- @tparam table total their exact sum
-- @treturn {string,...} the rows' figures
-- @treturn string the total's
function M.money_column(amounts, total)
  local cents = apportion(amounts, cents_of, round_cents(total))
  for i, c in ipairs(cents) do cents[i] = fixed(c, 2) end
  return cents, M.format_money(total)
end

--- A column of energies: the rows' watt-seconds shown in kWh so that they add up to their
-- total shown (rounded half up to the Wh): largest remainder.
-- @tparam {integer,...} list the rows' watt-seconds
-- @tparam integer total their sum
-- @treturn {string,...} the rows' figures
-- @treturn string the total's
function M.kwh_column(list, total)
  local wh = apportion(list, function(ws) return divmod(ws, analysis.WS_PER_WH) end, analysis.wh(total))
  for i, w in ipairs(wh) do wh[i] = fixed(w, 3) end
  return wh, M.format_kwh(total)
end

--- The signed difference of two amounts, b - a: an amount and its sign (-1, 0 or 1).
-- @tparam table b an amount
-- @tparam table a an amount
-- @treturn table the amount |b - a|
-- @treturn integer the sign
function M.difference(b, a)
  local sign = 1
  if b.u < a.u or (b.u == a.u and b.r < a.r) then a, b, sign = b, a, -1 end
  local d = { u = b.u - a.u, r = b.r - a.r }
  if d.r < 0 then d.u, d.r = d.u - 1, d.r + DEN end
  if d.u == 0 and d.r == 0 then sign = 0 end
  return d, sign
end

--- A row of exact sums, empty: `{ date =, ws =, unpriced =, energy =, subscription =,
-- classes = { [name] = { ws =, cost = } } }` (energy in W·s, `unpriced` the part of `ws` of
-- tariff days without a colour, money as amounts).
-- @tparam[opt] string date its label
-- @treturn table
function M.row(date)
  return { date = date, ws = 0, unpriced = 0, energy = amount(), subscription = amount(), classes = {} }
end

local function class_row(classes, name)
  local c = classes[name]
  if not c then
    c = { ws = 0, cost = amount() }
    classes[name] = c
  end
  return c
end

--- Adds a row of exact sums to another.
-- @tparam table into the row that grows
-- @tparam table row the row added
function M.add_row(into, row)
  into.ws = into.ws + row.ws
  into.unpriced = into.unpriced + row.unpriced
  add_amount(into.energy, row.energy)
  add_amount(into.subscription, row.subscription)
  for name, c in pairs(row.classes) do
    local mine = class_row(into.classes, name)
    mine.ws = mine.ws + c.ws
    add_amount(mine.cost, c.cost)
  end
end

--- A row's total: energy plus subscription, exact.
-- @tparam table row a row of exact sums
-- @treturn table an amount
function M.total(row)
  local t = amount()
  add_amount(t, row.energy)
  add_amount(t, row.subscription)
  return t
end

--- A row of exact sums as the results give it, in Lua numbers: `{ date =, kwh =, energy =,
-- subscription =, total =, classes = { [name] = { kwh =, cost = } } }`, and `unpriced_kwh`
-- when some of its energy has no colour.
-- @tparam table row a row of exact sums
-- @treturn table
function M.numbers(row)
  local classes = {}
  for name, c in pairs(row.classes) do classes[name] = { kwh = c.ws / WS_PER_KWH, cost = number(c.cost) } end
  return { date = row.date, kwh = row.ws / WS_PER_KWH, energy = number(row.energy),
           subscription = number(row.subscription), total = number(M.total(row)), classes = classes,
           unpriced_kwh = row.unpriced > 0 and row.unpriced / WS_PER_KWH or nil }
end

--- The tariff days of a range that a tariff prices by colour: `{ first =, last = }` as dates
-- (`"YYYY-MM-DD"`, both included), or nil when no class depends on colours.
-- @tparam table t what `check` returned
-- @tparam string first `"YYYY-MM-DD"`
-- @tparam string stop `"YYYY-MM-DD"`, excluded
-- @treturn table|nil
function M.colour_days(t, first, stop)
  local a, b = dates.day(first or ""), dates.day(stop or "")
  if not (t.by_colour and a and b and a < b) then return nil end
  return { first = dates.format(tariff_day(t, a * 86400)),
           last = dates.format(tariff_day(t, b * 86400 - 300)) }
end

-- The group of an interval starting at Paris wall-clock `wall`: its key and the group (class
-- false: no colour known, unpriced) | nil, an invalid_argument error. `missing` collects the
-- tariff days without a colour.
local function interval_group(t, wall, day, colours, missing)
  local tday = tariff_day(t, wall)
  local colour, err
  if t.by_colour then
    colour, err = colour_of(colours, tday)
    if err then return invalid(err) end
    if not colour then
      missing[tday] = true
      return day .. "\0", { day = day, class = false }
    end
  end
  local class = class_of(t, math.floor((wall % 86400) / 60), tday, colour)
  if not class then
    return invalid(("no class of the tariff matches the interval starting %s"):format(
      os.date("!%Y-%m-%d %H:%M", wall)))
  end
  local period = period_of(t, tday)
  if not period then return no_price(t, tday) end
  return day .. "\0" .. class.name .. "\0" .. tostring(period.from),
    { day = day, class = class.name, price = period.micro[class.name] }
end

-- The watt-seconds of a result per calendar day, class and period (one price each), so that
-- each is priced once: key -> { day =, class =, price =, ws = } (class false: unpriced), and the
-- set of tariff days without a colour | nil, an invalid_argument error.
local function group_energy(res, t, ws, curve, first, last, colours)
  local groups, missing = {}, {}
  for i, p in ipairs(res.points) do
    if ws[i] ~= nil then
      local start = curve and p.time - p.step or p.time
      local wall = start + core.paris_offset(start)
      local day = math.floor(wall / 86400)
      if day >= first and day < last then
        local key, g = interval_group(t, wall, day, colours, missing)
        if not key then return nil, g end
        if not groups[key] then
          g.ws = 0
          groups[key] = g
        end
        groups[key].ws = groups[key].ws + ws[i]
      end
    end
  end
  return groups, missing
end

-- A row per day of [first, last), each with its share of its month's subscription:
-- day -> row | nil, an invalid_argument error.
local function day_rows(t, first, last)
  local rows = {}
  for day = first, last - 1 do
    local period = period_of(t, day)
    if not period then return no_price(t, day) end
    rows[day] = M.row(dates.format(day))
    add_fraction(rows[day].subscription, period.sub_u, period.yearly and dates.days_in_year(day)
      or dates.days_in_month(day))
  end
  return rows
end

--- Prices a result with a tariff, exactly: what `cost` gives, in exact sums.
-- @tparam table res as `cost`'s
-- @tparam table tariff the tariff
-- @tparam[opt] table opts as `cost`'s
-- @treturn table|nil a row of exact sums (see `row`) for the whole range, with `days` (a row a
-- Paris day), `gaps`, `partial` and `missing_colours` (as `cost`'s)
-- @treturn table an `invalid_argument` error naming the field
function M.price(res, tariff, opts)
  if type(res) ~= "table" or type(res.points) ~= "table" then
    error(("bad argument #1 to 'cost' (linky result expected, got %s)"):format(type(res)), 3)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error(("bad argument #3 to 'cost' (table expected, got %s)"):format(type(opts)), 3)
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
  local ws
  ws, err = analysis.watt_seconds(res)
  if not ws then return nil, err end

  local groups, missing = group_energy(res, t, ws, curve, first, last, colours)
  if not groups then return nil, missing end
  local rows
  rows, err = day_rows(t, first, last)
  if not rows then return nil, err end
  for _, g in pairs(groups) do
    local d = rows[g.day]
    d.ws = d.ws + g.ws
    if g.class then
      local c = class_row(d.classes, g.class)
      c.ws = c.ws + g.ws
      add_energy(d.energy, g.ws, g.price)
      add_energy(c.cost, g.ws, g.price)
    else
      d.unpriced = d.unpriced + g.ws
    end
  end
  local out = M.row()
  out.missing_colours = {}
  for day in pairs(missing) do out.missing_colours[#out.missing_colours + 1] = dates.format(day) end
  table.sort(out.missing_colours)
  out.partial = out.missing_colours[1] ~= nil
  out.days, out.gaps = {}, {}
  for day = first, last - 1 do
    out.days[#out.days + 1] = rows[day]
    M.add_row(out, rows[day])
  end
  for i, g in ipairs(res.gaps or {}) do
    local copy = {}
    for k, v in pairs(g) do copy[k] = v end
    out.gaps[i] = copy
  end
  return out
end

--- Prices a result with a tariff.
-- Sums are exact (see the module's header); the amounts are Lua numbers of EUR, unrounded.
-- @tparam table res a load curve (or daily consumption, when no class depends on hours or colours)
-- @tparam table tariff the tariff
-- @tparam[opt] table opts `colours`: `{ ["YYYY-MM-DD"] = "blue"|"white"|"red" }` or a function of
-- the tariff day `"YYYY-MM-DD"` (nil: the colour is not known; `linky.tempo` gives them)
-- @treturn table|nil `{ total =, energy =, subscription =, kwh =, classes =, days =, gaps =,
-- partial =, missing_colours = }`. A tariff day without a colour makes the cost partial, never a
-- failure: `partial` is true, `missing_colours` lists those days (`"YYYY-MM-DD"`), their energy
-- counts in `kwh` and in `unpriced_kwh`, not in `energy` nor `classes`, and each day still pays
-- its subscription.
-- @treturn table an `invalid_argument` error naming the field
function M.cost(res, tariff, opts)
  local x, err = M.price(res, tariff, opts)
  if not x then return nil, err end
  local out = M.numbers(x)
  out.date = nil
  out.partial, out.missing_colours = x.partial, x.missing_colours
  out.unpriced_kwh = x.unpriced / WS_PER_KWH
  out.days, out.gaps = {}, x.gaps
  for i, d in ipairs(x.days) do out.days[i] = M.numbers(d) end
  return out
end

return M
