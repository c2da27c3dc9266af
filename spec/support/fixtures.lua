-- Recorded Conso API bodies (spec/fixtures/recorded), and their raw points
-- decoded by cjson alone, independently of linky's decoder.
local cjson = require "cjson"
local emu = require "spec.support.emulator_spec_helper"

local M = {}

M.read = emu.fixture

function M.raw_points(relative)
  local t = cjson.decode(M.read(relative))
  if t.interval_reading then return t.interval_reading, "value", "date" end
  return t.grandeur[1].points, "v", "d"
end

return M
