--- JSON lines of a result: one object per point (or per period with `by`) and per line, for
-- programs that read a stream (Telegraf, Vector, jq, a Home Assistant `command_line` sensor).
-- @module linky.format.jsonl
local analysis = require "linky.analysis"
local common = require "linky.format.common"
local core = require "linky.core"
local json = require "linky.format.json"

local M = {}

local POINT_KEYS = { "prm", "kind", "date", "time", "value", "unit", "step", "day_status" }
local PERIOD_KEYS = { "prm", "kind", "start", "time", "value", "unit", "count" }

--- The status of the Paris day of each point of a result: `"incomplete"` when the result's
-- gaps say so (points missing or null, or today), else `"complete"`.
-- @tparam table res a result
-- @treturn function of a point: `"complete"` or `"incomplete"`
function M.day_status(res)
  local cov = common.coverage(res)
  local status = cov and cov.status or {}
  local curve = analysis.is_load_curve(res)
  return function(p)
    -- load-curve stamps end their interval: the second before is in the point's day
    local day = core.paris_day(curve and p.time - 1 or p.time)
    return status[day] and "incomplete" or "complete"
  end
end

--- JSON lines of a result: per point `{"prm", "kind", "date", "time", "value", "unit",
-- "step", "day_status"}` (`step` for load curves only, a missing value `null`, `day_status`
-- `"complete"` or `"incomplete"`); with `opts.by`, per period of `linky.aggregate`
-- `{"prm", "kind", "start", "time", "value", "unit", "count"}` (load curves in Wh).
-- `time` is in Unix seconds (a load-curve point's is the end of its interval, as Enedis dates
-- it); an empty result gives the empty string.
-- @tparam table res a result
-- @tparam[opt] table opts `by`: `"hour"`, `"day"`, `"week"` or `"month"`
-- @treturn string|nil the lines, each ending in `\n`
-- @treturn table an `invalid_argument` error of the analysis helpers
function M.jsonl(res, opts)
  local by = opts and opts.by
  local lines = {}
  if by then
    local rows, err = analysis.aggregate(res, by)
    if not rows then return nil, err end
    local unit = analysis.is_load_curve(res) and "Wh" or res.unit
    for i, r in ipairs(rows) do
      lines[i] = json.line({ prm = res.prm, kind = res.kind, start = r.start, time = r.time,
        value = r.value == nil and json.null or r.value, unit = unit, count = r.count }, PERIOD_KEYS)
    end
  else
    local status_of = M.day_status(res)
    for i, p in ipairs(res.points) do
      lines[i] = json.line({ prm = res.prm, kind = res.kind, date = p.date, time = p.time,
        value = p.value == nil and json.null or p.value, unit = res.unit, step = p.step,
        day_status = status_of(p) }, POINT_KEYS)
    end
  end
  return #lines > 0 and table.concat(lines, "\n") .. "\n" or ""
end

return M
