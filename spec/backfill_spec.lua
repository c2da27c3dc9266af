-- Backfill over budget windows: a year of load curve fills the store run after run while a
-- daily update from cron always finds its reserve. Time is simulated with the library's clock,
-- which every sleep moves (the default pacing of 0.25 s between requests, retries, waits).
local core = require "linky.core"
local simulated = require "spec.support.simulated"

local NOW = core.to_epoch("2026-11-28 03:00:00")
local HOUR = 3600

describe("linky backfill", function()
  local t = simulated.new { now = NOW }
  setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)
  local client = t.client

  it("fills a year of load curve over several windows while the daily update keeps its reserve", function()
    local c = client()
    local runs, backfill_requests, update_requests, reports, waited = 0, 0, 0, {}, {}
    for hour = 0, 3 * 24 do
      t.now = NOW + hour * HOUR
      if hour % 12 == 0 and not (reports[#reports] and reports[#reports].done) then -- backfill at 3:00 and 15:00
        local r = assert(c:backfill("consumption_load_curve", "2025-11-28", { progress = function(_, _, w)
          if w and w.budget then waited[#waited + 1] = { hour = hour, wait = w.wait } end
        end }))
        runs = runs + 1
        backfill_requests = backfill_requests + r.requests
        reports[#reports + 1] = r
        assert.is_true(c:budget().used <= 35) -- the reserve of 5 stays free
      end
      if hour % 24 == 4 then -- cron's update at 7:00 Paris
        for _, kind in ipairs { "daily_consumption", "consumption_load_curve" } do
          local r = assert(c:update(kind)) -- never budget_exhausted
          update_requests = update_requests + r.requests
        end
      end
    end
    assert.same({ requests = 35, days = 365, stored_days = 245, remaining_requests = 18, runs_left = 1,
                  done = false }, reports[1])
    assert.same({ requests = 17, days = 365, stored_days = 365, remaining_requests = 0, runs_left = 0,
                  done = true }, reports[2])
    assert.equal(2, runs)
    -- at 15:00 the slots of 3:00 free one by one (the default pacing spread them): the second run
    -- waits those few seconds for them rather than giving up until the next window
    assert.equal(1, #waited)
    assert.equal(12, waited[1].hour)
    assert.is_true(waited[1].wait > 0 and waited[1].wait < 60)
    assert.equal(52, backfill_requests) -- 53 weeks, less the last one the first update fetched
    assert.equal(6, update_requests) -- one request per kind a day: the new day and the correction check
    assert.equal(backfill_requests + update_requests, #t.server:api_requests())
  end)

  it("never asks again for a stored day, and refuses to start without room past the reserve", function()
    local c = client { budget = { requests = 10, window = 12 * HOUR } }
    local first = assert(c:backfill("daily_consumption", "2024-12-01", { reserve = 8 }))
    assert.equal(2, first.requests)
    assert.is_true(first.done)
    local again = assert(c:backfill("daily_consumption", "2024-12-01", { reserve = 8 }))
    assert.equal(0, again.requests)
    local _, err = c:backfill("consumption_load_curve", "2026-01-01", { reserve = 8 })
    assert.equal("budget_exhausted", err.kind)
    assert.equal(48, err.planned)
    local capped = assert(c:backfill("consumption_load_curve", "2026-01-01", { max_requests = 1 }))
    assert.equal(1, capped.requests)
    assert.equal(47, capped.remaining_requests)
    assert.equal(47, capped.runs_left)
    assert.equal(3, #t.server:api_requests())
    assert.equal("invalid_argument", select(2, c:fetch("daily_consumption", "2026-01-01", "2026-01-02",
      { reserve = 1 })).kind)
  end)
end)
