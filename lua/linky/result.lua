--- Building one result from the results of consecutive sub-ranges.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
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

-- Sums of two results' counters (nil when neither has it).
local function sum(a, b)
  if a == nil and b == nil then return nil end
  return (a or 0) + (b or 0)
end

--- The result of two calls over consecutive ranges, `older` ending where `newer` starts (as
-- `update` joins the days it heals to the last 7): points, gaps, counters.
-- @tparam table older the earlier range's result
-- @tparam table newer the later range's result
-- @treturn table `newer`, holding both
function M.join(older, newer)
  local points = older.points
  M.append_points(points, newer.points)
  newer.points = points
  for _, name in ipairs { "series", "classes" } do
    if older[name] then
      local merged = older[name]
      merge_named(merged, newer[name] or {}, name == "series" and series_points or class_points)
      newer[name] = merged
    end
  end
  local gaps, last = {}, nil
  for _, list in ipairs { older.gaps or {}, newer.gaps or {} } do
    for _, g in ipairs(list) do
      if last and last["end"] == g.start and last.reason == g.reason and last.settled == g.settled then
        last["end"] = g["end"]
      else
        last = { start = g.start, ["end"] = g["end"], reason = g.reason, settled = g.settled }
        gaps[#gaps + 1] = last
      end
    end
  end
  newer.gaps = gaps
  newer.start = older.start
  newer.unit = newer.unit or older.unit
  newer.quality = M.merge_quality(older.quality, newer.quality)
  for _, k in ipairs { "requests", "cached", "days_new", "days_corrected" } do
    newer[k] = sum(older[k], newer[k])
  end
  if older.held_until then
    newer.held_until = math.min(newer.held_until or older.held_until, older.held_until)
  end
  return newer
end

return M
