-- What is at the state path is checked before SQLite opens it, and `status` only ever reads it.
-- Every command here runs in a child under `timeout 10`, so that a hang fails the spec instead
-- of blocking the suite; special files are made in the runner's temporary folder, never in /dev.
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"
local tools = require "spec.support.tools"
local cli_runner = require "spec.support.cli_runner"
local versions = require "spec.support.versions"

local quote, read = emu.quote, emu.read_file
local unpack = versions.unpack

local function shell(command)
  local p = assert(io.popen(command))
  local out = p:read("*a")
  p:close()
  return out
end

local ROOT = shell("id -u") == "0\n"
-- An unprivileged user: the specs run as root in CI, where permissions would not apply.
local NOBODY = "setpriv --reuid=65534 --regid=65534 --clear-groups"

-- What a folder holds, one name a line.
local function listing(dir) return shell("ls -A " .. quote(dir)) end

-- A file's size and modification time (to the nanosecond) and its bytes.
local function snapshot(path) return shell("stat -c '%s %y' " .. quote(path)) .. (read(path) or "") end

-- Runs a child Lua script, written in `dir` and run from there, with the suite's interpreter and
-- module paths under `timeout 10` (`as`: a command prefix, e.g. NOBODY); returns its exit status
-- and output (stdout, stderr).
local function lua_child(dir, script, args, as)
  local file = dir .. "/child.lua"
  local f = assert(io.open(file, "wb"))
  f:write(script)
  f:close()
  local words = {}
  for i, a in ipairs(args) do words[i] = quote(a) end
  local out = shell(("cd %s && timeout 10 %s env LUA_PATH=%s LUA_CPATH=%s %s %s %s </dev/null 2>&1; echo \"=$?\"")
    :format(quote(dir), as or "", quote(cli_runner.LUA_PATH), quote(cli_runner.LUA_CPATH), versions.LUA, quote(file),
      table.concat(words, " ")))
  local text, code = out:match("^(.-)=(%d+)\n$")
  return tonumber(code), text
end

describe("linky state path", function()
  local h = cli_runner.harness()
  setup(h.start) teardown(h.stop) before_each(h.fresh) after_each(h.clean)

  -- linky with `args` (after the emulator's --base-url and --token-file) under `timeout 10`
  -- (`as`: a command prefix): `{ code =, out =, err = }`, code 124 when it hung.
  local function bounded(args, as)
    local full = { "--base-url", h.server.url, "--token-file", h.runner.token_file, unpack(args) }
    local out, err = h.dir .. "/stdout", h.dir .. "/stderr"
    local code = shell(("timeout 10 %s sh -c %s </dev/null >%s 2>%s; echo $?"):format(as or "",
      quote(h.runner:command(full, nil, true)), quote(out), quote(err)))
    return { code = tonumber(code), out = read(out) or "", err = read(err) or "" }
  end

  -- The library and the C core on `path`, in a child: one line per call.
  local LIBRARY = [[
    local linky = require "linky"
    local core = require "linky.core"
    local path, url, token = ...
    local _, err = linky.status(path)
    print("status", err and err.kind, err and err.state == path)
    local c = assert(linky.new { token = token, base_url = url, state = path, retry = false })
    _, err = c:budget()
    print("client", err and err.kind, err and err.state == path)
    print("create_private", (core.create_private(path)))
    print("open_sqlite", (core.open_sqlite(path)))
    print("open_sqlite readonly", (core.open_sqlite(path, nil, true)))
  ]]

  describe("that is not a regular file", function()
    -- each made in a folder of its own, whose listing is compared
    before_each(function() assert(os.execute("mkdir " .. quote(h.dir .. "/x"))) end)

    -- Refused at once by status, a data command, the library and the core, naming the path
    -- and `what` it is; nothing made beside it, nothing sent.
    local function refused(path, what)
      local before = listing(h.dir .. "/x")
      for _, command in ipairs { "status", "daily" } do
        local r = bounded { command, "--state", path }
        assert.equal(5, r.code, command .. " " .. path .. "\n" .. r.err)
        assert.truthy(r.err:match("^linky: state_unavailable: [^\n]*\n$"), r.err)
        assert.truthy(r.err:find(path, 1, true), r.err)
        assert.truthy(r.err:find(what, 1, true), r.err)
      end
      local code, out = lua_child(h.dir, LIBRARY, { path, h.server.url, emu.TOKEN1 })
      assert.equal(0, code, out)
      assert.equal("status\tstate_unavailable\ttrue\nclient\tstate_unavailable\ttrue\ncreate_private\tnil\n"
        .. "open_sqlite\tnil\nopen_sqlite readonly\tnil\n", out)
      assert.equal(before, listing(h.dir .. "/x"))
      assert.equal(0, #h.server:api_requests())
    end

    it("refuses a FIFO at once (no command waits on it)", function()
      assert(os.execute("mkfifo " .. quote(h.dir .. "/x/fifo")))
      refused(h.dir .. "/x/fifo", "a FIFO")
    end)

    it("refuses a socket", function()
      assert(os.execute(("python3 -c %s %s"):format(
        quote("import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])"), quote(h.dir .. "/x/socket"))))
      assert.equal("other", (core.file_type(h.dir .. "/x/socket")))
      refused(h.dir .. "/x/socket", "a socket")
    end)

    it("refuses a folder", function()
      assert(os.execute("mkdir " .. quote(h.dir .. "/x/folder")))
      refused(h.dir .. "/x/folder", "a folder")
    end)

    it("refuses a device, and leaves no -journal beside it", function()
      if not tools.need(ROOT, "mknod needs root", pending) then return end
      assert(os.execute("mknod -m 0666 " .. quote(h.dir .. "/x/null") .. " c 1 3"))
      refused(h.dir .. "/x/null", "a character device")
    end)

    it("still creates a missing state file 0600 in new folders 0700", function()
      local path = h.dir .. "/new/state.sqlite3"
      assert.equal(0, bounded({ "daily", "--start", "2026-04-01", "--end", "2026-04-02", "--state", path }).code)
      assert.equal("700\n600\n", shell("stat -c %a " .. quote(h.dir .. "/new") .. " " .. quote(path)))
    end)
  end)

  describe("status", function()
    local state

    -- A state file holding one request and two days, made by a data command.
    local function fetched()
      state = h.dir .. "/s/state.sqlite3"
      local r = bounded { "daily", "--start", "2026-04-01", "--end", "2026-04-03", "--state", state }
      assert.equal(0, r.code, r.err)
      return state
    end

    -- Runs SQL on the state file (the writer closes before status runs).
    local function alter(sql)
      local db = assert(core.open_sqlite(state))
      assert(db:exec(sql))
      db:close()
    end

    -- Takes the state file back to schema version 2: days without their status, no corrections.
    local function version_2()
      alter("ALTER TABLE days DROP COLUMN reason; ALTER TABLE days DROP COLUMN status;"
        .. " ALTER TABLE days DROP COLUMN settled;"
        .. " DROP TABLE corrections; ALTER TABLE requests DROP COLUMN source; ALTER TABLE holds DROP COLUMN source;"
        .. " DROP TABLE tempo_days; DROP TABLE published; DROP TABLE mqtt_baselines; DROP TABLE mqtt_topics; PRAGMA user_version = 2")
    end

    it("writes nothing to a 0-byte file: no schema, no WAL, no journal", function()
      assert(os.execute("mkdir " .. quote(h.dir .. "/s")))
      local path = h.runner:write("s/empty.sqlite3", "")
      local before, files = snapshot(path), listing(h.dir .. "/s")
      local r = bounded { "status", "--state", path }
      assert.equal(0, r.code, r.err)
      assert.truthy(r.out:find("\nrequests   0 of 40 in the last 12 h\n", 1, true), r.out)
      assert.truthy(r.out:find("\nstored     nothing\n", 1, true), r.out)
      assert.equal(before, snapshot(path))
      assert.equal(files, listing(h.dir .. "/s"))
    end)

    it("leaves a state file in rollback-journal mode as it is: no switch to WAL", function()
      fetched()
      alter("PRAGMA journal_mode = DELETE")
      local before = snapshot(state)
      assert.equal(0, bounded({ "status", "--state", state }).code)
      assert.equal(before, snapshot(state))
      assert.equal("state.sqlite3\n", listing(h.dir .. "/s"))
    end)

    it("reads an older schema version through a copy migrated in memory, leaving the file as it was", function()
      fetched()
      version_2()
      local before = snapshot(state)
      local r = bounded { "status", "--state", state }
      assert.equal(0, r.code, r.err)
      assert.truthy(r.out:find("\nrequests   1 of 40 in the last 12 h\n", 1, true), r.out)
      assert.truthy(r.out:find("daily_consumption      2026-04-01 to 2026-04-02", 1, true), r.out)
      assert.equal(before, snapshot(state))
      -- a write command migrates it
      assert.equal(0, bounded({ "daily", "--start", "2026-04-01", "--end", "2026-04-03", "--state", state }).code)
      local db = assert(core.open_sqlite(state))
      finally(function() db:close() end)
      assert.same({ { user_version = 7 } }, db:rows("PRAGMA user_version")) -- docs/ban-safety.md: now 7
    end)

    it("refuses a newer schema version, leaving the file as it was", function()
      fetched()
      alter("PRAGMA user_version = 999")
      local before = snapshot(state)
      local r = bounded { "status", "--state", state }
      assert.equal(5, r.code, r.err)
      assert.truthy(r.err:match("^linky: state_unavailable: [^\n]*newer[^\n]*\n$"), r.err)
      assert.equal(before, snapshot(state))
    end)

    it("does not wait for the write lock another process holds", function()
      fetched()
      version_2() -- a write command would migrate it
      local locked, stop = h.dir .. "/locked", h.dir .. "/stop"
      local holder = ([[
        local core = require "linky.core"
        local db = assert(core.open_sqlite(%q))
        assert(db:exec("BEGIN IMMEDIATE"))
        io.open(%q, "w"):close()
        for _ = 1, 300 do
          if io.open(%q) then break end
          core.sleep(0.1)
        end
        db:exec("ROLLBACK")
      ]]):format(state, locked, stop)
      local pid = tonumber(shell(("env LUA_PATH=%s LUA_CPATH=%s %s -e %s >/dev/null 2>&1 & echo $!"):format(
        quote(cli_runner.LUA_PATH), quote(cli_runner.LUA_CPATH), versions.LUA, quote(holder))))
      finally(function()
        io.open(stop, "w"):close()
        os.execute("kill " .. pid .. " 2>/dev/null")
      end)
      for _ = 1, 100 do
        if read(locked) then break end
        core.sleep(0.05)
      end
      assert.truthy(read(locked), "the lock was never taken")
      local started = core.now()
      local r = bounded { "status", "--state", state }
      local took = core.now() - started
      assert.equal(0, r.code, r.err)
      assert.truthy(took < 5, ("status took %.1f s"):format(took))
    end)

    describe("run by a user who cannot write the file", function()
      local before, files

      before_each(function()
        if not ROOT then return end
        fetched()
        -- the child reaches the runner's folder and reads the file, owned by root, mode 0444
        assert(os.execute(("chmod 0755 %s %s %s && chmod 0444 %s"):format(quote(h.dir), quote(h.dir .. "/config"),
          quote(h.dir .. "/s"), quote(state))))
      end)

      local function run()
        before, files = snapshot(state), listing(h.dir .. "/s")
        local r = bounded({ "status", "--state", state }, NOBODY)
        assert.equal(0, r.code, r.err)
        assert.truthy(r.out:find("\nrequests   1 of 40 in the last 12 h\n", 1, true), r.out)
        assert.equal(before, snapshot(state))
        return r
      end

      it("reads it without locking when its folder cannot be written either, and says so", function()
        if not tools.need(ROOT, "dropping to another user needs root", pending) then return end
        local r = run()
        assert.truthy(r.out:find("\n           read without locking", 1, true), r.out)
        assert.equal(files, listing(h.dir .. "/s")) -- no -shm, -wal or -journal made
        local code, out = lua_child(h.dir, "local s = assert(require('linky').status(...)) print(s.unlocked)",
          { state }, NOBODY)
        assert.equal(0, code, out)
        assert.equal("true\n", out)
      end)

      it("reads it with SQLite's read-only mode, locking, when its folder can be written", function()
        if not tools.need(ROOT, "dropping to another user needs root", pending) then return end
        assert(os.execute("chmod 1777 " .. quote(h.dir .. "/s")))
        local r = run()
        assert.is_nil(r.out:find("without locking", 1, true), r.out)
        local code, out = lua_child(h.dir, "local s = assert(require('linky').status(...)) print(s.unlocked)",
          { state }, NOBODY)
        assert.equal(0, code, out)
        assert.equal("false\n", out)
      end)
    end)
  end)
end)

describe("linky.core.open_sqlite", function()
  it("opens read-only: writes are refused, a missing file is not created, a copy goes into memory", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. quote(dir)))
    finally(function() os.execute("rm -rf " .. quote(dir)) end)
    local file = dir .. "/db.sqlite3"
    local rw = assert(core.open_sqlite(file))
    assert(rw:exec("CREATE TABLE t (x); INSERT INTO t VALUES (42)"))
    rw:close()
    local before = snapshot(file)
    local ro, unlocked = core.open_sqlite(file, 0, true)
    assert.equal(false, unlocked)
    local ok, kind, _, code = ro:exec("INSERT INTO t VALUES (1)")
    assert.is_nil(ok)
    assert.equal("state_unavailable", kind)
    assert.equal(8, code % 256) -- SQLITE_READONLY
    local mem = assert(core.open_sqlite(":memory:"))
    assert.is_true(ro:copy_into(mem))
    assert.same({ { x = 42 } }, mem:rows("SELECT x FROM t"))
    assert.has_error(function() ro:copy_into(ro) end)
    assert.has_error(function() ro:copy_into("db") end)
    mem:close()
    assert.has_error(function() ro:copy_into(mem) end)
    ro:close()
    assert.has_error(function() ro:copy_into(mem) end)
    assert.equal(before, snapshot(file))
    local none, why, msg = core.open_sqlite(dir .. "/missing", nil, true)
    assert.is_nil(none)
    assert.equal("state_unavailable", why)
    assert.is_string(msg)
    assert.is_nil(read(dir .. "/missing"))
  end)

  it("opens the file of exactly the name given: a file: prefix, ?, # and % are names", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. quote(dir .. "/file:a")))
    finally(function() os.execute("rm -rf " .. quote(dir)) end)
    -- relative names, from the folder: SQLite reads "file:..." as a URI, ":memory:" as no file
    local code, out = lua_child(dir, [[
      local core = require "linky.core"
      local linky = require "linky"
      for _, name in ipairs { "file:a/b?mode=memory", "file:a/c#x", "x%41?y" } do
        for _, readonly in ipairs { false, true } do
          local db = assert(core.open_sqlite(name, nil, readonly))
          if not readonly then assert(db:exec("CREATE TABLE t (x)")) end
          io.write(#db:rows("SELECT name FROM sqlite_master"), " ")
          db:close()
        end
      end
      -- core.open_sqlite(":memory:") is linky's private database (state = false); a state path
      -- of that name is a file
      local c = assert(linky.new { token = ..., state = ":memory:" })
      assert(c:budget())
      c:close()
      io.write(#assert(linky.status(":memory:")).meters)
    ]], { emu.TOKEN1 })
    assert.equal(0, code, out)
    assert.equal("1 1 1 1 1 1 0", out)
    local names = {}
    for name in listing(dir):gmatch("[^\n]+") do
      if not name:find("%-[ws][ah][lm]$") then names[#names + 1] = name end -- SQLite's -wal, -shm
    end
    table.sort(names)
    assert.same({ ":memory:", "child.lua", "file:a", "x%41?y" }, names)
    assert.equal("b?mode=memory\nc#x\n", listing(dir .. "/file:a"))
  end)
end)
