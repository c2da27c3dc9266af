--- What Lua 5.3 and 5.4 have and Lua 5.1, 5.2 and LuaJIT lack, for the modules of linky.
-- Where the standard function exists it is the one given. Before 5.3 every number is a float:
-- an integer is a number with an integral value, exact below 2^53 in magnitude (the C core
-- refuses larger values rather than round them).
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.compat
local M = {}

M._VERSION = require "linky.version"

local floor, byte, char, select = math.floor, string.byte, string.char, select
local EXACT = 2 ^ 53

--- Whether numbers have an integer subtype (Lua 5.3 and later).
M.INTEGERS = math.type ~= nil

-- Before 5.3: a number with an integral value that the float holds exactly.
local function integral(x)
  return type(x) == "number" and x == floor(x) and x > -EXACT and x < EXACT
end

--- `math.tointeger`; before 5.3, `x` when it is a number with an integral value below 2^53 in
-- magnitude, else nil.
-- @function tointeger
-- @param x any value
-- @treturn number|nil
M.tointeger = math.tointeger or function(x)
  if integral(x) then return x end
  return nil
end

--- `math.type`; before 5.3, "integer" for a number with an integral value below 2^53 in
-- magnitude, "float" for another number, nil for anything else.
-- @function type
-- @param x any value
-- @treturn string|nil
M.type = math.type or function(x)
  if type(x) ~= "number" then return nil end
  return integral(x) and "integer" or "float"
end

--- `n // d, n % d` for integers below 2^53 in magnitude, exact on every Lua (5.1 has no `//`):
-- the float quotient is off by at most one, which the remainder corrects.
-- @tparam number n an integer
-- @tparam number d a positive integer
-- @treturn number q, the largest integer with q * d <= n
-- @treturn number r = n - q * d, with 0 <= r < d
function M.divmod(n, d)
  local q = floor(n / d)
  local r = n - q * d
  if r < 0 then q, r = q - 1, r + d
  elseif r >= d then q, r = q + 1, r - d end
  return q, r
end

--- `table.move`.
-- @function move
M.move = table.move or function(a1, f, e, t, a2)
  a2 = a2 or a1
  if e >= f then
    if t > e or t <= f or a1 ~= a2 then
      for i = 0, e - f do a2[t + i] = a1[f + i] end
    else
      for i = e - f, 0, -1 do a2[t + i] = a1[f + i] end
    end
  end
  return a2
end

--- `table.pack`.
-- @function pack
M.pack = table.pack or function(...)
  return { n = select("#", ...), ... }
end

--- `table.unpack` (`unpack` before 5.2).
-- @function unpack
M.unpack = table.unpack or unpack

-- Length of the UTF-8 sequence that starts at byte i of s (Lua 5.4's strict decoding: no
-- overlong form, no surrogate, nothing past U+10FFFF), or nil.
local function sequence(s, i)
  local c = byte(s, i)
  if c < 0x80 then return 1 end
  local n, min, code
  if c >= 0xC2 and c <= 0xDF then n, min, code = 2, 0x80, c - 0xC0
  elseif c >= 0xE0 and c <= 0xEF then n, min, code = 3, 0x800, c - 0xE0
  elseif c >= 0xF0 and c <= 0xF4 then n, min, code = 4, 0x10000, c - 0xF0
  else return nil end
  for k = 1, n - 1 do
    local b = byte(s, i + k)
    if not b or b < 0x80 or b > 0xBF then return nil end
    code = code * 64 + (b - 0x80)
  end
  if code < min or code > 0x10FFFF or (code >= 0xD800 and code <= 0xDFFF) then return nil end
  return n
end

--- `utf8.len(s [, i [, j]])`: the number of characters of bytes i to j, or nil and the position
-- of the first byte that starts no valid sequence.
-- @function utf8_len
M.utf8_len = rawget(_G, "utf8") and utf8.len or function(s, i, j)
  i, j = i or 1, j or -1
  if i < 0 then i = #s + i + 1 end
  if j < 0 then j = #s + j + 1 end
  local n = 0
  while i <= j do
    local size = sequence(s, i)
    if not size then return nil, i end
    i, n = i + size, n + 1
  end
  return n
end

--- `utf8.char(...)`: the UTF-8 bytes of code points 0 to 0x10FFFF.
-- @function utf8_char
M.utf8_char = rawget(_G, "utf8") and utf8.char or function(...)
  local out = {}
  for k = 1, select("#", ...) do
    local c = select(k, ...)
    assert(type(c) == "number" and c >= 0 and c <= 0x10FFFF and c == floor(c), "value out of range")
    if c < 0x80 then out[k] = char(c)
    elseif c < 0x800 then out[k] = char(0xC0 + floor(c / 0x40), 0x80 + c % 0x40)
    elseif c < 0x10000 then
      out[k] = char(0xE0 + floor(c / 0x1000), 0x80 + floor(c / 0x40) % 0x40, 0x80 + c % 0x40)
    else
      out[k] = char(0xF0 + floor(c / 0x40000), 0x80 + floor(c / 0x1000) % 0x40, 0x80 + floor(c / 0x40) % 0x40,
        0x80 + c % 0x40)
    end
  end
  return table.concat(out)
end

return M
