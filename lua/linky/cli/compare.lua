--- `linky compare`: the consumption load curve priced with each offer (--tariff FILE.json, then
-- --cre FILE.csv --kva N), the first the reference of the differences, with the days each offer
-- does not cover named. Every file is checked before any request; like every data command it plans
-- first and is served from the store. Figures are shown from `linky.compare.price`'s exact sums.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cli.compare
local dkjson = require "dkjson"
local compare = require "linky.compare"
local tariffs = require "linky.cost"
local dates = require "linky.dates"
local cost = require "linky.cli.cost"
local tempo = require "linky.cli.tempo"
local data = require "linky.cli.data"
local output = require "linky.cli.output"
local i18n = require "linky.cli.i18n"
local common = require "linky.format.common"

local M = {}

local FORMATS = { table = true, csv = true, json = true }

-- The Tempo colours of a comparison: a table of the tariff day "YYYY-MM-DD" giving "blue",
-- "white" or "red" (a day absent: not covered, never a blue one) | nil, exit code. The --colours
-- file when given; else the state file's, the missing ones fetched within the colour source's
-- ledger as `linky cost` does (not with --offline), for the first offer priced by colour.
local function colour_lookup(self, offers, first, stop)
  local path = self.args.colours
  if path then return cost.read_colours(self, path) end
  for _, t in ipairs(offers) do
    local checked = tariffs.check(t)
    local colours, err_or_code
    if checked then
      colours, err_or_code = tempo.tariff_colours(self, checked, first, stop,
        self.args.offline or self.args.dry_run)
    end
    if colours then
      if err_or_code then self:warn("Tempo colours: %s", (tostring(err_or_code):gsub("^linky: ", ""))) end
      return colours
    end
    if err_or_code then return nil, err_or_code end
  end
  return {}
end

-- The offers of the command line, read and checked: { tariff, ... } | nil, exit code.
local function read_offers(self)
  local a = self.args
  local list = {}
  for _, path in ipairs(a.tariff or {}) do
    local t, code = cost.read_tariff(self, path)
    if not t then return nil, code end
    list[#list + 1] = t
  end
  local cres, kvas = a.cre or {}, a.kva or {}
  if #cres ~= #kvas then return nil, self:usage("each --cre FILE needs its --kva N, in the same order") end
  for i, path in ipairs(cres) do
    local kva, code = cost.kva(self, kvas[i])
    if not kva then return nil, code end
    local t
    t, code = cost.read_cre(self, path, kva, cost.hc(a.hc), true) -- one --hc for every file but Base
    if not t then return nil, code end
    list[#list + 1] = t
  end
  if not list[1] then
    return nil, self:usage("compare needs offers: --tariff FILE.json or --cre FILE.csv --kva N")
  end
  return list
end

local function not_covered(o)
  local parts = {}
  for _, r in ipairs(o.not_covered) do
    local last = dates.format(dates.day(r["end"]) - 1)
    parts[#parts + 1] = (r.start == last and r.start or i18n.t("%s to %s", r.start, last)) .. " " .. r.reason
  end
  return table.concat(parts, "; ")
end

local money, kwh = tariffs.format_money, tariffs.format_kwh

local function signed(o)
  return (o.sign < 0 and "-" or o.sign > 0 and "+" or "") .. money(o.difference)
end

local function render_table(offers)
  local width = common.width(i18n.t("offer"))
  for _, o in ipairs(offers) do width = math.max(width, math.min(#o.name, 48)) end
  local row = "%-" .. width .. "s %5s %11s %13s %10s %13s %10s %11s"
  -- the headers padded by display width: the French ones have accented letters
  local head = { common.pad_right(i18n.t("offer"), width) }
  for i, h in ipairs { "days", "kWh", "unpriced kWh", "energy", "subscription", "total", "difference" } do
    head[#head + 1] = common.pad_left(i18n.t(h), ({ 5, 11, 13, 10, 13, 10, 11 })[i])
  end
  local lines = { table.concat(head, " ") }
  local notes = {}
  for _, o in ipairs(offers) do
    lines[#lines + 1] = row:format(o.name:sub(1, 48), o.days, kwh(o.sums.ws), kwh(o.unpriced_ws),
      money(o.sums.energy), money(o.sums.subscription), money(tariffs.total(o.sums)), signed(o))
    if o.not_covered[1] then notes[#notes + 1] = i18n.t("not covered by %s: %s", o.name, not_covered(o)) end
  end
  for _, n in ipairs(notes) do lines[#lines + 1] = n end
  return table.concat(lines, "\n") .. "\n"
end

local function csv_cell(s)
  if s:find('[,"\n]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end

local function render_csv(offers)
  local lines = { "offer,days,kwh,unpriced_kwh,energy,subscription,total,difference,partial,not_covered" }
  for _, o in ipairs(offers) do
    lines[#lines + 1] = table.concat({ csv_cell(o.name), tostring(o.days), kwh(o.sums.ws), kwh(o.unpriced_ws),
      money(o.sums.energy), money(o.sums.subscription), money(tariffs.total(o.sums)), signed(o),
      tostring(o.not_covered[1] ~= nil), csv_cell(not_covered(o)) }, ",")
  end
  return table.concat(lines, "\n") .. "\n"
end

local KEYS = { "start", "end", "offers", "name", "energy", "subscription", "total", "difference", "kwh",
               "unpriced_kwh", "days", "partial", "not_covered", "reason" }

-- A signed amount as a JSON number of 7 decimals.
local SIGNED = { __tojson = function(self)
  return (self.sign < 0 and "-" or "") .. tariffs.format_decimal(self.a)
end }

local function render_json(offers, res)
  local list = {}
  for i, o in ipairs(offers) do
    local n = tariffs.numbers(o.sums)
    list[i] = { name = o.name, energy = cost.decimal(o.sums.energy),
                subscription = cost.decimal(o.sums.subscription),
                total = cost.decimal(tariffs.total(o.sums)),
                difference = setmetatable({ a = o.difference, sign = o.sign }, SIGNED), kwh = n.kwh,
                unpriced_kwh = o.unpriced_ws / 3600000, days = o.days, partial = o.not_covered[1] ~= nil,
                not_covered = o.not_covered }
  end
  local out = { start = res.start, ["end"] = res["end"], offers = list }
  return dkjson.encode(out, { indent = true, keyorder = KEYS }) .. "\n"
end

--- Runs `linky compare`.
-- @tparam table self the command context
-- @treturn integer the exit code
function M.run(self)
  local a = self.args
  if a.format and not FORMATS[a.format] then return self:usage("--format is table, csv or json") end
  local code = data.check_fetch_options(self)
  if code then return code end
  local offers
  offers, code = read_offers(self)
  if not offers then return code end
  local first, stop = data.range(a, self.today)
  if not first then return self:usage(stop) end
  local colours
  colours, code = colour_lookup(self, offers, first, stop)
  if not colours then return code end
  local kind = "consumption_load_curve"
  local shown, capped
  shown, capped, code = data.fetch_to_price(self, kind, first, stop)
  if not shown then return code end
  local priced, perr = compare.price(shown, offers, { colours = colours })
  if not priced then return self:error(perr) end
  local fmt = a.format or "table"
  local text
  if fmt == "csv" then text = render_csv(priced)
  elseif fmt == "json" then text = render_json(priced, shown)
  else text = render_table(priced) end
  local written = self:write(text)
  data.warn_missing(self, shown)
  if capped then data.capped_warning(self, kind, first, capped) end
  return written and 0 or output.FILE
end

return M
