-- No Lua traceback ever reaches the user of the linky command: odd states, odd ranges, odd
-- stored points, SIGINT and any argument vector end in one line and a documented exit code.
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"
local cli_runner = require "spec.support.cli_runner"
local versions = require "spec.support.versions"

local quote, read = emu.quote, emu.read_file
local LUA = versions.LUA
local unpack = versions.unpack

-- What an interpreter prints for an error nobody caught.
local function no_traceback(text, context)
  assert.is_nil(text:find("stack traceback", 1, true), context or text)
  assert.is_nil(text:find("lua5%.%d:"), context or text)
  assert.is_nil(text:find("luajit:", 1, true), context or text)
end

-- Polls `check` every 50 ms for up to `seconds`: its first true result, or nil.
local function wait_for(seconds, check)
  for _ = 1, seconds * 20 do
    local v = check()
    if v then return v end
    os.execute("sleep 0.05")
  end
  return nil
end

describe("linky command robustness", function()
  local h = cli_runner.harness()
  setup(h.start) teardown(h.stop) before_each(h.fresh) after_each(h.clean)
  local data = h.data

  describe("an unusable state", function()
    it("makes status exit 5 with one line: a folder, a file that is not SQLite", function()
      assert(os.execute("mkdir " .. quote(h.dir .. "/folder.sqlite3")))
      h.runner:write("junk.sqlite3", ("not a database\n"):rep(100))
      for _, path in ipairs { h.dir .. "/folder.sqlite3", h.dir .. "/junk.sqlite3" } do
        local r = data { "status", "--state", path }
        assert.equal(5, r.code, r.err)
        no_traceback(r.err)
        assert.truthy(r.err:match("^linky: state_unavailable[^\n]*\n$"), r.err)
        r = data { "daily", "--state", path }
        assert.equal(5, r.code, r.err)
        assert.truthy(r.err:match("^linky: state_unavailable[^\n]*\n$"), r.err)
      end
      assert.equal(0, #h.server:api_requests())
    end)
  end)

  describe("--last", function()
    it("is a usage error when it reaches back before 1970, in days, weeks or months", function()
      for _, last in ipairs { "30000m", "120000m", "120000w", "60000d" } do
        local r = data { "daily", "--last", last }
        assert.equal(2, r.code, last .. "\n" .. r.err)
        no_traceback(r.err)
        assert.truthy(r.err:match("^linky: usage: [^\n]+\n$"), r.err)
      end
      local r = data({ "daily", "--last", "1m" }, { env = { LINKY_TODAY = "0001-01-15" } })
      assert.equal(2, r.code, r.err)
      no_traceback(r.err)
      assert.equal(0, #h.server:api_requests())
    end)
  end)

  describe("SIGINT", function()
    it("during a fetch: one line, exit 130, and what was fetched before stays in the store", function()
      -- the second of two load-curve requests is answered late: SIGINT arrives while it waits
      h.server:script { { type = "courbe_de_charge_consommation" },
        { type = "courbe_de_charge_consommation", delay = 1.5 } }
      local state = h.dir .. "/interrupted.sqlite3"
      local command = h.runner:command({ "loadcurve", "--base-url", h.server.url, "--token-file", h.runner.token_file,
        "--start", "2026-03-01", "--end", "2026-03-15", "--format", "csv", "--state", state }, nil, true)
      local pid_file, code_file = h.dir .. "/pid", h.dir .. "/code"
      os.execute(("(%s >%s 2>%s </dev/null & echo $! >%s; wait $!; echo $? >%s) >/dev/null 2>&1 &"):format(command,
        quote(h.dir .. "/out"), quote(h.dir .. "/err"), quote(pid_file), quote(code_file)))
      local pid = wait_for(10, function() return tonumber(read(pid_file) or "") end)
      assert.truthy(wait_for(10, function() return #h.server:api_requests() == 2 end), "no second request")
      os.execute("kill -INT " .. pid)
      local code = wait_for(15, function() return tonumber(read(code_file) or "") end)
      local err = read(h.dir .. "/err") or ""
      assert.equal(130, code, err)
      assert.equal("linky: interrupted\n", err)
      local db = assert(core.open_sqlite(state))
      finally(function() db:close() end)
      assert.same({ { n = 7 * 48 } }, db:rows("SELECT count(*) AS n FROM readings"))
      assert.same({ { first = "2026-03-01", last = "2026-03-07" } },
        db:rows("SELECT min(date(day * 86400, 'unixepoch')) AS first, max(date(day * 86400, 'unixepoch')) AS last"
          .. " FROM days"))
    end)

    it("while a token is typed: one line, exit 130, echo back on", function()
      local command = ("trap '' INT; %s auth; echo \"code=$?\"; stty -a | grep -o -- ' -*echo ' | head -1")
        :format(h.runner:command({}, { NO_COLOR = false }))
      local seen = h.runner:in_terminal(command, "will not be shown", "\3")
      no_traceback(seen)
      assert.truthy(seen:find("\nlinky: interrupted\ncode=130\n", 1, true), seen)
      assert.truthy(seen:find("\n echo \n", 1, true), seen)
      assert.is_nil(seen:find("-echo", 1, true), seen)
    end)
  end)

  describe("a stored point without a step", function()
    local state

    before_each(function()
      state = h.dir .. "/stepless.sqlite3"
      local r = data { "loadcurve", "--start", "2026-04-01", "--end", "2026-04-02", "--format", "csv", "--state", state }
      assert.equal(0, r.code, r.err)
      local db = assert(core.open_sqlite(state))
      assert(db:exec("UPDATE readings SET step = NULL WHERE time = (SELECT min(time) FROM readings)"))
      db:close()
    end)

    it("is shown as it is: table, CSV, JSON and chart", function()
      for _, args in ipairs { {}, { "--format", "csv" }, { "--format", "json" }, { "--format", "chart" } } do
        local r = data { "loadcurve", "--start", "2026-04-01", "--end", "2026-04-02", "--state", state,
          unpack(args) }
        local what = table.concat(args, " ")
        assert.equal(0, r.code, what .. "\n" .. r.err)
        no_traceback(r.err, what)
        assert.truthy(r.out:find("2026-04-01", 1, true), what)
      end
      local r = data { "loadcurve", "--start", "2026-04-01", "--end", "2026-04-02", "--state", state }
      assert.truthy(r.out:find("\npoint 1 (2026-04-01 00:30:00) has no step: its energy is unknown\n", 1, true), r.out)
      assert.equal(1, #h.server:api_requests()) -- every run but the first served from the store
    end)

    it("makes what needs its energy exit 7 with one line: --by, --energy, --offpeak", function()
      for _, args in ipairs { { "--by", "day" }, { "--by", "hour", "--format", "csv" }, { "--energy" },
          { "--offpeak", "22:00-06:00" }, { "--offpeak", "22:00-06:00", "--format", "chart" } } do
        local r = data { "loadcurve", "--start", "2026-04-01", "--end", "2026-04-02", "--state", state,
          unpack(args) }
        local what = table.concat(args, " ")
        assert.equal(7, r.code, what .. "\n" .. r.err)
        no_traceback(r.err, what)
        assert.truthy(r.err:match("^linky: [^\n]*no step[^\n]*\n$"), what .. "\n" .. r.err)
        assert.equal("", r.out)
      end
    end)
  end)

  describe("a raise inside the command", function()
    it("is one line, exit 1, 'internal error', with no token in it", function()
      -- LUA_INIT swaps linky.format for one that raises, with the token in the message
      local init = ("package.loaded['linky.format'] = setmetatable({}, { __index = function()"
        .. " error(%q) end })"):format("boom " .. emu.TOKEN1)
      local r = data({ "daily", "--start", "2026-04-01", "--end", "2026-04-04" }, { env = { LUA_INIT = init } })
      assert.equal(1, r.code, r.err)
      no_traceback(r.err)
      assert.truthy(r.err:match("^linky: internal error: [^\n]*boom[^\n]*\n$"), r.err)
    end)
  end)

  describe("any argument vector", function()
    -- Words the parser meets: commands, options and their values, odd words and bytes.
    local COMMANDS = { "help", "daily", "loadcurve", "maxpower", "dailyprod", "loadcurveprod", "consumption_index",
      "production_index", "daily_consumption", "prms", "auth", "update", "status", "cron", "bogus", "__index",
      "backfill", "clear-ban", "config" }
    local OPTIONS = { "--by", "--energy", "--quiet", "--no-cache", "--offpeak", "--format", "--start", "--end",
      "--last", "--output", "--prm", "--api", "--timeout", "--state", "--token-file", "--token", "--user-agent",
      "--from", "--help", "--version", "-h", "-x", "--bogus", "--dry-run", "--offline", "--max-requests",
      "--reserve", "--since", "--yes", "--backfill", "--refresh" }
    local VALUES = { "", "hour", "day", "week", "month", "year", "22:00-06:00", "25:00-01:00", "00:00-00:00",
      "1:30-7:30,12:30-14:30", ",", "table", "csv", "json", "chart", "xml", "2026-04-01", "2026-04-03",
      "2026-03-20", "2026-02-30", "2026-13-01", "0000-01-01", "0001-01-01", "9999-12-31", "1d", "3d", "2w", "1m",
      "30000m", "120000d", "120000w", "99999999999999999999d", "0d", "-1d", "1.5d", "22222222222222",
      "11111111111111", "legacy", "2026", "0", "-5", "nan", "inf", "1e309", "0x10", "abc.def.ghi", "not-a-token" }
    local ODD = { "", "-", "--", "---", "=", "--=", "--=x", "--help=x", "--quiet=", "--by=", "--energy=1",
      "\255\254", "\192\128", "\237\160\128", "é", "\27[31m", "a\nb", "\r", "%s%d%n", "%", "'", "\"", "$HOME",
      ("x"):rep(5000), "--" .. ("a"):rep(300), ("9"):rep(400) .. "d" }

    local function one_of(list) return list[math.random(#list)] end

    local function random_bytes()
      local bytes = {}
      for i = 1, math.random(0, 24) do bytes[i] = string.char(math.random(1, 255)) end
      return table.concat(bytes)
    end

    -- `n` argument vectors from `seed`, each after `prefix`: mostly a command then options with
    -- values (apart, or attached with "="), with odd words and random bytes among them.
    local function generate(n, seed, paths, prefix)
      math.randomseed(seed)
      local cases = {}
      for i = 1, n do
        local argv = require("linky.compat").move(prefix, 1, #prefix, 1, {})
        local function add(w) argv[#argv + 1] = w end
        if math.random(4) > 1 then add(one_of(COMMANDS)) end
        for _ = 1, math.random(0, 6) do
          local pick = math.random(8)
          local value = math.random(3) == 1 and one_of(paths) or one_of(VALUES)
          if pick <= 4 then
            add(one_of(OPTIONS))
            add(value)
          elseif pick == 5 then
            add(one_of(OPTIONS) .. "=" .. value)
          elseif pick == 6 then
            add(one_of(ODD))
          elseif pick == 7 then
            add(random_bytes())
          else
            add(one_of(COMMANDS))
          end
        end
        cases[i] = argv
      end
      return cases
    end

    local function serialize(cases)
      local out = { "return {" }
      for _, argv in ipairs(cases) do
        local words = {}
        for i, w in ipairs(argv) do words[i] = ("%q"):format(w) end
        out[#out + 1] = "{" .. table.concat(words, ", ") .. "},"
      end
      out[#out + 1] = "}"
      return table.concat(out, "\n")
    end

    local function show(argv)
      local words = {}
      for i, w in ipairs(argv) do words[i] = ("%q"):format(#w > 60 and w:sub(1, 60) .. "..." or w) end
      return "{ " .. table.concat(words, ", ") .. " }"
    end

    local ALLOWED = { [0] = true, [2] = true, [3] = true, [4] = true, [5] = true, [6] = true, [7] = true, [8] = true }

    -- Runs every case through cli.main in one child (stdin /dev/null): the stderr and exit code of each.
    local function in_one_process(cases, env)
      local file = h.runner:write("cases.lua", serialize(cases))
      local driver = h.runner:write("driver.lua", [[
        local cli = require "linky.cli"
        for i, argv in ipairs(dofile(arg[1])) do
          io.stderr:write("\n@@case ", i, "\n")
          local ok, code = pcall(cli.main, argv, "linky")
          io.stderr:write("\n@@code ", ok and require("linky.compat").type(code) == "integer" and code or -1, "\n")
        end
      ]])
      -- in the h.runner's folder: the relative paths of the cases (--output hour) land there
      local cmd = ("cd %s && %s %s %s %s </dev/null >/dev/null 2>%s"):format(quote(h.dir), h.runner:env(env), LUA,
        quote(driver), quote(file), quote(h.dir .. "/fuzz.err"))
      assert(os.execute(cmd))
      local results = {}
      for i, err, code in (read(h.dir .. "/fuzz.err") or ""):gmatch("\n@@case (%d+)\n(.-)\n@@code (%-?%d+)\n") do
        results[tonumber(i)] = { err = err, code = tonumber(code) }
      end
      return results
    end

    local function check(cases, results, seed)
      assert.equal(#cases, #results, "seed " .. seed)
      for i, r in ipairs(results) do
        local context = ("seed %d, case %d: %s\n%s"):format(seed, i, show(cases[i]), r.err)
        no_traceback(r.err, context)
        assert.is_nil(r.err:find("linky: internal error:", 1, true), context)
        assert.truthy(ALLOWED[r.code], "exit " .. r.code .. ", " .. context)
      end
    end

    it("without a token: a few hundred, in process and as processes, never a traceback", function()
      local seed = 20260404
      local paths = { h.dir .. "/out.csv", h.dir .. "/sub/out.csv", h.dir, h.dir .. "/state.sqlite3", h.runner.token_file,
        h.dir .. "/missing" }
      local cases = generate(400, seed, paths, {})
      check(cases, in_one_process(cases), seed)
      for i = 1, #cases, 20 do -- a sample through bin/linky, the top level included
        local r = h.runner:run(cases[i])
        local context = ("seed %d, case %d: %s\n%s"):format(seed, i, show(cases[i]), r.err)
        no_traceback(r.err, context)
        assert.truthy(ALLOWED[r.code], "exit " .. tostring(r.code) .. ", " .. context)
      end
      assert.equal(0, #h.server:api_requests())
    end)

    it("with a token and the emulator: never a traceback", function()
      local seed = 1774994400
      local paths = { h.dir .. "/out.csv", h.dir .. "/sub/out.csv", h.dir .. "/state.sqlite3", "2026-04-02", "2026-03-30" }
      local cases = generate(120, seed, paths, { "--base-url", h.server.url })
      check(cases, in_one_process(cases, { LINKY_TOKEN = emu.TOKEN1 }), seed)
    end)
  end)
end)
