--- linky inside a cqueues controller: `fetch` and `update`, called from one of its coroutines,
-- start a request of `client:start` and poll the sockets libcurl watches with `cqueues.poll`,
-- which yields to the controller meanwhile, then step the request with those that fired; they
-- return `result | nil, err` as the blocking calls do.
--
--     local cq = require("cqueues").new()
--     cq:wrap(function()
--       local res, err = require("linky.cqueues").fetch(client, "daily_consumption",
--         "2026-04-01", "2026-04-08")
--     end)
--     assert(cq:loop())
-- @module linky.cqueues
local cqueues = require "cqueues"
local condition = require "cqueues.condition"
local async = require "linky.async"

local unpack = table.unpack or unpack -- luacheck: ignore

local M = {}

M._VERSION = require "linky.version"

-- A descriptor as cqueues.poll takes it.
local Pollable = {}
Pollable.__index = Pollable
function Pollable:pollfd() return self.fd end
function Pollable:events() return self.what end

--- Drives a started request to its end from a cqueues coroutine (or blocks, outside one).
-- @tparam linky.Request req
-- @return the result | nil
-- @treturn table the error
function M.wait(req)
  local done, a, b = async.step(req)
  local list, n = {}, 0
  local cancelled = condition.new() -- wakes the poll at once when the request is cancelled
  req.on_cancel = function()
    for i = 1, n do cqueues.cancel(list[i].fd) end
    cancelled:signal()
  end
  while not done do
    list, n = {}, 0
    for fd, what in pairs(a) do
      n = n + 1
      list[n] = setmetatable({ fd = fd, what = what }, Pollable)
    end
    list[n + 1], list[n + 2] = cancelled, b
    local ready = { cqueues.poll(unpack(list, 1, n + 2)) }
    -- forgotten before stepping: libcurl may close a descriptor during the step, and cqueues,
    -- which keeps a descriptor's registration between polls, fails on a new socket that got the
    -- number of one closed while registered (forgetting it afterwards is too late)
    for i = 1, n do cqueues.cancel(list[i].fd) end
    n = 0
    -- each descriptor that fired steps the request with it (cqueues does not say whether for
    -- reading or writing: libcurl tests it); none (the deadline) steps it on libcurl's timer
    local stepped = false
    for _, r in ipairs(ready) do
      if getmetatable(r) == Pollable and not done and a[r.fd] then -- still watched
        done, a, b = async.step(req, r.fd, "")
        stepped = true
      end
    end
    if not stepped then done, a, b = async.step(req) end
  end
  return a, b
end

--- Fetches: `client:fetch`'s arguments and results, yielding to the controller meanwhile.
-- @param client a `linky.Client`
-- @tparam string kind
-- @param start first day
-- @param stop day after the last one
-- @tparam[opt] table copts
-- @return the result | nil
-- @treturn table the error (`cancelled` when the client closed meanwhile)
function M.fetch(client, kind, start, stop, copts)
  local req, err = client:start(kind, start, stop, copts)
  if not req then return nil, err end
  return M.wait(req)
end

--- Updates: `client:update`'s arguments and results, yielding to the controller meanwhile.
-- @param client a `linky.Client`
-- @tparam string kind
-- @tparam[opt] table opts
-- @return the result | nil
-- @treturn table the error
function M.update(client, kind, opts)
  local req, err = client:start_update(kind, opts)
  if not req then return nil, err end
  return M.wait(req)
end

return M
