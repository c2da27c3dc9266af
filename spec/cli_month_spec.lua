-- A month of daily use of the linky command, in simulated time (cli.main with the library's
-- clock): a first fetch of the last 30 days, `linky update` from cron every morning for 30
-- days, one ban met (the updates then send nothing) and cleared with clear-ban. The README's
-- "what a month costs" numbers are the ones asserted here.
local cli = require "linky.cli"
local compat = require "linky.compat"
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"

local quote = emu.quote
local DAY = 86400
-- 2026-11-01, 07:23 Paris (UTC+1): the first day of the month
local START = core.to_epoch("2026-11-01 07:23:00")

local buffer = require("spec.support.cli_runner").buffer

describe("linky command over a month", function()
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
  local function linky(command, ...)
    local out, err = buffer(), buffer()
    local argv = { "--base-url", server.url, "--token-file", dir .. "/token", "--state", dir .. "/state.sqlite3",
      command, ... }
    if command ~= "clear-ban" and command ~= "status" then compat.move({ "--prm", emu.PRM1 }, 1, 2, #argv + 1, argv) end
    local code = cli.main(argv, "/usr/local/bin/linky", {
      clock = function() return now end, monotonic = function() return now end,
      sleep = function(s) now = now + s end, -- every wait moves the clock
      stdout = out, stderr = err })
    return code, out.text, err.text
  end

  local function sent() return #server:api_requests() end

  it("costs 61 requests: 6 for the first fetch, then 2 a day, 1 the day of the ban, none while banned", function()
    now = START
    server:reset()
    -- day 0: the last 30 days, daily values and the load curve (30 days: 5 requests of 7 days)
    local code, out, err = linky("daily", "--last", "30d", "--format", "csv")
    assert.equal(0, code, err)
    assert.equal(31, select(2, out:gsub("\n", "")))
    code, out, err = linky("loadcurve", "--last", "30d", "--format", "csv")
    assert.equal(0, code, err)
    assert.equal(1 + 30 * 48 + 2, select(2, out:gsub("\n", ""))) -- 2026-10-25 has 50 half-hours
    local first_fetch = sent()
    assert.equal(6, first_fetch)

    local per_day, codes = {}, {}
    for day = 1, 30 do
      now = START + day * DAY
      if day == 10 then server:script { { error = "ban_403" } } end
      local before = sent()
      local status, _, message = linky("update", "daily", "loadcurve")
      codes[day], err = status, message
      per_day[day] = sent() - before
      if day == 10 then
        assert.truthy(err:find("banned", 1, true), err)
        assert.is_nil(err:find("retry after", 1, true), err) -- a ban lasts until cleared
      end
      if day == 12 then -- that evening the user learns the ban was lifted, and clears it
        now = now + 12 * 3600
        local c, _, e = linky("clear-ban", "--yes")
        assert.equal(0, c, e)
      end
    end
    -- a second update the same morning sends nothing
    local before = sent()
    code, out, err = linky("update", "daily", "loadcurve")
    assert.equal(0, code, err)
    assert.equal("daily_consumption        11111111111111  up to date\n"
      .. "consumption_load_curve   11111111111111  up to date\n", out)
    assert.equal(before, sent())

    assert.same({ 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 }, per_day)
    assert.same({ 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, codes)
    local updates = sent() - first_fetch
    assert.equal(55, updates)
    assert.equal(61, sent())
    -- the store holds every day of the two months, complete
    code, out, err = linky("status")
    assert.equal(0, code, err)
    assert.truthy(out:find("daily_consumption      2026%-10%-02 to 2026%-11%-30, 0 not complete"), out)
    assert.truthy(out:find("consumption_load_curve 2026%-10%-02 to 2026%-11%-30, 0 not complete"), out)
  end)
end)
