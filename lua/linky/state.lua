--- The state file: schema and migrations, the request ledger, ban and cool-down memory.
-- One SQLite database (see the README for its schema) shared by every process of a user;
-- every write runs in `BEGIN IMMEDIATE` under a busy timeout.
-- @module linky.state
local core = require "linky.core"
local errors = require "linky.errors"

local M = {}

--- Schema version written to `PRAGMA user_version`.
M.VERSION = 1
--- `PRAGMA application_id` of a linky state file ("LNKY").
M.APPLICATION_ID = 0x4C4E4B59

--- Seconds a ban is reported to last (`retry_at`); the ban memory itself stays until cleared.
M.BAN_HINT = 24 * 3600
--- Seconds of cool-down after a 429 without `nextAccessTime`, or a 500.
M.COOLDOWN = 15 * 60
--- Ledger rows older than this are deleted.
M.KEEP = 30 * 24 * 3600

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

--- Runs `fn(db)` inside `BEGIN IMMEDIATE`; commits when it returns a true value.
-- @return what `fn` returned, or nil and the SQLite message when the transaction fails
function M.transaction(db, fn)
  local ok, msg = db:exec("BEGIN IMMEDIATE")
  if not ok then return nil, msg end
  local r1, r2 = fn(db)
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

--- Opens (creating if needed) and migrates a state database.
-- @tparam string|false path the file, or false for a private in-memory state
-- @treturn userdata|nil the `linky.State`
-- @treturn table a `state_unavailable` error
function M.open(path)
  local file = path or ":memory:"
  if path == nil then
    file = M.default_path()
    if not file then return unavailable("(default)", "neither XDG_STATE_HOME nor HOME is set") end
    local made, why = core.mkdirs(file)
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

--- Whether a ban or a cool-down holds now: nil, or the error to return at once.
local function held(db, now)
  local rows, msg = db:rows("SELECT * FROM holds WHERE name = 'ban' OR expires > ? ORDER BY name", now)
  if not rows then return nil, msg end
  local h = rows[1]
  if not h then return false end
  local retry_at = h.name == "ban" and h.since + M.BAN_HINT or h.expires
  local message = h.name == "ban"
    and "this IP address was banned by the service (remembered): nothing is sent until clear_ban()"
    or ("cool-down after %s until %s: nothing is sent before"):format(h.kind, stamp(h.expires))
  return errors.new(h.kind, message, { from_state = true, retry_at = retry_at, status = h.status,
    api_message = h.message })
end

--- Admits one request: checks the ban and cool-down memory, then the rolling budget,
-- and records the request in the ledger.
-- @param db the `linky.State`
-- @tparam number now epoch seconds
-- @tparam table|false budget `{ requests =, window = }`, or false for no limit
-- @tparam string request `"GET /api/..."` for the ledger
-- @treturn true|nil admitted
-- @treturn table the error: `banned`/`rate_limited`/`server_error` with `from_state`,
-- `budget_exhausted` with `retry_at`, or the SQLite message (string)
function M.admit(db, now, budget, request)
  return M.transaction(db, function()
    local hold, msg = held(db, now)
    if hold == nil then return nil, msg end
    if hold then return false, hold end
    if budget then
      local rows, err = db:rows("SELECT time FROM requests WHERE time > ? ORDER BY time DESC LIMIT ?",
        now - budget.window, budget.requests)
      if not rows then return nil, err end
      if #rows >= budget.requests then
        local retry_at = rows[#rows].time + budget.window
        return false, errors.new("budget_exhausted", ("%d requests in %g s already; next one at %s")
          :format(budget.requests, budget.window, stamp(retry_at)),
          { retry_at = retry_at })
      end
    end
    local ok, err = db:rows("INSERT INTO requests (time, request) VALUES (?, ?)", now, request)
    if ok then ok, err = db:rows("DELETE FROM requests WHERE time < ?", now - M.KEEP) end
    if not ok then return nil, err end
    return true
  end)
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

--- Remembers what an error answer means for later calls: a ban, or a cool-down after 429/500.
-- Sets `err.retry_at` for those.
-- @treturn true|nil
-- @treturn string the SQLite message
function M.note(db, now, err)
  local name, expires
  if err.kind == "banned" then
    name, expires = "ban", now + M.BAN_HINT
  elseif err.status == 429 or err.status == 500 then
    local next_access = M.next_access_epoch(err.next_access_time)
    name, expires = "cooldown", (next_access and next_access > now) and next_access or now + M.COOLDOWN
  else
    return true
  end
  err.retry_at = expires
  return M.transaction(db, function()
    return db:rows("INSERT INTO holds (name, kind, since, expires, status, message)" ..
      " VALUES (?, ?, ?, ?, ?, ?)" ..
      " ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, since = excluded.since," ..
      " expires = max(holds.expires, excluded.expires), status = excluded.status, message = excluded.message",
      name, err.kind, now, expires, err.status, err.api_message)
  end)
end

--- Forgets a remembered ban.
-- @treturn true|nil
-- @treturn string the SQLite message
function M.clear_ban(db)
  return M.transaction(db, function() return db:rows("DELETE FROM holds WHERE name = 'ban'") end)
end

--- The budget report of `client:budget()`.
-- @treturn table|nil `{ used =, limit =, window =, retry_at =, banned_until =, cooldown_until = }`
-- @treturn string the SQLite message
function M.report(db, now, budget, default_window)
  local window = budget and budget.window or default_window
  local rows, msg = db:rows("SELECT time FROM requests WHERE time > ? ORDER BY time DESC", now - window)
  if not rows then return nil, msg end
  local holds
  holds, msg = db:rows("SELECT * FROM holds")
  if not holds then return nil, msg end
  local out = { used = #rows, limit = budget and budget.requests or nil, window = window }
  for _, h in ipairs(holds) do
    if h.name == "ban" then out.banned_until = h.since + M.BAN_HINT
    elseif h.expires > now then out.cooldown_until = h.expires end
  end
  local at = out.banned_until or out.cooldown_until
  if budget and #rows >= budget.requests then
    local slot = rows[budget.requests].time + window
    at = math.max(at or slot, slot)
  end
  if out.banned_until then at = math.max(at, out.banned_until) end
  out.retry_at = at
  return out
end

return M
