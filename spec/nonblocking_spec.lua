-- Non-blocking mode: the C core's multi transfer, the request object of client:start, and the
-- luv and cqueues adapters, against the emulator (slow routes are scripted with "delay").
local async = require "linky.async"
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"
local versions = require "spec.support.versions"

local PATH = "consommation_quotidienne?pointId=11111111111111&dateDebut=2026-04-01&dateFin=2026-04-04"

-- Non-blocking mode needs yields across pcall, which Lua 5.1 lacks (it refuses the mode): a spec
-- of the mode is pending there (the same specs, the same count, on every version).
local function it_async(name, f)
  it(name, function()
    if not async.available then pending("needs yields across pcall (running Lua " .. versions.NAME .. ")") end
    f()
  end)
end

-- Drives a started transfer to its end with short sleeps: what finish returns, and the waits seen.
local function drive(conn)
  local waits = {}
  while true do
    local done, fds, timeout = conn:perform()
    if done then return { conn:finish() }, waits end
    waits[#waits + 1] = { fds = fds, timeout = timeout }
    core.sleep(math.min(timeout, 0.005))
  end
end

describe("linky.core", function()
  describe("Connection non-blocking transfer", function()
    local server
    setup(function() server = emu.start() end)
    teardown(function() server:stop() end)

    local function connect(extra)
      local o = { base_url = server.url, token = emu.TOKEN1, user_agent = "spec" }
      for k, v in pairs(extra or {}) do o[k] = v end
      return core.connect(o)
    end

    it("returns what get returns, after waits on descriptors with a bounded timeout", function()
      local conn = connect()
      local blocking = { conn:get(PATH) }
      server:script { { delay = 0.2 } }
      assert.is_true(conn:start(PATH))
      local got, waits = drive(conn)
      assert.same(blocking, got)
      assert.is_true(#waits > 0)
      local any_fd = false
      for _, w in ipairs(waits) do
        assert.is_true(w.timeout >= 0 and w.timeout <= 30)
        for fd, what in pairs(w.fds) do
          assert.is_true(fd >= 0)
          assert.is_truthy(what == "r" or what == "w" or what == "rw")
          any_fd = true
        end
      end
      assert.is_true(any_fd)
      assert.equal(2, conn:stats().requests) -- the multi handle keeps connections of its own
      conn:close()
    end)

    it("reports failures as get does, max_body and redaction included", function()
      local conn = connect { max_body = 10 }
      local blocking = { conn:get(PATH) }
      assert.is_true(conn:start(PATH))
      assert.same(blocking, (drive(conn)))
      assert.is_nil(blocking[1])
      assert.equal("invalid_response", blocking[2])
      conn:close()
      conn = connect()
      server:script { { status = 200, body = "echo " .. emu.TOKEN1, headers = { ["Content-Type"] = "text/" .. emu.TOKEN1 } } }
      assert.is_true(conn:start(PATH))
      local got = drive(conn)
      assert.equal(200, got[1])
      assert.equal("echo <token>", got[2])
      assert.equal("text/<token>", got[3])
      conn:close()
    end)

    it("advances on the descriptor that fired, and names the sockets libcurl stopped watching", function()
      local conn = connect()
      server:script { { delay = 0.1 }, { delay = 0.5 } } -- the second: still running after a perform
      assert.is_true(conn:start(PATH))
      assert.has_error(function() conn:perform(-1) end)
      assert.has_error(function() conn:perform(0, "x") end)
      local seen = {}
      local done, fds, _, gone, timer = conn:perform()
      while not done do
        assert.is_table(gone)
        assert.is_number(timer)
        local fd, what = next(fds)
        core.sleep(0.005)
        if fd then seen[#seen + 1] = fd end
        done, fds, _, gone, timer = conn:perform(fd, what)
      end
      assert.equal(200, (conn:finish()))
      assert.is_true(#seen > 0)
      -- finishing took the socket out of libcurl's watch: the next transfer's first perform says so
      assert.is_true(conn:start(PATH))
      done, _, _, gone = conn:perform()
      assert.is_false(done)
      assert.is_true(gone[seen[#seen]])
      conn:cancel()
      conn:close()
    end)

    it("refuses a second transfer and a blocking get while one is in progress", function()
      local conn = connect()
      server:script { { delay = 0.2 } }
      assert.is_true(conn:start(PATH))
      assert.has_error(function() conn:start(PATH) end, "a transfer of this linky.Connection is in progress")
      assert.has_error(function() conn:get(PATH) end, "a transfer of this linky.Connection is in progress")
      assert.has_error(function() conn:finish() end, "no ended transfer of this linky.Connection")
      conn:cancel()
      conn:cancel()
      assert.has_error(function() conn:perform() end, "no transfer of this linky.Connection is in progress")
      assert.equal(200, (conn:get(PATH)))
      conn:close()
    end)

    it("closes mid-transfer, and is collected mid-transfer, leaking nothing", function()
      collectgarbage()
      collectgarbage()
      local before = core.open_connections()
      server:script { { delay = 0.5 }, { delay = 0.5 } }
      local conn = connect()
      assert.is_true(conn:start(PATH))
      conn:perform()
      conn:close()
      conn:close()
      assert.has_error(function() conn:perform() end, "attempt to use a closed linky.Connection")
      local dropped = connect()
      assert.is_true(dropped:start(PATH))
      dropped:perform()
      dropped = nil -- luacheck: ignore
      collectgarbage()
      collectgarbage()
      assert.equal(before, core.open_connections())
    end)
  end)
end)

describe("linky", function()
  local linky = require "linky"
  local clients = require "spec.support.client"
  local faults = require "spec.support.faults"

  describe("client:start", function()
    it("returns invalid_argument on a Lua that cannot yield across pcall", function()
      if async.available then pending("only Lua 5.1 cannot yield across pcall (running Lua " .. versions.NAME .. ")") end
      local c = assert(clients.new { token = emu.TOKEN1, base_url = "http://127.0.0.1:9/api" })
      local req, err = c:start("daily_consumption", "2026-04-01", "2026-04-04")
      assert.is_nil(req)
      assert.equal("invalid_argument", err.kind)
      c:close()
    end)

    local uv = require "luv"
    local lk = require "linky.luv"
    local server
    -- at least 100 ticks of 10 ms in 2 s (a blocked loop ticks once; make test runs a spec
    -- process per core and one more, so a tick may wait its turn); under valgrind a tenth of it
    local TICKS = math.floor(100 / clients.SLOWDOWN)
    local DAYS = { "2026-04-01", "2026-04-04" }

    setup(function() server = emu.start() end)
    teardown(function() server:stop() end)
    before_each(function() server:reset() end)

    -- A 10 ms repeating timer on the default loop: its tick count, and a function that stops it.
    local function ticker()
      local t = { n = 0 }
      local timer = uv.new_timer()
      timer:start(10, 10, function() t.n = t.n + 1 end)
      function t.stop()
        if not timer:is_closing() then timer:close() end
      end
      return t
    end

    local function state_path()
      local path = os.tmpname()
      os.remove(path)
      return path
    end

    it_async("keeps a luv loop ticking while a request waits 2 s, and returns what the blocking call returns", function()
      local c = assert(clients.new { token = emu.TOKEN1, base_url = server.url, timeout = 10 })
      local blocking = assert(c:daily_consumption(DAYS[1], DAYS[2]))
      server:script { { delay = 2 } }
      local t, got, err, calls = ticker(), nil, nil, 0
      local req = lk.fetch(c, "daily_consumption", DAYS[1], DAYS[2], nil, function(r, e)
        got, err, calls = r, e, calls + 1
        t.stop()
      end)
      assert.is_table(req)
      uv.run()
      assert.equal(1, calls)
      assert.is_nil(err)
      assert.same(blocking, got)
      assert.is_true(t.n >= TICKS, ("%d ticks"):format(t.n))
      c:close()
    end)

    it_async("keeps a cqueues controller ticking while a request waits 2 s, and returns what the blocking call returns", function()
      local cqueues = require "cqueues"
      local lc = require "linky.cqueues"
      local c = assert(clients.new { token = emu.TOKEN1, base_url = server.url, timeout = 10 })
      local blocking = assert(c:daily_consumption(DAYS[1], DAYS[2]))
      server:script { { delay = 2 } }
      local cq, ticks, got, err, ended = cqueues.new(), 0, nil, nil, false
      cq:wrap(function()
        got, err = lc.fetch(c, "daily_consumption", DAYS[1], DAYS[2])
        ended = true
      end)
      cq:wrap(function()
        while not ended do
          ticks = ticks + 1
          cqueues.sleep(0.01)
        end
      end)
      assert(cq:loop())
      assert.is_nil(err)
      assert.same(blocking, got)
      assert.is_true(ticks >= TICKS, ("%d ticks"):format(ticks))
      c:close()
    end)

    it_async("overlaps the transfers of two clients of one state file, the ledger counting each request", function()
      local path = state_path()
      local a = assert(clients.new { token = emu.TOKEN2, prm = emu.PRM1, base_url = server.url, timeout = 10,
                                     state = path })
      local b = assert(clients.new { token = emu.TOKEN2, prm = emu.PRM2, base_url = server.url, timeout = 10,
                                     state = path })
      server:script { { delay = 2 }, { delay = 2 } }
      local results, t0 = {}, uv.hrtime()
      lk.fetch(a, "daily_consumption", DAYS[1], DAYS[2], nil, function(r, e) results.a = { r, e } end)
      lk.fetch(b, "daily_consumption", DAYS[1], DAYS[2], nil, function(r, e) results.b = { r, e } end)
      uv.run()
      local elapsed = (uv.hrtime() - t0) / 1e9
      assert.is_table(results.a[1], tostring(results.a[2]))
      assert.is_table(results.b[1], tostring(results.b[2]))
      assert.equal(emu.PRM1, results.a[1].prm)
      assert.equal(emu.PRM2, results.b[1].prm)
      if clients.SLOWDOWN == 1 then assert.is_true(elapsed < 3.5, ("took %.2f s"):format(elapsed)) end
      assert.equal(2, a:budget().used)
      assert.equal(2, b:budget().used)
      a:close()
      b:close()
      os.remove(path)
    end)

    it_async("keeps the loop ticking while min_interval paces the requests", function()
      local c = assert(clients.new { token = emu.TOKEN1, base_url = server.url, min_interval = 1,
                                     clock = require("linky.core").now })
      local t, got, err = ticker(), nil, nil
      -- 10 days of load curve: two requests, the second paced 1 s after the first
      lk.fetch(c, "consumption_load_curve", "2026-04-01", "2026-04-11", nil, function(r, e)
        got, err = r, e
        t.stop()
      end)
      uv.run()
      assert.is_nil(err)
      assert.equal(2, got.requests)
      assert.is_true(t.n >= math.floor(TICKS / 2), ("%d ticks"):format(t.n))
      c:close()
    end)

    it_async("keeps the loop ticking while another process holds the state file's lock", function()
      local path = state_path()
      local c = assert(clients.new { token = emu.TOKEN1, base_url = server.url, state = path })
      assert(c:budget()) -- the state file exists, a linky database
      local script, marker = os.tmpname(), os.tmpname()
      os.remove(marker)
      local f = assert(io.open(script, "w"))
      f:write([[
local core = require "linky.core"
local db = assert(core.open_sqlite(arg[1]))
assert(db:exec("BEGIN IMMEDIATE"))
local m = assert(io.open(arg[2], "w"))
m:write("locked")
m:close()
core.sleep(tonumber(arg[3]))
assert(db:exec("COMMIT"))
]])
      f:close()
      local hold = clients.SLOWDOWN > 1 and 3 or 1.5 -- the holder is not slowed; linky tries for 10 s
      assert(os.execute(("%s %s %s %s %s &"):format(clients.LUA, script, path, marker, hold)))
      local waited = 0
      while not io.open(marker) and waited < 10 * clients.SLOWDOWN do
        require("linky.core").sleep(0.01)
        waited = waited + 0.01
      end
      local t, got, err, t0 = ticker(), nil, nil, uv.hrtime()
      lk.fetch(c, "daily_consumption", DAYS[1], DAYS[2], nil, function(r, e)
        got, err = r, e
        t.stop()
      end)
      uv.run()
      local elapsed = (uv.hrtime() - t0) / 1e9
      assert.is_nil(err)
      assert.equal(3, #got.points)
      if clients.SLOWDOWN == 1 then
        assert.is_true(elapsed >= 0.5, ("took %.2f s: the lock was not held"):format(elapsed))
      end
      assert.is_true(t.n >= math.floor(TICKS / 3), ("%d ticks"):format(t.n))
      assert.equal(1, c:budget().used)
      c:close()
      os.remove(script)
      os.remove(marker)
      os.remove(path)
    end)

    it_async("prints its state, steps and cancels harmlessly once ended, and refuses a second request of its client", function()
      local c = assert(clients.new { token = emu.TOKEN1, base_url = server.url })
      server:script { { delay = 0.2 } }
      local req = assert(c:start("daily_consumption", DAYS[1], DAYS[2]))
      assert.equal("linky.Request: running", tostring(req))
      local fds, timeout = req:waits()
      assert.is_table(fds)
      assert.is_true(timeout >= 0)
      local again, err = c:start("daily_consumption", DAYS[1], DAYS[2])
      assert.is_nil(again)
      assert.equal("invalid_argument", err.kind)
      assert.has_error(function() c:start(1) end, "bad argument #1 to 'start' (string expected, got number)")
      local done, r
      repeat
        done, r = req:step()
        require("linky.core").sleep(0.005)
      until done
      assert.equal(3, #r.points)
      assert.equal("linky.Request: done", tostring(req))
      req:cancel()
      local d2, r2, e2 = req:step()
      assert.is_true(d2)
      assert.equal(r, r2)
      assert.is_nil(e2)
      assert.is_table(assert(c:start("daily_consumption", DAYS[1], DAYS[2]))) -- the client is free again
      c:close()
      assert.has_error(function() c:start("daily_consumption", DAYS[1], DAYS[2]) end,
        "attempt to use a closed linky.Client")
    end)

    it_async("refuses a blocking call while a request of its client is in progress, spending nothing; plan and budget stay allowed", function()
      local path = state_path()
      local c = assert(clients.new { token = emu.TOKEN1, base_url = server.url, timeout = 10, state = path,
                                     cache = true, today = "2026-04-10" })
      server:script { { delay = 0.5 } }
      local req = assert(c:start("daily_consumption", DAYS[1], DAYS[2]))
      assert.equal(1, c:budget().used)
      local calls = {
        function() return c:fetch("daily_consumption", DAYS[1], DAYS[2]) end,
        function() return c:daily_consumption(DAYS[1], DAYS[2]) end,
        function() return c:update("daily_consumption") end,
        function() return c:backfill("daily_consumption", DAYS[1]) end,
      }
      for i, call in ipairs(calls) do
        local r, err = call()
        assert.is_nil(r, i)
        assert.equal("invalid_argument", err.kind, i)
      end
      assert.equal(1, c:budget().used)
      assert.equal(1, assert(c:plan("daily_consumption", DAYS[1], DAYS[2])).requests)
      assert.is_true(assert(linky.status(path)).exists)
      local done, r, err
      repeat
        done, r, err = req:step()
        require("linky.core").sleep(0.005)
      until done
      assert.is_nil(err)
      assert.equal(3, #r.points)
      assert.equal(1, c:budget().used)
      assert.equal(3, #assert(c:daily_consumption(DAYS[1], DAYS[2])).points) -- free again, from the store
      c:close()
      os.remove(path)
    end)

    it_async("updates without blocking", function()
      local path = state_path()
      local c = assert(clients.new { token = emu.TOKEN1, base_url = server.url, state = path, cache = true,
                                     today = "2026-04-10" })
      local got, err
      lk.update(c, "daily_consumption", { since = "2026-04-01" }, function(r, e) got, err = r, e end)
      uv.run()
      assert.is_nil(err)
      assert.equal(9, got.days_new)
      c:close()
      os.remove(path)
    end)

    it_async("updates without blocking from a cqueues coroutine, then sends nothing when up to date", function()
      local cqueues = require "cqueues"
      local lc = require "linky.cqueues"
      local path = state_path()
      local c = assert(clients.new { token = emu.TOKEN1, base_url = server.url, state = path, cache = true,
                                     today = "2026-04-10" })
      local cq, first, second, err = cqueues.new(), nil, nil, nil
      cq:wrap(function()
        first, err = lc.update(c, "daily_consumption", { since = "2026-04-01" })
        if first then second, err = lc.update(c, "daily_consumption") end
      end)
      assert(cq:loop())
      assert.is_nil(err)
      assert.equal(9, first.days_new)
      assert.equal(2, first.requests) -- the last 7 days, then the 2 before them
      assert.equal(0, second.requests)
      local bad, why = lc.update(c, "no_such_kind")
      assert.is_nil(bad)
      assert.equal("invalid_argument", why.kind)
      c:close()
      os.remove(path)
    end)

    describe("cancelling", function()
      -- A client whose first request of a 10-day load curve answers at once, the second after
      -- 30 s (it is cancelled long before).
      local function started(path)
        local c = assert(clients.new { token = emu.TOKEN1, base_url = server.url, timeout = 60, state = path,
                                       cache = true, today = "2026-04-20" })
        server:script { {}, { delay = 30 } }
        return c
      end

      local function check(c, err, calls, t0)
        assert.equal(1, calls)
        assert.equal("cancelled", err.kind)
        assert.is_true(err.retryable)
        assert.is_true((uv.hrtime() - t0) / 1e9 < 2 * clients.SLOWDOWN)
        assert.is_table(err.partial)
        assert.is_true(#err.partial.points > 0)
        return c
      end

      it_async("ends at once with cancelled and the earlier sub-ranges, stores nothing of the transfer, keeps the slot spent", function()
        local path = state_path()
        local c = started(path)
        local err, calls, t0 = nil, 0, uv.hrtime()
        local req
        req = lk.fetch(c, "consumption_load_curve", "2026-04-01", "2026-04-11", nil, function(_, e)
          err, calls = e, calls + 1
        end)
        local waiter = uv.new_timer()
        waiter:start(300 * clients.SLOWDOWN, 0, function()
          waiter:close()
          req:cancel()
        end)
        uv.run() -- returns: the adapter holds no handle once cancelled
        check(c, err, calls, t0)
        assert.equal(2, c:budget().used)
        local p = assert(c:plan("consumption_load_curve", "2026-04-01", "2026-04-11"))
        assert.equal(1, p.requests) -- the second range was not stored
        assert.equal(7, p.stored_days)
        c:close()
        os.remove(path)
      end)

      it_async("ends at once when the client closes mid-transfer", function()
        local path = state_path()
        local c = started(path)
        local err, calls, t0 = nil, 0, uv.hrtime()
        lk.fetch(c, "consumption_load_curve", "2026-04-01", "2026-04-11", nil, function(_, e)
          err, calls = e, calls + 1
        end)
        local waiter = uv.new_timer()
        waiter:start(300 * clients.SLOWDOWN, 0, function()
          waiter:close()
          c:close()
        end)
        uv.run()
        check(c, err, calls, t0)
        os.remove(path)
      end)

      it_async("ends a cqueues call with cancelled", function()
        local cqueues = require "cqueues"
        local lc = require "linky.cqueues"
        local path = state_path()
        local c = started(path)
        local cq, err = cqueues.new(), nil
        cq:wrap(function()
          local r
          r, err = lc.fetch(c, "consumption_load_curve", "2026-04-01", "2026-04-11")
          assert.is_nil(r)
        end)
        cq:wrap(function()
          cqueues.sleep(0.3 * clients.SLOWDOWN)
          c:close()
        end)
        assert(cq:loop())
        assert.equal("cancelled", err.kind)
        assert.is_true(#err.partial.points > 0)
        os.remove(path)
      end)

      it_async("ends a cqueues call at once when cancelled while pacing waits", function()
        local cqueues = require "cqueues"
        local lc = require "linky.cqueues"
        local c = assert(clients.new { token = emu.TOKEN1, base_url = server.url, min_interval = 30,
                                       clock = require("linky.core").now })
        local cq, err, t0 = cqueues.new(), nil, uv.hrtime()
        cq:wrap(function()
          local r
          r, err = lc.fetch(c, "consumption_load_curve", "2026-04-01", "2026-04-11")
          assert.is_nil(r)
        end)
        cq:wrap(function()
          cqueues.sleep(0.3 * clients.SLOWDOWN)
          c:close()
        end)
        assert(cq:loop())
        assert.equal("cancelled", err.kind)
        assert.is_true(#err.partial.points > 0)
        assert.is_true((uv.hrtime() - t0) / 1e9 < 2 * clients.SLOWDOWN)
      end)
    end)

    describe("callbacks", function()
      -- 10 days of load curve: two requests, the progress callback called before each; `on_second`
      -- runs in the callback before the second one.
      local RANGE = { "2026-04-01", "2026-04-11" }
      local function client(path)
        return assert(clients.new { token = emu.TOKEN1, base_url = server.url, timeout = 10, state = path,
                                    cache = true, today = "2026-04-20" })
      end
      local function progress(on_second)
        return function(i) if i == 2 then on_second() end end
      end
      -- Steps a request to its end; what each step raised, in order, and what it ended with.
      local function run(req)
        local raised = {}
        while true do
          local ok, done, r, err = pcall(req.step, req)
          if not ok then
            raised[#raised + 1] = done
          elseif done then
            return raised, r, err
          end
          require("linky.core").sleep(0.002)
        end
      end

      it_async("cancel from inside a progress callback ends the request with cancelled, sending nothing more", function()
        local path = state_path()
        local c, req = client(path), nil
        req = assert(c:start("consumption_load_curve", RANGE[1], RANGE[2],
          { progress = progress(function() req:cancel() end) }))
        local raised, r, err = run(req)
        assert.same({}, raised)
        assert.is_nil(r)
        assert.equal("cancelled", err.kind)
        assert.equal(7 * 48, #err.partial.points)
        assert.equal(1, c:budget().used) -- the second request was never sent: its slot is free
        assert.equal(1, assert(c:plan("consumption_load_curve", RANGE[1], RANGE[2])).requests)
        assert.same({ true, nil, err }, { req:step() })
        c:close()
        os.remove(path)
      end)

      it_async("close from inside a progress callback ends the request with cancelled and closes the client", function()
        local path = state_path()
        local c = client(path)
        local req = assert(c:start("consumption_load_curve", RANGE[1], RANGE[2],
          { progress = progress(function() c:close() end) }))
        local raised, r, err = run(req)
        assert.same({}, raised)
        assert.is_nil(r)
        assert.equal("cancelled", err.kind)
        assert.equal("linky.Client: closed", tostring(c))
        assert.has_error(function() c:budget() end, "attempt to use a closed linky.Client")
        assert.is_nil(io.open(path .. "-wal")) -- its state closed too: SQLite removes the WAL file
        local again = assert(client(path))
        assert.equal(1, again:budget().used)
        again:close()
        os.remove(path)
      end)

      it_async("a callback's raise is raised by the first step, and later steps end with callback_error", function()
        local c = client(false)
        local req = assert(c:start("consumption_load_curve", RANGE[1], RANGE[2],
          { progress = progress(function() error("progress failed", 0) end) }))
        local raised, r, err = run(req)
        assert.same({ "progress failed" }, raised)
        assert.is_nil(r)
        assert.is_true(linky.is_error(err))
        assert.equal("callback_error", err.kind)
        assert.equal("progress failed", err.message)
        assert.is_false(err.retryable)
        assert.same({ true, nil, err }, { req:step() })
        assert.is_table(assert(c:start("daily_consumption", DAYS[1], DAYS[2]))) -- the client is free again
        c:close()
      end)

      -- Runs a script fetching RANGE with linky.luv in a child process (a raise escaping a luv
      -- callback ends the process): its output and exit status. `on_second` is Lua source run in
      -- the progress callback before the second request, with `c` the client, `req` the request.
      local function luv_child(on_second)
        local script = os.tmpname()
        local f = assert(io.open(script, "w"))
        f:write(([[
local clients = require "spec.support.client"
local uv = require "luv"
local c = assert(clients.new { token = arg[2], base_url = arg[1], timeout = 10 })
local calls, req = 0, nil
req = require("linky.luv").fetch(c, "consumption_load_curve", "%s", "%s", {
  progress = function(i) if i == 2 then %s end end,
}, function(r, err)
  calls = calls + 1
  print(calls, r, err.kind, err.message)
end)
uv.run()
print("went on")
]]):format(RANGE[1], RANGE[2], on_second))
        f:close()
        local p = assert(io.popen(("%s %s %s %s 2>&1; echo \"exit $?\""):format(clients.LUA, script, server.url,
          emu.TOKEN1)))
        local out = p:read("*a")
        p:close()
        os.remove(script)
        return out
      end

      it_async("the luv adapter ends a request cancelled or closed from its progress callback with cancelled, once", function()
        local expected = "1\tnil\tcancelled\tthe request was cancelled\nwent on\nexit 0\n"
        assert.equal(expected, luv_child("req:cancel()"))
        assert.equal(expected, luv_child("c:close()"))
      end)

      it_async("the luv adapter gives a callback's raise to the user's callback as callback_error, and the process goes on", function()
        assert.equal("1\tnil\tcallback_error\tprogress failed\nwent on\nexit 0\n",
          luv_child('error("progress failed", 0)'))
      end)

      it_async("the cqueues adapter returns a callback's raise as callback_error, and the controller goes on", function()
        local cqueues = require "cqueues"
        local lc = require "linky.cqueues"
        local c = client(false)
        local cq, r, err, after = cqueues.new(), nil, nil, false
        cq:wrap(function()
          r, err = lc.fetch(c, "consumption_load_curve", RANGE[1], RANGE[2],
            { progress = progress(function() error("progress failed", 0) end) })
          after = true
        end)
        assert.is_true((cq:loop()))
        assert.is_true(after)
        assert.is_nil(r)
        assert.equal("callback_error", err.kind)
        assert.equal("progress failed", err.message)
        c:close()
      end)
    end)

    describe("fault matrix", function()
      local refused_url
      setup(function()
        local dead = emu.start()
        refused_url = dead.url
        dead:stop()
      end)

      for _, case in ipairs(faults.cases) do
        if case.base_url ~= "unresolvable" then
          it_async(("gives %s the blocking call's answer"):format(case.name), function()
            local url = case.base_url == "refused" and refused_url or server.url
            local function client()
              return assert(clients.new { token = emu.TOKEN1, base_url = url, timeout = case.timeout,
                                          max_body = case.max_body })
            end
            server:reset()
            if case.answer then server:script { case.answer } end
            local c = client()
            local r, err
            lk.fetch(c, "daily_consumption", DAYS[1], DAYS[2], nil, function(x, e) r, err = x, e end)
            uv.run()
            c:close()
            if case.ok then
              assert.is_nil(err)
              assert.equal(3, #r.points)
              return
            end
            assert.is_nil(r)
            assert.is_true(linky.is_error(err))
            assert.equal(case.kind, err.kind)
            assert.equal(case.status, err.status)
            assert.equal(case.retryable, err.retryable)
            if case.upstream_code then assert.equal(case.upstream_code, err.upstream_code) end
          end)
        end
      end
    end)
  end)
end)

describe("examples", function()
  local clients = require "spec.support.client"
  for _, name in ipairs { "luv", "cqueues", "poll" } do
    it_async(("examples/%s.lua fetches a week against the emulator"):format(name), function()
      local p = assert(io.popen(("LINKY_TOKEN= %s examples/%s.lua 2>&1"):format(clients.LUA, name)))
      local out = p:read("*a")
      p:close()
      assert.matches("^7 days, ", out)
    end)
  end
end)
