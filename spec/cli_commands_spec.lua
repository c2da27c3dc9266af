-- The linky command's commands beyond one fetch: the plan checked against the budget before
-- sending (--reserve, --max-requests, --dry-run), --offline, the warning naming missing days,
-- update and backfill per kind and PRM, status without a token, clear-ban, the config file and
-- the cron lines.
local emu = require "spec.support.emulator_spec_helper"
local cli_runner = require "spec.support.cli_runner"
local compat = require "linky.compat"

local quote, read = emu.quote, emu.read_file

local function stat(path)
  local p = assert(io.popen("stat -c %a " .. quote(path) .. " 2>/dev/null"))
  local out = p:read("*l")
  p:close()
  return out
end

local function lines_of(text)
  local out = {}
  for l in text:gmatch("[^\n]+") do out[#out + 1] = l end
  return out
end

describe("linky command", function()
  local h = cli_runner.harness()
  setup(h.start) teardown(h.stop) before_each(h.fresh) after_each(h.clean)
  local data = h.data

  describe("plans before sending", function()
    it("sends nothing and exits 5 when a call needs more than the budget leaves past the reserve", function()
      local r = data { "loadcurve", "--start", "2025-06-01", "--end", "2026-04-01", "--format", "csv" }
      assert.equal(5, r.code, r.err)
      assert.equal("", r.out)
      assert.truthy(r.err:match("^linky: budget_exhausted: this needs 44 requests and the budget leaves 40 %(5 kept"
        .. " for updates, %-%-reserve%): nothing sent; run `linky backfill loadcurve %-%-since 2025%-06%-01`, or"
        .. " %-%-max%-requests 35; the budget keeps real time, whatever date LINKY_TODAY simulates\n$"), r.err)
      assert.equal(0, #h.server:api_requests())
      r = data { "loadcurve", "--start", "2026-03-01", "--end", "2026-03-22", "--reserve", "38", "--format", "csv" }
      assert.equal(5, r.code, r.err)
      assert.truthy(r.err:find("needs 3 requests and the budget leaves 40 (38 kept", 1, true), r.err)
      assert.equal(0, #h.server:api_requests())
      assert.equal(0, data({ "loadcurve", "--start", "2026-03-01", "--end", "2026-03-22", "--reserve", "37",
        "--format", "csv" }).code)
      assert.equal(3, #h.server:api_requests())
    end)

    it("--max-requests N sends at most N, prints what it has and exits 0 with a warning", function()
      local r = data { "loadcurve", "--start", "2026-03-01", "--end", "2026-03-22", "--format", "csv",
        "--max-requests", "2" }
      assert.equal(0, r.code, r.err)
      local _, rows = r.out:gsub("\n", "")
      assert.equal(1 + 14 * 48, rows)
      assert.equal(2, #h.server:api_requests())
      assert.truthy(r.err:find("linky: warning: --max-requests 2: 2 requests of 3 sent; 1 request left: run the"
        .. " command again, or `linky backfill loadcurve --since 2026-03-01`\n", 1, true), r.err)
      assert.truthy(r.err:find("linky: warning: 7 of 21 days without data: 2026-03-15 to 2026-03-21 (no data)\n",
        1, true), r.err)
      r = data { "loadcurve", "--start", "2026-03-01", "--end", "2026-03-22", "--format", "csv" }
      assert.equal(0, r.code, r.err)
      assert.equal("", r.err)
      assert.equal(3, #h.server:api_requests()) -- the stored days cost nothing
      assert.equal(2, data({ "daily", "--max-requests", "x" }).code)
    end)

    it("--dry-run prints the plan and sends nothing", function()
      assert.equal(0, data({ "loadcurve", "--start", "2026-03-08", "--end", "2026-03-10", "--format", "csv" }).code)
      local r = data { "loadcurve", "--start", "2026-03-01", "--end", "2026-03-22", "--dry-run" }
      assert.equal(0, r.code, r.err)
      assert.equal([[
consumption_load_curve of 11111111111111, 2026-03-01 to 2026-03-22 (end excluded)
stored days   2
missing days  19
requests      3 planned
  2026-03-01 to 2026-03-08
  2026-03-10 to 2026-03-17
  2026-03-17 to 2026-03-22
budget left   39 (a reserve of 5 kept for updates)
without --dry-run: sends 3 requests
]], r.out)
      assert.equal(1, #h.server:api_requests())
    end)
  end)

  describe("--offline", function()
    it("answers from the store alone, and refuses --no-cache", function()
      assert.equal(0, data({ "daily", "--start", "2026-04-01", "--end", "2026-04-04" }).code)
      local r = data { "daily", "--start", "2026-03-30", "--end", "2026-04-04", "--format", "csv", "--offline" }
      assert.equal(0, r.code, r.err)
      assert.equal("date,value,unit,time\n2026-04-01,9271,Wh,1774994400\n2026-04-02,12724,Wh,1775080800\n2026-04-03,14054,Wh,1775167200\n", r.out)
      assert.equal("linky: warning: 2 of 5 days without data: 2026-03-30 to 2026-03-31 (no data)\n", r.err)
      assert.equal(1, #h.server:api_requests())
      r = data { "daily", "--offline", "--no-cache" }
      assert.equal(2, r.code)
      assert.truthy(r.err:match("^linky: usage: [^\n]+\n$"), r.err)
    end)
  end)

  describe("missing days", function()
    it("are named in one warning line on stderr, in every format", function()
      h.server:script { type = "consommation_quotidienne", status = 200, body = '{"idPrm":"11111111111111",'
        .. '"etapeMetier":"BRUT","periode":{"dateDebut":"2026-04-01","dateFin":"2026-04-04"},'
        .. '"grandeur":[{"grandeurMetier":"CONS","grandeurPhysique":"EA","unite":"Wh","points":['
        .. '{"v":"5","d":"2026-04-01"},{"v":null,"d":"2026-04-02"},{"v":"7","d":"2026-04-03"}]}]}' }
      for _, fmt in ipairs { "table", "csv", "json", "chart" } do
        local r = data { "daily", "--start", "2026-04-01", "--end", "2026-04-04", "--format", fmt }
        assert.equal(0, r.code, r.err)
        assert.equal("linky: warning: 1 of 3 days without data: 2026-04-02 (partial)\n", r.err, fmt)
      end
    end)

    it("a failed call's partial rows in JSON say partial and the error", function()
      h.server:script { { type = "courbe_de_charge_consommation" },
        { type = "courbe_de_charge_consommation", error = "unknown_500" } }
      local r = data { "loadcurve", "--start", "2026-03-01", "--end", "2026-03-11", "--format", "json" }
      assert.equal(6, r.code)
      assert.truthy(r.out:find('\n  "partial":true,\n  "error":{\n    "kind":"server_error",', 1, true), r.out)
      local first = lines_of(r.err)[1]
      assert.truthy(first:find("^linky: server_error"), r.err)
    end)
  end)

  describe("--output -", function()
    it("is standard output", function()
      local r = data { "daily", "--start", "2026-04-01", "--end", "2026-04-04", "--format", "csv", "--output", "-" }
      assert.equal(0, r.code, r.err)
      assert.equal("date,value,unit,time\n2026-04-01,9271,Wh,1774994400\n2026-04-02,12724,Wh,1775080800\n2026-04-03,14054,Wh,1775167200\n", r.out)
      assert.is_nil(io.open(h.dir .. "/-"))
    end)
  end)

  describe("update", function()
    it("runs each kind for each PRM, then is up to date and sends nothing", function()
      local two = { env = { LINKY_TOKEN = emu.TOKEN2 } }
      local args = { "--base-url", h.server.url, "update", "daily", "maxpower", "--prm", emu.PRM1, "--prm", emu.PRM2 }
      local r = h.runner:run(args, two)
      assert.equal(0, r.code, r.err)
      assert.same({
        "daily_consumption        11111111111111  7 new days, 1 request",
        "consumption_max_power    11111111111111  7 new days, 1 request",
        "daily_consumption        22222222222222  7 new days, 1 request",
        "consumption_max_power    22222222222222  7 new days, 1 request",
      }, lines_of(r.out))
      assert.equal(4, #h.server:api_requests())
      r = h.runner:run(args, two)
      assert.equal(0, r.code, r.err)
      assert.same({
        "daily_consumption        11111111111111  up to date",
        "consumption_max_power    11111111111111  up to date",
        "daily_consumption        22222222222222  up to date",
        "consumption_max_power    22222222222222  up to date",
      }, lines_of(r.out))
      assert.equal(4, #h.server:api_requests())
    end)

    it("goes on after a failing kind or PRM and exits with the highest code", function()
      h.server:script { { error = "unauthorized_401" } }
      local r = h.runner:run({ "--base-url", h.server.url, "update", "daily", "maxpower", "--prm", emu.PRM2,
        "--prm", emu.PRM1 }, { env = { LINKY_TOKEN = emu.TOKEN1 } })
      assert.equal(3, r.code, r.err)
      assert.same({ "consumption_max_power    11111111111111  7 new days, 1 request" }, lines_of(r.out))
      local errs = lines_of(r.err)
      assert.equal(3, #errs, r.err)
      assert.truthy(errs[1]:find("invalid_argument", 1, true), r.err) -- PRM 2 is not in TOKEN1, twice
      assert.truthy(errs[3]:find("^linky: unauthorized"), r.err)
      assert.equal(2, #h.server:api_requests())
    end)

    it("refuses the options it does not use", function()
      for _, extra in ipairs { { "--start", "2026-04-01" }, { "--end", "2026-04-01" }, { "--last", "2d" },
          { "--format", "csv" }, { "--by", "day" }, { "--output", "x" }, { "--energy" }, { "--dry-run" } } do
        local r = data { "update", compat.unpack(extra) }
        assert.equal(2, r.code, extra[1])
        assert.truthy(r.err:match("^linky: usage: [^\n]+\n$"), r.err)
      end
      assert.equal(0, #h.server:api_requests())
    end)
  end)

  describe("backfill", function()
    it("fills from --since, says how far it is, and exits 5 when the budget leaves nothing", function()
      local r = data { "backfill", "loadcurve", "--since", "2026-01-01", "--max-requests", "2" }
      assert.equal(0, r.code, r.err)
      assert.equal("consumption_load_curve   11111111111111  14 of 93 days stored (2 requests now); "
        .. "about 6 more runs\n", r.out)
      r = data { "backfill", "daily", "--since", "2025-06-01" }
      assert.equal(0, r.code, r.err)
      assert.equal("daily_consumption        11111111111111  307 of 307 days stored (1 request now); done\n", r.out)
      r = data { "backfill", "loadcurve", "--since", "2026-01-01", "--reserve", "40" }
      assert.equal(5, r.code, r.err)
      assert.truthy(r.err:find("^linky: budget_exhausted"), r.err)
      assert.equal(3, #h.server:api_requests())
      assert.equal(2, data({ "backfill", "daily" }).code) -- --since is required
    end)
  end)

  describe("status", function()
    it("needs no token, says when the state file does not exist and creates none", function()
      local r = h.runner:run { "status" }
      assert.equal(0, r.code, r.err)
      assert.equal("state      " .. h.dir .. "/state/linky/state.sqlite3\n"
        .. "           does not exist yet: nothing fetched, nothing spent\n", r.out)
      assert.is_nil(io.open(h.dir .. "/state"))
    end)

    it("shows per PRM and kind the days stored, the budget, and the token's expiry when there is one", function()
      h.server:script { type = "consommation_quotidienne", status = 200, body = '{"idPrm":"11111111111111",'
        .. '"etapeMetier":"BRUT","grandeur":[{"grandeurMetier":"CONS","grandeurPhysique":"EA","unite":"Wh",'
        .. '"points":[{"v":"5","d":"2026-03-20"},{"v":"6","d":"2026-03-23"}]}]}' }
      assert.equal(0, data({ "daily", "--start", "2026-03-20", "--end", "2026-03-24" }).code)
      local r = h.runner:run { "status" }
      assert.equal(0, r.code, r.err)
      assert.same({ "state      " .. h.dir .. "/state/linky/state.sqlite3", "requests   1 of 40 in the last 12 h",
        "retry at   -", "banned     no", "cool-down  no",
        "stored     11111111111111  daily_consumption      2026-03-20 to 2026-03-23, 2 not complete" },
        lines_of(r.out))
      r = h.runner:run({ "status" }, { env = { LINKY_TOKEN = emu.TOKEN1 } })
      assert.truthy(r.out:find("\ntoken      expires 2029%-05%-26 %(in %d+ days%)\n"), r.out)
    end)
  end)

  describe("clear-ban", function()
    local function banned()
      h.server:script { error = "ban_403" }
      assert.equal(5, data({ "daily" }).code)
    end

    it("needs --yes off a terminal; with it, forgets the ban", function()
      banned()
      local r = h.runner:run { "clear-ban" }
      assert.equal(2, r.code)
      assert.truthy(r.err:match("^linky: usage: [^\n]*%-%-yes[^\n]*\n$"), r.err)
      assert.truthy(h.runner:run({ "status" }).out:find("\nbanned     since ", 1, true))
      r = h.runner:run { "clear-ban", "--yes" }
      assert.equal(0, r.code, r.err)
      assert.truthy(h.runner:run({ "status" }).out:find("\nbanned     no\n", 1, true))
      assert.equal(0, data({ "daily" }).code)
      assert.equal(2, #h.server:api_requests())
    end)

    it("asks on a terminal: y or yes clears, anything else clears nothing (exit 2)", function()
      banned()
      local command = h.runner:command({ "clear-ban" }) .. "; echo \"code=$?\""
      local seen = h.runner:in_terminal(command, "[y/N]", "no\n")
      assert.truthy(seen:find("nothing cleared (exit 2)\ncode=2\n", 1, true), seen)
      assert.truthy(h.runner:run({ "status" }).out:find("\nbanned     since ", 1, true))
      seen = h.runner:in_terminal(command, "[y/N]", "yes\n")
      assert.truthy(seen:find("ban forgotten", 1, true), seen)
      assert.truthy(seen:find("code=0\n", 1, true), seen)
      assert.truthy(h.runner:run({ "status" }).out:find("\nbanned     no\n", 1, true))
    end)

    it("says there is nothing to clear, and creates no state file", function()
      local r = h.runner:run { "clear-ban", "--yes" }
      assert.equal(0, r.code, r.err)
      assert.truthy(r.err:find("no state file", 1, true), r.err)
      assert.is_nil(io.open(h.dir .. "/state"))
    end)
  end)

  describe("config", function()
    local path

    before_each(function() path = h.dir .. "/config/linky/config" end)

    it("sets a key (checked, 0600 in a 0700 folder, other lines kept), lists them with the token masked", function()
      assert.equal(0, h.runner:run({ "auth" }, { stdin = emu.TOKEN1 }).code)
      local r = h.runner:run { "config", "prm", emu.PRM1 }
      assert.equal(0, r.code, r.err)
      assert.equal(0, h.runner:run({ "config", "base_url", h.server.url }).code)
      assert.equal("600", stat(path))
      assert.equal("700", stat(h.dir .. "/config/linky"))
      r = h.runner:run { "config" }
      assert.equal(0, r.code, r.err)
      assert.equal("token      = eyJh…(redacted)\nprm        = 11111111111111\nbase_url   = " .. h.server.url .. "\n",
        r.out)
      assert.equal("eyJh…(redacted)\n", h.runner:run({ "config", "token" }).out)
      assert.equal(h.server.url .. "\n", h.runner:run({ "config", "base_url" }).out)
      assert.truthy(read(path):find("\ntoken=" .. emu.TOKEN1 .. "\n", 1, true))
      -- the config's base URL and PRM are the defaults
      r = h.runner:run { "daily", "--format", "csv" }
      assert.equal(0, r.code, r.err)
      assert.equal(1, #h.server:api_requests())
    end)

    it("refuses unknown keys, bad values and a token on the command line (exit 2)", function()
      for _, args in ipairs { { "config", "colour", "red" }, { "config", "prm", "123" },
          { "config", "api", "v3" }, { "config", "state", "relative/path" }, { "config", "base_url", "ftp://x" },
          { "config", "token", emu.TOKEN1 }, { "config", "bogus" } } do
        local r = h.runner:run(args)
        assert.equal(2, r.code, args[2])
        assert.truthy(r.err:match("^linky: usage: [^\n]+\n$"), r.err)
      end
      assert.is_nil(io.open(path))
    end)

    it("lists the InfluxDB secrets masked, and never takes them on the command line (exit 2)", function()
      local secret = "influx-pw-sentinel-0c4e"
      assert(os.execute("mkdir -p " .. quote(h.dir .. "/config/linky")))
      h.runner:write("config/linky/config", "influx_password=" .. secret .. "\ninflux_token=" .. secret
        .. "t\ninflux_cafile=/etc/ssl/influx.pem\n")
      local r = h.runner:run { "config" }
      assert.equal(0, r.code, r.err)
      assert.equal("influx_password = (redacted)\ninflux_token = (redacted)\ninflux_cafile = /etc/ssl/influx.pem\n", r.out)
      assert.equal("(redacted)\n", h.runner:run({ "config", "influx_token" }).out)
      for _, args in ipairs { { "config", "influx_password", "other" }, { "config", "influx_token", "other" },
          { "config", "influx_cafile", "relative.pem" } } do
        r = h.runner:run(args)
        assert.equal(2, r.code, args[2])
        assert.is_nil(r.err:find("other", 1, true))
      end
      assert.is_nil(read(h.dir .. "/config/linky/config"):find("other", 1, true))
      assert.equal(0, h.runner:run({ "config", "influx_cafile", "/srv/ca.pem" }).code)
      assert.equal("/srv/ca.pem\n", h.runner:run({ "config", "influx_cafile" }).out)
    end)

    it("keeps working with a file of today's `linky auth`, and options win over it", function()
      assert(os.execute("mkdir -p " .. quote(h.dir .. "/config/linky")))
      h.runner:write("config/linky/config", "# linky configuration, written by `linky auth`\ntoken=" .. emu.TOKEN1
        .. "\nprm=22222222222222\napi=legacy\n")
      local r = h.runner:run { "daily", "--base-url", h.server.url, "--format", "csv" }
      assert.equal(2, r.code) -- the config's PRM is not in the token
      r = h.runner:run { "daily", "--base-url", h.server.url, "--format", "csv", "--prm", emu.PRM1, "--api", "2026" }
      assert.equal(0, r.code, r.err)
      assert.equal("/api/consommation_quotidienne", h.server:api_requests()[1].path)
    end)
  end)

  describe("cron", function()
    it("prints the update line and, with --backfill, a backfill line twice a day, for each --prm", function()
      local r = h.runner:run { "cron", "daily", "--prm", emu.PRM1, "--prm", emu.PRM2, "--backfill", "loadcurve",
        "--since", "2025-06-01" }
      assert.equal(0, r.code, r.err)
      local l = lines_of(r.out)
      assert.equal(2, #l, r.out)
      local state = quote(h.dir .. "/state/linky/state.sqlite3")
      local prms = "--prm '" .. emu.PRM1 .. "' --prm '" .. emu.PRM2 .. "'"
      local m, hour, rest = l[1]:match("^(%d+) (%d+) %* %* %* (.*)$")
      assert.truthy(tonumber(hour) >= 6 and tonumber(hour) <= 9 and tonumber(m) <= 59, l[1])
      local program = quote(cli_runner.ROOT .. "/bin/linky")
      assert.equal(program .. " update --quiet --state " .. state .. " " .. prms .. " daily", rest)
      local h1, h2
      m, h1, h2, rest = l[2]:match("^(%d+) (%d+),(%d+) %* %* %* (.*)$")
      assert.truthy(tonumber(m) <= 59 and tonumber(h2) == tonumber(h1) + 12, l[2])
      assert.equal(program .. " backfill --quiet --state " .. state .. " " .. prms
        .. " --since '2025-06-01' loadcurve", rest)
      assert.equal(2, h.runner:run({ "cron", "--backfill", "loadcurve" }).code) -- --since is needed
    end)

    -- What cron hands /bin/sh of a crontab line: the command field after cron's rules (`\%` is
    -- `%`; an unescaped `%` ends the command, and the rest, each `%` a newline, is its input).
    local function cron_command(line)
      local field = assert(line:match("^%S+ %S+ %S+ %S+ %S+ (.*)$"), line)
      local out, escaped = {}, false
      for i = 1, #field do
        local c = field:sub(i, i)
        if c == "%" and not escaped then return table.concat(out), (field:sub(i + 1):gsub("%%", "\n")) end
        if c == "%" then out[#out] = "%" else out[#out + 1] = c end
        escaped = not escaped and c == "\\"
      end
      return table.concat(out), nil
    end

    it("prints lines that run as printed, whatever the paths hold", function()
      -- the program and the state under a folder with a space, quotes, `%`, `\%` and shell syntax
      local folder = h.dir .. "/my linky/it's 100% \\%d \"$HOME\" `id` $(id)"
      assert(os.execute("mkdir -p " .. quote(folder)))
      local program = folder .. "/linky"
      assert(os.execute("ln -s " .. quote(cli_runner.ROOT .. "/bin/linky") .. " " .. quote(program)))
      local state = folder .. "/state 50%.sqlite3"
      local r = h.runner:run({ "--api", "legacy", "--state", state, "cron", "daily", "--prm", emu.PRM1, "--prm",
        emu.PRM2, "--backfill", "loadcurve", "--since", "2025-06-01" }, { program = program })
      assert.equal(0, r.code, r.err)
      local l = lines_of(r.out)
      assert.equal(2, #l, r.out)
      -- in linky's place, a stub printing its arguments, one a line
      assert(os.remove(program))
      local f = assert(io.open(program, "wb"))
      f:write("#!/bin/sh\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\n")
      f:close()
      assert(os.execute("chmod +x " .. quote(program)))
      local options = { "--quiet", "--state", state, "--api", "legacy", "--prm", emu.PRM1, "--prm", emu.PRM2 }
      local expected = {
        { "update", "daily" },
        { "backfill", "--since", "2025-06-01", "loadcurve" },
      }
      for i, line in ipairs(l) do
        local command, input = cron_command(line)
        assert.is_nil(input, line)
        local p = assert(io.popen("cd / && env -i HOME=/nonexistent PATH=/usr/bin:/bin /bin/sh -c "
          .. quote(command) .. " 2>&1"))
        local printed = p:read("*a")
        p:close()
        local words = { expected[i][1] }
        compat.move(options, 1, #options, 2, words)
        compat.move(expected[i], 2, #expected[i], #words + 1, words)
        assert.equal("[" .. table.concat(words, "]\n[") .. "]\n", printed, line)
      end
    end)

    it("refuses a newline in any value, a PRM that is not 14 digits and an unknown --api (exit 2)", function()
      local folder = h.dir .. "/new\n* * * * * touch /tmp/linky-cron-injected"
      assert(os.execute("mkdir -p " .. quote(folder)))
      assert(os.execute("ln -s " .. quote(cli_runner.ROOT .. "/bin/linky") .. " " .. quote(folder .. "/linky")))
      local injected = "\n* * * * * touch /tmp/linky-cron-injected"
      for _, case in ipairs {
        { args = { "cron", "--prm", emu.PRM1 .. injected } },
        { args = { "--state", h.dir .. "/state" .. injected, "cron" } },
        { args = { "cron" }, env = { XDG_STATE_HOME = h.dir .. injected } },
        { args = { "cron" }, program = folder .. "/linky" },
        { args = { "cron", "--backfill", "daily", "--since", "2025-06-01" .. injected } },
        { args = { "cron", "--prm", "1111111111111" } },
        { args = { "cron", "--prm", "1111111111111x" } },
        { args = { "--api", "2027", "cron" } },
      } do
        local r = h.runner:run(case.args, { env = case.env, program = case.program })
        assert.equal(2, r.code, r.out .. r.err)
        assert.equal("", r.out)
        assert.truthy(r.err:match("^linky: "), r.err)
      end
    end)
  end)
end)
