--- The seven data kinds and their Conso API types in both generations.
-- @module linky.kinds

-- Fields: `legacy`/`v2026` type names, `unit`, `max_days` per request,
-- `load_curve` (timestamps end an interval with a step), and what the 2026 body
-- calls it: `metier` (CONS/PROD), `measure` (grandeurPhysique), `shape`.
local M = {
  daily_consumption = {
    legacy = "daily_consumption", v2026 = "consommation_quotidienne",
    unit = "Wh", max_days = 365, metier = "CONS", measure = "EA",
  },
  consumption_load_curve = {
    legacy = "consumption_load_curve", v2026 = "courbe_de_charge_consommation",
    unit = "W", max_days = 7, load_curve = true, metier = "CONS", measure = "PA",
  },
  consumption_max_power = {
    legacy = "consumption_max_power", v2026 = "puissance_conso_max_quotidienne",
    unit = "VA", max_days = 365, metier = "CONS", measure = "PMA",
  },
  daily_production = {
    legacy = "daily_production", v2026 = "production_quotidienne",
    unit = "Wh", max_days = 365, metier = "PROD", measure = "EA",
  },
  production_load_curve = {
    legacy = "production_load_curve", v2026 = "courbe_de_charge_production",
    unit = "W", max_days = 7, load_curve = true, metier = "PROD", measure = "PA",
  },
  consumption_index = {
    v2026 = "index_consommation", unit = "Wh", max_days = 365,
    metier = "CONS", measure = "EA", shape = "index",
  },
  production_index = {
    v2026 = "index_production", unit = "Wh", max_days = 365,
    metier = "PROD", measure = "EA", shape = "index",
  },
}

for _, k in pairs(M) do k.load_curve = k.load_curve == true end

return M
