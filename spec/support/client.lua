-- The one place the robustness specs build their clients: every option they share lives here,
-- so an option all of them need (e.g. turning off automatic retries) is added once.
local linky = require "linky"
local core = require "linky.core"

local M = {}

M._VERSION = "0.1"

--- A fixed "now" (2026-11-28 11:00 in Paris): no spec depends on the wall clock.
M.NOW = core.to_epoch("2026-11-28 11:00:00")

--- The interpreter running the specs, for child processes that load the module under test.
M.LUA = require("spec.support.versions").LUA

--- How much slower the run is than plain (valgrind and ASan set LINKY_SPEC_SLOWDOWN=10).
M.SLOWDOWN = tonumber(os.getenv("LINKY_SPEC_SLOWDOWN")) or 1

--- Options for `linky.new`: a fixed clock, no pacing, a sleep that does not wait, no automatic
-- retries, a private in-memory state (no budget shared between specs, no store), and `overrides`.
-- @tparam[opt] table overrides options set or replaced (`token`, `base_url`, `timeout`, ...)
-- @treturn table the options
function M.options(overrides)
  -- a TLS handshake under valgrind takes seconds: the timeout scales with the run's slowdown
  local o = { min_interval = 0, timeout = 2 * M.SLOWDOWN, clock = function() return M.NOW end,
              sleep = function() end,
              state = false, retry = false }
  for k, v in pairs(overrides or {}) do o[k] = v end
  return o
end

--- `linky.new(M.options(overrides))`.
-- @tparam[opt] table overrides
-- @return the client, or nil and the error
function M.new(overrides)
  return linky.new(M.options(overrides))
end

--- Seconds a call may take at most: its timeout plus 2 s, both scaled for slow runs.
-- @tparam number timeout the client's timeout
-- @treturn number
function M.deadline(timeout)
  return timeout + 2 * M.SLOWDOWN
end

--- The command that runs `cmd` in a new network namespace (only a loopback interface,
-- brought up when `loopback` is set): nothing can leave the machine, no DNS query either.
-- @tparam string cmd a shell command
-- @tparam[opt] boolean loopback bring `lo` up first
-- @treturn string|nil the wrapped command, or nil when namespaces are unavailable
function M.offline(cmd, loopback)
  for _, unshare in ipairs { "unshare -rn", "unshare -n" } do
    if os.execute(unshare .. " true 2>/dev/null") then
      local inner = loopback and ("ip link set lo up && " .. cmd) or cmd
      return unshare .. " sh -c '" .. inner:gsub("'", "'\\''") .. "'"
    end
  end
  return nil
end

return M
