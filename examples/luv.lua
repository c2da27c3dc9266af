-- linky on a luv loop: a week of daily consumption fetched while a timer keeps ticking.
-- Run from the repository once `make` has built the C core: lua5.4 examples/luv.lua. With
-- LINKY_TOKEN set it asks Conso API; without, the bundled emulator.
dofile("examples/checkout.lua") -- the module of this checkout: no install, no LUA_PATH
local uv = require "luv"
local linky = require "linky"
local lk = require "linky.luv"

local token, base_url, server = os.getenv("LINKY_TOKEN"), nil, nil
if not token or token == "" then
  local emu = require "spec.support.emulator_spec_helper"
  server = emu.start()
  token, base_url = emu.TOKEN1, server.url
end
-- (not assert: Lua 5.1's wants a string message, linky's errors are objects)
local client, failure = linky.new { token = token, base_url = base_url, state = false }
if not client then error(tostring(failure), 0) end

local ticks = 0
local timer = uv.new_timer()
timer:start(10, 10, function() ticks = ticks + 1 end) -- the rest of the application

lk.fetch(client, "daily_consumption", "2026-04-01", "2026-04-08", nil, function(res, err)
  timer:close()
  if not res then
    print("failed: " .. tostring(err))
  else
    local wh = 0
    for _, p in ipairs(res.points) do wh = wh + p.value end
    print(("%d days, %d Wh, %d requests; the loop ticked %d times meanwhile"):format(#res.points, wh,
      res.requests, ticks))
  end
  client:close()
end)

uv.run() -- returns once the callback has run: the adapter holds no handle afterwards
if server then server:stop() end
