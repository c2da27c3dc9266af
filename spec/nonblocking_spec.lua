-- Non-blocking mode: the C core's multi transfer, the request object of client:start, and the
-- luv and cqueues adapters, against the emulator (slow routes are scripted with "delay").
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"

local PATH = "consommation_quotidienne?pointId=11111111111111&dateDebut=2026-04-01&dateFin=2026-04-04"

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
