--- The local store of readings in the state file, and which days it covers.
-- A reading is keyed by (prm, kind, time), whichever API generation fetched it; a day is
-- covered once a 200 brought it with values and no null. `BEST` never gives way to `BRUT`.
-- @module linky.store
local dates = require "linky.dates"
local state = require "linky.state"

local M = {}

--- The Paris day a point belongs to: load-curve stamps end their interval.
local function day_of(p, curve)
  return dates.paris_day(curve and p.time - 1 or p.time)
end

--- Splits the days of [first, stop) that a response brought into complete and incomplete.
-- @tparam table points the decoded points
-- @tparam boolean curve whether stamps end intervals
-- @tparam integer first first day of the request
-- @tparam integer stop day after its last one
-- @tparam boolean collect whether to build the second result (only a stored call needs it)
-- @treturn table day -> true for days with values and no null
-- @treturn table the points to store (with a value, inside the range), each with `day`;
-- empty unless `collect`
function M.complete_days(points, curve, first, stop, collect)
  local seen, nulls, keep = {}, {}, {}
  for _, p in ipairs(points) do
    local day = day_of(p, curve)
    if day >= first and day < stop then
      if p.value == nil then
        nulls[day] = true
      else
        seen[day] = true
        if collect then
          keep[#keep + 1] = { day = day, time = p.time, date = p.date, value = p.value, step = p.step,
                              nature = p.nature }
        end
      end
    end
  end
  for day in pairs(nulls) do seen[day] = nil end
  return seen, keep
end

--- Covered days of [first, stop) for (prm, kind): day -> quality.
-- @treturn table|nil
-- @treturn string the SQLite message
function M.covered(db, prm, kind, first, stop)
  local rows, msg = db:rows("SELECT day, quality FROM days" ..
    " WHERE prm = ? AND kind = ? AND day >= ? AND day < ?", prm, kind, first, stop)
  if not rows then return nil, msg end
  local out = {}
  for _, r in ipairs(rows) do out[r.day] = r.quality or "BRUT" end
  return out
end

--- Runs of consecutive days of [first, stop) for which `pick(day)` is true.
-- @treturn {{integer,integer},...} day pairs, end excluded
function M.runs(pick, first, stop)
  local runs, open = {}, nil
  for day = first, stop do
    local inside = day < stop and pick(day)
    if inside and not open then open = day end
    if not inside and open then
      runs[#runs + 1] = { open, day }
      open = nil
    end
  end
  return runs
end

--- Runs of consecutive days of [first, stop) missing from `covered`.
function M.missing_runs(covered, first, stop)
  return M.runs(function(day) return not covered[day] end, first, stop)
end

local PUT_READING = "INSERT INTO readings" ..
  " (prm, kind, quality, fetched, day, time, date, value, step, nature)" ..
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (prm, kind, time) DO UPDATE SET" ..
  " day = excluded.day, date = excluded.date, value = excluded.value, step = excluded.step," ..
  " nature = excluded.nature, quality = excluded.quality, fetched = excluded.fetched" ..
  " WHERE readings.quality IS NOT 'BEST' OR excluded.quality = 'BEST'"
local PUT_DAY = "INSERT INTO days (prm, kind, quality, fetched, day) VALUES (?1, ?2, ?3, ?4, ?5)" ..
  " ON CONFLICT (prm, kind, day) DO UPDATE SET quality = excluded.quality, fetched = excluded.fetched" ..
  " WHERE days.quality IS NOT 'BEST' OR excluded.quality = 'BEST'"
local READING_FIELDS = { "day", "time", "date", "value", "step", "nature" }
local DAY_FIELDS = { "day" }

--- Stores the readings of one 200 and marks its complete days covered.
-- @param db the `linky.State`
-- @tparam string prm the meter
-- @tparam string kind linky's kind name
-- @tparam string quality the response's quality (`BRUT` when nil)
-- @tparam number now epoch seconds, kept as `fetched`
-- @tparam table complete day -> true, from `complete_days`
-- @tparam table keep the points to store, from `complete_days`
-- @treturn true|nil
-- @treturn string the SQLite message
function M.put(db, prm, kind, quality, now, complete, keep)
  local days = {}
  for day in pairs(complete) do days[#days + 1] = { day = day } end
  local fixed = { prm, kind, quality or "BRUT", now }
  return state.transaction(db, function()
    local ok, msg = db:run_many(PUT_READING, fixed, keep, READING_FIELDS)
    if ok then ok, msg = db:run_many(PUT_DAY, fixed, days, DAY_FIELDS) end
    if not ok then return nil, msg end
    return true
  end)
end

local function point_of(r)
  return { date = r.date, time = r.time, value = r.value, step = r.step, nature = r.nature }
end

--- The stored points of the covered days of [first, stop), in time order.
-- @param db the `linky.State`
-- @tparam string prm the meter
-- @tparam string kind linky's kind name
-- @tparam table covered day -> quality, from `covered`
-- @tparam integer first first day
-- @tparam integer stop day after the last one
-- @tparam[opt] boolean with_classes also load the time classes of an index kind
-- @treturn table|nil points `{ date =, time =, value = [, step =, nature =] }`
-- @treturn table|string the qualities of those points (`BRUT`/`BEST` -> true), or the SQLite message
-- @treturn table|nil with `with_classes`: label -> points
function M.load(db, prm, kind, covered, first, stop, with_classes)
  local points, qualities, classes = {}, {}, with_classes and {} or nil
  for _, run in ipairs(M.runs(function(day) return covered[day] ~= nil end, first, stop)) do
    local rows, msg = db:rows("SELECT time, date, value, step, nature, quality FROM readings" ..
      " WHERE prm = ? AND kind = ? AND day >= ? AND day < ? ORDER BY time", prm, kind, run[1], run[2])
    if not rows then return nil, msg end
    for _, r in ipairs(rows) do
      points[#points + 1] = point_of(r)
      qualities[r.quality or "BRUT"] = true
    end
    if classes then
      rows, msg = db:rows("SELECT kind, time, date, value FROM readings" ..
        " WHERE prm = ? AND kind > ? AND kind < ? AND day >= ? AND day < ? ORDER BY time",
        prm, M.class_kind(kind, ""), kind .. "0", run[1], run[2])
      if not rows then return nil, msg end
      for _, r in ipairs(rows) do
        local label = r.kind:sub(#kind + 2)
        classes[label] = classes[label] or {}
        table.insert(classes[label], point_of(r))
      end
    end
  end
  return points, qualities, classes
end

--- The `kind` under which the store keeps one time class of an index kind: `<kind>/<label>`.
-- @tparam string kind linky's kind name
-- @tparam string label the class label
-- @treturn string
function M.class_kind(kind, label)
  return kind .. "/" .. label
end

--- The last covered day of (prm, kind), and the first `BRUT` covered day from `since` on.
-- @treturn integer|nil|false last day (false when nothing is stored; nil on failure)
-- @treturn integer|string|nil first BRUT day, or the SQLite message
function M.span(db, prm, kind, since)
  local rows, msg = db:rows("SELECT max(day) AS last," ..
    " (SELECT min(day) FROM days" ..
    "  WHERE prm = ?1 AND kind = ?2 AND day >= ?3 AND quality IS NOT 'BEST') AS brut" ..
    " FROM days WHERE prm = ?1 AND kind = ?2", prm, kind, since)
  if not rows then return nil, msg end
  return rows[1].last or false, rows[1].brut
end

return M
