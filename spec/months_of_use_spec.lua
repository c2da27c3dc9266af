-- Months of use, in simulated time with the default pacing and retries (every sleep moves the
-- clock): every request counted against max_requests and the reserve, plans that tell what the
-- call sends, nothing asked that cannot exist, update healing any hole, cancels that spend
-- nothing. Each spec reproduces a promise that broke before.
local core = require "linky.core"
local async = require "linky.async"
local dates = require "linky.dates"
local simulated = require "spec.support.simulated"
local unpack = table.unpack or unpack -- luacheck: ignore

local NOW = core.to_epoch("2026-11-28 11:00:00")
local HOUR, DAY = 3600, 86400

-- `n` scripted answers of 503.
local function busy(n)
  local out = {}
  for i = 1, n do out[i] = { status = 503, body = "busy" } end
  return out
end

describe("linky over months of use", function()
  local t = simulated.new { now = NOW }
  setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)
  local client = t.client
  local function sent() return #t.server:api_requests() end

  -- Spends `n` slots of the client's budget on real requests (one day of 2026 each).
  local function spend(c, n)
    local used = c:budget().used
    for i = 1, n do
      local day = dates.day("2026-01-01") + i
      assert(c:daily_consumption(dates.format(day), dates.format(day + 1)))
      assert.equal(used + i, c:budget().used)
    end
  end

  describe("max_requests", function()
    it("counts requests, retries included: a retry past it is not sent", function()
      t.server:script(busy(6))
      local c = client()
      local _, err = c:daily_consumption("2026-11-01", "2026-11-08", { max_requests = 1 })
      assert.equal(1, sent()) -- before: 3 (the request and its two retries)
      assert.equal("server_error", err.kind)
      assert.equal(1, err.attempts)
      assert.truthy(err.message:find("%(retries stopped by max_requests%)$"), err.message)
      assert.equal(1, c:budget().used)
      local _, err2 = c:daily_consumption("2026-11-01", "2026-11-08", { max_requests = 2 })
      assert.equal(3, sent())
      assert.equal(2, err2.attempts)
      assert.truthy(err2.message:find("(retries stopped by max_requests)", 1, true), err2.message)
    end)

    it("ends a call of several ranges at the cap, retries counted, with what it fetched", function()
      t.server:script { { status = 503, body = "busy" } }
      local c = client()
      local _, err = c:consumption_load_curve("2026-11-01", "2026-11-22", { max_requests = 2 })
      assert.equal(2, sent()) -- the first range, its retry; the other two ranges are not sent
      assert.equal("budget_exhausted", err.kind)
      assert.equal(3, err.planned)
      assert.equal(7 * 48, #err.partial.points)
    end)
  end)

  describe("backfill", function()
    it("keeps the reserve whatever --max-requests says", function()
      local c = client()
      spend(c, 33)
      local r = assert(c:backfill("daily_consumption", "2024-01-01", { max_requests = 10, reserve = 5 }))
      assert.equal(2, r.requests) -- before: 4 (min(10, 40 - 33) - ...: the reserve was ignored)
      assert.equal(35, c:budget().used)
    end)

    it("keeps the reserve when requests are retried", function()
      local script = {}
      for i = 1, 10 do script[2 * i - 1], script[2 * i] = { status = 503, body = "busy" }, {} end
      t.server:script(script) -- each range: a 503, then its retry answers
      local c = client { budget = { requests = 12, window = 12 * HOUR } }
      -- 3 ranges of 2 attempts, then the 4th range's 503: its retry would pass the allowance
      local _, err = c:backfill("consumption_load_curve", "2026-09-01", { reserve = 5 })
      assert.equal(7, c:budget().used) -- before: 12 of 12
      assert.equal(7, sent())
      assert.equal("server_error", err.kind)
      assert.truthy(err.message:find("(retries stopped by max_requests)", 1, true), err.message)
      assert.equal(3 * 7 * 48, #err.partial.points)
    end)

    it("stopped by the reserve says when to run it again", function()
      local c = client { budget = { requests = 10, window = 12 * HOUR } }
      spend(c, 5)
      t.now = t.now + 2 * HOUR -- the window's boundary is far: no wait
      local _, err = c:backfill("daily_consumption", "2024-01-01")
      assert.equal("budget_exhausted", err.kind)
      assert.equal(NOW + 12 * HOUR, math.floor(err.retry_at)) -- the first of the 5 slots frees then
      assert.truthy(err.message:find("run it again after 2026-11-28 22:00:00Z", 1, true), err.message)
    end)

    it("waits for slots that free within 15 minutes rather than giving up", function()
      local c = client { budget = { requests = 10, window = 12 * HOUR } }
      spend(c, 5)
      local spent_at = t.now
      t.now = spent_at + 12 * HOUR - 60 -- a minute before the first slots free
      local waits = {}
      local r = assert(c:backfill("daily_consumption", "2026-01-01", { progress = function(_, _, w)
        if w and w.budget then waits[#waits + 1] = w.wait end
      end }))
      assert.equal(1, #waits)
      assert.is_true(waits[1] > 55 and waits[1] < 75)
      assert.equal(2, r.requests) -- 2026-01-01, and from 2026-01-07 on
      assert.is_true(r.done)
    end)
  end)

  describe("client:plan", function()
    it("says what the call sends and what the range needs", function()
      local c = client()
      local p = assert(c:plan("consumption_load_curve", "2026-10-01", "2026-11-26", { max_requests = 3 }))
      assert.equal(8, p.planned)
      assert.equal(3, p.requests)
      local r = select(2, c:consumption_load_curve("2026-10-01", "2026-11-26", { max_requests = 3 })).partial
      assert.equal(p.requests, r.requests)
      spend(c, 34)
      assert.equal(3, c:plan("consumption_load_curve", "2026-10-01", "2026-11-26").requests) -- 40 - 37
      assert.equal(0, c:plan("consumption_load_curve", "2026-10-01", "2026-11-26", { reserve = 5 }).requests)
    end)
  end)

  describe("what cannot exist", function()
    it("refuses a day before 2000-01-01 in every call, sending nothing", function()
      local c = client()
      local calls = {
        function() return c:fetch("daily_consumption", "1999-06-01", "2026-01-01") end,
        function() return c:daily_consumption("0000-01-01", "2000-02-01") end,
        function() return c:plan("daily_consumption", "1999-12-31", "2000-01-02") end,
        function() return c:update("daily_consumption", { since = "1900-01-01" }) end,
        function() return c:backfill("daily_consumption", "1999-06-01") end,
      }
      for i, call in ipairs(calls) do
        local r, err = call()
        assert.is_nil(r, i)
        assert.equal("invalid_argument", err.kind, i)
      end
      assert.equal(0, sent())
      assert.equal(0, c:budget().used)
    end)

    it("never asks a day beyond the history Enedis keeps", function()
      local c = client()
      -- today 2026-11-28: daily history from 2023-11-28 - 15 days = 2023-11-13
      local _, err = c:daily_consumption("2023-01-01", "2023-11-13")
      assert.equal("not_found", err.kind)
      assert.is_true(err.from_state)
      assert.equal(0, sent())
      local r = assert(c:daily_consumption("2023-11-01", "2023-11-20"))
      assert.same({ "2023-11-13..2023-11-20" }, t.requests())
      assert.same({ start = "2023-11-01", ["end"] = "2023-11-13", reason = "beyond_history", settled = true },
        r.gaps[1])
      -- load curves: 24 months, from 2024-11-13
      local _, err2 = c:consumption_load_curve("2024-11-06", "2024-11-13")
      assert.equal("not_found", err2.kind)
      assert.equal(1, sent())
      local p = assert(c:plan("consumption_load_curve", "2024-11-06", "2024-11-20"))
      assert.same({ { start = "2024-11-13", ["end"] = "2024-11-20" } }, p.ranges)
      assert.equal(7, p.beyond_history_days)
    end)

    it("costs nothing when backfill or update start beyond history", function()
      local c = client()
      local r = assert(c:backfill("daily_consumption", "2000-01-01"))
      assert.same({ "2023-11-13..2024-11-12", "2024-11-12..2025-11-12", "2025-11-12..2026-11-12",
                    "2026-11-12..2026-11-28" }, t.requests())
      assert.is_true(r.done)
      local u = assert(c:update("daily_consumption", { since = "2000-01-01" }))
      -- everything stored: at most the correction check of the last 7 days; beyond history costs nothing
      assert.is_true(u.requests <= 1)
      assert.equal(4 + u.requests, sent())
      assert.equal(0, u.remaining_requests)
    end)
  end)

  describe("client:update", function()
    it("heals the days of a machine that was off for ten days", function()
      local c = client()
      assert.equal(1, assert(c:update("consumption_load_curve")).requests)
      t.now = NOW + 10 * DAY
      local r = assert(c:update("consumption_load_curve"))
      -- the last 7 days first, then the 3 days before them (before: never asked)
      assert.same({ "2026-11-21..2026-11-28", "2026-12-01..2026-12-08", "2026-11-28..2026-12-01" }, t.requests())
      assert.equal(10, r.days_new)
      assert.equal(0, r.remaining_days)
      assert.equal("2026-11-28", r.start)
      assert.equal(10 * 48, #r.points)
    end)

    it("heals older days newest first within what the window leaves past the reserve", function()
      local c = client { budget = { requests = 10, window = 12 * HOUR } }
      assert(c:update("consumption_load_curve"))
      t.now = NOW + 70 * DAY
      local r = assert(c:update("consumption_load_curve"))
      -- 1 request for the last 7 days, then 10 - 5 - 1 = 4 for the 63 older days, newest first
      assert.equal(5, r.requests)
      assert.same({ "2027-01-30..2027-02-06", "2027-01-23..2027-01-30", "2027-01-16..2027-01-23",
                    "2027-01-09..2027-01-16", "2027-01-02..2027-01-09" }, { select(2, unpack(t.requests())) })
      assert.equal(63 - 28, r.remaining_days)
      assert.equal(5, r.remaining_requests)
      assert.equal(5, 10 - c:budget().used) -- the reserve is untouched
      t.now = t.now + 12 * HOUR + 600 -- the same day: its slots have freed
      local again = assert(c:update("consumption_load_curve", { max_requests = 2 }))
      assert.equal(2, again.requests) -- the correction check is not due: two older ranges
      assert.equal(3, again.remaining_requests)
    end)
  end)

  describe("cancelling", function()
    local it_nb = async.available and it or pending
    it_nb("during the pacing wait leaves no slot spent for nothing", function()
      local c = client { min_interval = 30 }
      local req = assert(c:start("consumption_load_curve", "2026-11-01", "2026-11-15"))
      local deadline = os.time() + 20
      while sent() < 1 and os.time() < deadline do
        local done = req:step()
        assert.is_false(done)
        core.sleep(0.01)
      end
      -- the second request waits 30 s of pacing: cancel it there
      for _ = 1, 20 do req:step() core.sleep(0.01) end
      req:cancel()
      assert.equal(1, sent())
      assert.equal(1, c:budget().used) -- before: 2
    end)
  end)
end)

-- The same promises through the command, run in-process on a simulated clock (every sleep moves it).
describe("linky command over months of use", function()
  local cli = require "linky.cli"
  local compat = require "linky.compat"
  local emu = require "spec.support.emulator_spec_helper"
  local cli_runner = require "spec.support.cli_runner"
  local t = simulated.new { now = NOW }
  setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)
  local function sent() return #t.server:api_requests() end

  local buffer = require("spec.support.cli_runner").buffer

  -- Runs the command at `t.now`: exit code, standard output, stderr.
  local function linky(...)
    local token = t.dir .. "/token"
    local f = assert(io.open(token, "w"))
    f:write(emu.TOKEN1, "\n")
    f:close()
    local argv = { "--base-url", t.server.url, "--token-file", token, "--state", t.path }
    compat.move({ ... }, 1, select("#", ...), #argv + 1, argv)
    local out, err = buffer(), buffer()
    local code = cli.main(argv, "linky", { clock = function() return t.now end,
      monotonic = function() return t.now end, sleep = t.sleep, stdout = out, stderr = err })
    return code, out.text, err.text
  end

  it("--max-requests counts retries and exits with the last attempt's error", function()
    t.server:script(busy(6))
    local code, _, err = linky("daily", "--start", "2026-11-01", "--end", "2026-11-08", "--max-requests", "1")
    assert.equal(6, code, err)
    assert.equal(1, sent()) -- before: 3
    assert.truthy(err:find("retries stopped by max_requests", 1, true), err)
  end)

  it("--dry-run says what the same command without it does", function()
    for i = 1, 30 do -- 30 of 40 spent: 5 left past the reserve
      local day = dates.format(dates.day("2026-01-01") + i)
      assert.equal(0, (linky("daily", "--start", day, "--end", dates.format(dates.day(day) + 1))))
    end
    local before = sent()
    local code, out, err = linky("loadcurve", "--start", "2026-09-01", "--end", "2026-10-27", "--max-requests", "3",
      "--dry-run")
    assert.equal(0, code, err)
    assert.truthy(out:find("requests      8 planned", 1, true), out)
    assert.truthy(out:find("without --dry-run: sends 3 requests (--max-requests 3), 5 left for the next run", 1,
      true), out) -- before: "over budget: the command would send nothing"
    assert.equal(before, sent())
    code, out, err = linky("loadcurve", "--start", "2026-09-01", "--end", "2026-10-27", "--max-requests", "3")
    assert.equal(0, code, err)
    assert.truthy(#out > 0)
    assert.equal(before + 3, sent())
    code, out = linky("loadcurve", "--start", "2026-09-01", "--end", "2026-10-27", "--dry-run")
    assert.equal(0, code)
    assert.truthy(out:find("without --dry-run: sends nothing and exits 5: 5 requests needed, the budget leaves 2"
      .. " past the reserve", 1, true), out)
    code = linky("loadcurve", "--start", "2026-09-01", "--end", "2026-10-27")
    assert.equal(5, code)
    assert.equal(before + 3, sent())
  end)

  it("refuses dates before 2000-01-01 with exit 2, sending nothing", function()
    for _, argv in ipairs {
      { "daily", "--start", "1999-06-01", "--end", "2000-01-05" },
      { "daily", "--last", "10000d" },
      { "backfill", "daily", "--since", "1999-06-01" },
      { "backfill", "daily", "--since", "0000-01-01" },
      { "update", "daily", "--since", "1900-01-01" },
    } do
      local code, _, err = linky(compat.unpack(argv))
      assert.equal(2, code, table.concat(argv, " ") .. ": " .. err)
    end
    assert.equal(0, sent())
  end)

  it("names --since when backfill starts in the future", function()
    local code, _, err = linky("backfill", "daily", "--since", "2026-12-25")
    assert.equal(2, code)
    assert.truthy(err:find("--since 2026-12-25 must be before today", 1, true), err)
    assert.equal(0, sent())
  end)

  it("update says what is left of a hole and continues it the next day", function()
    assert.equal(0, (linky("update", "loadcurve")))
    t.now = NOW + 120 * DAY
    local code, out, err = linky("update", "loadcurve", "--max-requests", "3")
    assert.equal(0, code, err)
    -- 120 days: the last 7 in one request, then 2 of the 113 older ones (17 requests)
    assert.truthy(out:find("99 days (15 requests) left: the next `linky update` or `linky backfill` continues",
      1, true), out)
    t.now = t.now + DAY
    code, out, err = linky("update", "loadcurve")
    assert.equal(0, code, err)
    -- the new day and the 99 left, within the 35 the budget leaves past the reserve
    assert.equal("consumption_load_curve   11111111111111  100 new days, 16 requests\n", out)
  end)

  it("says under LINKY_TODAY that the budget keeps real time", function()
    local h = cli_runner.harness()
    h.server = t.server
    h.fresh()
    local r = h.data { "loadcurve", "--start", "2025-06-01", "--end", "2026-04-01" }
    h.clean()
    assert.equal(5, r.code)
    assert.truthy(r.err:find("the budget keeps real time, whatever date LINKY_TODAY simulates", 1, true), r.err)
  end)
end)

describe("linky state file version 4", function()
  local t = simulated.new { now = NOW }
  setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)

  it("migrates a version 3 file, keeping its days and adding the reason and the hole to heal", function()
    local c = t.client()
    assert(c:daily_consumption("2026-11-01", "2026-11-08"))
    c:close()
    local db = assert(core.open_sqlite(t.path))
    assert(db:exec("ALTER TABLE days DROP COLUMN reason; ALTER TABLE corrections DROP COLUMN heal_from;"
      .. " ALTER TABLE requests DROP COLUMN source; ALTER TABLE holds DROP COLUMN source; DROP TABLE tempo_days;"
      .. " DROP TABLE published; DROP TABLE mqtt_baselines; DROP TABLE mqtt_topics;"
      .. " PRAGMA user_version = 3"))
    db:close()
    c = t.client()
    local r = assert(c:daily_consumption("2026-11-01", "2026-11-08"))
    assert.equal(0, r.requests) -- the days stored by version 3 are still complete
    c:close()
    db = assert(core.open_sqlite(t.path))
    assert.same({ { user_version = 7 } }, db:rows("PRAGMA user_version"))
    assert.same({ { n = 7 } }, db:rows("SELECT count(*) AS n FROM days WHERE reason IS NULL AND status = 'complete'"))
    assert.is_table(db:rows("SELECT heal_from FROM corrections"))
    db:close()
  end)
end)

describe("linky state file version 7", function()
  local t = simulated.new { now = NOW }
  setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)

  it("migrates a version 6 file, keeping its days and adding the tables of the MQTT targets", function()
    local c = t.client()
    assert(c:daily_consumption("2026-11-01", "2026-11-08"))
    c:close()
    local db = assert(core.open_sqlite(t.path))
    assert(db:exec("DROP TABLE mqtt_baselines; DROP TABLE mqtt_topics; PRAGMA user_version = 6"))
    db:close()
    c = t.client()
    local r = assert(c:daily_consumption("2026-11-01", "2026-11-08"))
    assert.equal(0, r.requests)
    c:close()
    db = assert(core.open_sqlite(t.path))
    assert.same({ { user_version = 7 } }, db:rows("PRAGMA user_version"))
    assert.same({ { n = 0 } }, db:rows("SELECT count(*) AS n FROM mqtt_baselines"))
    assert.same({ { n = 0 } }, db:rows("SELECT count(*) AS n FROM mqtt_topics"))
    db:close()
  end)
end)
