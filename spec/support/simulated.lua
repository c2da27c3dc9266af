-- Specs of the state file in simulated time: an emulator for the describe block, a fresh state
-- file in a temporary folder for each spec, and clients on a clock the spec moves (`t.now`),
-- whose witness of real time (`monotonic`) moves with it. The clock really moves: every sleep
-- of a client (pacing, retry backoff, waits) advances it, and clients keep the default pacing
-- and retry settings, so that the requests of a run are spread in time as they would be.
--
--   local t = simulated.new { now = NOW }
--   setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)
local linky = require "linky"
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"

local M = {}

--- The usual "now" of these specs: 2026-11-28 11:00 in Paris.
M.NOW = core.to_epoch("2026-11-28 11:00:00")

--- "dateDebut..dateFin" of each logged API request.
function M.dates_of(reqs)
  local out = {}
  for i, r in ipairs(reqs) do out[i] = r.params.dateDebut .. ".." .. r.params.dateFin end
  return out
end

--- A context: `server`, `dir`, `path` (the state file), `now`, and the hooks and `client`.
-- @tparam[opt] table opts `now` (each spec's start, default `NOW`), `client` (options every
-- client of the block gets, e.g. `{ retry = false }`)
function M.new(opts)
  opts = opts or {}
  local t = {}
  function t.start() t.server = emu.start() end
  function t.stop() t.server:stop() end
  function t.fresh()
    t.server:reset()
    t.dir = os.tmpname()
    os.remove(t.dir)
    assert(os.execute("mkdir -p " .. emu.quote(t.dir)))
    t.path = t.dir .. "/state.sqlite3"
    t.now, t.slept = opts.now or M.NOW, 0
  end
  function t.clean() os.execute("rm -rf " .. emu.quote(t.dir)) end
  --- The clients' sleep: it moves the simulated clock, and counts what it slept (`t.slept`).
  function t.sleep(seconds)
    t.now = t.now + seconds
    t.slept = (t.slept or 0) + seconds
  end
  --- A client of the block's state file and clock; `overrides` set or replace options.
  function t.client(overrides)
    local o = { token = emu.TOKEN1, base_url = t.server.url, state = t.path,
                clock = function() return t.now end, monotonic = function() return t.now end,
                sleep = t.sleep }
    for k, v in pairs(opts.client or {}) do o[k] = v end
    for k, v in pairs(overrides or {}) do o[k] = v end
    return assert(linky.new(o))
  end
  --- The dates of the API requests the emulator logged.
  function t.requests() return M.dates_of(t.server:api_requests()) end
  return t
end

return M
