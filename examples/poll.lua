-- linky driven by a loop of the host's own, here luasocket's socket.select: step the request,
-- wait on the descriptors it names (or its timeout), step again. Run from the repository:
-- lua5.4 examples/poll.lua (with the paths of `make test`). With LINKY_TOKEN set it asks
-- Conso API; without, the bundled emulator.
local socket = require "socket"
local linky = require "linky"

local token, base_url, server = os.getenv("LINKY_TOKEN"), nil, nil
if not token or token == "" then
  local emu = require "spec.support.emulator_spec_helper"
  server = emu.start()
  token, base_url = emu.TOKEN1, server.url
end
local client = assert(linky.new { token = token, base_url = base_url, state = false })

-- socket.select takes any object with a getfd method
local function fd_object(fd) return { getfd = function() return fd end } end

local req = assert(client:start("daily_consumption", "2026-04-01", "2026-04-08"))
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
