-- A budget you can plan: client:plan sends and spends nothing, max_requests caps a call,
-- retries are visible through the progress callback and the final error counts its attempts.
local linky = require "linky"
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"

local quote = emu.quote
local NOW = core.to_epoch("2026-11-28 11:00:00")

local function dates_of(reqs)
  local out = {}
  for i, r in ipairs(reqs) do out[i] = r.params.dateDebut .. ".." .. r.params.dateFin end
  return out
end

describe("linky planning", function()
  local server, dir, path, now

  local function client(opts)
    local o = { token = emu.TOKEN1, base_url = server.url, state = path, min_interval = 0, retry = false,
                clock = function() return now end, monotonic = function() return now end,
                sleep = function() end }
    for k, v in pairs(opts or {}) do o[k] = v end
    return assert(linky.new(o))
  end

  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)
  before_each(function()
    server:reset()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. quote(dir)))
    path = dir .. "/state.sqlite3"
    now = NOW
  end)
  after_each(function() os.execute("rm -rf " .. quote(dir)) end)

  describe("client:plan", function()
    it("tells the requests a call needs, sending and spending nothing", function()
      local c = client()
      assert(c:consumption_load_curve("2026-11-10", "2026-11-12"))
      server:reset()
      local p = assert(c:plan("consumption_load_curve", "2026-11-01", "2026-11-27"))
      assert.same({ requests = 5, stored_days = 2, missing_days = 24, budget_left = 39,
                    ranges = { { start = "2026-11-01", ["end"] = "2026-11-08" },
                               { start = "2026-11-08", ["end"] = "2026-11-10" },
                               { start = "2026-11-12", ["end"] = "2026-11-19" },
                               { start = "2026-11-19", ["end"] = "2026-11-26" },
                               { start = "2026-11-26", ["end"] = "2026-11-27" } } }, p)
      assert.same({}, server:api_requests())
      assert.equal(1, c:budget().used)
      local r = assert(c:consumption_load_curve("2026-11-01", "2026-11-27"))
      assert.equal(p.requests, r.requests)
    end)

    it("plans nothing for stored days, and refuses what fetch refuses", function()
      local c = client()
      assert(c:daily_consumption("2026-11-01", "2026-11-20"))
      local p = assert(c:plan("daily_consumption", "2026-11-01", "2026-11-20"))
      assert.same({ requests = 0, stored_days = 19, missing_days = 0, budget_left = 39, ranges = {} }, p)
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
      assert.same({ "2026-11-01..2026-11-08" }, dates_of(server:api_requests()))
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
      assert.equal(1, #server:api_requests())
    end)
  end)

  describe("offline", function()
    it("answers from the store alone: days not stored are gaps, nothing is sent", function()
      local c = client()
      assert(c:daily_consumption("2026-11-03", "2026-11-05"))
      server:reset()
      local r = assert(c:daily_consumption("2026-11-01", "2026-11-07", { offline = true }))
      assert.equal(0, r.requests)
      assert.equal(2, #r.points)
      assert.same({ { start = "2026-11-01", ["end"] = "2026-11-03", reason = "missing" },
                    { start = "2026-11-05", ["end"] = "2026-11-07", reason = "missing" } }, r.gaps)
      local empty = assert(c:daily_consumption("2026-10-01", "2026-10-03", { offline = true }))
      assert.same({}, empty.points)
      assert.same({}, server:api_requests())
    end)
  end)

  describe("retries", function()
    it("reach the progress callback and the final error counts its attempts", function()
      server:script { { error = "cloudflare_502" }, { error = "cloudflare_502" }, { error = "cloudflare_502" } }
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
