-- A client's session has one owner: argument errors name the method and count its arguments as
-- the standard library does, and a client closed by one of its own callbacks ends the call
-- cleanly, in both modes.
local simulated = require "spec.support.simulated"

describe("linky client", function()
  local t = simulated.new()
  setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)

  describe("argument errors", function()
    local function raises(pattern, fn)
      local ok, err = pcall(fn)
      assert.is_false(ok)
      assert.truthy(tostring(err):find(pattern), tostring(err))
      -- the level is the caller's: this file, not linky's
      assert.truthy(tostring(err):find("^spec/session_spec%.lua:%d+: "), tostring(err))
    end

    it("name the method and the position of the argument", function()
      local c = t.client()
      raises("bad argument #2 to 'start' %(string or table expected, got number%)", function()
        c:start("daily_consumption", 5)
      end)
      raises("bad argument #3 to 'fetch'", function() c:fetch("daily_consumption", "2026-11-01", 5) end)
      raises("bad argument #4 to 'fetch' %(table", function()
        c:fetch("daily_consumption", "2026-11-01", "2026-11-02", 5)
      end)
      raises("bad argument #1 to 'daily_consumption'", function() c:daily_consumption(5) end)
      raises("bad argument #3 to 'consumption_load_curve' %(table", function()
        c:consumption_load_curve("2026-11-01", "2026-11-02", 5)
      end)
      raises("bad argument #2 to 'plan'", function() c:plan("daily_consumption", true, "2026-11-02") end)
      raises("bad argument #3 to 'backfill' %(table", function()
        c:backfill("daily_consumption", "2026-11-01", 5)
      end)
      raises("bad argument #2 to 'update' %(table", function() c:update("daily_consumption", 5) end)
      raises("bad argument #2 to 'start_update' %(table", function()
        c:start_update("daily_consumption", 5)
      end)
      assert.equal(0, #t.server:api_requests())
    end)
  end)

  describe("closed by its own progress callback", function()
    it("ends a blocking call with cancelled, sending nothing more", function()
      local c = t.client()
      local r, err = c:consumption_load_curve("2026-11-01", "2026-11-20", { progress = function(i)
        if i == 2 then c:close() end
      end })
      assert.is_nil(r)
      assert.equal("cancelled", err.kind)
      assert.equal(7 * 48, #err.partial.points)
      assert.equal(1, #t.server:api_requests())
      assert.equal("linky.Client: closed", tostring(c))
      c:close()
    end)
  end)
end)
