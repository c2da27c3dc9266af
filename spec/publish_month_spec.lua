-- A month of `linky update --publish` from cron, in simulated time (cli.main with the library's
-- clock, as spec/cli_month_spec.lua): a first fetch of the last 30 days, then every morning one
-- line updating the daily values and the load curve and publishing to a JSON-lines file and a
-- node_exporter textfile, and a second `linky publish` of both that finds nothing new. The
-- figures of issue 24's closing note and of docs/exports.md are the ones asserted here.
local cjson = require "cjson"
local cli = require "linky.cli"
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"

local quote, read = emu.quote, emu.read_file
local DAY = 86400
local unpack = table.unpack or unpack -- luacheck: ignore
-- 2026-11-01, 07:23 Paris (UTC+1): the first day of the month
local START = core.to_epoch("2026-11-01 07:23:00")

local buffer = require("spec.support.cli_runner").buffer

local function count_lines(s)
  return select(2, s:gsub("\n", ""))
end

describe("linky publish over a month", function()
  local server, dir, now

  setup(function()
    server = emu.start()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. quote(dir)))
    local f = assert(io.open(dir .. "/token", "w"))
    f:write(emu.TOKEN1, "\n")
    f:close()
  end)
  teardown(function()
    server:stop()
    os.execute("rm -rf " .. quote(dir))
  end)

  -- Runs the command in-process at `now`: its exit code, standard output and stderr.
  local function linky(...)
    local out, err = buffer(), buffer()
    local argv = { "--base-url", server.url, "--token-file", dir .. "/token", "--state", dir .. "/state.sqlite3", ... }
    argv[#argv + 1] = "--prm"
    argv[#argv + 1] = emu.PRM1
    local code = cli.main(argv, "/usr/local/bin/linky", {
      clock = function() return now end, monotonic = function() return now end,
      sleep = function(s) now = now + s end, -- every wait moves the clock
      stdout = out, stderr = err })
    return code, out.text, err.text
  end

  local function sent() return #server:api_requests() end

  -- The ledger's count, as `linky status --format json` reads it.
  local function used()
    local out = buffer()
    local code = cli.main({ "--state", dir .. "/state.sqlite3", "status", "--format", "json" }, "linky",
      { clock = function() return now end, stdout = out, stderr = buffer() })
    assert.equal(0, code)
    return cjson.decode(out.text).budget.used
  end

  it("spends 66 requests, as without publishing; the JSON lines get each point once, the textfile every day", function()
    now = START
    server:reset()
    local jsonl, prom = dir .. "/export/points.jsonl", dir .. "/textfile/linky.prom"
    local targets = { "--publish", "jsonl:" .. jsonl, "--publish", "prometheus:" .. prom }
    -- day 0: the last 30 days (2026-10-02 to 2026-10-31), daily values and the load curve
    assert.equal(0, (linky("daily", "--last", "30d", "--format", "csv")))
    assert.equal(0, (linky("loadcurve", "--last", "30d", "--format", "csv")))
    assert.equal(6, sent()) -- 1 daily request, 5 load-curve requests of 7 days

    local per_day, received, lines_before = {}, {}, 0
    for day = 1, 30 do
      now = START + day * DAY
      local before = sent()
      local code, out, err = linky("update", "daily", "loadcurve", unpack(targets))
      assert.equal(0, code, err)
      per_day[day] = sent() - before
      local text = read(jsonl)
      received[day] = count_lines(text) - lines_before
      lines_before = count_lines(text)
      assert.truthy(out:find("prometheus:" .. prom .. "  status written\n", 1, true), out)
      -- the textfile says what the ledger holds that morning, and names yesterday complete
      local metrics = read(prom)
      assert.truthy(metrics:find(("\nlinky_budget_used_requests %d\n"):format(used()), 1, true), metrics)
      assert.truthy(metrics:find(('\nlinky_last_complete_day_timestamp_seconds{prm="%s",kind="daily_consumption"} %d\n')
        :format(emu.PRM1, core.to_epoch(core.date_of_day(core.paris_day(now) - 1))), 1, true), metrics)
      -- a second publish the same morning: nothing new, no request, the ledger as it was
      local ledger = used()
      before = sent()
      code, out, err = linky("publish", "jsonl:" .. jsonl, "prometheus:" .. prom)
      assert.equal(0, code, err)
      assert.equal("jsonl:" .. jsonl .. "  nothing new\nprometheus:" .. prom .. "  status written\n", out)
      assert.equal(before, sent())
      assert.equal(ledger, used())
    end

    -- the requests are those of the month without publishing (spec/cli_month_spec.lua: 2 a day)
    for day = 1, 30 do assert.equal(2, per_day[day], "day " .. day) end
    assert.equal(6 + 2 * 30, sent())
    -- the first publish: the 31 days stored (2026-10-02 to 2026-11-01), daily and load curve
    -- (31 * 48 half-hours + 2 for 2026-10-25, a 25-hour day): 31 + 1490 = 1521 lines; then each
    -- morning yesterday alone: 1 + 48 = 49 lines
    assert.equal(31 + 31 * 48 + 2, received[1])
    for day = 2, 30 do assert.equal(1 + 48, received[day], "day " .. day) end
    local total = 1521 + 29 * 49
    assert.equal(2942, total)
    -- every point once: 60 days (2026-10-02 to 2026-11-30) of each kind, none twice
    local seen, n = {}, 0
    for line in read(jsonl):gmatch("([^\n]*)\n") do
      local p = cjson.decode(line)
      local key = p.kind .. " " .. p.time
      assert.is_nil(seen[key], key)
      seen[key], n = true, n + 1
      assert.equal("complete", p.day_status)
    end
    assert.equal(total, n)
    assert.equal(60 + 60 * 48 + 2, n)
    -- private by default, the textfile readable by node_exporter
    local p = io.popen("stat -c %a " .. quote(jsonl) .. " " .. quote(prom))
    assert.equal("600\n644\n", p:read("*a"))
    p:close()
  end)
end)
