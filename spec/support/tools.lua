-- The one rule for what a spec needs from the machine (a program, root, a kernel feature): under
-- CI (CI=true), which installs everything the suite needs, a missing one fails the spec; on a
-- developer's machine it is a visible pending that says what is missing.
--
--   if not tools.need(ROOT, "mknod needs root", pending) then return end
--
-- (`pending` is passed in: busted gives it to each spec file's environment, not to this module.)
local M = {}

M._VERSION = "0.1"

--- Whether CI runs the suite (`.ci/run` sets CI=true).
M.CI = os.getenv("CI") == "true"

--- Goes on when `available`; otherwise fails under CI, and is pending elsewhere.
-- @param available whether what the spec needs is there
-- @tparam string what what is missing, said in the failure or the pending
-- @tparam[opt] function pend the spec's `pending`: busted gives it to the spec file's
-- environment, which this module does not share on every Lua
-- @treturn boolean whether the spec may go on
function M.need(available, what, pend)
  if available then return true end
  if M.CI then error("CI must provide this: " .. what, 2) end
  (pend or pending)(what)
  return false
end

--- Whether a program is on the PATH.
-- @tparam string name
-- @treturn boolean
function M.has(name)
  local ok = os.execute("command -v " .. name .. " >/dev/null 2>&1")
  return ok == true or ok == 0
end

return M
