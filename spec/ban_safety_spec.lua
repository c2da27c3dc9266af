-- Ban safety under attack: no clock frees the budget, a cool-down has a cap, a bad base URL
-- never reaches the ledger, no lock outlives a failed call, and a connection that reached no
-- server costs nothing. Each case breaks a promise the way an attacker or a broken machine would.
local linky = require "linky"
local core = require "linky.core"
local db_ = require "linky.db"
local ledger = require "linky.ledger"
local emu = require "spec.support.emulator_spec_helper"
local socket = require "socket"

local quote, read = emu.quote, emu.read_file
local NOW = core.to_epoch("2026-11-28 11:00:00")
local DAY = 86400
local LUA = require("spec.support.versions").LUA

local function tempdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. quote(dir)))
  return dir
end

local function ledger_rows(path)
  local db = assert(core.open_sqlite(path))
  local rows = assert(db:rows("SELECT id, time FROM requests ORDER BY id"))
  db:close()
  return rows
end

describe("linky ban safety", function()
  local server, dir, path, now

  -- A client of the temporary state file on the movable clock `now`, 5 requests a window.
  -- Time since boot stays real unless `opts.monotonic` simulates it.
  local function client(opts)
    local o = { token = emu.TOKEN1, base_url = server.url, state = path, min_interval = 0, retry = false,
                cache = false, clock = function() return now end, sleep = function() end,
                budget = { requests = 5, window = 12 * 3600 } }
    for k, v in pairs(opts or {}) do o[k] = v end
    return assert(linky.new(o))
  end

  -- `n` one-day requests, each for another day.
  local function spend(c, n)
    for i = 1, n do
      local day = os.date("!%Y-%m-%d", NOW - (100 + i) * DAY)
      assert(c:daily_consumption(day, os.date("!%Y-%m-%d", NOW - (99 + i) * DAY)))
    end
  end

  local function requests() return #server:api_requests() end

  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)
  before_each(function()
    server:reset()
    dir = tempdir()
    path = dir .. "/state.sqlite3"
    now = NOW
  end)
  after_each(function() os.execute("rm -rf " .. quote(dir)) end)

  describe("the ledger", function()
    it("frees nothing when the clock jumps a month ahead", function()
      local c = client()
      spend(c, 5)
      now = NOW + 31 * DAY
      local r, err = c:daily_consumption("2026-04-01", "2026-04-02")
      assert.is_nil(r)
      assert.equal("budget_exhausted", err.kind)
      assert.is_true(err.retry_at > now)
      assert.equal(5, c:budget().used)
      assert.equal(5, requests())
      assert.equal(5, #ledger_rows(path))
    end)

    it("frees nothing when the clock jumps back a month", function()
      local c = client()
      spend(c, 5)
      now = NOW - 31 * DAY
      local _, err = c:daily_consumption("2026-04-01", "2026-04-02")
      assert.equal("budget_exhausted", err.kind)
      assert.equal(5, requests())
    end)

    it("frees nothing when the clock jumps a month ahead, then back", function()
      local c = client()
      spend(c, 5)
      now = NOW + 31 * DAY
      assert.equal("budget_exhausted", select(2, c:daily_consumption("2026-04-01", "2026-04-02")).kind)
      now = NOW + 60
      assert.equal("budget_exhausted", select(2, c:daily_consumption("2026-04-01", "2026-04-02")).kind)
      assert.equal(5, requests())
      assert.equal(5, #ledger_rows(path))
    end)

    it("counts rows stamped by a clock that was ahead until the clock passes them by a window", function()
      local mono = 0
      local c = client { monotonic = function() return mono end }
      now = NOW + 31 * DAY
      spend(c, 5)
      now, mono = NOW, 13 * 3600 -- real time passed, but the rows still lie ahead of the clock
      assert.equal("budget_exhausted", select(2, c:daily_consumption("2026-04-01", "2026-04-02")).kind)
      now = NOW + 31 * DAY + 12 * 3600 + 1
      spend(c, 1)
      assert.equal(6, requests())
    end)

    it("lets simulated time free the budget when the clock and the witness move together", function()
      local c = client { monotonic = function() return now end }
      spend(c, 5)
      now = NOW + 12 * 3600 - 1
      assert.equal("budget_exhausted", select(2, c:daily_consumption("2026-04-01", "2026-04-02")).kind)
      now = NOW + 12 * 3600
      spend(c, 5)
      assert.equal(10, requests())
    end)

    it("is pruned by insertion order, never by time", function()
      local db = assert(db_.open(path))
      finally(function() db:close() end)
      for i = 1, 1200 do
        local t = NOW + (i % 2 == 0 and 400 or -400) * DAY
        assert.is_number((ledger.admit(db, t, false, "GET /api/x", {})))
      end
      local rows = ledger_rows(path)
      -- docs/ban-safety.md: "at least the newest 1000 rows ... are kept": the oldest go in
      -- batches, at a connection's first admission and then once in ledger.PRUNE_EVERY
      local last_prune = 1 + math.floor((1200 - 1) / ledger.PRUNE_EVERY) * ledger.PRUNE_EVERY
      assert.equal(last_prune - 1000 + 1, rows[1].id)
      assert.equal(1200, rows[#rows].id)
      assert.equal(1200 - rows[1].id + 1, #rows)
    end)

    it("is not moved by the command's LINKY_TODAY", function()
      local c = assert(linky.new { token = emu.TOKEN1, base_url = server.url, state = path, min_interval = 0,
        retry = false, cache = false })
      for i = 1, 40 do
        local day = os.date("!%Y-%m-%d", NOW - (100 + i) * DAY)
        assert(c:daily_consumption(day, os.date("!%Y-%m-%d", NOW - (99 + i) * DAY)))
      end
      c:close()
      local out = dir .. "/out"
      local cmd = ("env LINKY_TOKEN=%s LINKY_TODAY=2027-02-01 %s bin/linky daily --base-url %s --state %s"
        .. " >%s 2>&1; echo $?"):format(quote(emu.TOKEN1), LUA, quote(server.url), quote(path), quote(out))
      local p = assert(io.popen(cmd))
      local code = tonumber(p:read("*a"))
      p:close()
      assert.equal(5, code, read(out))
      assert.truthy(read(out):find("budget_exhausted", 1, true))
      assert.equal(40, requests())
    end)
  end)

  describe("a JSON ban", function()
    it("is a ban, remembered like the ban page", function()
      server:script { { error = "ban_403_json" } }
      local c = client()
      local _, err = c:daily_consumption("2026-04-01", "2026-04-02")
      assert.equal("banned", err.kind)
      assert.equal(403, err.status)
      assert.is_nil(err.from_state)
      local _, again = client():daily_consumption("2026-04-02", "2026-04-03")
      assert.equal("banned", again.kind)
      assert.is_true(again.from_state)
      assert.equal(1, requests())
    end)

    it("is told from a 403 without consent, which is no ban", function()
      server:script { { error = "consent_403" } }
      local c = client()
      assert.equal("forbidden", select(2, c:daily_consumption("2026-04-01", "2026-04-02")).kind)
      assert(c:daily_consumption("2026-04-01", "2026-04-02"))
    end)
  end)

  describe("cool-downs", function()
    it("last at most 24 hours whatever nextAccessTime says", function()
      local body = '{"status":429,"message":"The Enedis API returned an error","error":{"code":"900804",'
        .. '"message":"Message throttled out","description":"quota",'
        .. '"nextAccessTime":"9999-Dec-31 23:59:59+0000 UTC"}}'
      server:script { { status = 429, body = body } }
      local c = client { monotonic = function() return now end }
      local _, err = c:daily_consumption("2026-04-01", "2026-04-02")
      assert.equal("rate_limited", err.kind)
      assert.equal(NOW + DAY, err.retry_at)
      assert.equal(NOW + DAY, c:budget().cooldown_until)
      now = NOW + DAY - 1
      assert.is_true(select(2, c:daily_consumption("2026-04-01", "2026-04-02")).from_state)
      now = NOW + DAY
      assert(c:daily_consumption("2026-04-01", "2026-04-02"))
      assert.equal(2, requests())
    end)

    it("hold while real time has not passed, whatever the clock says", function()
      server:script { { error = "quota_429_fault" } }
      local c = client()
      assert.equal("rate_limited", select(2, c:daily_consumption("2026-04-01", "2026-04-02")).kind)
      for _, t in ipairs { NOW + 2 * DAY, NOW - 2 * DAY } do
        now = t
        local _, err = c:daily_consumption("2026-04-01", "2026-04-02")
        assert.equal("rate_limited", err.kind)
        assert.is_true(err.from_state)
        assert.is_true(err.retry_at > now)
      end
      assert.equal(1, requests())
    end)
  end)

  describe("base URLs", function()
    local bad = {
      "http://127.0.0.1/a pi", "http://127.0.0.1 /api", "http://127.0.0.1/api\t", "http://127.0.0.1/api\0/x",
      "http://127.0.0.1/api\r\nX-Evil: 1", "http://127.0.0.1/api\127", "https://user:secret@example.com/api",
      "https://user@example.com/api", "http://127.0.0.1:0/api", "http://127.0.0.1:65536/api",
      "http://127.0.0.1:99999999999999999999/api", "https://example.com:-1/api", "https://example.com:/api",
      "http://[::1]:0/api", "https://:443/api",
    }
    for _, url in ipairs(bad) do
      it(("refuses %q before anything reaches the ledger"):format(url), function()
        local c, err = linky.new { token = emu.TOKEN1, base_url = url, state = path }
        assert.is_nil(c)
        assert.equal("invalid_argument", err.kind)
        assert.is_nil(io.open(path))
      end)
    end

    it("takes ports 1 to 65535 and bracketed IPv6 loopback", function()
      for _, url in ipairs { "http://127.0.0.1:1/api", "http://127.0.0.1:65535/api", "http://[::1]:8080/api",
                             server.url } do
        assert(linky.new { token = emu.TOKEN1, base_url = url, state = false })
      end
    end)
  end)

  describe("the state file", function()
    local function broken(version)
      local db = assert(core.open_sqlite(path))
      -- docs/ban-safety.md: application_id 0x4C4E4B59 ("LNKY")
      assert(db:exec(("PRAGMA application_id = %d; PRAGMA user_version = %d"):format(0x4C4E4B59, version)))
      db:close()
    end

    -- Another connection takes the write lock at once (no busy wait): nobody holds it.
    local function unlocked()
      local other = assert(core.open_sqlite(path, 0))
      local ok, _, msg = other:exec("BEGIN IMMEDIATE")
      if ok then other:exec("ROLLBACK") end
      other:close()
      return ok == true, msg
    end

    for _, version in ipairs { -1, -2147483648 } do
      it("answers state_unavailable for schema version " .. version .. " and keeps no lock", function()
        broken(version)
        local c = client() -- opening stays lazy: a broken state fails calls, never new
        local r, err = c:daily_consumption("2026-04-01", "2026-04-02")
        assert.is_nil(r)
        assert.equal("state_unavailable", err.kind)
        assert.is_true(unlocked())
        assert.equal("state_unavailable", select(2, c:budget()).kind)
        assert.is_true(unlocked())
        assert.equal(0, requests())
        c:close()
      end)
    end

    it("rolls back a transaction whose function raises, and raises it again (a bug is not a state failure)",
      function()
      local db = assert(db_.open(path))
      finally(function() db:close() end)
      local ok, why = pcall(db_.transaction, db, function(d)
        assert(d:rows("INSERT INTO requests (time, request) VALUES (1, 'x')"))
        d:rows(nil) -- a programmer mistake deep inside: raises
      end)
      assert.is_false(ok)
      assert.is_string(why) -- the raise itself, not a state_unavailable error object
      assert.truthy(why:find("bad argument", 1, true), why)
      assert.is_true(unlocked())
      assert.same({}, ledger_rows(path))
    end)

    it("rolls back a raise inside a transaction of a private in-memory state too (its journal in memory)",
      function()
      local db = assert(db_.open(false))
      finally(function() db:close() end)
      assert(db_.transaction(db, function(d) return d:insert("INSERT INTO requests (time) VALUES (1)") end))
      local ok = pcall(db_.transaction, db, function(d)
        -- more rows than a page holds, so that the rollback restores several pages
        for i = 2, 200 do assert(d:insert("INSERT INTO requests (time, request) VALUES (?, ?)", i, ("x"):rep(100))) end
        assert(d:rows("DELETE FROM requests WHERE time = 1"))
        d:rows(nil)
      end)
      assert.is_false(ok)
      assert.same({ { time = 1 } }, db:rows("SELECT time FROM requests"))
      assert.is_true(db:exec("BEGIN IMMEDIATE")) -- no transaction left open
      assert(db:exec("ROLLBACK"))
    end)

    it("makes a bug inside a transaction of the command exit 1, an internal error", function()
      local cli = require "linky.cli"
      local real = db_.transaction
      local buffer = require("spec.support.cli_runner").buffer
      local out, err = buffer(), buffer()
      local db = assert(db_.open(path))
      assert(require("linky.ledger").note(db, 1, { kind = "banned", status = 403 }, {}))
      db:close()
      db_.transaction = function(d, fn) return real(d, function(...) fn(...) error("a bug") end) end
      local code = cli.main({ "clear-ban", "--yes", "--state", path }, "linky",
        { stdout = out, stderr = err })
      db_.transaction = real
      assert.equal(1, code)
      assert.truthy(err.text:find("internal error", 1, true), err.text)
      assert.is_true(unlocked())
      assert.equal(1, #assert(core.open_sqlite(path)):rows("SELECT * FROM holds")) -- rolled back
    end)
  end)

  describe("an interruption inside a transaction", function()
    it("rolls back and raises again, so the command can exit 130", function()
      local db = assert(db_.open(path))
      finally(function() db:close() end)
      local ok, why = pcall(db_.transaction, db, function(d)
        assert(d:rows("INSERT INTO requests (time, request) VALUES (1, 'x')"))
        error("interrupted!")
      end)
      assert.is_false(ok)
      assert.truthy(why:find("interrupted!$"))
      assert.same({}, ledger_rows(path))
      local other = assert(core.open_sqlite(path, 0))
      assert.is_true(other:exec("BEGIN IMMEDIATE"))
      other:exec("ROLLBACK")
      other:close()
    end)
  end)

  describe("connections that reached no server", function()
    local function closed_port()
      local s = assert(socket.bind("127.0.0.1", 0))
      local _, port = s:getsockname()
      s:close()
      return port
    end

    it("give their slot back when the connection is refused", function()
      local c = client { base_url = "http://127.0.0.1:" .. closed_port() .. "/api" }
      local r, err = c:daily_consumption("2026-04-01", "2026-04-02")
      assert.is_nil(r)
      assert.equal("network", err.kind)
      assert.equal(0, c:budget().used)
      assert.same({}, ledger_rows(path))
    end)

    it("stay spent once the server was reached", function()
      server:script { { reset = true }, { drop = true } }
      local c = client()
      assert.equal("network", select(2, c:daily_consumption("2026-04-01", "2026-04-02")).kind)
      assert.equal("network", select(2, c:daily_consumption("2026-04-01", "2026-04-02")).kind)
      assert.equal(2, c:budget().used)
    end)
  end)
end)
