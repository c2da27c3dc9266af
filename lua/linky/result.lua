--- Building one result from the results of consecutive sub-ranges.
-- @module linky.result

local M = {}

local function by_time(a, b) return a.time < b.time end

--- Appends `src` points to `dst`, keeping time order and one point per time.
-- Sub-ranges do not overlap, so the fast path is a plain append.
function M.append_points(dst, src)
  local n, ordered = #dst, true
  for i = 1, #src do
    local p = src[i]
    if n > 0 and p.time <= dst[n].time then ordered = false end
    n = n + 1
    dst[n] = p
  end
  if ordered then return dst end
  table.sort(dst, by_time)
  local out, last = {}, nil
  for _, p in ipairs(dst) do
    if p.time ~= last then out[#out + 1] = p; last = p.time end
  end
  for i = 1, math.max(#dst, #out) do dst[i] = out[i] end
  return dst
end

--- The quality of two parts together: the same one, or "MIXED".
function M.merge_quality(a, b)
  if a == nil or a == b then return b end
  if b == nil then return a end
  return "MIXED"
end

-- Named sub-lists (`series`, `classes`) merge name by name.
local function merge_named(dst, src, points_of)
  for name, part in pairs(src) do
    local have = dst[name]
    if have == nil then dst[name] = part
    else M.append_points(points_of(have), points_of(part)) end
  end
end

local function series_points(s) return s.points end
local function class_points(c) return c end

--- Adds one decoded sub-range into the call's result.
-- @tparam table acc the result built so far
-- @tparam table part what `linky.core.decode` returned for one response
function M.add(acc, part)
  acc.unit = acc.unit or part.unit
  acc.quality = M.merge_quality(acc.quality, part.quality)
  M.append_points(acc.points, part.points)
  if part.series then
    acc.series = acc.series or {}
    merge_named(acc.series, part.series, series_points)
  end
  if part.classes then
    acc.classes = acc.classes or {}
    merge_named(acc.classes, part.classes, class_points)
  end
end

return M
