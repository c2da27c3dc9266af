-- Conso API emulator for the specs: a loopback HTTP(S) server that answers like conso.boris.sh
-- (both API generations, exact error bodies) and can be scripted to misbehave.
--
-- Usage: lua5.4 spec/support/emulator.lua [--host 127.0.0.1] [--port 0] [--port-file FILE]
--          [--tls-cert CERT --tls-key KEY] [--fixtures DIR] [--quiet]
--
-- Once listening it writes the port to --port-file (via a temporary name and os.rename) and
-- prints "listening on http[s]://HOST:PORT". --fixtures defaults to spec/fixtures/recorded
-- in the repository. SIGTERM (default action) or POST /_emulator/shutdown stops it.
-- One coroutine per connection on a socket.select loop, so a hung or delayed connection never
-- blocks the others; delays are loop timers. HTTP/1.1 keep-alive, Content-Length request bodies.
--
-- API: GET /api/<type>?... as conso-api.md describes (validation order, exact error bodies);
-- PRM 11111111111111 with a recorded type and exactly the recorded range gets the fixture's
-- bytes, anything else deterministic synthetic data.
--
-- Control routes (same port; every request but GET /_emulator/log is logged):
--   GET  /_emulator/log       JSON array of {n, conn, method, path, query, params, headers, time}
--   GET  /_emulator/stats     {"connections": accepted so far, "requests": /api requests so far}
--   POST /_emulator/reset     clears the log (n restarts at 1) and the script queue, not stats
--   POST /_emulator/script    body: an answer object or an array of them, queued FIFO; replies
--                             {"queued": pending in the queue, "added": added by this call}
--   POST /_emulator/shutdown  answers {"shutdown":true}, then exits
-- Each /api request takes the first queued answer whose optional "type" is absent or equals the
-- request's type (other requests get normal behaviour). An answer is one of
--   {"error": NAME}  (see CATALOGUE; "status" may override the status)
--   {"status": N, "body": "bytes", "headers": {...}}  (status 200, JSON content type by default)
--   {"body_file": PATH}  (bytes of a file, status 200 or "status"; relative paths: cwd, then root)
--   {"redirect": URL}  (302, or "status", with Location)
--   none of these: the normal answer, with the modifiers below
-- plus modifiers: "delay": s before answering; "drop": close without answering; "hang": never
-- answer, keep the socket open; "truncate": n body bytes after a full Content-Length, then close;
-- "drip": s between bytes sent; "reset": headers and half the body, then RST (SO_LINGER 0);
-- "gzip": gzip the body with Content-Encoding: gzip. A "Content-Length" or "Content-Type" in
-- "headers" replaces the computed one.
-- Required as a module it exposes the data helpers only (synthetic bodies, calendar, JSON).
local M = {}

M._VERSION = "0.1"

local socket = require "socket"
local cjson = require "cjson.safe"

local byte, concat, format = string.byte, table.concat, string.format

-- This file's directory, so the program works from any working directory.
local HERE = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local ROOT = HERE .. "/../.."
local hs256 = dofile(HERE .. "/hs256.lua")

M.DEFAULT_FIXTURES = ROOT .. "/spec/fixtures/recorded"
M.SECRET = "secret"

---------------------------------------------------------------------------------------------
-- Ordered JSON output. Key order matters: synthetic bodies must look like the recordings,
-- and lua-cjson neither keeps order nor tells an empty array from an empty object.

local OBJ, ARR = {}, {}
local NULL = setmetatable({}, { __name = "null" })
M.NULL = NULL

-- obj("k1", v1, "k2", v2, ...): an object whose keys keep this order; nil values are skipped.
local function obj(...)
  local t = setmetatable({}, OBJ)
  local n = select("#", ...)
  for i = 1, n, 2 do
    local k, v = select(i, ...)
    if v ~= nil then
      t[#t + 1] = k
      t[#t + 1] = v
    end
  end
  return t
end

local function arr(t)
  return setmetatable(t or {}, ARR)
end

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

-- Non-ASCII UTF-8 goes out raw, as Node's JSON.stringify does.
local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESC[c] or format("\\u%04x", byte(c))
  end) .. '"'
end

local function encode(v, out)
  local t = type(v)
  if t == "string" then
    out[#out + 1] = encode_string(v)
  elseif t == "number" then
    if math.type(v) == "integer" then
      out[#out + 1] = format("%d", v)
    elseif v == math.floor(v) and math.abs(v) < 2 ^ 53 then
      out[#out + 1] = format("%d", math.tointeger(v))
    else
      out[#out + 1] = format("%.14g", v)
    end
  elseif t == "boolean" then
    out[#out + 1] = tostring(v)
  elseif v == NULL or v == nil or v == cjson.null then
    out[#out + 1] = "null"
  elseif t == "table" then
    local mt = getmetatable(v)
    if mt == OBJ then
      out[#out + 1] = "{"
      for i = 1, #v, 2 do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = encode_string(v[i])
        out[#out + 1] = ":"
        encode(v[i + 1], out)
      end
      out[#out + 1] = "}"
    elseif mt == ARR or #v > 0 then
      out[#out + 1] = "["
      for i = 1, #v do
        if i > 1 then out[#out + 1] = "," end
        encode(v[i], out)
      end
      out[#out + 1] = "]"
    else
      -- plain table: an object with sorted keys (log entries, decoded params)
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = k end
      table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = encode_string(tostring(k))
        out[#out + 1] = ":"
        encode(v[k], out)
      end
      out[#out + 1] = "}"
    end
  else
    out[#out + 1] = encode_string(tostring(v))
  end
  return out
end

--- Encode a value as compact JSON; `obj`/`arr` values keep their order and kind.
-- @param v value
-- @treturn string JSON text
function M.json(v)
  return concat(encode(v, {}))
end
M.obj, M.arr = obj, arr

---------------------------------------------------------------------------------------------
-- Calendar arithmetic on day numbers (days since 1970-01-01), independent of the host's TZ.

-- Howard Hinnant's days_from_civil / civil_from_days.
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = z // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m, d
end

local function day_string(dn)
  return format("%04d-%02d-%02d", civil_from_days(dn))
end

local function weekday(dn) -- 0 = Sunday
  return (dn + 4) % 7
end

local function days_in_month(y, m)
  if m == 12 then return 31 end
  return days_from_civil(y, m + 1, 1) - days_from_civil(y, m, 1)
end

-- "YYYY-MM-DD" -> day number, or nil when the calendar date does not exist.
local function parse_day(s)
  local y, m, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not y then return nil end
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if m < 1 or m > 12 or d < 1 or d > days_in_month(y, m) then return nil end
  return days_from_civil(y, m, d)
end

local function last_sunday(y, m)
  local last = days_from_civil(y, m, days_in_month(y, m))
  return last - weekday(last)
end

-- Europe/Paris (EU rule): summer time from the last Sunday of March 01:00 UTC to the last
-- Sunday of October 01:00 UTC.
local function paris_offset(t)
  local y = civil_from_days(t // 86400)
  local from = last_sunday(y, 3) * 86400 + 3600
  local to = last_sunday(y, 10) * 86400 + 3600
  return (t >= from and t < to) and 7200 or 3600
end

-- UTC instant of local midnight starting day dn. Transitions happen at 01:00 UTC, far from
-- local midnight, so the offset an hour before the CET midnight is the right one.
local function paris_midnight(dn)
  return dn * 86400 - paris_offset(dn * 86400 - 3600)
end

-- Local wall-clock label "YYYY-MM-DD HH:MM:SS" (no offset) of a UTC instant.
local function paris_label(t)
  local lt = t + paris_offset(t)
  local s = lt % 86400
  return format("%s %02d:%02d:%02d", day_string(lt // 86400), s // 3600, s % 3600 // 60, s % 60)
end

M.days_from_civil, M.civil_from_days, M.paris_label = days_from_civil, civil_from_days, paris_label

--- End-of-interval UTC instants of the half-hours of local day dn: 48, 46 (spring) or 50.
-- @tparam integer dn day number
-- @treturn table UTC instants (seconds)
function M.half_hours(dn)
  local from, to = paris_midnight(dn), paris_midnight(dn + 1)
  local out = {}
  for t = from + 1800, to, 1800 do out[#out + 1] = t end
  return out
end

---------------------------------------------------------------------------------------------
-- Deterministic synthetic data: every number comes from a hash of (prm, kind, day, slot),
-- never from math.random, so a given request always gets the same body.

local MASK32 = 0xffffffff

local function fnv1a(s)
  local h = 0x811c9dc5
  for i = 1, #s do h = ((h ~ byte(s, i)) * 0x01000193) & MASK32 end
  return h
end

-- murmur3 finaliser: spreads nearby inputs (consecutive days) over the whole range.
local function fmix(h)
  h = h & MASK32
  h = ((h ~ (h >> 16)) * 0x85ebca6b) & MASK32
  h = ((h ~ (h >> 13)) * 0xc2b2ae35) & MASK32
  return h ~ (h >> 16)
end

-- Uniform in [0, 1) for (seed, day, slot).
local function rnd(seed, dn, k)
  return fmix(seed ~ fmix(dn * 0x9e3779b1 + (k or 0) * 0x7feb352d + 0x165667b1)) / 4294967296.0
end

local function seed_of(prm, kind)
  return fmix(fnv1a(prm .. "|" .. kind))
end

local TAU = 2 * math.pi

local function day_of_year(dn)
  local y = civil_from_days(dn)
  return dn - days_from_civil(y, 1, 1)
end

-- +1 in mid-January, -1 in mid-July.
local function winterness(dn)
  return math.cos(TAU * (day_of_year(dn) - 15) / 365.25)
end

-- +1 at the June solstice, -1 at the December one.
local function summerness(dn)
  return math.cos(TAU * (day_of_year(dn) - 172) / 365.25)
end

-- Daily consumption in Wh: 3 to ~40 kWh, more in winter and at weekends.
local function daily_consumption(prm, dn)
  local seed = seed_of(prm, "consumption")
  local scale = 0.8 + 0.45 * rnd(seed, 0, 1) -- household size, fixed per PRM
  local wd = weekday(dn)
  local weekend = (wd == 0 or wd == 6) and 1.15 or 1.0
  local wh = scale * (12500 + 8000 * winterness(dn)) * weekend * (0.8 + 0.4 * rnd(seed, dn, 2))
  return math.floor(wh + 0.5)
end

-- Daily production in Wh of a ~3 kWp roof: seasonal, weather-dependent, sometimes 0.
local function daily_production(prm, dn)
  local seed = seed_of(prm, "production")
  local scale = 0.7 + 0.6 * rnd(seed, 0, 1)
  local weather = rnd(seed, dn, 2)
  if weather < 0.04 then return 0 end -- snow on the panels, or an outage
  weather = weather < 0.15 and weather * 0.1 or weather ^ 0.6
  return math.floor(scale * (11000 + 8000 * summerness(dn)) * weather + 0.5)
end

local function bump(x, centre, width)
  local z = (x - centre) / width
  return math.exp(-z * z)
end

-- Load curves: one value per half-hour, shaped over the day and scaled so that the sum of
-- W x 0.5 h matches the daily energy (curves and daily totals agree).
local function scale_curve(shape, wh)
  local total = 0
  for i = 1, #shape do total = total + shape[i] end
  local out = {}
  for i = 1, #shape do
    out[i] = total > 0 and math.floor(2 * wh * shape[i] / total + 0.5) or 0
  end
  return out
end

local function consumption_curve(prm, dn)
  local seed = seed_of(prm, "consumption_curve")
  local winter = (1 + winterness(dn)) / 2
  local ends = M.half_hours(dn)
  local shape = {}
  for i, t in ipairs(ends) do
    local lt = t - 900 + paris_offset(t - 900) -- local clock at the middle of the step
    local h = (lt % 86400) / 3600
    local s = 0.35 + 0.9 * bump(h, 7.5, 1.0) + 0.5 * bump(h, 12.5, 1.2) + 1.4 * bump(h, 19.5, 1.6)
    if h < 6 or h >= 22.5 then s = s + 0.8 * (0.3 + 0.7 * winter) end -- off-peak water heater
    s = s * (0.5 + rnd(seed, dn, i))
    if rnd(seed, dn, 100 + i) < 0.05 then s = s + 2.5 end -- oven, kettle...
    shape[i] = s
  end
  return ends, scale_curve(shape, daily_consumption(prm, dn))
end

local function production_curve(prm, dn)
  local seed = seed_of(prm, "production_curve")
  local half_day = 6.1 + 1.9 * summerness(dn) -- hours from solar noon to sunset
  local ends = M.half_hours(dn)
  local shape = {}
  for i, t in ipairs(ends) do
    local h = ((t - 900) % 86400) / 3600 -- UTC: solar noon is near 12:00 UTC in France
    local x = (h - 12) / half_day
    shape[i] = math.abs(x) < 1 and math.cos(x * math.pi / 2) ^ 1.5 * (0.6 + 0.4 * rnd(seed, dn, i)) or 0
  end
  return ends, scale_curve(shape, daily_production(prm, dn))
end

-- Daily maximum apparent power (VA) and the instant it was reached.
local function max_power(prm, dn)
  local seed = seed_of(prm, "max_power")
  local ends, watts = consumption_curve(prm, dn)
  local best = 1
  for i = 2, #watts do
    if watts[i] > watts[best] then best = i end
  end
  local subscribed = ({ 6000, 9000, 12000 })[1 + math.floor(rnd(seed, 0, 1) * 3)]
  local va = math.floor(watts[best] * (1.2 + 0.6 * rnd(seed, dn, 1)))
  va = math.min(va, math.floor(subscribed * 1.1))
  local t = ends[best] - math.floor(rnd(seed, dn, 2) * 1800)
  return va, t, subscribed
end

-- Per-phase maxima of a three-phase meter: each phase carries part of the load, at its own time.
local function phase_max(prm, dn, phase)
  local seed = seed_of(prm, "phase" .. phase)
  local va = max_power(prm, dn)
  local from, to = paris_midnight(dn), paris_midnight(dn + 1)
  local t = from + math.floor(rnd(seed, dn, 1) * (to - from))
  return math.floor(va / 3 * (0.9 + 0.7 * rnd(seed, dn, 2))), t
end

-- Off-peak share of a day's energy, for the HC/HP index split.
local function off_peak_share(prm, dn, kind)
  return 0.3 + 0.15 * rnd(seed_of(prm, kind .. "_hc"), dn, 1)
end

local INDEX_ORIGIN = days_from_civil(2000, 1, 1) -- the zod regex forbids earlier dates

-- Meter indexes (Wh) at local midnight starting each day of [from, to): HC, HP, total.
local function meter_index(prm, kind, from, to)
  local daily = kind == "production" and daily_production or daily_consumption
  local seed = seed_of(prm, kind .. "_index")
  local hc = math.floor(rnd(seed, 0, 1) * 2e6)
  local hp = math.floor(rnd(seed, 0, 2) * 4e6)
  local out = {}
  for dn = INDEX_ORIGIN, to - 1 do
    if dn >= from then out[#out + 1] = { dn, hc, hp } end
    local wh = daily(prm, dn)
    local off = math.floor(wh * off_peak_share(prm, dn, kind) + 0.5)
    hc, hp = hc + off, hp + wh - off
  end
  return out
end

M.daily_consumption, M.daily_production = daily_consumption, daily_production
M.consumption_curve, M.production_curve = consumption_curve, production_curve

---------------------------------------------------------------------------------------------
-- API description.

local LEGACY, V2026 = "legacy", "v2026"

-- kind: "daily" | "curve" | "max" | "index"; what: "consumption" | "production".
local TYPES = {
  daily_consumption = { gen = LEGACY, kind = "daily", what = "consumption" },
  consumption_load_curve = { gen = LEGACY, kind = "curve", what = "consumption" },
  consumption_max_power = { gen = LEGACY, kind = "max", what = "consumption" },
  daily_production = { gen = LEGACY, kind = "daily", what = "production" },
  production_load_curve = { gen = LEGACY, kind = "curve", what = "production" },
  consommation_quotidienne = { gen = V2026, kind = "daily", what = "consumption" },
  courbe_de_charge_consommation = { gen = V2026, kind = "curve", what = "consumption" },
  puissance_conso_max_quotidienne = { gen = V2026, kind = "max", what = "consumption" },
  production_quotidienne = { gen = V2026, kind = "daily", what = "production" },
  courbe_de_charge_production = { gen = V2026, kind = "curve", what = "production" },
  index_consommation = { gen = V2026, kind = "index", what = "consumption" },
  index_production = { gen = V2026, kind = "index", what = "production" },
}
M.TYPES = TYPES

local TYPE_ORDER = {
  "daily_consumption", "consumption_load_curve", "consumption_max_power", "daily_production",
  "production_load_curve", "consommation_quotidienne", "courbe_de_charge_consommation",
  "puissance_conso_max_quotidienne", "production_quotidienne", "courbe_de_charge_production",
  "index_consommation", "index_production",
}

local MAX_DAYS = { curve = 7, daily = 365, max = 365, index = 365 }

local JSON_TYPE = "application/json; charset=utf-8"

-- A wrapped Enedis error, as Conso API relays it.
local function enedis(status, err)
  return status, M.json(obj("status", status, "message", "The Enedis API returned an error", "error", err))
end

local function code_desc(code, desc)
  return obj("error", code, "error_description", desc)
end

local function plain(status, message)
  return status, M.json(obj("status", status, "message", message))
end

local ZOD_EXAMPLE = arr { obj("code", "too_small", "minimum", 14, "type", "string", "inclusive", true,
  "exact", true, "message", "String must contain exactly 14 character(s)", "path", arr { "prm" }) }

local function zod(issues)
  return 400, M.json(obj("status", 400, "message", "Paramètres invalides",
    "error", obj("issues", issues, "name", "ZodError")))
end

local BAN_HTML = [[
<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<!--[if gt IE 8]><!--> <html class="no-js" lang="en-US"> <!--<![endif]-->
<head>
<title>Attention Required! | Cloudflare</title>
<meta charset="UTF-8" />
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta name="robots" content="noindex, nofollow" />
<meta name="viewport" content="width=device-width,initial-scale=1" />
</head>
<body>
  <div id="cf-wrapper">
    <div id="cf-error-details" class="cf-error-details-wrapper">
      <div class="cf-wrapper cf-header cf-error-overview">
        <h1 data-translate="block_headline">Sorry, you have been blocked</h1>
        <h2 class="cf-subheadline"><span data-translate="unable_to_access">You are unable to access</span>
          conso.boris.sh</h2>
      </div>
      <div class="cf-section cf-wrapper">
        <h2 data-translate="blocked_why_headline">Why have I been blocked?</h2>
        <p data-translate="blocked_why_detail">This website is using a security service to protect itself
          from online attacks. The action you just performed triggered the security solution.</p>
        <h2 data-translate="blocked_resolve_headline">What can I do to resolve this?</h2>
        <p data-translate="blocked_resolve_detail">You can email the site owner to let them know you were
          blocked.</p>
      </div>
      <div class="cf-error-footer cf-wrapper">
        <p><span>Cloudflare Ray ID: <strong>8f1c2a3b4d5e6f70</strong></span> &bull;
          <span>Your IP: 127.0.0.1</span> &bull; <span>Performance &amp; security by Cloudflare</span></p>
      </div>
    </div>
  </div>
</body>
</html>
]]

-- The error catalogue of conso-api.md §3: name -> function returning status, body[, content type].
local CATALOGUE = {
  zod_400 = function() return zod(ZOD_EXAMPLE) end,
  header_400 = function() return plain(400, "Le header 'Authorization' est manquant ou invalide") end,
  adam_err0002 = function()
    return enedis(400, code_desc("ADAM-ERR0002", "La date de fin doit être supérieure à la date de début."))
  end,
  adam_err0123 = function()
    return enedis(400, code_desc("ADAM-ERR0123",
      "La période demandée doit être postérieure à la date de mise en service du compteur."))
  end,
  adam_err0125 = function()
    return enedis(400, code_desc("ADAM-ERR0125",
      "La date de début de la période demandée dépasse la profondeur d'historique disponible."))
  end,
  adam_dc0007 = function()
    return enedis(400, code_desc("ADAM-DC-0007",
      "Le titulaire du consentement ne correspond pas au demandeur pour ce point."))
  end,
  legacy_invalid_request = function()
    return enedis(400, code_desc("Invalid_request", "Start date should be before end date."))
  end,
  unauthorized_401 = function()
    return plain(401, "Votre token est invalide ou ne permet pas d'accéder à ce PRM")
  end,
  consent_403 = function()
    return enedis(403, code_desc("ADAM-DC-0008",
      "No consent can be found for this customer and this usage point."))
  end,
  ban_403 = function() return 403, BAN_HTML, "text/html; charset=UTF-8" end,
  no_data_404 = function()
    return enedis(404, code_desc("no_data_found", "no measure found for this usage point"))
  end,
  method_405 = function() return plain(405, "Seule la méthode GET est autorisée") end,
  quota_429_fault = function()
    return enedis(429, obj("fault", obj("code", 900807, "message", "Message throttled out",
      "description", "You have exceeded your quota")))
  end,
  quota_429_next = function()
    return enedis(429, obj("code", "900804", "message", "Message throttled out",
      "description", "You have exceeded your quota .You can access API after 2026-Jul-17 05:00:00+0000 UTC",
      "nextAccessTime", "2026-Jul-17 05:00:00+0000 UTC"))
  end,
  token_500 = function() return plain(500, "Impossible de rafraîchir le token. Réessayez plus tard") end,
  unknown_500 = function() return plain(500, "Erreur inconnue. Réessayez plus tard") end,
  technical_500 = function()
    return enedis(500, code_desc("technical_error", "Technical error. Please try later."))
  end,
  cloudflare_502 = function()
    return 502, M.json(obj(
      "type", "https://developers.cloudflare.com/support/troubleshooting/http-status-codes/"
        .. "cloudflare-5xx-errors/error-502/",
      "title", "Error 502: Bad gateway",
      "status", 502,
      "detail", "The origin web server returned an invalid or incomplete response to Cloudflare.",
      "instance", "8f1c2a3b4d5e6f70",
      "error_code", 502,
      "error_name", "origin_bad_gateway",
      "error_category", "origin",
      "ray_id", "8f1c2a3b4d5e6f70",
      "timestamp", "2026-07-17T05:00:00Z",
      "zone", "conso.boris.sh",
      "cloudflare_error", true,
      "retryable", true,
      "owner_action_required", true))
  end,
  plain_string_400 = function() return enedis(400, "Bad Request") end,
  -- Cloudflare's ban in its JSON error format (sent to clients that accept JSON)
  ban_403_json = function()
    return 403, M.json(obj(
      "type", "https://developers.cloudflare.com/support/troubleshooting/http-status-codes/"
        .. "cloudflare-1xxx-errors/error-1006/",
      "title", "Error 1006: Access denied",
      "status", 403,
      "detail", "The owner of this website (conso.boris.sh) has banned your IP address (127.0.0.1).",
      "instance", "8f1c2a3b4d5e6f71",
      "error_code", 1006,
      "error_name", "ip_banned",
      "error_category", "access_denied",
      "ray_id", "8f1c2a3b4d5e6f71",
      "timestamp", "2026-07-17T05:00:00Z",
      "zone", "conso.boris.sh",
      "cloudflare_error", true,
      "retryable", false,
      "owner_action_required", false))
  end,
  -- an upstream HTML 502 page that Conso API wraps as a JSON string
  html_502_wrapped = function()
    return enedis(502, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
      .. "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n")
  end,
}
M.CATALOGUE = CATALOGUE

--- Names of the scripted error catalogue, sorted.
-- @treturn table names
function M.catalogue_names()
  local names = {}
  for k in pairs(CATALOGUE) do names[#names + 1] = k end
  table.sort(names)
  return names
end

---------------------------------------------------------------------------------------------
-- Success bodies.

local LEGACY_READING = {
  daily = function()
    return obj("unit", "Wh", "measurement_kind", "energy", "aggregate", "sum", "measuring_period", "P1D")
  end,
  curve = function() return obj("unit", "W", "measurement_kind", "power", "aggregate", "average") end,
  max = function()
    return obj("unit", "VA", "measurement_kind", "power", "aggregate", "maximum", "measuring_period", "P1D")
  end,
}

local function each_day(from, to, f)
  for dn = from, to - 1 do f(dn) end
end

local function legacy_body(spec, q)
  local prm, from, to = q.prm, q.from, q.to
  local readings = arr()
  each_day(from, to, function(dn)
    if spec.kind == "daily" then
      local wh = (spec.what == "consumption" and daily_consumption or daily_production)(prm, dn)
      readings[#readings + 1] = obj("value", tostring(wh), "date", day_string(dn))
    elseif spec.kind == "curve" then
      local ends, watts = (spec.what == "consumption" and consumption_curve or production_curve)(prm, dn)
      for i, t in ipairs(ends) do
        readings[#readings + 1] = obj("value", tostring(watts[i]), "date", paris_label(t),
          "interval_length", "PT30M", "measure_type", "B")
      end
    else
      local va, t = max_power(prm, dn)
      readings[#readings + 1] = obj("value", tostring(va), "date", paris_label(t))
    end
  end)
  return M.json(obj("usage_point_id", prm, "start", q.start, "end", q["end"], "quality", "BRUT",
    "reading_type", LEGACY_READING[spec.kind](), "interval_reading", readings))
end

local function grandeur(what, physical, unit, points)
  return obj("grandeurMetier", what == "production" and "PROD" or "CONS", "grandeurPhysique", physical,
    "unite", unit, "points", points, "calendrier", arr())
end

-- Max-power points, daily or one per month (the month's highest day, at its own instant).
local function max_points(days, step)
  local points = arr()
  if step == "P1M" then
    local by_month, order = {}, {}
    for _, d in ipairs(days) do
      local y, m = civil_from_days(d.dn)
      local key = y * 100 + m
      if not by_month[key] then
        by_month[key] = d
        order[#order + 1] = key
      elseif d.va > by_month[key].va then
        by_month[key] = d
      end
    end
    for _, key in ipairs(order) do
      local d = by_month[key]
      points[#points + 1] = obj("v", tostring(d.va), "d", paris_label(d.t))
    end
  else
    for _, d in ipairs(days) do points[#points + 1] = obj("v", tostring(d.va), "d", paris_label(d.t)) end
  end
  return points
end

-- Index types: no real capture exists (conso-api.md §2), so this shape is invented:
-- {idPrm, periode:{dateDebut,dateFin}, contexte:[{etapeMetier:"BRUT", contexteReleve:"COL",
--   typeReleve:"AQ", grandeur:[{grandeurMetier, grandeurPhysique:"EA", unite:"Wh",
--   calendrier:[{idCalendrier:"DI000003", libelleCalendrier, libelleGrille,
--     classeTemporelle:[{idClasseTemporelle:"HC"|"HP", libelleClasseTemporelle, codeCadran,
--       valeur:[{d:"YYYY-MM-DD", v:<integer Wh>, iv:0}]}]}],
--   cadranTotalisateur:{codeCadran:"10", valeur:[{d, v, iv}]}}]}]}
-- One value per day of [dateDebut, dateFin): the meter index at local midnight starting that
-- day; v is a JSON integer, HC + HP = total, and it never decreases.
local function index_body(spec, q)
  local rows = meter_index(q.prm, spec.what, q.from, q.to)
  local hc, hp, total = arr(), arr(), arr()
  for _, r in ipairs(rows) do
    local d = day_string(r[1])
    hc[#hc + 1] = obj("d", d, "v", r[2], "iv", 0)
    hp[#hp + 1] = obj("d", d, "v", r[3], "iv", 0)
    total[#total + 1] = obj("d", d, "v", r[2] + r[3], "iv", 0)
  end
  local g = obj("grandeurMetier", spec.what == "production" and "PROD" or "CONS", "grandeurPhysique", "EA",
    "unite", "Wh",
    "calendrier", arr { obj("idCalendrier", "DI000003",
      "libelleCalendrier", "Heures creuses / heures pleines", "libelleGrille", "Distributeur",
      "classeTemporelle", arr {
        obj("idClasseTemporelle", "HC", "libelleClasseTemporelle", "Heures Creuses",
          "codeCadran", "01", "valeur", hc),
        obj("idClasseTemporelle", "HP", "libelleClasseTemporelle", "Heures Pleines",
          "codeCadran", "02", "valeur", hp),
      }) },
    "cadranTotalisateur", obj("codeCadran", "10", "valeur", total))
  return M.json(obj("idPrm", q.prm, "periode", obj("dateDebut", q.start, "dateFin", q["end"]),
    "contexte", arr { obj("etapeMetier", "BRUT", "contexteReleve", "COL", "typeReleve", "AQ",
      "grandeur", arr { g }) }))
end

local function v2026_body(spec, q)
  if spec.kind == "index" then return index_body(spec, q) end
  local prm, from, to = q.prm, q.from, q.to
  local periode = obj("dateDebut", q.start, "dateFin", q["end"])
  if spec.kind == "daily" then
    local points = arr()
    each_day(from, to, function(dn)
      local wh = (spec.what == "consumption" and daily_consumption or daily_production)(prm, dn)
      points[#points + 1] = obj("v", tostring(wh), "d", day_string(dn))
    end)
    return M.json(obj("idPrm", prm, "etapeMetier", "BRUT", "periode", periode, "typeValeur", "GLOBALE",
      "modeCalcul", "DIFF.INDEX", "pas", "P1D", "grandeur", arr { grandeur(spec.what, "EA", "Wh", points) },
      "contexte", arr()))
  elseif spec.kind == "curve" then
    local points = arr()
    each_day(from, to, function(dn)
      local ends, watts = (spec.what == "consumption" and consumption_curve or production_curve)(prm, dn)
      for i, t in ipairs(ends) do
        points[#points + 1] = obj("v", tostring(watts[i]), "d", paris_label(t), "p", "PT30M", "n", "B",
          "iv", "0", "ec", "0")
      end
    end)
    return M.json(obj("idPrm", prm, "etapeMetier", "BRUT", "periode", periode, "modeCalcul", "MESURE",
      "grandeur", arr { grandeur(spec.what, "PA", "W", points) }, "contexte", arr()))
  end
  -- max power
  local days = {}
  each_day(from, to, function(dn)
    local va, t = max_power(prm, dn)
    days[#days + 1] = { dn = dn, va = va, t = t }
  end)
  local entries = arr { grandeur("consumption", "PMA", "VA", max_points(days, q.step)) }
  if q.physical == "TOUT" then
    -- shape unconfirmed upstream: one extra entry per phase of a three-phase meter
    for phase = 1, 3 do
      local pdays = {}
      for _, d in ipairs(days) do
        local va, t = phase_max(prm, d.dn, phase)
        pdays[#pdays + 1] = { dn = d.dn, va = va, t = t }
      end
      entries[#entries + 1] = grandeur("consumption", "PMA" .. phase, "VA", max_points(pdays, q.step))
    end
  end
  return M.json(obj("idPrm", prm, "etapeMetier", "BRUT", "periode", periode, "modeCalcul", "MESURE",
    "pas", q.step, "grandeur", entries, "contexte", arr()))
end

--- Synthetic success body for a validated query.
-- @tparam string type_name API type
-- @tparam table q {prm, start, end, step, physical}
-- @treturn string JSON body
function M.synthetic(type_name, q)
  local spec = assert(TYPES[type_name], "unknown type")
  q.from, q.to = parse_day(q.start), parse_day(q["end"])
  q.step, q.physical = q.step or "P1D", q.physical or "PMA"
  if spec.gen == LEGACY then return legacy_body(spec, q) end
  return v2026_body(spec, q)
end

---------------------------------------------------------------------------------------------
-- Requests to /api/<type>.

--- A whole file's bytes, or nil when it cannot be read.
local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local data = f:read("a")
  f:close()
  return data
end
M.read_file = read_file

local fixture_ranges = {} -- path -> {start, end} | false, read once

-- The recorded body for this exact request, or nil.
local function fixture_for(fixtures, type_name, spec, q)
  if q.prm ~= "11111111111111" or spec.kind == "index" then return nil end
  if spec.kind == "max" and spec.gen == V2026 and (q.step ~= "P1D" or q.physical ~= "PMA") then return nil end
  local path = format("%s/%s/%s.json", fixtures, spec.gen, type_name)
  local range = fixture_ranges[path]
  if range == nil then
    local doc = cjson.decode(read_file(path) or "")
    range = false
    if type(doc) == "table" then
      if type(doc.periode) == "table" then
        range = { doc.periode.dateDebut, doc.periode.dateFin }
      elseif doc.start then
        range = { doc.start, doc["end"] }
      end
    end
    fixture_ranges[path] = range
  end
  if range and range[1] == q.start and range[2] == q["end"] then return read_file(path) end
  return nil
end

local function contains(list, v)
  for _, x in ipairs(list) do
    if x == v then return true end
  end
  return false
end

-- Zod-like issues for one string parameter.
local function check_string(issues, name, value, pattern)
  if value == nil then
    issues[#issues + 1] = obj("code", "invalid_type", "expected", "string", "received", "undefined",
      "path", arr { name }, "message", "Required")
  elseif pattern == "prm" then
    local n = utf8.len(value) or #value
    if n < 14 then
      issues[#issues + 1] = obj("code", "too_small", "minimum", 14, "type", "string", "inclusive", true,
        "exact", true, "message", "String must contain exactly 14 character(s)", "path", arr { name })
    elseif n > 14 then
      issues[#issues + 1] = obj("code", "too_big", "maximum", 14, "type", "string", "inclusive", true,
        "exact", true, "message", "String must contain exactly 14 character(s)", "path", arr { name })
    end
  elseif not value:match(pattern) then
    issues[#issues + 1] = obj("validation", "regex", "code", "invalid_string", "message", "Invalid",
      "path", arr { name })
  end
end

local function check_enum(issues, name, value, options)
  if value ~= nil and not contains(options, value) then
    local quoted = {}
    for i, o in ipairs(options) do quoted[i] = "'" .. o .. "'" end
    issues[#issues + 1] = obj("received", value, "code", "invalid_enum_value", "options", arr(options),
      "path", arr { name }, "message",
      format("Invalid enum value. Expected %s, received '%s'", concat(quoted, " | "), value))
  end
end

local DATE = "^20%d%d%-%d%d%-%d%d$"

-- Upstream (Enedis) refusals, per generation.
local function upstream_error(gen, status, code2026, text)
  if gen == LEGACY then return enedis(status, code_desc("Invalid_request", text)) end
  return enedis(status, code_desc(code2026, text))
end

--- Answer a GET /api/<type> request like the real service.
-- @tparam table req {method, type, params, headers}
-- @tparam string fixtures fixtures directory
-- @tparam[opt] number now current time for token expiry (default os.time())
-- @treturn integer status
-- @treturn string body
-- @treturn[opt] string content type
function M.api(req, fixtures, now)
  if req.method ~= "GET" then return CATALOGUE.method_405() end
  local p = req.params
  local type_name = req.type
  local spec = TYPES[type_name]
  local gen = spec and spec.gen or (p.pointId and V2026 or LEGACY)
  local names = gen == V2026 and { "pointId", "dateDebut", "dateFin" } or { "prm", "start", "end" }
  -- 2026 names win over their legacy aliases
  local prm, start, stop = p.prm, p.start, p["end"]
  if gen == V2026 then
    prm, start, stop = p.pointId or prm, p.dateDebut or start, p.dateFin or stop
  end
  local issues = arr()
  if not spec then
    check_enum(issues, "type", type_name or "", TYPE_ORDER)
  end
  check_string(issues, names[1], prm, "prm")
  check_string(issues, names[2], start, DATE)
  check_string(issues, names[3], stop, DATE)
  local step, physical = "P1D", "PMA"
  if type_name == "puissance_conso_max_quotidienne" then
    check_enum(issues, "mesuresPas", p.mesuresPas, { "P1D", "P1M" })
    check_enum(issues, "grandeurPhysique", p.grandeurPhysique, { "PMA", "TOUT" })
    step, physical = p.mesuresPas or step, p.grandeurPhysique or physical
  end
  if #issues > 0 then return zod(issues) end

  local token = (req.headers.authorization or ""):match("^Bearer%s+(%S+)%s*$")
  if not token then return CATALOGUE.header_400() end
  local claims = hs256.verify(token, M.SECRET)
  if not claims or (type(claims.exp) == "number" and claims.exp < (now or os.time()))
    or type(claims.sub) ~= "table" or not contains(claims.sub, prm) then
    return CATALOGUE.unauthorized_401()
  end

  -- From here on the checks are Enedis', relayed by Conso API.
  local from, to = parse_day(start), parse_day(stop)
  if not from or not to then
    return upstream_error(gen, 400, "ADAM-ERR0001", "Le format de la date est invalide.")
  end
  if from > to then
    return upstream_error(gen, 400, "ADAM-ERR0002", "La date de fin doit être supérieure à la date de début.")
  end
  if from == to then return CATALOGUE.unknown_500() end -- observed: 500, not 400
  local limit = MAX_DAYS[spec.kind]
  if to - from > limit then
    return upstream_error(gen, 400, "ADAM-ERR0003",
      format("La période demandée est trop longue : elle ne doit pas dépasser %d jours.", limit))
  end

  local q = { prm = prm, start = start, ["end"] = stop, step = step, physical = physical }
  local recorded = fixture_for(fixtures, type_name, spec, q)
  if recorded then return 200, recorded end
  return 200, M.synthetic(type_name, q)
end

---------------------------------------------------------------------------------------------
-- gzip: the real tool when present (compressed blocks exercise a client's inflater), else a
-- stored-block stream built here. Either is a valid gzip member.

local CRC_TABLE = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do c = (c & 1 == 1) and (0xedb88320 ~ (c >> 1)) or (c >> 1) end
  CRC_TABLE[i] = c
end

local function crc32(s)
  local c = MASK32
  for i = 1, #s do c = CRC_TABLE[(c ~ byte(s, i)) & 0xff] ~ (c >> 8) end
  return c ~ MASK32
end

local function gzip_stored(s)
  local parts = { "\31\139\8\0\0\0\0\0\0\255" }
  local i = 1
  repeat
    local chunk = s:sub(i, i + 65534)
    i = i + 65535
    parts[#parts + 1] = string.pack("<BI2I2", i > #s and 1 or 0, #chunk, ~#chunk & 0xffff) .. chunk
  until i > #s
  parts[#parts + 1] = string.pack("<I4I4", crc32(s), #s & MASK32)
  return concat(parts)
end

--- gzip-encode bytes.
-- @tparam string s bytes
-- @treturn string a gzip member
function M.gzip(s)
  local tmp = os.tmpname()
  local f = io.open(tmp, "wb")
  if f then
    f:write(s)
    f:close()
    local p = io.popen("gzip -c -n < '" .. tmp .. "' 2>/dev/null", "r")
    local out = p and p:read("a")
    local ok = p and p:close()
    os.remove(tmp)
    if ok and out and #out >= 18 then return out end
  end
  return gzip_stored(s)
end

---------------------------------------------------------------------------------------------
-- Event loop: coroutines waiting on sockets (select) or on timers. Nothing here blocks.

local loop = { readers = {}, writers = {}, timers = {}, running = true }

local function wait(sock, mode)
  local set = mode == "w" and loop.writers or loop.readers
  set[sock] = coroutine.running()
  coroutine.yield()
end

local function sleep(seconds)
  local timers = loop.timers
  timers[#timers + 1] = { at = socket.gettime() + seconds, co = coroutine.running() }
  coroutine.yield()
end

local function resume(co)
  local ok, err = coroutine.resume(co)
  if not ok then io.stderr:write("emulator: ", tostring(err), "\n") end
end

-- Map a would-block error to the direction to wait for (luasec says wantread/wantwrite).
local function would_block(err, default)
  if err == "timeout" then return default end
  if err == "wantread" then return "r" end
  if err == "wantwrite" then return "w" end
  return nil
end

local function run_loop(server, on_accept)
  while loop.running do
    local recvt, sendt = { server }, {}
    for s in pairs(loop.readers) do recvt[#recvt + 1] = s end
    for s in pairs(loop.writers) do sendt[#sendt + 1] = s end
    local now = socket.gettime()
    local timeout = 1
    for _, t in ipairs(loop.timers) do timeout = math.min(timeout, t.at - now) end
    local readable, writable = socket.select(recvt, sendt, math.max(timeout, 0))
    for _, s in ipairs(readable) do
      if s == server then
        on_accept()
      else
        local co = loop.readers[s]
        if co then
          loop.readers[s] = nil
          resume(co)
        end
      end
    end
    for _, s in ipairs(writable) do
      local co = loop.writers[s]
      if co then
        loop.writers[s] = nil
        resume(co)
      end
    end
    now = socket.gettime()
    local due, later = {}, {}
    for _, t in ipairs(loop.timers) do
      if t.at <= now then due[#due + 1] = t else later[#later + 1] = t end
    end
    loop.timers = later
    table.sort(due, function(a, b) return a.at < b.at end)
    for _, t in ipairs(due) do resume(t.co) end
  end
end

---------------------------------------------------------------------------------------------
-- Connections.

local Conn = {}
Conn.__index = Conn

-- Read more bytes into the buffer; nil, err once the peer is gone.
function Conn:fill()
  while true do
    local data, err, partial = self.sock:receive(8192)
    data = data or partial
    if data and #data > 0 then
      self.buf = self.buf .. data
      return true
    end
    local mode = would_block(err, "r")
    if not mode then return nil, err end
    wait(self.sock, mode)
  end
end

function Conn:send(data)
  local i = 1
  while i <= #data do
    local last, err, sent = self.sock:send(data, i)
    if last then
      i = last + 1
    else
      if sent and sent >= i then i = sent + 1 end
      local mode = would_block(err, "w")
      if not mode then return nil, err end
      if i <= #data then wait(self.sock, mode) end
    end
  end
  return true
end

function Conn:close()
  if not self.closed then
    self.closed = true
    loop.readers[self.sock], loop.writers[self.sock] = nil, nil
    self.sock:close()
  end
end

-- luasec objects whose descriptor was closed behind their back (see Conn:abort). Kept
-- referenced for good: collecting one would send close_notify on, and close, a descriptor
-- number the kernel may since have given to another connection. A few KB per reset.
local abandoned = {}

-- Close with SO_LINGER 0 so the kernel sends RST instead of FIN.
function Conn:abort()
  if self.closed then return end
  self.closed = true
  loop.readers[self.sock], loop.writers[self.sock] = nil, nil
  local raw = self.raw
  if self.tls then
    -- ssl.wrap moved the descriptor out of the tcp object; closing through luasec would send
    -- a TLS close_notify first, which clients read as a clean end of stream.
    raw:setfd(self.sock:getfd())
    abandoned[#abandoned + 1] = self.sock
  end
  raw:setoption("linger", { on = true, timeout = 0 })
  raw:close()
end

local MAX_HEAD = 64 * 1024

local function url_decode(s)
  s = s:gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function parse_query(q)
  local params = {}
  for pair in q:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    params[url_decode(k)] = url_decode(v)
  end
  return params
end

-- One request, or nil when the connection ends (or sends garbage).
function Conn:read_request()
  local head_end
  while true do
    head_end = self.buf:find("\r\n\r\n", 1, true)
    if head_end then break end
    if #self.buf > MAX_HEAD then return nil, "header too large" end
    local ok, err = self:fill()
    if not ok then return nil, err end
  end
  local head = self.buf:sub(1, head_end - 1)
  self.buf = self.buf:sub(head_end + 4)
  local line, rest = head:match("^([^\r\n]*)\r?\n?(.*)$")
  local method, target, version = line:match("^(%S+)%s+(%S+)%s+(HTTP/%d%.%d)$")
  if not method then return nil, "bad request line" end
  local headers = {}
  for name, value in rest:gmatch("([^:\r\n]+):[ \t]*([^\r\n]*)") do
    name = name:lower()
    value = value:gsub("%s+$", "")
    headers[name] = headers[name] and (headers[name] .. ", " .. value) or value
  end
  local length = tonumber(headers["content-length"] or "0") or 0
  if length > #self.buf and (headers.expect or ""):lower() == "100-continue" then
    self:send("HTTP/1.1 100 Continue\r\n\r\n") -- curl waits a second for this before a large body
  end
  while #self.buf < length do
    local ok, err = self:fill()
    if not ok then return nil, err end
  end
  local body = self.buf:sub(1, length)
  self.buf = self.buf:sub(length + 1)
  local raw_path, query = target:match("^([^?]*)%??(.*)$")
  raw_path = raw_path:gsub("^%a+://[^/]*", "") -- absolute-form target
  return {
    method = method, target = target, version = version, path = url_decode(raw_path),
    query = query, params = parse_query(query), headers = headers, body = body,
  }
end

local REASONS = {
  [200] = "OK", [201] = "Created", [204] = "No Content", [301] = "Moved Permanently",
  [302] = "Found", [303] = "See Other", [304] = "Not Modified", [307] = "Temporary Redirect",
  [308] = "Permanent Redirect", [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden",
  [404] = "Not Found", [405] = "Method Not Allowed", [408] = "Request Timeout",
  [413] = "Payload Too Large", [429] = "Too Many Requests", [500] = "Internal Server Error",
  [502] = "Bad Gateway", [503] = "Service Unavailable", [504] = "Gateway Timeout",
}

-- Response head; `extra` header names are matched case-insensitively against the defaults.
local function response_head(status, body_len, content_type, keep_alive, extra)
  local lines = { format("HTTP/1.1 %d %s", status, REASONS[status] or "Unknown") }
  local given = {}
  for k in pairs(extra or {}) do given[k:lower()] = true end
  if not given["content-type"] and content_type then lines[#lines + 1] = "Content-Type: " .. content_type end
  if not given["content-length"] then lines[#lines + 1] = "Content-Length: " .. body_len end
  lines[#lines + 1] = "Date: " .. os.date("!%a, %d %b %Y %H:%M:%S GMT")
  if not given["connection"] then
    lines[#lines + 1] = "Connection: " .. (keep_alive and "keep-alive" or "close")
  end
  local names = {}
  for k in pairs(extra or {}) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do lines[#lines + 1] = k .. ": " .. tostring(extra[k]) end
  return concat(lines, "\r\n") .. "\r\n\r\n"
end

---------------------------------------------------------------------------------------------
-- The server.

local state = {
  fixtures = M.DEFAULT_FIXTURES,
  log = {}, seq = 0, queue = {}, connections = 0, requests = 0, quiet = false,
}

local function note(fmt, ...)
  if not state.quiet then
    io.stdout:write(format(fmt, ...), "\n")
    io.stdout:flush()
  end
end

local function api_type(path)
  return path:match("^/api/([^/]*)/?$")
end

-- First queued answer that applies to this request: untyped, or typed for this API type.
local function take_script(req)
  local t = api_type(req.path)
  for i, entry in ipairs(state.queue) do
    if entry.type == nil or entry.type == t then return table.remove(state.queue, i) end
  end
  return nil
end

local function resolve_path(path)
  if read_file(path) then return path end
  if path:sub(1, 1) ~= "/" and read_file(ROOT .. "/" .. path) then return ROOT .. "/" .. path end
  return nil
end

-- Check and normalise one script entry; nil, reason when it cannot be served.
local function check_entry(e)
  if type(e) ~= "table" then return nil, "each answer must be an object" end
  local out = {}
  for k, v in pairs(e) do
    if v ~= cjson.null then out[k] = v end
  end
  if out.error ~= nil and not CATALOGUE[out.error] then
    return nil, "unknown error name: " .. tostring(out.error)
  end
  if out.status ~= nil then
    out.status = math.tointeger(out.status)
    if not out.status or out.status < 100 or out.status > 599 then return nil, "bad status" end
  end
  if out.body_file ~= nil then
    local path = type(out.body_file) == "string" and resolve_path(out.body_file)
    if not path then return nil, "cannot read body_file " .. tostring(out.body_file) end
    out.body_file = path
  end
  if out.body ~= nil and type(out.body) ~= "string" then return nil, "body must be a string" end
  if out.headers ~= nil and type(out.headers) ~= "table" then return nil, "headers must be an object" end
  for _, k in ipairs { "delay", "drip", "truncate" } do
    if out[k] ~= nil and type(out[k]) ~= "number" then return nil, k .. " must be a number" end
  end
  if out.truncate then out.truncate = math.floor(out.truncate) end
  if out.type ~= nil and type(out.type) ~= "string" then return nil, "type must be a string" end
  return out
end

-- Control routes under /_emulator/ (see the top of the file).
local function control(req)
  local route, method = req.path:match("^/_emulator/([%w_]+)/?$"), req.method
  local function json(status, v) return status, M.json(v) end
  if route == "log" and method == "GET" then
    return json(200, arr(state.log))
  elseif route == "stats" and method == "GET" then
    return json(200, obj("connections", state.connections, "requests", state.requests))
  elseif route == "reset" and method == "POST" then
    state.log, state.seq, state.queue = {}, 0, {}
    return json(200, obj("reset", true))
  elseif route == "script" and method == "POST" then
    local answers = cjson.decode(req.body)
    if type(answers) ~= "table" then
      return json(400, obj("error", "body must be a JSON array of answers"))
    end
    if answers[1] == nil and next(answers) ~= nil then answers = { answers } end -- a single object
    local checked = {}
    for i, e in ipairs(answers) do
      local c, why = check_entry(e)
      if not c then return json(400, obj("error", format("answer %d: %s", i, why))) end
      checked[i] = c
    end
    for _, c in ipairs(checked) do state.queue[#state.queue + 1] = c end
    return json(200, obj("queued", #state.queue, "added", #checked))
  elseif route == "shutdown" and method == "POST" then
    local status, body = json(200, obj("shutdown", true))
    return status, body, true
  elseif ({ log = 1, stats = 1, reset = 1, script = 1, shutdown = 1 })[route or ""] then
    return json(405, obj("status", 405, "message", "method not allowed"))
  end
  return json(404, obj("status", 404, "message", "unknown control route"))
end

local function log_request(c, req)
  if req.method == "GET" and req.path:match("^/_emulator/log/?$") then return end
  state.seq = state.seq + 1
  state.log[#state.log + 1] = {
    n = state.seq, conn = c.id, method = req.method, path = req.path, query = req.query,
    params = req.params, headers = req.headers, time = os.time(),
  }
end

-- Hold the connection open without answering until the peer goes away.
local function hang(c)
  while c:fill() do c.buf = "" end
end

-- Send a response, possibly misbehaving as the script entry says. Returns keep-alive.
local function respond(c, req, status, body, ctype, extra, entry, keep_alive)
  entry = entry or {}
  extra = extra or {}
  if req.method == "HEAD" then body = "" end
  if entry.gzip then
    body = M.gzip(body)
    extra["Content-Encoding"] = "gzip"
  end
  if entry.truncate or entry.reset then keep_alive = false end
  local head = response_head(status, #body, ctype, keep_alive, extra)
  if entry.truncate then body = body:sub(1, math.max(entry.truncate, 0)) end
  if entry.reset then body = body:sub(1, #body // 2) end
  local data = head .. body
  local ok
  if entry.drip and entry.drip > 0 then
    ok = true
    for i = 1, #data do
      if i > 1 then sleep(entry.drip) end
      ok = c:send(data:sub(i, i))
      if not ok then break end
    end
  else
    ok = c:send(data)
  end
  note("conn %d %s %s -> %d", c.id, req.method, req.target, status)
  if entry.reset then
    c:abort()
    return false
  end
  return ok and keep_alive
end

-- Handle one request; returns whether to keep the connection.
local function handle(c, req)
  log_request(c, req)
  local conn_hdr = (req.headers.connection or ""):lower()
  local keep_alive = not conn_hdr:find("close", 1, true)
    and (req.version ~= "HTTP/1.0" or conn_hdr:find("keep-alive", 1, true) ~= nil)

  if req.path:find("^/_emulator/") then
    local status, body, stop = control(req)
    if stop then keep_alive = false end
    local keep = respond(c, req, status, body, JSON_TYPE, nil, nil, keep_alive)
    if stop then loop.running = false end -- after the answer is out
    return keep
  end
  if not req.path:find("^/api/") and req.path ~= "/api" then
    local body = M.json(obj("status", 404, "message", "Not found"))
    return respond(c, req, 404, body, JSON_TYPE, nil, nil, keep_alive)
  end

  state.requests = state.requests + 1
  local entry = take_script(req)
  if not entry then
    req.type = api_type(req.path)
    local status, body, ctype = M.api(req, state.fixtures)
    return respond(c, req, status, body, ctype or JSON_TYPE, nil, nil, keep_alive)
  end

  if entry.delay and entry.delay > 0 then sleep(entry.delay) end
  if entry.drop then
    note("conn %d %s %s -> dropped", c.id, req.method, req.target)
    c:close()
    return false
  end
  if entry.hang then
    note("conn %d %s %s -> hanging", c.id, req.method, req.target)
    hang(c)
    return false
  end
  local status, body, ctype
  local extra = {}
  for k, v in pairs(entry.headers or {}) do extra[k] = v end
  if entry.redirect then
    status, ctype = entry.status or 302, "text/plain; charset=utf-8"
    body = "Found. Redirecting to " .. entry.redirect
    extra.Location = entry.redirect
  elseif entry.error then
    status, body, ctype = CATALOGUE[entry.error]()
    status = entry.status or status
  elseif entry.body then
    status, body = entry.status or 200, entry.body
  elseif entry.body_file then
    status, body = entry.status or 200, read_file(entry.body_file) or ""
  else
    req.type = api_type(req.path)
    status, body, ctype = M.api(req, state.fixtures)
    status = entry.status or status
  end
  return respond(c, req, status, body, ctype or JSON_TYPE, extra, entry, keep_alive)
end

local function serve(c)
  if c.tls then
    while true do
      local ok, err = c.sock:dohandshake()
      if ok then break end
      local mode = would_block(err, "r")
      if not mode then return end
      wait(c.sock, mode)
    end
  end
  while not c.closed do
    local req = c:read_request()
    if not req then return end
    if not handle(c, req) then return end
  end
end

local USAGE = [[
usage: lua5.4 spec/support/emulator.lua [--host 127.0.0.1] [--port 0] [--port-file FILE]
                                        [--tls-cert CERT --tls-key KEY] [--fixtures DIR] [--quiet]
]]

local function parse_args(argv)
  local opts = { host = "127.0.0.1", port = 0, fixtures = M.DEFAULT_FIXTURES }
  local with_value = { ["--host"] = "host", ["--port"] = "port", ["--port-file"] = "port_file",
    ["--tls-cert"] = "tls_cert", ["--tls-key"] = "tls_key", ["--fixtures"] = "fixtures" }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "--quiet" then
      opts.quiet = true
    elseif a == "--help" or a == "-h" then
      io.stdout:write(USAGE)
      os.exit(0)
    elseif with_value[a] and argv[i + 1] then
      opts[with_value[a]] = argv[i + 1]
      i = i + 1
    else
      io.stderr:write("emulator: bad argument ", tostring(a), "\n", USAGE)
      os.exit(2)
    end
    i = i + 1
  end
  opts.port = tonumber(opts.port)
  if not opts.port or (opts.tls_cert == nil) ~= (opts.tls_key == nil) then
    io.stderr:write(USAGE)
    os.exit(2)
  end
  return opts
end

--- Run the emulator program.
-- @tparam table argv command-line arguments
-- @treturn integer exit status
function M.main(argv)
  local opts = parse_args(argv)
  state.fixtures, state.quiet = opts.fixtures, opts.quiet

  local ctx
  if opts.tls_cert then
    local ssl = require "ssl"
    local err
    ctx, err = ssl.newcontext { mode = "server", protocol = "any", key = opts.tls_key,
      certificate = opts.tls_cert, options = { "all" } }
    if not ctx then
      io.stderr:write("emulator: TLS: ", tostring(err), "\n")
      return 1
    end
  end

  local server, err = socket.bind(opts.host, opts.port)
  if not server then
    io.stderr:write("emulator: cannot listen on ", opts.host, ":", opts.port, ": ", tostring(err), "\n")
    return 1
  end
  server:settimeout(0)
  local _, port = server:getsockname()

  local function on_accept()
    while true do
      local raw = server:accept()
      if not raw then return end
      state.connections = state.connections + 1
      raw:settimeout(0)
      raw:setoption("tcp-nodelay", true)
      local c = setmetatable({ id = state.connections, raw = raw, sock = raw, buf = "" }, Conn)
      if ctx then
        local ssl = require "ssl"
        local s = ssl.wrap(raw, ctx)
        if not s then
          raw:close()
          c = nil
        else
          s:settimeout(0)
          c.sock, c.tls = s, true
        end
      end
      if c then
        local co = coroutine.create(function()
          local ok, e = xpcall(serve, debug.traceback, c)
          if not ok then io.stderr:write("emulator: connection ", c.id, ": ", tostring(e), "\n") end
          c:close()
        end)
        resume(co)
      end
    end
  end

  if opts.port_file then
    -- write then rename, so a poller never reads a half-written number
    local tmp = opts.port_file .. ".tmp"
    local f = assert(io.open(tmp, "w"))
    f:write(tostring(port), "\n")
    f:close()
    assert(os.rename(tmp, opts.port_file))
  end
  io.stdout:write(format("listening on %s://%s:%d\n", ctx and "https" or "http", opts.host, port))
  io.stdout:flush()

  run_loop(server, on_accept)
  server:close()
  return 0
end

-- Run as a program (not when required by a spec).
if arg and arg[0] and debug.getinfo(1, "S").source == "@" .. arg[0] then
  os.exit(M.main(arg))
end

return M
