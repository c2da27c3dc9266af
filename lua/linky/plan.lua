--- Planning a call: which days the store serves (complete, held or settled days) and which
-- requests the others need, split by the per-request limit. `client:plan` reports it;
-- `linky.fetch` runs it.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.plan
local dates = require "linky.dates"
local store = require "linky.store"

local M = {}

-- What a plan knows of days when nothing is known or forced: shared, no one writes into it.
local NONE = {}

--- Plans one call: which days the store serves and which requests the others need.
-- @tparam table st the client's session (`linky.session`)
-- @tparam table call what `linky.call` built
-- @tparam table spec the kind's entry in `linky.kinds`
-- @tparam integer first first day
-- @tparam integer last day after the last one
-- @tparam table opts `refresh` (ask settled days again), `force` (day -> true: ask even when
-- complete), `offline` (ask nothing: the store alone answers), `newest_first` (the ranges from
-- the most recent days back, split from the end)
-- @treturn table|nil `{ ranges = {{first, stop}, ...}, known =, held_until =, stored =, today =,
-- horizon =, asked_days = }`: days before `horizon` are beyond the history Enedis keeps and are
-- never asked
-- @treturn table a `state_unavailable` error
function M.make(st, call, spec, first, last, opts)
  local db, err = st:db()
  if not db then return nil, err end
  local stored = st.cache and call.storable
  local now, today = st:now(), st:today()
  local known = NONE
  if stored then
    known, err = store.known(db, call.prm, call.kind, first, last)
    if not known then return nil, err end
  end
  local force = opts.force or NONE
  local horizon = dates.horizon(today, spec.load_curve)
  local plan = { ranges = {}, known = known, stored = stored, today = today, asked_days = 0,
                 horizon = horizon }
  local split = opts.newest_first and dates.split_back or dates.split
  if next(known) == nil then
    -- nothing known of these days (always without the store): every day from the horizon on
    -- is wanted, one run, found without a pass over the days
    local from = math.max(first, horizon)
    if not opts.offline and from < last then
      plan.asked_days = last - from
      split(from, last, spec.max_days, plan.ranges)
    end
    return plan
  end
  local asked = store.runs(function(day)
    if opts.offline or day < horizon then return false end
    if force[day] then return true end
    local want, held_until = store.wanted(day, known[day], today, now, opts.refresh)
    if held_until then plan.held_until = math.min(plan.held_until or held_until, held_until) end
    return want
  end, first, last)
  local back = opts.newest_first
  for r = back and #asked or 1, back and 1 or #asked, back and -1 or 1 do
    local run = asked[r]
    plan.asked_days = plan.asked_days + run[2] - run[1]
    split(run[1], run[2], spec.max_days, plan.ranges)
  end
  return plan
end

--- The plan of a call as `client:plan` reports it (see there): `planned`, all the requests the
-- range needs, and `requests`, those the call will send: at most `max_requests`, and at most
-- what the budget leaves (past `reserve`, for backfill).
-- @treturn table|nil the report
-- @treturn table the error
function M.report(st, call, spec, first, last, opts)
  local p, err = M.make(st, call, spec, first, last, opts)
  if not p then return nil, err end
  local budget
  budget, err = st:budget()
  if not budget then return nil, err end
  local room
  room, err = st:room(opts.reserve or 0)
  if not room then return nil, err end
  local ranges = {}
  for i, r in ipairs(p.ranges) do ranges[i] = { start = dates.format(r[1]), ["end"] = dates.format(r[2]) } end
  local requests = math.min(#ranges, opts.max_requests or #ranges, room.left or #ranges)
  local held = (budget.banned_since or budget.cooldown_until) and true or nil
  if held then requests = 0 end
  local beyond = math.max(0, math.min(last, p.horizon) - first)
  return { requests = requests, planned = #ranges, ranges = ranges, missing_days = p.asked_days, held = held,
           stored_days = last - first - p.asked_days - beyond, beyond_history_days = beyond,
           budget_left = budget.limit and math.max(0, budget.limit - budget.used) or nil }
end

return M
