--- The regulator's files: a CRE open-data file of the regulated tariffs (Tarif Bleu, TRVE:
-- `Option_Base.csv`, `Option_HPHC.csv`, `Option_Tempo.csv`, published on data.gouv.fr) turned
-- into a linky tariff (docs/costs.md) holding every dated period of one subscribed power.
--
-- The format: `;` separated, a header naming the columns (the option is recognised from it, not
-- from the file's name), `DD/MM/YYYY` dates, `DATE_FIN` inclusive and empty on the current row,
-- decimal commas, `P_SOUSCRITE` in kVA, the fixed part in EUR per year, the variable parts in EUR
-- per kWh, each HT and TTC: the TTC columns are used. A row whose used price cells are all empty
-- is "not offered" and skipped. The file is hostile input: at most 1 MiB and 64 columns, every
-- date and number checked, a gap or an overlap between two rows of the power an error naming both
-- lines. Hand-written: a `;` file without quoting is a split per line, and the checks are the
-- point (no Debian-packaged Lua CSV library reports a line and a column).
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cre
local analysis = require "linky.analysis"
local core = require "linky.core"
local cost = require "linky.cost"
local dates = require "linky.dates"
local errors = require "linky.errors"

local M = {}

--- The largest file read (the rule of `linky cost`'s tariff and colours files).
M.MAX_BYTES = 1024 * 1024
local MAX_COLUMNS = 64
local MAX_FIXED, MAX_PRICE = 12000, 10 -- EUR per year, EUR per kWh (linky.cost's bounds)

--- The Tempo off-peak hours, the default of a Tempo file.
M.TEMPO_HC = { "22:00-06:00" }

local TEMPO = {
  { "blue_hc", "PART_VARIABLE_HCBleu_TTC", "blue", true }, { "blue_hp", "PART_VARIABLE_HPBleu_TTC", "blue" },
  { "white_hc", "PART_VARIABLE_HCBlanc_TTC", "white", true },
  { "white_hp", "PART_VARIABLE_HPBlanc_TTC", "white" },
  { "red_hc", "PART_VARIABLE_HCRouge_TTC", "red", true }, { "red_hp", "PART_VARIABLE_HPRouge_TTC", "red" },
}
-- Per option: its name and its classes { name, column, colour, off-peak }, in the tariff's order.
local OPTIONS = {
  tempo = { name = "Tempo", classes = TEMPO },
  hphc = { name = "Heures creuses", classes = { { "hc", "PART_VARIABLE_HC_TTC", nil, true },
                                                { "hp", "PART_VARIABLE_HP_TTC" } } },
  base = { name = "Base", classes = { { "base", "PART_VARIABLE_TTC" } } },
}
local REQUIRED = { "DATE_DEBUT", "DATE_FIN", "P_SOUSCRITE", "PART_FIXE_TTC" }

local function fail(line, column, field, message, extra)
  local where = ("line %d"):format(line)
  if column then where = where .. (" column %d%s"):format(column, field and (" (" .. field .. ")") or "") end
  local e = extra or {}
  e.line, e.column, e.field = line, column, field
  return nil, errors.new("invalid_argument", where .. ": " .. message, e)
end

-- A cell shown in a message: short and printable.
local function shown(cell)
  return ("%q"):format(errors.valid_utf8(cell:sub(1, 24)))
end

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function split(line)
  local cells = {}
  for cell in (line .. ";"):gmatch("([^;]*);") do
    cells[#cells + 1] = trim(cell)
    if #cells > MAX_COLUMNS then return nil end
  end
  return cells
end

-- The option a header names (its columns decide, not the file's name) and each column's index.
local function read_header(cells)
  if not cells then return fail(1, nil, nil, ("more than %d columns"):format(MAX_COLUMNS)) end
  local index = {}
  for i, name in ipairs(cells) do
    if name == "" then return fail(1, i, nil, "a column without a name") end
    if index[name] then return fail(1, i, name, "a column named twice") end
    index[name] = i
  end
  for _, name in ipairs(REQUIRED) do
    if not index[name] then
      return fail(1, nil, nil, ("the header has no column %s: not a CRE tariff file"):format(name))
    end
  end
  for _, key in ipairs { "tempo", "hphc", "base" } do
    local all = true
    for _, c in ipairs(OPTIONS[key].classes) do all = all and index[c[2]] ~= nil end
    if all then return key, index end
  end
  return fail(1, nil, nil, "the header names no option's prices (PART_VARIABLE_TTC for Base,"
    .. " PART_VARIABLE_HC_TTC and _HP_TTC for HP/HC, PART_VARIABLE_HCBleu_TTC... for Tempo)")
end

-- "DD/MM/YYYY" -> day number, or nil.
local function parse_date(cell)
  local d, m, y = cell:match("^(%d%d)/(%d%d)/(%d%d%d%d)$")
  if not d or tonumber(y) < 1900 then return nil end
  return core.day_number(("%s-%s-%s"):format(y, m, d))
end

-- A decimal-comma number -> its decimal string with a point, or nil and why.
local function parse_number(cell, max)
  if not cell:match("^%d+,?%d*$") or #cell > 20 then return nil, "syntax" end
  local text = cell:gsub(",", ".")
  local n, why = cost.decimal(text, 6, max)
  if not n then return nil, why end
  return text:gsub("%.$", "")
end

local WHY = { syntax = "is not a number like 0,1952", places = "has more than 6 decimals",
              range = "is out of bounds" }

-- A row of the file, checked: { line =, from =, to = (nil: current), kva =, fixed =, prices = } or
-- { offered = false } for a row whose price cells are all empty.
local function read_row(n, cells, index, option, header)
  if #cells ~= #header then
    return fail(n, math.min(#cells, #header) + 1, nil,
      ("%d cells where the header has %d"):format(#cells, #header))
  end
  local function col(name) return cells[index[name]], index[name], name end
  local row = { line = n }
  local cell, i, name = col("DATE_DEBUT")
  row.from = parse_date(cell)
  if not row.from then return fail(n, i, name, ("%s is not a date DD/MM/YYYY"):format(shown(cell))) end
  cell, i, name = col("DATE_FIN")
  if cell ~= "" then
    row.to = parse_date(cell)
    if not row.to then return fail(n, i, name, ("%s is not a date DD/MM/YYYY"):format(shown(cell))) end
    if row.to < row.from then return fail(n, i, name, "ends before DATE_DEBUT") end
  end
  cell, i, name = col("P_SOUSCRITE")
  row.kva = cell:match("^%d%d?%d?$") and tonumber(cell)
  if not row.kva or row.kva == 0 then
    return fail(n, i, name, ("%s is not a power in kVA"):format(shown(cell)))
  end
  -- every price column must hold a number or nothing; the TTC ones used must be all or none
  for j, h in ipairs(header) do
    if h:match("^PART_") and cells[j] ~= "" then
      local ok, why = parse_number(cells[j], h:match("FIXE") and MAX_FIXED or MAX_PRICE)
      if not ok then return fail(n, j, h, ("%s %s"):format(shown(cells[j]), WHY[why])) end
    end
  end
  local used = { { "fixed", "PART_FIXE_TTC" } }
  for _, c in ipairs(OPTIONS[option].classes) do used[#used + 1] = { c[1], c[2] } end
  local empty, given = nil, nil
  for _, u in ipairs(used) do
    if col(u[2]) == "" then empty = empty or u[2] else given = given or u[2] end
  end
  if not given then
    row.offered = false
    return row
  end
  if empty then return fail(n, index[empty], empty, ("is empty while %s is given"):format(given)) end
  row.fixed = parse_number(col("PART_FIXE_TTC"), MAX_FIXED)
  row.prices = {}
  for k = 2, #used do row.prices[used[k][1]] = parse_number(col(used[k][2]), MAX_PRICE) end
  return row
end

-- The rows of one power, checked for gaps and overlaps: sorted, each starting the day after the
-- previous one ends.
local function chain(rows)
  table.sort(rows, function(a, b)
    if a.from ~= b.from then return a.from < b.from end
    return a.line < b.line
  end)
  for k = 2, #rows do
    local a, b = rows[k - 1], rows[k]
    if not a.to or b.from <= a.to then
      return fail(b.line, nil, nil, ("overlaps line %d: it starts on %s, line %d ends %s"):format(a.line,
        dates.format(b.from), a.line, a.to and ("on " .. dates.format(a.to)) or "never (current)"),
        { other_line = a.line })
    end
    if b.from > a.to + 1 then
      return fail(b.line, nil, nil, ("a gap after line %d: it ends on %s, this line starts on %s")
        :format(a.line, dates.format(a.to), dates.format(b.from)), { other_line = a.line })
    end
  end
  return rows
end

local function power_list(set)
  local list = {}
  for kva in pairs(set) do list[#list + 1] = kva end
  table.sort(list)
  return list
end

-- The tariff of checked, chained rows.
local function build(option, kva, rows, hc)
  local spec = OPTIONS[option]
  local classes = {}
  for i, c in ipairs(spec.classes) do
    classes[i] = { name = c[1], colour = c[3], hours = c[4] and hc or nil }
  end
  local periods = {}
  for i, r in ipairs(rows) do
    periods[i] = { from = dates.format(r.from), subscription_year = r.fixed, prices = r.prices }
  end
  local last = rows[#rows]
  return {
    name = ("%s %d kVA (CRE, TTC)"):format(spec.name, kva),
    source = "CRE open data, regulated tariffs (Tarif Bleu) Option_" .. ({ base = "Base", hphc = "HPHC",
      tempo = "Tempo" })[option] .. ".csv: TTC columns (taxes included), fixed part per year",
    option = option,
    day_starts = option == "tempo" and "06:00" or nil,
    ends = last.to and dates.format(last.to) or nil,
    periods = periods,
    classes = classes,
  }
end

-- The off-peak hours of an option: --hc for HP/HC (required), 22:00-06:00 by default for Tempo,
-- none for Base.
local function hours(option, hc)
  if option == "base" then
    if hc ~= nil then
      return nil, errors.new("invalid_argument", "off-peak hours (--hc) do not apply to a Base file")
    end
    return nil
  end
  if hc == nil then
    if option == "tempo" then return M.TEMPO_HC end
    return nil, errors.new("invalid_argument", "an HP/HC file needs its off-peak hours"
      .. " (--hc HH:MM-HH:MM[,...]): they are in the contract, not in the file")
  end
  local ok, err = analysis.parse_ranges(hc)
  if not ok then return nil, errors.new("invalid_argument", "--hc: " .. err.message) end
  return hc
end

--- Reads a CRE file's header: which option it holds.
-- @tparam string text the file's bytes
-- @treturn string|nil `"base"`, `"hphc"` or `"tempo"`
-- @treturn table an `invalid_argument` error with `line` and `column`
function M.option(text)
  if type(text) ~= "string" then error("bad argument #1 to 'option' (string expected)", 2) end
  if #text > M.MAX_BYTES then return nil, errors.new("invalid_argument", "larger than 1 MiB") end
  local first = text:match("^([^\n]*)") or ""
  local option, index = read_header(split((first:gsub("\r$", ""):gsub("^\239\187\191", ""))))
  if not option then return nil, index end
  return option
end

--- Turns a CRE file into a linky tariff of one power: every dated period, from the first row on.
-- @tparam string text the file's bytes (a UTF-8 BOM and CRLF line ends accepted)
-- @tparam integer kva the subscribed power
-- @tparam[opt] table opts `hc`: the off-peak ranges `{ "HH:MM-HH:MM", ... }` (required for HP/HC,
-- 22:00-06:00 by default for Tempo, refused for Base)
-- @treturn table|nil the tariff (`linky.cost`'s structure, prices as decimal strings, `ends` the
-- last row's `DATE_FIN` when it has one)
-- @treturn table an `invalid_argument` error: `line`, `column` and `field` for what does not parse,
-- `other_line` for a gap or an overlap, `powers` (the powers offered) for a power absent
function M.tariff(text, kva, opts)
  if type(text) ~= "string" then error("bad argument #1 to 'tariff' (string expected)", 2) end
  if #text > M.MAX_BYTES then return nil, errors.new("invalid_argument", "larger than 1 MiB") end
  opts = opts or {}
  text = text:gsub("^\239\187\191", "")
  local option, index, header
  local rows, offered, n = {}, {}, 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    line = line:gsub("\r$", "")
    if n == 1 then
      header = split(line)
      option, index = read_header(header)
      if not option then return nil, index end
    elseif line:match("%S") then
      local cells = split(line)
      if not cells then return fail(n, MAX_COLUMNS + 1, nil, ("more than %d columns"):format(MAX_COLUMNS)) end
      local row, err = read_row(n, cells, index, option, header)
      if not row then return nil, err end
      if row.offered ~= false then
        offered[row.kva] = true
        if row.kva == kva then rows[#rows + 1] = row end
      end
    end
  end
  local hc, herr = hours(option, opts.hc)
  if herr then return nil, herr end
  if type(kva) ~= "number" or not rows[1] then
    local list = power_list(offered)
    return nil, errors.new("invalid_argument", ("%s kVA is not offered in this file: it has %s")
      :format(tostring(kva), list[1] and (table.concat(list, ", ") .. " kVA") or "no offered row"),
      { powers = list })
  end
  local ok, err = chain(rows)
  if not ok then return nil, err end
  return build(option, kva, rows, hc)
end

return M
