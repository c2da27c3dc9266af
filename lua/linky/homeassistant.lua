--- The `mqtt://` and `mqtts://` targets of `linky publish`: Home Assistant's MQTT discovery.
-- One device per PRM (energy of the last complete day, 7 days, 30 days, month to date, a
-- cumulative total, the last daily max power, the last day's cost) and one `linky` device (the
-- request budget, the ban, the cool-down, the token's expiry), each sensor a retained discovery
-- config and a retained JSON state, QoS 1, through `linky.mqtt` (the linky-mqtt rock).
--
-- Payloads are the same bytes while nothing changed (keys in a fixed order, no publication
-- time), so publishing again changes nothing a subscriber sees. What a target was given is
-- remembered in the state file (`mqtt_topics`), so that a sensor or PRM that no longer applies
-- has its retained topics cleared; the cumulative sensors count from a first day fixed at the
-- first publish to that broker (`mqtt_baselines`), so that a backfill never makes them jump.
-- Nothing is remembered unless the whole publish succeeded: the next one catches up.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.homeassistant
local analysis = require "linky.analysis"
local core = require "linky.core"
local cost = require "linky.cost"
local dates = require "linky.dates"
local db_ = require "linky.db"
local dkjson = require "dkjson"
local errors = require "linky.errors"
local kinds = require "linky.kinds"
local ledger = require "linky.ledger"
local options = require "linky.options"
local store = require "linky.store"

local M = {}

M._VERSION = require "linky.version"

--- The schemes this module publishes to, and their default ports.
M.SCHEMES = { mqtt = 1883, mqtts = 8883 }
--- Seconds after which Home Assistant shows a sensor unavailable when no publish refreshed it.
M.EXPIRE_AFTER = 172800
--- Connect and total deadlines, in seconds.
M.CONNECT_TIMEOUT, M.TIMEOUT = 10, 30
--- What to install when `linky.mqtt` is missing.
M.INSTALL = "the linky-mqtt rock (luarocks install linky-mqtt; Debian's libmosquitto-dev first), or"
  .. " `make` with libmosquitto-dev installed"

local function invalid(message)
  return nil, errors.new("invalid_argument", message)
end

--- Parses a target `mqtt://[user@]host[:port][/state-prefix]` or `mqtts://...`.
-- A password (`user:pass@`), a query or a fragment is refused: the password comes from
-- `LINKY_MQTT_PASSWORD` or the config key `mqtt_password`, never from a URL (argv and logs).
-- @tparam string url
-- @treturn table|nil `{ scheme =, tls =, user =, host =, port =, prefix =, key = }`; `key`
-- names the target in the state file and in messages (no credentials)
-- @treturn table an `invalid_argument` error (its message never repeats a password)
function M.parse(url)
  if type(url) ~= "string" then return invalid("an MQTT target must be a string") end
  local scheme, rest = url:match("^(mqtts?)://(.*)$")
  if not scheme then return invalid("an MQTT target starts with mqtt:// or mqtts://") end
  if rest:find("[?#]") then return invalid(scheme .. " target: no query or fragment is allowed") end
  if rest:find("[%s%c]") then return invalid(scheme .. " target: no spaces or control characters") end
  local authority, path = rest:match("^([^/]*)(.*)$")
  local user, hostport = authority:match("^(.*)@([^@]*)$")
  if user and user:find(":") then
    return invalid(scheme .. " target: no password in the URL (set LINKY_MQTT_PASSWORD or mqtt_password)")
  end
  hostport = hostport or authority
  if user == "" then return invalid(scheme .. " target: an empty user name") end
  local host, port = hostport:match("^%[([%x:%.]+)%]:?(%d*)$")
  if not host then host, port = hostport:match("^([%w%.%-_]+):?(%d*)$") end
  if not host or host == "" then return invalid(scheme .. " target: a host name is expected") end
  port = port ~= "" and tonumber(port) or M.SCHEMES[scheme]
  if port < 1 or port > 65535 then return invalid(scheme .. " target: the port is 1 to 65535") end
  local prefix = path:gsub("^/", ""):gsub("/$", "")
  if prefix == "" then prefix = "linky" end
  if prefix:find("[+#]") or prefix:find("//", 1, true) or #prefix > 200 then
    return invalid(scheme .. " target: the state prefix is topic levels without + or #")
  end
  local shown = host:find(":") and ("[" .. host .. "]") or host
  return { scheme = scheme, tls = scheme == "mqtts", user = user, host = host, port = port, prefix = prefix,
           key = ("%s://%s%s:%d/%s"):format(scheme, user and (user .. "@") or "", shown, port, prefix) }
end

-- ISO 8601 with the Paris offset of an epoch: "2026-03-01T00:00:00+01:00".
local function iso(t)
  if t == nil then return nil end
  t = math.floor(t)
  local off = core.paris_offset(t)
  local wall = t + off
  local day = math.floor(wall / 86400)
  local s = wall % 86400
  return ("%sT%02d:%02d:%02d%s%02d:%02d"):format(dates.format(day), math.floor(s / 3600),
    math.floor(s % 3600 / 60), s % 60, off < 0 and "-" or "+", math.floor(math.abs(off) / 3600),
    math.floor(math.abs(off) % 3600 / 60))
end
M.iso = iso

local function midnight(day)
  return core.to_epoch(dates.format(day) .. " 00:00:00")
end

-- The complete days of (prm, kind) from `first` on: day -> true.
local function complete_days(db, prm, kind, first)
  local rows, _, msg = db:rows("SELECT day FROM days WHERE prm = ? AND kind = ? AND status = 'complete'" ..
    " AND day >= ?", prm, kind, first)
  if not rows then return db_.failed(db, msg) end
  local out = {}
  for _, r in ipairs(rows) do out[r.day] = true end
  return out
end

-- Watt-seconds per complete day of an energy kind (daily or load curve) from `first` on.
local function energy_by_day(db, prm, kind, first, last)
  local covered, err = complete_days(db, prm, kind, first)
  if not covered then return nil, err end
  if next(covered) == nil then return {} end
  local points
  points, err = store.load(db, prm, kind, covered, first, last + 1)
  if not points then return nil, err end
  local spec = kinds[kind]
  local ws
  ws, err = analysis.watt_seconds({ kind = kind, unit = spec.unit, points = points })
  if not ws then return nil, err end
  local out = {}
  for i, p in ipairs(points) do
    local day = dates.point_day(p.time, spec.load_curve)
    if covered[day] and ws[i] then out[day] = (out[day] or 0) + ws[i] end
  end
  return out
end

-- The days of one direction: day -> watt-seconds, the daily kind's complete day when stored,
-- else the load curve's complete day. Nil when neither kind is stored.
local function direction_days(db, prm, daily, curve, today)
  local from_daily, err = energy_by_day(db, prm, daily, 0, today)
  if not from_daily then return nil, err end
  local from_curve
  from_curve, err = energy_by_day(db, prm, curve, 0, today)
  if not from_curve then return nil, err end
  for day, ws in pairs(from_curve) do
    if from_daily[day] == nil then from_daily[day] = ws end
  end
  return from_daily
end

local DIRECTIONS = {
  { name = "consumption", label = "Consumption", daily = "daily_consumption",
    curve = "consumption_load_curve" },
  { name = "production", label = "Production", daily = "daily_production",
    curve = "production_load_curve" },
}

-- The energy of the days [first, last] that `days` holds: Wh (rounded once) and how many.
local function period(days, first, last)
  local ws, n = 0, 0
  for day = first, last do
    if days[day] then ws, n = ws + days[day], n + 1 end
  end
  return analysis.wh(ws), n
end

-- The sensors of a device: a list of { id =, name =, component =, fields = {...}, state = {...} }.
local ENERGY = { device_class = "energy", unit_of_measurement = "Wh", state_class = "total" }

local function energy_sensors(out, dir, days, last, baseline)
  local periods = {
    { "last_day", "last day", last },
    { "last_7_days", "last 7 days", last - 6 },
    { "last_30_days", "last 30 days", last - 29 },
    { "month_to_date", "month to date", dates.month_start(last) },
  }
  for _, p in ipairs(periods) do
    local wh, n = period(days, p[3], last)
    out[#out + 1] = { id = dir.name .. "_" .. p[1], name = dir.label .. " " .. p[2], fields = ENERGY,
      reset = true, attributes = true,
      state = { value = wh, last_reset = iso(midnight(p[3])), date = dates.format(last), complete_days = n } }
  end
  local first = baseline or last
  local wh, n = period(days, first, last)
  out[#out + 1] = { id = dir.name .. "_total", name = dir.label .. " total", fields = ENERGY,
    attributes = true,
    state = { value = wh, date = dates.format(last), complete_days = n, since = dates.format(first) },
    baseline = first }
end

-- The newest complete day of a kind and its value (VA for max power), or nil.
local function last_value(db, prm, kind)
  local day, err = store.newest_complete(db, prm, kind)
  if err then return nil, err end
  if not day then return false end
  local points
  points, err = store.load(db, prm, kind, { [day] = true }, day, day + 1)
  if not points then return nil, err end
  local agg = analysis.aggregate({ kind = kind, unit = kinds[kind].unit, points = points }, "day")
  local v = agg and agg[1] and agg[1].value
  if v == nil then return false end
  return day, v
end

-- The last complete consumption day priced with `tariff`: { value = "1.23", ... } or nil.
local function day_cost(db, prm, day, tariff, colours)
  for _, kind in ipairs { "consumption_load_curve", "daily_consumption" } do
    local covered = complete_days(db, prm, kind, day)
    if covered and covered[day] then
      local points = store.load(db, prm, kind, covered, day, day + 1)
      if points then
        local priced = cost.price({ kind = kind, unit = kinds[kind].unit, points = points,
          start = dates.format(day), ["end"] = dates.format(day + 1) }, tariff, { colours = colours })
        if priced then
          return tonumber(cost.format_money(cost.total(priced)))
        end
      end
    end
  end
  return nil
end

-- The stored baselines of a target: prm .. "/" .. direction -> first day.
local function baselines(db, key)
  local rows, _, msg = db:rows("SELECT prm, direction, first_day FROM mqtt_baselines WHERE target = ?", key)
  if not rows then return db_.failed(db, msg) end
  local out = {}
  for _, r in ipairs(rows) do out[r.prm .. "/" .. r.direction] = r.first_day end
  return out
end

-- The PRMs the store holds (time classes aside), sorted.
local function stored_prms(db)
  local rows, _, msg = db:rows("SELECT DISTINCT prm FROM days WHERE kind NOT LIKE '%/%' ORDER BY prm")
  if not rows then return db_.failed(db, msg) end
  local out = {}
  for i, r in ipairs(rows) do out[i] = r.prm end
  return out
end

-- The sensors of one PRM, and the baselines they start from.
local function prm_sensors(db, prm, today, base, tariff, colours)
  local out = {}
  for _, dir in ipairs(DIRECTIONS) do
    local days, err = direction_days(db, prm, dir.daily, dir.curve, today)
    if not days then return nil, err end
    local last
    for day in pairs(days) do if not last or day > last then last = day end end
    if last then energy_sensors(out, dir, days, last, base[prm .. "/" .. dir.name]) end
    if last and dir.name == "consumption" and tariff then
      local eur = day_cost(db, prm, last, tariff, colours)
      if eur then
        out[#out + 1] = { id = "cost_last_day", name = "Cost last day", reset = true, attributes = true,
          fields = { device_class = "monetary", unit_of_measurement = "EUR", state_class = "total" },
          state = { value = eur, last_reset = iso(midnight(last)), date = dates.format(last),
                    complete_days = 1 } }
      end
    end
  end
  local day, va = last_value(db, prm, "consumption_max_power")
  if day == nil then return nil, va end
  if day then
    out[#out + 1] = { id = "max_power_last_day", name = "Max power last day", attributes = true,
      fields = { device_class = "apparent_power", unit_of_measurement = "VA", state_class = "measurement" },
      state = { value = va, date = dates.format(day), complete_days = 1 } }
  end
  return out
end

-- The sensors of the `linky` device, from the budget report.
local function linky_sensors(report, token_expires)
  return {
    { id = "requests_used", name = "Requests used", attributes = false,
      fields = { state_class = "measurement", unit_of_measurement = "requests" },
      state = { value = report.used, limit = report.limit or dkjson.null, window = report.window } },
    { id = "banned", name = "Banned", component = "binary_sensor",
      fields = { device_class = "problem", payload_on = "ON", payload_off = "OFF" },
      state = { value = report.banned_since and "ON" or "OFF" } },
    { id = "cooldown_until", name = "Cool-down until", fields = { device_class = "timestamp" },
      state = { value = iso(report.cooldown_until) or dkjson.null } },
    { id = "token_expiry", name = "Token expiry", fields = { device_class = "timestamp" },
      state = { value = iso(token_expires) or dkjson.null } },
  }
end

local CONFIG_KEYS = { "name", "unique_id", "object_id", "state_topic", "value_template",
  "json_attributes_topic", "json_attributes_template", "last_reset_value_template", "device_class",
  "unit_of_measurement", "state_class",
  "payload_on", "payload_off", "availability_topic", "payload_available", "payload_not_available",
  "expire_after", "device", "identifiers", "manufacturer", "model", "sw_version" }
local STATE_KEYS = { "value", "last_reset", "date", "complete_days", "since", "limit", "window" }

local function encode(t, order)
  return dkjson.encode(t, { keyorder = order })
end

-- The retained messages of one device's sensors: appended to `msgs` as { topic, payload, owner }.
local function device_messages(msgs, sensors, ctx, device, owner, state_base, id_base)
  for _, s in ipairs(sensors) do
    local id = id_base .. s.id
    local component = s.component or "sensor"
    local state_topic = state_base .. s.id
    local cfg = { name = s.name, unique_id = id, object_id = id, state_topic = state_topic,
      value_template = "{{ value_json.value }}", availability_topic = ctx.status_topic,
      payload_available = "online", payload_not_available = "offline", expire_after = M.EXPIRE_AFTER,
      device = device }
    for k, v in pairs(s.fields) do cfg[k] = v end
    if s.reset then cfg.last_reset_value_template = "{{ value_json.last_reset }}" end
    if s.attributes then
      cfg.json_attributes_topic = state_topic
      cfg.json_attributes_template = s.state.since
        and "{{ {'date': value_json.date, 'complete_days': value_json.complete_days,"
          .. " 'since': value_json.since} | tojson }}"
        or "{{ {'date': value_json.date, 'complete_days': value_json.complete_days} | tojson }}"
    end
    msgs[#msgs + 1] = { topic = ("%s/%s/%s/config"):format(ctx.discovery, component, id),
                        payload = encode(cfg, CONFIG_KEYS), owner = owner }
    msgs[#msgs + 1] = { topic = state_topic, payload = encode(s.state, STATE_KEYS), owner = owner }
  end
end

--- The retained messages of a publish, in order (pure: reads the store, sends nothing).
-- @param db the state database
-- @tparam table t the parsed target (`parse`)
-- @tparam table ctx `discovery` (prefix), `now`, `prms` (nil: every stored PRM), `budget`
-- (the ledger's report), `token_expires`, `tariff`, `colours`, `version`
-- @treturn table|nil `{ messages = { { topic =, payload =, owner = }, ... }, baselines = { {prm,
-- direction, first_day}, ... }, prms = { ... } }`
-- @treturn table a `state_unavailable` error
function M.messages(db, t, ctx)
  local base, err = baselines(db, t.key)
  if not base then return nil, err end
  local prms = ctx.prms
  if not prms then
    prms, err = stored_prms(db)
    if not prms then return nil, err end
  end
  ctx.status_topic = t.prefix .. "/status"
  local today = dates.paris_day(ctx.now)
  local msgs, fixed = {}, {}
  for _, prm in ipairs(prms) do
    local sensors
    sensors, err = prm_sensors(db, prm, today, base, ctx.tariff, ctx.colours)
    if not sensors then return nil, err end
    for _, s in ipairs(sensors) do
      if s.baseline and not base[prm .. "/" .. s.id:match("^(%a+)")] then
        fixed[#fixed + 1] = { prm, s.id:match("^(%a+)"), s.baseline }
      end
    end
    local device = { identifiers = { "linky_" .. prm }, name = "Linky " .. prm, manufacturer = "Enedis",
                     model = "Linky", sw_version = ctx.version }
    device_messages(msgs, sensors, ctx, device, prm, ("%s/%s/"):format(t.prefix, prm), "linky_" .. prm .. "_")
  end
  local device = { identifiers = { "linky" }, name = "linky", manufacturer = "linky",
                   model = "Conso API client", sw_version = ctx.version }
  device_messages(msgs, linky_sensors(ctx.budget, ctx.token_expires), ctx, device, "", t.prefix .. "/budget/",
    "linky_")
  return { messages = msgs, baselines = fixed, prms = prms }
end

-- The retained topics a target was given, with their owner (a PRM, or "" for `linky`).
local function remembered(db, key)
  local rows, _, msg = db:rows("SELECT topic, owner FROM mqtt_topics WHERE target = ?", key)
  if not rows then return db_.failed(db, msg) end
  return rows
end

-- Remembers, once everything was published, what the target now holds.
local function remember(db, key, plan, cleared)
  local function run(sql, ...)
    local ok, _, msg = db:rows(sql, ...)
    if not ok then error({ sqlite = msg }) end
  end
  return db_.transaction(db, function()
    -- a failed statement ends the loops at once: its message is the transaction's failure
    local done, why = pcall(function()
      for _, b in ipairs(plan.baselines) do
        run("INSERT OR IGNORE INTO mqtt_baselines (target, prm, direction, first_day) VALUES (?, ?, ?, ?)",
          key, b[1], b[2], b[3])
      end
      for _, topic in ipairs(cleared) do
        run("DELETE FROM mqtt_topics WHERE target = ? AND topic = ?", key, topic)
      end
      for _, m in ipairs(plan.messages) do
        run("INSERT OR IGNORE INTO mqtt_topics (target, topic, owner) VALUES (?, ?, ?)", key, m.topic,
          m.owner)
      end
    end)
    if done then return true end
    if type(why) == "table" and why.sqlite then return nil, why.sqlite end
    error(why, 0)
  end)
end

local function load_mqtt(opts)
  if opts.mqtt then return opts.mqtt end
  local ok, mod = pcall(require, "linky.mqtt")
  if ok then return mod end
  return nil, errors.new("invalid_argument",
    "publishing to MQTT needs the linky.mqtt module: install " .. M.INSTALL)
end

--- Publishes the store to Home Assistant through an MQTT broker (the `mqtt://` and `mqtts://`
-- targets of `linky publish`). Connects (10 s), publishes `online` to `<state-prefix>/status`
-- (also the last will, `offline`), every discovery config and state (retained, QoS 1, each
-- acknowledged), clears the retained topics of sensors that no longer apply (of the PRMs in
-- scope, and of PRMs no longer stored), and disconnects cleanly: all within 30 s. Only then is
-- the state file written (baselines, topics given).
-- @tparam string target `mqtt://[user@]host[:port][/state-prefix]` or `mqtts://...`
-- @tparam table view `db` (the open state database), `now` (epoch; default the clock), `prms`
-- (the PRMs to publish; default every stored one), `budget` (the ledger's report; default read
-- from `db` with the default budget), `token_expires` (epoch, or nil when unknown)
-- @tparam[opt] table opts `config` (the config file's values: `mqtt_password`,
-- `mqtt_discovery_prefix`, `mqtt_cafile`), `getenv` (default `os.getenv`: `LINKY_MQTT_PASSWORD`),
-- `tariff` (a tariff table: the cost sensor), `colours` (for a Tempo tariff), `connect_timeout`,
-- `timeout`
-- @treturn table|nil `{ target =, published =, cleared = }`
-- @treturn table an error: `invalid_argument` (the URL, no linky.mqtt), `network`, `timeout`,
-- `tls`, `unauthorized`, `state_unavailable`; its message names the target without credentials
function M.publish(target, view, opts)
  opts = opts or {}
  local t, err = M.parse(target)
  if not t then return nil, err end
  local mqtt
  mqtt, err = load_mqtt(opts)
  if not mqtt then return nil, err end
  local config, getenv = opts.config or {}, opts.getenv or os.getenv
  local password = getenv("LINKY_MQTT_PASSWORD")
  if password == nil or password == "" then password = config.mqtt_password end
  local discovery = config.mqtt_discovery_prefix or "homeassistant"
  if discovery == "" or discovery:find("[+#%s%c]") then
    return invalid("mqtt_discovery_prefix: topic levels without +, # or spaces")
  end
  local db = view.db
  local now = view.now or core.now()
  local budget = view.budget
  if not budget then
    budget, err = ledger.report(db, now, options.defaults.budget, options.defaults.budget.window,
      ledger.witness())
    if not budget then return nil, err end
  end
  local plan
  plan, err = M.messages(db, t, { discovery = discovery, now = now, prms = view.prms, budget = budget,
    token_expires = view.token_expires, tariff = opts.tariff, colours = opts.colours,
    version = require("linky")._VERSION })
  if not plan then return nil, err end
  local before
  before, err = remembered(db, t.key)
  if not before then return nil, err end
  -- what no longer applies: of a PRM in scope, of the linky device, or of a PRM no longer stored
  local now_given, in_scope, stored = {}, { [""] = true }, {}
  for _, m in ipairs(plan.messages) do now_given[m.topic] = true end
  for _, p in ipairs(plan.prms) do in_scope[p] = true end
  local all_stored = stored_prms(db) or {}
  for _, p in ipairs(all_stored) do stored[p] = true end
  local stale = {}
  for _, r in ipairs(before) do
    if not now_given[r.topic] and (in_scope[r.owner] or not stored[r.owner]) then
      stale[#stale + 1] = r.topic
    end
  end
  table.sort(stale)

  local function failed(kind, message)
    return nil, errors.new(kind, ("%s: %s"):format(t.key, tostring(message)), { target = t.key })
  end
  local client, kind, message = mqtt.new { host = t.host, port = t.port, username = t.user,
    password = password,
    cafile = t.tls and (config.mqtt_cafile or "/etc/ssl/certs/ca-certificates.crt") or nil,
    will = { topic = t.prefix .. "/status", payload = "offline", qos = 1, retain = true },
    connect_timeout = opts.connect_timeout or M.CONNECT_TIMEOUT, timeout = opts.timeout or M.TIMEOUT }
  if not client then return failed(kind, message) end
  local ok
  ok, kind, message = client:connect()
  if ok then ok, kind, message = client:publish(t.prefix .. "/status", "online", 1, true) end
  for _, m in ipairs(plan.messages) do
    if not ok then break end
    ok, kind, message = client:publish(m.topic, m.payload, 1, true)
  end
  for _, topic in ipairs(stale) do
    if not ok then break end
    ok, kind, message = client:publish(topic, "", 1, true)
  end
  if ok then ok, kind, message = client:disconnect() end
  client:close()
  if not ok then return failed(kind, message) end
  ok, err = remember(db, t.key, plan, stale)
  if not ok then return nil, err end
  return { target = t.key, published = #plan.messages + 1, cleared = #stale }
end

return M
