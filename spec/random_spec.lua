-- linky's randomness (the cron minute, the retry jitter): its own, from the system's random
-- source, so that it differs in every process on every Lua version and never touches the host
-- program's math.random. Each promise runs in child processes of the suite's interpreter.
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"
local cli_runner = require "spec.support.cli_runner"
local versions = require "spec.support.versions"

local quote = emu.quote

-- The output of a Lua chunk run by a child of the suite's interpreter, with its module paths.
local function child(dir, code)
  local path = dir .. "/child.lua"
  local f = assert(io.open(path, "wb"))
  f:write(code)
  f:close()
  local p = assert(io.popen(("env LUA_PATH=%s LUA_CPATH=%s %s %s 2>&1"):format(quote(cli_runner.LUA_PATH),
    quote(cli_runner.LUA_CPATH), versions.LUA, quote(path))))
  local out = p:read("*a")
  p:close()
  return out
end

local function count_distinct(list)
  local seen, n = {}, 0
  for _, v in ipairs(list) do
    if not seen[v] then n = n + 1 end
    seen[v] = true
  end
  return n
end

describe("linky.core", function()
  describe("random", function()
    it("draws numbers in [0, 1), each time another", function()
      local seen = {}
      for i = 1, 1000 do
        local x = core.random()
        assert.is_number(x)
        assert.truthy(x >= 0 and x < 1, x)
        seen[i] = x
      end
      assert.truthy(count_distinct(seen) > 990)
    end)
  end)

  describe("random_bytes", function()
    it("reads the system's random source", function()
      local a, b = core.random_bytes(16), core.random_bytes(16)
      assert.equal(16, #a)
      assert.are_not.equal(a, b)
      assert.equal(256, #core.random_bytes(256))
      assert.has_error(function() core.random_bytes(0) end)
      assert.has_error(function() core.random_bytes(257) end)
      assert.has_error(function() core.random_bytes("x") end)
    end)
  end)
end)

describe("linky", function()
  local runner, dead_url

  setup(function()
    -- a port nobody listens on: every request fails as `network`, which is retried
    local dead = emu.start()
    dead_url = dead.url
    dead:stop()
  end)
  before_each(function() runner = cli_runner.new() end)
  after_each(function() runner:remove() end)

  -- A chunk making a client whose one call fails, is retried once after printing its delay
  -- (between 0 and 30 s), and fails again.
  local function retried_call()
    return ([[
      local linky = require "linky"
      local c = assert(linky.new { token = %q, base_url = %q, state = false, min_interval = 0,
        today = "2026-04-04", retry = { attempts = 1, base = 30, cap = 30 },
        sleep = function(s) io.write(("delay %%.17g\n"):format(s)) end })
      local _, err = c:daily_consumption("2026-04-01", "2026-04-02")
      assert(err.kind == "network" and err.attempts == 2, tostring(err))
      c:close()
    ]]):format(emu.TOKEN1, dead_url)
  end

  it("picks the cron minutes afresh in every process", function()
    local lines = {}
    for i = 1, 5 do
      local r = runner:run { "cron", "daily", "--backfill", "loadcurve", "--since", "2025-06-01" }
      assert.equal(0, r.code, r.err)
      -- the minutes and hours of both lines
      lines[i] = r.out:gsub("%* %* %*[^\n]*", "")
    end
    assert.truthy(count_distinct(lines) > 1, table.concat(lines, "; "))
  end)

  it("backs off by another delay in every process", function()
    local delays = {}
    for i = 1, 5 do
      local out = child(runner.dir, retried_call())
      delays[i] = out:match("^delay (%S+)\n$")
      assert.truthy(delays[i], out)
      assert.truthy(tonumber(delays[i]) >= 0 and tonumber(delays[i]) < 30, out)
    end
    assert.truthy(count_distinct(delays) > 1, table.concat(delays, ", "))
  end)

  it("leaves the host's math.random sequence as it was: loaded, a client made, a call retried", function()
    local draws = "local t = {} for i = 1, 8 do t[i] = ('%.17g'):format(math.random()) end"
      .. " print(table.concat(t, ' '), math.random(1, 1000000))\n"
    local without = child(runner.dir, "math.randomseed(42)\n" .. draws)
    local with = child(runner.dir, "math.randomseed(42)\n" .. retried_call() .. draws)
    assert.truthy(without:match("^[%d%.e%-%s]+$"), without)
    assert.equal(without, with:match("^delay %S+\n(.*)$"))
  end)
end)
