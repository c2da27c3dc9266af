-- Recorded Conso API bodies from ../shared/fixtures/recorded, read as raw bytes.
local cjson = require "cjson"

local M = {}

M.dir = os.getenv("LINKY_FIXTURES") or "../shared/fixtures/recorded"

function M.read(relative)
  local f = assert(io.open(M.dir .. "/" .. relative, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- The raw recorded points, decoded by cjson alone (independent of linky's decoder).
function M.raw_points(relative)
  local t = cjson.decode(M.read(relative))
  if t.interval_reading then return t.interval_reading, "value", "date" end
  return t.grandeur[1].points, "v", "d"
end

return M
