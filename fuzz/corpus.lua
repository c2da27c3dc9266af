--- Writes the fuzz target's seed bodies into fuzz/corpus/ from the emulator's synthetic data:
-- the bodies the C reader (csrc/points_reader.c) takes, beside the recorded fixtures: load curves
-- of the two DST days and daily bodies in both generations, a three-phase max-power body.
-- Usage (from the repository): LUA_PATH="./lua/?.lua;./?.lua;;" lua5.4 fuzz/corpus.lua
local emu = require "spec.support.emulator"

local PRM = "11111111111111"
local BODIES = {
  { "curve_2026_spring.json", "courbe_de_charge_consommation", "2025-03-30", "2025-03-31" },
  { "curve_2026_autumn.json", "courbe_de_charge_production", "2025-10-26", "2025-10-27" },
  { "curve_legacy_spring.json", "consumption_load_curve", "2025-03-30", "2025-03-31" },
  { "curve_legacy_autumn.json", "production_load_curve", "2025-10-26", "2025-10-27" },
  { "daily_2026.json", "consommation_quotidienne", "2025-10-20", "2025-11-03" },
  { "daily_legacy.json", "daily_consumption", "2025-10-20", "2025-11-03" },
  { "max_power_2026_phases.json", "puissance_conso_max_quotidienne", "2025-10-25", "2025-10-28",
    { physical = "TOUT" } },
}

for _, b in ipairs(BODIES) do
  local q = { prm = PRM, start = b[3], ["end"] = b[4] }
  for k, v in pairs(b[5] or {}) do q[k] = v end
  local f = assert(io.open("fuzz/corpus/" .. b[1], "wb"))
  f:write(emu.synthetic(b[2], q))
  f:close()
end
