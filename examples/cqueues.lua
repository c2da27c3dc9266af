-- linky in a cqueues controller: a week of daily consumption fetched from one coroutine while
-- another keeps ticking. Run from the repository once `make` has built the C core:
-- lua5.4 examples/cqueues.lua. With LINKY_TOKEN set it asks Conso API; without, the bundled emulator.
dofile("examples/checkout.lua") -- the module of this checkout: no install, no LUA_PATH
local cqueues = require "cqueues"
local linky = require "linky"
local lc = require "linky.cqueues"

local token, base_url, server = os.getenv("LINKY_TOKEN"), nil, nil
if not token or token == "" then
  local emu = require "spec.support.emulator_spec_helper"
  server = emu.start()
  token, base_url = emu.TOKEN1, server.url
end
-- (not assert: Lua 5.1's wants a string message, linky's errors are objects)
local client, failure = linky.new { token = token, base_url = base_url, state = false }
if not client then error(tostring(failure), 0) end

local cq, ticks, finished = cqueues.new(), 0, false
cq:wrap(function()
  local res, err = lc.fetch(client, "daily_consumption", "2026-04-01", "2026-04-08")
  finished = true
  if not res then
    print("failed: " .. tostring(err))
  else
    local wh = 0
    for _, p in ipairs(res.points) do wh = wh + p.value end
    print(("%d days, %d Wh, %d requests; the other coroutine ticked %d times meanwhile"):format(#res.points,
      wh, res.requests, ticks))
  end
end)
cq:wrap(function()
  while not finished do
    ticks = ticks + 1
    cqueues.sleep(0.01)
  end
end)
assert(cq:loop())
client:close()
if server then server:stop() end
