--- One call's arguments checked, and what it needs to build its requests and decode their
-- answers: its kind resolved in the client's API generation, its PRM granted by the token, its
-- dates and options valid.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.call
local compat = require "linky.compat"
local dates = require "linky.dates"
local errors = require "linky.errors"
local kinds = require "linky.kinds"
local options = require "linky.options"

local M = {}

local function invalid(message)
  return nil, errors.new("invalid_argument", message)
end

-- Per-call options and their types.
local CALL_OPTIONS = { prm = "string", keep_responses = "boolean", step = "string", measure = "string",
                       refresh = "boolean", progress = "function", max_requests = "number",
                       reserve = "number", offline = "boolean" }
-- The call options that are counts of requests.
local COUNT_OPTIONS = { "max_requests", "reserve" }
local STEPS = { P1D = true, P1M = true }
local MEASURES = { PMA = true, TOUT = true }

-- Resolves a kind given as our name or as a raw type of the client's generation.
function M.resolve_kind(api, name)
  if kinds[name] then return name, kinds[name] end
  local field = api == "legacy" and "legacy" or "v2026"
  for k, spec in pairs(kinds) do
    if spec[field] == name then return k, spec end
  end
  return nil
end

-- The options of a call given none: shared, since no one writes into a call's options.
local NO_OPTIONS = {}

local function check_call_options(kind, api, copts, how)
  if copts == nil then return NO_OPTIONS end
  if type(copts) ~= "table" then
    error(("bad argument #%d to '%s' (table expected, got %s)"):format(how.opts, how.name, type(copts)), 5)
  end
  local unknown = options.check_types(copts, CALL_OPTIONS, 5)
  if unknown then return nil, ("unknown call option '%s'"):format(unknown) end
  if copts.step or copts.measure then
    if kind ~= "consumption_max_power" or api ~= "2026" then
      return nil, "options 'step' and 'measure' apply to consumption_max_power in 2026 mode"
    end
    if copts.step and not STEPS[copts.step] then return nil, "option 'step' must be \"P1D\" or \"P1M\"" end
    if copts.measure and not MEASURES[copts.measure] then
      return nil, "option 'measure' must be \"PMA\" or \"TOUT\""
    end
  end
  return copts
end

local function check_date(v, position, fname)
  local t = type(v)
  if t ~= "string" and t ~= "table" then
    error(("bad argument #%d to '%s' (string or table expected, got %s)"):format(position, fname, t), 5)
  end
  return dates.call_day(v)
end

-- The decode spec of each kind, API generation and `keep_responses`, built once: it is the same
-- for every call of them, and core.decode only reads it.
local DECODE_SPECS = {}
for kind, spec in pairs(kinds) do
  DECODE_SPECS[kind] = {}
  for _, api in ipairs { "legacy", "2026" } do
    local by_keep = {}
    for _, keep in ipairs { false, true } do
      by_keep[keep] = {
        shape = api == "legacy" and "legacy" or spec.shape or "2026",
        metier = spec.metier, measure = spec.measure, curve = spec.load_curve,
        keep = keep or nil,
      }
    end
    DECODE_SPECS[kind][api] = by_keep
  end
end

-- What one call needs to build its requests and decode their answers.
function M.new(self, kind, spec, prm, call_opts)
  local step, measure = call_opts.step, call_opts.measure
  local daily = (step or "P1D") == "P1D"
  return {
    api = self.api, kind = kind, prm = prm, step = step, measure = measure,
    type = self.api == "legacy" and spec.legacy or spec.v2026,
    decode_spec = DECODE_SPECS[kind][self.api][call_opts.keep_responses == true],
    -- the store holds daily-granular points (and the time classes of the index kinds)
    storable = daily and (measure or "PMA") == "PMA",
    index = spec.shape == "index",
    daily = daily,
  }
end

-- The calls without options of each client (weak: they go with it), by kind and PRM.
local plain_calls = setmetatable({}, { __mode = "k" })

-- The call without options of a kind and PRM: one serves every such call of the client, since no
-- one writes into a call (one fewer table of ten fields a call).
local function plain_call(self, kind, spec, prm)
  local of_client = plain_calls[self]
  if not of_client then
    of_client = {}
    plain_calls[self] = of_client
  end
  local of_kind = of_client[kind]
  if not of_kind then
    of_kind = {}
    of_client[kind] = of_kind
  end
  local c = of_kind[prm]
  if not c or c.api ~= self.api then -- `api` is a field of the client
    c = M.new(self, kind, spec, prm, NO_OPTIONS)
    of_kind[prm] = c
  end
  return c
end

function M.check_prm(self, prm)
  local prms = self.prms
  for i = 1, #prms do
    if prms[i] == prm then return prm end
  end
  return nil, "PRM " .. prm:sub(1, 20) .. " is not granted by this token"
end

--- Checks a call's arguments (raising like the standard library does for a method's wrong
-- types: the position counts the method's own arguments).
-- @tparam table self the client
-- @tparam table st its session
-- @tparam table how the method: `name`, `first` (the position of its first day), `opts` (of its
-- options), `reserve` (whether it takes that option)
-- @treturn table|nil call, then spec, first, last, call options
-- @treturn table the `invalid_argument` error
function M.prepare(self, st, how, name, start, stop, copts)
  local first, why = check_date(start, how.first, how.name)
  local last, why2 = check_date(stop, how.first + 1, how.name)
  local kind, spec = M.resolve_kind(self.api, name)
  local call_opts, why3 = check_call_options(kind, self.api, copts, how)
  if not kind then return invalid(("unknown kind %q for the %s API"):format(name, self.api)) end
  if self.api == "legacy" and not spec.legacy then
    return invalid(kind .. " does not exist in the legacy API (use api = \"2026\")")
  end
  if not call_opts then return invalid(why3) end
  if not first then return invalid("start: " .. why) end
  if not last then return invalid("end: " .. why2) end
  if first >= last then return invalid("start must be before end (end is excluded)") end
  local today = st:today()
  if first > today then return invalid("start is after today (" .. dates.format(today) .. ")") end
  local prm, why4 = M.check_prm(self, call_opts.prm or self.prm)
  if not prm then return invalid(why4) end
  for i = 1, #COUNT_OPTIONS do
    local name_ = COUNT_OPTIONS[i]
    local n = call_opts[name_]
    if n and not (compat.tointeger(n) and n >= 0) then
      return invalid(("option '%s' must be an integer >= 0"):format(name_))
    end
  end
  if call_opts.reserve and not how.reserve then
    return invalid("option 'reserve' is for backfill (and plan) only")
  end
  if call_opts == NO_OPTIONS then return plain_call(self, kind, spec, prm), spec, first, last, call_opts end
  return M.new(self, kind, spec, prm, call_opts), spec, first, last, call_opts
end

-- Options of `client:update`.
local UPDATE_OPTIONS = { since = { "string", "table" }, prm = "string", max_requests = "number",
                         progress = "function" }

--- Checks the arguments of `client:update` (raising like the standard library for wrong types).
-- @treturn table|nil the call, then the kind's spec, the `since` day (or nil) and the result of
-- an update that has nothing to ask
-- @treturn table the `invalid_argument` error
function M.prepare_update(self, st, kind, opts)
  local unknown = opts and options.check_types(opts, UPDATE_OPTIONS, 4)
  if unknown then return invalid(("unknown update option '%s'"):format(unknown)) end
  local uopts = opts or {}
  local name = kind
  local spec
  kind, spec = M.resolve_kind(self.api, name)
  if not kind then return invalid(("unknown kind %q for the %s API"):format(name, self.api)) end
  if self.api == "legacy" and not spec.legacy then
    return invalid(kind .. " does not exist in the legacy API (use api = \"2026\")")
  end
  if not st.cache then return invalid("update needs the store: cache = false or state = false was given") end
  local c = M.new(self, kind, spec, uopts.prm or self.prm, {})
  local prm, why = M.check_prm(self, c.prm)
  if not prm then return invalid(why) end
  local since
  if uopts.since then
    local why2
    since, why2 = dates.call_day(uopts.since)
    if not since then return invalid("since: " .. why2) end
  end
  local n = uopts.max_requests
  if n and not (compat.tointeger(n) and n >= 0) then
    return invalid("option 'max_requests' must be an integer >= 0")
  end
  return c, spec, since, { prm = prm, kind = kind, api = self.api, type = c.type, unit = spec.unit,
    requests = 0, cached = 0, points = {}, gaps = {}, days_new = 0, days_corrected = 0 }
end

return M
