--- Renders results for people and programs: table, CSV, JSON and chart, which take a view (see
-- `view`); JSON lines and InfluxDB line protocol, which take a result (`jsonl`, `influx`, and
-- `influx_cost` for a priced result); a state file's report as JSON or Prometheus text
-- (`status_json`, `prometheus`). Each returns text.
-- The renderers live in `linky.format.table`, `.csv`, `.json`, `.chart`, `.jsonl`, `.influx`
-- and `.status` (those three public), what they share in `linky.format.common`; this module
-- gathers them for the command.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.format
local analysis = require "linky.analysis"
local common = require "linky.format.common"
local core = require "linky.core"
local i18n = require "linky.cli.i18n"
local kinds = require "linky.kinds"
local lazy = require "linky.lazy"

local M = {
  weekday = common.weekday,
  group = common.group,
  bar = common.bar,
  title = common.title,
}

-- The renderers, each loaded when first used (linky.lazy): a command reads only its format's.
lazy.fields(M, {
  table = { "linky.format.table" }, csv = { "linky.format.csv" }, json = { "linky.format.json" },
  chart = { "linky.format.chart" }, jsonl = { "linky.format.jsonl" },
  influx = { "linky.format.influx" }, influx_cost = { "linky.format.influx", "cost" },
  status_json = { "linky.format.status", "json" }, prometheus = { "linky.format.status", "prometheus" },
})

--- A view of a result, ready for a renderer.
-- Load curves stay in watts unless `energy` (then each row also has `energy`, in Wh); with `by`,
-- rows are the totals per period of `linky.aggregate`.
-- @tparam table res a result
-- @tparam table opts `by` (period), `energy` (boolean)
-- @treturn table|nil `{ res =, rows = {{date=, value=, ...}}, unit =, curve =, by =, summable = }`
-- @treturn table an error from the analysis helpers
function M.view(res, opts)
  opts = opts or {}
  local curve = analysis.is_load_curve(res)
  local spec = kinds[res.kind] or {}
  local v = { res = res, curve = curve and not opts.by, by = opts.by, unit = res.unit,
    index = spec.shape == "index" and not opts.by,
    summable = res.unit == "Wh" and spec.shape ~= "index" or curve }
  if opts.by then
    local rows, err = analysis.aggregate(res, opts.by)
    if not rows then return nil, err end
    for _, r in ipairs(rows) do r.date = r.start end
    v.rows = rows
    if curve then v.unit = "Wh" end
    return v
  end
  v.rows = {}
  local wh = {}
  if curve and opts.energy then
    local e, err = analysis.energy(res)
    if not e then return nil, err end
    wh = e.points
  end
  for i, p in ipairs(res.points) do
    v.rows[i] = { date = p.date, time = p.time, value = p.value, step = p.step,
      energy = wh[i] and wh[i].value }
  end
  return v
end

-- At most this many ranges are named; the line says how many more there are.
local MAX_RANGES = 10

--- One line naming the days of a result without (complete) data, for standard error:
-- `warning: 3 of 7 days without data: 2026-04-02 (partial), 2026-04-03 to 2026-04-04 (no data)`.
-- @tparam table res a result (or the partial result of a failed call)
-- @treturn string|nil the line, without a line end; nil when no day of the range lacks
function M.missing_warning(res)
  local cov = common.coverage(res)
  if not cov then return nil end
  local names = {}
  for i, r in ipairs(cov.ranges) do
    if i > MAX_RANGES then
      names[#names + 1] = i18n.t("and %d more", #cov.ranges - MAX_RANGES)
      break
    end
    local span = core.date_of_day(r.first)
    if r.stop - r.first > 1 then span = i18n.t("%s to %s", span, core.date_of_day(r.stop - 1)) end
    names[#names + 1] = ("%s (%s)"):format(span, common.mark(r.reason))
  end
  local lacking = cov.missing + cov.incomplete
  local count = cov.days and i18n.t("%d of %s", lacking, common.plural(cov.days, "day"))
    or common.plural(lacking, "day")
  -- the warning word stays English: the command strips it and writes its own
  return "warning: " .. i18n.t("%s without data: %s", count, table.concat(names, ", "))
end

return M
