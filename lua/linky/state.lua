--- The state file: schema and migrations, the request ledger, ban and cool-down memory.
-- One SQLite database (see the README for its schema) shared by every process of a user;
-- every write runs in `BEGIN IMMEDIATE` under a busy timeout.
--
-- No clock frees the budget on its own word: a ledger row counts while the client's clock
-- says it is recent, or while the time since boot (a witness no change of the wall clock
-- moves) says so; rows are pruned by insertion order, never by time.
-- @module linky.state
local core = require "linky.core"
local errors = require "linky.errors"

local M = {}

--- Schema version written to `PRAGMA user_version`.
M.VERSION = 3
--- `PRAGMA application_id` of a linky state file ("LNKY").
M.APPLICATION_ID = 0x4C4E4B59

--- Seconds of cool-down after a 429 without `nextAccessTime`, or a 500.
M.COOLDOWN = 15 * 60
--- The longest cool-down, whatever `nextAccessTime` says.
M.MAX_COOLDOWN = 24 * 3600
--- The ledger keeps at least this many of its newest rows (more when a budget is larger).
M.KEEP_ROWS = 1000

-- MIGRATIONS[v] takes a database at version v - 1 to version v.
local MIGRATIONS = {
  [[
  CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    request TEXT
  );
  CREATE INDEX requests_time ON requests (time);
  CREATE TABLE holds (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    since REAL NOT NULL,
    expires REAL NOT NULL,
    status INTEGER,
    message TEXT
  );
  CREATE TABLE readings (
    prm TEXT NOT NULL,
    kind TEXT NOT NULL,
    time INTEGER NOT NULL,
    day INTEGER NOT NULL,
    date TEXT NOT NULL,
    value INTEGER NOT NULL,
    step INTEGER,
    nature TEXT,
    quality TEXT,
    fetched REAL NOT NULL,
    PRIMARY KEY (prm, kind, time)
  ) WITHOUT ROWID;
  CREATE INDEX readings_day ON readings (prm, kind, day);
  CREATE TABLE days (
    prm TEXT NOT NULL,
    kind TEXT NOT NULL,
    day INTEGER NOT NULL,
    quality TEXT,
    fetched REAL NOT NULL,
    PRIMARY KEY (prm, kind, day)
  ) WITHOUT ROWID;
  ]],
  -- the witness of real time beside each ledger row and hold: the boot it was taken in
  -- and the seconds since that boot
  [[
  ALTER TABLE requests ADD COLUMN boot TEXT;
  ALTER TABLE requests ADD COLUMN mono REAL;
  CREATE INDEX requests_mono ON requests (boot, mono);
  ALTER TABLE holds ADD COLUMN boot TEXT;
  ALTER TABLE holds ADD COLUMN mono REAL;
  ]],
  -- day statuses: complete, incomplete or missing, and settled (asked no more). Version 2
  -- marked a day covered once it had a value and no null: a load-curve day keeps that mark only
  -- if its stored readings still add up to the whole day (each interval's step, 23, 24 or 25 h).
  [[
  ALTER TABLE days ADD COLUMN status TEXT NOT NULL DEFAULT 'complete';
  ALTER TABLE days ADD COLUMN settled INTEGER NOT NULL DEFAULT 0;
  UPDATE days SET status = 'incomplete' WHERE kind LIKE '%load_curve' AND 86400 + 3600 * (
      (strftime('%m-%d', date(day * 86400, 'unixepoch')) BETWEEN '10-25' AND '10-31'
        AND strftime('%w', date(day * 86400, 'unixepoch')) = '0')
    - (strftime('%m-%d', date(day * 86400, 'unixepoch')) BETWEEN '03-25' AND '03-31'
        AND strftime('%w', date(day * 86400, 'unixepoch')) = '0'))
    IS NOT (SELECT sum(step) FROM readings r
            WHERE r.prm = days.prm AND r.kind = days.kind AND r.day = days.day);
  CREATE TABLE corrections (
    prm TEXT NOT NULL,
    kind TEXT NOT NULL,
    checked REAL NOT NULL,
    PRIMARY KEY (prm, kind)
  ) WITHOUT ROWID;
  ]],
}

local function unavailable(path, why)
  return nil, errors.new("state_unavailable", ("state %s: %s"):format(path, why), { state = path })
end

--- The default state path: `$XDG_STATE_HOME/linky/state.sqlite3`, else `~/.local/state/linky/...`.
-- @treturn string|nil the path, or nil when neither variable is set
function M.default_path()
  local base = os.getenv("XDG_STATE_HOME")
  if not base or base:sub(1, 1) ~= "/" then
    local home = os.getenv("HOME")
    if not home or home == "" then return nil end
    base = home .. "/.local/state"
  end
  return base .. "/linky/state.sqlite3"
end

--- Runs `fn(db)` inside `BEGIN IMMEDIATE`; commits unless it returns nil and a reason.
-- A raise inside `fn` rolls back too (no lock outlives a failed call) and becomes the reason,
-- except an interruption (SIGINT in the standalone interpreter), raised again after the rollback.
-- @return what `fn` returned, or nil and the SQLite message (or the raise) when it fails
function M.transaction(db, fn)
  local ok, msg = db:exec("BEGIN IMMEDIATE")
  if not ok then return nil, msg end
  local done, r1, r2 = pcall(fn, db)
  if not done then
    if type(r1) == "string" and r1:find("interrupted!$") then
      db:exec("ROLLBACK")
      error(r1, 0)
    end
    r1, r2 = nil, tostring(r1)
  end
  if r1 == nil and r2 ~= nil then
    db:exec("ROLLBACK")
    return nil, r2
  end
  ok, msg = db:exec("COMMIT")
  if not ok then
    db:exec("ROLLBACK")
    return nil, msg
  end
  return r1, r2
end

local function header(db)
  local rows, msg = db:rows("SELECT (SELECT application_id FROM pragma_application_id) AS app," ..
    " (SELECT user_version FROM pragma_user_version) AS version," ..
    " (SELECT count(*) FROM sqlite_master) AS objects")
  return rows and rows[1], msg
end

-- Creates or upgrades the schema. Refuses databases that are not ours before writing anything.
local function migrate(db)
  local h, msg = header(db)
  if not h then return nil, msg end
  local function ours(x)
    if x.app ~= M.APPLICATION_ID and not (x.app == 0 and x.objects == 0) then
      return nil, "not a linky state file (another application's SQLite database)"
    end
    if math.type(x.version) ~= "integer" or x.version < 0 then
      return nil, "unreadable state schema version " .. tostring(x.version)
    end
    if x.version > M.VERSION then
      return nil, ("state schema version %d is newer than this linky (%d)"):format(x.version, M.VERSION)
    end
    return true
  end
  local ok, why = ours(h)
  if not ok then return nil, why end
  if h.version < M.VERSION then
    ok, why = M.transaction(db, function()
      local now = assert(header(db))
      local fine, no = ours(now)
      if not fine then return nil, no end
      for v = now.version + 1, M.VERSION do
        local done, err = db:exec(MIGRATIONS[v])
        if not done then return nil, err end
      end
      return db:exec(("PRAGMA application_id = %d; PRAGMA user_version = %d")
        :format(M.APPLICATION_ID, M.VERSION))
    end)
    if not ok then return nil, why end
  end
  return true
end

--- Opens (creating if needed) and migrates a state database. A missing file is created with
-- mode 0600 and its missing folders with 0700; a symbolic link at the path is refused.
-- @tparam string|false|nil path the file, false for a private in-memory state, nil for `default_path()`
-- @treturn userdata|nil the `linky.State`
-- @treturn table a `state_unavailable` error
function M.open(path)
  local file = path or ":memory:"
  if path == nil then
    file = M.default_path()
    if not file then return unavailable("(default)", "neither XDG_STATE_HOME nor HOME is set") end
  end
  if path ~= false then
    -- folders 0700 and the file 0600 before SQLite opens it (it would make it 0644 under the
    -- usual umask); SQLite gives -wal and -shm the main file's mode
    local made, why = core.mkdirs(file)
    if made then made, why = core.create_private(file) end
    if not made then return unavailable(file, why) end
  end
  local db, msg = core.open_state(file)
  if not db then return unavailable(file, msg) end
  local ok, why = migrate(db)
  -- WAL with synchronous = NORMAL: commits survive a crash of the process (the
  -- crash-restart loops the ledger is there to stop) without a disk sync each.
  if ok and path ~= false then ok, why = db:exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL") end
  if not ok then
    db:close()
    return unavailable(file, why)
  end
  return db
end

local function stamp(t)
  return os.date("!%Y-%m-%d %H:%M:%SZ", math.floor(t))
end

local boot_id -- read once: it names this boot of the machine
local function current_boot()
  if boot_id == nil then
    local f = io.open("/proc/sys/kernel/random/boot_id", "rb")
    local id = f and f:read("l")
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
local COUNTED = "SELECT time, boot, mono FROM requests WHERE time > ?1" ..
  " UNION ALL SELECT time, boot, mono FROM requests WHERE boot = ?2 AND mono > ?3 AND time <= ?1"

local function counted(db, now, window, w)
  local rows, msg = db:rows(COUNTED, now - window, w.boot or "", (w.mono or 0) - window)
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

-- The ban and the cool-down that hold now, the ban first: errors to return at once,
-- or nil and a message.
local function holds(db, now, w)
  local rows, msg = db:rows("SELECT * FROM holds ORDER BY name")
  if not rows then return nil, msg end
  local out = {}
  for _, h in ipairs(rows) do
    local fields = { from_state = true, status = h.status, api_message = h.message }
    if h.name == "ban" then -- permanent until cleared: no retry_at
      fields.banned_since = h.since
      out[#out + 1] = errors.new(h.kind, "this IP address was banned by the service (remembered):"
        .. " nothing is sent until the ban is cleared (clear_ban, or linky clear-ban)", fields)
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

--- Admits one request: checks the ban and cool-down memory, then the rolling budget,
-- and records the request in the ledger.
-- @param db the `linky.State`
-- @tparam number now epoch seconds of the client's clock
-- @tparam table|false budget `{ requests =, window = }`, or false for no limit
-- @tparam string request `"GET /api/..."` for the ledger
-- @tparam table w the witness of real time, `{ boot =, mono = }` (see `witness`)
-- @treturn integer|nil the ledger row of the admitted request (for `refund`)
-- @treturn table the error: `banned`/`rate_limited`/`server_error` with `from_state`,
-- `budget_exhausted` with `retry_at`, or the SQLite message (string)
function M.admit(db, now, budget, request, w)
  return M.transaction(db, function()
    local active, msg = holds(db, now, w)
    if not active then return nil, msg end
    if active[1] then return false, active[1] end
    if budget then
      local rows, err = counted(db, now, budget.window, w)
      if not rows then return nil, err end
      local retry_at = budget_retry_at(rows, budget.requests)
      if retry_at then
        return false, errors.new("budget_exhausted", ("%d requests in %g s already; next one at %s")
          :format(budget.requests, budget.window, stamp(retry_at)), { retry_at = retry_at })
      end
    end
    local rows, err = db:rows("INSERT INTO requests (time, request, boot, mono) VALUES (?, ?, ?, ?)" ..
      " RETURNING id", now, request, w.boot, w.mono)
    if not rows then return nil, err end
    local id = rows[1].id
    local keep = math.max(M.KEEP_ROWS, budget and budget.requests or 0)
    local ok
    ok, err = db:rows("DELETE FROM requests WHERE id <= ?", id - keep)
    if not ok then return nil, err end
    return id
  end)
end

--- Gives back the slot of an admitted request that reached no server (in its own transaction).
-- @tparam integer id the row `admit` returned
-- @treturn true|nil
-- @treturn string the SQLite message
function M.refund(db, id)
  return M.transaction(db, function() return db:rows("DELETE FROM requests WHERE id = ?", id) end)
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
-- (until `nextAccessTime` when it is later, never more than `MAX_COOLDOWN`).
-- Sets `err.retry_at` for a cool-down; a ban has none: it lasts until cleared.
-- @tparam table w the witness of real time
-- @treturn true|nil
-- @treturn string the SQLite message
function M.note(db, now, err, w)
  local name, expires
  if err.kind == "banned" then
    name, expires = "ban", now
  elseif err.status == 429 or err.status == 500 then
    local next_access = M.next_access_epoch(err.next_access_time)
    name, expires = "cooldown", (next_access and next_access > now) and next_access or now + M.COOLDOWN
    expires = math.min(expires, now + M.MAX_COOLDOWN)
  else
    return true
  end
  if name == "cooldown" then err.retry_at = expires end
  return M.transaction(db, function()
    -- a later note replaces the hold but keeps its end when that is later, within the cap
    return db:rows("INSERT INTO holds (name, kind, since, expires, status, message, boot, mono)" ..
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)" ..
      " ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, since = excluded.since," ..
      " expires = min(max(holds.expires, excluded.expires), excluded.since + ?9)," ..
      " status = excluded.status, message = excluded.message, boot = excluded.boot, mono = excluded.mono",
      name, err.kind, now, expires, err.status, err.api_message, w.boot, w.mono, M.MAX_COOLDOWN)
  end)
end

--- Forgets a remembered ban.
-- @treturn true|nil
-- @treturn string the SQLite message
function M.clear_ban(db)
  return M.transaction(db, function() return db:rows("DELETE FROM holds WHERE name = 'ban'") end)
end

--- The budget report of `client:budget()`.
-- @tparam table w the witness of real time
-- @treturn table|nil `{ used =, limit =, window =, retry_at =, banned_since =, cooldown_until = }`
-- (no `retry_at` while banned: nothing is sent until the ban is cleared)
-- @treturn string the SQLite message
function M.report(db, now, budget, default_window, w)
  local window = budget and budget.window or default_window
  local rows, msg = counted(db, now, window, w)
  if not rows then return nil, msg end
  local active
  active, msg = holds(db, now, w)
  if not active then return nil, msg end
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

return M
