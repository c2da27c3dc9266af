--- linky on the luv (libuv) default loop: `fetch` and `update` start a request of
-- `client:start` and drive it with one poll handle per socket libcurl watches (changed only when
-- libcurl changes what it wants) and one timer for its deadline (re-armed only when libcurl
-- asks for a new one); a poll that fires steps the request with that socket. The callback is
-- called once, and afterwards the adapter holds no handle (a loop with nothing else to do
-- returns).
--
--     local lk = require "linky.luv"
--     lk.fetch(client, "daily_consumption", "2026-04-01", "2026-04-08", nil, function(res, err) ... end)
--     require("luv").run()
-- @module linky.luv
local async = require "linky.async"
local uv = require "luv"

local M = {}

M._VERSION = require "linky.version"

-- Drives `req` until it ends, then calls `callback(result, err)` once.
local function drive(req, callback)
  local timer = uv.new_timer()
  local polls = {} -- fd -> { handle = poll handle, what = "r" | "w" | "rw" }
  local armed      -- the `req.timer` the timer was started for; nil once it fired
  local finished = false
  local on_ready

  local function drop(fd)
    local p = polls[fd]
    if not p then return end
    p.handle:stop()
    p.handle:close()
    polls[fd] = nil
  end

  local function release()
    for fd in pairs(polls) do drop(fd) end
    if not timer:is_closing() then
      timer:stop()
      timer:close()
    end
  end

  local function finish(res, err)
    if finished then return end
    finished = true
    release()
    callback(res, err)
  end

  local function on_timer()
    armed = nil
    on_ready()
  end

  -- Watches what the request asks for, changing only what changed. A socket libcurl stopped
  -- watching (`req.gone`, told before it closes it) loses its handle even when the same number
  -- is wanted again: that may be a new socket, which libuv would not add to its set again.
  local function arm(fds, timeout)
    for fd in pairs(req.gone or {}) do drop(fd) end
    for fd in pairs(polls) do
      if not fds[fd] then drop(fd) end
    end
    for fd, what in pairs(fds) do
      local p = polls[fd]
      if not p then
        p = { handle = uv.new_poll(fd) }
        polls[fd] = p
      end
      if p.what ~= what then
        p.what = what
        local watch = p
        p.handle:start(what, function(err, events)
          -- libuv stops a poll that reports an error (a socket's POLLERR): started again next arm
          if err then watch.what = nil end
          -- luv says "d" for a peer that hung up, which a read sees: libcurl tests it itself
          on_ready(fd, (events or ""):gsub("[^rw]", "") .. (err and "e" or ""))
        end)
      end
    end
    -- libcurl's timer is armed again only when libcurl asks for a new deadline (or once it
    -- fired); a sleep of the request (no `req.timer`) has a new deadline each step
    if req.timer == nil or req.timer ~= armed then
      armed = req.timer
      timer:stop()
      uv.update_time() -- the loop's cached time may lag: the deadline counts from now
      timer:start(math.max(0, math.ceil(timeout * 1000)), 0, on_timer)
    end
  end

  on_ready = function(fd, events)
    if finished then return end
    local done, a, b = async.step(req, fd, events)
    if done then finish(a, b) else arm(a, b) end
  end

  req.on_cancel = function()
    for fd in pairs(polls) do drop(fd) end -- before libcurl closes the sockets
  end
  -- the request object's cancel ends the drive too (from one of its callbacks, the step that
  -- runs it ends the request)
  local cancel = req.cancel
  req.cancel = function(self)
    cancel(self)
    if self.done then finish(self.result, self.err) end
  end
  -- so does closing the client: its cancel reaches the request; a step then finds it ended
  local done, res, err = async.step(req)
  if done then
    -- deferred, so that the callback never runs before fetch returns
    local idle = uv.new_timer()
    idle:start(0, 0, function()
      idle:close()
      finish(res, err)
    end)
    timer:close()
  else
    arm(res, err)
  end
  return req
end

-- A request just started, driven to its callback; one that could not start tells it at once.
local function started(callback, req, err)
  if not req then
    callback(nil, err)
    return nil, err
  end
  return drive(req, callback)
end

--- Fetches on the default loop: `client:fetch`'s arguments and a callback.
-- @param client a `linky.Client`
-- @tparam string kind
-- @param start first day
-- @param stop day after the last one
-- @tparam[opt] table copts
-- @tparam function callback called once with `result | nil, err`
-- @treturn linky.Request|nil the request (`req:cancel()`)
-- @treturn table an `invalid_argument` error, also given to the callback
function M.fetch(client, kind, start, stop, copts, callback)
  if type(callback) ~= "function" then
    error(("bad argument #6 to 'fetch' (function expected, got %s)"):format(type(callback)), 2)
  end
  return started(callback, client:start(kind, start, stop, copts))
end

--- Updates on the default loop: `client:update`'s arguments and a callback.
-- @param client a `linky.Client`
-- @tparam string kind
-- @tparam[opt] table opts
-- @tparam function callback called once with `result | nil, err`
-- @treturn linky.Request|nil the request
-- @treturn table an `invalid_argument` error, also given to the callback
function M.update(client, kind, opts, callback)
  if type(callback) ~= "function" then
    error(("bad argument #4 to 'update' (function expected, got %s)"):format(type(callback)), 2)
  end
  return started(callback, client:start_update(kind, opts))
end

return M
