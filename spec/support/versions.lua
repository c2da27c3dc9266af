-- What differs between the interpreters the suite runs on (Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT),
-- for specs that assert the same promise on each. Also registers `assert.is_integer(x[, msg])`:
-- an integer on 5.3 and later; before (and in LuaJIT), a number with an integral value below
-- 2^53 in magnitude, the integers a float holds exactly.
local luassert = require "luassert"
local say = require "say"
local compat = require "linky.compat"

local M = {}

M._VERSION = "0.1"

--- Running under LuaJIT (whose _VERSION is "Lua 5.1").
M.JIT = rawget(_G, "jit") ~= nil

--- The language version: "5.1" to "5.4" ("5.1" for LuaJIT).
M.VERSION = _VERSION:match("%d+%.%d+")

--- The Makefile's LUA_VERSION: "5.1" to "5.4", or "jit".
M.NAME = M.JIT and "jit" or M.VERSION

--- The interpreter running the suite, for child processes that load the module under test.
M.LUA = M.JIT and "luajit" or "lua" .. M.VERSION

--- Whether numbers have an integer subtype (Lua 5.3 and later).
M.INTEGERS = compat.INTEGERS

--- The largest magnitudes of a value linky decodes: int64's from 5.3, 2^53 - 1 before.
M.MAXINTEGER = math.maxinteger or 2 ^ 53 - 1
M.MININTEGER = math.mininteger or -(2 ^ 53 - 1)

--- An integer: see the header.
-- @param x any value
-- @treturn boolean
function M.is_integer(x)
  return compat.type(x) == "integer"
end

--- `table.pack`, `table.unpack`, `utf8.len` on every version (linky.compat's).
M.pack, M.unpack, M.utf8_len = compat.pack, compat.unpack, compat.utf8_len

--- `load(code, name, "t", env)` on every version (5.1 and LuaJIT: loadstring and setfenv).
-- @tparam string code a chunk
-- @tparam string name its name in messages
-- @tparam[opt] table env its global table
-- @return the function, or nil and a message
function M.load(code, name, env)
  if not rawget(_G, "setfenv") then return load(code, name, "t", env) end
  local f, err = loadstring(code, name)
  if f and env then setfenv(f, env) end
  return f, err
end

say:set("assertion.integer.positive", "Expected an integer value, got:\n%s")
say:set("assertion.integer.negative", "Expected a value that is not an integer, got:\n%s")
luassert:register("assertion", "integer", function(state, arguments)
  if arguments[2] ~= nil then state.failure_message = arguments[2] end
  return M.is_integer(arguments[1])
end, "assertion.integer.positive", "assertion.integer.negative")

return M
