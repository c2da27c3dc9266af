-- The mqtt:// and mqtts:// targets (linky.homeassistant) and the linky.mqtt module: target
-- URLs, the module's lifecycle, and Home Assistant's discovery checked on a real mosquitto
-- (#once) by a real subscriber, mosquitto_sub, against rules written here from Home Assistant's
-- documentation (MQTT sensor, binary sensor, sensor device classes), not from the code.
local core = require "linky.core"
local db_ = require "linky.db"
local store = require "linky.store"
local ha = require "linky.homeassistant"
local servers = require "spec.support.servers"
local tools = require "spec.support.tools"
local cjson = require "cjson"

local has_mqtt, mqtt = pcall(require, "linky.mqtt")
local PRM, OTHER = "11111111111111", "22222222222222"
local TODAY = core.day_number("2026-11-28")
local function midnight(d) return core.to_epoch(core.date_of_day(d) .. " 00:00:00") end
local NOW = midnight(TODAY) + 11 * 3600

-- A state file in a temporary folder, filled by hand: its readings are the spec's to know.
local function state()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. dir))
  local db = assert(db_.open(dir .. "/state.sqlite3"))
  return db, function() db:close() os.execute("rm -rf " .. dir) end
end

-- Complete days of a daily kind from `first`, one value each.
local function put_daily(db, prm, kind, first, values)
  local statuses, keep = {}, {}
  for i, v in ipairs(values) do
    local d = first + i - 1
    statuses[d] = "complete"
    keep[#keep + 1] = { day = d, time = midnight(d), date = core.date_of_day(d), value = v }
  end
  assert(store.put(db, prm, kind, "BRUT", 0, statuses, keep))
end

-- A complete load-curve day: 48 half-hours of `watts`.
local function put_curve_day(db, prm, kind, d, watts)
  local keep = {}
  for i = 1, 48 do keep[i] = { day = d, time = midnight(d) + 1800 * i, date = "x", value = watts, step = 1800 } end
  assert(store.put(db, prm, kind, "BRUT", 0, { [d] = "complete" }, keep))
end

-- Consumption: 40 daily days up to the day before yesterday (10001, 10002, ... Wh), then
-- yesterday from the load curve alone (48 x 1001 W x 1800 s = 24024 Wh); production: 3 days;
-- max power: 2 days.
local CONS = {}
for i = 1, 40 do CONS[i] = 10000 + i end
local function fill(db, prm)
  put_daily(db, prm, "daily_consumption", TODAY - 41, CONS)
  put_curve_day(db, prm, "consumption_load_curve", TODAY - 1, 1001)
  put_daily(db, prm, "daily_production", TODAY - 10, { 5000, 5001, 5002 })
  put_daily(db, prm, "consumption_max_power", TODAY - 5, { 6000, 6100 })
end

describe("linky.homeassistant", function()
  describe("parse", function()
    it("reads mqtt:// and mqtts:// targets with their default ports and state prefix", function()
      local t = assert(ha.parse("mqtt://broker.lan"))
      assert.same({ "mqtt", false, nil, "broker.lan", 1883, "linky" }, { t.scheme, t.tls, t.user, t.host, t.port, t.prefix })
      t = assert(ha.parse("mqtts://ha@10.0.0.2:8884/home/linky"))
      assert.same({ "mqtts", true, "ha", "10.0.0.2", 8884, "home/linky" }, { t.scheme, t.tls, t.user, t.host, t.port, t.prefix })
      assert.equal("mqtts://ha@10.0.0.2:8884/home/linky", t.key)
      assert.equal(8883, assert(ha.parse("mqtts://[::1]")).port)
    end)

    it("refuses a password, a query or a fragment in the URL, never repeating the password", function()
      for _, url in ipairs { "mqtt://u:hunter2@host", "mqtt://host?x=1", "mqtt://host/p#f", "mqtt://host:0",
                             "mqtt://host:99999", "http://host", "mqtt://", "mqtt://host/a/+/b" } do
        local t, err = ha.parse(url)
        assert.is_nil(t, url)
        assert.equal("invalid_argument", err.kind, url)
        assert.is_nil(tostring(err):find("hunter2", 1, true))
      end
    end)
  end)

  describe("publish", function()
    it("names the package to install when linky.mqtt is missing", function()
      local saved, path = package.loaded["linky.mqtt"], package.cpath
      package.loaded["linky.mqtt"], package.cpath = nil, ""
      local preload = package.preload["linky.mqtt"]
      package.preload["linky.mqtt"] = nil
      local ok, err = ha.publish("mqtt://127.0.0.1:1", { db = false }, {})
      package.loaded["linky.mqtt"], package.cpath, package.preload["linky.mqtt"] = saved, path, preload
      assert.is_nil(ok)
      assert.equal("invalid_argument", err.kind)
      assert.truthy(err.message:find("linky-mqtt", 1, true), err.message)
    end)
  end)

  describe("messages", function()
    it("gives a PRM with consumption and production its 11 sensors and the linky device its 4", function()
      local db, done = state()
      finally(done)
      fill(db, PRM)
      local plan = assert(ha.messages(db, assert(ha.parse("mqtt://h")), {
        discovery = "homeassistant", now = NOW, budget = { used = 3, limit = 40, window = 43200 }, version = "x" }))
      local configs = {}
      for _, m in ipairs(plan.messages) do
        local id = m.topic:match("^homeassistant/[%w_]+/([%w_]+)/config$")
        if id then configs[#configs + 1] = id end
      end
      table.sort(configs)
      local p = "linky_" .. PRM .. "_"
      local expected = { "linky_banned", "linky_cooldown_until", "linky_requests_used", "linky_token_expiry",
        p .. "consumption_last_30_days", p .. "consumption_last_7_days", p .. "consumption_last_day",
        p .. "consumption_month_to_date", p .. "consumption_total", p .. "max_power_last_day",
        p .. "production_last_30_days", p .. "production_last_7_days", p .. "production_last_day",
        p .. "production_month_to_date", p .. "production_total" }
      table.sort(expected)
      assert.same(expected, configs)
    end)
  end)
end)

describe("linky.mqtt", function()
  local function need() return tools.need(has_mqtt, "linky.mqtt is not built (libmosquitto-dev missing)", pending) end

  it("has a lifecycle: close twice, use after close, __tostring without the password, collected", function()
    if not need() then return end
    local before = mqtt.open_clients()
    local c = assert(mqtt.new { host = "127.0.0.1", port = 1, username = "u", password = "hunter2" })
    assert.equal(before + 1, mqtt.open_clients())
    assert.truthy(tostring(c):find("127.0.0.1:1", 1, true))
    assert.is_nil(tostring(c):find("hunter2", 1, true))
    c:close()
    c:close()
    assert.equal("linky.mqtt.Client: closed", tostring(c))
    assert.has_error(function() c:connect() end, "attempt to use a closed linky.mqtt.Client")
    assert.equal(before, mqtt.open_clients())
    mqtt.new { host = "127.0.0.1", port = 1 }
    collectgarbage()
    collectgarbage()
    assert.equal(before, mqtt.open_clients())
    if _VERSION == "Lua 5.4" then
      assert(load([[local mqtt = ...
        do local c <close> = mqtt.new { host = "127.0.0.1", port = 1 } end]]))(mqtt)
      assert.equal(before, mqtt.open_clients())
    end
  end)

  it("fails as nil, kind, message: a refused connection is network, a missing CA file tls", function()
    if not need() then return end
    local c = assert(mqtt.new { host = "127.0.0.1", port = 1 })
    local ok, kind = c:connect()
    c:close()
    assert.same({ nil, "network" }, { ok, kind })
    local none, why = mqtt.new { host = "127.0.0.1", port = 1, cafile = "/nonexistent/ca.crt" }
    assert.same({ nil, "tls" }, { none, why })
    assert.has_error(function() mqtt.new { host = "127.0.0.1", port = 70000 } end)
  end)
end)

-- Home Assistant's documentation, as rules on a discovery payload: a sensor's device class
-- fixes its units and state classes (energy: Wh/kWh/MWh and total or total_increasing; monetary:
-- a currency and total; apparent_power: VA and measurement; timestamp: no unit, no state class),
-- a binary sensor has payload_on and payload_off, last_reset only with state_class total.
local HA_RULES = {
  energy = { units = { Wh = true, kWh = true, MWh = true }, state_classes = { total = true, total_increasing = true } },
  monetary = { units = { EUR = true }, state_classes = { total = true } },
  apparent_power = { units = { VA = true }, state_classes = { measurement = true } },
  timestamp = { units = {}, state_classes = {} },
}
-- What each entity is, written from the issue (not from the code): component, device class,
-- unit, state class, and whether it resets (last_reset_value_template).
local EXPECTED = {
  consumption_last_day = { "sensor", "energy", "Wh", "total", true },
  consumption_last_7_days = { "sensor", "energy", "Wh", "total", true },
  consumption_last_30_days = { "sensor", "energy", "Wh", "total", true },
  consumption_month_to_date = { "sensor", "energy", "Wh", "total", true },
  consumption_total = { "sensor", "energy", "Wh", "total", false },
  production_last_day = { "sensor", "energy", "Wh", "total", true },
  production_last_7_days = { "sensor", "energy", "Wh", "total", true },
  production_last_30_days = { "sensor", "energy", "Wh", "total", true },
  production_month_to_date = { "sensor", "energy", "Wh", "total", true },
  production_total = { "sensor", "energy", "Wh", "total", false },
  max_power_last_day = { "sensor", "apparent_power", "VA", "measurement", false },
  cost_last_day = { "sensor", "monetary", "EUR", "total", true },
  requests_used = { "sensor", nil, "requests", "measurement", false },
  banned = { "binary_sensor", "problem", nil, nil, false },
  cooldown_until = { "sensor", "timestamp", nil, nil, false },
  token_expiry = { "sensor", "timestamp", nil, nil, false },
}

-- A tariff of one class: 0.25 EUR/kWh, no subscription.
local TARIFF = { periods = { { from = "2020-01-01", subscription = 0, prices = { base = 0.25 } } },
                 classes = { { name = "base" } } }

describe("Home Assistant over a real mosquitto #once", function()
  local broker
  local found = servers.which(servers.MOSQUITTO) and servers.which("mosquitto_sub")
  setup(function()
    if found and has_mqtt then broker = assert(servers.mosquitto()) end
  end)
  teardown(function() if broker then broker:stop() end end)

  local function ready()
    return tools.need(found and has_mqtt, "mosquitto, mosquitto-clients and linky.mqtt (libmosquitto-dev)",
      pending)
  end

  -- Every retained message under `pattern`, read by mosquitto_sub: topic -> payload.
  local function retained(pattern)
    local p = io.popen(("mosquitto_sub -h 127.0.0.1 -p %d -u %s -P '%s' -v -t '%s' --retained-only -W 2 2>/dev/null")
      :format(broker.port, broker.user, broker.password:gsub("'", "'\\''"), pattern))
    local out = {}
    for line in p:lines() do
      local topic, payload = line:match("^(%S+) (.*)$")
      if topic then out[topic] = payload end
    end
    p:close()
    return out
  end

  local function getenv(name)
    if name == "LINKY_MQTT_PASSWORD" then return broker.password end
  end
  local function target(prefix) return ("mqtt://%s@127.0.0.1:%d/%s"):format(broker.user, broker.port, prefix) end

  it("is a target of linky publish and update --publish: the password from the config or LINKY_MQTT_PASSWORD",
    function()
    if not ready() then return end
    local cli_runner = require "spec.support.cli_runner"
    local emu = require "spec.support.emulator_spec_helper"
    local server = emu.start()
    local runner = cli_runner.new()
    finally(function() server:stop() runner:remove() end)
    local function linky(env, ...)
      return runner:run({ "--base-url", server.url, "--token-file", runner.token_file, ... }, { env = env })
    end
    local url = target("cli")
    -- the password in the environment: the update stores, then publishes
    local r = linky({ LINKY_MQTT_PASSWORD = broker.password }, "update", "daily", "--publish", url)
    assert.equal(0, r.code, r.err)
    assert.truthy(r.out:find("topics published", 1, true), r.out)
    assert.falsy((r.out .. r.err):find(broker.password, 1, true))
    local sent = #server:api_requests()
    local first = retained("homeassistant/#")
    assert.truthy(first["homeassistant/sensor/linky_" .. emu.PRM1 .. "_consumption_last_day/config"])
    -- the password in the config file, and publish alone: the same retained messages, no request
    os.execute("mkdir -p " .. emu.quote(runner.dir .. "/config/linky"))
    runner:write("config/linky/config", "mqtt_password = " .. broker.password .. "\n")
    r = linky({ LINKY_MQTT_PASSWORD = false }, "publish", url)
    assert.equal(0, r.code, r.err)
    assert.same(first, retained("homeassistant/#"))
    assert.equal(sent, #server:api_requests())
    -- a wrong password: exit 3, the target named without it
    r = linky({ LINKY_MQTT_PASSWORD = "wrong" }, "publish", url)
    assert.equal(3, r.code, r.err)
    assert.falsy(r.err:find("wrong", 1, true))
  end)

  it("gives Home Assistant every discovery payload its documentation asks for, and the stored values", function()
    if not ready() then return end
    local db, done = state()
    finally(done)
    fill(db, PRM)
    local r, err = ha.publish(target("t1"), { db = db, now = NOW, token_expires = NOW + 86400 },
      { getenv = getenv, tariff = TARIFF, config = { mqtt_discovery_prefix = "ha1" } })
    assert.is_nil(err)
    assert.equal(0, r.cleared)
    local configs = retained("ha1/#")
    local seen = {}
    for topic, payload in pairs(configs) do
      local component, object_id = topic:match("^ha1/([%w_]+)/([%w_]+)/config$")
      assert.truthy(component, topic)
      local c = cjson.decode(payload)
      local sensor = object_id:match("^linky_" .. PRM .. "_(.+)$") or object_id:match("^linky_(.+)$")
      local e = EXPECTED[sensor]
      assert.truthy(e, "unexpected entity " .. object_id)
      seen[sensor] = true
      assert.equal(e[1], component, object_id)
      assert.equal(object_id, c.unique_id)
      assert.equal(e[2], c.device_class, object_id)
      assert.equal(e[3], c.unit_of_measurement, object_id)
      assert.equal(e[4], c.state_class, object_id)
      assert.equal(e[5], c.last_reset_value_template ~= nil, object_id)
      local rule = HA_RULES[c.device_class]
      if rule then
        assert.truthy(c.unit_of_measurement == nil and next(rule.units) == nil or rule.units[c.unit_of_measurement], object_id)
        assert.truthy(c.state_class == nil and next(rule.state_classes) == nil or rule.state_classes[c.state_class], object_id)
      end
      if c.last_reset_value_template then assert.equal("total", c.state_class) end
      if component == "binary_sensor" then assert.same({ "ON", "OFF" }, { c.payload_on, c.payload_off }) end
      assert.equal(172800, c.expire_after)
      assert.same({ "t1/status", "online", "offline" }, { c.availability_topic, c.payload_available, c.payload_not_available })
      assert.is_string(c.name)
      assert.is_string(c.value_template)
      local per_prm = object_id:find(PRM, 1, true) ~= nil
      assert.equal(per_prm and ("t1/" .. PRM .. "/") or "t1/budget/", c.state_topic:sub(1, per_prm and 18 or 10))
      assert.same(per_prm and { "linky_" .. PRM } or { "linky" }, c.device.identifiers)
      assert.equal(per_prm and ("Linky " .. PRM) or "linky", c.device.name)
      assert.equal(require("linky")._VERSION, c.device.sw_version)
      if per_prm then assert.same({ "Enedis", "Linky" }, { c.device.manufacturer, c.device.model }) end
    end
    for sensor in pairs(EXPECTED) do assert.truthy(seen[sensor], "missing entity " .. sensor) end

    -- the retained states, against the readings stored above (computed here by hand)
    local states = retained("t1/#")
    assert.equal("online", states["t1/status"])
    local function state_of(sensor) return cjson.decode(states["t1/" .. PRM .. "/" .. sensor]) end
    local last = state_of("consumption_last_day")
    assert.same({ 24024, "2026-11-27", 1, "2026-11-27T00:00:00+01:00" },
      { last.value, last.date, last.complete_days, last.last_reset })
    local week = state_of("consumption_last_7_days")
    -- the curve day and the 6 daily days before it: 10035 .. 10040
    assert.same({ 24024 + 10035 + 10036 + 10037 + 10038 + 10039 + 10040, 7, "2026-11-21T00:00:00+01:00" },
      { week.value, week.complete_days, week.last_reset })
    local month = state_of("consumption_month_to_date")
    local sum = 24024
    for i = 15, 40 do sum = sum + CONS[i] end -- 2026-11-01 is day TODAY - 27, CONS[15]
    assert.same({ sum, 27, "2026-11-01T00:00:00+01:00" }, { month.value, month.complete_days, month.last_reset })
    assert.same({ 5002, "2026-11-20" }, { state_of("production_last_day").value, state_of("production_last_day").date })
    assert.equal(15003, state_of("production_last_30_days").value)
    assert.equal(6100, state_of("max_power_last_day").value)
    assert.equal(6.01, state_of("cost_last_day").value) -- 24.024 kWh at 0.25
    assert.same({ 24024, "2026-11-27" }, { state_of("consumption_total").value, state_of("consumption_total").since })
    assert.equal("OFF", cjson.decode(states["t1/budget/banned"]).value)
    assert.equal(cjson.null, cjson.decode(states["t1/budget/cooldown_until"]).value)
    assert.equal("2026-11-29T11:00:00+01:00", cjson.decode(states["t1/budget/token_expiry"]).value)
  end)

  it("changes nothing a subscriber sees when published again with nothing new; a new day moves the total", function()
    if not ready() then return end
    local db, done = state()
    finally(done)
    fill(db, PRM)
    local opts = { getenv = getenv, config = { mqtt_discovery_prefix = "ha2" } }
    assert(ha.publish(target("t2"), { db = db, now = NOW }, opts))
    local first, first_states = retained("ha2/#"), retained("t2/#")
    assert(ha.publish(target("t2"), { db = db, now = NOW }, opts))
    assert.same(first, retained("ha2/#"))
    assert.same(first_states, retained("t2/#"))
    -- a backfill of older days leaves the total alone; a new day adds to it
    put_daily(db, PRM, "daily_consumption", TODAY - 60, { 1, 2, 3 })
    put_daily(db, PRM, "daily_consumption", TODAY, { 30000 })
    assert(ha.publish(target("t2"), { db = db, now = NOW + 86400 }, opts))
    local total = cjson.decode(retained("t2/#")["t2/" .. PRM .. "/consumption_total"])
    assert.same({ 24024 + 30000, "2026-11-27", 2 }, { total.value, total.since, total.complete_days })
  end)

  it("clears the config topic of a sensor or PRM that no longer applies", function()
    if not ready() then return end
    local db, done = state()
    finally(done)
    fill(db, PRM)
    put_daily(db, OTHER, "daily_consumption", TODAY - 3, { 7, 8 })
    local opts = { getenv = getenv, tariff = TARIFF, config = { mqtt_discovery_prefix = "ha3" } }
    assert(ha.publish(target("t3"), { db = db, now = NOW }, opts))
    local cost_topic = "ha3/sensor/linky_" .. PRM .. "_cost_last_day/config"
    local other_topic = "ha3/sensor/linky_" .. OTHER .. "_consumption_last_day/config"
    local before = retained("ha3/#")
    assert.truthy(before[cost_topic])
    assert.truthy(before[other_topic])
    assert(db:exec("DELETE FROM days WHERE prm = '" .. OTHER .. "'; DELETE FROM readings WHERE prm = '" .. OTHER .. "'"))
    opts.tariff = nil
    local r = assert(ha.publish(target("t3"), { db = db, now = NOW }, opts))
    -- config and state of PRM's cost, and of OTHER's 6 sensors (its 5 of energy, its cost)
    assert.equal(14, r.cleared)
    local after = retained("ha3/#")
    assert.is_nil(after[cost_topic])
    assert.is_nil(after[other_topic])
    assert.truthy(after["ha3/sensor/linky_" .. PRM .. "_consumption_last_day/config"])
  end)

  it("publishes over TLS with the throwaway CA, and refuses a broker the CA did not sign", function()
    if not ready() then return end
    local db, done = state()
    finally(done)
    fill(db, PRM)
    local url = ("mqtts://%s@127.0.0.1:%d/t4"):format(broker.user, broker.tls_port)
    local ok, err = ha.publish(url, { db = db, now = NOW }, { getenv = getenv, config = { mqtt_cafile = broker.cafile } })
    assert.is_nil(err)
    assert.truthy(ok)
    ok, err = ha.publish(url, { db = db, now = NOW }, { getenv = getenv,
      config = { mqtt_cafile = "/etc/ssl/certs/ca-certificates.crt" } })
    assert.is_nil(ok)
    assert.equal("tls", err.kind)
  end)

  it("fails as unauthorized with a wrong password, from the environment before the config", function()
    if not ready() then return end
    local db, done = state()
    finally(done)
    fill(db, PRM)
    local ok, err = ha.publish(target("t5"), { db = db, now = NOW },
      { getenv = function() return "wrong" end, config = { mqtt_password = broker.password } })
    assert.is_nil(ok)
    assert.equal("unauthorized", err.kind)
    assert.is_nil(err.message:find("wrong", 1, true))
    ok, err = ha.publish(target("t5"), { db = db, now = NOW },
      { getenv = function() return nil end, config = { mqtt_password = broker.password } })
    assert.is_nil(err)
    assert.truthy(ok)
  end)

  it("leaves online retained at a clean end, and the last will offline when a run dies", function()
    if not ready() then return end
    local function client()
      local c = assert(mqtt.new { host = "127.0.0.1", port = broker.port, username = broker.user,
        password = broker.password, will = { topic = "t7/status", payload = "offline", retain = true } })
      assert(c:connect())
      assert(c:publish("t7/status", "online", 1, true))
      return c
    end
    local c = client()
    assert(c:disconnect())
    c:close()
    assert.equal("online", retained("t7/status")["t7/status"])
    client():close() -- no DISCONNECT: the broker sends the will
    local deadline = core.now() + 5
    while retained("t7/status")["t7/status"] ~= "offline" and core.now() < deadline do core.sleep(0.1) end
    assert.equal("offline", retained("t7/status")["t7/status"])
  end)

  it("fails as network when the broker stops mid-run, and the next publish catches up with nothing lost", function()
    if not ready() then return end
    local db, done = state()
    finally(done)
    fill(db, PRM)
    -- the real module, its client stopping the broker after the 5th message
    local sent = 0
    local stopping = setmetatable({ new = function(o)
      local c, kind, message = mqtt.new(o)
      if not c then return nil, kind, message end
      return setmetatable({}, { __index = function(_, name)
        return function(_, ...)
          if name == "publish" then
            sent = sent + 1
            if sent == 6 then broker:halt() end
          end
          return c[name](c, ...)
        end
      end })
    end }, { __index = mqtt })
    local opts = { getenv = getenv, mqtt = stopping, config = { mqtt_discovery_prefix = "ha6" } }
    local ok, err = ha.publish(target("t6"), { db = db, now = NOW }, opts)
    assert.is_nil(ok)
    assert.equal("network", err.kind)
    assert.same({ { n = 0 } }, db:rows("SELECT count(*) AS n FROM mqtt_topics"))
    assert.same({ { n = 0 } }, db:rows("SELECT count(*) AS n FROM mqtt_baselines"))
    assert(broker:start())
    opts.mqtt = nil
    assert(ha.publish(target("t6"), { db = db, now = NOW }, opts))
    local states = retained("t6/#")
    assert.equal("online", states["t6/status"])
    assert.equal(24024, cjson.decode(states["t6/" .. PRM .. "/consumption_last_day"]).value)
    local n = 0
    for _ in pairs(retained("ha6/#")) do n = n + 1 end
    assert.equal(15, n)
  end)
end)
