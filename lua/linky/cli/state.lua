--- `linky status` and `linky clear-ban`: what the state file holds, read without a token and
-- creating nothing, and forgetting a remembered ban once the user confirms.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cli.state
local linky = require "linky"
local core = require "linky.core"
local config = require "linky.cli.config"
local output = require "linky.cli.output"
local format_status = require "linky.format.status"
local i18n = require "linky.cli.i18n"

local M = {}

local function stamp(epoch)
  if not epoch then return "-" end
  return os.date("!%Y-%m-%d %H:%M:%S UTC", math.floor(epoch))
end

-- A window in seconds as people say it: "12 h", "90 min", "45 s".
local function duration(seconds)
  if seconds % 3600 == 0 then return ("%d h"):format(math.floor(seconds / 3600)) end
  if seconds % 60 == 0 then return ("%d min"):format(math.floor(seconds / 60)) end
  return ("%s s"):format(tostring(seconds))
end

-- The state file's report (linky.status), or nil and the exit code.
local function report(self)
  local path, ok, code = config.state_path(self)
  if ok == false then return nil, code end
  local s, err = linky.status(path, { clock = self.injected.clock })
  if not s then return nil, self:error(err) end
  return s
end

-- The token's expiry line, when a token is configured (none: no line, no error).
local function token_line(self)
  local tok = config.token(self, true)
  if not tok then return nil end
  local info = linky.decode_token(tok)
  if not info then return i18n.t("token      not a Conso API token") end
  if not info.exp then return i18n.t("token      no expiry date") end
  local days = math.floor((info.exp - self.clock()) / 86400)
  return i18n.t("token      expires %s (%s)", os.date("!%Y-%m-%d", math.floor(info.exp)),
    days >= 0 and i18n.n(days, "in %d days", "in %d days") or i18n.t("expired"))
end

local STATUS_FORMATS = { table = true, json = true, prometheus = true }

-- The configured token's expiry (Unix seconds), or nil: no token, or one without a date.
local function token_expires(self)
  local tok = config.token(self, true)
  local info = tok and linky.decode_token(tok)
  return info and info.exp or nil
end

--- `linky status [--state PATH] [--format table|json|prometheus]`
function M.status(self)
  local fmt = self.args.format or "table"
  if not STATUS_FORMATS[fmt] then return self:usage("--format is table, json or prometheus") end
  local s, code = report(self)
  if not s then return code end
  if fmt ~= "table" then
    local render = fmt == "json" and format_status.json or format_status.prometheus
    return self:write(render(s, { token_expires = token_expires(self) })) and 0 or output.FILE
  end
  local lines = { i18n.t("state      %s", s.path) }
  if s.unlocked then
    lines[#lines + 1] = i18n.t("           read without locking (its folder is not writable, and it has no"
      .. " -shm): what another linky writes meanwhile may be missing")
  end
  if not s.exists then
    lines[#lines + 1] = i18n.t("           does not exist yet: nothing fetched, nothing spent")
  else
    local b = s.budget
    lines[#lines + 1] = i18n.t("requests   %s of %s in the last %s", tostring(b.used),
      b.limit and tostring(b.limit) or i18n.t("unlimited"), duration(b.window))
    lines[#lines + 1] = i18n.t("retry at   %s", stamp(b.retry_at))
    lines[#lines + 1] = i18n.t("banned     %s", b.banned_since
      and i18n.t("since %s, until cleared (linky clear-ban)", stamp(b.banned_since)) or i18n.t("no"))
    lines[#lines + 1] = i18n.t("cool-down  %s", b.cooldown_until
      and i18n.t("until %s", stamp(b.cooldown_until)) or i18n.t("no"))
  end
  local tline = token_line(self)
  if tline then lines[#lines + 1] = tline end
  if s.exists then
    if #s.meters == 0 then lines[#lines + 1] = i18n.t("stored     nothing") end
    for i, m in ipairs(s.meters) do
      lines[#lines + 1] = ("%s  %s  %-22s %s, %s"):format(i == 1 and i18n.t("stored   ") or "         ",
        m.prm, m.kind, i18n.t("%s to %s", m.first, m.last),
        i18n.n(m.not_complete, "%d not complete", "%d not complete"))
    end
  end
  return self:write(table.concat(lines, "\n") .. "\n") and 0 or output.FILE
end

-- Asks on the terminal: true for y or yes.
local function confirmed(self, path)
  self:say("Forget the ban remembered in %s? Requests will be sent again: do it only if "
    .. "you know the ban was lifted. [y/N] ", path)
  self.stderr:flush()
  local answer = self.stdin:read("*l")
  answer = answer and answer:match("^%s*(.-)%s*$"):lower()
  return answer == "y" or answer == "yes"
end

--- `linky clear-ban [--state PATH] [--yes]`
function M.clear_ban(self)
  local s, code = report(self)
  if not s then return code end
  if not s.exists then
    self:note("no state file at %s: no ban to clear", s.path)
    return 0
  end
  if not s.budget.banned_since then
    self:note("no ban remembered in %s", s.path)
    return 0
  end
  if not self.args.yes then
    if not (self.injected.stdin or core.isatty(0)) then -- an injected stdin stands for a terminal
      return self:usage("clear-ban asks on a terminal; elsewhere give --yes (nothing cleared)")
    end
    if not confirmed(self, s.path) then
      self:note("nothing cleared (exit 2)")
      return output.USAGE
    end
  end
  local ok, err = linky.clear_ban(s.path)
  if not ok then return self:error(err) end
  self:note("ban forgotten in %s: requests will be sent again", s.path)
  return 0
end

return M
