-- InfluxDB writers (linky.influx): targets parsed and checked; batches, secrets, failures and
-- the request discipline against the emulator, whose log shows what arrived; then the real
-- servers users run (#once): influxd 1.6.7 (Debian's influxdb) and VictoriaMetrics (Debian's
-- victoria-metrics, for the 2.x write API), the values read back per Paris day.
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"
local influx = require "linky.influx"
local output = require "linky.cli.output"
local servers = require "spec.support.servers"
local tools = require "spec.support.tools"

local PRM = "11111111111111"
-- Secrets no other spec uses: found in a text only if it leaked.
local PASSWORD = "influx-pw-sentinel-5b1e77c0"
local TOKEN = "influx-token-sentinel-9d2f4a61"

local function leaks(x)
  local seen = {}
  local function walk(v)
    if type(v) == "string" then return (v:find(PASSWORD, 1, true) or v:find(TOKEN, 1, true)) ~= nil end
    if type(v) == "table" and not seen[v] then
      seen[v] = true
      for k, w in pairs(v) do
        if walk(k) or walk(w) then return true end
      end
    end
    return false
  end
  return (walk(x) or walk(tostring(x))) and true or false
end

-- An environment of `vars` for `getenv`.
local function env(vars)
  return function(name) return vars[name] end
end

-- A daily result of `n` days from `first`, the i-th day's value `value(i)`.
local function daily(first, n, value)
  local points, day0 = {}, core.day_number(first)
  for i = 1, n do
    local date = core.date_of_day(day0 + i - 1)
    points[i] = { date = date, time = core.to_epoch(date), value = value(i) }
  end
  return { prm = PRM, kind = "daily_consumption", unit = "Wh", points = points }
end

-- The half-hours of the Paris days from `first` (`n` days), dated at their ends as Enedis does;
-- the i-th half-hour's value `value(i)`.
local function curve(first, n, value)
  local points, t, stop = {}, core.to_epoch(first), core.to_epoch(core.date_of_day(core.day_number(first) + n))
  while t < stop do
    t = t + 1800
    points[#points + 1] = { time = t, value = value(#points + 1), step = 1800 }
  end
  return { prm = PRM, kind = "consumption_load_curve", unit = "W", points = points }
end

-- An iterator of `n` lines, one second apart.
local function lines(n)
  local i = 0
  return function()
    i = i + 1
    if i <= n then return ("linky,kind=daily_consumption,prm=%s value=%di %d"):format(PRM, i, 1700000000 + i) end
  end
end

local function body_lines(body)
  local n = 0
  for _ in body:gmatch("[^\n]+\n") do n = n + 1 end
  return n
end

describe("linky.influx", function()
  describe("parse", function()
    it("reads the four schemes, the default port 8086, the user, the database, the organisation and the bucket", function()
      local t = assert(influx.parse("influxdb://127.0.0.1/linky"))
      assert.same({ 1, false, "127.0.0.1", 8086, "linky" }, { t.version, t.tls, t.host, t.port, t.db })
      assert.equal("/write?db=linky&precision=s", t.path)
      assert.equal("http://127.0.0.1:8086", t.base_url)
      assert.equal("influxdb://127.0.0.1:8086/linky", t.name)
      t = assert(influx.parse("INFLUXDBS://Grafana@DB.Example.org:8443/energy%20db/"))
      assert.same({ 1, true, "db.example.org", 8443, "Grafana", "energy db" }, { t.version, t.tls, t.host, t.port, t.user, t.db })
      assert.equal("/write?db=energy%20db&precision=s", t.path)
      assert.equal("https://db.example.org:8443", t.base_url)
      assert.equal("influxdbs://Grafana@db.example.org:8443/energy%20db", t.name)
      t = assert(influx.parse("influxdb2://localhost:9999/my-org/linky"))
      assert.same({ 2, false, "my-org", "linky" }, { t.version, t.tls, t.org, t.bucket })
      assert.equal("/api/v2/write?org=my-org&bucket=linky&precision=s", t.path)
      assert.same({ "influxdb", "influxdbs", "influxdb2", "influxdb2s" }, influx.schemes)
      for _, scheme in ipairs(influx.schemes) do
        local path = scheme:find("2") and "/o/b" or "/db"
        assert.equal(scheme .. "://127.0.0.1:8086" .. path, assert(influx.parse(scheme .. "://127.0.0.1" .. path)).name)
      end
      t = assert(influx.parse("influxdb2s://[::1]/o/b"))
      assert.equal("https://[::1]:8086", t.base_url)
      assert.equal("influxdb2s://[::1]:8086/o/b", t.name)
    end)

    it("refuses a password, a query or a fragment in the URL without quoting it (invalid_argument, exit 2)", function()
      for _, url in ipairs {
        "influxdb://me:" .. PASSWORD .. "@127.0.0.1/linky",
        "influxdbs://me:" .. PASSWORD .. "@db.example.org/linky",
        "influxdb://127.0.0.1/linky?p=" .. PASSWORD,
        "influxdb://127.0.0.1/linky?u=me&p=" .. PASSWORD,
        "influxdb2://127.0.0.1/o/b#" .. PASSWORD,
        "influxdb2s://" .. TOKEN .. "@127.0.0.1/o/b",
        "influxdb2s://:" .. TOKEN .. "@127.0.0.1/o/b",
      } do
        local t, err = influx.parse(url)
        assert.is_nil(t, url)
        assert.equal("invalid_argument", err.kind)
        assert.equal(2, output.EXIT[err.kind])
        assert.is_false(leaks(err), url)
        assert.is_nil(tostring(err):find("127.0.0.1", 1, true))
      end
    end)

    it("refuses plain influxdb:// and influxdb2:// to a host that is not loopback, and wrong paths, ports and schemes", function()
      for _, url in ipairs {
        "influxdb://192.168.1.10/linky", "influxdb2://db.example.org/o/b", "influxdb://127.0.0.1/",
        "influxdb://127.0.0.1", "influxdb://127.0.0.1/a/b", "influxdb2://127.0.0.1/o", "influxdb2://127.0.0.1/o/b/c",
        "influxdb://127.0.0.1:0/linky", "influxdb://127.0.0.1:65536/linky", "influxdb://127.0.0.1:x/linky",
        "influxdb://127.0.0.1//linky", "influxdb://127.0.0.1/li nky", "influxdb://127.0.0.1/%00", "influxdb://127.0.0.1/%zz",
        "http://127.0.0.1:8086/linky", "influx://127.0.0.1/linky", "influxdb2://me@127.0.0.1/o/b", "",
      } do
        local t, err = influx.parse(url)
        assert.is_nil(t, url)
        assert.equal("invalid_argument", err.kind, url)
      end
      assert.truthy(influx.parse("influxdbs://192.168.1.10/linky"))
      assert.truthy(influx.parse("influxdb2s://db.example.org/o/b"))
      assert.has_error(function() influx.parse(nil) end)
    end)
  end)

  describe("write", function()
    local server
    setup(function() server = emu.start() end)
    teardown(function() server:stop() end)
    before_each(function() server:reset() end)

    local function v2(extra)
      return ("influxdb2://127.0.0.1:%d/my%%20org/linky%s"):format(server.port, extra or "")
    end

    it("sends POST /api/v2/write?org=&bucket=&precision=s with the token of LINKY_INFLUX_TOKEN, else the option", function()
      server:script { { status = 204, body = "" }, { status = 204, body = "" }, { status = 204, body = "" } }
      local res = daily("2026-04-01", 2, function(i) return 9000 + i end)
      local done = assert(influx.write(v2(), res, { token = "from-config", getenv = env { LINKY_INFLUX_TOKEN = TOKEN } }))
      assert.same({ target = "influxdb2://127.0.0.1:" .. server.port .. "/my%20org/linky", requests = 1, lines = 2,
        connects = 1 }, done)
      assert.truthy(influx.write(v2(), res, { token = "from-config", getenv = env {} }))
      assert.truthy(influx.write(v2(), res, { getenv = false }))
      local log = server:api_requests()
      assert.equal(3, #log)
      assert.equal("POST", log[1].method)
      assert.equal("/api/v2/write", log[1].path)
      assert.same({ org = "my org", bucket = "linky", precision = "s" }, log[1].params)
      assert.equal("Token " .. TOKEN, log[1].headers.authorization)
      assert.equal(("linky,kind=daily_consumption,prm=%s value=9001i %d\nlinky,kind=daily_consumption,prm=%s value=9002i %d\n")
        :format(PRM, core.to_epoch("2026-04-01"), PRM, core.to_epoch("2026-04-02")), log[1].body)
      assert.equal("Token from-config", log[2].headers.authorization)
      assert.is_nil(log[3].headers.authorization) -- VictoriaMetrics and an open InfluxDB 2 take none
    end)

    it("sends at most 5,000 lines a request, all over one connection; no request and no connection for no line", function()
      assert.equal(5000, influx.BATCH)
      server:script { { status = 204, body = "" }, { status = 204, body = "" }, { status = 204, body = "" } }
      local done = assert(influx.write(v2(), lines(10001), { getenv = false }))
      assert.same({ 3, 10001, 1 }, { done.requests, done.lines, done.connects })
      local log = server:api_requests()
      assert.same({ 5000, 5000, 1 }, { body_lines(log[1].body), body_lines(log[2].body), body_lines(log[3].body) })
      assert.equal(log[1].conn, log[3].conn)
      server:reset()
      done = assert(influx.write(v2(), lines(0), { getenv = false }))
      assert.same({ 0, 0, 0 }, { done.requests, done.lines, done.connects })
      done = assert(influx.write(v2(), { daily("2026-04-01", 1, function() return nil end) }, { getenv = false }))
      assert.equal(0, done.requests) -- a point without a value has no line
      assert.same({}, server:api_requests())
    end)

    it("sends no more than max_requests requests, and says so", function()
      assert.equal(200, influx.MAX_REQUESTS)
      server:script { { status = 204, body = "" }, { status = 204, body = "" }, { status = 204, body = "" } }
      local done, err = influx.write(v2(), lines(7), { getenv = false, batch = 3, max_requests = 2 })
      assert.is_nil(done)
      assert.equal("invalid_argument", err.kind)
      assert.equal(2, #server:api_requests())
      for _, bad in ipairs { { batch = 5001 }, { batch = 0 }, { max_requests = 201 }, { max_requests = 1.5 } } do
        bad.getenv = false
        local _, berr = influx.write(v2(), lines(1), bad)
        assert.equal("invalid_argument", berr.kind)
      end
      assert.equal(2, #server:api_requests())
    end)

    it("never retries: a 503 ends the call after one request (server_error, exit 6)", function()
      server:script { { status = 503, body = "busy" }, { status = 204, body = "" } }
      local done, err = influx.write(v2(), lines(3), { getenv = false, batch = 1 })
      assert.is_nil(done)
      assert.equal("server_error", err.kind)
      assert.equal(6, output.EXIT[err.kind])
      assert.same({ 0, 0 }, { err.requests, err.lines })
      assert.equal(1, #server:api_requests())
    end)

    it("takes a 401 and a 403 page as unauthorized and forbidden (exit 3), never a ban, the token in no field", function()
      server:script {
        { status = 401, body = '{"code":"unauthorized","message":"unauthorized access ' .. TOKEN .. '"}' },
        { status = 403, body = "<html><title>Forbidden</title>" .. TOKEN .. "</html>" },
      }
      for _, kind in ipairs { "unauthorized", "forbidden" } do
        local done, err = influx.write(v2(), lines(1), { token = TOKEN, getenv = false })
        assert.is_nil(done)
        assert.equal(kind, err.kind)
        assert.equal(3, output.EXIT[err.kind])
        assert.equal(v2(), err.target)
        assert.is_false(leaks(err))
      end
      assert.equal(2, #server:api_requests())
    end)

    it("cuts a server's long message and makes it one line of valid UTF-8", function()
      server:script { status = 400, body = '{"code":"invalid","message":"bad\\nline ' .. string.char(255, 255) .. ("x"):rep(5000) .. '"}' }
      local _, err = influx.write(v2(), lines(1), { getenv = false })
      assert.equal("bad_request", err.kind)
      assert.equal(7, output.EXIT[err.kind])
      local words = err.message:sub(#v2() + 3)
      assert.is_true(#words <= influx.MESSAGE_LIMIT)
      assert.truthy(words:find("^bad line %?%?xxx"))
      assert.equal(err.message, output.one_line(err.message))
    end)

    it("names the target, never a secret, in a network failure, a timeout and a TLS failure (exit 6)", function()
      local closed = assert(require("socket").bind("127.0.0.1", 0))
      local _, port = closed:getsockname()
      closed:close()
      local target = ("influxdb2://127.0.0.1:%d/o/b"):format(port)
      local _, err = influx.write(target, lines(1), { token = TOKEN, getenv = false })
      assert.equal("network", err.kind)
      assert.equal(target, err.target)
      assert.truthy(err.message:find(target, 1, true))
      assert.is_false(leaks(err))

      server:script { delay = 3, status = 204, body = "" }
      _, err = influx.write(v2(), lines(1), { token = TOKEN, getenv = false, timeout = 0.5 })
      assert.equal("timeout", err.kind)
      assert.is_false(leaks(err))

      local cert = emu.certificate()
      local secure = emu.start { tls = { cert = cert.cert, key = cert.key } }
      finally(function()
        secure:stop()
        cert.remove()
      end)
      local tls_target = ("influxdb2s://127.0.0.1:%d/o/b"):format(secure.port)
      _, err = influx.write(tls_target, lines(1), { token = TOKEN, getenv = false })
      assert.equal("tls", err.kind)
      assert.equal(6, output.EXIT[err.kind])
      assert.is_false(leaks(err))
      secure:script { status = 204, body = "" }
      assert.truthy(influx.write(tls_target, lines(1), { token = TOKEN, getenv = false, cafile = cert.ca }))
      assert.equal("Token " .. TOKEN, secure:api_requests()[1].headers.authorization)
    end)

    it("sends nothing for a line holding a line break, and refuses unknown options", function()
      local function bad() return "a 1\nb 2" end
      local _, err = influx.write(v2(), bad, { getenv = false })
      assert.equal("invalid_argument", err.kind)
      _, err = influx.write(v2(), lines(1), { pasword = "x" })
      assert.equal("invalid_argument", err.kind)
      assert.has_error(function() influx.write(v2(), "lines") end)
      assert.has_error(function() influx.write(v2(), lines(1), { token = 1 }) end)
      assert.same({}, server:api_requests())
    end)
  end)

  -- #once: a real influxd, run once per CI run (make test-once), not by make test
  describe("influxd (InfluxDB 1.x) #once", function()
    local function have() return tools.need(servers.which(servers.INFLUXD), "influxd (Debian's influxdb; .ci/deps.sh installs it)", pending) end

    local function start(opts)
      local s = assert(servers.influxd(opts))
      finally(function() s:stop() end)
      return s, ("influxdb://127.0.0.1:%d/linky"):format(s.port)
    end

    -- `SELECT ... GROUP BY time(1d[, offset]) tz('Europe/Paris')` over the days from `first`
    -- (`n`): { [Paris midnight] = { columns... } }.
    local function per_day(s, select, kind, first, n, offset)
      local from = core.to_epoch(first)
      local to = core.to_epoch(core.date_of_day(core.day_number(first) + n))
      local q = ("SELECT %s FROM linky WHERE kind = '%s' AND time >= %ds AND time < %ds GROUP BY time(1d%s) tz('Europe/Paris')")
        :format(select, kind, from + (offset or 0), to + (offset or 0), offset and (", " .. offset .. "s") or "")
      local res = assert(s:query(q, "linky"))
      local series = assert(res.results[1].series, q)[1]
      local out = {}
      for _, row in ipairs(series.values) do
        local r = {}
        for i = 2, #row do r[series.columns[i]] = row[i] end
        out[row[1] - (offset or 0)] = r
      end
      return out
    end

    local function stored_count(s)
      local res = assert(s:query("SELECT count(value) FROM linky", "linky"))
      local series = res.results[1].series
      return series and series[1].values[1][2] or 0
    end

    it("stores daily points and the DST days' half-hours, read back per Paris day with tz('Europe/Paris')", function()
      if not have() then return end
      local s, target = start()
      -- 2026-10-24 to 26 (48, 50, 48 half-hours) and 2026-03-28 to 30 (48, 46, 48)
      local value = function(i) return 100 + i % 7 end
      local results = { daily("2026-03-27", 4, function(i) return 9000 + i end), curve("2026-10-24", 3, value),
        curve("2026-03-28", 3, value), daily("2026-10-24", 3, function(i) return 8000 + i end) }
      local done = assert(influx.write(target, results, { getenv = false }))
      assert.same({ 1, 4 + 146 + 142 + 3 }, { done.requests, done.lines })
      for _, case in ipairs { { "2026-10-24", results[2] }, { "2026-03-28", results[3] } } do
        local first, res = case[1], case[2]
        -- a half-hour belongs to the day it starts in: its end, 30 minutes later, is the offset
        local days = per_day(s, "count(value), sum(value)", "consumption_load_curve", first, 3, 1800)
        local at, day0 = 0, core.day_number(first)
        for d = 0, 2 do
          local midnight = core.to_epoch(core.date_of_day(day0 + d))
          local next_midnight = core.to_epoch(core.date_of_day(day0 + d + 1))
          local count, sum = 0, 0
          for _, p in ipairs(res.points) do
            if p.time > midnight and p.time <= next_midnight then count, sum = count + 1, sum + p.value end
          end
          assert.equal((next_midnight - midnight) / 1800, count) -- 48, or 50 and 46 on the DST days
          assert.same({ count = count, sum = sum }, days[midnight], first .. " + " .. d)
          at = at + count
        end
        assert.equal(#res.points, at)
      end
      local dst = per_day(s, "count(value)", "consumption_load_curve", "2026-10-25", 1, 1800)
      assert.equal(50, dst[core.to_epoch("2026-10-25")].count)
      dst = per_day(s, "count(value)", "consumption_load_curve", "2026-03-29", 1, 1800)
      assert.equal(46, dst[core.to_epoch("2026-03-29")].count)
      local days = per_day(s, "sum(value)", "daily_consumption", "2026-03-27", 4)
      for i = 1, 4 do
        assert.equal(9000 + i, days[core.to_epoch(core.date_of_day(core.day_number("2026-03-27") + i - 1))].sum)
      end
      -- the Grafana query of docs/exports.md: the energy of a day of half-hours in Wh, sum / 2
      local wh = per_day(s, 'sum("value") / 2', "consumption_load_curve", "2026-10-25", 1, 1800)
      local energy = 0
      for i = 49, 98 do energy = energy + value(i) / 2 end -- the 25th's half-hours: 49th to 98th point
      assert.equal(energy, wh[core.to_epoch("2026-10-25")].sum)
    end)

    it("writes twice without a duplicate, and a corrected day overwrites its points", function()
      if not have() then return end
      local s, target = start()
      local res = { daily("2026-10-20", 7, function(i) return 7000 + i end), curve("2026-10-25", 1, function() return 300 end) }
      assert.truthy(influx.write(target, res, { getenv = false }))
      assert.truthy(influx.write(target, res, { getenv = false }))
      assert.equal(7 + 50, stored_count(s))
      -- Enedis corrected the 25th: new values, same series and times
      local corrected = { daily("2026-10-25", 1, function() return 6500 end), curve("2026-10-25", 1, function() return 250 end) }
      assert.truthy(influx.write(target, corrected, { getenv = false }))
      assert.equal(7 + 50, stored_count(s))
      local days = per_day(s, "count(value), sum(value)", "daily_consumption", "2026-10-20", 7)
      assert.same({ count = 1, sum = 6500 }, days[core.to_epoch("2026-10-25")])
      assert.same({ count = 1, sum = 7005 }, days[core.to_epoch("2026-10-24")])
      local curve_days = per_day(s, "count(value), sum(value)", "consumption_load_curve", "2026-10-25", 1, 1800)
      assert.same({ count = 50, sum = 50 * 250 }, curve_days[core.to_epoch("2026-10-25")])
    end)

    it("refuses a missing database (404) and a field type conflict (400) with the server's words (exit 7)", function()
      if not have() then return end
      local s, target = start()
      local missing = ("influxdb://127.0.0.1:%d/nodb"):format(s.port)
      local done, err = influx.write(missing, lines(1), { getenv = false })
      assert.is_nil(done)
      assert.same({ "http_error", 404, 7 }, { err.kind, err.status, output.EXIT[err.kind] })
      assert.equal(missing .. ': database not found: "nodb"', err.message)
      assert.is_false(err.retryable)
      assert.truthy(influx.write(target, lines(1), { getenv = false }))
      local float = coroutine.wrap(function()
        coroutine.yield(("linky,kind=daily_consumption,prm=%s value=1.5 1700000001"):format(PRM))
      end)
      done, err = influx.write(target, float, { getenv = false })
      assert.is_nil(done)
      assert.same({ "bad_request", 400, 7 }, { err.kind, err.status, output.EXIT[err.kind] })
      assert.truthy(err.message:find("field type conflict", 1, true), err.message)
      assert.equal(err.message, output.one_line(err.message))
    end)

    it("sends basic auth with LINKY_INFLUX_PASSWORD: 401 without or with a wrong one, 403 without the grant (exit 3)", function()
      if not have() then return end
      local s = start { auth = true, users = { writer = { password = PASSWORD, grant = "WRITE" },
        reader = { password = PASSWORD, grant = "READ" } } }
      local base = "influxdb://%s127.0.0.1:" .. s.port .. "/linky"
      local function write(user, opts)
        return influx.write(base:format(user and user .. "@" or ""), lines(2), opts)
      end
      local cases = {
        { nil, { getenv = false }, "unauthorized" },
        { "writer", { getenv = env { LINKY_INFLUX_PASSWORD = "wrong" }, password = PASSWORD }, "unauthorized" },
        { "reader", { getenv = env { LINKY_INFLUX_PASSWORD = PASSWORD } }, "forbidden" },
      }
      for _, c in ipairs(cases) do
        local done, err = write(c[1], c[2])
        assert.is_nil(done)
        assert.equal(c[3], err.kind)
        assert.equal(3, output.EXIT[err.kind])
        assert.is_false(leaks(err))
      end
      local _, err = write("writer", { getenv = false })
      assert.equal("invalid_argument", err.kind) -- a user and no password: nothing is sent
      assert.truthy(write("writer", { getenv = env { LINKY_INFLUX_PASSWORD = PASSWORD }, password = "wrong" }))
      assert.truthy(write("writer", { getenv = env { LINKY_INFLUX_PASSWORD = "" }, password = PASSWORD }))
      assert.equal(2, stored_count(s))
    end)

    it("fails with network when influxd stops mid-run, and writing it all again catches up without a duplicate", function()
      if not have() then return end
      local s, target = start()
      local res = curve("2026-10-01", 31, function(i) return i % 1000 end) -- a month of half-hours
      local n = #res.points
      assert.equal(31 * 48 + 2, n) -- 1,490: the 25th has 50
      local all = {}
      for line in require("linky.format.influx").influx(res):gmatch("[^\n]+") do all[#all + 1] = line end
      -- the server goes away once the first batch of 600 lines has been written
      local i = 0
      local function stopping()
        i = i + 1
        if i == 601 then s:halt() end
        return all[i]
      end
      local done, err = influx.write(target, stopping, { getenv = false, batch = 600 })
      assert.is_nil(done)
      assert.equal("network", err.kind)
      assert.equal(6, output.EXIT[err.kind])
      assert.same({ target, 1, 600 }, { err.target, err.requests, err.lines })
      assert(s:restart())
      assert.equal(600, stored_count(s))
      -- the caller's watermark did not move: the next run sends everything again
      done = assert(influx.write(target, res, { getenv = false }))
      assert.same({ 1, n }, { done.requests, done.lines })
      assert.equal(n, stored_count(s))
    end)

    it("is a target of linky publish: the new days once, nothing the second time, caught up after a failure",
      function()
      if not have() then return end
      local s, target = start()
      local cli_runner = require "spec.support.cli_runner"
      local server = emu.start()
      local runner = cli_runner.new()
      -- busted keeps one finally per spec: this one replaces start()'s, so it stops influxd too
      finally(function() server:stop() runner:remove() s:stop() end)
      local today = "2026-04-04"
      local function linky(...)
        return runner:run({ "--base-url", server.url, "--token-file", runner.token_file, ... },
          { env = { LINKY_INFLUX_PASSWORD = false, LINKY_INFLUX_TOKEN = false, LINKY_TODAY = today } })
      end
      -- a week of daily values and load curve stored (LINKY_TODAY is 2026-04-04 in the runner)
      assert.equal(0, linky("update", "daily", "loadcurve").code)
      local sent = #server:api_requests()
      local r = linky("publish", target)
      assert.equal(0, r.code, r.err)
      assert.truthy(r.out:find(" days, ", 1, true), r.out)
      local n = stored_count(s)
      local points = 0 -- what the store holds, as the command shows it
      for _, kind in ipairs { "daily", "loadcurve" } do
        local shown = linky(kind, "--last", "7d", "--offline", "--format", "jsonl")
        points = points + select(2, shown.out:gsub('"value":%d', ""))
      end
      assert.equal(points, n)
      assert.equal(sent, #server:api_requests()) -- publishing asked Conso API nothing
      r = linky("publish", target) -- nothing new: nothing sent, the same series
      assert.equal(0, r.code, r.err)
      assert.truthy(r.out:find("nothing new", 1, true), r.out)
      assert.equal(n, stored_count(s))
      -- the next morning's update stores a new day while influxd is away: exit 6, the watermark stays
      today = "2026-04-05"
      s:halt()
      r = linky("update", "daily", "loadcurve", "--publish", target)
      assert.equal(6, r.code, r.err)
      assert.truthy(r.err:find(target, 1, true), r.err)
      assert(s:restart())
      r = linky("publish", target)
      assert.equal(0, r.code, r.err)
      assert.equal(n + 1 + 48, stored_count(s)) -- caught up: the new day and its half-hours, nothing twice
    end)

    it("takes one request a day for a month of daily writes of a day and its half-hours", function()
      if not have() then return end
      local s, target = start()
      local day0 = core.day_number("2026-10-01")
      for d = 0, 30 do
        local day = core.date_of_day(day0 + d)
        assert.truthy(influx.write(target, { daily(day, 1, function() return 9000 end), curve(day, 1, function() return 375 end) },
          { getenv = false }))
      end
      local status, body = s:get("/debug/vars")
      assert.equal(200, status)
      local vars = require("cjson").decode(body)
      local httpd = vars["httpd:127.0.0.1:" .. s.port].values
      assert.equal(31, httpd.writeReq) -- 31 days, 31 requests
      assert.equal(31 + 31 * 48 + 2, httpd.pointsWrittenOK)
      assert.equal(31 + 31 * 48 + 2, stored_count(s))
    end)
  end)

  -- #once: a real VictoriaMetrics, run once per CI run
  describe("VictoriaMetrics (the InfluxDB 2.x write API) #once", function()
    it("stores daily points and the DST days' half-hours, read back with /api/v1/export", function()
      if not tools.need(servers.which(servers.VICTORIA_METRICS), "victoria-metrics (.ci/deps.sh installs it)", pending) then return end
      local v = assert(servers.victoria_metrics())
      finally(function() v:stop() end)
      local target = ("influxdb2://127.0.0.1:%d/my-org/linky"):format(v.port)
      local results = { daily("2026-10-20", 7, function(i) return 7000 + i end), curve("2026-10-25", 1, function(i) return i end),
        curve("2026-03-29", 1, function(i) return 1000 + i end) }
      local done = assert(influx.write(target, results, { token = TOKEN, getenv = false }))
      assert.same({ 1, 7 + 50 + 46 }, { done.requests, done.lines })
      local series = assert(v:export("linky_value"))
      local by_kind = {}
      for _, s in ipairs(series) do
        assert.equal(PRM, s.metric.prm)
        by_kind[s.metric.kind] = s
      end
      local d = assert(by_kind.daily_consumption)
      assert.equal(7, #d.values)
      for i = 1, 7 do
        assert.equal(7000 + i, d.values[i])
        assert.equal(core.to_epoch(core.date_of_day(core.day_number("2026-10-20") + i - 1)) * 1000, d.timestamps[i])
      end
      local c = assert(by_kind.consumption_load_curve)
      local want = {}
      for _, res in ipairs { results[3], results[2] } do
        for _, p in ipairs(res.points) do want[#want + 1] = { p.time * 1000, p.value } end
      end
      assert.equal(96, #c.values)
      for i, w in ipairs(want) do assert.same(w, { c.timestamps[i], c.values[i] }) end
      local status, metrics = v:get("/metrics")
      assert.equal(200, status)
      assert.truthy(metrics:find('vm_http_requests_total{path="/influx/write", protocol="influx"} 1', 1, true))
    end)
  end)
end)
