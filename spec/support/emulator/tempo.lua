-- The Tempo colour sources, emulated on one calendar of colours: api-couleur-tempo.fr
-- (GET /api/joursTempo?periode=, GET /api/jourTempo/today|tomorrow|YYYY-MM-DD) and RTE's Tempo
-- Like Supply Contract API (POST /token/oauth/ with basic auth, then GET
-- /open_api/tempo_like_supply_contract/v1/tempo_like_calendars with the bearer token).
-- Each season is generated from a fixed seed (its first year) and keeps RTE's rules: 22 red
-- days on weekdays from December to February (so never more than 5 in a row), 43 white days
-- from mid-October to April never on a Sunday, the rest blue. Settings (POST /_emulator/tempo)
-- script the variants: the emulated day, an unknown tomorrow, seasons all unknown (code 0),
-- seasons that break a rule, RTE's array shape, token lifetime and revocation.
-- Shapes follow the published ones (api-couleur-tempo.fr, RTE's API guide); what no source confirmed
-- is marked "unverified".
local calendar = require "spec.support.emulator.calendar"
local json = require "spec.support.emulator.json"

local M = {}

local HERE = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
M.ACCOUNT = dofile(HERE .. "/rte_account.lua")

local format = string.format
local obj, arr, encode = json.obj, json.arr, json.encode
local parse_day, day_string, weekday = calendar.parse_day, calendar.day_string, calendar.weekday
local days_from_civil, civil_from_days = calendar.days_from_civil, calendar.civil_from_days

--- RTE's data start: the first day either source knows.
M.FIRST_DAY = days_from_civil(2014, 9, 1)
M.CALENDARS_PATH = "/open_api/tempo_like_supply_contract/v1/tempo_like_calendars"
M.TOKEN_PATH = "/token/oauth/"
M.JSON_TYPE = "application/json; charset=utf-8"

local BLUE, WHITE, RED = 1, 2, 3
local LABELS = { [0] = "Inconnu", "Bleu", "Blanc", "Rouge" } -- 0's label: unverified
local RTE_VALUES = { "BLUE", "WHITE", "RED" }

--- The rules a broken season can break (linky.tempo_rules' names).
M.BREAKS = { "too_many_red", "too_many_white", "red_out_of_winter", "red_on_weekend",
             "too_many_red_in_a_row", "white_on_sunday" }

local function defaults()
  return { today = nil, tomorrow = "known", unknown_seasons = {}, broken_seasons = {},
           rte_shape = "object", rte_expires_in = 7200 }
end

local settings = defaults()
local tokens, token_seq = {}, 0

--- The season's start year of a day: 2025 for any day from 2025-09-01 to 2026-08-31.
function M.season_year(dn)
  local y, m = civil_from_days(dn)
  return m >= 9 and y or y - 1
end

local function season_name(y) return format("%d-%d", y, y + 1) end

-- A fixed-seed generator (a 31-bit LCG): the same season every run.
local function generator(seed)
  local x = seed
  return function(n)
    x = (1103515245 * x + 12345) % 2147483648
    return x % n + 1
  end
end

local function shuffled(list, rand)
  for i = #list, 2, -1 do
    local j = rand(i)
    list[i], list[j] = list[j], list[i]
  end
  return list
end

local function days_between(from, to, keep)
  local out = {}
  for dn = from, to do
    if keep(dn) then out[#out + 1] = dn end
  end
  return out
end

-- Breaks one rule in a season that keeps them all (codes: day -> 1, 2, 3).
local function break_rule(codes, y, rule)
  local function first(from, keep)
    local dn = from
    while not keep(dn) do dn = dn + 1 end
    return dn
  end
  local function a_red(keep_from, keep_to) -- the latest red day outside a kept range: given up
    local last
    for dn, c in pairs(codes) do
      if c == RED and (not last or dn > last) and not (keep_from and dn >= keep_from and dn <= keep_to) then
        last = dn
      end
    end
    return last
  end
  local function blue_weekday(dn) return codes[dn] == BLUE and weekday(dn) >= 1 and weekday(dn) <= 5 end
  if rule == "too_many_red" then
    codes[first(days_from_civil(y + 1, 1, 5), blue_weekday)] = RED
  elseif rule == "too_many_white" then
    codes[first(days_from_civil(y + 1, 3, 2), function(dn) return codes[dn] == BLUE and weekday(dn) ~= 0 end)] = WHITE
  elseif rule == "red_out_of_winter" then
    codes[a_red()] = BLUE
    codes[first(days_from_civil(y, 10, 6), blue_weekday)] = RED
  elseif rule == "red_on_weekend" then
    -- a Saturday whose Friday is not red, so that no run of six comes first
    local sat = first(days_from_civil(y + 1, 1, 1), function(dn) return weekday(dn) == 6 and codes[dn - 1] ~= RED end)
    codes[a_red()] = BLUE
    codes[sat] = RED
  elseif rule == "too_many_red_in_a_row" then
    local monday = first(days_from_civil(y + 1, 2, 1), function(dn) return weekday(dn) == 1 end)
    for dn = monday, monday + 5 do
      if codes[dn] ~= RED then
        codes[a_red(monday, monday + 5)] = BLUE
        codes[dn] = RED
      end
    end
  elseif rule == "white_on_sunday" then
    codes[first(days_from_civil(y, 11, 1), function(dn) return codes[dn] == BLUE and weekday(dn) == 0 end)] = WHITE
  end
end

local cache = {}

--- The colour codes of a season (day number -> 1 blue, 2 white, 3 red), from its fixed seed,
-- breaking `rule` when given.
-- @tparam integer y the season's first year
-- @tparam[opt] string rule one of M.BREAKS
-- @treturn table day -> code
function M.season(y, rule)
  local key = y .. ":" .. (rule or "")
  if cache[key] then return cache[key] end
  local rand = generator(y)
  local first, last = days_from_civil(y, 9, 1), days_from_civil(y + 1, 8, 31)
  local codes = {}
  for dn = first, last do codes[dn] = BLUE end
  local reds = shuffled(days_between(days_from_civil(y, 12, 1), days_from_civil(y + 1, 3, 1) - 1,
    function(dn) return weekday(dn) >= 1 and weekday(dn) <= 5 end), rand)
  for i = 1, 22 do codes[reds[i]] = RED end
  local whites = shuffled(days_between(days_from_civil(y, 10, 15), days_from_civil(y + 1, 4, 30),
    function(dn) return weekday(dn) ~= 0 and codes[dn] == BLUE end), rand)
  for i = 1, 43 do codes[whites[i]] = WHITE end
  if rule then break_rule(codes, y, rule) end
  cache[key] = codes
  return codes
end

--- The emulated day (Paris): the `today` setting, or the real one.
function M.today()
  if settings.today then return parse_day(settings.today) end
  local t = os.time()
  return (t + calendar.paris_offset(t)) // 86400
end

-- The last day whose colour is published: tomorrow, or today while tomorrow is unknown.
local function last_known()
  return M.today() + (settings.tomorrow == "unknown" and 0 or 1)
end

--- The code of a day as the sources know it now: 0 when unknown (not yet published, before
-- RTE's data, a season scripted as unknown), else 1, 2 or 3.
function M.code(dn)
  local y = M.season_year(dn)
  local name = season_name(y)
  if dn < M.FIRST_DAY or dn > last_known() or settings.unknown_seasons[name] then return 0 end
  return M.season(y, settings.broken_seasons[name])[dn]
end

-- api-couleur-tempo.fr -------------------------------------------------------------------------

local function day_object(dn)
  local code = M.code(dn)
  return obj("dateJour", day_string(dn), "codeJour", code, "periode", season_name(M.season_year(dn)),
    "libCouleur", LABELS[code])
end

local function tempo_error(status, message) -- shape unverified
  return status, encode(obj("status", status, "message", message))
end

-- GET /api/joursTempo[?periode=YYYY-YYYY]: the season's days up to tomorrow (tomorrow with code
-- 0 while unknown), oldest first; every season since 2014-2015 without `periode`.
local function jours(req)
  local periode = req.params.periode
  local from, to = M.FIRST_DAY, M.today() + 1
  if periode then
    local a, b = periode:match("^(%d%d%d%d)%-(%d%d%d%d)$")
    if not a or tonumber(b) ~= tonumber(a) + 1 then
      return tempo_error(400, "periode must be YYYY-YYYY, two consecutive years")
    end
    from = math.max(from, days_from_civil(tonumber(a), 9, 1))
    to = math.min(to, days_from_civil(tonumber(b), 8, 31))
  end
  local out = {}
  for dn = from, to do out[#out + 1] = day_object(dn) end
  return 200, encode(arr(out))
end

-- GET /api/jourTempo/today|tomorrow|YYYY-MM-DD: one day, code 0 when unknown.
local function jour(which)
  local dn = which == "today" and M.today() or which == "tomorrow" and M.today() + 1 or parse_day(which)
  if not dn then return tempo_error(400, "not a date: " .. which) end
  return 200, encode(day_object(dn))
end

-- RTE -------------------------------------------------------------------------------------------

local function oauth_error(status, code, description)
  return status, encode(obj("error", code, "error_description", description))
end

local function b64decode(s)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  s = s:gsub("=+$", "")
  if s:find("[^%w+/]") then return nil end
  local bits = s:gsub(".", function(c)
    local v = alphabet:find(c, 1, true) - 1
    local out = ""
    for i = 5, 0, -1 do out = out .. ((v >> i) & 1) end
    return out
  end)
  return (bits:gsub("%d%d%d%d%d%d%d%d", function(byte) return string.char(tonumber(byte, 2)) end))
end

-- POST /token/oauth/ with basic auth: a bearer token valid rte_expires_in seconds.
local function token(req)
  if req.method ~= "POST" then return oauth_error(405, "invalid_request", "POST only") end
  local encoded = (req.headers.authorization or ""):match("^Basic%s+(%S+)$")
  local id, secret = (encoded and b64decode(encoded) or ""):match("^([^:]*):(.*)$")
  if id ~= M.ACCOUNT.client_id or secret ~= M.ACCOUNT.client_secret then
    return oauth_error(401, "invalid_client", "Client authentication failed")
  end
  token_seq = token_seq + 1
  local value = format("rte-emulated-token-%06d-%08x", token_seq, (token_seq * 2654435761) % 4294967296)
  tokens[value] = os.time() + settings.rte_expires_in
  return 200, encode(obj("access_token", value, "token_type", "Bearer", "expires_in", settings.rte_expires_in))
end

-- Paris midnight starting day dn, written as RTE writes it: "2026-01-05T00:00:00+01:00".
local function rte_stamp(dn, clock)
  local offset = calendar.paris_offset(calendar.paris_midnight(dn) + 3600) // 3600
  return format("%sT%s+%02d:00", day_string(dn), clock or "00:00:00", offset)
end

-- "YYYY-MM-DDT00:00:00+hh:mm" -> day number; other times and shapes are refused.
local function rte_day(s)
  local date = s and s:match("^(%d%d%d%d%-%d%d%-%d%d)T00:00:00[+-]%d%d:%d%d$")
  return date and parse_day(date)
end

-- The values of days [from, to), newest first (RTE's order: unverified), known days only.
local function values(from, to)
  local out = {}
  for dn = to - 1, from, -1 do
    local code = M.code(dn)
    if code > 0 then
      out[#out + 1] = obj("start_date", rte_stamp(dn), "end_date", rte_stamp(dn + 1), "value", RTE_VALUES[code],
        "updated_date", rte_stamp(dn - 1, "10:20:00"))
    end
  end
  return out
end

-- GET tempo_like_calendars[?start_date=&end_date=] with a bearer token: at most 366 days,
-- ending at most two days ahead, from 2014-09-01; without dates, today and tomorrow.
local function calendars(req)
  local bearer = (req.headers.authorization or ""):match("^Bearer%s+(%S+)$")
  if not bearer or not tokens[bearer] or tokens[bearer] <= os.time() then
    return oauth_error(401, "invalid_token", "The access token is missing, invalid or expired")
  end
  if req.method ~= "GET" then return oauth_error(405, "invalid_request", "GET only") end
  local p = req.params
  local from, to
  if p.start_date == nil and p.end_date == nil then
    from, to = M.today(), M.today() + 2
  else
    from, to = rte_day(p.start_date), rte_day(p.end_date)
    -- error code unverified; RTE answers 400 with an error document
    local bad = not (from and to) and "start_date and end_date must be YYYY-MM-DDT00:00:00+hh:mm"
      or to <= from and "end_date must be after start_date"
      or to - from > 366 and "the range must not exceed 366 days"
      or to > M.today() + 2 and "end_date must be at most two days ahead"
      or from < M.FIRST_DAY and "start_date must not be before 2014-09-01"
    if bad then return oauth_error(400, "TMPLIKSUPCON_TEMPOLIKECALENDARS_F04", bad) end
  end
  local blocks = {}
  if settings.rte_shape == "array" then -- one block per season the range touches
    local dn = from
    while dn < to do
      local stop = math.min(to, days_from_civil(M.season_year(dn) + 1, 9, 1))
      blocks[#blocks + 1] = obj("start_date", rte_stamp(dn), "end_date", rte_stamp(stop), "values", arr(values(dn, stop)))
      dn = stop
    end
    return 200, encode(obj("tempo_like_calendars", arr(blocks)))
  end
  return 200, encode(obj("tempo_like_calendars",
    obj("start_date", rte_stamp(from), "end_date", rte_stamp(to), "values", arr(values(from, to)))))
end

-- Routes ----------------------------------------------------------------------------------------

--- The service and route name of a path: ("tempo", "joursTempo"|"jourTempo"),
-- ("rte", "rte_token"|"rte_calendars"), or nil.
function M.route(path)
  if path == "/api/joursTempo" or path == "/api/joursTempo/" then return "tempo", "joursTempo" end
  if path:match("^/api/jourTempo/[^/]+$") then return "tempo", "jourTempo" end
  if path == M.TOKEN_PATH or path == "/token/oauth" then return "rte", "rte_token" end
  if path == M.CALENDARS_PATH then return "rte", "rte_calendars" end
  return nil
end

--- The normal answer of a Tempo or RTE route: status, body, content type.
function M.answer(req, name)
  local status, body
  if name == "joursTempo" or name == "jourTempo" then
    if req.method ~= "GET" then
      status, body = tempo_error(405, "GET only")
    elseif name == "joursTempo" then
      status, body = jours(req)
    else
      status, body = jour(req.path:match("^/api/jourTempo/([^/]+)$"))
    end
  elseif name == "rte_token" then
    status, body = token(req)
  else
    status, body = calendars(req)
  end
  return status, body, M.JSON_TYPE
end

-- Settings ----------------------------------------------------------------------------------------

local function set_of(list)
  local out = {}
  for _, v in ipairs(list) do out[v] = true end
  return out
end

--- Applies settings (a decoded JSON object); nil, reason when one is not understood.
function M.configure(t)
  if type(t) ~= "table" then return nil, "settings must be an object" end
  local known = { today = true, tomorrow = true, unknown_seasons = true, broken_seasons = true,
                  rte_shape = true, rte_expires_in = true, revoke_tokens = true }
  for k in pairs(t) do
    if not known[k] then return nil, "unknown setting " .. tostring(k) end
  end
  if type(t.today) == "string" and not parse_day(t.today) then return nil, "today must be YYYY-MM-DD or null" end
  if t.tomorrow ~= nil and t.tomorrow ~= "known" and t.tomorrow ~= "unknown" then
    return nil, "tomorrow must be \"known\" or \"unknown\""
  end
  if t.rte_shape ~= nil and t.rte_shape ~= "object" and t.rte_shape ~= "array" then
    return nil, "rte_shape must be \"object\" or \"array\""
  end
  if t.rte_expires_in ~= nil and not (math.type(t.rte_expires_in) and t.rte_expires_in >= 0) then
    return nil, "rte_expires_in must be a number of seconds"
  end
  local breaks = set_of(M.BREAKS)
  for name, rule in pairs(type(t.broken_seasons) == "table" and t.broken_seasons or {}) do
    if not breaks[rule] then return nil, "unknown rule " .. tostring(rule) .. " for " .. tostring(name) end
  end
  if type(t.today) == "string" then settings.today = t.today elseif t.today ~= nil then settings.today = nil end
  settings.tomorrow = t.tomorrow or settings.tomorrow
  settings.rte_shape = t.rte_shape or settings.rte_shape
  settings.rte_expires_in = t.rte_expires_in and math.floor(t.rte_expires_in) or settings.rte_expires_in
  if t.unknown_seasons then settings.unknown_seasons = set_of(t.unknown_seasons) end
  if t.broken_seasons then settings.broken_seasons = t.broken_seasons end
  if t.revoke_tokens then tokens = {} end
  return true
end

--- The settings in force, for GET /_emulator/tempo.
function M.settings()
  local unknown = {}
  for name in pairs(settings.unknown_seasons) do unknown[#unknown + 1] = name end
  table.sort(unknown)
  local live = 0
  for _, expiry in pairs(tokens) do
    if expiry > os.time() then live = live + 1 end
  end
  return json.sorted { today = day_string(M.today()), tomorrow = settings.tomorrow,
    unknown_seasons = arr(unknown), broken_seasons = json.sorted(settings.broken_seasons),
    rte_shape = settings.rte_shape, rte_expires_in = settings.rte_expires_in, tokens = live }
end

--- Back to the defaults (POST /_emulator/reset); tokens already issued stay valid.
function M.reset()
  settings = defaults()
end

return M
