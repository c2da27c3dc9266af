--- `linky cost`: the consumption load curve (or, with --daily, daily consumption) priced with a
-- tariff file (JSON) and the Tempo colours of the state file (the missing ones fetched within
-- the colour source's ledger: `linky.cli.tempo`) or of a CSV file, per day or month. Like every
-- data command it plans first, is served from the store and warns about missing days. Both
-- files are checked (readable, at most 1 MiB, content, periods) before any request; a tariff
-- day without a colour makes the cost partial, with a warning; figures are shown from the exact
-- sums of `linky.cost.price`, each rounded once.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cli.cost
local cjson = require "cjson.safe"
local dkjson = require "dkjson"
local tariffs = require "linky.cost"
local cre = require "linky.cre"
local dates = require "linky.dates"
local format = require "linky.format"
local data = require "linky.cli.data"
local output = require "linky.cli.output"
local i18n = require "linky.cli.i18n"
local common = require "linky.format.common"
local tempo = require "linky.cli.tempo"

local M = {}

local FORMATS = { table = true, csv = true, json = true, influx = true }
local BY = { day = true, month = true }
-- A tariff or colours file is a few kB: anything larger is a mistake, refused before it is read.
local MAX_FILE = 1024 * 1024
local BOM = "\239\187\191"

-- The bytes of the `what` file at `path` (a UTF-8 BOM removed) | nil, exit code: 8 when it
-- cannot be read, 2 when it is too large.
local function read_file(self, what, path)
  local text, err, why = output.read_file(path, MAX_FILE)
  if why == "too_large" then
    return nil, self:usage("%s %s is larger than 1 MiB", i18n.t(what), path)
  end
  if not text then
    err = tostring(err)
    if err:sub(1, #path + 2) == path .. ": " then err = err:sub(#path + 3) end
    return nil, self:fail(output.FILE, "cannot read %s %s: %s", i18n.t(what), path, err)
  end
  if text:sub(1, 3) == BOM then text = text:sub(4) end
  return text
end

--- The tariff of --tariff FILE: the table, and the tariff as checked | nil, exit code.
function M.read_tariff(self, path)
  local text, code = read_file(self, "the tariff", path)
  if not text then return nil, code end
  local tariff, why = cjson.decode(text)
  if type(tariff) ~= "table" then
    return nil, self:usage("the tariff %s is not a JSON object%s", path, why and i18n.t(": %s", why) or "")
  end
  local checked, terr = tariffs.check(tariff)
  if not checked then return nil, self:usage("the tariff %s: %s", path, terr.message) end
  return tariff, checked
end

--- The --kva of a command: a whole number of kVA, or nil and the usage exit code.
function M.kva(self, text)
  local n = text and text:match("^%d%d?%d?$") and tonumber(text)
  if not n or n == 0 then return nil, self:usage("--kva takes a power in kVA, a whole number like 9") end
  return n
end

--- The --hc of a command as a list of ranges (nil when not given).
function M.hc(text)
  if not text then return nil end
  local ranges = {}
  for r in text:gmatch("[^,]+") do ranges[#ranges + 1] = r end
  return ranges
end

--- The tariff of --cre FILE --kva N [--hc]: the table, and the tariff as checked | nil, exit code
-- (8 when the file cannot be read, 2 naming the file, line and column of what does not parse).
-- `base_ignores_hc`: --hc applies to the other files only (compare's one --hc for several).
function M.read_cre(self, path, kva, hc, base_ignores_hc)
  local text, code = read_file(self, "the CRE file", path)
  if not text then return nil, code end
  if base_ignores_hc and cre.option(text) == "base" then hc = nil end
  local tariff, err = cre.tariff(text, kva, { hc = hc })
  if not tariff then
    return nil, self:usage("the CRE file %s%s", path,
      err.line and " " .. err.message or i18n.t(": %s", err.message))
  end
  local checked, cerr = tariffs.check(tariff)
  if not checked then return nil, self:usage("the CRE file %s%s", path, i18n.t(": %s", cerr.message)) end
  return tariff, checked
end

-- The colours of --colours FILE (a header `date,colour`, then one row a date) | nil, exit code.
function M.read_colours(self, path)
  local text, code = read_file(self, "the colours", path)
  if not text then return nil, code end
  local colours, lines, n = {}, {}, 0
  local function bad(message, ...)
    return nil, self:usage("the colours %s line %d %s", path, n, i18n.t(message, ...))
  end
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    line = line:gsub("\r$", "")
    if n == 1 then
      if line:lower():gsub("%s", "") ~= "date,colour" then return bad("must be the header date,colour") end
    elseif line:match("%S") then
      local date, colour = line:match("^%s*(%d%d%d%d%-%d%d%-%d%d)%s*,%s*(%a+)%s*$")
      if not date then return bad("must be YYYY-MM-DD,colour") end
      if not dates.day(date) then return bad("names no date: %s", date) end
      colour = colour:lower()
      if not tariffs.COLOURS[colour] then return bad("must give the colour blue, white or red") end
      if lines[date] then
        return bad("gives %s a second colour (line %d gave one)", date, lines[date])
      end
      colours[date], lines[date] = colour, n
    end
  end
  return colours
end

-- The rows of the priced result per day or month: rows of exact sums (`linky.cost.row`).
local function periods(c, by)
  if by == "day" then return c.days end
  local out, index = {}, {}
  for _, d in ipairs(c.days) do
    local key = d.date:sub(1, 7)
    local row = index[key]
    if not row then
      row = tariffs.row(key)
      index[key] = row
      out[#out + 1] = row
    end
    tariffs.add_row(row, d)
  end
  return out
end

local function class_names(tariff)
  local names = {}
  for i, cl in ipairs(tariff.classes) do names[i] = cl.name end
  return names
end

local NONE = { ws = 0, cost = tariffs.row().energy } -- a class without energy in a row

-- The figures of the rows and of the total, column by column, each column rounded by largest
-- remainder so that its rows add up to its total as shown: { rows = { [i] = cells }, total = cells },
-- cells = { kwh =, energy =, subscription =, total =, classes = { [name] = { kwh =, cost = } } }.
local function figures(c, rows, names)
  local out = { rows = {}, total = { classes = {} } }
  for i = 1, #rows do out.rows[i] = { classes = {} } end
  local function column(key, get, shown, class)
    local list = {}
    for i, r in ipairs(rows) do list[i] = get(r) end
    local cells, total = shown(list, get(c))
    for i, cell in ipairs(cells) do
      local t = class and out.rows[i].classes[class] or out.rows[i]
      t[key] = cell
    end
    local t = class and out.total.classes[class] or out.total
    t[key] = total
  end
  column("kwh", function(r) return r.ws end, tariffs.kwh_column)
  for _, n in ipairs(names) do
    out.total.classes[n] = {}
    for i = 1, #rows do out.rows[i].classes[n] = {} end
    column("kwh", function(r) return (r.classes[n] or NONE).ws end, tariffs.kwh_column, n)
    column("cost", function(r) return (r.classes[n] or NONE).cost end, tariffs.money_column, n)
  end
  column("energy", function(r) return r.energy end, tariffs.money_column)
  column("subscription", function(r) return r.subscription end, tariffs.money_column)
  column("total", tariffs.total, tariffs.money_column)
  return out
end

local function render_table(c, rows, names)
  local f = figures(c, rows, names)
  -- padded by display width: the French headers have accented letters
  local head = { ("%s %10s"):format(common.pad_right(i18n.t("period"), 10), "kWh") }
  for _, n in ipairs(names) do head[#head + 1] = common.pad_left(i18n.t("%s kWh / cost", n), 22) end
  head[#head + 1] = common.pad_left(i18n.t("subscription"), 13) .. " " .. common.pad_left(i18n.t("total"), 9)
  local lines = { table.concat(head, " ") }
  local function line(label, x)
    local cells = { ("%s %10s"):format(common.pad_right(label, 10), x.kwh) }
    for _, n in ipairs(names) do
      cells[#cells + 1] = ("%22s"):format(x.classes[n].kwh .. " / " .. x.classes[n].cost)
    end
    cells[#cells + 1] = ("%13s %9s"):format(x.subscription, x.total)
    lines[#lines + 1] = table.concat(cells, " ")
  end
  for i, r in ipairs(rows) do line(r.date, f.rows[i]) end
  line(i18n.t("total"), f.total)
  return table.concat(lines, "\n") .. "\n"
end

local function render_csv(c, rows, names)
  local f = figures(c, rows, names)
  local head = { "period", "kwh" }
  for _, n in ipairs(names) do head[#head + 1] = n .. "_kwh"; head[#head + 1] = n .. "_cost" end
  head[#head + 1] = "energy"; head[#head + 1] = "subscription"; head[#head + 1] = "total"
  local lines = { table.concat(head, ",") }
  local function line(label, x)
    local cells = { label, x.kwh }
    for _, n in ipairs(names) do
      cells[#cells + 1] = x.classes[n].kwh
      cells[#cells + 1] = x.classes[n].cost
    end
    cells[#cells + 1] = x.energy; cells[#cells + 1] = x.subscription; cells[#cells + 1] = x.total
    lines[#lines + 1] = table.concat(cells, ",")
  end
  for i, r in ipairs(rows) do line(r.date, f.rows[i]) end
  line("total", f.total)
  return table.concat(lines, "\n") .. "\n"
end

local KEYS = { "tariff", "start", "end", "by", "total", "energy", "subscription", "kwh", "unpriced_kwh",
               "partial",
               "missing_colours", "classes", "periods", "days", "gaps", "date", "cost" }

-- An exact amount as a JSON number of 7 decimals (dkjson writes what __tojson returns).
local DECIMAL = { __tojson = function(self) return tariffs.format_decimal(self) end }
local function decimal(a) return setmetatable({ u = a.u, r = a.r }, DECIMAL) end
M.decimal = decimal

-- A row of exact sums as JSON: kWh as Lua numbers, money with 7 decimals.
local function json_row(row)
  local n = tariffs.numbers(row)
  local classes = {}
  for name, cl in pairs(row.classes) do
    classes[name] = { kwh = n.classes[name].kwh, cost = decimal(cl.cost) }
  end
  return { date = row.date, kwh = n.kwh, energy = decimal(row.energy),
           subscription = decimal(row.subscription),
           total = decimal(tariffs.total(row)), classes = classes, unpriced_kwh = n.unpriced_kwh }
end

-- The library's result fields (`linky.cost`), with the periods of --by, in a stable key order.
local function render_json(c, rows, tariff, res, by)
  local function list(xs)
    local out = {}
    for i, x in ipairs(xs) do out[i] = json_row(x) end
    return out
  end
  local n = json_row(c)
  local out = { tariff = tariff.name, start = res.start, ["end"] = res["end"], by = by, total = n.total,
                energy = n.energy, subscription = n.subscription, kwh = n.kwh, classes = n.classes,
                days = list(c.days), gaps = c.gaps, partial = c.partial, missing_colours = c.missing_colours,
                unpriced_kwh = n.unpriced_kwh or 0 }
  if by == "month" then out.periods = list(rows) end
  return dkjson.encode(out, { indent = true, keyorder = KEYS }) .. "\n"
end

--- Runs `linky cost`.
-- @tparam table self the command context
-- @treturn integer the exit code
function M.run(self)
  local a = self.args
  if a.format and not FORMATS[a.format] then return self:usage("--format is table, csv, json or influx") end
  if a.by and not BY[a.by] then return self:usage("--by is day or month") end
  if a.format == "influx" and a.by == "month" then
    return self:usage("--format influx writes a line per day and class: not with --by month")
  end
  if (a.tariff == nil) == (a.cre == nil) then
    return self:usage("cost needs --tariff FILE.json or --cre FILE.csv --kva N")
  end
  if (a.kva or a.hc) and not a.cre then return self:usage("--kva and --hc go with --cre") end
  local code = data.check_fetch_options(self)
  if code then return code end
  local tariff, checked
  if a.cre then
    local kva
    kva, code = M.kva(self, a.kva)
    if not kva then return code end
    tariff, checked = M.read_cre(self, a.cre, kva, M.hc(a.hc))
  else
    tariff, checked = M.read_tariff(self, a.tariff)
  end
  if not tariff then return checked end
  local file = a.tariff or a.cre
  if a.daily and (checked.by_hours or checked.by_colour) then
    return self:usage("--daily prices daily values: the tariff's classes must depend on neither hours"
      .. " nor colours")
  end
  local colours
  if a.colours then
    colours, code = M.read_colours(self, a.colours)
    if not colours then return code end
  end
  local first, stop = data.range(a, self.today)
  if not first then return self:usage(stop) end
  local d1, d2 = dates.day(first), dates.day(stop)
  if d1 and d2 and d1 < d2 then -- a bad range is the fetch's to name
    local ok, rerr = tariffs.check_range(checked, first, stop, colours)
    if not ok then
      local with = colours and i18n.t(" with the colours %s", a.colours) or ""
      return self:usage("the tariff %s%s: %s", file, with, rerr.message)
    end
  end
  local colour_err
  if checked.by_colour and not colours then
    local got, err_or_code = tempo.tariff_colours(self, checked, first, stop, a.offline or a.dry_run)
    if got then colours, colour_err = got, err_or_code elseif err_or_code then return err_or_code end
  end
  local kind = a.daily and "daily_consumption" or "consumption_load_curve"
  local shown, capped
  shown, capped, code = data.fetch_to_price(self, kind, first, stop)
  if not shown then return code end
  local c, cerr = tariffs.price(shown, tariff, { colours = colours })
  if not c then return self:error(cerr) end
  local by = a.by or "day"
  local rows, names = periods(c, by), class_names(tariff)
  local fmt = a.format or "table"
  local text
  if fmt == "csv" then text = render_csv(c, rows, names)
  elseif fmt == "json" then text = render_json(c, rows, tariff, shown, by)
  elseif fmt == "influx" then text = format.influx_cost(c, tariff, shown.prm)
  else text = render_table(c, rows, names) end
  local written = self:write(text)
  data.warn_missing(self, shown)
  if colour_err then self:warn("Tempo colours: %s", (tostring(colour_err):gsub("^linky: ", ""))) end
  if c.partial then
    local n = #c.missing_colours
    self:warn("%s %s: %s kWh not priced, the cost is partial; get the colours with `linky tempo`, or give"
      .. " them with --colours FILE",
      i18n.n(n, "no Tempo colour for the tariff day", "no Tempo colour for the tariff days"),
      n > 10 and (table.concat(c.missing_colours, ", ", 1, 10) .. ", ...")
        or table.concat(c.missing_colours, ", "),
      tariffs.format_kwh(c.unpriced))
  end
  if capped then data.capped_warning(self, kind, first, capped) end
  return written and 0 or output.FILE
end

return M
