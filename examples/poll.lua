-- linky driven by a loop of the host's own, here luasocket's socket.select: step the request,
-- wait on the descriptors it names (or its timeout), step again. Run from the repository once
-- `make` has built the C core: lua5.4 examples/poll.lua. With LINKY_TOKEN set it asks
-- Conso API; without, the bundled emulator. socket.select refuses descriptors numbered 1024
-- and more (FD_SETSIZE): this loop only serves a process with fewer files open; linky itself
-- names any descriptor (libcurl's socket interface), so luv, cqueues or poll/epoll have no bound.
dofile("examples/checkout.lua") -- the module of this checkout: no install, no LUA_PATH
local socket = require "socket"
local linky = require "linky"

local token, base_url, server = os.getenv("LINKY_TOKEN"), nil, nil
if not token or token == "" then
  local emu = require "spec.support.emulator_spec_helper"
  server = emu.start()
  token, base_url = emu.TOKEN1, server.url
end
-- (not assert: Lua 5.1's wants a string message, linky's errors are objects)
local client, failure = linky.new { token = token, base_url = base_url, state = false }
if not client then error(tostring(failure), 0) end

-- socket.select takes any object with a getfd method
local function fd_object(fd) return { getfd = function() return fd end } end

local req, why = client:start("daily_consumption", "2026-04-01", "2026-04-08")
if not req then -- Lua 5.1: non-blocking mode needs yields across pcall
  if server then server:stop() end
  error(tostring(why), 0)
end
local res, err
local waits = 0
while true do
  local done, a, b = req:step()
  if done then
    res, err = a, b
    break
  end
  local readers, writers = {}, {}
  for fd, what in pairs(a) do
    if what:find("r", 1, true) then readers[#readers + 1] = fd_object(fd) end
    if what:find("w", 1, true) then writers[#writers + 1] = fd_object(fd) end
  end
  socket.select(readers, writers, b) -- the host would wait on its own descriptors here too
  waits = waits + 1
end

if not res then
  print("failed: " .. tostring(err))
else
  print(("%d days, %d requests, after %d waits of the loop"):format(#res.points, res.requests, waits))
end
client:close()
if server then server:stop() end
