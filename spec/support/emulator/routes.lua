-- GET /api/<type>: the checks in the order Conso API makes them (zod parameters, then the token,
-- then Enedis' own refusals relayed), each with its exact body, then the success body.
local bodies = require "spec.support.emulator.bodies"
local calendar = require "spec.support.emulator.calendar"
local catalogue = require "spec.support.emulator.catalogue"
local json = require "spec.support.emulator.json"
local token = require "spec.support.emulator.token"

local M = {}

--- The secret the emulator checks tokens with.
M.SECRET = "secret"

local concat, format = table.concat, string.format
local obj, arr = json.obj, json.arr
local CATALOGUE, zod = catalogue.CATALOGUE, catalogue.zod
local enedis, code_desc = catalogue.enedis, catalogue.code_desc
local TYPES, LEGACY, V2026 = bodies.TYPES, bodies.LEGACY, bodies.V2026
local parse_day = calendar.parse_day

-- The enum of types, in the server's order (zod lists it in this order).
local TYPE_ORDER = {
  "daily_consumption", "consumption_load_curve", "consumption_max_power", "daily_production",
  "production_load_curve", "consommation_quotidienne", "courbe_de_charge_consommation",
  "puissance_conso_max_quotidienne", "production_quotidienne", "courbe_de_charge_production",
  "index_consommation", "index_production",
}

local MAX_DAYS = { curve = 7, daily = 365, max = 365, index = 365 }

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

  local bearer = (req.headers.authorization or ""):match("^Bearer%s+(%S+)%s*$")
  if not bearer then return CATALOGUE.header_400() end
  local claims = token.verify(bearer, M.SECRET)
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
  local recorded = bodies.recorded(fixtures, type_name, q)
  if recorded then return 200, recorded end
  return 200, bodies.synthetic(type_name, q)
end

return M
