--- `linky update` and `linky backfill`: per kind and PRM, keep the store of readings up to date
-- (what changed, in days) or fill it from a date, a budget window at a time (how far it is).
-- A kind or PRM that fails does not stop the others; the exit code is the highest failure's.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cli.update
local dates = require "linky.dates"
local plural = require("linky.format.common").plural
local args = require "linky.cli.args"
local config = require "linky.cli.config"
local data = require "linky.cli.data"
local output = require "linky.cli.output"
local publish = require "linky.cli.publish"
local i18n = require "linky.cli.i18n"

local M = {}

-- The kinds of the command line (default: daily_consumption), or nil and the exit code.
local function kinds_of(self, default)
  local kinds = {}
  for i, w in ipairs(self.args.kinds or {}) do
    kinds[i] = args.kind(w)
    if not kinds[i] then return nil, self:usage("unknown kind %s", output.shown(w)) end
  end
  if #kinds == 0 and default then kinds[1] = default end
  return kinds
end

-- The PRMs of the command line (each --prm), else the default one (nil: the client's).
local function prms_of(self)
  local prms = self.args.prm or {}
  if #prms == 0 then return { false } end
  return prms
end

-- Runs `step(client, kind, prm)` for each kind and PRM: one line each on standard output
-- (unless --quiet), errors on stderr; then `after(client, prms)` when given, whatever failed.
-- The exit code is the highest of the failures.
local function each(self, kinds, step, after)
  local client, code = config.client(self)
  if not client then return code end
  local worst = 0
  for _, prm in ipairs(prms_of(self)) do
    for _, kind in ipairs(kinds) do
      local line, failure = step(client, kind, prm or client.prm)
      self:restore_terminal()
      if line and not self.args.quiet then
        if not self:out(("%-24s %s  %s\n"):format(kind, prm or client.prm, line)) then
          client:close()
          return output.FILE
        end
      end
      if failure then worst = math.max(worst, failure) end
    end
  end
  if after then
    local prms = {}
    for i, prm in ipairs(prms_of(self)) do prms[i] = prm or client.prm end
    worst = math.max(worst, after(client, prms))
  end
  client:close()
  return worst
end

-- What an update changed, in days, and what it left for the next one.
local function changes(res)
  local text = i18n.t("up to date")
  if (res.requests or 0) > 0 then
    local new, corrected = res.days_new or 0, res.days_corrected or 0
    text = new == 0 and i18n.t("no new day") or i18n.n(new, "%d new day", "%d new days")
    if corrected > 0 then text = text .. i18n.n(corrected, ", %d corrected", ", %d corrected") end
    text = text .. ", " .. plural(res.requests, "request")
  end
  if (res.remaining_requests or 0) > 0 then
    text = text .. i18n.t("; %s (%s) left: the next `linky update` or `linky backfill` continues",
      plural(res.remaining_days, "day"), plural(res.remaining_requests, "request"))
  end
  return text
end

-- The --since of update and backfill: nil, or the usage exit code.
local function check_since(self, since)
  if not since then return nil end
  local day = dates.day(since)
  if not day then return self:usage("--since takes a date YYYY-MM-DD") end
  if day < dates.FIRST then
    return self:usage("--since %s is before 2000-01-01: no meter has data then", since)
  end
  if day >= self.today then
    return self:usage("--since %s must be before today (%s)", since, dates.format(self.today))
  end
end

--- `linky update [KIND...] [--since DATE] [--prm PRM]... [--publish TARGET]... [--all] [--mode OCTAL]`
function M.update(self)
  local kinds, code = kinds_of(self, "daily_consumption")
  if not kinds then return code end
  local since = self.args.since
  code = check_since(self, since)
  if code then return code end
  local max_requests, why = data.count(self.args, "max_requests")
  if why then return self:usage("%s", why) end
  local targets = self.args.publish or {}
  code = publish.check(self, targets)
  if code then return code end
  -- what is stored, plus the status, also when a kind failed
  local after = #targets > 0 and function(client, prms)
    return publish.publish_all(self, client, targets, { prm = prms, kinds = kinds })
  end or nil
  return each(self, kinds, function(client, kind, prm)
    local res, err = client:update(kind, { prm = prm, since = since, max_requests = max_requests,
      progress = self:progress() })
    if not res then return nil, self:error(err) end
    if not self.args.quiet then data.warn_missing(self, res, kind .. " " .. prm) end
    return changes(res)
  end, after)
end

-- How far a backfill is.
local function progress_text(r)
  local text = i18n.t("%d of %d days stored", r.stored_days, r.days)
  if r.requests > 0 then text = text .. i18n.t(" (%s now)", plural(r.requests, "request")) end
  if r.done then return text .. i18n.t("; done") end
  return text .. i18n.t("; about %s", i18n.n(r.runs_left, "%d more run", "%d more runs"))
end

--- `linky backfill KIND... --since DATE [--max-requests N] [--reserve N] [--prm PRM]...`
function M.backfill(self)
  local kinds, code = kinds_of(self)
  if not kinds then return code end
  local a = self.args
  if not a.since then return self:usage("backfill needs --since DATE, the first day to fill") end
  code = check_since(self, a.since)
  if code then return code end
  local opts = {}
  for _, name in ipairs { "max_requests", "reserve" } do
    local n, why = data.count(a, name)
    if why then return self:usage("%s", why) end
    opts[name] = n
  end
  return each(self, kinds, function(client, kind, prm)
    local r, err = client:backfill(kind, a.since, { prm = prm, max_requests = opts.max_requests,
      reserve = opts.reserve, progress = self:progress() })
    if not r then return nil, self:error(err) end
    return progress_text(r)
  end)
end

return M
