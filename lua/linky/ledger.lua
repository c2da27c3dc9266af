--- The request ledger: which request may be sent (the rolling budget), the ban and cool-down
-- memory, and the budget report. No clock frees the budget on its own word: a ledger row
-- counts while the client's clock says it is recent, or while the time since boot (a witness
-- no change of the wall clock moves) says so; rows are pruned by insertion order, never by
-- time. Every function returns its value, or nil and an error object.
-- One ledger per service: Conso API's (`"conso"`, the functions of this module) and one per
-- Tempo colour source (`of(source)`: the same functions, their rows and holds apart).
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.ledger
local core = require "linky.core"
local db_ = require "linky.db"
local errors = require "linky.errors"

local M = {}

--- Seconds of cool-down after a 429 without `nextAccessTime`, or a 500.
M.COOLDOWN = 15 * 60
--- The longest cool-down, whatever `nextAccessTime` says.
M.MAX_COOLDOWN = 24 * 3600
--- The ledger keeps at least this many of its newest rows (more when a budget is larger).
M.KEEP_ROWS = 1000
--- A connection prunes a source's rows at its first admission and then once in this many: the
-- prune walks the `KEEP_ROWS` newest rows, which cost more than the rest of an admission.
M.PRUNE_EVERY = 64
--- The source of Conso API's rows and holds.
M.CONSO = "conso"

local function stamp(t)
  return os.date("!%Y-%m-%d %H:%M:%SZ", math.floor(t))
end

local boot_id -- read once: it names this boot of the machine
local function current_boot()
  if boot_id == nil then
    local f = io.open("/proc/sys/kernel/random/boot_id", "rb")
    local id = f and f:read("*l")
    if f then f:close() end
    boot_id = id and id:match("^[%x-]+$") or false
  end
  return boot_id or nil
end

--- The default witness of real time: this boot's id and the seconds since boot, or nothing
-- where the system cannot tell (then only the client's clock counts).
-- @treturn table `{ boot =, mono = }`
function M.witness()
  local boot, mono = current_boot(), core.boottime()
  if not (boot and mono) then return {} end
  return { boot = boot, mono = mono }
end

-- When a row or hold stamped at (time, boot, mono) stops counting, `span` seconds after it,
-- as an epoch of the client's clock: the later of what the clock and the witness say.
local function ends(row, span, now, w)
  local at = row.time + span
  if w.boot and row.boot == w.boot and row.mono then
    at = math.max(at, now + (row.mono + span - w.mono))
  end
  return at
end

-- The ledger rows that count at `now`: stamped within `window` by the clock (later than now
-- included) or by the witness. Each row gets `frees`, when it stops counting.
local COUNTED = "SELECT time, boot, mono FROM requests WHERE source = ?4 AND time > ?1" ..
  " UNION ALL SELECT time, boot, mono FROM requests" ..
  " WHERE source = ?4 AND boot = ?2 AND mono > ?3 AND time <= ?1"

local function counted(db, now, window, w, source)
  local rows, _, msg = db:rows(COUNTED, now - window, w.boot or "", (w.mono or 0) - window, source or M.CONSO)
  if not rows then return nil, msg end
  for _, r in ipairs(rows) do r.frees = ends(r, window, now, w) end
  table.sort(rows, function(a, b) return a.frees < b.frees end)
  return rows
end

-- When the budget has room again: the moment enough counted rows have stopped counting.
local function budget_retry_at(rows, requests)
  if #rows < requests then return nil end
  return rows[#rows - requests + 1].frees
end

-- The holds rows each database last read, per source, and the data version they were read
-- at: an admission reads them again only when another connection committed since (SQLite's
-- PRAGMA data_version, which this connection's own commits leave as it is) or this module wrote
-- a hold (`note`, `clear_ban`: they empty it). Nothing else writes holds.
local read_holds = setmetatable({}, { __mode = "k" })

-- Empties the cache of every database (a hold is about to be written).
local function forget_holds()
  for db in pairs(read_holds) do read_holds[db] = nil end
end

local HOLDS = "SELECT * FROM holds WHERE source = ? ORDER BY name"

-- The holds rows of a source, read again unless `cached` and nobody can have changed them.
local function holds_rows(db, source, cached)
  if not cached then return db:rows(HOLDS, source) end
  local version, _, msg = db:data_version()
  if not version then return nil, _, msg end
  local seen = read_holds[db]
  if not seen or seen.version ~= version then
    seen = { version = version }
    read_holds[db] = seen
  end
  local rows = seen[source]
  if not rows then
    rows, _, msg = db:rows(HOLDS, source)
    if not rows then return nil, _, msg end
    seen[source] = rows
  end
  return rows
end

-- The ban and the cool-down that hold now, the ban first: errors to return at once,
-- or nil and a message. `cached`: inside a write transaction, where the data version tells
-- whether another connection wrote since.
local function holds(db, now, w, source, cached)
  local rows, _, msg = holds_rows(db, source or M.CONSO, cached)
  if not rows then return nil, msg end
  local out = {}
  for _, h in ipairs(rows) do
    local fields = { from_state = true, status = h.status, api_message = h.message }
    if h.name == "ban" then -- permanent until cleared: no retry_at
      fields.banned_since = h.since
      out[#out + 1] = errors.new(h.kind, "this IP address was banned by the service (remembered): "
        .. errors.BAN_ENDS, fields)
    else
      -- a cool-down lasts its length by the clock (unless the clock went back more than the
      -- cap: it would keep it alive too long) or by the witness
      local length, until_at = h.expires - h.since, nil
      if now < h.expires and now >= h.since - M.MAX_COOLDOWN then until_at = h.expires end
      if w.boot and h.boot == w.boot and h.mono and w.mono < h.mono + length then
        until_at = math.max(until_at or now, now + (h.mono + length - w.mono))
      end
      if until_at then
        fields.retry_at = until_at
        out[#out + 1] = errors.new(h.kind, ("cool-down after %s until %s: nothing is sent before")
          :format(h.kind, stamp(until_at)), fields)
      end
    end
  end
  return out
end

-- The budget refusal of a call that must leave `reserve` slots free: nil | the error.
local function refusal(rows, budget, reserve)
  reserve = reserve or 0
  local room = budget.requests - reserve
  if room > 0 and #rows < room then return nil end
  local retry_at = room > 0 and budget_retry_at(rows, room) or nil -- nil: the reserve is all of it
  if reserve > 0 then
    return errors.new("budget_exhausted", ("the budget leaves nothing past the reserve of %d requests;"
      .. " %s"):format(reserve, retry_at and "the next slot past it frees at " .. stamp(retry_at)
        or "the reserve is the whole budget"),
      { retry_at = retry_at, reserve = reserve })
  end
  return errors.new("budget_exhausted", ("%d requests in %g s already; next one at %s")
    :format(budget.requests, budget.window, stamp(retry_at)), { retry_at = retry_at })
end

-- Admissions per connection and source since its last prune (weak: a closed one goes).
local unpruned = setmetatable({}, { __mode = "k" })

-- Whether this admission prunes: the first of the connection for the source, then one in
-- PRUNE_EVERY.
local function prunes(db, source)
  local per = unpruned[db]
  if not per then
    per = {}
    unpruned[db] = per
  end
  local n = per[source]
  if n and n < M.PRUNE_EVERY - 1 then
    per[source] = n + 1
    return false
  end
  per[source] = 0
  return true
end

--- Admits one request: checks the ban and cool-down memory, then the rolling budget (less
-- `reserve` slots that must stay free for others: daily updates), and records the request.
-- @param db the `linky.SQLite`
-- @tparam number now epoch seconds of the client's clock
-- @tparam table|false budget `{ requests =, window = }`, or false for no limit
-- @tparam string request `"GET /api/..."` for the ledger
-- @tparam table w the witness of real time, `{ boot =, mono = }` (see `witness`)
-- @tparam[opt] integer reserve slots of the budget this request must leave free
-- @tparam[opt="conso"] string source the service's ledger
-- @treturn integer|nil the ledger row of the admitted request (for `refund`)
-- @treturn table the error: `banned`/`rate_limited`/`server_error` with `from_state`,
-- `budget_exhausted` with `retry_at`, or `state_unavailable`
function M.admit(db, now, budget, request, w, reserve, source)
  source = source or M.CONSO
  return db_.transaction(db, function()
    local active, msg = holds(db, now, w, source, true)
    if not active then return nil, msg end
    if active[1] then return nil, active[1] end
    if budget then
      local rows, err = counted(db, now, budget.window, w, source)
      if not rows then return nil, err end
      local refused = refusal(rows, budget, reserve)
      if refused then return nil, refused end
    end
    -- db:insert returns the row's id: RETURNING would cost the insert an ephemeral table, and
    -- `SELECT last_insert_rowid()` a second statement
    local id, _, err = db:insert("INSERT INTO requests (time, request, boot, mono, source)" ..
      " VALUES (?, ?, ?, ?, ?)", now, request, w.boot, w.mono, source)
    if not id then return nil, err end
    if prunes(db, source) then
      local keep = math.max(M.KEEP_ROWS, budget and budget.requests or 0)
      local ok
      ok, _, err = db:rows("DELETE FROM requests WHERE source = ?1 AND id < (SELECT min(id) FROM" ..
        " (SELECT id FROM requests WHERE source = ?1 ORDER BY id DESC LIMIT ?2))", source, keep)
      if not ok then return nil, err end
    end
    return id
  end)
end

--- Gives back the slot of an admitted request that reached no server (in its own transaction).
-- @tparam integer id the row `admit` returned
-- @treturn true|nil
-- @treturn table a `state_unavailable` error
function M.refund(db, id)
  return db_.write(db, "DELETE FROM requests WHERE id = ?", id)
end

local MONTHS = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9, Oct = 10,
                 Nov = 11, Dec = 12 }

--- Epoch seconds of a 429 `nextAccessTime` ("2026-Jul-17 05:00:00+0000 UTC").
-- @treturn number|nil
function M.next_access_epoch(s)
  local y, mon, d, hms, sign, oh, om = (s or "")
    :match("^(%d%d%d%d)%-(%a%a%a)%-(%d%d) (%d%d:%d%d:%d%d)([+-])(%d%d)(%d%d)")
  if not (y and MONTHS[mon]) then return nil end
  return core.to_epoch(("%s-%02d-%sT%s%s%s:%s"):format(y, MONTHS[mon], d, hms, sign, oh, om))
end

--- Remembers what an error answer means for later calls: a ban, or a cool-down after 429/500
-- (any 5xx for another source than Conso API) until `nextAccessTime` when it is later, never
-- more than `MAX_COOLDOWN`. Sets `err.retry_at` for a cool-down; a ban has none: it lasts
-- until cleared.
-- @tparam table w the witness of real time
-- @tparam[opt="conso"] string source the service's ledger
-- @treturn true|nil
-- @treturn table a `state_unavailable` error
function M.note(db, now, err, w, source)
  source = source or M.CONSO
  local status = tonumber(err.status) or 0
  local name, expires
  if err.kind == "banned" and source == M.CONSO then
    name, expires = "ban", now
  elseif status == 429 or status == 500 or (source ~= M.CONSO and status >= 500 and status <= 599) then
    local next_access = M.next_access_epoch(err.next_access_time)
    name, expires = "cooldown", (next_access and next_access > now) and next_access or now + M.COOLDOWN
    expires = math.min(expires, now + M.MAX_COOLDOWN)
  else
    return true
  end
  if name == "cooldown" then err.retry_at = expires end
  -- the hold's name is unique across sources: another source's is prefixed by its name
  if source ~= M.CONSO then name = source .. ":" .. name end
  forget_holds()
  -- a later note replaces the hold but keeps its end when that is later, within the cap
  return db_.write(db, "INSERT INTO holds" ..
    " (name, kind, since, expires, status, message, boot, mono, source)" ..
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?10)" ..
    " ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, since = excluded.since," ..
    " expires = min(max(holds.expires, excluded.expires), excluded.since + ?9)," ..
    " status = excluded.status, message = excluded.message, boot = excluded.boot, mono = excluded.mono",
    name, err.kind, now, expires, err.status, err.api_message, w.boot, w.mono, M.MAX_COOLDOWN, source)
end

--- Forgets a remembered ban.
-- @treturn true|nil
-- @treturn table a `state_unavailable` error
function M.clear_ban(db)
  forget_holds()
  return db_.write(db, "DELETE FROM holds WHERE name = 'ban' AND source = 'conso'")
end

--- The room the budget leaves past a reserve: how many requests may be sent now, and when
-- more may.
-- @tparam table|false budget `{ requests =, window = }`, or false for no limit
-- @tparam table w the witness of real time
-- @tparam integer reserve slots to leave free
-- @tparam[opt="conso"] string source the service's ledger
-- @treturn table|nil `{ left =, at = function(k) }`: `left` requests now (nil: no limit), and
-- `at(k)`, the time from which `k` requests past the reserve are allowed (nil: never, the
-- reserve is the whole budget)
-- @treturn table a `state_unavailable` error
function M.room(db, now, budget, w, reserve, source)
  if not budget then return { at = function() return now end } end
  local rows, msg = counted(db, now, budget.window, w, source)
  if not rows then return db_.failed(db, msg) end
  local room = budget.requests - reserve
  return { left = math.max(0, room - #rows), at = function(k)
    if k > room then return nil end
    local must_free = #rows - (room - k)
    return must_free <= 0 and now or rows[must_free].frees
  end }
end

--- The budget report of `client:budget()`.
-- @tparam table w the witness of real time
-- @tparam[opt="conso"] string source the service's ledger
-- @treturn table|nil `{ used =, limit =, window =, retry_at =, banned_since =, cooldown_until = }`
-- (no `retry_at` while banned: nothing is sent until the ban is cleared)
-- @treturn table a `state_unavailable` error
function M.report(db, now, budget, default_window, w, source)
  local window = budget and budget.window or default_window
  local rows, msg = counted(db, now, window, w, source)
  if not rows then return db_.failed(db, msg) end
  local active
  active, msg = holds(db, now, w, source)
  if not active then return db_.failed(db, msg) end
  local out = { used = #rows, limit = budget and budget.requests or nil, window = window }
  local at = budget and budget_retry_at(rows, budget.requests) or nil
  for _, h in ipairs(active) do
    if h.kind == "banned" then
      out.banned_since = h.banned_since
    else
      out.cooldown_until = h.retry_at
      at = math.max(at or h.retry_at, h.retry_at)
    end
  end
  if not out.banned_since then out.retry_at = at end
  return out
end

--- The ledger of another service: `admit`, `refund`, `note`, `room` and `report` as above,
-- without their `source` argument, on that service's rows and holds alone.
-- @tparam string source the service's name (a Tempo colour source: `"api-couleur-tempo"`, `"rte"`)
-- @treturn table the functions
function M.of(source)
  return {
    admit = function(db, now, budget, request, w, reserve)
      return M.admit(db, now, budget, request, w, reserve, source)
    end,
    refund = M.refund,
    note = function(db, now, err, w) return M.note(db, now, err, w, source) end,
    room = function(db, now, budget, w, reserve) return M.room(db, now, budget, w, reserve, source) end,
    report = function(db, now, budget, window, w) return M.report(db, now, budget, window, w, source) end,
  }
end

return M
