--- A client's private state, and its one owner: what a call needs (the clock, today, the state
-- database opened on the first call, admission by the ledger, waits, the connection), as
-- methods. `linky.plan`, `linky.fetch`, `linky.request` and `linky.update` work through it; none
-- of them reads another's fields or calls back into the public client. Inside a non-blocking
-- request (`linky.async`), its waits, transfers and transactions are the request's, which
-- yield to the driver instead of blocking.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.session
local dates = require "linky.dates"
local db_ = require "linky.db"
local errors = require "linky.errors"
local ledger = require "linky.ledger"
local options = require "linky.options"

local M = {}

local Session = {}
Session.__index = Session

--- A session from the checked options of `linky.new`.
-- @tparam table f `conn`, `log`, `clock`, `today` (a day number or nil), `witness`, `sleep`,
-- `min_interval`, `base_path`, `state_path`, `limit` (the budget, or false), `retry`, `random`,
-- `cache`
-- @treturn table the session
function M.new(f)
  return setmetatable({
    conn = f.conn, log = f.log, clock = f.clock, fixed_today = f.today, witness = f.witness,
    sleeper = f.sleep, min_interval = f.min_interval, base_path = f.base_path,
    state_path = f.state_path, limit = f.limit, retry = f.retry, random = f.random, cache = f.cache,
    handle = nil, request = nil, last_request = nil,
  }, Session)
end

-- The non-blocking request the running code belongs to, or nil (a blocking call).
local function running_request(self)
  local req = self.request
  if req and req.co == coroutine.running() then return req end
  return nil
end

-- The error of a call whose client was closed under it (by one of its callbacks): a request's
-- cancel, or the end of a blocking call.
local function closed(self)
  return errors.new("cancelled", running_request(self) and "the request was cancelled"
    or "the client was closed during the call")
end

--- Whether the session is open.
function Session:is_open() return self.conn ~= nil end

--- Now, on the client's clock (epoch seconds).
function Session:now() return self.clock() end

--- The client's Paris day today: its `today` option, else its clock's.
-- @treturn integer
function Session:today()
  return self.fixed_today or dates.paris_day(self.clock())
end

--- The state database, opened on first use (a broken state fails calls, never `linky.new`);
-- inside a non-blocking request, the request's view of it, whose transactions yield.
-- @treturn userdata|table|nil the database
-- @treturn table a `state_unavailable` error (or `cancelled` once the client is closed)
function Session:db()
  if not self.conn then return nil, closed(self) end
  if not self.handle then
    local handle, err = db_.open(self.state_path)
    if not handle then return nil, err end
    self.handle = handle
  end
  local req = running_request(self)
  if req then return req:_database(self.handle) end
  return self.handle
end

--- The budget report (see `Client:budget`).
-- @treturn table|nil the report
-- @treturn table a `state_unavailable` error
function Session:budget()
  local db, err = self:db()
  if not db then return nil, err end
  return ledger.report(db, self.clock(), self.limit, options.defaults.budget.window, self.witness())
end

--- The room the budget leaves past `reserve` (see `linky.ledger.room`).
-- @tparam integer reserve slots to leave free
-- @treturn table|nil `{ left =, at = }`
-- @treturn table a `state_unavailable` error
function Session:room(reserve)
  local db, err = self:db()
  if not db then return nil, err end
  return ledger.room(db, self.clock(), self.limit, self.witness(), reserve)
end

--- Admits one request (see `linky.ledger.admit`).
-- @tparam string request `"GET /api/..."`
-- @tparam[opt] integer reserve budget slots it must leave free
-- @treturn integer|nil the ledger row
-- @treturn table the refusal
function Session:admit(request, reserve)
  local db, err = self:db()
  if not db then return nil, err end
  return ledger.admit(db, self.clock(), self.limit, request, self.witness(), reserve)
end

--- Gives back the slot of an admitted request that reached no server.
function Session:refund(id)
  local db, err = self:db()
  if not db then return nil, err end
  return ledger.refund(db, id)
end

--- Remembers what an error answer means for later calls (see `linky.ledger.note`).
function Session:note(err)
  local db, why = self:db()
  if not db then return nil, why end
  return ledger.note(db, self.clock(), err, self.witness())
end

--- Waits `seconds`: the client's `sleep`, or a yield of a non-blocking request.
-- @treturn nil|table nil, or the error that ended the wait (the request was cancelled, the
-- client closed)
function Session:wait(seconds)
  local req = running_request(self)
  if req then return req:_wait(seconds) end
  self.sleeper(seconds)
  if not self.conn then return closed(self) end
  return nil
end

--- Waits so that two requests of the client are at least `min_interval` apart.
-- @treturn nil|table nil, or the error that ended the wait
function Session:pace()
  if self.last_request and self.min_interval > 0 then
    local wait = self.min_interval - (self.clock() - self.last_request)
    if wait > 0 then return self:wait(wait) end
  end
  return nil
end

--- One HTTP GET of `path` through the client's connection.
-- @return status, body | nil, kind, message, unsent (true when no byte left: no server reached)
function Session:transfer(path)
  self.last_request = self.clock()
  local req = running_request(self)
  if req then return req:_transfer(self.conn, path) end -- cancelled first when closed
  if not self.conn then return nil, "cancelled", closed(self).message, true end
  return self.conn:get(path)
end

--- The error of a call that sends requests made while a non-blocking request of the client is
-- in progress, outside that request: a client's requests stay sequential in every mode.
-- @treturn table|nil an `invalid_argument` error, or nil when the call may go on
function Session:busy()
  if self.request and not running_request(self) then
    return errors.new("invalid_argument",
      "a request of this client is in progress: a client's requests stay sequential")
  end
  return nil
end

--- Closes the connection and the state; harmless twice. A non-blocking request in progress is
-- cancelled; a call running (a callback closed the client) ends with a `cancelled` error, its
-- database closed when the request ends.
function Session:close()
  if not self.conn then return end
  local req = self.request
  if req then req:cancel() end
  self.conn:close()
  self.conn = nil
  local handle = self.handle
  self.handle = nil
  if handle then
    if req and not req.done then
      req.on_end = function() handle:close() end
    else
      handle:close()
    end
  end
end

return M
