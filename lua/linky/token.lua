--- The Conso API token: a JWT whose payload lists the PRMs it grants.
-- Decoded locally, never verified (the signing secret is the server's).
-- Messages never quote the token.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.token
local cjson = require "cjson.safe"
local compat = require "linky.compat"
local core = require "linky.core"

local M = {}

local json = cjson.new()

--- Decodes a token's payload.
-- @tparam string token the JWT
-- @treturn table|nil `{prms=, iat=, exp=}`
-- @treturn string why the token is malformed
function M.decode(token)
  local h, p, s = token:match("^([%w_%-]+)%.([%w_%-]+)%.([%w_%-]+)$")
  if not (h and p and s) then
    return nil, "token is not a JWT (three base64url segments separated by dots)"
  end
  local raw = core.base64url_decode(p)
  local payload = raw and json.decode(raw)
  if type(payload) ~= "table" then return nil, "token payload is not base64url JSON" end
  local sub = payload.sub
  if type(sub) ~= "table" or #sub == 0 then
    return nil, "token payload has no PRM list ('sub' must be a non-empty array)"
  end
  local prms = {}
  for i, prm in ipairs(sub) do
    if type(prm) ~= "string" or not prm:match("^%d%d%d%d%d%d%d%d%d%d%d%d%d%d$") then
      return nil, ("token 'sub' entry %d is not a 14-digit PRM"):format(i)
    end
    prms[i] = prm
  end
  local function time(v) return type(v) == "number" and (compat.tointeger(v) or v) or nil end
  return { prms = prms, iat = time(payload.iat), exp = time(payload.exp) }
end

return M
