--- Planning a call: which days the store serves (complete, held or settled days) and which
-- requests the others need, split by the per-request limit. `client:plan` reports it;
-- `linky.fetch` runs it.
-- @module linky.plan
local context = require "linky.context"
local dates = require "linky.dates"
local store = require "linky.store"

local M = {}

--- Plans one call: which days the store serves and which requests the others need.
-- @tparam table st the client's private state
-- @tparam table call what `new_call` built
-- @tparam table spec the kind's entry in `linky.kinds`
-- @tparam integer first first day
-- @tparam integer last day after the last one
-- @tparam table opts `refresh` (ask settled days again), `force` (day -> true: ask even when
-- complete), `offline` (ask nothing: the store alone answers)
-- @treturn table|nil `{ ranges = {{first, stop}, ...}, known =, held_until =, stored = }`
-- @treturn table a `state_unavailable` error
function M.make(st, call, spec, first, last, opts)
  local db, err = context.db(st)
  if not db then return nil, err end
  local stored = st.cache and call.storable
  local now, today = st.clock(), context.today(st)
  local known = {}
  if stored then
    known, err = store.known(db, call.prm, call.kind, first, last)
    if not known then return nil, err end
  end
  local force = opts.force or {}
  local plan = { ranges = {}, known = known, stored = stored, today = today, asked_days = 0 }
  local asked = store.runs(function(day)
    if opts.offline then return false end
    if force[day] then return true end
    local want, held_until = store.wanted(day, known[day], today, now, opts.refresh)
    if held_until then plan.held_until = math.min(plan.held_until or held_until, held_until) end
    return want
  end, first, last)
  for _, run in ipairs(asked) do
    plan.asked_days = plan.asked_days + run[2] - run[1]
    for _, range in ipairs(dates.split(run[1], run[2], spec.max_days)) do
      plan.ranges[#plan.ranges + 1] = range
    end
  end
  return plan
end

--- The plan of a call as `client:plan` reports it (see there).
-- @treturn table|nil the report
-- @treturn table the error
function M.report(client, st, call, spec, first, last, opts)
  local p, err = M.make(st, call, spec, first, last, opts)
  if not p then return nil, err end
  local budget
  budget, err = client:budget()
  if not budget then return nil, err end
  local ranges = {}
  for i, r in ipairs(p.ranges) do ranges[i] = { start = dates.format(r[1]), ["end"] = dates.format(r[2]) } end
  return { requests = #ranges, ranges = ranges, missing_days = p.asked_days,
           stored_days = last - first - p.asked_days,
           budget_left = budget.limit and math.max(0, budget.limit - budget.used) or nil }
end

return M
