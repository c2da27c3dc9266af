-- A budget you can plan: client:plan sends and spends nothing, max_requests caps a call,
-- retries are visible through the progress callback and the final error counts its attempts.
local core = require "linky.core"
local simulated = require "spec.support.simulated"

local NOW = core.to_epoch("2026-11-28 11:00:00")

local dates_of = simulated.dates_of

describe("linky planning", function()
  local t = simulated.new { now = NOW, client = { retry = false } }
  setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)
  local client = t.client

  describe("client:plan", function()
    it("tells the requests a call needs, sending and spending nothing", function()
      local c = client()
      assert(c:consumption_load_curve("2026-11-10", "2026-11-12"))
      t.server:reset()
      local p = assert(c:plan("consumption_load_curve", "2026-11-01", "2026-11-27"))
      assert.same({ requests = 5, planned = 5, stored_days = 2, missing_days = 24, budget_left = 39,
                    beyond_history_days = 0,
                    ranges = { { start = "2026-11-01", ["end"] = "2026-11-08" },
                               { start = "2026-11-08", ["end"] = "2026-11-10" },
                               { start = "2026-11-12", ["end"] = "2026-11-19" },
                               { start = "2026-11-19", ["end"] = "2026-11-26" },
                               { start = "2026-11-26", ["end"] = "2026-11-27" } } }, p)
      assert.same({}, t.server:api_requests())
      assert.equal(1, c:budget().used)
      local r = assert(c:consumption_load_curve("2026-11-01", "2026-11-27"))
      assert.equal(p.requests, r.requests)
    end)

    it("plans nothing for stored days, and refuses what fetch refuses", function()
      local c = client()
      assert(c:daily_consumption("2026-11-01", "2026-11-20"))
      local p = assert(c:plan("daily_consumption", "2026-11-01", "2026-11-20"))
      assert.same({ requests = 0, planned = 0, stored_days = 19, missing_days = 0, budget_left = 39, ranges = {},
                    beyond_history_days = 0 }, p)
      local _, err = c:plan("daily_consumption", "2026-11-20", "2026-11-01")
      assert.equal("invalid_argument", err.kind)
      assert.is_nil(client { budget = false }:plan("daily_consumption", "2026-11-01", "2026-11-02").budget_left)
    end)
  end)

  describe("max_requests", function()
    it("sends at most N requests, keeps them and fails with budget_exhausted, partial and planned", function()
      local c = client()
      local r, err = c:consumption_load_curve("2026-11-01", "2026-11-20", { max_requests = 1 })
      assert.is_nil(r)
      assert.equal("budget_exhausted", err.kind)
      assert.equal(3, err.planned)
      assert.equal(7 * 48, #err.partial.points)
      assert.same({ "2026-11-01..2026-11-08" }, dates_of(t.server:api_requests()))
      local rest = assert(c:consumption_load_curve("2026-11-01", "2026-11-20", { max_requests = 2 }))
      assert.equal(2, rest.requests)
      assert.equal(19 * 48, #rest.points)
      assert.equal("invalid_argument", select(2, c:daily_consumption("2026-11-01", "2026-11-02",
        { max_requests = -1 })).kind)
    end)

    it("returns the stored days in partial with max_requests = 0", function()
      local c = client()
      assert(c:daily_consumption("2026-11-01", "2026-11-03"))
      local _, err = c:daily_consumption("2026-11-01", "2026-11-05", { max_requests = 0 })
      assert.equal("budget_exhausted", err.kind)
      assert.equal(1, err.planned)
      assert.equal(2, #err.partial.points)
      assert.equal(1, #t.server:api_requests())
    end)
  end)

  describe("offline", function()
    it("answers from the store alone: days not stored are gaps, nothing is sent", function()
      local c = client()
      assert(c:daily_consumption("2026-11-03", "2026-11-05"))
      t.server:reset()
      local r = assert(c:daily_consumption("2026-11-01", "2026-11-07", { offline = true }))
      assert.equal(0, r.requests)
      assert.equal(2, #r.points)
      assert.same({ { start = "2026-11-01", ["end"] = "2026-11-03", reason = "missing" },
                    { start = "2026-11-05", ["end"] = "2026-11-07", reason = "missing" } }, r.gaps)
      local empty = assert(c:daily_consumption("2026-10-01", "2026-10-03", { offline = true }))
      assert.same({}, empty.points)
      assert.same({}, t.server:api_requests())
    end)
  end)

  describe("retries", function()
    it("reach the progress callback and the final error counts its attempts", function()
      t.server:script { { error = "cloudflare_502" }, { error = "cloudflare_502" }, { error = "cloudflare_502" } }
      local events = {}
      local c = client { retry = { attempts = 2, base = 1, cap = 5 }, random = function() return 0.5 end }
      local _, err = c:daily_consumption("2026-11-01", "2026-11-02", { progress = function(i, n, info)
        events[#events + 1] = info and ("%d/%d retry in %g s after %s"):format(i, n, info.wait, info.error.kind)
          or ("%d/%d"):format(i, n)
      end })
      assert.equal("server_error", err.kind)
      assert.equal(3, err.attempts)
      assert.truthy(tostring(err):find("after 3 attempts", 1, true))
      assert.same({ "1/1", "1/1 retry in 0.5 s after server_error", "1/1 retry in 1 s after server_error" }, events)
    end)

    it("count the requests of a call in the progress line", function()
      local seen = {}
      assert(client():consumption_load_curve("2026-11-01", "2026-11-20", { progress = function(i, n)
        seen[#seen + 1] = i .. "/" .. n
      end }))
      assert.same({ "1/3", "2/3", "3/3" }, seen)
    end)
  end)
end)
