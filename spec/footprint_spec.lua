-- Footprint: what a first call does not need (the command, the formats, costs, exporters,
-- non-blocking mode) is not loaded by it. Each case runs in a child process of its own: the
-- suite's process has every module loaded already.
local cli_runner = require "spec.support.cli_runner"
local emu = require "spec.support.emulator_spec_helper"

-- Modules a first data call of the library must not load.
local LIBRARY_UNNEEDED = {
  "linky.analysis", "linky.async", "linky.compare", "linky.cost", "linky.cre", "linky.holidays",
  "linky.homeassistant", "linky.influx", "linky.mqtt", "linky.publish", "linky.status",
  "linky.tempo", "linky.update", "linky.cli", "linky.format",
}

-- The modules of `loaded` (a list) that start with one of `prefixes` (a module or its package).
local function among(loaded, prefixes)
  local found = {}
  for _, name in ipairs(loaded) do
    for _, p in ipairs(prefixes) do
      if name == p or name:sub(1, #p + 1) == p .. "." then found[#found + 1] = name end
    end
  end
  return found
end

-- Lua code that, at the process's exit, writes the linky modules it loaded to stderr as
-- "LOADED: a b c".
local RECORD = [[
local before = {}
for k in pairs(package.loaded) do before[k] = true end
local function loaded()
  local l = {}
  for k in pairs(package.loaded) do if not before[k] and k:match("^linky") then l[#l + 1] = k end end
  table.sort(l)
  return "LOADED: " .. table.concat(l, " ") .. "\n"
end
local exit = os.exit
os.exit = function(...) io.stderr:write(loaded()) return exit(...) end
]]

local function parse(text)
  local line = assert(text:match("LOADED: ([^\n]*)"), "no LOADED line in:\n" .. text)
  local l = {}
  for name in line:gmatch("%S+") do l[#l + 1] = name end
  return l
end

describe("footprint", function()
  local h = cli_runner.harness()
  setup(h.start)
  teardown(h.stop)
  before_each(h.fresh)
  after_each(h.clean)

  it("a first call of the library loads neither the command, formats, costs nor exporters", function()
    local script = h.runner:write("first_call.lua", RECORD .. ([[
local linky = require "linky"
local client = assert(linky.new { token = %q, base_url = %q, min_interval = 0, state = false })
local res = assert(client:daily_consumption("2026-04-01", "2026-04-03"))
assert(#res.points == 2, "two days")
client:close()
os.exit(0)
]]):format(emu.TOKEN1, h.server.url))
    local r = h.runner:run({}, { program = script })
    assert.are.equal(0, r.code, r.err)
    local loaded = parse(r.err)
    assert.is_true(#among(loaded, { "linky.fetch", "linky.request", "linky.store" }) == 3)
    assert.are.same({}, among(loaded, LIBRARY_UNNEEDED))
    -- what was left out still works when asked for
    local later = h.runner:write("later.lua", ([[
local linky = require "linky"
assert(type(linky.cost) == "function" and type(linky.aggregate) == "function")
assert(type(linky.compare) == "function" and linky.nothing == nil)
assert(package.loaded["linky.cost"] and package.loaded["linky.analysis"])
]]))
    assert.are.equal(0, h.runner:run({}, { program = later }).code)
  end)

  it("a data command loads its format only, and no other command", function()
    local wrapper = h.runner:write("linky_recorded.lua", RECORD .. ("arg[0] = %q\ndofile(arg[0])\n")
      :format(cli_runner.ROOT .. "/bin/linky"))
    local r = h.data({ "daily", "--start", "2026-04-01", "--end", "2026-04-02", "--format", "csv" },
      { program = wrapper })
    assert.are.equal(0, r.code, r.err)
    assert.matches("2026%-04%-01", r.out)
    local loaded = parse(r.err)
    assert.are.same({ "linky.format.common", "linky.format.csv" }, among(loaded, { "linky.format.common",
      "linky.format.csv", "linky.format.table", "linky.format.json", "linky.format.chart",
      "linky.format.jsonl", "linky.format.influx", "linky.format.status" }))
    assert.are.same({}, among(loaded, { "linky.cli.cost", "linky.cli.compare", "linky.cli.publish",
      "linky.cli.setup", "linky.cli.tariff", "linky.cli.tempo", "linky.cli.state", "linky.cli.update",
      "linky.cost", "linky.compare", "linky.publish", "linky.tempo", "linky.influx", "linky.async" }))
  end)
end)
