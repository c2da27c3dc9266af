-- max_body: a response over the limit is cut off while streaming, and memory stays bounded.
local emu = require "spec.support.emulator_spec_helper"
local clients = require "spec.support.client"

local MiB = 1024 * 1024
local LIMIT = 32 * MiB -- the default max_body

-- Fetches a body 4 times the default limit, then prints the error kind and the peak RSS (VmHWM).
local CHILD = [[
local clients = require "spec.support.client"
local c = assert(clients.new { token = arg[1], base_url = arg[2], timeout = 60 })
local r, err = c:daily_consumption("2026-04-01", "2026-04-04")
local f = assert(io.open("/proc/self/status"))
local hwm = f:read("*a"):match("VmHWM:%s*(%d+) kB")
f:close()
io.write(r and "ok" or err.kind, " ", hwm, "\n")
]]

local function run(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("*a")
  p:close()
  return out
end

describe("linky", function()
  -- #once: a body of 128 MiB, run once per CI run (make test-all), not by make test
  describe("max_body #once", function()
    local server, big, script

    setup(function()
      server = emu.start()
      big = os.tmpname()
      -- a valid-looking JSON start, then 4 x the limit of padding
      assert(os.execute(("{ printf '{\"grandeur\":['; head -c %d /dev/zero | tr '\\0' ' '; } > %s")
        :format(4 * LIMIT, big)))
      script = os.tmpname()
      local f = assert(io.open(script, "w"))
      f:write(CHILD)
      f:close()
    end)
    teardown(function()
      server:stop()
      os.remove(big)
      os.remove(script)
    end)

    it("cuts off a body 4 times the default limit with a peak RSS under limit + 16 MiB", function()
      server:script { { body_file = big } }
      -- The bound is about the production build: an instrumented run (ASan) measures the plain
      -- module, built next to it, without the sanitizer runtime.
      local env = os.getenv("LINKY_EXPECT_MODULE") and "env -u LD_PRELOAD LUA_CPATH='./build/?.so;;' " or ""
      local out = run(("%s%s %s %s %s"):format(env, clients.LUA, script, emu.TOKEN1, server.url))
      local kind, hwm = out:match("^(%S+) (%d+)\n$")
      assert(kind, "child output: " .. out)
      assert.equal("invalid_response", kind)
      assert.is_true(tonumber(hwm) * 1024 < LIMIT + 16 * MiB, ("peak RSS %d kB"):format(hwm))
    end)
  end)
end)
