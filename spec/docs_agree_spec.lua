-- The docs agree with the code: the token order `linky --help` gives is the one the command
-- follows, and the options table of docs/library.md lists every option of `linky.new` (the
-- error-kind table: spec/errors_spec.lua).
local options = require "linky.options"
local emu = require "spec.support.emulator_spec_helper"
local cli_runner = require "spec.support.cli_runner"

local read = emu.read_file


describe("the docs", function()
  describe("linky --help", function()
    local h = cli_runner.harness()
    setup(h.start) teardown(h.stop) before_each(h.fresh) after_each(h.clean)

    -- The PRMs `linky prms` prints with the sources given: which token won.
    local function winner(sources)
      local argv, env = {}, { LINKY_TOKEN = "" }
      if sources.config then h.runner:write("config/linky/config", "token = " .. sources.config .. "\n") end
      if sources.env then env.LINKY_TOKEN = sources.env end
      if sources.file then
        argv[#argv + 1] = "--token-file"
        argv[#argv + 1] = h.runner:write("other-token", sources.file .. "\n")
      end
      if sources.arg then argv[#argv + 1] = "--token" argv[#argv + 1] = sources.arg end
      argv[#argv + 1] = "prms"
      argv[#argv + 1] = "--format"
      argv[#argv + 1] = "csv"
      local r = h.runner:run(argv, { env = env })
      assert.equal(0, r.code, r.err)
      return r.out:find(emu.PRM2, 1, true) and "TOKEN2" or "TOKEN1"
    end

    it("gives the token sources in the order the command follows", function()
      os.execute("mkdir -p " .. emu.quote(h.dir .. "/config/linky"))
      local help = h.runner:run({ "--help" }).out:gsub("%s+", " ")
      local order = help:match("Token %(never printed%), first found: (.-)%.")
      assert.truthy(order, help)
      local names = { ["--token TOKEN"] = "arg", ["--token-file FILE"] = "file", LINKY_TOKEN = "env",
                      ["the config file"] = "config" }
      local listed = {}
      for part in (order .. ";"):gmatch("%s*(.-);") do
        for text, name in pairs(names) do
          if part:sub(1, #text) == text then listed[#listed + 1] = name end
        end
      end
      assert.equal(4, #listed, order)
      -- each source listed wins over every one listed after it
      for i = 1, #listed - 1 do
        for j = i + 1, #listed do
          assert.equal("TOKEN2", winner { [listed[i]] = emu.TOKEN2, [listed[j]] = emu.TOKEN1 },
            listed[i] .. " over " .. listed[j])
          os.remove(h.dir .. "/config/linky/config")
        end
      end
    end)
  end)

  -- The names (in backquotes) of the first cells of a markdown table whose header's first cell
  -- is `first`.
  local function first_cells(text, first)
    local names, inside = {}, false
    for line in text:gmatch("[^\n]*") do
      if line:match("^| " .. first .. " |") then
        inside = true
      elseif inside and line:match("^|") then
        for name in (line:match("^|([^|]*)|") or ""):gmatch("`([^`]+)`") do names[#names + 1] = name end
      elseif inside and line ~= "" then
        break
      end
    end
    return names
  end

  it("list every option of linky.new in docs/library.md", function()
    local listed = {}
    for _, name in ipairs(first_cells(read("docs/library.md"), "option")) do listed[name] = true end
    for name in pairs(options.types) do assert.is_true(listed[name] == true, name .. " missing") end
    for name in pairs(listed) do assert.truthy(options.types[name], name .. " is not an option") end
  end)

end)

describe("the reference", function()
  it("publishes the public modules and marks every other one internal", function()
    local config = read("config.ld")
    local published = {}
    for file in config:match("file = (%b{})"):gmatch('"lua/linky/([%w_/]+)%.lua"') do published[file] = true end
    assert.same({ init = true, analysis = true, compare = true, cost = true, cqueues = true, errors = true,
                  kinds = true, luv = true, publish = true, tempo = true, ["format/jsonl"] = true,
                  ["format/influx"] = true, ["format/status"] = true }, published)
    local p = assert(io.popen("cd lua/linky && ls *.lua */*.lua"))
    for file in p:lines() do
      local name = file:gsub("%.lua$", "")
      local text = read("lua/linky/" .. file)
      local header = text:match("^(.-)\n%-%- @module")
      assert.truthy(header, file)
      if published[name] then
        assert.is_nil(header:find("Internal:", 1, true), file)
      else
        assert.truthy(header:find("Internal:", 1, true), file .. " is not marked internal")
      end
    end
    p:close()
  end)
end)
