--- Non-blocking mode: the request object `client:start` and `client:start_update` return, and
-- the protocol any poll loop drives it by. The fetch loop (`linky.fetch`, `linky.request`) runs
-- unchanged inside a coroutine: while it runs, the client's session (`linky.session`) uses
-- the request's transfers (libcurl's multi interface), waits (pacing, retry backoff) and state
-- database (a busy BEGIN tried again after a yield): each wait becomes a yield to the driver
-- instead of blocking the thread.
--
-- The protocol:
--
--     local req = assert(client:start("daily_consumption", "2026-04-01", "2026-04-08"))
--     while true do
--       local done, a, b = req:step()   -- advances without blocking
--       if done then result, err = a, b break end
--       -- a: { [fd] = "r" | "w" | "rw" }, b: seconds; wait until one of those descriptors is
--       -- ready for what it says, or b seconds passed, whichever first, then step again
--     end
--
-- Stepping early (nothing ready, deadline not reached) is harmless. A driver that knows which
-- descriptor became ready says so, `req:step(fd, events)` (events: "r", "w", "e" for an error,
-- in any mix, or "" when unknown): libcurl then acts on that socket alone; a bare `req:step()`
-- has it test every socket it watches. libcurl's socket interface (curl_multi_socket_action)
-- names the descriptors, so any number is fine, 1024 and above included; `socket.select` is
-- not (it refuses those), so a loop on it is bounded by that. After each step an event-loop
-- adapter (linky.luv, linky.cqueues) finds in `req.gone` the descriptors libcurl stopped
-- watching since the last step (`{ [fd] = true }` or nil: drop their watches, even when the same
-- number is wanted again, it may be a new socket) and in `req.timer` a value that changes
-- whenever libcurl asks for a new deadline (nil during a sleep: every step has a new one).
--
-- `req:cancel()` ends it at once with a `cancelled` error (from one of its callbacks: when that
-- callback returns). A raise inside it (a user callback's) is raised by the step, which ends it
-- with a `callback_error`.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.async
local core = require "linky.core"
local db_ = require "linky.db"
local errors = require "linky.errors"

local M = {}

M._VERSION = require "linky.version"

--- Whether this Lua can yield across `pcall` (5.2, 5.3, 5.4, LuaJIT): non-blocking mode needs it.
M.available = (function()
  local co = coroutine.create(function() pcall(coroutine.yield) end)
  coroutine.resume(co)
  return coroutine.status(co) == "suspended"
end)()

local CANCEL = {} -- what a cancelled request's coroutine is resumed with
local NONE = {}   -- no descriptor to wait on (a sleep)
local CANCELLED = "the request was cancelled"

local function now() return core.boottime() or core.now() end

-- How long a BEGIN IMMEDIATE of non-blocking mode keeps trying while another process holds the
-- file's lock, in seconds.
local BUSY_WAIT = 10

-- The state database as the coroutine sees it: each transaction's BEGIN IMMEDIATE fails at
-- once when another process holds the lock (busy timeout 0) and is tried again after a yield,
-- from 5 ms to 100 ms apart, for up to BUSY_WAIT seconds; everything else is the database's.
local function yielding_db(db, req)
  local w = {}
  function w.exec(_, sql)
    if sql ~= "BEGIN IMMEDIATE" then return db:exec(sql) end
    local give_up, gap = now() + BUSY_WAIT, 0.005
    while true do
      local busy_ms = db:busy_timeout(0)
      local ok, kind, msg, code = db:exec(sql)
      db:busy_timeout(busy_ms)
      -- SQLITE_BUSY (5), extended or not: another process holds the lock
      if ok or not code or code % 256 ~= 5 or now() >= give_up or req.cancelled then
        return ok, kind, msg, code
      end
      req:_wait(gap)
      gap = math.min(gap * 2, 0.1)
    end
  end
  function w.rows(_, ...) return db:rows(...) end
  function w.insert(_, ...) return db:insert(...) end
  function w.data_version() return db:data_version() end
  function w.run_many(_, ...) return db:run_many(...) end
  function w.close() return db:close() end
  db_.alias(w, db)
  return w
end

local Request = { __name = "linky.Request" }
Request.__index = Request

function Request.__tostring(self)
  return ("linky.Request: %s"):format(self.done and "done" or "running")
end

-- The request's own waits, transfers and transactions, which `linky.session` uses instead of
-- its blocking ones while the request's coroutine runs.

--- Yields until `seconds` have passed: nil, or the error of a request cancelled meanwhile.
function Request:_wait(seconds)
  local wake = now() + seconds
  while true do
    if self.cancelled then return errors.new("cancelled", CANCELLED) end
    local left = wake - now()
    if left <= 0 then return nil end
    coroutine.yield(NONE, left)
  end
end

--- One transfer on `conn` through libcurl's multi interface, yielding while it runs.
-- @return status, body | nil, kind, message, unsent
function Request:_transfer(conn, path)
  -- cancelled before it starts (from a callback): nothing leaves, the ledger slot comes back
  if self.cancelled then return nil, "cancelled", CANCELLED, true end
  local ok, kind, msg = conn:start(path)
  if not ok then return nil, kind, msg end
  local fd, events -- what the driver saw ready, if it knows
  while true do
    local done, fds, timeout, gone, timer = conn:perform(fd, events)
    if done then return conn:finish() end
    fd, events = coroutine.yield(fds, timeout, gone, timer)
    if fd == CANCEL then return nil, "cancelled", CANCELLED end
  end
end

--- The state database as the request sees it: transactions that yield while another process
-- holds the lock (one view per database).
function Request:_database(handle)
  if self.db_of ~= handle then self.db_of, self.db_view = handle, yielding_db(handle, self) end
  return self.db_view
end

-- Ends the request with `result, err`, then runs its `on_end(owner)` if one was set.
function Request:_end(result, err)
  self.done, self.result, self.err = true, result, err
  self.fds, self.deadline, self.gone, self.timer = NONE, nil, nil, nil
  if self.owner.request == self then self.owner.request = nil end
  if self.on_end then self.on_end(self.owner) end
  return true, result, err
end

-- Takes what a resume gave. A raise inside the request (a user callback's: progress, log,
-- clock...) is raised again, as the blocking call would raise it; the request ends with a
-- `callback_error`, which later steps return.
function Request:_take(ok, a, b, gone, timer)
  if not ok then
    self:_end(nil, errors.new("callback_error", tostring(a)))
    error(a, 0)
  end
  if coroutine.status(self.co) == "dead" then
    if self.cancelled and not (a == nil and b and b.kind == "cancelled") then
      -- the fetch loop ended otherwise (a result, or a failure before the transfer): keep what
      -- it gave, but the caller asked to stop: report the cancel
      a, b = nil, errors.new("cancelled", CANCELLED, { partial = a or (b and b.partial) })
    end
    return self:_end(a, b)
  end
  self.fds, self.deadline, self.gone, self.timer = a, now() + b, gone, timer
  return false, a, b
end

--- Advances the request as far as it can go without blocking.
-- @function Request:step
-- @tparam[opt] integer fd the descriptor that became ready, when the caller knows
-- @tparam[opt] string events how: "r", "w", "e" (an error) in any mix, "" when unknown
-- @treturn boolean true when it has ended
-- @return the result (nil on failure) once ended; while running, the descriptors to wait on:
-- `{ [fd] = "r" | "w" | "rw" }` (read, write or both), possibly empty
-- @return the error once ended; while running, the longest wait in seconds before stepping again
function Request:step(fd, events)
  if fd ~= nil and (type(fd) ~= "number" or fd < 0 or fd % 1 ~= 0) then
    error(("bad argument #1 to 'step' (file descriptor expected, got %s)"):format(tostring(fd)), 2)
  end
  if events ~= nil and (fd == nil or type(events) ~= "string" or events:find("[^rwe]")) then
    error("bad argument #2 to 'step' (events of \"r\", \"w\" and \"e\" expected after a descriptor)", 2)
  end
  if self.done then return true, self.result, self.err end
  if coroutine.status(self.co) ~= "suspended" then
    error("linky.Request:step called from inside the request (one of its callbacks)", 2)
  end
  return self:_take(coroutine.resume(self.co, fd, events))
end

--- What the request waits on now, without advancing it.
-- @function Request:waits
-- @treturn table `{ [fd] = "r" | "w" | "rw" }`
-- @treturn number|nil seconds until it must be stepped again (nil once ended)
function Request:waits()
  if self.done then return NONE, nil end
  return self.fds, math.max(0, self.deadline - now())
end

--- Cancels the request at once: it ends with a `cancelled` error (`partial` holding the
-- sub-ranges fetched before), nothing of the cancelled transfer is stored, and the ledger keeps
-- the slot of a request that may have reached the server. Harmless once ended. Called from
-- inside the request (one of its callbacks), it ends when that callback returns, in the same
-- step, and no further request is sent.
-- @function Request:cancel
function Request:cancel()
  if self.done or self.cancelled then return end
  self.cancelled = true
  -- a driver forgets the descriptors first: libcurl closes them now
  if self.on_cancel then self.on_cancel() end
  if self.owner.conn then self.owner.conn:cancel() end
  -- from inside: every wait of the fetch loop returns at once now, so it ends in this step
  if coroutine.status(self.co) ~= "suspended" then return end
  -- each resume brings the fetch loop nearer to its end
  for _ = 1, 100 do
    local done = self:_take(coroutine.resume(self.co, CANCEL))
    if done then break end
  end
  if not self.done then self:_end(nil, errors.new("cancelled", CANCELLED)) end
end

--- Runs `fn` (a call of the client, whose state is `st`) as a request object.
-- @tparam table st the client's session (`linky.session`)
-- @tparam function fn the call, returning `result | nil, err`
-- @treturn table|nil the request, started
-- @treturn table an `invalid_argument` error (Lua 5.1, or a request of this client in progress)
function M.start(st, fn)
  if not M.available then
    return nil, errors.new("invalid_argument",
      "non-blocking mode needs a Lua that yields across pcall (5.2, 5.3, 5.4 or LuaJIT)")
  end
  local busy = st:busy() or (st.request and errors.new("invalid_argument",
    "a request of this client is in progress: a client's requests stay sequential"))
  if busy then return nil, busy end
  local req = setmetatable({ owner = st, done = false, fds = NONE }, Request)
  req.co = coroutine.create(fn)
  st.request = req
  req:step()
  return req
end

--- `req:step()` for an adapter, whose loop must go on: a raise inside the request (a user
-- callback's) is taken as the `callback_error` it ended with.
-- @tparam linky.Request req
-- @tparam[opt] integer fd the descriptor that became ready
-- @tparam[opt] string events how (see `req:step`)
-- @return what `req:step()` returns
function M.step(req, fd, events)
  local ok, done, a, b = pcall(req.step, req, fd, events)
  if ok then return done, a, b end
  return req:step()
end

return M
