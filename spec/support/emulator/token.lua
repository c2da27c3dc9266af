-- HS256 JSON Web Tokens for the specs (minting) and the emulator (checking): HMAC-SHA256 from
-- luaossl, base64 from luasocket's mime (turned into base64url here), JSON from lua-dkjson.
local hmac = require "openssl.hmac"
local mime = require "mime"
local dkjson = require "dkjson"

local M = {}

M._VERSION = "0.2"

local format = string.format

local TO_URL = { ["+"] = "-", ["/"] = "_", ["="] = "" }
local FROM_URL = { ["-"] = "+", ["_"] = "/" }

--- base64url encoding without padding (RFC 7515 §2).
-- @tparam string s bytes
-- @treturn string encoded text
function M.b64url_encode(s)
  return ((mime.b64(s) or ""):gsub("[+/=]", TO_URL))
end

--- base64url decoding; padding optional, the standard alphabet accepted too.
-- @tparam string s encoded text
-- @treturn[1] string decoded bytes
-- @treturn[2] nil
function M.b64url_decode(s)
  s = s:gsub("=+$", "")
  if #s % 4 == 1 or s:find("[^%w%-_+/]") then return nil end
  return mime.unb64(s:gsub("[-_]", FROM_URL) .. ("="):rep(-#s % 4)) or ""
end

--- HMAC-SHA256 (the 32-byte binary MAC).
function M.hmac_sha256(key, msg)
  return hmac.new(key, "sha256"):final(msg)
end

-- Payload tables as the test tokens spell them: claims iat, exp, sub first and the other keys
-- sorted; integral numbers without a fraction, other floats with 17 digits; a table with no
-- key or a list part is an array.
local CLAIM_ORDER = { iat = 1, exp = 2, sub = 3 }

local function by_claim(a, b)
  local oa, ob = CLAIM_ORDER[a] or 99, CLAIM_ORDER[b] or 99
  if oa ~= ob then return oa < ob end
  return a < b
end

-- (In the Lua of every version: the specs load this module whatever their interpreter; before
-- 5.3 every number is a float, and one with an integral value is written as an integer.)
local mtype = math.type
local function claims(v)
  if type(v) == "number" and not (mtype and mtype(v) == "integer") then
    local text = (v == math.floor(v) and math.abs(v) < 2 ^ 53) and format("%.0f", v) or format("%.17g", v)
    return setmetatable({}, { __tojson = function() return text end })
  elseif type(v) ~= "table" then
    return v
  elseif #v > 0 or next(v) == nil then
    local list = {}
    for i = 1, #v do list[i] = claims(v[i]) end
    return list
  end
  local keys, object = {}, {}
  for k, x in pairs(v) do
    keys[#keys + 1] = tostring(k)
    object[tostring(k)] = claims(x)
  end
  table.sort(keys, by_claim)
  return setmetatable(object, { __jsontype = "object", __jsonorder = keys })
end

-- JSON text -> value (null -> nil), or nil; trailing bytes are refused.
local function decode(s)
  if not s then return nil end
  local ok, v, pos = pcall(dkjson.decode, s)
  if not ok or v == nil or not s:find("^%s*$", pos) then return nil end
  return v
end

local HEADER = '{"alg":"HS256"}'

--- Sign a payload as an HS256 JWT with header exactly `{"alg":"HS256"}`.
-- @tparam table|string payload a table (encoded to JSON) or the exact JSON text to sign
-- @tparam string secret HMAC key
-- @treturn string the token
function M.sign(payload, secret)
  if type(payload) == "table" then payload = dkjson.encode(claims(payload)) end
  assert(type(payload) == "string", "payload must be a table or a JSON string")
  assert(type(secret) == "string", "secret must be a string")
  local input = M.b64url_encode(HEADER) .. "." .. M.b64url_encode(payload)
  return input .. "." .. M.b64url_encode(M.hmac_sha256(secret, input))
end

--- Verify an HS256 JWT and return its payload.
-- Checks the signature and the header's `alg`; `exp` only when `now` is given.
-- @tparam string token the JWT
-- @tparam string secret HMAC key
-- @tparam[opt] number now current time (seconds); when given, a payload whose `exp` is before it fails
-- @treturn[1] table the decoded payload
-- @treturn[2] nil
-- @treturn[2] string reason ("malformed", "bad header", "bad signature", "bad payload", "expired")
function M.verify(token, secret, now)
  if type(token) ~= "string" then return nil, "malformed" end
  local h, p, s = token:match("^([%w_%-]+)%.([%w_%-]+)%.([%w_%-]+)$")
  if not h then return nil, "malformed" end
  local header = decode(M.b64url_decode(h))
  if type(header) ~= "table" or header.alg ~= "HS256" then return nil, "bad header" end
  if M.b64url_decode(s) ~= M.hmac_sha256(secret, h .. "." .. p) then return nil, "bad signature" end
  local payload = decode(M.b64url_decode(p))
  if type(payload) ~= "table" then return nil, "bad payload" end
  if now and (type(payload.exp) ~= "number" or payload.exp < now) then return nil, "expired" end
  return payload
end

return M
