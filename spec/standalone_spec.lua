-- A plain clone of the repository builds and tests with nothing beside it: no file of it
-- reads the fixtures of a sibling folder, and the recorded bodies are part of it.
local cjson = require "cjson.safe"
local emu = require "spec.support.emulator_spec_helper"
local versions = require "spec.support.versions"

local quote, read = emu.quote, emu.read_file

-- The repository: the folder above this file's spec/.
local HERE = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local ROOT = HERE .. "/.."

-- Spelled in two halves, so that this file does not match its own search.
local NEEDLES = { "../" .. "shared", "shared" .. "/fixtures" }
local TREES = { "Makefile", ".ci", "bin", "lua", "spec", "examples", "tools", "bench", "fuzz" }

local RECORDED = {
  "legacy/consumption_load_curve.json", "legacy/consumption_max_power.json",
  "legacy/daily_consumption.json", "legacy/daily_production.json",
  "legacy/production_load_curve.json",
  "v2026/consommation_quotidienne.json", "v2026/courbe_de_charge_consommation.json",
  "v2026/courbe_de_charge_production.json", "v2026/production_quotidienne.json",
  "v2026/puissance_conso_max_quotidienne.json",
}

-- Output lines of a shell command.
local function lines(command)
  local p = assert(io.popen(command))
  local out = {}
  for l in p:lines() do out[#out + 1] = l end
  p:close()
  return out
end

local function realpath(path)
  return lines("realpath -e -- " .. quote(path) .. " 2>/dev/null")[1]
end

describe("linky repository", function()
  it("has no file that refers to a sibling shared folder", function()
    local trees = {}
    for i, t in ipairs(TREES) do trees[i] = quote(ROOT .. "/" .. t) end
    -- what git ignores (build output, the benchmark's work and node modules) is not the repository's
    local files = lines("find " .. table.concat(trees, " ") .. " -type f"
      .. " -not -path '*/bench/node_modules/*' -not -path '*/bench/.work/*' 2>/dev/null")
    assert.is_true(#files > 50, "found only " .. #files .. " files")
    local offenders = {}
    for _, file in ipairs(files) do
      local data = read(file) or ""
      for _, needle in ipairs(NEEDLES) do
        if data:find(needle, 1, true) then offenders[#offenders + 1] = file .. ": " .. needle end
      end
    end
    assert.same({}, offenders)
  end)

  it("holds the recorded fixtures the emulator and the specs read by default", function()
    local fixtures = emu.eval("emulator.DEFAULT_FIXTURES")
    local root = assert(realpath(ROOT))
    local default = realpath(fixtures)
    assert.is_string(default, "missing: " .. fixtures)
    assert.equal(root .. "/", default:sub(1, #root + 1))
    assert.equal(default, realpath(emu.FIXTURES))
    local found = {}
    for _, f in ipairs(lines("cd " .. quote(default) .. " && find . -type f | sort")) do
      found[#found + 1] = f:gsub("^%./", "")
    end
    assert.same(RECORDED, found)
    for _, f in ipairs(RECORDED) do
      assert.is_table(cjson.decode(read(default .. "/" .. f)), f)
    end
  end)

  it("writes the library in the Lua every version reads: it parses as Lua 5.1, with no 5.2+ escape", function()
    local files = lines("cd " .. quote(ROOT) .. " && ls lua/linky/*.lua lua/linky/format/*.lua lua/linky/cli/*.lua bin/*")
    assert.is_true(#files > 10)
    local out = lines("cd " .. quote(ROOT) .. " && luac5.1 -p " .. table.concat(files, " ") .. " 2>&1; echo $?")
    assert.same({ "0" }, out)
    -- Lua 5.1 reads \x41, \u{41} and \z as other bytes, without an error
    for _, f in ipairs(files) do
      local text = read(ROOT .. "/" .. f)
      assert.is_nil(text:find("\\x%x") or text:find("\\u{") or text:find("\\z"), f)
    end
  end)
end)

describe("linky packaging", function()
  -- The rockspec, read as the Lua table it is.
  local function rockspec()
    local env = {}
    assert(versions.load(read(ROOT .. "/rockspec/linky-scm-1.rockspec"), "rockspec", env))()
    return env
  end

  local function sorted(t)
    table.sort(t)
    return t
  end

  it("lists every Lua module of lua/linky in the rockspec, sub-packages included", function()
    local want = {}
    for _, f in ipairs(lines("cd " .. quote(ROOT .. "/lua") .. " && find linky -name '*.lua'")) do
      want[#want + 1] = f:gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", ".")
    end
    local have = {}
    for name, m in pairs(rockspec().build.modules) do
      if type(m) == "string" then have[#have + 1] = name end
    end
    assert.same(sorted(want), sorted(have))
  end)

  it("builds the C core from the same sources in the Makefile and the rockspec", function()
    local make = read(ROOT .. "/Makefile")
    local block = make:match("\nSOURCES%s*:=(.-)\n%S")
    local from_make = {}
    for f in block:gmatch("csrc/[%w_]+%.c") do from_make[#from_make + 1] = f end
    assert.same(sorted(from_make), sorted(rockspec().build.modules["linky.core"].sources))
  end)
end)
