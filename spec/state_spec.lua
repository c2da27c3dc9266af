local linky = require "linky"
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"
local tools = require "spec.support.tools"

-- A fixed "now" (2026-11-28 11:00 in Paris), moved by hand: no spec waits in real time.
local NOW = core.to_epoch("2026-11-28 11:00:00")
local DAY = 86400

local quote, read = emu.quote, emu.read_file
-- Child processes run the interpreter of this suite (the module under test is built for it).
local LUA = require("spec.support.versions").LUA

local function write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

-- A fresh temporary folder, removed by the returned function.
local function tempdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. quote(dir)))
  return dir, function() os.execute("chattr -i " .. quote(dir) .. "/* 2>/dev/null; rm -rf " .. quote(dir)) end
end

-- A 2026 daily body: `points` is a list of {date, value-or-false-for-null}.
local function daily_body(quality, points)
  local out = {}
  for i, p in ipairs(points) do
    out[i] = ('{"v":%s,"d":"%s"}'):format(p[2] and ('"' .. p[2] .. '"') or "null", p[1])
  end
  return ('{"idPrm":"11111111111111","etapeMetier":"%s","grandeur":[{"grandeurMetier":"CONS",' ..
    '"grandeurPhysique":"EA","unite":"Wh","points":[%s]}]}'):format(quality, table.concat(out, ","))
end

-- A seeded generator in [0, 1), independent of math.random.
local function seeded(seed)
  local x = seed
  return function()
    x = (x * 1103515245 + 12345) % 2147483648
    return x / 2147483648
  end
end

local function dates_of(reqs)
  local out = {}
  for i, r in ipairs(reqs) do out[i] = r.params.dateDebut .. ".." .. r.params.dateFin end
  return out
end

describe("linky state", function()
  local server, dir, cleanup, path, now, sleeps

  local function client(opts)
    local o = { token = emu.TOKEN1, base_url = server.url, min_interval = 0, state = path,
                clock = function() return now end, monotonic = function() return now end,
                sleep = function(s) sleeps[#sleeps + 1] = s end }
    for k, v in pairs(opts or {}) do o[k] = v end
    return assert(linky.new(o))
  end

  local function requests() return #server:api_requests() end

  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)
  before_each(function()
    server:reset()
    dir, cleanup = tempdir()
    path = dir .. "/state.sqlite3"
    now = NOW
    sleeps = {}
  end)
  after_each(function() cleanup() end)

  describe("budget", function()
    -- Runs `lua5.4 child.lua <args>` for each argument list, `batch` processes at a time,
    -- and returns their outputs.
    local CHILD = [[
      local linky = require "linky"
      local url, state, first, stop, calls, budget = ...
      local c = assert(linky.new { token = os.getenv("LINKY_TOKEN"), base_url = url, state = state,
        cache = false, retry = false, min_interval = 0,
        budget = { requests = tonumber(budget), window = 12 * 3600 } })
      for _ = 1, tonumber(calls) do
        local r, err = c:daily_consumption(first, stop)
        if r then print("ok") else print(err.kind .. " " .. tostring(err.retry_at)) end
      end
    ]]
    local function spawn(arglists, batch)
      local script = dir .. "/child.lua"
      write(script, CHILD)
      local env = "LINKY_TOKEN=" .. quote(emu.TOKEN1) .. " LUA_PATH=" .. quote(package.path)
        .. " LUA_CPATH=" .. quote(package.cpath)
      local outputs = {}
      for b = 1, #arglists, batch do
        local cmd = {}
        for i = b, math.min(b + batch - 1, #arglists) do
          local args = {}
          for j, a in ipairs(arglists[i]) do args[j] = quote(a) end
          cmd[#cmd + 1] = ("%s %s %s %s >%s 2>&1 &"):format(env, LUA, quote(script), table.concat(args, " "),
            quote(dir .. "/out" .. i))
        end
        cmd[#cmd + 1] = "wait"
        assert(os.execute(table.concat(cmd, "\n")))
      end
      for i = 1, #arglists do outputs[i] = read(dir .. "/out" .. i) or "" end
      return outputs
    end

    it("lets exactly 40 of 200 concurrent processes send a request", function()
      local args = {}
      for i = 1, 200 do
        local first = os.date("!%Y-%m-%d", NOW - (300 - i) * DAY)
        args[i] = { server.url, path, first, os.date("!%Y-%m-%d", NOW - (299 - i) * DAY), 1, 40 }
      end
      local outputs = spawn(args, 50)
      local ok, exhausted, other = 0, 0, {}
      for _, out in ipairs(outputs) do
        if out == "ok\n" then ok = ok + 1
        elseif out:match("^budget_exhausted %d+") then exhausted = exhausted + 1
        else other[#other + 1] = out end
      end
      assert.same({}, other)
      assert.equal(40, ok)
      assert.equal(160, exhausted)
      assert.equal(40, requests())
    end)

    it("keeps two racing processes within the budget together and the state valid", function()
      local outputs = spawn({ { server.url, path, "2026-04-01", "2026-04-02", 8, 10 },
                              { server.url, path, "2026-04-02", "2026-04-03", 8, 10 } }, 2)
      local _, oks = (outputs[1] .. outputs[2]):gsub("ok\n", "")
      assert.equal(10, oks)
      assert.equal(10, requests())
      local db = assert(core.open_sqlite(path))
      finally(function() db:close() end)
      assert.same({ { integrity_check = "ok" } }, db:rows("PRAGMA integrity_check"))
      local _, refused = (outputs[1] .. outputs[2]):gsub("budget_exhausted %d+", "")
      assert.equal(6, refused)
      assert.same({ { n = 10 } }, db:rows("SELECT count(*) AS n FROM requests"))
    end)

    it("refuses a request over the budget with retry_at and partial, sending nothing", function()
      local c = client { budget = { requests = 2, window = 3600 }, cache = false }
      assert(c:daily_consumption("2026-04-01", "2026-04-02"))
      now = now + 60
      local r, err = c:consumption_load_curve("2026-05-01", "2026-05-20")
      assert.is_nil(r)
      assert.equal("budget_exhausted", err.kind)
      assert.is_true(err.retryable)
      assert.equal(NOW + 3600, err.retry_at)
      assert.equal(1, err.partial.requests)
      assert.equal(7 * 48, #err.partial.points)
      assert.equal(2, requests())
      local _, again = c:daily_consumption("2026-04-01", "2026-04-02")
      assert.equal("budget_exhausted", again.kind)
      assert.is_nil(again.partial)
      assert.equal(2, requests())
      assert.same({ used = 2, limit = 2, window = 3600, retry_at = NOW + 3600 }, c:budget())
      now = NOW + 3601
      assert(c:daily_consumption("2026-04-01", "2026-04-02"))
      assert.equal(3, requests())
    end)

    it("counts in memory with state = false and not at all with budget = false", function()
      local c = client { state = false, budget = { requests = 1, window = 3600 } }
      assert(c:daily_consumption("2026-04-01", "2026-04-02"))
      local _, err = c:daily_consumption("2026-04-02", "2026-04-03")
      assert.equal("budget_exhausted", err.kind)
      assert(client { state = false, budget = { requests = 1, window = 3600 } }:daily_consumption("2026-04-02", "2026-04-03"))
      assert.is_nil(io.open(path))
      local free = client { budget = false, cache = false }
      for _ = 1, 45 do assert(free:daily_consumption("2026-04-01", "2026-04-02")) end
      local b = free:budget()
      assert.equal(45, b.used)
      assert.is_nil(b.limit)
      assert.is_nil(b.retry_at)
    end)

    it("reports the default budget", function()
      assert.same({ used = 0, limit = 40, window = 43200 }, client():budget())
    end)
  end)

  describe("ban memory", function()
    it("sends nothing after a ban page until clear_ban", function()
      server:script { { error = "ban_403" } }
      local c = client()
      local _, err = c:daily_consumption("2026-04-01", "2026-04-02")
      assert.equal("banned", err.kind)
      assert.is_nil(err.from_state)
      assert.is_nil(err.retry_at) -- bans are permanent until cleared: no time to retry at
      now = NOW + 30 * DAY
      for _, cl in ipairs { c, client() } do
        local r, again = cl:daily_consumption("2026-04-02", "2026-04-03")
        assert.is_nil(r)
        assert.equal("banned", again.kind)
        assert.is_true(again.from_state)
        assert.is_nil(again.retry_at)
        assert.equal(NOW, again.banned_since)
        assert.is_nil(tostring(again):find("until 20", 1, true))
        assert.is_nil(tostring(again):lower():find("retry after", 1, true))
      end
      assert.equal(1, requests())
      local b = c:budget()
      assert.equal(NOW, b.banned_since)
      assert.is_nil(b.retry_at)
      assert.is_nil(b.banned_until)
      assert.is_true(c:clear_ban())
      assert(c:daily_consumption("2026-04-02", "2026-04-03"))
      assert.equal(2, requests())

      server:script { { error = "ban_403" } }
      assert.equal("banned", select(2, c:daily_consumption("2026-04-03", "2026-04-04")).kind)
      assert.is_true(linky.clear_ban(path))
      assert(c:daily_consumption("2026-04-03", "2026-04-04"))
      assert.equal(4, requests())
    end)

    it("says from the first ban error on that the ban is remembered and how it ends", function()
      for _, answer in ipairs { "ban_403", "ban_403_json" } do
        server:script { { error = answer } }
        local c = client()
        local _, first = c:daily_consumption("2026-04-01", "2026-04-02")
        local _, again = c:daily_consumption("2026-04-01", "2026-04-02")
        assert.is_nil(first.from_state)
        assert.is_true(again.from_state)
        for _, err in ipairs { first, again } do
          assert.equal("banned", err.kind)
          assert.truthy(err.message:find("remembered", 1, true), err.message)
          assert.truthy(err.message:find("nothing is sent until the ban is cleared (clear_ban, or linky clear-ban)",
            1, true), err.message)
        end
        assert.is_true(c:clear_ban())
      end
      assert.equal(2, requests())
    end)
  end)

  describe("cool-downs", function()
    local function cools(answer, kind, retry_at)
      server:reset()
      server:script { answer }
      local c = client()
      local _, err = c:daily_consumption("2026-04-01", "2026-04-02")
      assert.equal(kind, err.kind)
      assert.equal(retry_at, err.retry_at)
      assert.equal(1, requests())
      now = retry_at - 1
      local r, again = c:daily_consumption("2026-04-01", "2026-04-02")
      assert.is_nil(r)
      assert.equal(kind, again.kind)
      assert.is_true(again.from_state)
      assert.equal(retry_at, again.retry_at)
      assert.equal(1, requests())
      assert.equal(retry_at, c:budget().cooldown_until)
      now = retry_at
      assert(c:daily_consumption("2026-04-01", "2026-04-02"))
      assert.equal(2, requests())
      now = NOW
    end

    it("waits 15 minutes after a 429 without nextAccessTime and after a 500", function()
      cools({ error = "quota_429_fault" }, "rate_limited", NOW + 900)
      path = dir .. "/second.sqlite3"
      cools({ error = "technical_500" }, "server_error", NOW + 900)
    end)

    it("waits until nextAccessTime after a 429 that carries it", function()
      local body = '{"status":429,"message":"The Enedis API returned an error","error":{"code":"900804",' ..
        '"message":"Message throttled out","description":"quota","nextAccessTime":"2026-Nov-29 05:00:00+0000 UTC"}}'
      cools({ status = 429, body = body }, "rate_limited", core.to_epoch("2026-11-29T05:00:00Z"))
    end)

    it("waits 15 minutes when nextAccessTime is already past", function()
      cools({ error = "quota_429_next" }, "rate_limited", NOW + 900)
    end)
  end)

  describe("retries", function()
    it("retries a 502 with full-jitter delays from the seeded random", function()
      local function delays(seed)
        server:reset()
        sleeps = {}
        server:script { { error = "cloudflare_502" }, { error = "cloudflare_502" }, { error = "cloudflare_502" } }
        local _, err = client { random = seeded(seed), state = false }:daily_consumption("2026-04-01", "2026-04-02")
        assert.equal("server_error", err.kind)
        assert.equal(502, err.status)
        assert.equal(3, requests())
        return sleeps
      end
      for _, seed in ipairs { 1, 2 } do
        local r = seeded(seed)
        local expect = { r() * 2, r() * 4 }
        assert.same(expect, delays(seed))
      end
      assert.are_not.same(delays(1), delays(2))
    end)

    it("caps the delays, counts every retry against the budget and succeeds when the server recovers", function()
      server:script { { status = 503, body = "{}" }, { truncate = 20 }, { status = 504, body = "" } }
      local c = client { random = function() return 1 end, retry = { attempts = 3, base = 10, cap = 25 } }
      local r = assert(c:daily_consumption("2026-04-01", "2026-04-02"))
      assert.equal(4, r.requests)
      assert.same({ 10, 20, 25 }, sleeps)
      assert.equal(4, c:budget().used)
      server:reset()
      sleeps = {}
      server:script { { status = 503, body = "{}" }, { status = 503, body = "{}" } }
      local _, err = client { retry = { attempts = 3 }, budget = { requests = 6, window = 60 } }
        :daily_consumption("2026-04-02", "2026-04-03")
      assert.equal("budget_exhausted", err.kind)
      assert.equal(2, requests())
    end)

    for _, case in ipairs { { "zod_400", "bad_request" }, { "unauthorized_401", "unauthorized" },
                            { "consent_403", "forbidden" }, { "no_data_404", "not_found" },
                            { "method_405", "method_not_allowed" } } do
      it("sends exactly one request for " .. case[1], function()
        server:script { { error = case[1] } }
        local _, err = client():daily_consumption("2026-04-01", "2026-04-02")
        assert.equal(case[2], err.kind)
        assert.equal(1, requests())
        assert.same({}, sleeps)
        -- a 404 day is missing, and old enough to be settled: only refresh asks again
        assert(client():daily_consumption("2026-04-01", "2026-04-02", { refresh = case[2] == "not_found" }))
      end)
    end
  end)

  describe("store", function()
    it("answers a repeated query with no request", function()
      local c = client()
      local first = assert(c:daily_consumption("2026-04-01", "2026-04-04"))
      assert.equal(1, first.requests)
      assert.equal(0, first.cached)
      local again = assert(client():daily_consumption("2026-04-01", "2026-04-04"))
      assert.equal(0, again.requests)
      assert.equal(3, again.cached)
      assert.same(first.points, again.points)
      assert.equal("BRUT", again.quality)
      assert.equal("Wh", again.unit)
      assert.same({}, again.gaps)
      assert.equal(1, requests())
    end)

    it("requests only the missing days of an overlapping range", function()
      local c = client()
      assert(c:consumption_load_curve("2026-05-05", "2026-05-07"))
      server:reset()
      local r = assert(c:consumption_load_curve("2026-05-01", "2026-05-20"))
      assert.same({ "2026-05-01..2026-05-05", "2026-05-07..2026-05-14", "2026-05-14..2026-05-20" },
        dates_of(server:api_requests()))
      assert.equal(3, r.requests)
      assert.equal(2 * 48, r.cached)
      assert.equal(19 * 48, #r.points)
      for i = 2, #r.points do assert.equal(1800, r.points[i].time - r.points[i - 1].time) end
    end)

    it("is shared by both API generations", function()
      assert(client { api = "legacy" }:daily_consumption("2026-04-01", "2026-04-04"))
      local r = assert(client():daily_consumption("2026-04-01", "2026-04-04"))
      assert.equal(0, r.requests)
      assert.equal(3, r.cached)
    end)

    it("stores the repeated hour of the autumn DST day twice", function()
      local r = assert(client():consumption_load_curve("2026-10-25", "2026-10-26"))
      assert.equal(50, #r.points)
      local again = assert(client():consumption_load_curve("2026-10-25", "2026-10-26"))
      assert.equal(0, again.requests)
      assert.same(r.points, again.points)
      local db = assert(core.open_sqlite(path))
      finally(function() db:close() end)
      assert.same({ { n = 50 } }, db:rows("SELECT count(*) AS n FROM readings WHERE kind = 'consumption_load_curve'"))
    end)

    it("keeps the time classes of the index kinds", function()
      local r = assert(client():consumption_index("2026-04-01", "2026-04-08"))
      assert.is_not_nil(next(r.classes))
      local again = assert(client():consumption_index("2026-04-01", "2026-04-08"))
      assert.equal(0, again.requests)
      assert.same(r.points, again.points)
      assert.same(r.classes, again.classes)
      assert.equal(1, assert(client():update("consumption_index", { since = "2026-11-27" })).requests)
    end)

    it("is bypassed with cache = false and for max power with another step or measure", function()
      assert(client { cache = false }:daily_consumption("2026-04-01", "2026-04-04"))
      assert.equal(1, assert(client():daily_consumption("2026-04-01", "2026-04-04")).requests)
      local c = client()
      assert(c:consumption_max_power("2026-04-01", "2026-04-04", { measure = "TOUT" }))
      assert.equal(1, assert(c:consumption_max_power("2026-04-01", "2026-04-04", { step = "P1M" })).requests)
      assert.equal(1, assert(c:consumption_max_power("2026-04-01", "2026-04-04")).requests)
      assert.equal(0, assert(c:consumption_max_power("2026-04-01", "2026-04-04", { measure = "PMA" })).requests)
      assert.equal(5, requests())
    end)
  end)

  describe("gaps", function()
    it("lists null and absent days and requests them again an hour later", function()
      server:script { { status = 200, body = daily_body("BRUT", { { "2026-11-21", "10" }, { "2026-11-22", false },
                                                                  { "2026-11-24", "40" } }) } }
      local c = client()
      local r = assert(c:daily_consumption("2026-11-21", "2026-11-25"))
      assert.same({ { start = "2026-11-22", ["end"] = "2026-11-23", reason = "incomplete" },
                    { start = "2026-11-23", ["end"] = "2026-11-24", reason = "missing" } }, r.gaps)
      assert.equal(3, #r.points)
      server:reset()
      now = NOW + 3600
      local again = assert(c:daily_consumption("2026-11-21", "2026-11-25"))
      assert.same({ "2026-11-22..2026-11-24" }, dates_of(server:api_requests()))
      assert.same({}, again.gaps)
      assert.equal(2, again.cached)
      assert.equal(4, #again.points)
      assert.equal(0, assert(c:daily_consumption("2026-11-21", "2026-11-25")).requests)
    end)

    it("turns a 404 sub-range into a gap that a call an hour later fills", function()
      server:script { {}, {}, { error = "no_data_404" } }
      local c = client()
      local r = assert(c:consumption_load_curve("2026-11-08", "2026-11-27"))
      assert.equal(3, r.requests)
      assert.same({ { start = "2026-11-22", ["end"] = "2026-11-27", reason = "missing" } }, r.gaps)
      assert.equal(14 * 48, #r.points)
      server:reset()
      now = NOW + 3600
      local again = assert(c:consumption_load_curve("2026-11-08", "2026-11-27"))
      assert.same({ "2026-11-22..2026-11-27" }, dates_of(server:api_requests()))
      assert.same({}, again.gaps)
      assert.equal(19 * 48, #again.points)
    end)

    it("fails with not_found only when every sub-range answers 404", function()
      server:script { { error = "no_data_404" }, { error = "no_data_404" }, { error = "no_data_404" } }
      local r, err = client():consumption_load_curve("2026-05-01", "2026-05-20")
      assert.is_nil(r)
      assert.equal("not_found", err.kind)
      assert.equal(3, requests())
    end)
  end)

  describe("update", function()
    it("fetches the last 7 days, then, a day later, the new day and the BRUT days again until BEST", function()
      local c = client()
      local r = assert(c:update("daily_consumption"))
      assert.same({ "2026-11-21..2026-11-28" }, dates_of(server:api_requests()))
      assert.equal(7, #r.points)
      assert.equal(7, r.days_new)
      assert.equal("BRUT", r.quality)

      server:reset()
      r = assert(c:update("daily_consumption")) -- right after: nothing to ask
      assert.equal(0, r.requests)
      assert.same({}, server:api_requests())
      assert.equal(core.to_epoch("2026-11-29 00:00:00"), r.retry_at)

      now = NOW + DAY
      local best = {}
      for d = 22, 28 do best[#best + 1] = { ("2026-11-%02d"):format(d), tostring(d * 1000) } end
      server:script { { status = 200, body = daily_body("BEST", best) } }
      r = assert(c:update("daily_consumption"))
      assert.same({ "2026-11-22..2026-11-29" }, dates_of(server:api_requests()))
      assert.equal("BEST", r.quality)
      assert.equal(1, r.days_new)
      assert.equal(6, r.days_corrected)
      local stored = assert(c:daily_consumption("2026-11-22", "2026-11-29"))
      assert.equal(0, stored.requests)
      assert.equal("BEST", stored.quality)
      assert.equal(22000, stored.points[1].value)

      server:reset()
      r = assert(c:update("daily_consumption"))
      assert.equal(0, r.requests)
      assert.same({}, server:api_requests())
      now = NOW + 3 * DAY
      r = assert(c:update("consommation_quotidienne"))
      assert.same({ "2026-11-29..2026-12-01" }, dates_of(server:api_requests()))
      assert.equal(2, r.days_new)
    end)

    it("never lets a BRUT reading replace a BEST one", function()
      local store = require "linky.store"
      local db = assert(require("linky.db").open(path))
      finally(function() db:close() end)
      local day = core.day_number("2026-11-21")
      local function put(quality, value)
        assert(store.put(db, emu.PRM1, "daily_consumption", quality, NOW, { [day] = "complete" },
          { { day = day, time = core.to_epoch("2026-11-21"), date = "2026-11-21", value = value } }))
        local points = store.load(db, emu.PRM1, "daily_consumption", { [day] = "BEST" }, day, day + 1)
        return points[1].value
      end
      assert.equal(1, put("BRUT", 1))
      assert.equal(2, put("BEST", 2))
      assert.equal(2, put("BRUT", 3))
      assert.equal(4, put("BEST", 4))
      assert.same({ { quality = "BEST" } }, db:rows("SELECT quality FROM days"))
    end)

    it("starts at since when nothing is stored: the last 7 days first, then the older ones, newest first", function()
      assert(client():update("consumption_load_curve", { since = "2026-11-10" }))
      assert.same({ "2026-11-21..2026-11-28", "2026-11-14..2026-11-21", "2026-11-10..2026-11-14" },
        dates_of(server:api_requests()))
    end)

    it("needs the store", function()
      for _, opts in ipairs { { cache = false }, { state = false } } do
        local r, err = client(opts):update("daily_consumption")
        assert.is_nil(r)
        assert.equal("invalid_argument", err.kind)
      end
      local _, err = client():update("daily_consumption", { since = "yesterday" })
      assert.equal("invalid_argument", err.kind)
      assert.equal(0, requests())
    end)
  end)

  describe("state file", function()
    local function unavailable(file)
      local before = read(file)
      local c = client { state = file }
      local r, err = c:daily_consumption("2026-04-01", "2026-04-02")
      assert.is_nil(r)
      assert.equal("state_unavailable", err.kind)
      local _, berr = c:budget()
      assert.equal("state_unavailable", berr.kind)
      assert.equal(0, requests())
      assert.equal(before, read(file))
    end

    it("refuses a file that is not a database and leaves it byte-identical", function()
      local file = dir .. "/notes.txt"
      write(file, ("not a database, but someone's notes\n"):rep(200))
      unavailable(file)
    end)

    it("refuses another application's SQLite database", function()
      local file = dir .. "/other.sqlite3"
      local db = assert(core.open_sqlite(file))
      assert(db:exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)"))
      db:close()
      unavailable(file)
    end)

    it("refuses an unwritable state file and leaves it byte-identical", function()
      assert(client():daily_consumption("2026-04-01", "2026-04-02"))
      collectgarbage()
      -- root writes through 0444: the immutable flag stops it, where the file system has one
      os.execute("chmod 0444 " .. quote(path) .. "; chattr +i " .. quote(path) .. " 2>/dev/null")
      finally(function() os.execute("chattr -i " .. quote(path) .. " 2>/dev/null") end)
      local probe = io.open(path, "r+")
      if probe then probe:close() end
      if not tools.need(not probe, "cannot make a file unwritable here (root, and no chattr +i on this file system)", pending) then
        return
      end
      server:reset()
      unavailable(path)
    end)

    it("refuses a path that cannot be opened", function()
      write(dir .. "/plain", "a file where a folder should be")
      local r, err = client { state = dir .. "/plain/state.sqlite3" }:daily_consumption("2026-04-01", "2026-04-02")
      assert.is_nil(r)
      assert.equal("state_unavailable", err.kind)
      assert.equal(0, requests())
    end)

    it("creates the default path under XDG_STATE_HOME", function()
      local code = "local c = assert(require('linky').new { token = os.getenv('LINKY_TOKEN') })"
        .. " assert(c:budget())"
      assert(os.execute(("XDG_STATE_HOME=%s LINKY_TOKEN=%s LUA_PATH=%s LUA_CPATH=%s %s -e %s"):format(
        quote(dir .. "/xdg"), quote(emu.TOKEN1), quote(package.path), quote(package.cpath), LUA, quote(code))))
      local db = assert(core.open_sqlite(dir .. "/xdg/linky/state.sqlite3"))
      finally(function() db:close() end)
      assert.same({ { n = 0 } }, db:rows("SELECT count(*) AS n FROM requests"))
    end)

    it("records its schema version and application id, as docs/ban-safety.md gives them", function()
      assert(client():daily_consumption("2026-04-01", "2026-04-02"))
      local db = assert(core.open_sqlite(path))
      finally(function() db:close() end)
      assert.same({ { user_version = 7 } }, db:rows("PRAGMA user_version"))
      assert.same({ { application_id = 0x4C4E4B59 } }, db:rows("PRAGMA application_id"))
    end)
  end)

  describe("options", function()
    it("validates state, budget, retry, random and cache", function()
      local function refused(opts)
        local o = { token = emu.TOKEN1 }
        for k, v in pairs(opts) do o[k] = v end
        local c, err = linky.new(o)
        assert.is_nil(c)
        assert.equal("invalid_argument", err.kind)
      end
      refused { state = "" }
      refused { budget = { requests = 0 } }
      refused { budget = { requests = 1.5 } }
      refused { budget = { window = -1 } }
      refused { budget = { request = 3 } }
      refused { retry = { attempts = -1 } }
      refused { retry = { cap = 0 } }
      assert.has_error(function() linky.new { token = emu.TOKEN1, state = true } end,
        "bad option 'state' (string or false expected, got true)")
      assert.has_error(function() linky.new { token = emu.TOKEN1, budget = 40 } end,
        "bad option 'budget' (table or false expected, got number)")
      assert.has_error(function() linky.new { token = emu.TOKEN1, random = 4 } end)
      assert.has_error(function() linky.new { token = emu.TOKEN1, cache = "no" } end)
      assert.is_table(linky.new { token = emu.TOKEN1, state = false, budget = false, retry = false, cache = false })
    end)
  end)
end)

describe("linky.core state", function()
  local dir, cleanup
  before_each(function() dir, cleanup = tempdir() end)
  after_each(function() cleanup() end)

  it("binds values, returns rows and reports SQLite errors as values", function()
    local db = assert(core.open_sqlite(dir .. "/s.sqlite3"))
    finally(function() db:close() end)
    assert(db:exec("CREATE TABLE t (a, b, c)"))
    assert.equal(2, db:run_many("INSERT INTO t VALUES (?1, ?2, ?3)", { "x" }, { { a = 1, b = 2.5 }, { a = true } },
      { "a", "b" }))
    assert.same({ { a = "x", b = 1, c = 2.5 }, { a = "x", b = 1 } }, db:rows("SELECT * FROM t ORDER BY rowid"))
    assert.same({ { n = 1 } }, db:rows("SELECT count(*) AS n FROM t WHERE c IS ?", nil))
    local r, kind, msg, code = db:rows("SELECT * FROM missing")
    assert.is_nil(r)
    assert.equal("state_unavailable", kind)
    assert.matches("no such table", msg)
    assert.is_number(code)
    assert.is_nil((db:exec("NOT SQL")))
    assert.has_error(function() db:rows("SELECT ?", {}) end, "cannot store a table in the state")
  end)

  it("busy_timeout returns the timeout it replaces, open_sqlite's first (10000 ms unless given)", function()
    local db = assert(core.open_sqlite(":memory:"))
    assert.equal(10000, db:busy_timeout(0))
    assert.equal(0, db:busy_timeout(250))
    assert.equal(250, db:busy_timeout(250))
    db:close()
    db = assert(core.open_sqlite(":memory:", 40))
    assert.equal(40, db:busy_timeout(0))
    db:close()
  end)

  it("closes twice, raises after close and is collected without close", function()
    local db = assert(core.open_sqlite(":memory:"))
    assert.matches("^linky.SQLite: 0x", tostring(db))
    db:close()
    db:close()
    assert.equal("linky.SQLite: closed", tostring(db))
    assert.has_error(function() db:rows("SELECT 1") end, "attempt to use a closed linky.SQLite")
    local weak = setmetatable({ assert(core.open_sqlite(":memory:")) }, { __mode = "v" })
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak[1])
  end)
end)

describe("linky.core state", function()
  describe("compiled statements", function()
    it("runs more distinct statements than it keeps compiled, each with its own values", function()
      local db = assert(core.open_sqlite(":memory:"))
      assert(db:exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))
      for round = 1, 3 do
        for i = 1, 40 do
          assert(db:rows(("INSERT OR REPLACE INTO t (k, v) VALUES (?, ?) -- %d"):format(i), i, "r" .. round))
        end
      end
      assert.same({ { n = 40, v = "r3" } }, db:rows("SELECT count(*) AS n, min(v) AS v FROM t"))
      db:close()
    end)

    it("reuses a statement after it failed, and never with the values of a previous run", function()
      local db = assert(core.open_sqlite(":memory:"))
      assert(db:exec("CREATE TABLE t (k INTEGER PRIMARY KEY)"))
      assert(db:rows("INSERT INTO t (k) VALUES (?)", 1))
      local ok, _, msg = db:rows("INSERT INTO t (k) VALUES (?)", 1)
      assert.is_nil(ok)
      assert.matches("UNIQUE", msg)
      assert(db:rows("INSERT INTO t (k) VALUES (?)", 2))
      assert.same({ { v = 5 } }, db:rows("SELECT ? AS v", 5))
      assert.same({ {} }, db:rows("SELECT ? AS v")) -- NULL, not 5
      assert.same({ { n = 2 } }, db:rows("SELECT count(*) AS n FROM t"))
      db:close()
    end)

    it("begins, rolls back and commits again through the same statements", function()
      local db = assert(core.open_sqlite(":memory:"))
      assert(db:exec("CREATE TABLE t (k INTEGER)"))
      for _, last in ipairs { "ROLLBACK", "COMMIT", "ROLLBACK", "COMMIT" } do
        assert(db:exec("BEGIN IMMEDIATE"))
        local ok, _, msg = db:exec("BEGIN IMMEDIATE")
        assert.is_nil(ok)
        assert.matches("within a transaction", msg)
        assert(db:rows("INSERT INTO t (k) VALUES (?)", 1))
        assert(db:exec(last))
      end
      assert.same({ { n = 2 } }, db:rows("SELECT count(*) AS n FROM t"))
      db:close()
    end)
  end)
end)
