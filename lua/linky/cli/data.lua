--- The data commands of `linky` (one per kind): the range, the plan checked against the budget
-- before anything is sent (--reserve, --max-requests, --dry-run), the fetch, and the rendering
-- with a warning naming the days that are missing.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cli.data
local linky = require "linky"
local compat = require "linky.compat"
local analysis = require "linky.analysis"
local dates = require "linky.dates"
local format = require "linky.format"
local plural = require("linky.format.common").plural
local args = require "linky.cli.args"
local config = require "linky.cli.config"
local output = require "linky.cli.output"
local i18n = require "linky.cli.i18n"

local M = {}

--- Requests of the budget a data command leaves for `linky update` by default.
M.RESERVE = require("linky.update").RESERVE

local FORMATS = { table = true, csv = true, json = true, chart = true, jsonl = true, influx = true }
local PERIODS = { hour = true, day = true, week = true, month = true }

--- The range of a data command: `--start/--end`, `--last N{d,w,m}`, or yesterday.
-- @tparam table a parsed arguments (`start`, `end`, `last`)
-- @tparam integer today today's day number
-- @treturn string|nil start
-- @treturn string end, or the usage message
function M.range(a, today)
  if a.last then
    if a.start or a["end"] then return nil, "--last cannot be used with --start or --end" end
    local n, unit = a.last:match("^(%d+)([dwm])$")
    n = tonumber(n)
    if not n or n < 1 or n > 120000 then
      return nil, "--last takes N{d,w,m} with N >= 1, like 14d, 2w or 1m"
    end
    local first = unit == "d" and today - n or unit == "w" and today - 7 * n or dates.months_before(today, n)
    if not first or first < dates.FIRST then return nil, "--last cannot reach back before 2000-01-01" end
    return dates.format(first), dates.format(today)
  end
  local first, stop = a.start, a["end"]
  if stop == nil then
    stop = first and dates.day(first) and dates.format(dates.day(first) + 1) or dates.format(today)
  end
  first = first or dates.format(dates.day(stop) and dates.day(stop) - 1 or today - 1)
  return first, stop
end

--- A count option (--max-requests, --reserve): an integer >= 0, or nil and the usage message
-- (translated: a format's argument).
function M.count(a, name)
  local v = a[name]
  if v == nil then return nil end
  local n = v:match("^%d+$") and compat.tointeger(tonumber(v))
  if not n or n > 1000000 then
    return nil, i18n.t("%s takes a whole number >= 0", "--" .. name:gsub("_", "-"))
  end
  return n
end

local function check(self, kind)
  local a = self.args
  if a.format and not FORMATS[a.format] then
    return self:usage("--format is table, csv, json, chart, jsonl or influx")
  end
  if a.by and not PERIODS[a.by] then return self:usage("--by is hour, day, week or month") end
  if a.by and a.format == "influx" then
    return self:usage("--format influx writes points: not with --by (the database sums them itself)")
  end
  local curve = linky.kinds[kind].load_curve
  if (a.energy or a.offpeak) and not curve then
    return self:usage(a.energy and "--energy applies to load curves only"
      or "--offpeak applies to load curves only")
  end
  if a.energy and a.by then
    return self:usage("--energy and --by cannot be combined (--by already gives energy)")
  end
  local code = M.check_fetch_options(self)
  if code then return code end
  if a.offpeak then
    local ranges = {}
    for r in a.offpeak:gmatch("[^,]+") do ranges[#ranges + 1] = r end
    local ok, err = analysis.parse_ranges(ranges)
    if not ok then return self:usage("%s", err.message) end
    self.offpeak = ranges
  end
end

local function render(self, res, err)
  local a = self.args
  if a.format == "jsonl" then return format.jsonl(res, { by = a.by }) end
  if a.format == "influx" then return format.influx(res) end
  local v, verr = format.view(res, { by = a.by, energy = a.energy })
  if not v then return nil, verr end
  local fmt = a.format or "table"
  if fmt == "csv" then return format.csv(v) end
  if fmt == "json" then return format.json(v, err and { error = err } or nil) end
  local opts = { color = self.color, offpeak = self.offpeak }
  if fmt == "chart" then return format.chart(v, opts) end
  return format.table(v, opts)
end

-- What the command does with a plan, the one rule of the real run and of --dry-run: the
-- requests it sends (at most --max-requests), or nil and the requests it would need when the
-- budget leaves fewer past the reserve (it then sends nothing).
local function decide(self, p, reserve)
  local need = self.max_requests and math.min(self.max_requests, p.planned) or p.planned
  if not p.budget_left or need == 0 or need <= p.budget_left - reserve then return need end
  return nil, need
end

-- What to run instead of a call the budget refuses.
local function instead(kind, first, p, reserve)
  local room = p.budget_left and math.max(0, p.budget_left - reserve) or 0
  local text = ("`linky backfill %s --since %s`"):format(args.SHORT[kind] or kind, first)
  if room > 0 then text = text .. i18n.t(", or --max-requests %d", room) end
  return text
end

-- The plan as --dry-run prints it, ending with what the same command without --dry-run does.
local function plan_text(self, kind, prm, first, stop, p, reserve)
  local lines = {
    i18n.t("%s of %s, %s to %s (end excluded)", kind, prm, first, stop),
    i18n.t("stored days   %d", p.stored_days),
    i18n.t("missing days  %d", p.missing_days),
    i18n.n(p.planned, "requests      %d planned", "requests      %d planned"),
  }
  if p.beyond_history_days > 0 then
    table.insert(lines, 4, i18n.t("beyond history %d (never asked: Enedis keeps no older data)",
      p.beyond_history_days))
  end
  for _, r in ipairs(p.ranges) do lines[#lines + 1] = "  " .. i18n.t("%s to %s", r.start, r["end"]) end
  lines[#lines + 1] = i18n.t("budget left   %s (a reserve of %d kept for updates)",
    p.budget_left and tostring(p.budget_left) or i18n.t("unlimited"), reserve)
  local sends, need = decide(self, p, reserve)
  if sends and sends > 0 and p.held then
    lines[#lines + 1] = i18n.t("without --dry-run: sends nothing and exits 5: a ban or cool-down is"
      .. " remembered (linky status)")
  elseif sends then
    lines[#lines + 1] = i18n.t("without --dry-run: sends %s%s", plural(sends, "request"),
      sends < p.planned and i18n.t(" (--max-requests %d), %d left for the next run", self.max_requests,
        p.planned - sends) or "")
  else
    lines[#lines + 1] = i18n.t("without --dry-run: sends nothing and exits 5: %s needed, the budget leaves"
      .. " %d past the reserve; run %s", plural(need, "request"), math.max(0, (p.budget_left or 0) - reserve),
      instead(kind, first, p, reserve))
  end
  return table.concat(lines, "\n") .. "\n"
end

-- Refuses a call that needs more requests than the budget leaves past the reserve: exit 5.
local function over_budget(self, kind, first, p, reserve)
  local sends, need = decide(self, p, reserve)
  if sends or not p.budget_left then return nil end
  return self:fail_kind("budget_exhausted", "this needs %s and the budget leaves %d"
    .. " (%d kept for updates, --reserve): nothing sent; run %s%s", plural(need, "request"),
    p.budget_left, reserve, instead(kind, first, p, reserve), output.budget_note(self))
end

--- Plans (checked against the budget, or printed with --dry-run) and fetches a data command's
-- range: what the library answered, or nil, nil and the exit code of an early end.
-- @tparam table self the command context
-- @tparam string kind the kind
-- @tparam string first first day
-- @tparam string stop day after the last one
-- @treturn table|nil the result
-- @treturn table|nil the error
-- @treturn integer|nil the exit code when the command ends before fetching
function M.fetch(self, kind, first, stop)
  local a = self.args
  local client, info = config.client(self)
  if not client then return nil, nil, info end
  local reserve = self.reserve or M.RESERVE
  if not a.offline then
    local p, err = client:plan(kind, first, stop, { refresh = a.refresh, max_requests = self.max_requests,
      reserve = reserve })
    if not p then
      client:close()
      return nil, nil, self:error(err)
    end
    if a.dry_run then
      client:close()
      local text = plan_text(self, kind, client.prm, first, stop, p, reserve)
      return nil, nil, self:write(text) and 0 or output.FILE
    end
    local code = over_budget(self, kind, first, p, reserve)
    if code then
      client:close()
      return nil, nil, code
    end
  end
  local res, err = client:fetch(kind, first, stop, { progress = self:progress(), refresh = a.refresh,
    offline = a.offline or nil, max_requests = self.max_requests })
  self:restore_terminal()
  client:close()
  return res, err
end

--- What a fetch stopped by --max-requests gave (what it sent and what the store had are the
-- answer, with a warning): the failure's partial result, or nil for any other outcome.
-- @tparam table self the command context
-- @tparam table|nil res the fetch's result
-- @tparam table|nil err its error
-- @treturn table|nil
function M.capped(self, res, err)
  return not res and err.kind == "budget_exhausted" and err.planned and self.max_requests and err.partial
    or nil
end

--- Warns of the days of a result without (complete) data, if any (format.missing_warning's
-- line, under the command's own warning prefix).
-- @tparam table self the command context
-- @tparam table res a result, or a failed call's partial one
-- @tparam[opt] string whose what the line is about ("KIND PRM" for update)
function M.warn_missing(self, res, whose)
  local missing = format.missing_warning(res)
  if not missing then return end
  missing = missing:gsub("^warning: ", "")
  if whose then self:warn("%s: %s", whose, missing) else self:warn("%s", missing) end
end

--- What a command that prices its data works on (cost, compare): the fetch's result, or what a
-- fetch stopped by --max-requests gave, with that fetch's error for `capped_warning`.
-- @tparam table self the command context
-- @return the result | nil
-- @treturn table|nil the error of a fetch --max-requests stopped
-- @treturn integer|nil the exit code when there is nothing to price
function M.fetch_to_price(self, kind, first, stop)
  local res, err, code = M.fetch(self, kind, first, stop)
  if code then return nil, nil, code end
  if res then return res end
  local capped = M.capped(self, res, err)
  if not capped then return nil, nil, self:error(err) end
  return capped, err
end

--- The warning of a --max-requests run that left requests unsent.
function M.capped_warning(self, kind, first, err)
  self:warn("--max-requests %d: %s of %d sent; %s left: run the command again, or "
    .. "`linky backfill %s --since %s`", self.max_requests, plural(err.partial.requests or 0, "request"),
    err.planned, plural(err.planned - (err.partial.requests or 0), "request"), args.SHORT[kind] or kind,
    first)
end

--- Checks the options a data command shares with `cost` (--offline, --max-requests, --reserve).
-- @treturn integer|nil the usage exit code
function M.check_fetch_options(self)
  local a = self.args
  if a.offline and a.no_cache then
    return self:usage("--offline answers from the store: not with --no-cache")
  end
  if a.offline and (a.refresh or a.max_requests or a.dry_run) then
    return self:usage("--offline sends nothing: not with --refresh, --max-requests or --dry-run")
  end
  for _, name in ipairs { "max_requests", "reserve" } do
    local n, why = M.count(a, name)
    if why then return self:usage("%s", why) end
    self[name] = n
  end
end

--- Runs a data command.
-- @tparam table self the command context
-- @tparam string name the command (a kind or its alias)
-- @treturn integer the exit code
function M.run(self, name)
  local kind = args.kind(name)
  local code = check(self, kind)
  if code then return code end
  local a = self.args
  local first, stop = M.range(a, self.today)
  if not first then return self:usage(stop) end
  local res, err
  res, err, code = M.fetch(self, kind, first, stop)
  if code then return code end
  local capped = M.capped(self, res, err)
  local shown = res or err.partial
  local written = true
  if shown then
    local text, rerr = render(self, shown, not res and not capped and err or nil)
    -- the analysis helpers refuse stored points they cannot read (a load-curve point without
    -- a step has no energy): the data are unexpected, the arguments were fine
    if not text then
      return self:fail(output.UNEXPECTED, "cannot show these data: %s", tostring(rerr.message))
    end
    written = self:write(text)
  end
  local status = (res or capped) and 0 or self:error(err)
  if shown then M.warn_missing(self, shown) end
  if capped then M.capped_warning(self, kind, first, err) end
  return written and status or output.FILE
end

return M
