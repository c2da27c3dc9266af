--- Writes the benchmark's response bodies into a folder, from the emulator's synthetic data:
-- one-day daily bodies in both generations, and two years of 30-minute load curve (35,040 points).
-- Usage: lua5.4 bench/bodies.lua <folder>
local emu = require "spec.support.emulator"

local PRM = "11111111111111"
local dir = assert(arg[1], "usage: bodies.lua <folder>")

local function write(name, type_name, start, stop)
  local f = assert(io.open(dir .. "/" .. name, "wb"))
  f:write(emu.synthetic(type_name, { prm = PRM, start = start, ["end"] = stop }))
  f:close()
end

write("daily_legacy.json", "daily_consumption", "2025-12-31", "2026-01-01")
write("daily_2026.json", "consommation_quotidienne", "2025-12-31", "2026-01-01")
-- 730 days; the spring and autumn days of 46 and 50 half-hours balance out
write("curve_2y.json", "courbe_de_charge_consommation", "2024-03-01", "2026-03-01")
