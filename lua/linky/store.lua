--- The local store of readings in the state file, and the status of every day it was asked.
-- A reading is keyed by (prm, kind, time), whichever API generation fetched it. A day is
-- `complete` (every point its step implies, no null), `incomplete` (points missing or null) or
-- `missing` (answered 404, or absent from a 200); today and later days are never complete.
-- A complete day is never asked again; the others are asked again at most once an hour until
-- they are 7 days old, then they are settled (asked again only with `refresh`). `BEST` never
-- gives way to `BRUT`.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.store
local core = require "linky.core"
local dates = require "linky.dates"
local db_ = require "linky.db"

local M = {}

--- Seconds an incomplete or missing day is held before it is asked again.
M.HOLD = 3600
--- Age in days after which an incomplete or missing day is settled.
M.SETTLE_DAYS = 7

-- Paris midnight of a day, as an epoch.
local function midnight(day)
  return core.to_epoch(dates.format(day) .. " 00:00:00")
end

-- Whether the load-curve points of one day (time order, no null) chain from its midnight to
-- the next one, each interval starting where the previous one ended: the whole day, once.
local function covers_day(points, day)
  local at, stop = midnight(day), midnight(day + 1)
  for _, p in ipairs(points) do
    if not p.step or p.time - p.step ~= at then return false end
    at = p.time
  end
  return at == stop
end

--- The status of each day of [first, stop) that a 200 brought points for.
-- @tparam table points the decoded points, in time order
-- @tparam boolean curve whether stamps end intervals
-- @tparam integer first first day of the request
-- @tparam integer stop day after its last one
-- @tparam integer today the client's day today (that day and later are never complete)
-- @tparam boolean collect whether to build the second result (only a stored call needs it)
-- @treturn table day -> "complete" | "incomplete"; days without any point are absent (missing)
-- @treturn table the points to store (with a value, inside the range), each with `day`;
-- empty unless `collect`
function M.day_statuses(points, curve, first, stop, today, collect)
  local by_day, nulls, keep = {}, {}, {}
  for _, p in ipairs(points) do
    local day = dates.point_day(p.time, curve)
    if day >= first and day < stop then
      if p.value == nil then
        nulls[day] = true
        by_day[day] = by_day[day] or {}
      else
        local list = by_day[day] or {}
        by_day[day] = list
        list[#list + 1] = p
        if collect then
          keep[#keep + 1] = { day = day, time = p.time, date = p.date, value = p.value, step = p.step,
                              nature = p.nature }
        end
      end
    end
  end
  local statuses = {}
  for day, list in pairs(by_day) do
    local whole = #list > 0 and not nulls[day] and day < today and (not curve or covers_day(list, day))
    statuses[day] = whole and "complete" or "incomplete"
  end
  return statuses, keep
end

--- What the store knows of the days of [first, stop) for (prm, kind):
-- day -> `{ status =, quality =, fetched =, settled =, reason = }` (`reason`: why a settled
-- day has no data, "before_activation" or "beyond_history", as the server said).
-- @treturn table|nil
-- @treturn table a `state_unavailable` error
function M.known(db, prm, kind, first, stop)
  local rows, _, msg = db:rows("SELECT day, status, quality, fetched, settled, reason FROM days" ..
    " WHERE prm = ? AND kind = ? AND day >= ? AND day < ?", prm, kind, first, stop)
  if not rows then return db_.failed(db, msg) end
  local out = {}
  for _, r in ipairs(rows) do
    out[r.day] = { status = r.status, quality = r.quality, fetched = r.fetched, settled = r.settled == 1,
                   reason = r.reason }
  end
  return out
end

--- The newest complete stored day of (prm, kind).
-- @treturn integer|nil the day (nil when none)
-- @treturn table|nil a `state_unavailable` error
function M.newest_complete(db, prm, kind)
  local rows, _, msg = db:rows("SELECT max(day) AS day FROM days" ..
    " WHERE prm = ? AND kind = ? AND status = 'complete'", prm, kind)
  if not rows then return db_.failed(db, msg) end
  return rows[1] and rows[1].day or nil
end

--- Whether a day that is not complete is settled: marked so, or older than `SETTLE_DAYS`.
-- @tparam integer day the day
-- @tparam table|nil k what `known` says of it
-- @tparam integer today the client's day today
-- @treturn boolean
function M.settled(day, k, today)
  return k ~= nil and k.status ~= "complete" and (k.settled or day < today - M.SETTLE_DAYS)
end

--- Whether a call asks for a day: never when complete; otherwise when never asked, or with
-- `refresh`, or when neither settled nor asked within the last `HOLD` seconds.
-- @treturn boolean
-- @treturn number|nil when the hold of a held day ends
function M.wanted(day, k, today, now, refresh)
  if not k then return true end
  if k.status == "complete" then return false end
  if refresh then return true end
  if M.settled(day, k, today) then return false end
  if math.abs(now - k.fetched) < M.HOLD then return false, k.fetched + M.HOLD end
  return true
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

local PUT_READING = "INSERT INTO readings" ..
  " (prm, kind, quality, fetched, day, time, date, value, step, nature)" ..
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (prm, kind, time) DO UPDATE SET" ..
  " day = excluded.day, date = excluded.date, value = excluded.value, step = excluded.step," ..
  " nature = excluded.nature, quality = excluded.quality, fetched = excluded.fetched" ..
  " WHERE (readings.quality IS NOT 'BEST' OR excluded.quality = 'BEST')" ..
  -- a reading answered again unchanged keeps its row: `fetched` is when its value last changed
  " AND (readings.value IS NOT excluded.value OR readings.step IS NOT excluded.step" ..
  " OR readings.quality IS NOT excluded.quality OR readings.date IS NOT excluded.date" ..
  " OR readings.nature IS NOT excluded.nature OR readings.day IS NOT excluded.day)"
-- A complete day takes only a complete answer, and a BEST one only a BEST answer; any other
-- day takes the latest status. A complete day answered again with the same quality and no
-- reading changed (above: none written now) keeps its row, so that its `fetched` is when its
-- data last changed, which `linky.publish` reads (a complete day has no hold to time).
local PUT_DAY = "INSERT INTO days (prm, kind, fetched, settled, day, status, quality, reason)" ..
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)" ..
  " ON CONFLICT (prm, kind, day) DO UPDATE SET quality = excluded.quality, fetched = excluded.fetched," ..
  " settled = excluded.settled, reason = excluded.reason, status = excluded.status" ..
  " WHERE (days.status IS NOT 'complete' OR (excluded.status = 'complete'" ..
  " AND (days.quality IS NOT 'BEST' OR excluded.quality = 'BEST')))" ..
  " AND NOT (days.status = 'complete' AND excluded.status = 'complete'" ..
  " AND days.quality IS excluded.quality AND NOT EXISTS (SELECT 1 FROM readings r" ..
  " WHERE r.prm = excluded.prm AND r.kind = excluded.kind AND r.day = excluded.day" ..
  " AND r.fetched = excluded.fetched))"
local READING_FIELDS = { "day", "time", "date", "value", "step", "nature" }
local DAY_FIELDS = { "day", "status", "quality", "reason" }

--- Stores the readings of one answer and the status of each day it covered.
-- @param db the `linky.SQLite`
-- @tparam string prm the meter
-- @tparam string kind linky's kind name
-- @tparam string|nil quality the response's quality (nil for days without data)
-- @tparam number now epoch seconds, kept as `fetched`
-- @tparam table statuses day -> "complete" | "incomplete" | "missing"
-- @tparam table keep the points to store, from `day_statuses`
-- @tparam[opt] string reason mark these days settled, for this reason ("before_activation",
-- "beyond_history": the server refused them)
-- @treturn true|nil
-- @treturn table a `state_unavailable` error
function M.put(db, prm, kind, quality, now, statuses, keep, reason)
  local days = {}
  for day, status in pairs(statuses) do
    local q = status ~= "missing" and (quality or "BRUT") or nil
    days[#days + 1] = { day = day, status = status, quality = q, reason = reason }
  end
  return db_.transaction(db, function()
    local ok, msg, _ = true, nil, nil -- _: the kind, state_unavailable
    if #keep > 0 then
      ok, _, msg = db:run_many(PUT_READING, { prm, kind, quality or "BRUT", now }, keep, READING_FIELDS)
    end
    if ok then
      ok, _, msg = db:run_many(PUT_DAY, { prm, kind, now, reason and 1 or 0 }, days, DAY_FIELDS)
    end
    if not ok then return nil, msg end
    return true
  end)
end

local function point_of(r)
  return { date = r.date, time = r.time, value = r.value, step = r.step, nature = r.nature }
end

--- The stored points of some days of [first, stop), in time order.
-- @param db the `linky.SQLite`
-- @tparam string prm the meter
-- @tparam string kind linky's kind name
-- @tparam table covered the days to load (day -> any true value)
-- @tparam integer first first day
-- @tparam integer stop day after the last one
-- @tparam[opt] boolean with_classes also load the time classes of an index kind
-- @treturn table|nil points `{ date =, time =, value = [, step =, nature =] }`
-- @treturn table the qualities of those points (`BRUT`/`BEST` -> true), or a `state_unavailable` error
-- @treturn table|nil with `with_classes`: label -> points
function M.load(db, prm, kind, covered, first, stop, with_classes)
  local points, qualities, classes = {}, {}, with_classes and {} or nil
  for _, run in ipairs(M.runs(function(day) return covered[day] ~= nil end, first, stop)) do
    local rows, _, msg = db:rows("SELECT time, date, value, step, nature, quality FROM readings" ..
      " WHERE prm = ? AND kind = ? AND day >= ? AND day < ? ORDER BY time", prm, kind, run[1], run[2])
    if not rows then return db_.failed(db, msg) end
    for _, r in ipairs(rows) do
      points[#points + 1] = point_of(r)
      qualities[r.quality or "BRUT"] = true
    end
    if classes then
      rows, _, msg = db:rows("SELECT kind, time, date, value FROM readings" ..
        " WHERE prm = ? AND kind > ? AND kind < ? AND day >= ? AND day < ? ORDER BY time",
        prm, M.class_kind(kind, ""), kind .. "0", run[1], run[2])
      if not rows then return db_.failed(db, msg) end
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

--- What the store holds, per PRM and kind (time classes aside): the first and last day asked,
-- the newest complete day, and how many days between the first and last are not complete
-- (incomplete, missing or never asked).
-- @treturn table|nil `{ { prm =, kind =, first =, last =, last_complete =, complete =,
-- not_complete = }, ... }` (`last_complete` nil when no day is complete)
-- @treturn table a `state_unavailable` error
function M.summary(db)
  local rows, _, msg = db:rows("SELECT prm, kind, min(day) AS first, max(day) AS last," ..
    " max(CASE WHEN status = 'complete' THEN day END) AS last_complete," ..
    " sum(status = 'complete') AS complete FROM days WHERE kind NOT LIKE '%/%'" ..
    " GROUP BY prm, kind ORDER BY prm, kind")
  if not rows then return db_.failed(db, msg) end
  for _, r in ipairs(rows) do r.not_complete = r.last - r.first + 1 - r.complete end
  return rows
end

--- The kinds (time classes aside) and PRMs the store holds days of.
-- @tparam[opt] string prm only this meter's
-- @treturn table|nil `{ { prm =, kind = }, ... }`, ordered by PRM and kind
-- @treturn table a `state_unavailable` error
function M.stored(db, prm)
  local rows, _, msg = db:rows("SELECT DISTINCT prm, kind FROM days WHERE kind NOT LIKE '%/%'" ..
    " AND (?1 IS NULL OR prm = ?1) ORDER BY prm, kind", prm)
  if not rows then return db_.failed(db, msg) end
  return rows
end

--- The days of (prm, kind) whose `fetched` is after `after` (every day with nil), in day order:
-- the days new or changed since then. A day's `fetched` moves each time an answer changes it
-- (a new status, a correction, a new or changed reading) and, for a day not complete, each
-- time it is asked (its hold counts from there).
-- @tparam[opt] number after a `fetched` time
-- @treturn table|nil `{ { day =, status =, fetched = }, ... }`
-- @treturn table a `state_unavailable` error
function M.changed(db, prm, kind, after)
  local rows, _, msg = db:rows("SELECT day, status, fetched FROM days WHERE prm = ? AND kind = ?" ..
    " AND (?3 IS NULL OR fetched > ?3) ORDER BY day", prm, kind, after)
  if not rows then return db_.failed(db, msg) end
  return rows
end

--- When `update` last asked the stored `BRUT` days again for corrections (client's clock), and
-- the first day of the hole it left partly healed.
-- @treturn number|nil the time (0 when never)
-- @treturn table|integer|nil the first day of the hole (nil when none), or a `state_unavailable` error
function M.checked(db, prm, kind)
  local rows, _, msg = db:rows("SELECT checked, heal_from FROM corrections WHERE prm = ? AND kind = ?",
    prm, kind)
  if not rows then return db_.failed(db, msg) end
  return rows[1] and rows[1].checked or 0, rows[1] and rows[1].heal_from or nil
end

--- Records where the next `update` resumes healing a hole (nil: no hole left).
-- @treturn true|nil
-- @treturn table a `state_unavailable` error
function M.set_heal_from(db, prm, kind, day)
  return db_.write(db, "INSERT INTO corrections (prm, kind, checked, heal_from) VALUES (?, ?, 0, ?)" ..
    " ON CONFLICT (prm, kind) DO UPDATE SET heal_from = excluded.heal_from", prm, kind, day)
end

--- Records a correction check.
-- @treturn true|nil
-- @treturn table a `state_unavailable` error
function M.set_checked(db, prm, kind, now)
  return db_.write(db, "INSERT INTO corrections (prm, kind, checked) VALUES (?, ?, ?)" ..
    " ON CONFLICT (prm, kind) DO UPDATE SET checked = excluded.checked", prm, kind, now)
end

return M
