--- linky: Linky smart-meter data from Conso API, for Lua.
--
--     local linky = require "linky"
--     local client = assert(linky.new{ token = os.getenv("LINKY_TOKEN") })
--     local res, err = client:daily_consumption("2026-04-01", "2026-04-04")
--
-- Every run-time failure is `nil, err` with an error object (`err.kind`);
-- wrong argument types raise. This module is the public face: the client, its methods'
-- argument checks, and the functions that need no client. A call is planned in
-- `linky.plan`, admitted in `linky.ledger`, sent in `linky.request`, decoded by the C core
-- (`linky.core`), stored in `linky.store` and assembled in `linky.fetch`.
-- @module linky
local call = require "linky.call"
local compat = require "linky.compat"
local core = require "linky.core"
local dates = require "linky.dates"
local db_ = require "linky.db"
local errors = require "linky.errors"
local fetch = require "linky.fetch"
local kinds = require "linky.kinds"
local lazy = require "linky.lazy"
local ledger = require "linky.ledger"
local options = require "linky.options"
local plan = require "linky.plan"
local session = require "linky.session"
local token = require "linky.token"
local version = require "linky.version"

-- loaded on first use: a first call needs none of them
local async = lazy.module "linky.async"
local status = lazy.module "linky.status"
local update = lazy.module "linky.update"

local M = {}

M._VERSION = version

--- The seven data kinds: `linky.kinds[k] = { legacy =, v2026 =, unit =, max_days =, load_curve = }`.
M.kinds = kinds

--- Is `x` a linky error object?
-- @function is_error
M.is_error = errors.is_error

local function invalid(message, fields)
  return nil, errors.new("invalid_argument", message, fields)
end

-- The functions that need no client load their module on first use (linky.lazy, at the end).

--- Energy of load curves (see `linky.analysis`).
-- @function energy

--- Totals per period of the Paris calendar (see `linky.analysis`).
-- @function aggregate

--- Peak/off-peak split (see `linky.analysis`).
-- @function split_offpeak

--- Prices a result with a tariff (see `linky.cost`): `linky.cost(result, tariff [, opts])`
-- -> `{ total =, energy =, subscription =, kwh =, classes =, days =, gaps = }` | nil, err.
-- @function cost

--- Which offer would have been cheapest (see `linky.compare`): `linky.compare(result, tariffs
-- [, opts])` -> a list of `{ name =, energy =, subscription =, total =, difference =, kwh =,
-- unpriced_kwh =, days =, partial =, not_covered = }` | nil, err.
-- @function compare

--- Decodes a Conso API token locally (no signature check).
-- @tparam string tok the token
-- @treturn table|nil `{ prms = {...}, iat =, exp = }`
-- @treturn table an `invalid_argument` error
function M.decode_token(tok)
  if type(tok) ~= "string" then
    error(("bad argument #1 to 'decode_token' (string expected, got %s)"):format(type(tok)), 2)
  end
  local info, why = token.decode(tok)
  if not info then return invalid(why, { reason = "token_malformed" }) end
  return info
end

local function default_log(level, message)
  io.stderr:write("linky: ", level, ": ", message, "\n")
end

local Client = { __name = "linky.Client" }
local methods = {}

-- The session of each client (`linky.session`), out of reach of the user and of `pairs`.
local private = setmetatable({}, { __mode = "k" })

local function session_of(self, level)
  local st = private[self]
  if not st or not st:is_open() then
    error("attempt to use a closed linky.Client", level + 1)
  end
  return st
end

Client.__index = methods

-- A call that sends: refused while a non-blocking request of the client is in progress from
-- outside it (a client's requests stay sequential), before anything is spent. Every `run` takes
-- (st, call, spec, a, b, opts): a fixed arity, no vararg frame on every call.
local function blocking(run)
  return function(st, c, spec, a, b, opts)
    local busy = st:busy()
    if busy then return nil, busy end
    return run(st, c, spec, a, b, opts)
  end
end

-- Runs `run` as a non-blocking request.
local function started(run)
  return function(st, ...)
    local args = compat.pack(...)
    return async.start(st, function() return run(st, compat.unpack(args, 1, args.n)) end)
  end
end

-- The calls over a range of days: what runs each, and how the method takes its arguments (its
-- name, the position of its first day and of its options, whether it takes `reserve`), for
-- the argument errors.
local CALLS = {
  fetch = { name = "fetch", run = blocking(fetch.run), first = 2, opts = 4 },
  start = { name = "start", run = started(fetch.run), first = 2, opts = 4 },
  plan = { name = "plan", run = plan.report, first = 2, opts = 4, reserve = true },
  backfill = { name = "backfill", run = blocking(function(...) return update.backfill(...) end), first = 2,
    opts = 3, reserve = true },
}
for name in pairs(kinds) do
  CALLS[name] = { name = name, run = blocking(fetch.run), first = 1, opts = 3 }
end

-- Every call over a range goes through here (the same depth for the argument errors' levels):
-- its arguments checked, then `how.run(st, call, spec, first, last, opts)`. The methods call it
-- (and update_call) as `local r, e = ...`, never as a tail call, so that the level of an
-- argument error is the caller's on every Lua.
local function run_call(self, how, name, start, stop, copts)
  local st = session_of(self, 3)
  local c, spec, first, last, call_opts = call.prepare(self, st, how, name, start, stop, copts)
  if not c then return nil, spec end
  return how.run(st, c, spec, first, last, call_opts)
end

-- `update` and `start_update`: arguments checked (the same depth as `run_call`), then `run`.
local function update_call(self, fname, run, kind, opts)
  local st = session_of(self, 3)
  if type(kind) ~= "string" then
    error(("bad argument #1 to '%s' (string expected, got %s)"):format(fname, type(kind)), 3)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error(("bad argument #2 to '%s' (table expected, got %s)"):format(fname, type(opts)), 3)
  end
  local c, spec, since, empty = call.prepare_update(self, st, kind, opts)
  if not c then return nil, spec end
  return run(st, c, spec, since, empty, opts or {})
end

function Client.__tostring(self)
  local st = private[self]
  if not st or not st:is_open() then return "linky.Client: closed" end
  return ("linky.Client: %s (%s)"):format(self.prm, self.api)
end

--- Creates a client.
-- @tparam table opts options: `token` (required), `prm`, `api` ("2026" or "legacy"),
-- `base_url`, `user_agent`, `from`, `timeout`, `connect_timeout`, `cainfo`, `proxy`,
-- `min_interval`, `max_body`, `insecure`, `log`, `clock`, `monotonic`, `today`, `sleep`, `state`,
-- `budget`, `retry`, `random`, `cache`
-- @treturn linky.Client|nil the client
-- @treturn table an `invalid_argument` error
function M.new(opts)
  if type(opts) ~= "table" then
    error(("bad argument #1 to 'new' (table expected, got %s)"):format(type(opts)), 2)
  end
  local o, err = options.check(opts)
  if not o then return nil, err end
  local info, why = token.decode(o.token)
  if not info then return invalid(why, { reason = "token_malformed" }) end
  local clock = o.clock or core.now
  local today
  if o.today then
    today = dates.day(o.today)
    if not today then return invalid("option 'today' must be a date YYYY-MM-DD") end
  end
  if info.exp and info.exp <= clock() then
    return invalid("token expired on " .. os.date("!%Y-%m-%d", math.floor(info.exp)) ..
      ": get a new one from the Conso API site", { reason = "token_expired" })
  end
  local prm = o.prm or info.prms[1]
  if not prm:match("^%d+$") or #prm ~= 14 then return invalid("option 'prm' must be 14 digits") end
  local granted = false
  for _, p in ipairs(info.prms) do granted = granted or p == prm end
  if not granted then return invalid("PRM " .. prm .. " is not granted by this token") end

  local log = o.log or default_log
  if o.insecure then log("warning", "TLS certificate verification is disabled (insecure = true)") end
  local agent = "linky-lua/" .. M._VERSION
  local conn = core.connect {
    base_url = o.base_url, token = o.token,
    user_agent = o.user_agent and (o.user_agent .. " " .. agent) or agent,
    from = o.from, timeout = o.timeout, connect_timeout = o.connect_timeout,
    cainfo = o.cainfo, proxy = o.proxy, max_body = o.max_body, insecure = o.insecure,
  }
  local self = setmetatable({ prm = prm, prms = info.prms, api = o.api }, Client)
  -- the ledger's witness of real time: seconds since boot, unless the caller simulates time
  local monotonic = o.monotonic
  local witness = monotonic and function() return { boot = "simulated", mono = monotonic() } end
    or ledger.witness
  private[self] = session.new {
    conn = conn, log = log, clock = clock, today = today, witness = witness, sleep = o.sleep or core.sleep,
    min_interval = o.min_interval, base_path = o.base_path, state_path = o.state, limit = o.budget,
    retry = o.retry, random = o.random or core.random, cache = o.cache and o.state ~= false,
  }
  return self
end

--- Closes the client, its connection and its state; closing twice is harmless.
-- Clients also close when collected and with `<close>`.
-- @function Client:close
function methods:close()
  local st = private[self]
  if st then st:close() end
end
Client.__close = methods.close

--- Fetches one kind of data over a range of days.
-- Days already in the store cost no request; the missing ones are split by the per-request
-- limit (7 days for load curves, 365 otherwise), fetched in order and merged.
-- @function Client:fetch
-- @tparam string kind one of `linky.kinds`, or a raw Conso API type of the client's generation
-- @param start first day, `"YYYY-MM-DD"` or `{year=, month=, day=}`
-- @param stop day after the last one (excluded), same forms
-- @tparam[opt] table copts per-call options: `prm`, `keep_responses`, and for max power in 2026 mode
-- `step` ("P1D"/"P1M") and `measure` ("PMA"/"TOUT")
-- @treturn table|nil the result: `prm, kind, api, type, start, end, unit, quality,
-- requests, cached, gaps, points[, series, classes, responses]`
-- @treturn table the error; `err.partial` holds what earlier sub-ranges returned
function methods:fetch(kind, start, stop, copts)
  if type(kind) ~= "string" then
    error(("bad argument #1 to 'fetch' (string expected, got %s)"):format(type(kind)), 2)
  end
  local r, e = run_call(self, CALLS.fetch, kind, start, stop, copts)
  return r, e
end

--- Starts `fetch` without blocking: a request object any poll loop drives (see `linky.async`
-- and docs/library.md, "Non-blocking mode"). Its transfers, pacing and retry backoff yield to
-- the driver instead of blocking; its result is the one `fetch` returns.
-- @function Client:start
-- @tparam string kind as `fetch`'s
-- @param start first day
-- @param stop day after the last one
-- @tparam[opt] table copts as `fetch`'s
-- @treturn linky.Request|nil the request, started (`req:step()`, `req:waits()`, `req:cancel()`)
-- @treturn table an `invalid_argument` error: on Lua 5.1 (which cannot yield across pcall), or
-- while another request of this client is in progress
function methods:start(kind, start, stop, copts)
  if type(kind) ~= "string" then
    error(("bad argument #1 to 'start' (string expected, got %s)"):format(type(kind)), 2)
  end
  local r, e = run_call(self, CALLS.start, kind, start, stop, copts)
  return r, e
end

--- Starts `update` without blocking: a request object, as `start`'s, whose result is the one
-- `update` returns.
-- @function Client:start_update
-- @tparam string kind as `update`'s
-- @tparam[opt] table opts as `update`'s
-- @treturn linky.Request|nil the request, started
-- @treturn table an `invalid_argument` error, as `start`'s
function methods:start_update(kind, opts)
  if type(kind) ~= "string" then
    error(("bad argument #1 to 'start_update' (string expected, got %s)"):format(type(kind)), 2)
  end
  local r, e = update_call(self, "start_update", started(update.update), kind, opts)
  return r, e
end

--- Fills the store from `since` to yesterday over as many budget windows as it takes: each
-- call spends at most what the budget leaves minus a reserve for daily updates (or
-- `max_requests`), resumes where the last one stopped (never asking again for a stored or
-- settled day) and says how far it is.
-- @function Client:backfill
-- @tparam string kind one of `linky.kinds`, or a raw type
-- @param since the first day, as `fetch`'s `start`
-- @tparam[opt] table opts `reserve` (requests left for daily updates, default 5),
-- `max_requests`, `prm`, `progress`, `refresh`
-- @treturn table|nil `{ requests =, days =, stored_days =, remaining_requests =, runs_left =,
-- done = }`: requests sent now, days from `since` to yesterday, complete days among them,
-- requests still needed, runs of this size still needed, whether nothing is left to ask
-- @treturn table the error (`budget_exhausted` when the budget leaves nothing past the reserve)
function methods:backfill(kind, since, opts)
  if type(kind) ~= "string" then
    error(("bad argument #1 to 'backfill' (string expected, got %s)"):format(type(kind)), 2)
  end
  local st = session_of(self, 2)
  local day = (type(since) == "string" or type(since) == "table") and dates.call_day(since)
  if day and day >= st:today() then
    return invalid(("since (%s) must be before today (%s)")
      :format(dates.format(day), dates.format(st:today())))
  end
  local r, e = run_call(self, CALLS.backfill, kind, since, dates.format(st:today()), opts)
  return r, e
end

--- Plans a call without sending or spending anything: what `fetch` would request.
-- @function Client:plan
-- @tparam string kind one of `linky.kinds`, or a raw type
-- @param start first day
-- @param stop day after the last one
-- @tparam[opt] table copts the call's options (`refresh`, `prm`, `max_requests`, `reserve`...)
-- @treturn table|nil `{ requests =, planned =, stored_days =, missing_days =, beyond_history_days =,
-- ranges = { {start =, ["end"] =}, ... }, budget_left =, held = }`: the requests the call will
-- send (at most `max_requests` and what the budget leaves past `reserve`; none while a ban or
-- cool-down is remembered, `held`), the requests the range needs, the days the store serves,
-- the days it asks for, the days beyond the history Enedis keeps (never asked), the planned
-- requests' ranges, and the requests the budget still allows (nil without budget)
-- @treturn table the error
function methods:plan(kind, start, stop, copts)
  if type(kind) ~= "string" then
    error(("bad argument #1 to 'plan' (string expected, got %s)"):format(type(kind)), 2)
  end
  local r, e = run_call(self, CALLS.plan, kind, start, stop, copts)
  return r, e
end

--- Brings the store up to date for one kind: the one call a daily cron job needs, and one a
-- home-automation poll can make every few minutes. It covers from `since` (default: the
-- earliest of the first day of the last 7 that is not complete, the day after the newest
-- complete stored day, and where an earlier update left a hole partly healed) to yesterday,
-- and asks again, at most once every 24 hours, for the stored `BRUT` days of the last 7 days,
-- so that corrections (`BEST`) arrive. The last 7 days go first (the budget's reserve is
-- theirs); older days follow newest first, within what the budget leaves past the reserve and
-- `max_requests`. It sends nothing when every day up to yesterday is complete or held and the
-- correction check is fresh. Days without data are gaps, never a `not_found`.
-- @function Client:update
-- @tparam string kind one of `linky.kinds`, or a raw type
-- @tparam[opt] table opts `since` (a date, from 2000-01-01), `prm`, `max_requests` (retries
-- included), `progress` (as `fetch`'s)
-- @treturn table|nil the result of the covered range, as `fetch` returns it, with `days_new`,
-- `days_corrected`, `retry_at` (when asking again is useful: a hold ends, the next correction
-- check, or a new day), `remaining_days` and `remaining_requests` (what is left of older days
-- for the next update or backfill)
-- @treturn table the error (`invalid_argument` with `cache = false` or `state = false`)
function methods:update(kind, opts)
  local r, e = update_call(self, "update", blocking(update.update), kind, opts)
  return r, e
end

--- The request budget of this client's state.
-- @function Client:budget
-- @treturn table|nil `{ used =, limit =, window =, retry_at =, banned_since =, cooldown_until = }`:
-- requests in the rolling window, the budget (nil with `budget = false`), the window in seconds,
-- when the next request may be sent (nil: now, unless banned), when the remembered ban was
-- noted (bans last until cleared) and when the cool-down ends
-- @treturn table a `state_unavailable` error
function methods:budget()
  return session_of(self, 2):budget()
end

--- Forgets a remembered ban, so that requests are sent again.
-- @function Client:clear_ban
-- @treturn true|nil
-- @treturn table a `state_unavailable` error
function methods:clear_ban()
  local db, err = session_of(self, 2):db()
  if not db then return nil, err end
  return ledger.clear_ban(db)
end

--- Forgets the ban remembered in a state file, without a client.
-- @tparam[opt] string path the state file (default: the default state path)
-- @treturn true|nil
-- @treturn table a `state_unavailable` error
function M.clear_ban(path)
  if path ~= nil and type(path) ~= "string" then
    error(("bad argument #1 to 'clear_ban' (string expected, got %s)"):format(type(path)), 2)
  end
  local db, err = db_.open(path)
  if not db then return nil, err end
  local ok, failure = ledger.clear_ban(db)
  db:close()
  return ok, failure
end

--- What a state file holds, read without a client or a token, creating and writing nothing: the
-- file is opened read-only (SQLite's `mode=ro`, else `immutable=1`: see `unlocked`), so it may
-- be another user's or read-only; an older schema version is read through a copy migrated in
-- memory, the file left as it is.
-- @tparam[opt] string path the state file (default: the default state path)
-- @tparam[opt] table opts `clock` (default: the system clock), `budget` (the budget to report
-- against, default 40 requests per 12 hours, as `linky.new`'s)
-- @treturn table|nil `{ path =, exists = false }`, or `{ path =, exists = true, unlocked =, budget =,
-- meters = { { prm =, kind =, first =, last =, complete =, not_complete = }, ... } }`: `unlocked`
-- true when the file was read without locking (a WAL file without its `-shm` in a folder that
-- cannot be written: what another process writes meanwhile may be missing); `budget`
-- as `client:budget()` gives it; per PRM and kind, the first and last day stored
-- (`"YYYY-MM-DD"`), how many days between them are complete, and how many are not (incomplete,
-- missing or never fetched)
-- @treturn table a `state_unavailable` or `invalid_argument` error
function M.status(path, opts)
  if path ~= nil and type(path) ~= "string" then
    error(("bad argument #1 to 'status' (string expected, got %s)"):format(type(path)), 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error(("bad argument #2 to 'status' (table expected, got %s)"):format(type(opts)), 2)
  end
  return status.read(path, opts or {})
end

-- The options of `linky.publish`, checked: the publish module's, or nil and an error.
local function publish_options(opts, default_prm)
  local o = { all = opts.all, mode = opts.mode, token_expires = opts.token_expires }
  for k, v in pairs(opts) do if o[k] == nil and k ~= "prm" and k ~= "kinds" then o[k] = v end end
  local prms = opts.prm or default_prm
  if type(prms) == "string" then prms = { prms } end
  if prms ~= nil and type(prms) ~= "table" then
    return invalid("option 'prm' must be a PRM or a list of them")
  end
  for _, p in ipairs(prms or {}) do
    if type(p) ~= "string" or not p:match("^%d+$") or #p ~= 14 then
      return invalid("option 'prm': a PRM is 14 digits")
    end
  end
  o.prms = prms
  if opts.kinds ~= nil then
    if type(opts.kinds) ~= "table" then return invalid("option 'kinds' must be a list of kinds") end
    o.kinds = {}
    for _, k in ipairs(opts.kinds) do
      if not kinds[k] then return invalid(("option 'kinds': unknown kind %q"):format(tostring(k))) end
      o.kinds[k] = true
    end
  end
  local mode = opts.mode
  if mode ~= nil and not (compat.tointeger(mode) and mode >= 0 and mode <= 511) then
    return invalid("option 'mode' must be a file mode from 0 to 511 (0777)")
  end
  return o
end

--- Publishes what the store holds to an export target, sending no Conso API request (nothing
-- admitted by the ledger nor counted in the budget). Targets: `prometheus:/abs/path.prom` (the
-- state file's status as Prometheus text, as `linky status --format prometheus` writes it;
-- mode 0644 unless `mode`), `jsonl:/abs/path` (appends the points of the days new or changed
-- since the target's last successful publish as JSON lines; a new file is 0600 unless `mode`),
-- and the schemes registered in `linky.publish` (see there, and docs/exports.md).
-- @param source a `linky.Client` (its state file, clock and PRM), or the path of a state file
-- (nil: the default one; the file is created when missing)
-- @tparam string target the target
-- @tparam[opt] table opts `prm` (a PRM or a list; default: the client's, else every PRM
-- stored), `kinds` (a list; default every kind stored), `all` (send every stored day again: the
-- file is rewritten), `mode` (a new file's exact mode), `token_expires` (Unix seconds, for the
-- status), `clock` and `budget` (with a path: as `linky.status`'s), and the writer's own
-- (`influx = { password =, token =, cafile = }` for the InfluxDB targets; the environment's
-- LINKY_INFLUX_PASSWORD and LINKY_INFLUX_TOKEN win)
-- @treturn table|nil `{ target =, days =, points = }`: the target without credentials, and the
-- days and points it received (nil for a status target)
-- @treturn table the error: `invalid_argument` (the target or an option), `state_unavailable`,
-- `file_error` (a file target cannot be written: its watermark stays, the next publish
-- catches up), or another writer's
function M.publish(source, target, opts)
  if type(target) ~= "string" then
    error(("bad argument #2 to 'publish' (string expected, got %s)"):format(type(target)), 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error(("bad argument #3 to 'publish' (table expected, got %s)"):format(type(opts)), 2)
  end
  local publish = require "linky.publish"
  local src, o, err
  if getmetatable(source) == Client then
    local st = session_of(source, 2)
    local busy = st:busy()
    if busy then return nil, busy end
    o, err = publish_options(opts or {}, source.prm)
    if not o then return nil, err end
    src = { db = function() return st:db() end, path = st.state_path, clock = st.clock, budget = st.limit }
    if st.state_path == false then
      src.db = function()
        return invalid("this client has no state file (state = false): nothing to publish")
      end
    end
    local r, e = publish.run(src, target, o)
    return r, e
  end
  if source ~= nil and type(source) ~= "string" then
    error(("bad argument #1 to 'publish' (linky.Client or string expected, got %s)"):format(type(source)), 2)
  end
  opts = opts or {}
  o, err = publish_options(opts)
  if not o then return nil, err end
  if opts.clock ~= nil and type(opts.clock) ~= "function" then
    return invalid("option 'clock' must be a function")
  end
  local clock = opts.clock or core.now
  local handle
  src = { path = source, clock = clock, budget = opts.budget,
    db = function()
      local db, why = db_.open(source)
      handle = db
      return db, why
    end }
  local r, e = publish.run(src, target, o)
  if handle then handle:close() end
  return r, e
end

for name in pairs(kinds) do
  local how = CALLS[name]
  methods[name] = function(self, start, stop, copts)
    local r, e = run_call(self, how, name, start, stop, copts)
    return r, e
  end
end

--- Client fields.
-- @table Client
-- @field prm the meter this client reads by default (14 digits)
-- @field prms every PRM the token grants, in the token's order
-- @field api `"2026"` or `"legacy"`

--- Kind methods.
-- One method per kind, each `client:<kind>(start, stop [, copts])`, the same as
-- `client:fetch("<kind>", start, stop [, copts])`.
-- @section kinds

--- Daily consumption, Wh per day (at most 365 days a request).
-- @function Client:daily_consumption
-- @param start first day
-- @param stop day after the last one
-- @tparam[opt] table copts per-call options
-- @treturn table|nil result
-- @treturn table error

--- Consumption load curve: average W over each step; `date` ends the interval (7 days a request).
-- @function Client:consumption_load_curve
-- @param start first day
-- @param stop day after the last one
-- @tparam[opt] table copts per-call options
-- @treturn table|nil result
-- @treturn table error

--- Daily maximum power, VA, dated at the peak; 2026 options `step` and `measure`.
-- @function Client:consumption_max_power
-- @param start first day
-- @param stop day after the last one
-- @tparam[opt] table copts per-call options
-- @treturn table|nil result
-- @treturn table error

--- Daily production, Wh per day.
-- @function Client:daily_production
-- @param start first day
-- @param stop day after the last one
-- @tparam[opt] table copts per-call options
-- @treturn table|nil result
-- @treturn table error

--- Production load curve, average W over each step.
-- @function Client:production_load_curve
-- @param start first day
-- @param stop day after the last one
-- @tparam[opt] table copts per-call options
-- @treturn table|nil result
-- @treturn table error

--- Consumption meter index, Wh (2026 only): the totaliser in `points`, time classes in `classes`.
-- @function Client:consumption_index
-- @param start first day
-- @param stop day after the last one
-- @tparam[opt] table copts per-call options
-- @treturn table|nil result
-- @treturn table error

--- Production meter index, Wh (2026 only).
-- @function Client:production_index
-- @param start first day
-- @param stop day after the last one
-- @tparam[opt] table copts per-call options
-- @treturn table|nil result
-- @treturn table error

lazy.fields(M, {
  energy = { "linky.analysis" }, aggregate = { "linky.analysis" }, split_offpeak = { "linky.analysis" },
  cost = { "linky.cost" }, compare = { "linky.compare" },
})

return M
