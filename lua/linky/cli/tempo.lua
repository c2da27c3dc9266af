--- `linky tempo`: the Tempo colour of each tariff day, fetched into the state file from the
-- configured source (`linky.tempo`) within its ledger, and printed; and the colours `linky cost`
-- uses when no --colours file is given.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cli.tempo
local dkjson = require "dkjson"
local dates = require "linky.dates"
local tempo = require "linky.tempo"
local config = require "linky.cli.config"
local output = require "linky.cli.output"
local i18n = require "linky.cli.i18n"
local common = require "linky.format.common"

local M = {}

local FORMATS = { table = true, csv = true, json = true, jsonl = true }
-- `linky tempo` without --since: the last 7 days
local DEFAULT_DAYS = 7

local function setting(self, key)
  local v, ok, code = config.get(self, key)
  if ok == false then return nil, code end
  return v
end

--- A reader of the configured source (config keys `tempo_source`, `tempo_base_url`,
-- `tempo_budget`, `rte_client_id`, `rte_client_secret`; the state, transfer options and
-- simulated time of the command), or nil and an exit code.
function M.reader(self)
  local o = {}
  local keys = { source = "tempo_source", base_url = "tempo_base_url", rte_client_id = "rte_client_id",
                 rte_client_secret = "rte_client_secret", budget = "tempo_budget" }
  for opt, key in pairs(keys) do
    local v, code = setting(self, key)
    if code then return nil, code end
    o[opt] = v
  end
  if o.source == "rte" and not (o.rte_client_id and o.rte_client_secret) then
    return nil, self:usage("tempo_source rte needs rte_client_id and rte_client_secret (`linky config`)")
  end
  o.budget = o.budget and { requests = tonumber(o.budget) } or nil
  local state, ok, code = config.state_path(self)
  if ok == false then return nil, code end
  local a = self.args
  local timeout = a.timeout and tonumber(a.timeout)
  if a.timeout and not (timeout and timeout > 0) then
    return nil, self:usage("--timeout takes a number of seconds > 0")
  end
  o.state, o.timeout, o.cainfo, o.proxy = state, timeout, a.cainfo, a.proxy
  -- the command's clock: under LINKY_TODAY, noon of that day on (provisional colours, the hour
  -- between two asks of an unknown day), so that the simulated day and the clock agree
  o.clock, o.monotonic = self.clock, self.injected.monotonic
  local ua, uok, ucode = config.get(self, "user_agent", a.user_agent)
  if uok == false then return nil, ucode end
  o.user_agent = ua or ("linky-cli/" .. tempo._VERSION)
  local reader, err = tempo.new(o)
  if not reader then return nil, self:error(err) end
  return reader
end

--- The colours of tariff days [first, stop) for `linky cost`: a table date -> colour, and the
-- error that stopped the requests (warned about by the caller), or nil and an exit code.
function M.colours(self, first, stop, offline)
  local reader, code = M.reader(self)
  if not reader then return nil, code end
  local days, err = reader:colours(first, stop, { offline = offline })
  reader:close()
  local list = days or (err and err.partial)
  if not list then return nil, self:error(err) end
  local out = {}
  for _, d in ipairs(list) do out[d.date] = d.colour end
  return out, err
end

--- The colours a tariff needs over the range [first, stop) of a command (`cost`, `compare`):
-- its tariff days (from 06:00: the day before the first midnight too), from the state file and
-- the source, as `colours` gives them; nil and nil when the tariff prices no colour.
-- @tparam table self the command context
-- @tparam table checked a tariff as `linky.cost.check` returns it
-- @tparam string first `"YYYY-MM-DD"`
-- @tparam string stop `"YYYY-MM-DD"`, excluded
-- @tparam boolean offline send nothing
function M.tariff_colours(self, checked, first, stop, offline)
  local days = require("linky.cost").colour_days(checked, first, stop)
  if not days then return nil end
  return M.colours(self, days.first, dates.format(dates.day(days.last) + 1), offline)
end

local function render(fmt, days, source)
  if fmt == "json" then
    local list = {}
    for i, d in ipairs(days) do list[i] = d end
    return dkjson.encode({ source = source, days = list, missing = days.missing, requests = days.requests },
      { indent = true, keyorder = { "source", "requests", "days", "missing", "date", "colour", "provisional",
        "settled" } }) .. "\n"
  end
  local lines = {}
  if fmt == "csv" then lines[1] = "date,colour" end
  for _, d in ipairs(days) do
    if fmt == "jsonl" then
      lines[#lines + 1] = dkjson.encode(d, { keyorder = { "date", "colour", "provisional", "settled" } })
    elseif fmt == "csv" then
      -- the --colours file of `linky cost`: known colours only
      if d.colour then lines[#lines + 1] = d.date .. "," .. d.colour end
    else
      -- a colour is a value (as --colours files and `linky cost` take it): kept as it is
      lines[#lines + 1] = ("%s  %s%s"):format(d.date, common.pad_right(d.colour or i18n.t("unknown"), 7),
        d.provisional and i18n.t(" (provisional: final after 12:00)")
          or d.settled and i18n.t(" (settled: asked no more)") or "")
    end
  end
  return table.concat(lines, "\n") .. (lines[1] and "\n" or "")
end

--- Runs `linky tempo`.
-- @tparam table self the command context
-- @treturn integer the exit code
function M.run(self)
  local a = self.args
  local fmt = a.format or "table"
  if not FORMATS[fmt] then return self:usage("--format is table, csv, json or jsonl") end
  local first = self.today - DEFAULT_DAYS
  if a.since then
    first = dates.day(a.since)
    if not first then return self:usage("--since takes a date YYYY-MM-DD") end
  end
  local stop = self.today + 2 -- through tomorrow
  if first >= stop then return self:usage("--since must be before the day after tomorrow") end
  local reader, code = M.reader(self)
  if not reader then return code end
  local days, err = reader:colours(dates.format(first), dates.format(stop), { offline = a.offline })
  local source = reader.source
  reader:close()
  local list = days or (err and err.partial)
  if not list then return self:error(err) end
  if not self:write(render(fmt, list, source)) then return output.FILE end
  if #list.missing > 0 then
    local shown = #list.missing > 10 and (table.concat(list.missing, ", ", 1, 10) .. ", ...") or
      table.concat(list.missing, ", ")
    self:warn("%s: %s",
      i18n.n(#list.missing, "no colour known yet for %d day", "no colour known yet for %d days"), shown)
  end
  if err then return self:error(err) end
  return 0
end

return M
