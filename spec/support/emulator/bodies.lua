-- Success bodies: the recorded fixtures, served verbatim for their exact range, and synthetic
-- bodies shaped like them (both API generations, conso-api.md §2) for any other request.
local cjson = require "cjson.safe"
local calendar = require "spec.support.emulator.calendar"
local data = require "spec.support.emulator.data"
local json = require "spec.support.emulator.json"

local M = {}

local format = string.format
local obj, arr, encode = json.obj, json.arr, json.encode
local day_string, paris_label, parse_day = calendar.day_string, calendar.paris_label, calendar.parse_day
local civil_from_days = calendar.civil_from_days
local daily_consumption, daily_production = data.daily_consumption, data.daily_production
local consumption_curve, production_curve = data.consumption_curve, data.production_curve
local max_power, phase_max, meter_index = data.max_power, data.phase_max, data.meter_index

local LEGACY, V2026 = "legacy", "v2026"
M.LEGACY, M.V2026 = LEGACY, V2026

--- API type -> {gen, kind, what}: gen "legacy" | "v2026", kind "daily" | "curve" | "max" | "index",
-- what "consumption" | "production".
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
  return encode(obj("usage_point_id", prm, "start", q.start, "end", q["end"], "quality", "BRUT",
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
  return encode(obj("idPrm", q.prm, "periode", obj("dateDebut", q.start, "dateFin", q["end"]),
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
    return encode(obj("idPrm", prm, "etapeMetier", "BRUT", "periode", periode, "typeValeur", "GLOBALE",
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
    return encode(obj("idPrm", prm, "etapeMetier", "BRUT", "periode", periode, "modeCalcul", "MESURE",
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
  return encode(obj("idPrm", prm, "etapeMetier", "BRUT", "periode", periode, "modeCalcul", "MESURE",
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

--- A whole file's bytes, or nil when it cannot be read.
function M.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local bytes = f:read("a")
  f:close()
  return bytes
end
local read_file = M.read_file

local fixture_ranges = {} -- path -> {start, end} | false, read once

--- The recorded body for this exact request, or nil.
-- @tparam string fixtures folder of legacy/ and v2026/ recordings
-- @tparam string type_name API type
-- @tparam table q validated query {prm, start, end, step, physical}
function M.recorded(fixtures, type_name, q)
  local spec = TYPES[type_name]
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

return M
