--- Modules loaded on first use: what a first call does not need (analysis, costs, comparison,
-- non-blocking mode, the command's subcommands, the output formats) is not read at `require`.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.lazy
local M = {}

M._VERSION = require "linky.version"

--- A stand-in for module `name`, required on the first read of one of its fields.
-- @tparam string name
-- @treturn table
function M.module(name)
  return setmetatable({}, { __index = function(proxy, key)
    local m = require(name)
    setmetatable(proxy, { __index = m })
    return m[key]
  end })
end

--- Gives `t` fields read on first use: `where[key] = { module, field }` (field defaults to key);
-- the first read requires the module and keeps the field in `t`, so later reads are plain.
-- @tparam table t
-- @tparam table where
-- @treturn table t
function M.fields(t, where)
  return setmetatable(t, { __index = function(_, key)
    local w = where[key]
    if w == nil then return nil end
    local v = require(w[1])[w[2] or key]
    rawset(t, key, v)
    return v
  end })
end

return M
