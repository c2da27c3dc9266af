--- The daily jobs on top of the fetch loop: `client:update` (what is new, and corrections,
-- at no cost when up to date) and `client:backfill` (history over several budget windows).
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.update
local core = require "linky.core"
local dates = require "linky.dates"
local errors = require "linky.errors"
local fetch = require "linky.fetch"
local plan = require "linky.plan"
local result = require "linky.result"
local store = require "linky.store"

local M = {}

--- Seconds between two correction checks of `update`.
M.CORRECTION_CHECK = 24 * 3600

--- Requests of the budget that `backfill` (and `update`'s healing of older days) leave for
-- daily updates.
M.RESERVE = 5

--- Days `update` always covers first: the last 7.
M.RECENT_DAYS = 7

--- How long a backfill whose allowance is 0 waits for slots freeing soon (seconds): runs
-- started 12 hours apart meet the slots of the previous run freeing at the window's boundary.
M.SOON = 15 * 60

-- Requests the call may still send: at most `max_requests` in all (`spent` already), and what
-- the budget leaves past `reserve`.
local function allowance(st, reserve, max_requests, spent)
  local room, err = st:room(reserve)
  if not room then return nil, err end
  local n = room.left
  if max_requests then n = math.min(n or math.huge, math.max(0, max_requests - spent)) end
  return n, room
end

-- The fetch of the days before the last 7 that `update` heals: newest first, within what the
-- window leaves past the reserve and `max_requests`. Returns its result (nil when nothing was
-- sent) and the plan of what is left, or nil and an error.
local function heal(st, call, spec, first, stop, opts, spent)
  local n, err = allowance(st, M.RESERVE, opts.max_requests, spent)
  if not n then return nil, err end
  local run = { update = true, newest_first = true, reserve = M.RESERVE, max_requests = n,
                progress = opts.progress }
  local res, failure
  if n ~= 0 then
    res, failure = fetch.run(st, call, spec, first, stop, run)
    if not res then
      if not (failure.kind == "budget_exhausted" and (failure.planned or failure.reserve)) then
        return nil, failure
      end
      res = failure.partial
    end
  end
  local left
  left, err = plan.make(st, call, spec, first, stop, run)
  if not left then return nil, err end
  return res or false, left
end

-- The default first day of `update`: the first of the last 7 days that is not complete (or is
-- due for its correction check), and the day after the newest complete stored day, or the first
-- day of a hole an earlier update left partly healed, when that is earlier; the last 7 days
-- when nothing is stored.
local function default_first(db, call, known, force, today, heal_from)
  local first = today
  for day = today - M.RECENT_DAYS, today - 1 do
    local k = known[day]
    if not (k and k.status == "complete") or force[day] then first = math.min(first, day) end
  end
  local newest, err = store.newest_complete(db, call.prm, call.kind)
  if err then return nil, err end
  if newest and newest + 1 < first then first = newest + 1 end
  if heal_from and heal_from < first then first = heal_from end
  return first
end

-- Whether the last 7 days hold complete BRUT days, and those to ask again (day -> true) when
-- the correction check is due.
local function brut_days(known, window, today, check_due)
  local brut, force = false, {}
  for day = window, today - 1 do
    local k = known[day]
    if k and k.status == "complete" and k.quality ~= "BEST" then
      brut = true
      if check_due then force[day] = true end
    end
  end
  return brut, force
end

-- When the next update has something to ask: a new day, the correction check of BRUT days
-- (`checked`, false when there are none), or the end of a hold on a day without data.
local function next_update(res, today, now, checked)
  local retry_at = core.to_epoch(dates.format(today + 1) .. " 00:00:00")
  if checked then retry_at = math.min(retry_at, checked + M.CORRECTION_CHECK) end
  for _, gap in ipairs(res.gaps) do
    if not gap.settled then retry_at = math.min(retry_at, res.held_until or now + store.HOLD) end
  end
  return retry_at
end

--- One `client:update` (see there), its arguments checked.
-- @tparam table st the client's session (`linky.session`)
-- @tparam table call what `linky.call` built
-- @tparam table spec the kind's entry in `linky.kinds`
-- @tparam integer|nil since the first day asked for, or nil for the default
-- @tparam table empty the result to return when nothing is to be asked (its fields but range)
-- @tparam table opts `max_requests`, `progress`
-- @treturn table|nil the result, with `days_new`, `days_corrected`, `retry_at`,
-- `remaining_days` and `remaining_requests`
-- @treturn table the error
function M.update(st, call, spec, since, empty, opts)
  local today, now = st:today(), st:now()
  if since and since >= today then
    return nil, errors.new("invalid_argument", "since must be before today")
  end
  local db, err = st:db()
  if not db then return nil, err end
  local window = today - M.RECENT_DAYS
  local known, checked, heal_from
  known, err = store.known(db, call.prm, call.kind, window, today)
  if known then checked, heal_from = store.checked(db, call.prm, call.kind) end
  if not checked then return nil, heal_from or err end
  local brut, force = brut_days(known, window, today, now - checked >= M.CORRECTION_CHECK)
  local first = since
  if not first then
    first, err = default_first(db, call, known, force, today, heal_from)
    if not first then return nil, err end
  end
  -- the last 7 days and the correction check first: the reserve is theirs
  local recent_first = math.max(first, window)
  local res = empty
  if recent_first < today then
    res, err = fetch.run(st, call, spec, recent_first, today, { update = true, force = force,
      max_requests = opts.max_requests, progress = opts.progress })
    if not res then return nil, err end
    if res.requests > 0 then -- what was just fetched needs no correction check before a day
      local ok, why = store.set_checked(db, call.prm, call.kind, now)
      if not ok then return nil, why end
      checked = now
    end
  else
    res.start, res["end"] = dates.format(today), dates.format(today)
  end
  res.remaining_days, res.remaining_requests = 0, 0
  if first < window then -- older days: newest first, past the reserve
    local older, left = heal(st, call, spec, first, window, opts, res.requests)
    if older == nil then return nil, left end
    if older then res = result.join(older, res) end
    res.remaining_days, res.remaining_requests = left.asked_days, #left.ranges
    -- the oldest day still to ask is where the next update resumes
    local resume = left.ranges[#left.ranges]
    local ok, why = store.set_heal_from(db, call.prm, call.kind, resume and resume[1] or nil)
    if not ok then return nil, why end
  elseif heal_from then
    local ok, why = store.set_heal_from(db, call.prm, call.kind, nil)
    if not ok then return nil, why end
  end
  res.retry_at = next_update(res, today, now, brut and checked)
  return res
end

-- The room past the reserve, after waiting for slots that free within `SOON` when there is
-- none now (the window's boundary of the previous run): the allowance, or nil and an error.
local function backfill_allowance(st, reserve, opts, needed)
  local n, room = allowance(st, reserve, opts.max_requests, 0)
  if not n then return nil, room end
  if n > 0 or needed == 0 or room.left == nil then return n end
  -- as many as are needed of the slots that free within SOON: wait for the last of them
  local now, at = st:now(), nil
  for k = math.min(needed, opts.max_requests or needed), 1, -1 do
    local when = room.at(k)
    if when and when - now <= M.SOON then at = when break end
  end
  if not at then return 0 end
  local wait = at - now + 0.001
  if opts.progress then opts.progress(0, needed, { wait = wait, budget = true }) end
  local stopped = st:wait(wait)
  if stopped then return nil, stopped end
  return (allowance(st, reserve, opts.max_requests, 0))
end

--- One run of `client:backfill` (see there).
-- @treturn table|nil the progress report
-- @treturn table the error
function M.backfill(st, call, spec, first, last, opts)
  local reserve = opts.reserve or M.RESERVE
  local before, err = plan.make(st, call, spec, first, last, opts)
  if not before then return nil, err end
  local n
  n, err = backfill_allowance(st, reserve, opts, #before.ranges)
  if not n then return nil, err end
  if n == 0 and #before.ranges > 0 then
    local room
    room, err = st:room(reserve)
    if not room then return nil, err end
    local at = room.at(1)
    return nil, errors.new("budget_exhausted", ("the budget leaves nothing past the reserve of %d requests;"
      .. " %s")
      :format(reserve, at and ("run it again after %s"):format(os.date("!%Y-%m-%d %H:%M:%SZ", math.ceil(at)))
        or "the reserve is the whole budget: lower it (reserve, --reserve)"),
      { planned = #before.ranges, retry_at = at, reserve = reserve })
  end
  local run = { max_requests = n, reserve = reserve, update = true, refresh = opts.refresh,
                progress = opts.progress }
  local res, failure = fetch.run(st, call, spec, first, last, run)
  if not res and not (failure.kind == "budget_exhausted" and (failure.planned or failure.reserve)) then
    return nil, failure
  end
  local sent = (res or failure.partial or {}).requests or 0
  local after
  after, err = plan.make(st, call, spec, first, last, opts)
  if not after then return nil, err end
  local stored = 0
  for _, k in pairs(after.known) do
    if k.status == "complete" then stored = stored + 1 end
  end
  local left = #after.ranges
  local per_run = math.max(1, n or left)
  return { requests = sent, days = last - first, stored_days = stored, remaining_requests = left,
           runs_left = math.ceil(left / per_run), done = left == 0 }
end

return M
