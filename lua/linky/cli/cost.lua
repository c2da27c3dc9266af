--- `linky cost`: the consumption load curve (or, with --daily, daily consumption) priced with a
-- tariff file (JSON) and the Tempo colours of a CSV file, per day or month. Like every data
-- command it plans first, is served from the store and warns about missing days.
-- @module linky.cli.cost
local cjson = require "cjson.safe"
local dkjson = require "dkjson"
local linky = require "linky"
local tariffs = require "linky.cost"
local format = require "linky.format"
local data = require "linky.cli.data"
local output = require "linky.cli.output"

local M = {}

local FORMATS = { table = true, csv = true, json = true }
local BY = { day = true, month = true }

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text = f:read("*a")
  f:close()
  return text
end

-- The tariff of --tariff FILE: the table, and the tariff as checked | nil, exit code.
local function read_tariff(self, path)
  local text, err = read_file(path)
  if not text then return nil, self:fail(output.FILE, "cannot read the tariff " .. tostring(err)) end
  local tariff, why = cjson.decode(text)
  if type(tariff) ~= "table" then
    return nil, self:usage(("the tariff %s is not a JSON object%s"):format(path, why and (": " .. why) or ""))
  end
  local checked, terr = tariffs.check(tariff)
  if not checked then return nil, self:usage(terr.message) end
  return tariff, checked
end

-- The colours of --colours FILE (a header `date,colour`, then one row a date) | nil, exit code.
local function read_colours(self, path)
  local text, err = read_file(path)
  if not text then return nil, self:fail(output.FILE, "cannot read the colours " .. tostring(err)) end
  local colours, n = {}, 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    line = line:gsub("\r$", "")
    if n == 1 then
      if line:lower():gsub("%s", "") ~= "date,colour" then
        return nil, self:usage(("%s line 1 must be the header date,colour"):format(path))
      end
    elseif line:match("%S") then
      local date, colour = line:match("^%s*(%d%d%d%d%-%d%d%-%d%d)%s*,%s*(%a+)%s*$")
      if not date then
        return nil, self:usage(("%s line %d must be YYYY-MM-DD,colour"):format(path, n))
      end
      colours[date] = colour:lower()
    end
  end
  return colours
end

local function money(x) return ("%.2f"):format(x) end
local function kwh(x) return ("%.3f"):format(x) end

-- The rows of the priced result per day or month: { period =, kwh =, energy =, subscription =,
-- total =, classes = { [name] = { kwh =, cost = } } }.
local function periods(c, by)
  if by == "day" then return c.days end
  local out, index = {}, {}
  for _, d in ipairs(c.days) do
    local key = d.date:sub(1, 7)
    local row = index[key]
    if not row then
      row = { date = key, kwh = 0, energy = 0, subscription = 0, total = 0, classes = {} }
      index[key] = row
      out[#out + 1] = row
    end
    row.kwh, row.energy = row.kwh + d.kwh, row.energy + d.energy
    row.subscription, row.total = row.subscription + d.subscription, row.total + d.total
    for name, cl in pairs(d.classes) do
      local r = row.classes[name] or { kwh = 0, cost = 0 }
      r.kwh, r.cost = r.kwh + cl.kwh, r.cost + cl.cost
      row.classes[name] = r
    end
  end
  return out
end

local function class_names(tariff)
  local names = {}
  for i, cl in ipairs(tariff.classes) do names[i] = cl.name end
  return names
end

-- The kWh and cost of each class of a row, in the tariff's order, formatted by `cell`.
local function class_cells(r, names, cells, cell)
  for _, n in ipairs(names) do
    local cl = r.classes[n] or { kwh = 0, cost = 0 }
    cell(cells, kwh(cl.kwh), money(cl.cost))
  end
  return cells
end

local function render_table(c, rows, names)
  local head = { ("%-10s %10s"):format("period", "kWh") }
  for _, n in ipairs(names) do head[#head + 1] = ("%22s"):format(n .. " kWh / cost") end
  head[#head + 1] = ("%13s %9s"):format("subscription", "total")
  local lines = { table.concat(head, " ") }
  local function line(label, r)
    local cells = class_cells(r, names, { ("%-10s %10s"):format(label, kwh(r.kwh)) }, function(t, k, m)
      t[#t + 1] = ("%22s"):format(k .. " / " .. m)
    end)
    cells[#cells + 1] = ("%13s %9s"):format(money(r.subscription), money(r.total))
    lines[#lines + 1] = table.concat(cells, " ")
  end
  for _, r in ipairs(rows) do line(r.date, r) end
  line("total", c)
  return table.concat(lines, "\n") .. "\n"
end

local function render_csv(c, rows, names)
  local head = { "period", "kwh" }
  for _, n in ipairs(names) do head[#head + 1] = n .. "_kwh"; head[#head + 1] = n .. "_cost" end
  head[#head + 1] = "energy"; head[#head + 1] = "subscription"; head[#head + 1] = "total"
  local lines = { table.concat(head, ",") }
  local function line(label, r)
    local cells = class_cells(r, names, { label, kwh(r.kwh) }, function(t, k, m)
      t[#t + 1] = k
      t[#t + 1] = m
    end)
    cells[#cells + 1] = money(r.energy); cells[#cells + 1] = money(r.subscription)
    cells[#cells + 1] = money(r.total)
    lines[#lines + 1] = table.concat(cells, ",")
  end
  for _, r in ipairs(rows) do line(r.date, r) end
  line("total", c)
  return table.concat(lines, "\n") .. "\n"
end

local KEYS = { "tariff", "start", "end", "by", "total", "energy", "subscription", "kwh", "classes", "periods",
               "days", "gaps", "date", "cost" }

-- The library's result fields, with the periods of --by, in a stable key order.
local function render_json(c, rows, tariff, res, by)
  local out = { tariff = tariff.name, start = res.start, ["end"] = res["end"], by = by, total = c.total,
                energy = c.energy, subscription = c.subscription, kwh = c.kwh, classes = c.classes,
                days = c.days, gaps = c.gaps }
  if by == "month" then out.periods = rows end
  return dkjson.encode(out, { indent = true, keyorder = KEYS }) .. "\n"
end

--- Runs `linky cost`.
-- @tparam table self the command context
-- @treturn integer the exit code
function M.run(self)
  local a = self.args
  if a.format and not FORMATS[a.format] then return self:usage("--format is table, csv or json") end
  if a.by and not BY[a.by] then return self:usage("--by is day or month") end
  if not a.tariff then return self:usage("cost needs --tariff FILE.json") end
  local code = data.check_fetch_options(self)
  if code then return code end
  local tariff, checked = read_tariff(self, a.tariff)
  if not tariff then return checked end
  if a.daily and (checked.by_hours or checked.by_colour) then
    return self:usage("--daily prices daily values: the tariff's classes must depend on neither hours"
      .. " nor colours")
  end
  local colours
  if a.colours then
    colours, code = read_colours(self, a.colours)
    if not colours then return code end
  end
  local first, stop = data.range(a, self.today)
  if not first then return self:usage(stop) end
  local kind = a.daily and "daily_consumption" or "consumption_load_curve"
  local res, err
  res, err, code = data.fetch(self, kind, first, stop)
  if code then return code end
  local capped = not res and err.kind == "budget_exhausted" and err.planned and self.max_requests
    and err.partial
  local shown = res or capped
  if not shown then return self:error(err) end
  local c, cerr = linky.cost(shown, tariff, { colours = colours })
  if not c then return self:error(cerr) end
  local by = a.by or "day"
  local rows, names = periods(c, by), class_names(tariff)
  local fmt = a.format or "table"
  local text
  if fmt == "csv" then text = render_csv(c, rows, names)
  elseif fmt == "json" then text = render_json(c, rows, tariff, shown, by)
  else text = render_table(c, rows, names) end
  local written = self:write(text)
  local missing = format.missing_warning(shown)
  if missing then self:warn((missing:gsub("^warning: ", ""))) end
  if capped then data.capped_warning(self, kind, first, err) end
  return written and 0 or output.FILE
end

return M
