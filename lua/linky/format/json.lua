--- The JSON renderer: lua-dkjson (Debian lua-dkjson) writes the result, keys in a stable order.
-- The one layout added here is one record a line: a list of points, periods or gaps is given a
-- `__tojson` metamethod (dkjson's hook for custom encodings) that encodes each record with
-- dkjson and puts it on a line of its own.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.format.json
local compat = require "linky.compat"
local dkjson = require "dkjson"

local M = {}

-- Keys in this order first (one order fits results, points, periods, gaps and errors), then the
-- others sorted.
local ORDER = { "prm", "kind", "api", "type", "date", "start", "end", "time", "value", "step", "nature",
  "energy_wh", "count", "min", "max", "unit", "quality", "requests", "cached", "partial", "error",
  "reason", "settled", "message", "gaps", "by", "points", "series", "classes" }
local RANK = {}
for i, k in ipairs(ORDER) do RANK[k] = i end

local function before(a, b)
  local ra, rb = RANK[a], RANK[b]
  if ra and rb then return ra < rb end
  if ra or rb then return ra ~= nil end
  return a < b
end

-- dkjson writes what JSON cannot hold (a function...) as a string saying so, and never raises.
local function encode(x, indent)
  return dkjson.encode(x, { indent = indent, exception = dkjson.encodeexception })
end

local function is_point(t) return t.time ~= nil and (t.date ~= nil or t.start ~= nil) end

-- A number as every Lua version writes it (dkjson uses tostring, whose "3.0" of 5.3 and later is
-- "3" before, and whose 1e+14 before 5.3 is 100000000000000 after): an integral float below 2^53
-- in magnitude is written as an integer, -0 as 0.
local EXACT = 2 ^ 53
local function number(x)
  if x == 0 then return 0 end
  if not (x > -EXACT and x < EXACT) then return x end
  local i = compat.tointeger(x)
  if not i then return x end
  if compat.INTEGERS or (i > -1e14 and i < 1e14) then return i end
  local text = ("%d"):format(i) -- tostring would write 1e+14
  return setmetatable({}, { __tojson = function() return text end })
end

local prepare

-- A list of records at `level` (2 spaces each): one record a line.
local function record_lines(list, level, seen)
  local items = {}
  for i, r in ipairs(list) do items[i] = encode(prepare(r, 0, seen, true)) end
  local pad = ("  "):rep(level + 1)
  local text = "[\n" .. pad .. table.concat(items, ",\n" .. pad) .. "\n" .. ("  "):rep(level) .. "]"
  return setmetatable({}, { __tojson = function() return text end })
end

-- A copy of `x` that dkjson writes as we want it: each object with its key order
-- (`__jsonorder`), keys as strings, a point's nil value as null, a table with a first element as
-- a list (its other keys dropped), a list of tables one a line (unless `inline`).
-- `level` is the depth of the line `x` starts on.
prepare = function(x, level, seen, inline)
  if type(x) == "number" then return number(x) end
  if type(x) ~= "table" or x == dkjson.null then return x end
  if seen[x] then return "<reference cycle>" end
  seen[x] = true
  local out
  if x[1] ~= nil then
    if type(x[1]) == "table" and x[1] ~= dkjson.null and not inline then
      out = record_lines(x, level, seen)
    else
      out = {}
      for i, e in ipairs(x) do out[i] = prepare(e, level + 1, seen, inline) end
    end
  else
    out = {}
    local keys = {}
    for k, e in pairs(x) do
      k = tostring(k)
      keys[#keys + 1] = k
      out[k] = prepare(e, level + 1, seen, inline)
    end
    if is_point(x) and x.value == nil then
      out.value = dkjson.null
      keys[#keys + 1] = "value"
    end
    table.sort(keys, before)
    setmetatable(out, { __jsonorder = keys })
  end
  seen[x] = nil
  return out
end

--- One record as one line of JSON (no line end), its keys in the order of `keys`; a key whose
-- value is nil is left out (give `json.null` for a JSON null). Numbers as `json` writes them.
-- @tparam table t the record
-- @tparam {string,...} keys the keys, in order
-- @treturn string
function M.line(t, keys)
  local out, order = {}, {}
  for _, k in ipairs(keys) do
    if t[k] ~= nil then
      out[k] = prepare(t[k], 0, {}, true)
      order[#order + 1] = k
    end
  end
  return encode(setmetatable(out, { __jsonorder = order }))
end

--- The JSON null of `line`.
M.null = dkjson.null

--- JSON of a view: the result without `responses`, points always an array, nil values as null,
-- keys in a stable order, one point (and one gap) a line; with `by`, `points` holds the periods.
-- A missing day adds nothing: the points are the result's. With `opts.error` (a failed call
-- whose partial result is written), `"partial": true` and `"error": {"kind", "message"}`.
-- @tparam table v a view
-- @tparam[opt] table opts `error`: the error of the call (a table with `kind` and `message`)
-- @treturn string
function M.json(v, opts)
  local err = opts and opts.error
  if err ~= nil and type(err) ~= "table" then
    error(("bad option 'error' to 'json' (table expected, got %s)"):format(type(err)), 2)
  end
  local out = {}
  for k, x in pairs(v.res) do
    if k ~= "responses" then out[k] = x end
  end
  local points = {}
  for i, r in ipairs(v.rows) do
    if v.by then
      points[i] = { start = r.start, time = r.time, value = r.value, count = r.count,
        min = r.min, max = r.max }
    else
      local p = {}
      for k, x in pairs(v.res.points[i]) do p[k] = x end
      p.energy_wh = r.energy
      points[i] = p
    end
  end
  out.points, out.by, out.unit = points, v.by, v.unit
  if err then out.partial, out.error = true, { kind = err.kind, message = err.message } end
  return encode(prepare(out, 0, {}), true) .. "\n"
end

return M
