-- The linky command, run as a child process against the emulator. Expected CSV and JSON are
-- written by hand from the recorded bodies (spec/fixtures/recorded).
local emu = require "spec.support.emulator_spec_helper"
local versions = require "spec.support.versions"

local quote, read = emu.quote, emu.read_file
local ROOT = require("spec.support.cli_runner").ROOT
-- The program runs on the interpreter running the specs (make test LUA_VERSION=5.3 too).
local LINKY = versions.LUA .. " bin/linky"

local function write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

local LOAD_CURVE_CSV = [[
date,value,unit,step,energy_wh,time
2026-04-01 00:30:00,110,W,1800,55,1774996200
2026-04-01 01:00:00,408,W,1800,204,1774998000
2026-04-01 01:30:00,112,W,1800,56,1774999800
2026-04-01 02:00:00,372,W,1800,186,1775001600
2026-04-01 02:30:00,138,W,1800,69,1775003400
2026-04-01 03:00:00,190,W,1800,95,1775005200
2026-04-01 03:30:00,270,W,1800,135,1775007000
2026-04-01 04:00:00,140,W,1800,70,1775008800
2026-04-01 04:30:00,2720,W,1800,1360,1775010600
2026-04-01 05:00:00,2092,W,1800,1046,1775012400
2026-04-01 05:30:00,1396,W,1800,698,1775014200
2026-04-01 06:00:00,1216,W,1800,608,1775016000
2026-04-01 06:30:00,768,W,1800,384,1775017800
2026-04-01 07:00:00,516,W,1800,258,1775019600
2026-04-01 07:30:00,246,W,1800,123,1775021400
2026-04-01 08:00:00,352,W,1800,176,1775023200
2026-04-01 08:30:00,204,W,1800,102,1775025000
2026-04-01 09:00:00,712,W,1800,356,1775026800
2026-04-01 09:30:00,1062,W,1800,531,1775028600
2026-04-01 10:00:00,294,W,1800,147,1775030400
2026-04-01 10:30:00,236,W,1800,118,1775032200
2026-04-01 11:00:00,170,W,1800,85,1775034000
2026-04-01 11:30:00,208,W,1800,104,1775035800
2026-04-01 12:00:00,196,W,1800,98,1775037600
2026-04-01 12:30:00,178,W,1800,89,1775039400
2026-04-01 13:00:00,822,W,1800,411,1775041200
2026-04-01 13:30:00,264,W,1800,132,1775043000
2026-04-01 14:00:00,146,W,1800,73,1775044800
2026-04-01 14:30:00,248,W,1800,124,1775046600
2026-04-01 15:00:00,190,W,1800,95,1775048400
2026-04-01 15:30:00,190,W,1800,95,1775050200
2026-04-01 16:00:00,226,W,1800,113,1775052000
2026-04-01 16:30:00,160,W,1800,80,1775053800
2026-04-01 17:00:00,210,W,1800,105,1775055600
2026-04-01 17:30:00,182,W,1800,91,1775057400
2026-04-01 18:00:00,154,W,1800,77,1775059200
2026-04-01 18:30:00,182,W,1800,91,1775061000
2026-04-01 19:00:00,92,W,1800,46,1775062800
2026-04-01 19:30:00,238,W,1800,119,1775064600
2026-04-01 20:00:00,86,W,1800,43,1775066400
2026-04-01 20:30:00,100,W,1800,50,1775068200
2026-04-01 21:00:00,126,W,1800,63,1775070000
2026-04-01 21:30:00,82,W,1800,41,1775071800
2026-04-01 22:00:00,128,W,1800,64,1775073600
2026-04-01 22:30:00,98,W,1800,49,1775075400
2026-04-01 23:00:00,84,W,1800,42,1775077200
2026-04-01 23:30:00,128,W,1800,64,1775079000
2026-04-02 00:00:00,100,W,1800,50,1775080800
]]

describe("linky command", function()
  local server, dir, token_file

  setup(function()
    server = emu.start()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. quote(dir .. "/config")))
    token_file = dir .. "/token"
    write(token_file, emu.TOKEN1 .. "\n")
  end)

  teardown(function()
    server:stop()
    os.execute("rm -rf " .. quote(dir))
  end)

  before_each(function() server:reset() end)

  -- Runs bin/linky; `opts.env` adds variables, `opts.stdin` feeds standard input.
  -- Every run checks that no token it could know appears in its output. Each run has a fresh
  -- state folder (request budget and store) unless `opts.env` names one.
  local function run(args, opts)
    opts = opts or {}
    os.execute("rm -rf " .. quote(dir .. "/state"))
    local env = { XDG_CONFIG_HOME = dir .. "/config", HOME = dir, LINKY_TOKEN = "", NO_COLOR = "",
      LINKY_TODAY = "2026-04-04", XDG_STATE_HOME = dir .. "/state" }
    for k, v in pairs(opts.env or {}) do env[k] = v end
    local parts, set = { "env" }, {}
    for k, v in pairs(env) do
      if v == false then parts[#parts + 1] = "-u " .. k else set[#set + 1] = k .. "=" .. quote(v) end
    end
    require("linky.compat").move(set, 1, #set, #parts + 1, parts) -- env wants its -u options first
    parts[#parts + 1] = LINKY
    for _, a in ipairs(args) do parts[#parts + 1] = quote(a) end
    local out, err = dir .. "/stdout", dir .. "/stderr"
    local stdin = "/dev/null"
    if opts.stdin then
      stdin = dir .. "/stdin"
      write(stdin, opts.stdin)
    end
    local p = assert(io.popen(table.concat(parts, " ") .. " <" .. quote(stdin) .. " >" .. quote(out) .. " 2>"
      .. quote(err) .. "; echo $?"))
    local code = tonumber(p:read("*a"))
    p:close()
    local r = { code = code, out = read(out), err = read(err) }
    for _, tok in ipairs { emu.TOKEN1, opts.token } do
      assert.is_nil(r.out:find(tok, 1, true), "token printed on stdout")
      assert.is_nil(r.err:find(tok, 1, true), "token printed on stderr")
    end
    return r
  end

  -- Runs a shell command on a pseudo-terminal (script(1)); returns what the terminal showed.
  -- With `typing`, waits (up to 10 s) for `typing.prompt` to appear, then types `typing.input`.
  local function in_terminal(command, env, typing)
    local typescript = dir .. "/typescript"
    os.remove(typescript)
    os.execute("rm -rf " .. quote(dir .. "/state"))
    local vars = { "XDG_STATE_HOME=" .. quote(dir .. "/state") }
    for k, v in pairs(env or {}) do vars[#vars + 1] = k .. "=" .. quote(v) end
    local feed = "true"
    if typing then
      feed = ("i=0; while ! grep -qF %s %s 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done;"
        .. " printf '%%s\\n' %s"):format(quote(typing.prompt), quote(typescript), quote(typing.input))
    end
    os.execute(("(%s) | env %s script -qfec %s %s >/dev/null 2>&1"):format(feed, table.concat(vars, " "),
      quote(command), quote(typescript)))
    return read(typescript) or ""
  end

  local function data(args, opts)
    local full = { "--base-url", server.url, "--token-file", token_file }
    for _, a in ipairs(args) do full[#full + 1] = a end
    return run(full, opts)
  end

  describe("CSV", function()
    it("writes the recorded daily consumption", function()
      local r = data { "daily_consumption", "--start", "2026-04-01", "--end", "2026-04-04", "--format", "csv" }
      assert.equal(0, r.code)
      assert.equal("", r.err)
      assert.equal([[
date,value,unit,time
2026-04-01,9271,Wh,1774994400
2026-04-02,12724,Wh,1775080800
2026-04-03,14054,Wh,1775167200
]], r.out)
    end)

    it("writes the recorded legacy daily production and max power", function()
      local r = data { "dailyprod", "--api", "legacy", "--start", "2023-04-01", "--end", "2023-04-04", "--format", "csv" }
      assert.equal(0, r.code)
      assert.equal([[
date,value,unit,time
2023-04-01,643,Wh,1680300000
2023-04-02,6,Wh,1680386400
2023-04-03,15411,Wh,1680472800
]], r.out)
      r = data { "maxpower", "--start", "2026-04-01", "--end", "2026-04-04", "--format", "csv" }
      assert.equal([[
date,value,unit,time
2026-04-01 04:18:59,3533,VA,1775009939
2026-04-02 04:13:22,3092,VA,1775096002
2026-04-03 04:12:39,3494,VA,1775182359
]], r.out)
    end)

    it("writes a load curve with its step and, with --energy, the energy of each interval", function()
      local r = data { "loadcurve", "--start", "2026-04-01", "--end", "2026-04-02", "--format", "csv", "--energy" }
      assert.equal(0, r.code)
      assert.equal(LOAD_CURVE_CSV, r.out)
      r = data { "consumption_load_curve", "--start", "2026-04-01", "--end", "2026-04-02", "--format", "csv" }
      assert.equal(1, r.out:find("date,value,unit,step,time\n2026-04-01 00:30:00,110,W,1800,1774996200\n", 1, true))
    end)

    it("aggregates with --by", function()
      local r = data { "loadcurve", "--start", "2026-04-01", "--end", "2026-04-02", "--format", "csv", "--by", "day" }
      assert.equal("date,value,unit,count,min,max\n2026-04-01,9271,Wh,48,41,1360\n", r.out)
      r = data { "daily", "--start", "2026-04-01", "--end", "2026-04-04", "--format", "csv", "--by", "week" }
      assert.equal("date,value,unit,count,min,max\n2026-03-30,36049,Wh,3,9271,14054\n", r.out)
    end)
  end)

  describe("JSON", function()
    it("writes the recorded daily consumption without responses", function()
      local r = data { "daily", "--start", "2026-04-01", "--end", "2026-04-04", "--format", "json" }
      assert.equal(0, r.code)
      assert.equal([[
{
  "prm":"11111111111111",
  "kind":"daily_consumption",
  "api":"2026",
  "type":"consommation_quotidienne",
  "start":"2026-04-01",
  "end":"2026-04-04",
  "unit":"Wh",
  "quality":"BRUT",
  "requests":1,
  "cached":0,
  "gaps":[],
  "points":[
    {"date":"2026-04-01","time":1774994400,"value":9271},
    {"date":"2026-04-02","time":1775080800,"value":12724},
    {"date":"2026-04-03","time":1775167200,"value":14054}
  ]
}
]], r.out)
    end)

    it("writes the recorded legacy max power", function()
      local r = data { "maxpower", "--api", "legacy", "--start", "2023-04-01", "--end", "2023-04-04", "--format", "json" }
      assert.equal([[
{
  "prm":"11111111111111",
  "kind":"consumption_max_power",
  "api":"legacy",
  "type":"consumption_max_power",
  "start":"2023-04-01",
  "end":"2023-04-04",
  "unit":"VA",
  "quality":"BRUT",
  "requests":1,
  "cached":0,
  "gaps":[],
  "points":[
    {"date":"2023-04-01 12:06:20","time":1680343580,"value":4638},
    {"date":"2023-04-02 19:27:46","time":1680456466,"value":4410},
    {"date":"2023-04-03 21:42:12","time":1680550932,"value":3570}
  ]
}
]], r.out)
    end)

    it("writes null values as null and no points as an empty array", function()
      server:script { type = "consommation_quotidienne", status = 200, body = '{"idPrm":"11111111111111",'
        .. '"etapeMetier":"BRUT","periode":{"dateDebut":"2026-04-01","dateFin":"2026-04-03"},'
        .. '"grandeur":[{"grandeurMetier":"CONS","grandeurPhysique":"EA","unite":"Wh","points":['
        .. '{"v":"5","d":"2026-04-01"},{"v":null,"d":"2026-04-02"}]}]}' }
      local r = data { "daily", "--start", "2026-04-01", "--end", "2026-04-03", "--format", "json" }
      assert.equal(0, r.code)
      assert.truthy(r.out:find('{"date":"2026-04-02","time":1775080800,"value":null}', 1, true))
      server:script { type = "consommation_quotidienne", status = 200, body = '{"idPrm":"11111111111111",'
        .. '"etapeMetier":"BRUT","periode":{"dateDebut":"2026-04-01","dateFin":"2026-04-03"},'
        .. '"grandeur":[{"grandeurMetier":"CONS","grandeurPhysique":"EA","unite":"Wh","points":[]}]}' }
      r = data { "daily", "--start", "2026-04-01", "--end", "2026-04-03", "--format", "json" }
      assert.equal(0, r.code)
      assert.truthy(r.out:find('"points":[]', 1, true))
    end)

    it("writes load-curve totals per hour", function()
      local r = data { "loadcurve", "--start", "2026-04-01", "--end", "2026-04-02", "--format", "json", "--by", "hour" }
      assert.truthy(r.out:find('"unit":"Wh",', 1, true))
      assert.truthy(r.out:find('"by":"hour",', 1, true))
      assert.truthy(r.out:find('{"start":"2026-04-01 00:00:00","time":1774994400,"value":259,"count":2,'
        .. '"min":55,"max":204}', 1, true))
    end)
  end)

  describe("table", function()
    it("shows date, value, unit and bars, then total, mean and max", function()
      local r = data { "daily", "--start", "2026-04-01", "--end", "2026-04-04" }
      assert.equal(0, r.code)
      assert.truthy(r.out:find("Daily consumption · PRM 11111111111111", 1, true))
      assert.truthy(r.out:find("\n2026%-04%-01 Wed +9 271 +Wh +" .. ("█"):rep(19) .. "▊\n"))
      assert.truthy(r.out:find("\n2026%-04%-03 Fri +14 054 +Wh +" .. ("█"):rep(30) .. "\n"))
      assert.truthy(r.out:find("\ntotal +36 049 +Wh +3 days\n"))
      assert.truthy(r.out:find("\nmean +12 016 +Wh\n"))
      assert.truthy(r.out:find("\nmax +14 054 +Wh +2026%-04%-03 Fri\n"))
      assert.is_nil(r.out:find("\27[", 1, true)) -- no colours off a terminal
    end)

    it("gives load curves their energy, mean and max power and the off-peak split", function()
      local r = data { "loadcurve", "--start", "2026-04-01", "--end", "2026-04-02", "--offpeak", "22:00-06:00" }
      assert.equal(0, r.code)
      local _, rows = r.out:gsub("\n2026%-04%-0%d %d%d:%d%d +[%d ]+ W ", "")
      assert.equal(48, rows)
      assert.truthy(r.out:find("\nenergy +9 271 +Wh +48 intervals\n"))
      assert.truthy(r.out:find("\npeak +4 484 +Wh +outside 22:00%-06:00\n"))
      assert.truthy(r.out:find("\noff%-peak +4 787 +Wh +22:00%-06:00\n"))
      assert.truthy(r.out:find("\nmax power +2 720 +W +2026%-04%-01 04:30\n"))
    end)
  end)

  describe("index kinds", function()
    it("shows each reading, its change since the previous one, and the change over the range", function()
      local r = data { "consumption_index", "--start", "2026-04-01", "--end", "2026-04-03" }
      assert.equal(0, r.code, r.err)
      assert.truthy(r.out:find("\n2026%-04%-01 Wed +152 182 671 +Wh +%- +Wh\n"), r.out)
      assert.truthy(r.out:find("\n2026%-04%-02 Thu +152 200 729 +Wh +18 058 +Wh +" .. ("█"):rep(30) .. "\n"), r.out)
      assert.truthy(r.out:find("\nchange +18 058 +Wh +from 2026%-04%-01 Wed to 2026%-04%-02 Thu\n"), r.out)
      r = data { "consumption_index", "--start", "2026-04-01", "--end", "2026-04-03", "--format", "chart" }
      assert.truthy(r.out:find("\n2026%-04%-02 Thu │" .. ("█"):rep(50) .. " │ 18 058 Wh\n"), r.out)
      assert.is_nil(r.out:find("2026-04-01 Wed", 1, true))
    end)
  end)

  describe("chart", function()
    it("draws a bar per day", function()
      local r = data { "daily", "--start", "2026-04-01", "--end", "2026-04-04", "--format", "chart" }
      assert.equal(0, r.code)
      assert.truthy(r.out:find("\n2026%-04%-03 Fri │" .. ("█"):rep(50) .. " │ 14 054 Wh\n"))
      assert.truthy(r.out:find("total +36 049 Wh\n"))
    end)

    it("draws a load curve as a line of 48 half-hour cells per day, with the split", function()
      local r = data { "loadcurve", "--start", "2026-03-31", "--end", "2026-04-02", "--format", "chart",
        "--offpeak", "22:00-06:00" }
      assert.equal(0, r.code)
      local days, energies = {}, {}
      for line in r.out:gmatch("[^\n]+") do
        local date, rest = line:match("^(2026%-%d%d%-%d%d) %a%a%a (.*)$")
        if date then
          days[#days + 1] = date
          local bar = "│"
          local first = rest:find(bar, 1, true)
          local last = rest:find(bar, first + 1, true)
          assert.equal(1, first)
          assert.equal(48, versions.utf8_len(rest:sub(first + #bar, last - 1)))
          energies[#energies + 1] = rest:match("│ +([%d ]+) Wh")
        end
      end
      assert.same({ "2026-03-31", "2026-04-01" }, days)
      local totals = data { "loadcurve", "--start", "2026-03-31", "--end", "2026-04-02", "--format", "csv", "--by", "day" }
      local expected = {}
      for v in totals.out:gmatch("\n2026%-%d%d%-%d%d,(%d+),Wh") do expected[#expected + 1] = v end
      for i, e in ipairs(energies) do energies[i] = e:gsub(" ", "") end
      assert.same(expected, energies)
      assert.truthy(r.out:find("\noff%-peak +[%d ]+ Wh"))
    end)
  end)

  describe("ranges", function()
    local function range_of(r)
      local req = server:api_requests()
      assert.equal(0, r.code, r.err)
      return req[1].params.dateDebut, req[#req].params.dateFin, #req
    end

    it("defaults to yesterday, in Paris dates", function()
      assert.same({ "2026-04-03", "2026-04-04", 1 }, { range_of(data { "daily", "--format", "csv" }) })
    end)

    it("takes --last in days, weeks and months", function()
      assert.same({ "2026-03-21", "2026-04-04", 1 }, { range_of(data { "daily", "--last", "14d", "--format", "csv" }) })
      server:reset()
      assert.same({ "2026-03-21", "2026-04-04", 2 }, { range_of(data { "loadcurve", "--last", "2w", "--format", "csv" }) })
      server:reset()
      local r = data({ "daily", "--last", "1m", "--format", "csv" }, { env = { LINKY_TODAY = "2026-03-31" } })
      assert.same({ "2026-02-28", "2026-03-31", 1 }, { range_of(r) })
    end)

    it("rejects --last with --start or --end, and bad values", function()
      for _, args in ipairs {
        { "daily", "--last", "2d", "--start", "2026-03-01" }, { "daily", "--last", "2y" }, { "daily", "--last", "0d" },
        { "daily", "--format", "xml" }, { "daily", "--by", "year" }, { "daily", "--energy" },
        { "loadcurve", "--offpeak", "22h-6h" }, { "daily", "--bogus" }, { "bogus" }, { "daily", "extra" },
        { "daily", "--timeout", "-1" }, { "daily", "--start" }, { emu.TOKEN1 }, { "daily", emu.TOKEN1 },
        { "update", emu.TOKEN1 }, { "--" .. emu.TOKEN1 }, { "help", emu.TOKEN1 },
      } do
        local r = data(args)
        assert.equal(2, r.code, table.concat(args, " "))
        assert.truthy(r.err:find("^linky: usage: "), r.err)
        assert.equal(0, #server:api_requests())
      end
    end)
  end)

  describe("exit codes", function()
    it("is 2 for invalid arguments, without any request", function()
      local r = data { "daily", "--start", "2026-04-10", "--end", "2026-04-12" }
      assert.equal(2, r.code)
      assert.truthy(r.err:find("invalid_argument", 1, true))
      r = data { "daily", "--prm", "22222222222222" }
      assert.equal(2, r.code)
      r = data { "consumption_index", "--api", "legacy" }
      assert.equal(2, r.code)
      assert.equal(0, #server:api_requests())
    end)

    local cases = {
      { "unauthorized_401", 3, "unauthorized" }, { "consent_403", 3, "forbidden" },
      { "no_data_404", 4, "not_found" }, { "quota_429_fault", 5, "rate_limited" },
      { "ban_403", 5, "banned" }, { "unknown_500", 6, "server_error" },
      { "zod_400", 7, "bad_request" }, { "method_405", 7, "method_not_allowed" },
    }
    for _, c in ipairs(cases) do
      it(("is %d for %s, with one line naming the kind"):format(c[2], c[3]), function()
        server:script { error = c[1] }
        local r = data { "daily", "--format", "csv" }
        assert.equal(c[2], r.code)
        assert.equal("", r.out)
        assert.truthy(r.err:find("^linky: " .. c[3] .. " %(HTTP %d+%): [^\n]+\n$"), r.err)
      end)
    end

    it("is 6 for network failures and 7 for invalid responses", function()
      server:script { status = 200, body = "not json" }
      local r = data { "daily" }
      assert.equal(7, r.code)
      assert.truthy(r.err:find("invalid_response", 1, true))
      r = run { "daily", "--base-url", "http://127.0.0.1:1/api", "--token-file", token_file }
      assert.equal(6, r.code)
      assert.truthy(r.err:find("^linky: network"))
    end)

    it("is 3 for a missing, malformed or expired token", function()
      local r = run { "daily" }
      assert.equal(3, r.code)
      assert.truthy(r.err:find("no token", 1, true))
      r = run({ "daily" }, { env = { LINKY_TOKEN = "not-a-token" } })
      assert.equal(3, r.code)
      local expired = emu.token { iat = 1700000000, exp = 1770000000, sub = { emu.PRM1 } }
      r = run({ "daily", "--base-url", server.url }, { env = { LINKY_TOKEN = expired }, token = expired })
      assert.equal(3, r.code)
      assert.truthy(r.err:find("expired", 1, true))
      assert.equal(0, #server:api_requests())
    end)

    it("is 8 for an unreadable token file or config file", function()
      local r = run { "daily", "--token-file", dir .. "/missing" }
      assert.equal(8, r.code)
      assert.truthy(r.err:find("token file", 1, true))
      assert(os.execute("mkdir -p " .. quote(dir .. "/odd/linky/config"))) -- a folder where the file should be
      r = run({ "daily" }, { env = { XDG_CONFIG_HOME = dir .. "/odd" } })
      assert.equal(8, r.code)
      assert.truthy(r.err:find("config file", 1, true))
    end)
  end)

  describe("tokens", function()
    it("takes LINKY_TOKEN and --token", function()
      local r = run({ "daily", "--base-url", server.url, "--format", "csv" }, { env = { LINKY_TOKEN = emu.TOKEN1 } })
      assert.equal(0, r.code)
      r = run { "daily", "--base-url", server.url, "--format", "csv", "--token", emu.TOKEN1 }
      assert.equal(0, r.code)
      assert.equal("Bearer " .. emu.TOKEN1, server:api_requests()[2].headers.authorization)
    end)

    it("passes --user-agent and --from on, and --cainfo for TLS", function()
      local r = data { "daily", "--format", "csv", "--user-agent", "my-script/1.0", "--from", "me@example.org" }
      assert.equal(0, r.code, r.err)
      local headers = server:api_requests()[1].headers
      assert.equal("my-script/1.0 linky-lua/", headers["user-agent"]:sub(1, 24))
      assert.equal("me@example.org", headers.from)
      local cert = emu.certificate()
      local tls = emu.start { tls = cert }
      local ok, err = pcall(function()
        local url = "https://127.0.0.1:" .. tls.port .. "/api"
        r = run { "daily", "--format", "csv", "--base-url", url, "--token-file", token_file }
        assert.equal(6, r.code)
        assert.truthy(r.err:find("^linky: tls"), r.err)
        r = run { "daily", "--format", "csv", "--base-url", url, "--token-file", token_file, "--cainfo", cert.cert }
        assert.equal(0, r.code, r.err)
      end)
      tls:stop()
      cert.remove()
      assert(ok, err)
    end)

    it("warns on stderr within 30 days of the token's expiry", function()
      -- real time here: the emulator checks the token's expiry against its own clock
      local exp = os.time() + 20 * 86400
      local soon = emu.token { iat = 1770000000, exp = exp, sub = { emu.PRM1 } }
      local r = run({ "daily", "--base-url", server.url, "--format", "csv" },
        { env = { LINKY_TOKEN = soon, LINKY_TODAY = false }, token = soon })
      assert.equal(0, r.code, r.err)
      assert.equal(1, r.err:find("linky: warning: the token expires on " .. os.date("!%Y-%m-%d", exp)
        .. " (in 20 days)", 1, true), r.err)
      assert.truthy(r.out:find("^date,value,unit,time\n"))
      r = run({ "prms" }, { env = { LINKY_TOKEN = emu.TOKEN1 } })
      assert.equal("", r.err)
    end)

    it("lists the token's PRMs and expiry with prms", function()
      local r = run({ "prms" }, { env = { LINKY_TOKEN = emu.TOKEN2 }, token = emu.TOKEN2 })
      assert.equal(0, r.code)
      assert.truthy(r.out:find("^11111111111111\n22222222222222\ntoken expires 2029%-05%-26 %(in %d+ days%)\n$"), r.out)
      r = run({ "prms", "--format", "json" }, { env = { LINKY_TOKEN = emu.TOKEN2 }, token = emu.TOKEN2 })
      assert.equal('{"prms":["11111111111111","22222222222222"],"expires":"2029-05-26"}\n', r.out)
    end)
  end)

  describe("auth", function()
    it("stores the token from stdin in a 0600 config file and never prints it", function()
      os.execute("rm -rf " .. quote(dir .. "/config/linky"))
      local r = run({ "auth" }, { stdin = emu.TOKEN1 .. "\n" })
      assert.equal(0, r.code, r.err)
      local path = dir .. "/config/linky/config"
      local p = io.popen("stat -c %a " .. quote(path))
      assert.equal("600", p:read("*l"))
      p:close()
      assert.truthy(read(path):find("token=" .. emu.TOKEN1, 1, true))
      r = run { "daily", "--base-url", server.url, "--format", "csv" }
      assert.equal(0, r.code)
      assert.equal("Bearer " .. emu.TOKEN1, server:api_requests()[1].headers.authorization)
    end)

    it("refuses an empty or malformed token and keeps the stored one", function()
      assert.equal(0, run({ "auth" }, { stdin = emu.TOKEN1 }).code)
      local before = read(dir .. "/config/linky/config")
      assert.equal(3, run({ "auth" }, { stdin = "\n" }).code)
      assert.equal(3, run({ "auth" }, { stdin = "abc.def" }).code)
      assert.equal(before, read(dir .. "/config/linky/config"))
    end)

    it("does not echo the token typed on a terminal", function()
      os.execute("rm -rf " .. quote(dir .. "/config/linky"))
      -- script(1) gives the command a pseudo-terminal; the token is typed into it after the prompt
      local seen = in_terminal(LINKY .. " auth", { XDG_CONFIG_HOME = dir .. "/config" },
        { prompt = "will not be shown", input = emu.TOKEN1 })
      assert.truthy(seen:find("will not be shown", 1, true), seen)
      assert.is_nil(seen:find(emu.TOKEN1, 1, true))
      assert.truthy((read(dir .. "/config/linky/config") or ""):find(emu.TOKEN1, 1, true))
    end)

    it("fails with 8 when the config file cannot be written", function()
      write(dir .. "/file", "x")
      local r = run({ "auth" }, { stdin = emu.TOKEN1, env = { XDG_CONFIG_HOME = dir .. "/file" } })
      assert.equal(8, r.code)
    end)
  end)

  describe("without a shell", function()
    -- LUA_INIT replaces os.execute and io.popen by functions that say on stderr they were called
    local SPY = "local function spy(c) io.stderr:write('SHELL ', tostring(c), '\\n') return true end"
      .. " os.execute, io.popen = spy, spy"

    it("runs no shell command: no os.execute nor io.popen in the sources of lua/", function()
      local p = assert(io.popen("find lua -name '*.lua'"))
      local files = {}
      for f in p:lines() do files[#files + 1] = f end
      p:close()
      assert.truthy(#files > 10)
      for _, f in ipairs(files) do
        local source = read(f)
        assert.is_nil(source:find("os.execute", 1, true), f)
        assert.is_nil(source:find("io.popen", 1, true), f)
      end
    end)

    it("runs none for the config file, auth, colours and the progress line", function()
      local env = { LUA_INIT = SPY }
      os.execute("rm -rf " .. quote(dir .. "/config/linky"))
      for _, r in ipairs {
        run({ "daily" }, { env = env }), -- no config file: exit 3
        run({ "auth" }, { stdin = emu.TOKEN1, env = env }),
        data({ "daily", "--format", "csv" }, { env = env }),
      } do
        assert.is_nil(r.err:find("SHELL", 1, true), r.err)
      end
      os.execute("rm -rf " .. quote(dir .. "/config/linky"))
      local seen = in_terminal(LINKY .. " auth", { XDG_CONFIG_HOME = dir .. "/config", LUA_INIT = SPY },
        { prompt = "will not be shown", input = emu.TOKEN1 })
      assert.truthy(seen:find("will not be shown", 1, true), seen)
      assert.is_nil(seen:find("SHELL", 1, true), seen)
      assert.truthy((read(dir .. "/config/linky/config") or ""):find(emu.TOKEN1, 1, true))
      seen = in_terminal(("%s loadcurve --base-url %s --token-file %s --start 2026-03-01 --end 2026-03-11 --format csv")
        :format(LINKY, quote(server.url), quote(token_file)), { LINKY_TODAY = "2026-04-04", LUA_INIT = SPY })
      assert.truthy(seen:find("request 2 of 2", 1, true), seen)
      assert.is_nil(seen:find("SHELL", 1, true), seen)
    end)
  end)

  describe("--output", function()
    it("writes atomically, creating folders, and leaves no temporary file", function()
      local target = dir .. "/out/a/b/daily.csv"
      local r = data { "daily", "--start", "2026-04-01", "--end", "2026-04-04", "--format", "csv", "--output", target }
      assert.equal(0, r.code)
      assert.equal("", r.out)
      assert.equal("date,value,unit,time\n2026-04-01,9271,Wh,1774994400\n2026-04-02,12724,Wh,1775080800\n2026-04-03,14054,Wh,1775167200\n", read(target))
      local p = io.popen("ls -A " .. quote(dir .. "/out/a/b"))
      assert.equal("daily.csv\n", p:read("*a"))
      p:close()
    end)

    it("fails with 8 on an unwritable path, leaving the old file intact", function()
      write(dir .. "/file", "x")
      local r = data { "daily", "--format", "csv", "--output", dir .. "/file/sub/out.csv" }
      assert.equal(8, r.code)
      assert.truthy(r.err:find("^linky: cannot write"))
      r = data { "daily", "--format", "csv", "--output", dir }
      assert.equal(8, r.code)
      assert.equal("x", read(dir .. "/file"))
    end)
  end)

  describe("on a terminal", function()
    local function command(args)
      local words = { LINKY, "--base-url", quote(server.url), "--token-file", quote(token_file) }
      for _, a in ipairs(args) do words[#words + 1] = quote(a) end
      return table.concat(words, " ")
    end

    it("shows request i of n when several requests are needed, unless --quiet", function()
      local args = { "loadcurve", "--start", "2026-03-01", "--end", "2026-03-11", "--format", "csv",
        "--output", dir .. "/curve.csv" }
      local seen = in_terminal(command(args), { LINKY_TODAY = "2026-04-04" })
      assert.truthy(seen:find("request 1 of 2", 1, true), seen)
      assert.truthy(seen:find("request 2 of 2", 1, true), seen)
      local _, rows = read(dir .. "/curve.csv"):gsub("\n", "")
      assert.equal(1 + 10 * 48, rows)
      args[#args + 1] = "--quiet"
      seen = in_terminal(command(args), { LINKY_TODAY = "2026-04-04" })
      assert.is_nil(seen:find("request", 1, true), seen)
    end)

    it("gives the same CSV and gaps as off a terminal, a sub-range answering 404 included", function()
      local function script()
        server:reset()
        server:script { { type = "courbe_de_charge_consommation" },
          { type = "courbe_de_charge_consommation", error = "no_data_404" },
          { type = "courbe_de_charge_consommation" } }
      end
      for _, fmt in ipairs { "csv", "json" } do
        local args = { "loadcurve", "--start", "2026-03-01", "--end", "2026-03-18", "--format", fmt,
          "--output", dir .. "/tty." .. fmt }
        script()
        local seen = in_terminal(command(args), { LINKY_TODAY = "2026-04-04" })
        assert.truthy(seen:find("request 2 of 3", 1, true), seen)
        assert.truthy(seen:find("\rlinky: request 3 of 3 \27[K\r\27[K", 1, true), seen) -- cleared at the end
        assert.is_nil(seen:find("linky: not_found", 1, true), seen)
        assert.equal(3, #server:api_requests())
        script()
        args[#args] = dir .. "/plain." .. fmt
        local r = data(args)
        assert.equal(0, r.code, r.err)
        assert.equal("linky: warning: 7 of 17 days without data: 2026-03-08 to 2026-03-14 (no data)\n", r.err)
        assert.equal(read(dir .. "/plain." .. fmt), read(dir .. "/tty." .. fmt))
      end
      local _, rows = read(dir .. "/tty.csv"):gsub("\n", "")
      assert.equal(1 + 10 * 48, rows)
      local json = read(dir .. "/tty.json")
      assert.truthy(json:find('"gaps":[\n    {"start":"2026-03-08","end":"2026-03-15","reason":"missing",'
        .. '"settled":true}\n  ],', 1, true), json)
    end)

    it("says when a request is retried, and why", function()
      server:script { { type = "courbe_de_charge_consommation", status = 503, body = "busy" } }
      local seen = in_terminal(command { "loadcurve", "--start", "2026-03-01", "--end", "2026-03-11", "--format", "csv",
        "--output", dir .. "/curve.csv" }, { LINKY_TODAY = "2026-04-04" })
      assert.truthy(seen:find("\rlinky: request 1 of 2, server_error, retry in %d s \27%[K\rlinky: request 2 of 2 "), seen)
      local _, rows = read(dir .. "/curve.csv"):gsub("\n", "")
      assert.equal(1 + 10 * 48, rows)
    end)

    it("shows no progress line for a single request", function()
      local seen = in_terminal(command { "daily", "--start", "2026-04-01", "--end", "2026-04-04", "--format", "csv" },
        { LINKY_TODAY = "2026-04-04" })
      assert.truthy(seen:find("14054", 1, true), seen)
      assert.is_nil(seen:find("request", 1, true), seen)
    end)

    it("uses colours, except with NO_COLOR set", function()
      local args = { "daily", "--start", "2026-04-01", "--end", "2026-04-04" }
      assert.truthy(in_terminal(command(args), { LINKY_TODAY = "2026-04-04" }):find("\27[", 1, true))
      local seen = in_terminal(command(args), { LINKY_TODAY = "2026-04-04", NO_COLOR = "1" })
      assert.truthy(seen:find("14 054", 1, true))
      assert.is_nil(seen:find("\27[", 1, true))
    end)
  end)

  describe("partial results", function()
    it("writes the rows of the sub-ranges that succeeded, then the error", function()
      server:script { { type = "courbe_de_charge_consommation" },
        { type = "courbe_de_charge_consommation", error = "unknown_500" } }
      local r = data { "loadcurve", "--start", "2026-03-01", "--end", "2026-03-11", "--format", "csv" }
      assert.equal(6, r.code)
      local _, rows = r.out:gsub("\n", "")
      assert.equal(1 + 7 * 48, rows)
      assert.truthy(r.out:find("\n2026%-03%-08 00:00:00,%d+,W,1800,1772924400\n$"))
      assert.truthy(r.err:find("^linky: server_error"))
    end)
  end)

  describe("other commands", function()
    it("prints a crontab line at a random minute between 6:00 and 10:00", function()
      for _ = 1, 5 do
        local r = run { "cron", "daily", "loadcurve" }
        assert.equal(0, r.code)
        local m, h, program, rest = r.out:match("^(%d+) (%d+) %* %* %* '([^']+)' (.-)\n$")
        assert.truthy(tonumber(m) <= 59 and tonumber(h) >= 6 and tonumber(h) <= 9, r.out)
        -- absolute: cron has its own working folder
        assert.equal(ROOT .. "/bin/linky", program)
        assert.equal("update --quiet --state '" .. dir .. "/state/linky/state.sqlite3' daily loadcurve", rest)
      end
      assert.equal(2, run({ "cron", "nothing" }).code)
    end)

    it("has help for the program and each command, with examples, and a version", function()
      local r = run { "--help" }
      assert.equal(0, r.code)
      assert.truthy(r.out:find("Exit codes", 1, true))
      for _, cmd in ipairs { "daily", "consumption_load_curve", "maxpower", "dailyprod", "loadcurveprod",
          "consumption_index", "production_index", "prms", "auth", "update", "status", "cron" } do
        r = run { cmd, "--help" }
        assert.equal(0, r.code, cmd)
        assert.truthy(r.out:find("Example", 1, true), cmd)
        assert.equal(r.out, run({ "help", cmd }).out)
      end
      assert.truthy(run({ "--version" }).out:find("^linky %d+%.%d+%.%d+\n$"))
      assert.equal(2, run({}).code)
    end)

    it("update runs client:update for the given kinds and prints what was added", function()
      local keep = { XDG_STATE_HOME = dir .. "/kept" }
      finally(function() os.execute("rm -rf " .. quote(dir .. "/kept")) end)
      local r = data({ "update", "daily", "maxpower" }, { env = keep })
      assert.equal(0, r.code, r.err)
      assert.equal("daily_consumption        11111111111111  7 new days, 1 request\n"
        .. "consumption_max_power    11111111111111  7 new days, 1 request\n", r.out)
      local reqs = server:api_requests()
      assert.equal(2, #reqs)
      assert.equal("2026-03-28", reqs[1].params.dateDebut)
      assert.equal("2026-04-04", reqs[1].params.dateFin)
      r = run({ "status", "--token-file", token_file }, { env = keep })
      assert.equal(0, r.code, r.err)
      assert.truthy(r.out:find("requests   2 of 40 in the last 12 h", 1, true), r.out)
      assert.truthy(r.out:find("banned     no", 1, true), r.out)
      assert.truthy(r.out:find("cool-down  no", 1, true), r.out)
    end)

    it("status shows a remembered ban, and the ban stops the next command", function()
      local keep = { XDG_STATE_HOME = dir .. "/kept" }
      finally(function() os.execute("rm -rf " .. quote(dir .. "/kept")) end)
      server:script { error = "ban_403" }
      assert.equal(5, data({ "daily" }, { env = keep }).code)
      local r = data({ "daily" }, { env = keep })
      assert.equal(5, r.code)
      assert.truthy(r.err:find("banned", 1, true))
      assert.is_nil(r.err:find("retry after", 1, true)) -- a ban lasts until cleared
      assert.equal(1, #server:api_requests())
      r = run({ "status", "--token-file", token_file }, { env = keep })
      assert.truthy(r.out:find("banned     since ", 1, true), r.out)
    end)

    it("--state PATH and --no-cache reach the state store", function()
      local file = dir .. "/chosen.sqlite3"
      finally(function() os.remove(file) end)
      local args = { "daily", "--start", "2026-04-01", "--end", "2026-04-04", "--state", file, "--format", "csv" }
      assert.equal(0, data(args).code)
      local again = data(args)
      assert.equal(0, again.code)
      assert.truthy(again.out:find("2026-04-01,9271,Wh", 1, true))
      assert.equal(1, #server:api_requests())
      args[#args + 1] = "--no-cache"
      assert.equal(0, data(args).code)
      assert.equal(2, #server:api_requests())
      assert.is_not_nil(read(file))
    end)
  end)
end)
