--- `linky tariff`: a CRE open-data file of the regulated tariffs turned into a linky tariff (JSON)
-- of one power, every dated period, prices written exactly as the file gives them. Sends nothing.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cli.tariff
local dkjson = require "dkjson"
local cost = require "linky.cli.cost"
local output = require "linky.cli.output"

local M = {}

local KEYS = { "name", "source", "option", "day_starts", "ends", "periods", "classes", "from",
               "subscription_year", "prices", "colour", "hours", "blue_hc", "blue_hp", "white_hc", "white_hp",
               "red_hc", "red_hp", "hc", "hp", "base" }

-- A decimal string written as a JSON number, digit for digit (dkjson writes what __tojson returns).
local RAW = { __tojson = function(self) return self[1] end }
local function raw(s) return setmetatable({ s }, RAW) end

--- The tariff as JSON: its decimal strings written as numbers.
-- @tparam table tariff what `linky.cre.tariff` returned
-- @treturn string
function M.json(tariff)
  local periods = {}
  for i, p in ipairs(tariff.periods) do
    local prices = {}
    for k, v in pairs(p.prices) do prices[k] = raw(v) end
    periods[i] = { from = p.from, subscription_year = raw(p.subscription_year), prices = prices }
  end
  local out = {}
  for k, v in pairs(tariff) do out[k] = v end
  out.periods = periods
  return dkjson.encode(out, { indent = true, keyorder = KEYS }) .. "\n"
end

--- Runs `linky tariff`.
-- @tparam table self the command context
-- @treturn integer the exit code
function M.run(self)
  local a = self.args
  if not a.cre then return self:usage("tariff needs --cre FILE.csv --kva N") end
  local kva, code = cost.kva(self, a.kva)
  if not kva then return code end
  local tariff, checked = cost.read_cre(self, a.cre, kva, cost.hc(a.hc))
  if not tariff then return checked end
  return self:write(M.json(tariff)) and 0 or output.FILE
end

return M
