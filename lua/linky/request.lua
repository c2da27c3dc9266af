--- One request of a call: its path and query, pacing, admission by the ledger, the transfer
-- through the C core, decoding, and retries with full jitter. A request whose connection
-- reached no server gives its ledger slot back.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.request
local core = require "linky.core"
local dates = require "linky.dates"
local errors = require "linky.errors"

local M = {}

local function percent(c) return ("%%%02X"):format(c:byte()) end

-- `s` percent-encoded for a query value; the common value (digits, a date) needs no pass of gsub.
local function urlencode(s)
  if not s:find("[^%w%-._~]") then return s end
  return (s:gsub("[^%w%-._~]", percent))
end

-- The path and query of the request for days [first, stop), in one concatenation: a request
-- builds no list of its parameters. Dates are digits and '-' (core.date_of_day): nothing to encode.
local function request_path(call, first, stop)
  local from, to = dates.format(first), dates.format(stop)
  if call.api == "legacy" then
    return call.type .. "?prm=" .. urlencode(call.prm) .. "&start=" .. from .. "&end=" .. to
  end
  local path = call.type .. "?pointId=" .. urlencode(call.prm) .. "&dateDebut=" .. from .. "&dateFin=" .. to
  if call.step then path = path .. "&mesuresPas=" .. urlencode(call.step) end
  if call.measure then path = path .. "&grandeurPhysique=" .. urlencode(call.measure) end
  return path
end

-- One HTTP request: decoded part | nil, err, unsent (true when no byte of it left: no server
-- was reached).
local function request_range(st, call, path, request)
  local status, body, kind_or_msg, unsent = st:transfer(path)
  if not status then
    return nil, errors.new(body, kind_or_msg, { request = request }), unsent
  end
  if status < 200 or status > 299 then
    return nil, errors.from_response(status, body, request)
  end
  local part, decoded, msg = core.decode(body, call.decode_spec)
  if not part then
    -- errors.new cuts the body on a character boundary and makes it valid UTF-8
    return nil, errors.new(decoded, msg, { status = status, body = body, request = request })
  end
  part.decoded = decoded
  return part
end

-- Failures retried inside a call; 429 and 500 get a cool-down instead.
local RETRIED_KINDS = { timeout = true, network = true }
local RETRIED_STATUS = { [502] = true, [503] = true, [504] = true }

--- Sends the request for days [first, stop) of a call: each attempt admitted by the ledger,
-- retried (timeouts, network failures, 502, 503, 504) with full jitter, and noted by the
-- ledger when it failed (bans, cool-downs).
-- @tparam table st the client's session (`linky.session`)
-- @tparam table call what `linky.call` built
-- @tparam integer first first day
-- @tparam integer stop day after the last one
-- @tparam table res the call's result (`requests` counts the attempts that left)
-- @tparam table opts the call's options: `max_requests` (no attempt once `res.requests` reaches
-- it: a retry it stops ends the call with the last attempt's error), `reserve` (budget slots
-- every attempt leaves free)
-- @tparam[opt] function on_retry called `on_retry(wait, err)` before waiting to retry
-- @treturn table|nil the decoded part
-- @treturn table the error
function M.send(st, call, first, stop, res, opts, on_retry)
  local path = request_path(call, first, stop)
  local request = "GET " .. st.base_path .. "/" .. path
  local attempt = 0 -- attempts made so far
  while true do
    -- admitted after the pacing wait: a request cancelled while it waits has spent nothing
    local cancelled = st:pace()
    if cancelled then return nil, cancelled end
    local admitted, refusal = st:admit(request, opts.reserve)
    if not admitted then return nil, refusal end
    res.requests = res.requests + 1
    local part, err, unsent = request_range(st, call, path, request)
    if part then return part end
    if unsent then -- resolving or connecting failed before a byte was sent: the slot comes back
      local refunded, why = st:refund(admitted)
      if not refunded then return nil, why end
      res.requests = res.requests - 1
    end
    local noted, why = st:note(err)
    if not noted then return nil, why end
    local retry = st.retry
    local retried = RETRIED_KINDS[err.kind] or RETRIED_STATUS[err.status]
    attempt = attempt + 1
    if attempt > 1 then
      err.attempts = attempt
      err.message = ("%s (after %d attempts)"):format(err.message, attempt)
    end
    if not (retry and retried and attempt <= retry.attempts) then return nil, err end
    if opts.max_requests and res.requests >= opts.max_requests then
      err.attempts = attempt
      err.message = ("%s (retries stopped by max_requests)"):format(err.message)
      return nil, err
    end
    local wait = st.random() * math.min(retry.cap, retry.base * 2 ^ (attempt - 1))
    if on_retry then on_retry(wait, err) end
    local stopped = st:wait(wait) -- a cancelled request's error, or the closed client's
    if stopped then return nil, stopped end
  end
end

return M
