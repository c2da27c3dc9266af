--- The state file's database: where it lives, opening it private, its schema and its
-- migrations, and the one transaction helper. One SQLite database (see docs/ban-safety.md for its
-- schema) shared by every process of a user; every write runs in `BEGIN IMMEDIATE` under a
-- busy timeout. What it holds is the business of `linky.ledger` (requests, bans, cool-downs),
-- `linky.store` (readings, day statuses) and `linky.publish` (what each export target received).
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.db
local compat = require "linky.compat"
local core = require "linky.core"
local errors = require "linky.errors"

local M = {}

--- Schema version written to `PRAGMA user_version`.
M.VERSION = 7
--- `PRAGMA application_id` of a linky state file ("LNKY").
M.APPLICATION_ID = 0x4C4E4B59
--- The page size of a private in-memory state (`state = false`). Its rollback journal (in
-- memory: a raise inside a transaction still rolls back) copies each page an admission dirties
-- (the ledger row and its two index entries): 4096-byte pages made that a third of SQLite's share
-- of a lean request. 2048 measured cheaper than 4096, 1024 and 512, at 1,000 ledger rows as at 100.
M.PRIVATE_PAGE_SIZE = 2048

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
  -- why a settled day has no data, as the server said: "before_activation" (ADAM-ERR0123) or
  -- "beyond_history" (ADAM-ERR0125); NULL for every other day. And the first day of a hole that
  -- `update` left partly healed, where the next one resumes.
  [[
  ALTER TABLE days ADD COLUMN reason TEXT;
  ALTER TABLE corrections ADD COLUMN heal_from INTEGER;
  ]],
  -- a ledger per service: each request and hold names its source ('conso': Conso API; a Tempo
  -- colour source, linky.tempo); and the Tempo colour of each tariff day (NULL: unknown)
  [[
  ALTER TABLE requests ADD COLUMN source TEXT NOT NULL DEFAULT 'conso';
  ALTER TABLE holds ADD COLUMN source TEXT NOT NULL DEFAULT 'conso';
  CREATE TABLE tempo_days (
    day INTEGER PRIMARY KEY,
    colour TEXT,
    source TEXT NOT NULL,
    provisional INTEGER NOT NULL DEFAULT 0,
    settled INTEGER NOT NULL DEFAULT 0,
    fetched REAL NOT NULL
  );
  ]],
  -- what each export target received (`linky publish`): per target (its URL without
  -- credentials), PRM and kind, the newest `days.fetched` it was sent, and when
  [[
  CREATE TABLE published (
    target TEXT NOT NULL,
    prm TEXT NOT NULL,
    kind TEXT NOT NULL,
    watermark REAL NOT NULL,
    time REAL NOT NULL,
    PRIMARY KEY (target, prm, kind)
  ) WITHOUT ROWID;
  ]],
  -- MQTT targets (linky.homeassistant): the first day each cumulative sensor counts from, fixed
  -- at the first publish to that target, and the retained topics a target was given (owner: the
  -- PRM, or '' for the linky device), cleared there when they no longer apply
  [[
  CREATE TABLE mqtt_baselines (
    target TEXT NOT NULL,
    prm TEXT NOT NULL,
    direction TEXT NOT NULL,
    first_day INTEGER NOT NULL,
    PRIMARY KEY (target, prm, direction)
  ) WITHOUT ROWID;
  CREATE TABLE mqtt_topics (
    target TEXT NOT NULL,
    topic TEXT NOT NULL,
    owner TEXT NOT NULL,
    PRIMARY KEY (target, topic)
  ) WITHOUT ROWID;
  ]],
}

-- The path each open database was opened with, for the errors about it.
local paths = setmetatable({}, { __mode = "k" })

local function unavailable(path, why)
  return errors.new("state_unavailable", ("state %s: %s"):format(path, tostring(why)), { state = path })
end

--- A failure of an open database: `nil` and a `state_unavailable` error naming its file.
-- @param db the `linky.SQLite`
-- @param why the SQLite message, or already an error object (returned as it is)
-- @return nil
-- @treturn table the error
function M.failed(db, why)
  if errors.is_error(why) then return nil, why end
  return nil, unavailable(paths[db] or "(unknown)", why)
end

--- Names `alias` (a view of an open database: see `linky.async`) in the errors as `db` is.
-- @param alias the view
-- @param db the `linky.SQLite` it stands for
function M.alias(alias, db)
  paths[alias] = paths[db]
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

-- The transaction around `fn`, returning what fn returned or nil and the raw reason. A raise
-- inside `fn` (a bug, an interruption) rolls back and is raised again: only SQLite's own
-- failures, which `fn` returns, become the call's failure.
local function run_transaction(db, fn)
  local ok, _, msg = db:exec("BEGIN IMMEDIATE")
  if not ok then return nil, msg end
  local done, r1, r2 = pcall(fn, db)
  if not done then
    db:exec("ROLLBACK")
    error(r1, 0)
  end
  if r1 == nil and r2 ~= nil then
    db:exec("ROLLBACK")
    return nil, r2
  end
  ok, _, msg = db:exec("COMMIT")
  if not ok then
    db:exec("ROLLBACK")
    return nil, msg
  end
  return r1, r2
end

--- Runs `fn(db)` inside `BEGIN IMMEDIATE`; commits unless it returns nil and a reason.
-- A raise inside `fn` rolls back too (no lock outlives a failed call) and is raised again (a
-- bug is a bug, exit 1 in the command, never a `state_unavailable`).
-- @return what `fn` returned
-- @treturn[2] nil
-- @treturn[2] table the reason: an error object `fn` returned, or a `state_unavailable` error
function M.transaction(db, fn)
  local r1, r2 = run_transaction(db, fn)
  if r1 == nil and r2 ~= nil then return M.failed(db, r2) end
  return r1, r2
end

--- One statement in its own transaction.
-- @param db the `linky.SQLite`
-- @tparam string sql the statement, its `?` bound to the values that follow
-- @treturn true|nil
-- @treturn table a `state_unavailable` error
function M.write(db, sql, ...)
  local args = compat.pack(...)
  return M.transaction(db, function()
    local ok, _, msg = db:rows(sql, compat.unpack(args, 1, args.n))
    if not ok then return nil, msg end
    return true
  end)
end

local function header(db)
  local rows, _, msg = db:rows("SELECT (SELECT application_id FROM pragma_application_id) AS app," ..
    " (SELECT user_version FROM pragma_user_version) AS version," ..
    " (SELECT count(*) FROM sqlite_master) AS objects")
  return rows and rows[1], msg
end

-- Whether a header is ours and readable: true | nil, why.
local function ours(x)
  if x.app ~= M.APPLICATION_ID and not (x.app == 0 and x.objects == 0) then
    return nil, "not a linky state file (another application's SQLite database)"
  end
  if compat.type(x.version) ~= "integer" or x.version < 0 then
    return nil, "unreadable state schema version " .. tostring(x.version)
  end
  if x.version > M.VERSION then
    return nil, ("state schema version %d is newer than this linky (%d)"):format(x.version, M.VERSION)
  end
  return true
end

-- Creates or upgrades the schema: true | nil, why. Refuses databases that are not ours before
-- writing anything.
local function migrate(db)
  local h, msg = header(db)
  if not h then return nil, msg end
  local ok, why = ours(h)
  if not ok then return nil, why end
  if h.version < M.VERSION then
    ok, why = run_transaction(db, function()
      local now = assert(header(db))
      local fine, no = ours(now)
      if not fine then return nil, no end
      for v = now.version + 1, M.VERSION do
        local done, _, err = db:exec(MIGRATIONS[v])
        if not done then return nil, err end
      end
      local done, _, err = db:exec(("PRAGMA application_id = %d; PRAGMA user_version = %d")
        :format(M.APPLICATION_ID, M.VERSION))
      return done, err
    end)
    if not ok then return nil, why end
  end
  return true
end

-- WAL with synchronous = NORMAL: commits survive a crash of the process (the crash-restart
-- loops the ledger is there to stop) without a disk sync each. Switching a file to WAL needs
-- it to itself, and SQLite answers "busy" at once rather than waiting: while another process
-- holds a new file, try again for up to two seconds.
local function wal(db)
  for _ = 1, 100 do
    local rows = db:rows("PRAGMA journal_mode")
    if rows and rows[1] and rows[1].journal_mode == "wal" then break end
    local ok = db:exec("PRAGMA journal_mode = WAL")
    if ok then break end
    core.sleep(0.02)
  end
  local ok, _, why = db:exec("PRAGMA synchronous = NORMAL")
  return ok, why
end

--- Opens (creating if needed) and migrates a state database. A missing file is created with
-- mode 0600 and its missing folders with 0700; anything but a regular file at the path (a
-- symbolic link, a folder, a FIFO, a device, a socket) is refused before SQLite opens it.
-- @tparam string|false|nil path the file, false for a private in-memory state, nil for `default_path()`
-- @treturn userdata|nil the `linky.SQLite`
-- @treturn table a `state_unavailable` error
function M.open(path)
  local file = path or ":memory:"
  if path == nil then
    file = M.default_path()
    if not file then return nil, unavailable("(default)", "neither XDG_STATE_HOME nor HOME is set") end
  end
  if path ~= false then
    -- the file of that name, not SQLite's private in-memory database
    if file == ":memory:" then file = "./:memory:" end
    -- folders 0700 and the file 0600 before SQLite opens it (it would make it 0644 under the
    -- usual umask); SQLite gives -wal and -shm the main file's mode
    local made, _, why = core.mkdirs(file)
    if made then made, _, why = core.create_private(file) end
    if not made then return nil, unavailable(file, why) end
  end
  local db, _, msg = core.open_sqlite(file)
  if not db then return nil, unavailable(file, msg) end
  local ok, why = true, nil
  if path == false then -- before migrate creates the first table
    ok, _, why = db:exec(("PRAGMA page_size = %d"):format(M.PRIVATE_PAGE_SIZE))
  end
  if ok then ok, why = migrate(db) end
  if ok and path ~= false then ok, why = wal(db) end
  if not ok then
    db:close()
    return nil, unavailable(file, why)
  end
  paths[db] = file
  return db
end

-- A copy of db in a new in-memory database: the copy | nil, why.
local function memory_copy(db)
  local mem, _, why = core.open_sqlite(":memory:")
  if not mem then return nil, why end
  -- an in-memory database takes the source's page size only while it is empty
  local size = db:rows("PRAGMA page_size")
  local ok
  ok, _, why = mem:exec(("PRAGMA page_size = %d"):format(size and size[1] and size[1].page_size or 4096))
  if ok then ok, _, why = db:copy_into(mem) end
  if not ok then
    mem:close()
    return nil, why
  end
  return mem
end

--- Opens a state database read-only (`linky.status`): nothing is written to the file, no
-- migration, no WAL switch, no journal, no write lock waited for. It works on a file this user
-- cannot write: with SQLite's `mode=ro`, else (a WAL file without its `-shm` in a folder this
-- user cannot write) with `immutable=1`, which reads without locking. A file of an older schema
-- version is copied into memory and migrated there, so it reads as a write command would see it;
-- the file itself stays as it is until a write command migrates it.
-- @tparam string path the file (it must exist: nothing is created)
-- @treturn userdata|nil the `linky.SQLite`
-- @treturn boolean|table true when it was read without locking (another process's writes may
-- be missing or half seen); or a `state_unavailable` error
function M.open_readonly(path)
  local db, unlocked, msg = core.open_sqlite(path, nil, true)
  if not db then return nil, unavailable(path, msg) end
  local h, why = header(db)
  local ok = h
  if h then ok, why = ours(h) end
  if ok and h.version < M.VERSION then
    local mem
    mem, why = memory_copy(db)
    db:close()
    db, ok = mem, mem ~= nil
    if ok then ok, why = migrate(db) end
  end
  if not ok then
    if db then db:close() end
    return nil, unavailable(path, why)
  end
  paths[db] = path
  return db, unlocked
end

return M
