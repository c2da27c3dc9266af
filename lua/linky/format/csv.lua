--- The CSV renderer: one line per point or period, RFC 4180 quoting, LF line ends.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.format.csv
local common = require "linky.format.common"

local num = common.num

local M = {}

local function field(s)
  s = s == nil and "" or tostring(s)
  if s:find('[,"\r\n]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end

--- CSV with a header: `date,value,unit` (+ `step` for load curves, + `energy_wh` with energy;
-- `date,value,unit,count,min,max` per period), then for points and hours a last column `time`:
-- the instant of the row in Unix seconds, as JSON gives it (a load-curve point's is the end of
-- its interval), so that the repeated hour of the autumn DST night names two instants.
-- RFC 4180 quoting, LF line ends. A missing day has no line: the rows are the result's.
-- @tparam table v a view
-- @treturn string
function M.csv(v)
  local cols = { "date", "value", "unit" }
  if v.by then
    cols[4], cols[5], cols[6] = "count", "min", "max"
  elseif v.curve then
    cols[4] = "step"
    if v.rows[1] and v.rows[1].energy ~= nil then cols[5] = "energy_wh" end
  end
  local timed = not v.by or v.by == "hour"
  if timed then cols[#cols + 1] = "time" end
  local out = { table.concat(cols, ",") }
  for _, r in ipairs(v.rows) do
    local f = { field(r.date), field(num(r.value)), field(v.unit) }
    if v.by then
      f[4], f[5], f[6] = num(r.count), num(r.min), num(r.max)
    elseif v.curve then
      f[4] = num(r.step)
      if cols[5] == "energy_wh" then f[5] = num(r.energy) end
    end
    if timed then f[#cols] = num(r.time) end
    out[#out + 1] = table.concat(f, ",")
  end
  return table.concat(out, "\n") .. "\n"
end

return M
