--- The fetch loop, the only one: a call's plan, its requests one after the other, each
-- answer kept inside the days asked, merged into one result, its day statuses stored, and the
-- gaps of the whole range. `client:fetch`, every kind method, `update`, `backfill` and the
-- command all go through `run`.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.fetch
local compat = require "linky.compat"
local dates = require "linky.dates"
local errors = require "linky.errors"
local plan = require "linky.plan"
local request = require "linky.request"
local result = require "linky.result"
local store = require "linky.store"

local M = {}

-- Upstream refusals that settle the days they cover, and the reason their days keep: before
-- the meter's activation, beyond its history. Like a 404, they make gaps of a call, not its failure.
local SETTLING = { ["ADAM-ERR0123"] = "before_activation", ["ADAM-ERR0125"] = "beyond_history" }

-- An empty table, shared: no one writes into it.
local NONE = {}

local function is_gap_error(err)
  return err.kind == "not_found" or (err.kind == "bad_request" and SETTLING[err.upstream_code] ~= nil)
end

-- The points of a list that belong to [first, stop): the list itself when all do.
local function inside(points, curve, first, stop)
  local n = #points
  -- decoded points are in time order (points.c) and a point's day follows its time: when the
  -- first and the last are inside, all are (a call's answers always are)
  if n == 0 or (dates.point_day(points[1].time, curve) >= first
      and dates.point_day(points[n].time, curve) < stop) then
    return points
  end
  local kept
  for i, p in ipairs(points) do
    local day = dates.point_day(p.time, curve)
    local ok = day >= first and day < stop
    if not ok and not kept then kept = compat.move(points, 1, i - 1, 1, {}) end
    if ok and kept then kept[#kept + 1] = p end
  end
  return kept or points
end

-- Drops what an answer brought outside the days it was asked for.
local function keep_inside(part, curve, first, stop)
  part.points = inside(part.points, curve, first, stop)
  if part.series then
    for _, s in pairs(part.series) do s.points = inside(s.points, curve, first, stop) end
  end
  if part.classes then
    for label, points in pairs(part.classes) do part.classes[label] = inside(points, false, first, stop) end
  end
end

-- Adds one answered sub-range to `res`, notes the status of each of its days in `seen` and
-- stores it when `stored`: nil | a `state_unavailable` error.
local function take(st, call, spec, res, part, range, seen, stored, today)
  if res.responses then res.responses[#res.responses + 1] = part.decoded end
  keep_inside(part, spec.load_curve, range[1], range[2])
  result.add(res, part)
  -- what the statuses and the store need; the lean path (no store) copies no point
  local statuses, keep =
    store.day_statuses(part.points, spec.load_curve, range[1], range[2], today, stored)
  for day = range[1], range[2] - 1 do
    statuses[day] = statuses[day] or "missing"
    seen[day] = statuses[day]
  end
  if stored then
    local now = st:now()
    local db, err = st:db()
    if not db then return err end
    local ok, why = store.put(db, call.prm, call.kind, part.quality, now, statuses, keep)
    for label, points in pairs(part.classes or NONE) do
      if not ok then break end
      local _, class_keep = store.day_statuses(points, false, range[1], range[2], today, true)
      local class = store.class_kind(call.kind, label)
      ok, why = store.put(db, call.prm, class, part.quality, now, {}, class_keep)
    end
    if not ok then return why end
  end
end

-- Notes a sub-range answered 404 (or refused as before the meter's activation or beyond its
-- history: settled at once, with that reason) as missing days: nil | a `state_unavailable` error.
local function take_gap(st, call, err, range, seen, settled_now, stored)
  local statuses = {}
  local reason = err.kind == "bad_request" and SETTLING[err.upstream_code] or nil
  for day = range[1], range[2] - 1 do
    statuses[day], seen[day] = "missing", "missing"
    if reason then settled_now[day] = reason end
  end
  if not stored then return nil end
  local db, failure = st:db()
  if not db then return failure end
  local ok, why = store.put(db, call.prm, call.kind, nil, st:now(), statuses, {}, reason)
  if not ok then return why end
end

-- Loads into `res` the stored points of the days no answer of this call brought points for.
local function from_store(st, call, res, known, seen, first, last)
  if next(known) == nil then return true end -- always so without the store
  local days, any = {}, false
  for day, k in pairs(known) do
    local s = seen[day]
    if k.status ~= "missing" and (s == nil or s == "missing") then days[day], any = true, true end
  end
  if not any then return true end
  local db, err = st:db()
  if not db then return nil, err end
  local points, qualities, classes = store.load(db, call.prm, call.kind, days, first, last, call.index)
  if not points then return nil, qualities end
  res.cached = #points
  result.add(res, { points = points, classes = classes })
  for q in pairs(qualities) do res.quality = result.merge_quality(res.quality, q) end
  return true
end

-- The empty result of a call, which the answers and the store fill.
local function new_result(call, first, last)
  return {
    prm = call.prm, kind = call.kind, api = call.api, type = call.type,
    start = dates.format(first), ["end"] = dates.format(last),
    requests = 0, cached = 0, points = {}, gaps = {},
    responses = call.decode_spec.keep and {} or nil,
  }
end

-- The gap a day of the plan `p` is, as its reason and whether it is settled (true or nil), or
-- nil when it is complete: what this call saw of it (`seen`, `settled_now`), else what the store
-- knew.
local function gap_of(p, seen, settled_now, day)
  if day < p.horizon then return "beyond_history", true end
  local known = p.known[day]
  local status = seen[day] or (known and known.status) or "missing"
  if status == "complete" then return nil end
  -- a day never asked is not settled: a call that may send will ask for it
  local k = known or NONE
  local asked = known or seen[day]
  local settled = p.stored and asked
    and (settled_now[day] or store.settled(day, { status = status, settled = k.settled }, p.today))
  local reason = settled_now[day] or (not seen[day] and k.reason) or status
  return reason, settled and true or nil
end

-- Runs of consecutive days of [first, stop) with the same gap (`{ start =, end =, reason =,
-- settled = }`): two values per day rather than a table.
local function gap_list(p, seen, settled_now, first, stop)
  local gaps, open = {}, nil
  for day = first, stop do
    local reason, settled
    if day < stop then reason, settled = gap_of(p, seen, settled_now, day) end
    if open and (reason ~= open.reason or settled ~= open.settled) then
      open["end"] = dates.format(day)
      gaps[#gaps + 1] = open
      open = nil
    end
    if reason and not open then
      open = { start = dates.format(day), reason = reason, settled = settled }
    end
  end
  return gaps
end

-- How many days this call made complete (update's `days_new`).
local function count_new(seen, known)
  local n = 0
  for day, status in pairs(seen) do
    local k = known[day]
    if status == "complete" and not (k and k.status == "complete") then n = n + 1 end
  end
  return n
end

-- Counts into `res.days_corrected` the complete BRUT days of a range that came back BEST.
local function count_corrected(res, known, range, part)
  for day = range[1], range[2] - 1 do
    local k = known[day]
    if k and k.status == "complete" and k.quality ~= "BEST" and part.quality == "BEST" then
      res.days_corrected = (res.days_corrected or 0) + 1
    end
  end
end

-- The not_found of a call that sent nothing since every day is held or settled: why.
local function nothing_to_ask(p, last)
  local message = "no data for these days: they are settled (pass refresh = true to ask again)"
  if last <= p.horizon then
    message = ("no data for these days: Conso API keeps no history before %s"):format(dates.format(p.horizon))
  elseif p.held_until then
    message = ("no data for these days yet; asked again after %s"):format(os.date("!%Y-%m-%d %H:%M:%SZ",
      math.floor(p.held_until)))
  end
  return errors.new("not_found", message, { from_state = true, retry_at = p.held_until })
end

-- The end of a call: the stored days and the gaps added to `res`, which it returns; with `fail`,
-- nil and that error, carrying `res` as partial when something was fetched (`partial`) or
-- stored. A function of the module rather than a closure of `run`, which makes none.
local function finish(st, call, spec, p, res, seen, settled_now, first, last, opts, fail, partial)
  local ok, why = from_store(st, call, res, p.known, seen, first, last)
  if not ok then return nil, why end
  if call.daily then
    res.gaps = gap_list(p, seen, settled_now, first, last)
  end
  res.unit = res.unit or spec.unit
  if opts.update then res.days_new = count_new(seen, p.known) end
  if not fail then return res end
  if partial or res.cached > 0 then fail.partial = res end
  return nil, fail
end

--- Fetches one call: the days its plan asks for, by sequential requests, merged with the
-- stored ones.
-- @tparam table st the client's session (`linky.session`)
-- @tparam table call what `linky.call` built
-- @tparam table spec the kind's entry in `linky.kinds`
-- @tparam integer first first day
-- @tparam integer last day after the last one
-- @tparam table opts as `plan`'s, and `progress` (called `progress(i, n)` before the i-th of the
-- n planned requests, and `progress(i, n, { wait =, error = })` before waiting to retry it),
-- `max_requests` (send at most that many requests, retries included, then fail with
-- `budget_exhausted` and `planned`), `reserve` (budget slots every request leaves free),
-- `update` (days without data make gaps, never a `not_found`)
-- @treturn table|nil the result; with `update`, `days_new` and `days_corrected` count the days
-- that became complete and the complete `BRUT` days that came back `BEST`
-- @treturn table the error, with `partial` when something was fetched or stored
function M.run(st, call, spec, first, last, opts)
  local p, err = plan.make(st, call, spec, first, last, opts)
  if not p then return nil, err end
  local res = new_result(call, first, last)
  local known, stored, today, ranges = p.known, p.stored, p.today, p.ranges
  local seen, settled_now = {}, {}
  local answered, gap_err = 0, nil
  for i, range in ipairs(ranges) do
    if opts.max_requests and res.requests >= opts.max_requests then
      return finish(st, call, spec, p, res, seen, settled_now, first, last, opts,
        errors.new("budget_exhausted", ("this call needs %d requests; max_requests = %d")
          :format(#ranges, opts.max_requests), { planned = #ranges }), true)
    end
    local on_retry
    if opts.progress then
      opts.progress(i, #ranges)
      on_retry = function(wait, e) opts.progress(i, #ranges, { wait = wait, error = e }) end
    end
    local part, fail = request.send(st, call, range[1], range[2], res, opts, on_retry)
    if part then
      answered = answered + 1
      if opts.update then count_corrected(res, known, range, part) end
      fail = take(st, call, spec, res, part, range, seen, stored, today)
    elseif is_gap_error(fail) then
      if fail.kind == "not_found" then fail.retry_at = st:now() + store.HOLD end
      gap_err = gap_err or fail
      fail = take_gap(st, call, fail, range, seen, settled_now, stored)
    end
    if fail then
      return finish(st, call, spec, p, res, seen, settled_now, first, last, opts, fail, answered > 0)
    end
  end
  local out, why = finish(st, call, spec, p, res, seen, settled_now, first, last, opts)
  if not out then return nil, why end
  if opts.update then out.days_corrected = out.days_corrected or 0 end
  if answered == 0 and #res.points == 0 and not opts.update and not opts.offline then
    if gap_err then return nil, gap_err end
    -- every day held or settled, none with data: nothing sent
    if #ranges == 0 and #res.gaps > 0 then return nil, nothing_to_ask(p, last) end
  end
  out.held_until = p.held_until
  return out
end

return M
