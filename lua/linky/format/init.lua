--- Renders results for people and programs: table, CSV, JSON and chart.
-- Used by the `linky` command; each renderer takes a view (see `view`) and returns text.
-- The renderers live in `linky.format.table`, `.csv`, `.json` and `.chart`, what they share
-- in `linky.format.common`; this module gathers them.
-- @module linky.format
local analysis = require "linky.analysis"
local common = require "linky.format.common"
local kinds = require "linky.kinds"

local M = {
  weekday = common.weekday,
  group = common.group,
  bar = common.bar,
  title = common.title,
  table = require("linky.format.table").table,
  csv = require("linky.format.csv").csv,
  json = require("linky.format.json").json,
  chart = require("linky.format.chart").chart,
}

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

return M
