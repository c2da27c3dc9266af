--- The table renderer: a row per point or period, a bar scaled to the maximum, then the totals.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.format.table
local analysis = require "linky.analysis"
local common = require "linky.format.common"
local i18n = require "linky.cli.i18n"

local group, label, width = common.group, common.label, common.width
local pad_left, pad_right = common.pad_left, common.pad_right

local M = {}

-- The extra column: energy per interval (load curves with --energy), change since the previous
-- reading (index kinds, whose bars then show that change). Its name (nil: none), the value each
-- row's bar shows when not its own (index kinds), and the bars' scale.
local function extra_column(v, st)
  local extra, bar_of, bar_max = nil, {}, st.max
  if v.curve and v.rows[1] ~= nil and v.rows[1].energy ~= nil then
    extra = "energy"
  elseif v.index then
    extra, bar_max = "change", 0
    for i, r in ipairs(v.rows) do
      local prev = v.rows[i - 1]
      r.energy = prev and prev.value and r.value and r.value - prev.value or nil
      bar_of[i] = r.energy
      bar_max = math.max(bar_max, r.energy or 0)
    end
  end
  return extra, bar_of, bar_max
end

-- The totals under the rows, each { name, value, unit, note }, a note when the energy is
-- unknown, and `covered` back unless a total took it (the days the totals cover are said once,
-- on the first total that takes them); or nil and the analysis error of the off-peak split.
local function summary_of(v, st, opts, covered)
  local unit = v.unit or ""
  local summary = {}
  local function add(name, value, u, note)
    summary[#summary + 1] = { name, group(value), u, note }
  end
  local function with(note)
    if not covered then return note end
    local s = note and (note .. ", " .. covered) or covered
    covered = nil
    return s
  end
  local note
  if v.curve then
    local energy, why = analysis.total_wh(v.res) -- exact, rounded once
    if energy then
      add("energy", energy, "Wh", with(("%d intervals"):format(st.count)))
    else
      note = why.message
    end
    if opts.offpeak then
      local split, err = analysis.split_offpeak(v.res, opts.offpeak)
      if not split then return nil, err end
      local ranges = table.concat(opts.offpeak, ", ")
      add("peak", split.peak, "Wh", "outside " .. ranges)
      add("off-peak", split.offpeak, "Wh", ranges)
    end
    if st.mean then add("mean power", st.mean, unit, with()) end
    if st.max then add("max power", st.max, unit, label(v, st.max_row.date)) end
  elseif v.index then
    local first, last = v.rows[1], v.rows[#v.rows]
    if first and first.value and last.value then
      add("change", last.value - first.value, unit,
        with(("from %s to %s"):format(label(v, first.date), label(v, last.date))))
    end
  else
    if v.summable then
      local count = common.plural(st.count, v.by or "day")
      add(i18n.t("total"), st.total, unit, v.by and with(count) or with() or count)
    end
    if st.mean then add(i18n.t("mean"), st.mean, unit, with()) end
    if st.max then add(i18n.t("max"), st.max, unit, label(v, st.max_row.date)) end
  end
  return summary, note, covered
end

--- A table: date, value, unit and a bar scaled to the maximum, then total, mean and max.
-- Each missing or incomplete day of the result's range is a marked row ("no data",
-- "partial") at its place, a period lacking days says how many it has, and the totals say
-- how many days they cover ("4 of 7 days, 1 partial") when some lack.
-- A load curve whose energy is unknown (a point without a step) has no energy line but a note.
-- @tparam table v a view
-- @tparam table opts `color`, `offpeak` (list of ranges), `bar` (cells, default 30)
-- @treturn string|nil
-- @treturn table the analysis error of the off-peak split
function M.table(v, opts)
  opts = opts or {}
  local c = common.painter(opts.color)
  local st = common.stats(v.rows)
  local cov = common.coverage(v.res)
  local entries = common.marked(v, v.rows, cov)
  local extra, bar_of, bar_max = extra_column(v, st)
  local show_energy = extra ~= nil
  local lines, cells = {}, {}
  local h_date, h_value, h_unit = i18n.t("date"), i18n.t("value"), i18n.t("unit")
  local wl, wv, we = width(h_date), width(h_value), #(extra or "")
  for i, r in ipairs(v.rows) do
    local row = { label(v, r.date), group(r.value), show_energy and group(r.energy) or nil }
    cells[i] = row
    wl, wv = math.max(wl, width(row[1])), math.max(wv, #row[2])
    if row[3] then we = math.max(we, #row[3]) end
  end
  for _, e in ipairs(entries) do
    if e.label then wl = math.max(wl, width(e.label)) end
  end
  local unit = v.unit or ""
  local summary, note, covered = summary_of(v, st, opts, common.coverage_note(cov))
  if not summary then return nil, note end
  for _, row in ipairs(summary) do wl, wv = math.max(wl, #row[1]), math.max(wv, #row[2]) end
  local wu = math.max(width(h_unit), #unit, show_energy and 0 or 2)
  lines[1] = c.bold(common.title(v))
  lines[2] = ""
  local head = pad_right(h_date, wl) .. "  " .. pad_left(h_value, wv) .. "  " .. pad_right(h_unit, wu)
  if show_energy then head = head .. "  " .. pad_left(extra, we) .. "    " end
  lines[3] = c.dim(head)
  local bar_cells = opts.bar or 30
  for _, e in ipairs(entries) do
    local i, line = e.row
    if i then
      local row, r = cells[i], v.rows[i]
      line = pad_right(row[1], wl) .. "  " .. pad_left(row[2], wv) .. "  " .. pad_right(unit, wu)
      if show_energy then line = line .. "  " .. pad_left(row[3], we) .. "  Wh" end
      local b = common.bar(r.value, bar_max, bar_cells)
      if v.index then b = common.bar(bar_of[i], bar_max, bar_cells) end
      line = line .. "  " .. c.bar(b) .. (e.note and ((b ~= "" and "  " or "") .. c.dim(e.note)) or "")
    else -- a marked row: no value, the mark where the bar would be
      line = pad_right(e.label, wl) .. "  " .. (" "):rep(wv) .. "  " .. (" "):rep(wu)
        .. (show_energy and (" "):rep(we + 6) or "") .. "  " .. c.dim(e.note)
    end
    lines[#lines + 1] = line
  end
  if #entries == 0 then lines[#lines + 1] = c.dim(i18n.t("(no data)")) end
  lines[#lines + 1] = c.dim(("─"):rep(wl + wv + wu + 4))
  for _, s in ipairs(summary) do
    lines[#lines + 1] = pad_right(s[1], wl) .. "  " .. pad_left(s[2], wv) .. "  " .. pad_right(s[3], wu)
      .. (s[4] and ("  " .. c.dim(s[4])) or "")
  end
  if covered then lines[#lines + 1] = c.dim(i18n.t("data: %s", covered)) end -- no total took it
  if st.missing > 0 then
    lines[#lines + 1] = c.dim(i18n.n(st.missing, "%d value missing", "%d values missing"))
  end
  if note then lines[#lines + 1] = c.dim(note) end
  return (table.concat(lines, "\n"):gsub(" +\n", "\n")) .. "\n"
end

return M
