-- Lua side of the fuzz target (fuzz/fuzz_core.c): returns the function each input goes through.
-- Every call is one that linky makes on bytes from the network, the user's token or the files
-- the user gives (a CRE tariff file).
package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
local core = require "linky.core"
local cost = require "linky.cost"
local cre = require "linky.cre"
local errors = require "linky.errors"
local kinds = require "linky.kinds"
local token = require "linky.token"

-- A decode spec per distinct body shape, as lua/linky/init.lua builds them: legacy daily and
-- curve, 2026 daily (kept and not), curve and max power, index. (Kinds differ only in names past
-- that.) Those not kept, but the index, go through the C reader (csrc/points_reader.c).
local specs = {}
for _, name in ipairs { "daily_consumption", "consumption_load_curve", "consumption_max_power",
                        "consumption_index" } do
  local k = kinds[name]
  specs[#specs + 1] = { shape = k.shape or "2026", metier = k.metier, measure = k.measure,
                        curve = k.load_curve }
  if k.legacy and name ~= "consumption_max_power" then
    specs[#specs + 1] = { shape = "legacy", metier = k.metier, curve = k.load_curve }
  end
end
specs[#specs + 1] = { shape = "2026", metier = "CONS", measure = "EA", keep = true }

local function same(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

-- The C reader against lua-cjson and the walk (the path it falls back to): the same result, or
-- the same failure. A difference raises, which the fuzz target reports as a finding.
local function decode_both(data, spec)
  local r1, k1, m1 = core.decode(data, spec)
  if spec.keep or spec.shape == "index" then return end
  local old = { reader = "cjson" }
  for k, v in pairs(spec) do old[k] = v end
  local r2, k2, m2 = core.decode(data, old)
  if not same(r1, r2) or k1 ~= k2 or m1 ~= m2 then
    error(("the C reader and lua-cjson differ (%s): %s %s / %s %s"):format(spec.shape,
      tostring(k1), tostring(m1), tostring(k2), tostring(m2)))
  end
end

local CRE_HEADERS = {
  "DATE_DEBUT;DATE_FIN;P_SOUSCRITE;PART_FIXE_HT;PART_FIXE_TTC;PART_VARIABLE_HT;PART_VARIABLE_TTC\n",
  "DATE_DEBUT;DATE_FIN;P_SOUSCRITE;PART_FIXE_TTC;PART_VARIABLE_HC_TTC;PART_VARIABLE_HP_TTC\n",
}

-- `payload` is `data` base64url-encoded (by the C side): a token whose payload is the input.
return function(data, payload)
  for _, spec in ipairs(specs) do decode_both(data, spec) end
  core.json_decode(data) -- the other services' bodies (Tempo colours, RTE, InfluxDB errors)
  token.decode(data)
  token.decode("eyJhbGciOiJIUzI1NiJ9." .. payload .. ".c2lnbmF0dXJl")
  errors.from_response(400, data, "GET /api/fuzz")
  errors.from_response(403, data, "GET /api/fuzz")
  core.base64url_decode(data)
  core.to_epoch(data)
  core.day_number(data)
  core.duration(data)
  -- a CRE file: the input as it is, and after a header of each option so that its rows are read
  cre.tariff(data, 9)
  cre.tariff(data, 9, { hc = { "22:00-06:00" } })
  for _, header in ipairs(CRE_HEADERS) do
    local t = cre.tariff(header .. data, 9, { hc = { "22:00-06:00" } })
    if t then assert(cost.check(t)) end -- what the parser accepts, the pricing accepts
  end
end
