--- Which offer would have been cheapest: one load curve priced with several tariffs, each
-- exactly as `linky.cost` prices it, over the days it covers. A day an offer cannot price (its
-- data missing or incomplete, no Tempo colour for it, no price in force) is left out of that
-- offer's sums and named, with the energy it held: it is never priced as blue nor guessed.
-- `linky.compare` is the public function.
-- @module linky.compare
local analysis = require "linky.analysis"
local cost = require "linky.cost"
local dates = require "linky.dates"
local errors = require "linky.errors"

local M = {}

-- The reason a result's gaps give each day they cover: day -> "missing" | "incomplete" | ...
local function gap_days(res)
  local out = {}
  for _, g in ipairs(res.gaps or {}) do
    local a, b = dates.day(tostring(g.start)), dates.day(tostring(g["end"]))
    if a and b then
      for day = a, b - 1 do out[day] = "no data (" .. tostring(g.reason or "missing") .. ")" end
    end
  end
  return out
end

-- The points of a result per calendar day, with their watt-seconds: day -> { points =, ws = }.
local function by_day(res, ws, curve)
  local days = {}
  for i, p in ipairs(res.points) do
    local day = dates.point_day(p.time, curve)
    local d = days[day]
    if not d then
      d = { points = {}, ws = 0 }
      days[day] = d
    end
    d.points[#d.points + 1] = p
    d.ws = d.ws + (ws[i] or 0)
  end
  return days
end

-- Runs of consecutive days with the same reason: { { start =, ["end"] =, reason = }, ... }.
local function runs_of(reasons, first, last)
  local out, open = {}, nil
  for day = first, last do
    local r = day < last and reasons[day] or nil
    if open and r ~= open.reason then
      open["end"] = dates.format(day)
      out[#out + 1] = open
      open = nil
    end
    if r and not open then open = { start = dates.format(day), reason = r } end
  end
  return out
end

-- One offer priced over the days it covers: exact sums and what it left out.
local function price_offer(res, t, checked, days, gaps, first, last, colours)
  local reasons, total, priced_ws, unpriced_ws, covered = {}, cost.row(), 0, 0, 0
  local run = nil
  local function close(stop)
    if not run then return nil end
    local sub = { kind = res.kind, unit = res.unit, start = dates.format(run.first),
                  ["end"] = dates.format(stop), points = run.points, gaps = {} }
    run = nil
    local x, err = cost.price(sub, t, { colours = colours })
    if not x then return err end
    cost.add_row(total, x)
    return nil
  end
  for day = first, last - 1 do
    local reason = gaps[day]
    if not reason then
      local ok, err = cost.check_range(checked, dates.format(day), dates.format(day + 1), colours, true)
      if not ok then reason = err.reason or "no price" end
    end
    local d = days[day]
    if reason then
      reasons[day] = reason
      unpriced_ws = unpriced_ws + (d and d.ws or 0)
      local err = close(day)
      if err then return nil, err end
    else
      covered = covered + 1
      priced_ws = priced_ws + (d and d.ws or 0)
      run = run or { first = day, points = {} }
      for _, p in ipairs(d and d.points or {}) do run.points[#run.points + 1] = p end
    end
  end
  local err = close(last)
  if err then return nil, err end
  return { sums = total, unpriced_ws = unpriced_ws, days = covered,
           not_covered = runs_of(reasons, first, last) }
end

--- Prices a load curve with each offer, exactly: what `compare` gives, with each offer's exact
-- sums (`sums`: a row of `linky.cost.row`) and the difference to the first as an amount and a sign.
-- @tparam table res as `compare`'s
-- @tparam {table,...} tariffs as `compare`'s
-- @tparam[opt] table opts as `compare`'s
-- @treturn {table,...}|nil an offer each: `{ name =, sums =, unpriced_ws =, days =, not_covered =,
-- difference =, sign = }`
-- @treturn table an `invalid_argument` error naming the offer (`tariffs[i]`)
function M.price(res, tariffs, opts)
  if type(res) ~= "table" or type(res.points) ~= "table" then
    error(("bad argument #1 to 'compare' (linky result expected, got %s)"):format(type(res)), 3)
  end
  if type(tariffs) ~= "table" then
    error(("bad argument #2 to 'compare' (list of tariffs expected, got %s)"):format(type(tariffs)), 3)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error(("bad argument #3 to 'compare' (table expected, got %s)"):format(type(opts)), 3)
  end
  local colours = opts and opts.colours
  if colours ~= nil and type(colours) ~= "table" and type(colours) ~= "function" then
    return nil, errors.new("invalid_argument", "opts.colours must be a table or a function")
  end
  if tariffs[1] == nil then return nil, errors.new("invalid_argument", "tariffs must be a non-empty list") end
  local first, last = dates.day(res.start or ""), dates.day(res["end"] or "")
  if not (first and last and first < last) then
    return nil, errors.new("invalid_argument", "the result has no valid start and end")
  end
  local ws, err = analysis.watt_seconds(res)
  if not ws then return nil, err end
  local days, gaps = by_day(res, ws, analysis.is_load_curve(res)), gap_days(res)
  local offers = {}
  for i, t in ipairs(tariffs) do
    local checked, cerr = cost.check(t)
    local offer
    if checked then offer, cerr = price_offer(res, t, checked, days, gaps, first, last, colours) end
    if not offer then
      return nil, errors.new("invalid_argument", ("tariffs[%d]: %s"):format(i, cerr.message))
    end
    offer.name = type(t.name) == "string" and t.name or ("tariff %d"):format(i)
    offer.difference, offer.sign = cost.difference(cost.total(offer.sums), cost.total(i == 1 and offer.sums
      or offers[1].sums))
    offers[i] = offer
  end
  return offers
end

--- Which offer would have been cheapest: prices the same load curve with each tariff.
-- Each offer prices the days it covers; a day with missing or incomplete data, without a Tempo
-- colour (for a tariff whose classes need one) or without a price in force is left out of that
-- offer's sums, its energy counted in `unpriced_kwh`, and named in `not_covered`. Sums are exact
-- (`linky.cost`); the amounts are Lua numbers of EUR, unrounded.
-- @tparam table res a consumption load curve (or daily consumption, for tariffs whose classes
-- depend on neither hours nor colours)
-- @tparam {table,...} tariffs the offers, each a tariff as `linky.cost` takes it; the first is the
-- reference of `difference`
-- @tparam[opt] table opts `colours`, as `linky.cost`'s
-- @treturn {table,...}|nil an offer each, in order: `{ name =, energy =, subscription =, total =,
-- difference =, kwh =, unpriced_kwh =, days =, partial =, not_covered = { { start =, ["end"] =,
-- reason = }, ... } }` (`difference`: total less the first offer's; `days`: the days priced;
-- `partial`: some day was not covered; reasons "no data (missing)", "no data (incomplete)",
-- "no colour", "no price")
-- @treturn table an `invalid_argument` error naming the offer (`tariffs[i]`) or the field
function M.compare(res, tariffs, opts)
  local offers, err = M.price(res, tariffs, opts)
  if not offers then return nil, err end
  local out = {}
  for i, o in ipairs(offers) do
    local n = cost.numbers(o.sums)
    out[i] = { name = o.name, energy = n.energy, subscription = n.subscription, total = n.total,
               difference = o.sign * cost.number(o.difference), kwh = n.kwh,
               unpriced_kwh = o.unpriced_ws / 3600000, days = o.days, partial = o.not_covered[1] ~= nil,
               not_covered = o.not_covered }
  end
  return out
end

return M
