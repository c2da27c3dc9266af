--- Tempo colours: the colour of each tariff day (06:00 to 06:00), fetched from a colour source
-- into the state file and read back from it, with the request discipline of Conso API.
--
--     local tempo = require "linky.tempo"
--     local t = assert(tempo.new { source = "api-couleur-tempo" })
--     local days = assert(t:colours("2026-01-01", "2026-02-01"))
--     for _, d in ipairs(days) do print(d.date, d.colour or "unknown") end
--     t:close()
--
-- Sources: `"api-couleur-tempo"` (api-couleur-tempo.fr, community, no account: a whole season
-- in one request) and `"rte"` (RTE's Tempo Like Supply Contract API: an OAuth client id and
-- secret, a token kept in memory only, then up to 366 days in one request). Each source has a
-- ledger of its own in the state file (`linky.ledger`; 12 requests in 24 hours by default,
-- failing closed, the same witness of real time), and a 429 or 5xx answer starts a cool-down.
-- What is asked: a day never stored; an unknown day (not published yet, an outage), at most
-- once an hour, until it is 7 days old (then it is settled as unknown); tomorrow's colour
-- fetched before 12:00 Paris time (provisional: RTE may still change it), once more after
-- 12:00. A known colour of a past day is never asked again. An answer that breaks RTE's rules
-- of a season (`linky.tempo_rules`) is `invalid_response`, and nothing of it is stored.
-- @module linky.tempo
local core = require "linky.core"
local dates = require "linky.dates"
local db_ = require "linky.db"
local errors = require "linky.errors"
local http = require "linky.http"
local ledger = require "linky.ledger"
local options = require "linky.options"
local rules = require "linky.tempo_rules"

local M = {}

M._VERSION = core._VERSION

--- The sources and their default base URLs.
M.SOURCES = {
  ["api-couleur-tempo"] = "https://www.api-couleur-tempo.fr",
  rte = "https://digital.iservices.rte-france.com",
}
--- The default source: no account needed.
M.DEFAULT_SOURCE = "api-couleur-tempo"
--- Each source's default budget: 12 requests in 24 hours.
M.BUDGET = { requests = 12, window = 24 * 3600 }
--- Seconds before an unknown day is asked again.
M.RETRY_UNKNOWN = 3600
--- Days after which a day still unknown is settled as unknown (asked no more).
M.SETTLE_AFTER = 7
--- The first day the sources know (RTE's data start).
M.FIRST_DAY = dates.day("2014-09-01")
--- RTE's paths.
M.RTE_TOKEN_PATH = "/token/oauth/"
M.RTE_CALENDARS_PATH = "/open_api/tempo_like_supply_contract/v1/tempo_like_calendars"

local CODES = { [1] = "blue", [2] = "white", [3] = "red" }
local RTE_VALUES = { BLUE = "blue", WHITE = "white", RED = "red" }

local TYPES = {
  source = "string", base_url = "string", rte_client_id = "string", rte_client_secret = "string",
  state = { "string", false }, budget = { "table", false }, clock = "function", monotonic = "function",
  today = "string", timeout = "number", connect_timeout = "number", cainfo = "string", proxy = "string",
  user_agent = "string", max_body = "number", insecure = "boolean", log = "function",
}

local function invalid(message)
  return nil, errors.new("invalid_argument", message)
end

local Tempo = { __name = "linky.Tempo" }
Tempo.__index = Tempo

--- A reader of Tempo colours.
-- @tparam[opt] table opts `source` (`"api-couleur-tempo"`, the default, or `"rte"`),
-- `rte_client_id` and `rte_client_secret` (the RTE application's credentials: secrets, never
-- stored nor shown), `base_url` (another server: a mirror, an emulator), `state` (the state file,
-- as `linky.new` takes it), `budget` (`{ requests =, window = }`, default 12 in 24 hours, or
-- false), `clock`, `monotonic`, `today`, and the transfer options of `linky.new` (`timeout`,
-- `connect_timeout`, `cainfo`, `proxy`, `user_agent`, `max_body`, `insecure`, `log`)
-- @treturn linky.Tempo|nil the reader
-- @treturn table an `invalid_argument` error
function M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then
    error(("bad argument #1 to 'new' (table expected, got %s)"):format(type(opts)), 2)
  end
  local unknown = options.check_types(opts, TYPES, 2)
  if unknown then return invalid(("unknown option '%s'"):format(unknown)) end
  local source = opts.source or M.DEFAULT_SOURCE
  if not M.SOURCES[source] then return invalid("option 'source' must be \"api-couleur-tempo\" or \"rte\"") end
  if source == "rte" and not (opts.rte_client_id and opts.rte_client_secret
      and opts.rte_client_id ~= "" and opts.rte_client_secret ~= "") then
    return invalid("the source rte needs options 'rte_client_id' and 'rte_client_secret'")
  end
  local budget = opts.budget
  if budget == nil then budget = M.BUDGET end
  local err
  if budget then
    budget, err = options.budget { requests = budget.requests or M.BUDGET.requests,
      window = budget.window or M.BUDGET.window }
    if not budget then return nil, err end
  end
  if opts.today and not dates.day(opts.today) then return invalid("option 'today' must be YYYY-MM-DD") end
  local client
  client, err = http.new { base_url = opts.base_url or M.SOURCES[source], user_agent = opts.user_agent,
    timeout = opts.timeout, connect_timeout = opts.connect_timeout, cainfo = opts.cainfo, proxy = opts.proxy,
    max_body = opts.max_body, insecure = opts.insecure, log = opts.log }
  if not client then return nil, err end
  local monotonic = opts.monotonic
  return setmetatable({
    source = source, http = client, ledger = ledger.of(source), limit = budget,
    clock = opts.clock or core.now, fixed_today = opts.today and dates.day(opts.today),
    witness = monotonic and function() return { boot = "simulated", mono = monotonic() } end
      or ledger.witness,
    state_path = opts.state, handle = nil,
    -- the RTE credentials and token: in memory only, in this table alone
    credentials = source == "rte" and { opts.rte_client_id, opts.rte_client_secret } or nil,
    token = nil, token_expires = nil,
  }, Tempo)
end

local function check_open(self)
  if not self.http then error("attempt to use a closed linky.Tempo", 3) end
end

local function db(self)
  if not self.handle then
    local handle, err = db_.open(self.state_path)
    if not handle then return nil, err end
    self.handle = handle
  end
  return self.handle
end

local function today(self)
  return self.fixed_today or dates.paris_day(self.clock())
end

-- Paris 12:00 on the day before `day`: from then on, `day`'s colour is final.
local function final_from(day)
  return core.to_epoch(dates.format(day - 1) .. " 12:00:00")
end

-- Whether a stored day (nil: not stored) is to be asked now.
local function wanted(row, day, now, t)
  if day > t + 1 or day < M.FIRST_DAY then return false end
  if not row then return true end
  if row.colour then
    -- provisional: asked once more once it is final
    return row.provisional == 1 and now >= final_from(day) and row.fetched < final_from(day)
  end
  return row.settled == 0 and now - row.fetched >= M.RETRY_UNKNOWN
end

-- The stored rows of days [a, b): day -> row.
local function stored(handle, a, b)
  local rows, _, msg = handle:rows("SELECT * FROM tempo_days WHERE day >= ? AND day < ?", a, b)
  if not rows then return db_.failed(handle, msg) end
  local out = {}
  for _, r in ipairs(rows) do out[r.day] = r end
  return out
end

-- One request through the source's ledger: the decoded answer | nil, err.
local function send(self, req)
  local handle, err = db(self)
  if not handle then return nil, err end
  local line = ("%s %s"):format(req.method or "GET", req.path)
  local id
  id, err = self.ledger.admit(handle, self.clock(), self.limit, line, self.witness())
  if not id then return nil, err end
  self.sent = self.sent + 1
  local value, res = self.http:json(req)
  if value == nil then
    err = res
    if err.unsent then
      self.ledger.refund(handle, id)
      self.sent = self.sent - 1
    end
    local ok, why = self.ledger.note(handle, self.clock(), err, self.witness())
    if not ok then return nil, why end
    return nil, err
  end
  return value
end

local function bad_answer(self, why, fields)
  fields = fields or {}
  fields.service = self.http.service
  return nil, errors.new("invalid_response", ("Tempo colours from %s: %s"):format(self.source, why), fields)
end

local function is_integer(x, lo, hi)
  return type(x) == "number" and x == math.floor(x) and x >= lo and x <= hi
end

-- An api-couleur-tempo day object: day, code | nil.
local function jour(v)
  if type(v) ~= "table" or type(v.dateJour) ~= "string" or not is_integer(v.codeJour, 0, 3) then
    return nil
  end
  local day = v.dateJour:match("^%d%d%d%d%-%d%d%-%d%d$") and dates.day(v.dateJour)
  return day, day and v.codeJour
end

-- api-couleur-tempo: the days of a season (one request) or of one day: day -> colour|false.
local function ask_couleur(self, season_year, days)
  local got = {}
  if #days == 1 then
    local date = dates.format(days[1])
    local v, err = send(self, { path = "/api/jourTempo/" .. date })
    if v == nil then return nil, err end
    local day, code = jour(v)
    if day ~= days[1] then return bad_answer(self, "not the day asked, " .. date) end
    got[day] = CODES[code] or false
    return got
  end
  local v, err = send(self, { path = ("/api/joursTempo?periode=%d-%d"):format(season_year, season_year + 1) })
  if v == nil then return nil, err end
  if type(v) ~= "table" or (v[1] == nil and next(v) ~= nil) then
    return bad_answer(self, "not a list of days")
  end
  local name = ("%d-%d"):format(season_year, season_year + 1)
  for i, item in ipairs(v) do
    local day, code = jour(item)
    if not day then return bad_answer(self, ("day %d is not {dateJour, codeJour}"):format(i)) end
    if rules.season(day) ~= name then return bad_answer(self, "a day outside the season " .. name) end
    if got[day] ~= nil then return bad_answer(self, "a day given twice: " .. dates.format(day)) end
    got[day] = CODES[code] or false
  end
  -- a day asked and left out of the answer is unknown
  for _, day in ipairs(days) do
    if got[day] == nil then got[day] = false end
  end
  return got
end

-- RTE's token, asked when there is none or it expired: true | nil, err.
local function rte_token(self)
  local now = self.clock()
  if self.token and now < self.token_expires then return true end
  self.token = nil
  local v, err = send(self, { method = "POST", path = M.RTE_TOKEN_PATH, basic_auth = self.credentials,
    headers = { ["Content-Type"] = "application/x-www-form-urlencoded", Accept = "application/json" },
    body = "grant_type=client_credentials" })
  if v == nil then return nil, err end
  if type(v) ~= "table" or type(v.access_token) ~= "string"
      or not v.access_token:match("^[%w%-._~+/]+=*$") then
    return bad_answer(self, "the token answer has no access_token")
  end
  local life = is_integer(v.expires_in, 1, 1e7) and v.expires_in or 3600
  self.token, self.token_expires = v.access_token, now + life - 60
  return true
end

-- "YYYY-MM-DDThh:mm:ss+hh:mm" of Paris midnight starting `day`, percent-encoded for a query.
local function rte_stamp(day)
  local date = dates.format(day)
  local offset = math.floor((day * 86400 - core.to_epoch(date .. " 00:00:00")) / 3600)
  return ("%sT00:00:00%%2B%02d:00"):format(date, offset)
end

-- The values of RTE's answer, either shape: a list | nil.
local function rte_values(v)
  local cal = type(v) == "table" and v.tempo_like_calendars
  if type(cal) ~= "table" then return nil end
  if type(cal.values) == "table" then return cal.values end
  local out = {}
  for _, block in ipairs(cal) do
    if type(block) ~= "table" or type(block.values) ~= "table" then return nil end
    for _, x in ipairs(block.values) do out[#out + 1] = x end
  end
  return out
end

-- RTE: days [a, b) in one request: day -> colour|false.
local function ask_rte(self, a, b)
  local ok, err = rte_token(self)
  if not ok then return nil, err end
  local v
  local path = ("%s?start_date=%s&end_date=%s"):format(M.RTE_CALENDARS_PATH, rte_stamp(a), rte_stamp(b))
  v, err = send(self, { path = path,
    headers = { Authorization = "Bearer " .. self.token, Accept = "application/json" } })
  if v == nil then
    if err.status == 401 then self.token = nil end
    return nil, err
  end
  local list = rte_values(v)
  if not list then return bad_answer(self, "no tempo_like_calendars values") end
  local got = {}
  for day = a, b - 1 do got[day] = false end
  for i, item in ipairs(list) do
    -- a day starting at 00:00 is the tariff day starting at 06:00 that date
    local date = type(item) == "table" and type(item.start_date) == "string"
      and item.start_date:match("^(%d%d%d%d%-%d%d%-%d%d)T00:00:00[+-]%d%d:%d%d$")
    local day = date and dates.day(date)
    local colour = type(item) == "table" and RTE_VALUES[item.value]
    if not (day and colour) then
      return bad_answer(self, ("value %d is not {start_date, value}"):format(i))
    end
    if got[day] == nil then return bad_answer(self, "a day outside the range asked: " .. date) end
    if got[day] then return bad_answer(self, "a day given twice: " .. date) end
    got[day] = colour
  end
  return got
end

-- Checks an answer against RTE's rules, with what is stored of its seasons: true | nil, err.
local function check_rules(self, handle, got)
  local seasons = {}
  for day, colour in pairs(got) do
    local name, first, last = rules.season(day)
    local s = seasons[name]
    if not s then
      s = { first = first, last = last, colours = {} }
      seasons[name] = s
    end
    if colour then s.colours[day] = colour end
  end
  for name, s in pairs(seasons) do
    local rows, err = stored(handle, s.first, s.last + 1)
    if not rows then return nil, err end
    local list = {}
    for day = s.first, s.last do
      local colour = s.colours[day] or (rows[day] and rows[day].colour)
      if colour then list[#list + 1] = { day = dates.format(day), colour = colour } end
    end
    local ok, why, rule, date = rules.check(list)
    if not ok then
      return bad_answer(self, ("the season %s breaks a rule: %s"):format(name, why),
        { rule = rule, date = date })
    end
  end
  return true
end

-- Stores an answer (days up to tomorrow): true | nil, err.
local function store(self, handle, got, now, t)
  local upsert = "INSERT INTO tempo_days (day, colour, source, provisional, settled, fetched)" ..
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (day) DO UPDATE SET" ..
    -- a known colour is never replaced by an unknown one (an outage answers code 0)
    " colour = coalesce(excluded.colour, tempo_days.colour)," ..
    " source = CASE WHEN excluded.colour IS NULL THEN tempo_days.source ELSE excluded.source END," ..
    " provisional = CASE WHEN excluded.colour IS NULL THEN 0 ELSE excluded.provisional END," ..
    " settled = excluded.settled, fetched = excluded.fetched" ..
    " WHERE tempo_days.colour IS NULL OR tempo_days.provisional = 1"
  return db_.transaction(handle, function()
    for day, colour in pairs(got) do
      if day <= t + 1 and day >= M.FIRST_DAY then
        local provisional = colour and now < final_from(day) and 1 or 0
        local settled = not colour and day <= t - M.SETTLE_AFTER and 1 or 0
        local ok, _, msg = handle:rows(upsert, day, colour or nil, self.source, provisional, settled, now)
        if not ok then return nil, msg end
      end
    end
    return true
  end)
end

-- RTE: the wanted days (sorted) in ranges of at most 366 days, one request each.
local function rte_requests(self, days)
  local out, from = {}, 1
  for i = 1, #days do
    if i == #days or days[i + 1] - days[from] >= 366 then
      local a, b = days[from], days[i] + 1
      out[#out + 1] = function() return ask_rte(self, a, b) end
      from = i + 1
    end
  end
  return out
end

-- The requests for the wanted days (sorted): functions that send one each and return the
-- answer, day -> colour|false. api-couleur-tempo: a season a request; RTE: 366 days a request.
local function requests_for(self, days)
  if self.source == "rte" then return rte_requests(self, days) end
  local by_season, order = {}, {}
  for _, day in ipairs(days) do
    local name = rules.season(day)
    if not by_season[name] then
      by_season[name] = {}
      order[#order + 1] = name
    end
    table.insert(by_season[name], day)
  end
  local out = {}
  for _, name in ipairs(order) do
    local list = by_season[name]
    local year = tonumber(name:match("^(%d+)"))
    out[#out + 1] = function() return ask_couleur(self, year, list) end
  end
  return out
end

-- A day's entry as the results give it.
local function entry(day, row)
  return { date = dates.format(day), colour = row and row.colour or nil,
           provisional = row ~= nil and row.provisional == 1, settled = row ~= nil and row.settled == 1 }
end

--- The colours of the tariff days [start, stop): those stored, and those asked of the source when
-- they are to be asked (see the module's header) and the source's ledger admits the requests.
-- @tparam string start the first tariff day, `"YYYY-MM-DD"`
-- @tparam string stop the day after the last one (excluded)
-- @tparam[opt] table copts `offline` (true: send nothing, the store alone)
-- @treturn table|nil a list of `{ date =, colour = "blue"|"white"|"red"|nil, provisional =,
-- settled = }` oldest first, with `requests` (requests sent) and `missing` (the dates without
-- a colour)
-- @treturn table the error that stopped the requests (`budget_exhausted`, a cool-down's
-- `rate_limited`/`server_error` with `from_state`, `invalid_response` for an answer that breaks
-- RTE's rules, the transport's kinds...), with `partial`, the list of what is stored; or
-- `invalid_argument`, `state_unavailable`
function Tempo:colours(start, stop, copts)
  check_open(self)
  local a, b = dates.day(start or ""), dates.day(stop or "")
  if not (a and b and a < b) then
    return invalid("start and stop must be dates YYYY-MM-DD, start before stop")
  end
  if b - a > 3660 then return invalid("at most ten years of colours at once") end
  local handle, err = db(self)
  if not handle then return nil, err end
  self.sent = 0
  if not (copts and copts.offline) then
    local rows
    rows, err = stored(handle, a, b)
    if not rows then return nil, err end
    local now, t = self.clock(), today(self)
    local want = {}
    for day = a, b - 1 do
      if wanted(rows[day], day, now, t) then want[#want + 1] = day end
    end
    err = nil
    for _, ask in ipairs(requests_for(self, want)) do
      local got
      got, err = ask()
      if got then
        local ok
        ok, err = check_rules(self, handle, got)
        if ok then _, err = store(self, handle, got, self.clock(), today(self)) end
      end
      if err then break end
    end
  end
  local rows, serr = stored(handle, a, b)
  if not rows then return nil, serr end
  local out = { requests = self.sent, missing = {} }
  for day = a, b - 1 do
    out[#out + 1] = entry(day, rows[day])
    if not rows[day] or not rows[day].colour then out.missing[#out.missing + 1] = dates.format(day) end
  end
  if err then
    err.partial = out
    return nil, err
  end
  return out
end

--- The source's budget report (as `Client:budget`'s): `{ used =, limit =, window =, retry_at =,
-- cooldown_until = }`.
-- @treturn table|nil the report
-- @treturn table a `state_unavailable` error
function Tempo:budget()
  check_open(self)
  local handle, err = db(self)
  if not handle then return nil, err end
  return self.ledger.report(handle, self.clock(), self.limit, M.BUDGET.window, self.witness())
end

--- `{ requests =, connects = }` of the source's connection.
function Tempo:stats()
  check_open(self)
  return self.http:stats()
end

--- Closes the connection and the state, and forgets the RTE token and credentials; idempotent.
function Tempo:close()
  if not self.http then return end
  self.http:close()
  self.http, self.token, self.credentials = nil, nil, nil
  if self.handle then self.handle:close() end
  self.handle = nil
end

Tempo.__close = Tempo.close
Tempo.__gc = Tempo.close

function Tempo:__tostring()
  return ("linky.Tempo: %s%s"):format(self.source, self.http and "" or " (closed)")
end

return M
