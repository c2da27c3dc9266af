--- The daily jobs on top of the fetch loop: `client:update` (what is new, and corrections,
-- at no cost when up to date) and `client:backfill` (history over several budget windows).
-- @module linky.update
local context = require "linky.context"
local core = require "linky.core"
local dates = require "linky.dates"
local errors = require "linky.errors"
local fetch = require "linky.fetch"
local plan = require "linky.plan"
local store = require "linky.store"

local M = {}

--- Seconds between two correction checks of `update`.
M.CORRECTION_CHECK = 24 * 3600

--- One `client:update` (see there), its arguments checked.
-- @tparam table st the client's private state
-- @tparam table call what `new_call` built
-- @tparam table spec the kind's entry in `linky.kinds`
-- @tparam integer|nil since the first day asked for, or nil for the default
-- @tparam table empty the result to return when nothing is to be asked (its fields but range)
-- @treturn table|nil the result, with `days_new`, `days_corrected` and `retry_at`
-- @treturn table the error
function M.update(st, call, spec, since, empty)
  local today, now = context.today(st), st.clock()
  if since and since >= today then
    return nil, errors.new("invalid_argument", "since must be before today")
  end
  local db, err = context.db(st)
  if not db then return nil, err end
  local window = today - 7
  local known, checked
  known, err = store.known(db, call.prm, call.kind, math.min(since or window, window), today)
  if known then checked, err = store.checked(db, call.prm, call.kind) end
  if not checked then return nil, err end
  -- the BRUT days of the last 7, asked again when the last check is a day old
  local brut, force, check_due = false, {}, now - checked >= M.CORRECTION_CHECK
  local first = since or today
  for day = window, today - 1 do
    local k = known[day]
    if k and k.status == "complete" and k.quality ~= "BEST" then
      brut = true
      if check_due then force[day] = true end
    end
    if not since and (not (k and k.status == "complete") or force[day]) then first = math.min(first, day) end
  end
  local res = empty
  if first < today then
    res, err = fetch.run(st, call, spec, first, today, { update = true, force = force })
    if not res then return nil, err end
    if res.requests > 0 then -- what was just fetched needs no correction check before a day
      local ok, why = store.set_checked(db, call.prm, call.kind, now)
      if not ok then return nil, why end
      checked = now
    end
  else
    res.start, res["end"] = dates.format(today), dates.format(today)
  end
  local retry_at = core.to_epoch(dates.format(today + 1) .. " 00:00:00") -- a new day to ask for
  if brut then retry_at = math.min(retry_at, checked + M.CORRECTION_CHECK) end
  for _, gap in ipairs(res.gaps) do -- a day without data is asked again when its hold ends
    if not gap.settled then retry_at = math.min(retry_at, res.held_until or now + store.HOLD) end
  end
  res.retry_at = retry_at
  return res
end

--- Requests left for daily updates when `backfill` is given no `reserve`.
M.RESERVE = 5

--- One run of `client:backfill` (see there).
-- @treturn table|nil the progress report
-- @treturn table the error
function M.backfill(client, st, call, spec, first, last, opts)
  local budget, err = client:budget()
  if not budget then return nil, err end
  local allowance = opts.max_requests
  if not allowance and budget.limit then
    allowance = math.max(0, budget.limit - budget.used - (opts.reserve or M.RESERVE))
  end
  local before
  before, err = plan.make(st, call, spec, first, last, opts)
  if not before then return nil, err end
  if allowance == 0 and #before.ranges > 0 then
    return nil, errors.new("budget_exhausted", ("the budget leaves nothing past the reserve of %d requests")
      :format(opts.reserve or M.RESERVE), { planned = #before.ranges, retry_at = budget.retry_at })
  end
  local run = { max_requests = allowance, update = true, refresh = opts.refresh, progress = opts.progress }
  local res, failure = fetch.run(st, call, spec, first, last, run)
  if not res and not (failure.kind == "budget_exhausted" and failure.planned) then return nil, failure end
  local sent = (res or failure.partial or {}).requests or 0
  local after
  after, err = plan.make(st, call, spec, first, last, opts)
  if not after then return nil, err end
  local stored = 0
  for _, k in pairs(after.known) do
    if k.status == "complete" then stored = stored + 1 end
  end
  local left = #after.ranges
  local per_run = math.max(1, allowance or left)
  return { requests = sent, days = last - first, stored_days = stored, remaining_requests = left,
           runs_left = math.ceil(left / per_run), done = left == 0 }
end

return M
