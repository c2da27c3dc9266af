local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"

describe("linky.core", function()
  describe("Connection", function()
    local server
    setup(function() server = emu.start() end)
    teardown(function() server:stop() end)

    local function connect()
      return core.connect { base_url = server.url, token = emu.TOKEN1, user_agent = "spec" }
    end

    it("gets status, body and content type", function()
      local conn = connect()
      local status, body, ctype = conn:get("consommation_quotidienne?pointId=11111111111111&dateDebut=2026-04-01&dateFin=2026-04-04")
      assert.equal(200, status)
      assert.matches('"idPrm":"11111111111111"', body)
      assert.matches("^application/json", ctype)
      assert.same({ requests = 1, connects = 1 }, conn:stats())
      conn:close()
    end)

    it("closes twice, raises after close and prints its state", function()
      local conn = connect()
      assert.matches("^linky.Connection: 0x", tostring(conn))
      conn:close()
      conn:close()
      assert.equal("linky.Connection: closed", tostring(conn))
      assert.has_error(function() conn:get("x") end, "attempt to use a closed linky.Connection")
      assert.has_error(function() conn:stats() end, "attempt to use a closed linky.Connection")
    end)

    it("closes on garbage collection", function()
      collectgarbage()
      collectgarbage()
      local before = core.open_connections()
      for _ = 1, 200 do connect() end
      assert.equal(before + 200, core.open_connections())
      collectgarbage()
      collectgarbage()
      assert.equal(before, core.open_connections())
      local kept = connect()
      kept:close()
      kept:close()
      assert.equal(before, core.open_connections())
    end)

    it("raises on wrongly typed options", function()
      assert.has_error(function() core.connect() end)
      assert.has_error(function() core.connect { base_url = server.url, token = 1, user_agent = "x" } end,
        "bad option 'token' (string expected, got number)")
      assert.has_error(function() core.connect { base_url = server.url, token = "t", user_agent = "x", timeout = "1" } end,
        "bad option 'timeout' (number expected, got string)")
      assert.has_error(function() core.connect { base_url = server.url, token = "t", user_agent = "x", timeout = -1 } end)
    end)
  end)
end)
