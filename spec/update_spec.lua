-- client:update costs nothing when the store is up to date: an hourly home-automation poll
-- spends a request only when a day is due, and says when asking again is useful.
local linky = require "linky"
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"
local simulated = require "spec.support.simulated"

local quote = emu.quote
local NOW = core.to_epoch("2026-11-28 11:00:00")
local HOUR, DAY = 3600, 86400

local dates_of = simulated.dates_of

-- A 2026 daily body with a value for each of `days`.
local function daily_body(days)
  local out = {}
  for i, d in ipairs(days) do out[i] = ('{"v":"%d","d":"%s"}'):format(1000 + i, d) end
  return '{"idPrm":"11111111111111","etapeMetier":"BRUT","grandeur":[{"grandeurMetier":"CONS",'
    .. '"grandeurPhysique":"EA","unite":"Wh","points":[' .. table.concat(out, ",") .. ']}]}'
end

describe("linky update", function()
  local t = simulated.new { now = NOW, client = { retry = false } }
  setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)
  local client = t.client

  it("sends nothing the second time in a row", function()
    local c = client()
    local first = assert(c:update("daily_consumption"))
    assert.equal(1, first.requests)
    assert.equal(7, first.days_new)
    local second = assert(c:update("daily_consumption"))
    assert.equal(0, second.requests)
    assert.equal(0, second.days_new)
    assert.equal(1, #t.server:api_requests())
    assert.equal(core.to_epoch("2026-11-29 00:00:00"), second.retry_at)
  end)

  it("asks a late day at most once an hour, and nothing once it came, in a day of hourly polls", function()
    t.server:script { { status = 200, body = daily_body { "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24",
                                                        "2026-11-25", "2026-11-26" } },
                    { error = "no_data_404" }, { error = "no_data_404" } }
    local c = client()
    local sent, late = 0, nil
    for hour = 0, 12 do
      t.now = NOW + hour * HOUR
      local r = assert(c:update("daily_consumption"))
      sent = sent + r.requests
      if hour == 0 then
        assert.same({ { start = "2026-11-27", ["end"] = "2026-11-28", reason = "missing" } }, r.gaps)
        assert.equal(NOW + HOUR, r.retry_at)
      end
      if #r.gaps == 0 and not late then late = hour end
    end
    assert.equal(4, sent) -- the first run, two more 404s an hour apart, then the day
    assert.equal(3, late)
    assert.same({ "2026-11-21..2026-11-28", "2026-11-27..2026-11-28", "2026-11-27..2026-11-28",
                  "2026-11-27..2026-11-28" }, dates_of(t.server:api_requests()))
  end)

  it("asks the BRUT days again for corrections at most once a day", function()
    local c = client()
    assert(c:update("daily_consumption"))
    t.now = NOW + 12 * HOUR
    assert.equal(0, assert(c:update("daily_consumption")).requests)
    t.now = NOW + DAY -- a new day, and the correction check is due: one request for both
    local r = assert(c:update("daily_consumption"))
    assert.equal(1, r.requests)
    assert.same({ "2026-11-21..2026-11-28", "2026-11-22..2026-11-29" }, dates_of(t.server:api_requests()))
  end)

  it("makes gaps of days without data, never a not_found", function()
    t.server:script { { error = "no_data_404" } }
    local r = assert(client():update("daily_consumption"))
    assert.same({ { start = "2026-11-21", ["end"] = "2026-11-28", reason = "missing" } }, r.gaps)
    assert.equal(0, r.days_new)
  end)

  it("starts at since (the last 7 days first, then the older ones), and refuses a since that is not before today", function()
    local r = assert(client():update("daily_consumption", { since = "2026-10-01" }))
    assert.same({ "2026-11-21..2026-11-28", "2026-10-01..2026-11-21" }, dates_of(t.server:api_requests()))
    assert.equal(58, r.days_new)
    assert.equal("invalid_argument", select(2, client():update("daily_consumption", { since = "2026-11-28" })).kind)
  end)
end)

describe("linky.status", function()
  local server, dir, path

  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)
  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. quote(dir)))
    path = dir .. "/sub/state.sqlite3"
  end)
  after_each(function() os.execute("rm -rf " .. quote(dir)) end)

  it("says a missing state file is missing, and creates nothing", function()
    assert.same({ path = path, exists = false }, linky.status(path))
    assert.is_nil(io.open(dir .. "/sub"))
  end)

  it("reports the stored days per PRM and kind, and the budget, without a token", function()
    local now = NOW
    local c = assert(linky.new { token = emu.TOKEN2, base_url = server.url, state = path, min_interval = 0,
      clock = function() return now end, monotonic = function() return now end })
    server:script { { status = 200, body = daily_body { "2026-11-01", "2026-11-02", "2026-11-04" } } }
    assert(c:daily_consumption("2026-11-01", "2026-11-06"))
    local curve = assert(c:consumption_load_curve("2026-11-01", "2026-11-02", { prm = emu.PRM2 }))
    c:close()
    local s = assert(linky.status(path, { clock = function() return now end }))
    assert.is_true(s.exists)
    assert.equal(2, s.budget.used)
    assert.equal(40, s.budget.limit)
    -- the newest complete day and its value: 2026-11-04 (1003 Wh), the load curve's day in Wh
    assert.same({
      { prm = emu.PRM1, kind = "daily_consumption", first = "2026-11-01", last = "2026-11-05", complete = 3,
        not_complete = 2, last_complete = "2026-11-04", last_value = 1003, unit = "Wh" },
      { prm = emu.PRM2, kind = "consumption_load_curve", first = "2026-11-01", last = "2026-11-01", complete = 1,
        not_complete = 0, last_complete = "2026-11-01", last_value = linky.aggregate(curve, "day")[1].value,
        unit = "Wh" },
    }, s.meters)
  end)
end)
