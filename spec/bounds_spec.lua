-- Untrusted sizes are bounded: before lua-cjson runs, a body that would decode into too many
-- arrays and objects (more than one per 16 bytes past 4 KiB, or more than 10^6) is refused,
-- so a 30 MB body cannot cost a gigabyte of tables.
local core = require "linky.core"
local kinds = require "linky.kinds"
local emu = require "spec.support.emulator_spec_helper"
local clients = require "spec.support.client"

local MB = 1000 * 1000
local MiB = 1024 * 1024

-- `[[],[],...]`: 3 bytes an array, about `size` bytes in all.
local function arrays(size)
  local n = math.floor(size / 3)
  return "[" .. ("[],"):rep(n - 1) .. "[]]"
end

-- `{"k1":[],"k2":[],...}` with distinct keys, about `size` bytes in all.
local function keyed(size)
  local parts, len, i = { "{" }, 1, 0
  while len < size do
    i = i + 1
    local p = ('"k%d":[],'):format(i)
    parts[#parts + 1] = p
    len = len + #p
  end
  parts[#parts + 1] = '"end":[]}'
  return table.concat(parts)
end

local function nested(size)
  return ("["):rep(size)
end

-- An array of `count` - 1 empty arrays (`count` arrays in all), padded with spaces to
-- 16 * `count` + `extra` bytes.
local function dense(count, extra)
  local body = "[" .. ("[]," .. (" "):rep(13)):rep(count - 2) .. "[]"
  return body .. (" "):rep(16 * count + extra - #body - 1) .. "]"
end

-- The decode spec of each kind, as lua/linky/init.lua builds it.
local function spec_of(kind, api)
  local k = kinds[kind]
  if api == "legacy" then return { shape = "legacy", metier = k.metier, curve = k.load_curve } end
  return { shape = k.shape or "2026", metier = k.metier, measure = k.measure, curve = k.load_curve }
end

local RECORDED = {
  ["legacy/daily_consumption.json"] = { "daily_consumption", "legacy" },
  ["legacy/consumption_load_curve.json"] = { "consumption_load_curve", "legacy" },
  ["legacy/consumption_max_power.json"] = { "consumption_max_power", "legacy" },
  ["legacy/daily_production.json"] = { "daily_production", "legacy" },
  ["legacy/production_load_curve.json"] = { "production_load_curve", "legacy" },
  ["v2026/consommation_quotidienne.json"] = { "daily_consumption", "2026" },
  ["v2026/courbe_de_charge_consommation.json"] = { "consumption_load_curve", "2026" },
  ["v2026/courbe_de_charge_production.json"] = { "production_load_curve", "2026" },
  ["v2026/production_quotidienne.json"] = { "daily_production", "2026" },
  ["v2026/puissance_conso_max_quotidienne.json"] = { "consumption_max_power", "2026" },
}

describe("linky.core", function()
  describe("json_shape_ok", function()
    it("accepts every recorded body and small bodies of any shape", function()
      for name in pairs(RECORDED) do
        assert.is_true(core.json_shape_ok(emu.fixture(name)), name)
      end
      for _, body in ipairs { "", "[]", "{}", "null", "<html>", arrays(4000), nested(4000), keyed(4000) } do
        assert.is_true(core.json_shape_ok(body), body:sub(1, 20))
      end
    end)

    it("refuses more than one array or object per 16 bytes in a body over 4 KiB", function()
      for _, body in ipairs { arrays(5000), nested(5000), keyed(5000), arrays(MB) } do
        local ok, kind, msg = core.json_shape_ok(body)
        assert.is_nil(ok)
        assert.equal("invalid_response", kind)
        assert.matches("arrays and objects", msg)
      end
      -- one per 16 bytes exactly is still fine
      assert.equal(16 * 8192, #dense(8192, 0))
      assert.is_true(core.json_shape_ok(dense(8192, 0)))
      assert.is_nil(core.json_shape_ok(dense(8192, -1)))
    end)

    it("refuses more than 10^6 arrays and objects whatever the body's size", function()
      assert.is_true(core.json_shape_ok(dense(1000000, 0)))
      local ok, _, msg = core.json_shape_ok(dense(1000001, 64))
      assert.is_nil(ok)
      assert.matches("arrays and objects", msg)
    end)

    it("does not count brackets inside strings, escaped quotes included", function()
      local text = ("[{"):rep(4000)
      for _, body in ipairs {
        '{"a":"' .. text .. '"}',
        '{"a":"\\"' .. text .. '\\\\"}',
        '["\\\\",' .. '"' .. text .. '"]',
      } do
        assert.is_true(core.json_shape_ok(body), body:sub(1, 12))
      end
      assert.is_nil(core.json_shape_ok('{"a":"\\\\"' .. text .. '"}')) -- the string ends before them
    end)

    it("raises on a value that is not a string", function()
      assert.has_error(function() core.json_shape_ok() end)
      assert.has_error(function() core.json_shape_ok({}) end)
    end)
  end)

  describe("decode bounds", function()
    it("refuses a body of too many arrays and objects before decoding it", function()
      for _, body in ipairs { arrays(5000), nested(5000), keyed(5000) } do
        local r, kind, msg = core.decode(body, { shape = "2026", metier = "CONS" })
        assert.is_nil(r)
        assert.equal("invalid_response", kind)
        assert.matches("arrays and objects", msg)
      end
    end)

    it("still decodes every recorded body", function()
      for name, case in pairs(RECORDED) do
        local r = assert(core.decode(emu.fixture(name), spec_of(case[1], case[2])), name)
        assert.is_true(#r.points > 0, name)
      end
    end)

    it("still decodes the benchmark's two years of load curve", function()
      local body = emu.synthetic("courbe_de_charge_consommation",
        { prm = emu.PRM1, start = "2024-03-01", ["end"] = "2026-03-01" })
      assert.is_true(#body > 2 * MB)
      assert.is_true(core.json_shape_ok(body))
      local r = assert(core.decode(body, spec_of("consumption_load_curve", "2026")))
      assert.equal(35040, #r.points)
    end)
  end)
end)

-- Fetches one 30 MB body through a client, then prints the error kind and the peak RSS (VmHWM).
local CHILD = [[
local clients = require "spec.support.client"
local c = assert(clients.new { token = arg[1], base_url = arg[2], timeout = 60 })
local r, err = c:daily_consumption("2026-04-01", "2026-04-04")
local f = assert(io.open("/proc/self/status"))
local hwm = f:read("*a"):match("VmHWM:%s*(%d+) kB")
f:close()
io.write(r and "ok" or err.kind, " ", hwm, "\n")
]]

describe("linky", function()
  -- #once: a 30 MB body per case, run once per CI run (make test-all), not by make test
  describe("memory bound of a hostile body #once", function()
    local server, script, file

    setup(function()
      server = emu.start()
      script = os.tmpname()
      file = os.tmpname()
      local f = assert(io.open(script, "w"))
      f:write(CHILD)
      f:close()
    end)
    teardown(function()
      server:stop()
      os.remove(script)
      os.remove(file)
    end)

    local SIZE = 30 * MB
    for name, make in pairs { ["[[],[],...]"] = arrays, ["[[[[..."] = nested, ['{"k1":[],"k2":[],...}'] = keyed } do
      it(("keeps the peak RSS under 3 times a 30 MB body of %s"):format(name), function()
        local f = assert(io.open(file, "wb"))
        f:write(make(SIZE))
        f:close()
        server:script { { body_file = file } }
        -- measured on the plain module, like limits_spec, when the suite runs under ASan
        local env = os.getenv("LINKY_EXPECT_MODULE") and "env -u LD_PRELOAD LUA_CPATH='./build/?.so;;' " or ""
        local p = assert(io.popen(("%s%s %s %s %s 2>&1"):format(env, clients.LUA, script, emu.TOKEN1, server.url)))
        local out = p:read("*a")
        p:close()
        local kind, hwm = out:match("^(%S+) (%d+)\n$")
        assert(kind, "child output: " .. out)
        assert.equal("invalid_response", kind)
        assert.is_true(tonumber(hwm) * 1024 < 3 * SIZE + 16 * MiB, ("peak RSS %d kB"):format(hwm))
      end)
    end
  end)
end)
