--- The chart renderer: bars per day or period; for load curves, a line of half-hour cells per day.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.format.chart
local analysis = require "linky.analysis"
local common = require "linky.format.common"
local core = require "linky.core"
local i18n = require "linky.cli.i18n"

local group, pad_left, pad_right, round = common.group, common.pad_left, common.pad_right, common.round

local M = {}

local SHADES = { "░", "▒", "▓", "█" }

-- Load curves: one line per Paris day, 48 half-hour cells shaded by mean power; a missing day
-- is a line of empty cells saying "no data", an incomplete one says "partial".
-- The half-hour slots of each Paris day of a load curve: day -> { sum =, weight =, max =,
-- empty =, partial = } (time-weighted sums per slot), and the days in order.
local function half_hours(res, cov)
  local days, order = {}, {}
  local function day_entry(day)
    local d = days[day]
    if not d then
      d = { sum = {}, weight = {} }
      days[day] = d
      order[#order + 1] = day
    end
    return d
  end
  for _, p in ipairs(res.points) do
    local t = p.time - (p.step or 0)
    local local_t = t + core.paris_offset(t)
    local d = day_entry(math.floor(local_t / 86400))
    if p.value ~= nil then
      local slot = math.floor(local_t % 86400 / 1800)
      local w = p.step or 1800
      d.sum[slot] = (d.sum[slot] or 0) + p.value * w
      d.weight[slot] = (d.weight[slot] or 0) + w
      d.max = math.max(d.max or p.value, p.value)
    end
  end
  for day, status in pairs(cov and cov.status or {}) do
    if status == "missing" and not days[day] then day_entry(day).empty = true end
    if status == "incomplete" then day_entry(day).partial = true end
  end
  table.sort(order)
  return days, order
end

-- A day's 48 cells, each shaded by its mean power against the chart's `max`.
local function cells_of(d, max)
  local cells = {}
  for slot = 0, 47 do
    local w = d.weight[slot]
    if not w then cells[#cells + 1] = " "
    else
      local mean = d.sum[slot] / w
      if mean <= 0 then cells[#cells + 1] = "·"
      else cells[#cells + 1] = SHADES[math.min(4, math.max(1, math.ceil(mean / max * 4)))] end
    end
  end
  return table.concat(cells)
end

-- Appends the peak/off-peak split of --offpeak and the total: true | nil, an error.
local function offpeak_lines(lines, v, opts, c, covered)
  local split, err = analysis.split_offpeak(v.res, opts.offpeak)
  if not split then return nil, err end
  local total = analysis.total_wh(v.res) -- exact, rounded once: the values are checked already
  local function share(x) return total > 0 and round(x / total * 100) or 0 end
  local ranges = table.concat(opts.offpeak, ", ")
  local a, b = group(split.peak), group(split.offpeak)
  local w = math.max(#a, #b, #group(total))
  lines[#lines + 1] = ""
  local names = { i18n.t("peak"), i18n.t("off-peak"), i18n.t("total") }
  local wn = math.max(9, common.width(names[1]), common.width(names[2]), common.width(names[3]))
  lines[#lines + 1] = ("%s %s Wh  %3d %%  %s"):format(pad_right(names[1], wn), pad_left(a, w),
    share(split.peak), c.dim(i18n.t("outside %s", ranges)))
  lines[#lines + 1] = ("%s %s Wh  %3d %%  %s"):format(pad_right(names[2], wn), pad_left(b, w),
    share(split.offpeak), c.dim(ranges))
  lines[#lines + 1] = ("%s %s Wh"):format(pad_right(names[3], wn), pad_left(group(total), w))
    .. (covered and ("  " .. c.dim(covered)) or "")
  return true
end

local function curve_chart(v, opts, c)
  local cov = common.coverage(v.res)
  local days, order = half_hours(v.res, cov)
  local max = 0
  for _, d in pairs(days) do max = math.max(max, d.max or 0) end
  local lines = { c.bold(common.title(v)), "" }
  local axis = {}
  for h = 0, 23, 3 do axis[#axis + 1] = ("%02d"):format(h) .. (" "):rep(4) end
  local lw = #"2026-04-01 Wed"
  lines[#lines + 1] = (" "):rep(lw + 2) .. c.dim(table.concat(axis))
  local energy_of = {}
  local per_day, why = analysis.aggregate(v.res, "day") -- unknown energy: "-" each day, and a note
  for _, d in ipairs(per_day or {}) do energy_of[d.start] = d.value end
  local energies, we = {}, 0
  for i, day in ipairs(order) do
    energies[i] = group(energy_of[core.date_of_day(day)])
    we = math.max(we, #energies[i])
  end
  for i, day in ipairs(order) do
    local d = days[day]
    local date = core.date_of_day(day)
    local head = ("%s %s │%s│ "):format(date, common.weekday(date), c.bar(cells_of(d, max)))
    if d.empty then
      lines[#lines + 1] = head .. c.dim(common.mark("missing"))
    else
      lines[#lines + 1] = head .. ("%s Wh   max %s W"):format(pad_left(energies[i], we), group(d.max))
        .. (d.partial and ("   " .. c.dim(common.mark("incomplete"))) or "")
    end
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = c.dim(i18n.t(
    "one cell = 30 min of mean power: ░ up to %s W, ▒ %s W, ▓ %s W, █ %s W; · zero", group(round(max / 4)),
    group(round(max / 2)), group(round(max * 3 / 4)), group(max)))
  if not per_day then lines[#lines + 1] = c.dim(why.message) end
  local covered = common.coverage_note(cov)
  if opts.offpeak then
    local ok, err = offpeak_lines(lines, v, opts, c, covered)
    if not ok then return nil, err end
  elseif covered then
    lines[#lines + 1] = c.dim(i18n.t("data: %s", covered))
  end
  return (table.concat(lines, "\n"):gsub(" +\n", "\n")) .. "\n"
end

--- A chart: bars per day (or per period), or for load curves one line per day of half-hour
-- cells shaded by power. Each missing or incomplete day of the result's range is marked at its
-- place ("no data", "partial"), a period lacking days says how many it has, and the total says
-- how many days it covers ("4 of 7 days, 1 partial") when some lack.
-- @tparam table v a view
-- @tparam table opts `color`, `offpeak`, `bar` (cells, default 50)
-- @treturn string|nil
-- @treturn table the analysis error of the off-peak split
function M.chart(v, opts)
  opts = opts or {}
  local c = common.painter(opts.color)
  if v.curve then return curve_chart(v, opts, c) end
  if v.index then -- index readings only grow: chart what each day adds
    local changes = {}
    for i = 2, #v.rows do
      local a, b = v.rows[i - 1].value, v.rows[i].value
      changes[#changes + 1] = { date = v.rows[i].date, value = a and b and b - a or nil }
    end
    v = setmetatable({ rows = changes, index = false, summable = true }, { __index = v })
  end
  local st = common.stats(v.rows)
  local cov = common.coverage(v.res)
  local entries = common.marked(v, v.rows, cov)
  local lines = { c.bold(common.title(v)), "" }
  local labels, values, wl, wv = {}, {}, 0, 0
  for i, r in ipairs(v.rows) do
    labels[i], values[i] = common.label(v, r.date), group(r.value)
    wl, wv = math.max(wl, common.width(labels[i])), math.max(wv, #values[i])
  end
  for _, e in ipairs(entries) do
    if e.label then wl = math.max(wl, common.width(e.label)) end
  end
  local cells, unit = opts.bar or 50, v.unit or ""
  for _, s in ipairs(v.summable and { group(st.total) } or {}) do wv = math.max(wv, #s) end
  for _, e in ipairs(entries) do
    local i = e.row
    if i then
      local b = common.bar(v.rows[i].value, st.max, cells)
      lines[#lines + 1] = ("%s │%s │ %s %s"):format(pad_right(labels[i], wl), c.bar(pad_right(b, cells)),
        pad_left(values[i], wv), unit) .. (e.note and ("  " .. c.dim(e.note)) or "")
    else -- a marked row: the mark where the bar would be, no value
      lines[#lines + 1] = ("%s │%s │"):format(pad_right(e.label, wl), c.dim(pad_right(" " .. e.note, cells)))
    end
  end
  if #entries == 0 then lines[#lines + 1] = c.dim(i18n.t("(no data)")) end
  local covered = common.coverage_note(cov)
  local summary = {}
  if v.summable then summary[1] = { i18n.t("total"), group(st.total) } end
  if st.mean then summary[#summary + 1] = { i18n.t("mean"), group(st.mean) } end
  for _, s in ipairs(summary) do
    lines[#lines + 1] = ("%s  %s   %s %s"):format(pad_right("", wl), pad_left(s[1], cells),
      pad_left(s[2], wv), unit) .. (covered and ("  " .. c.dim(covered)) or "")
    covered = nil
  end
  if covered then lines[#lines + 1] = c.dim(i18n.t("data: %s", covered)) end
  return table.concat(lines, "\n") .. "\n"
end

return M
