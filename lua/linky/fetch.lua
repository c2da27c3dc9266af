--- The fetch loop, the only one: which days a call asks for (the store and the day statuses
-- decide), each request admitted by the ledger, paced, sent, retried, decoded and stored, and
-- one result built with its gaps. `client:fetch`, every kind method, `update` and the command
-- all go through `run`.
-- @module linky.fetch
local core = require "linky.core"
local dates = require "linky.dates"
local errors = require "linky.errors"
local result = require "linky.result"
local state = require "linky.state"
local store = require "linky.store"

local M = {}

local function urlencode(s)
  return (s:gsub("[^%w%-._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

local function query_string(pairs_list)
  local parts = {}
  for i = 1, #pairs_list, 2 do
    parts[#parts + 1] = pairs_list[i] .. "=" .. urlencode(pairs_list[i + 1])
  end
  return table.concat(parts, "&")
end

-- The path and query of the request for days [first, stop).
local function request_path(call, first, stop)
  local q
  if call.api == "legacy" then
    q = { "prm", call.prm, "start", dates.format(first), "end", dates.format(stop) }
  else
    q = { "pointId", call.prm, "dateDebut", dates.format(first), "dateFin", dates.format(stop) }
    if call.step then q[#q + 1] = "mesuresPas"; q[#q + 1] = call.step end
    if call.measure then q[#q + 1] = "grandeurPhysique"; q[#q + 1] = call.measure end
  end
  return call.type .. "?" .. query_string(q)
end

--- The client's Paris day today: its `today` option, else its clock's.
-- @tparam table st the client's private state
-- @treturn integer
function M.today(st)
  return st.today or dates.paris_day(st.clock())
end

-- Waits so that two requests of one client are at least `min_interval` apart.
local function pace(st)
  if st.last_request and st.min_interval > 0 then
    local wait = st.min_interval - (st.clock() - st.last_request)
    if wait > 0 then st.sleep(wait) end
  end
  st.last_request = st.clock()
end

-- One HTTP request: decoded part | nil, err, unsent (true when no byte of it left: no server
-- was reached).
local function request_range(st, call, path, request)
  pace(st)
  local status, body, kind_or_msg, unsent = st.conn:get(path)
  if not status then
    return nil, errors.new(body, kind_or_msg, { request = request }), unsent
  end
  if status < 200 or status > 299 then
    return nil, errors.from_response(status, body, request)
  end
  local part, decoded = core.decode(body, call.decode_spec)
  if not part then
    return nil, errors.new("invalid_response", decoded, {
      status = status, body = body, request = request, -- errors.new cuts it on a character boundary
    })
  end
  part.decoded = decoded
  return part
end

--- A `state_unavailable` error of the client's state.
function M.unavailable(st, why)
  return errors.new("state_unavailable", "state: " .. tostring(why), { state = st.state_path })
end

--- The state database, opened on first use so that a broken one fails calls, not `new`.
-- @treturn userdata|nil the `linky.State`
-- @treturn table a `state_unavailable` error
function M.state_db(st)
  if not st.db then
    local db, err = state.open(st.state_path)
    if not db then
      err.state = st.state_path
      return nil, err
    end
    st.db = db
  end
  return st.db
end

-- Failures retried inside a call; 429 and 500 get a cool-down instead.
local RETRIED_KINDS = { timeout = true, network = true }
local RETRIED_STATUS = { [502] = true, [503] = true, [504] = true }

-- One sub-range: each attempt admitted through the ledger, retried with full jitter.
local function send(st, call, first, stop, res, on_retry)
  local path = request_path(call, first, stop)
  local request = "GET " .. st.base_path .. "/" .. path
  local attempt = 0 -- attempts made so far
  while true do
    local admitted, refusal = state.admit(st.db, st.clock(), st.budget, request, st.witness())
    if admitted == nil then return nil, M.unavailable(st, refusal) end
    if not admitted then return nil, refusal end
    res.requests = res.requests + 1
    local part, err, unsent = request_range(st, call, path, request)
    if part then return part end
    if unsent then -- resolving or connecting failed before a byte was sent: the slot comes back
      local refunded, why = state.refund(st.db, admitted)
      if not refunded then return nil, M.unavailable(st, why) end
      res.requests = res.requests - 1
    end
    local noted, why = state.note(st.db, st.clock(), err, st.witness())
    if not noted then return nil, M.unavailable(st, why) end
    local retry = st.retry
    local retried = RETRIED_KINDS[err.kind] or RETRIED_STATUS[err.status]
    attempt = attempt + 1
    if not (retry and retried and attempt <= retry.attempts) then
      if attempt > 1 then
        err.attempts = attempt
        err.message = ("%s (after %d attempts)"):format(err.message, attempt)
      end
      return nil, err
    end
    local wait = st.random() * math.min(retry.cap, retry.base * 2 ^ (attempt - 1))
    if on_retry then on_retry(wait, err) end
    st.sleep(wait)
  end
end

-- Upstream refusals that settle the days they cover: before the meter's activation, beyond
-- its history. Like a 404, they make gaps of a call, not its failure.
local SETTLING = { ["ADAM-ERR0123"] = true, ["ADAM-ERR0125"] = true }

local function is_gap_error(err)
  return err.kind == "not_found" or (err.kind == "bad_request" and SETTLING[err.upstream_code] == true)
end

-- Runs of consecutive days of [first, stop) with the same gap (`{ reason =, settled = }`).
local function gap_list(gap_of, first, stop)
  local gaps, open, key = {}, nil, nil
  for day = first, stop do
    local g = day < stop and gap_of(day) or nil
    local k = g and (g.reason .. (g.settled and "+" or ""))
    if open and k ~= key then
      open["end"] = dates.format(day)
      gaps[#gaps + 1] = open
      open = nil
    end
    if g and not open then
      open, key = { start = dates.format(day), reason = g.reason, settled = g.settled or nil }, k
    end
  end
  return gaps
end

-- The points of a list that belong to [first, stop): the list itself when all do.
local function inside(points, curve, first, stop)
  local kept
  for i, p in ipairs(points) do
    local day = dates.paris_day(curve and p.time - 1 or p.time)
    local ok = day >= first and day < stop
    if not ok and not kept then kept = table.move(points, 1, i - 1, 1, {}) end
    if ok and kept then kept[#kept + 1] = p end
  end
  return kept or points
end

-- Drops what an answer brought outside the days it was asked for.
local function keep_inside(part, curve, first, stop)
  part.points = inside(part.points, curve, first, stop)
  for _, s in pairs(part.series or {}) do s.points = inside(s.points, curve, first, stop) end
  for label, points in pairs(part.classes or {}) do
    part.classes[label] = inside(points, false, first, stop)
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
    local now = st.clock()
    local ok, why = store.put(st.db, call.prm, call.kind, part.quality, now, statuses, keep)
    for label, points in pairs(part.classes or {}) do
      if not ok then break end
      local _, class_keep = store.day_statuses(points, false, range[1], range[2], today, true)
      local class = store.class_kind(call.kind, label)
      ok, why = store.put(st.db, call.prm, class, part.quality, now, {}, class_keep)
    end
    if not ok then return M.unavailable(st, why) end
  end
end

-- Notes a sub-range answered 404 (or refused as before the meter's activation or beyond its
-- history: settled at once) as missing days: nil | a `state_unavailable` error.
local function take_gap(st, call, err, range, seen, settled_now, stored)
  local statuses = {}
  local settles = err.kind == "bad_request"
  for day = range[1], range[2] - 1 do
    statuses[day], seen[day] = "missing", "missing"
    if settles then settled_now[day] = true end
  end
  if not stored then return nil end
  local ok, why = store.put(st.db, call.prm, call.kind, nil, st.clock(), statuses, {}, settles)
  if not ok then return M.unavailable(st, why) end
end

-- Loads into `res` the stored points of the days no answer of this call brought points for.
local function from_store(st, call, res, known, seen, first, last)
  local days, any = {}, false
  for day, k in pairs(known) do
    local s = seen[day]
    if k.status ~= "missing" and (s == nil or s == "missing") then days[day], any = true, true end
  end
  if not any then return true end
  local points, qualities, classes = store.load(st.db, call.prm, call.kind, days, first, last, call.index)
  if not points then return nil, M.unavailable(st, qualities) end
  res.cached = #points
  result.add(res, { points = points, classes = classes })
  for q in pairs(qualities) do res.quality = result.merge_quality(res.quality, q) end
  return true
end

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
function M.plan(st, call, spec, first, last, opts)
  local db, err = M.state_db(st)
  if not db then return nil, err end
  local stored = st.cache and call.storable
  local now, today = st.clock(), M.today(st)
  local known = {}
  if stored then
    known, err = store.known(db, call.prm, call.kind, first, last)
    if not known then return nil, M.unavailable(st, err) end
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
function M.plan_report(client, st, call, spec, first, last, opts)
  local p, err = M.plan(st, call, spec, first, last, opts)
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
  before, err = M.plan(st, call, spec, first, last, opts)
  if not before then return nil, err end
  if allowance == 0 and #before.ranges > 0 then
    return nil, errors.new("budget_exhausted", ("the budget leaves nothing past the reserve of %d requests")
      :format(opts.reserve or M.RESERVE), { planned = #before.ranges, retry_at = budget.retry_at })
  end
  local run = { max_requests = allowance, update = true, refresh = opts.refresh, progress = opts.progress }
  local res, failure = M.run(st, call, spec, first, last, run)
  if not res and not (failure.kind == "budget_exhausted" and failure.planned) then return nil, failure end
  local sent = (res or failure.partial or {}).requests or 0
  local after
  after, err = M.plan(st, call, spec, first, last, opts)
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

--- Fetches one call: the days its plan asks for, by sequential requests, merged with the
-- stored ones.
-- @tparam table st the client's private state
-- @tparam table call what `new_call` built
-- @tparam table spec the kind's entry in `linky.kinds`
-- @tparam integer first first day
-- @tparam integer last day after the last one
-- @tparam table opts as `plan`'s, and `progress` (called `progress(i, n)` before the i-th of the
-- n planned requests, and `progress(i, n, { wait =, error = })` before waiting to retry it),
-- `max_requests` (send at most that many, then fail with `budget_exhausted` and `planned`),
-- `update` (days without data make gaps, never a `not_found`)
-- @treturn table|nil the result; with `update`, `days_new` and `days_corrected` count the days
-- that became complete and the complete `BRUT` days that came back `BEST`
-- @treturn table the error, with `partial` when something was fetched or stored
function M.run(st, call, spec, first, last, opts)
  local plan, err = M.plan(st, call, spec, first, last, opts)
  if not plan then return nil, err end
  local res = {
    prm = call.prm, kind = call.kind, api = call.api, type = call.type,
    start = dates.format(first), ["end"] = dates.format(last),
    requests = 0, cached = 0, points = {}, gaps = {},
    responses = call.decode_spec.keep and {} or nil,
  }
  local known, stored, today, ranges = plan.known, plan.stored, plan.today, plan.ranges
  local seen, settled_now = {}, {}
  local function gap_of(day)
    local status = seen[day] or (known[day] and known[day].status) or "missing"
    if status == "complete" then return nil end
    -- a day never asked is not settled: a call that may send will ask for it
    local k = known[day] or {}
    local asked = known[day] or seen[day]
    local settled = stored and asked
      and (settled_now[day] or store.settled(day, { status = status, settled = k.settled }, today))
    return { reason = status, settled = settled }
  end
  local answered, gap_err, partial_always = 0, nil, false
  local function finish(fail)
    local ok, why = from_store(st, call, res, known, seen, first, last)
    if not ok then return nil, why end
    if call.daily then res.gaps = gap_list(gap_of, first, last) end
    res.unit = res.unit or spec.unit
    if opts.update then
      res.days_new = 0
      for day, status in pairs(seen) do
        local k = known[day]
        if status == "complete" and not (k and k.status == "complete") then
          res.days_new = res.days_new + 1
        end
      end
    end
    if not fail then return res end
    if partial_always or answered > 0 or res.cached > 0 then fail.partial = res end
    return nil, fail
  end

  for i, range in ipairs(ranges) do
    if opts.max_requests and i > opts.max_requests then
      partial_always = true
      return finish(errors.new("budget_exhausted", ("this call needs %d requests; max_requests = %d")
        :format(#ranges, opts.max_requests), { planned = #ranges }))
    end
    if opts.progress then opts.progress(i, #ranges) end
    local part, fail = send(st, call, range[1], range[2], res, opts.progress and function(wait, e)
      opts.progress(i, #ranges, { wait = wait, error = e })
    end)
    if part then
      answered = answered + 1
      if opts.update then
        for day = range[1], range[2] - 1 do
          local k = known[day]
          if k and k.status == "complete" and k.quality ~= "BEST" and part.quality == "BEST" then
            res.days_corrected = (res.days_corrected or 0) + 1
          end
        end
      end
      fail = take(st, call, spec, res, part, range, seen, stored, today)
    elseif is_gap_error(fail) then
      if fail.kind == "not_found" then fail.retry_at = st.clock() + store.HOLD end
      gap_err = gap_err or fail
      fail = take_gap(st, call, fail, range, seen, settled_now, stored)
    end
    if fail then return finish(fail) end
  end
  local out, why = finish()
  if not out then return nil, why end
  if opts.update then out.days_corrected = out.days_corrected or 0 end
  if answered == 0 and #res.points == 0 and not opts.update and not opts.offline then
    if gap_err then return nil, gap_err end
    if #ranges == 0 and #res.gaps > 0 then -- every day held or settled, none with data: nothing sent
      return nil, errors.new("not_found", plan.held_until
        and ("no data for these days yet; asked again after %s"):format(os.date("!%Y-%m-%d %H:%M:%SZ",
          math.floor(plan.held_until)))
        or "no data for these days: they are settled (pass refresh = true to ask again)",
        { from_state = true, retry_at = plan.held_until })
    end
  end
  out.held_until = plan.held_until
  return out
end

return M
