-- JSON output for the emulator, through lua-dkjson. Key order matters: synthetic bodies must read
-- like the recordings, so objects carry their key order (dkjson's __jsonorder), and an empty
-- table is an array (`[]`) unless built as an object.
local dkjson = require "dkjson"

local M = {}

--- The JSON null value.
M.null = dkjson.null

local ARRAY = { __jsontype = "array" }

-- One metatable per key sequence, shared by every object of that shape (a load curve's points).
local shapes = {}

local function shape(keys)
  local id = table.concat(keys, "\0")
  local mt = shapes[id]
  if not mt then
    mt = { __jsontype = "object", __jsonorder = keys }
    shapes[id] = mt
  end
  return mt
end

--- An object whose keys keep the order given; nil values are left out.
-- @usage obj("status", 400, "message", "Paramètres invalides")
function M.obj(...)
  local t, keys = {}, {}
  for i = 1, select("#", ...), 2 do
    local k, v = select(i, ...)
    if v ~= nil then
      keys[#keys + 1] = k
      t[k] = v
    end
  end
  return setmetatable(t, shape(keys))
end

--- A list, encoded as an array even when empty.
-- @tparam[opt] table t the list (its metatable is replaced)
function M.arr(t)
  return setmetatable(t or {}, ARRAY)
end

--- An object whose keys are written sorted (log entries, decoded parameters and headers).
-- @tparam table t a table with string keys (its metatable is replaced)
function M.sorted(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return setmetatable(t, { __jsontype = "object", __jsonorder = keys })
end

--- Encode a value as compact JSON; non-ASCII UTF-8 goes out raw, as Node's JSON.stringify does.
-- @param v value built with obj, arr, sorted, strings, integers, booleans and null
-- @treturn string JSON text
function M.encode(v)
  return dkjson.encode(v)
end

return M
