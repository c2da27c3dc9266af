-- Test-only HS256 JSON Web Tokens in pure Lua 5.4 (no C modules), so the emulator can check
-- and the specs can mint Conso API tokens without adding a crypto dependency.
local M = {}

M._VERSION = "0.1"

local byte, char, concat = string.byte, string.char, table.concat
local spack, sunpack = string.pack, string.unpack

-- SHA-256 round constants (FIPS 180-4, 4.2.2).
local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

local MASK = 0xffffffff

-- Lua integers are 64-bit: rotate within 32 bits and mask.
local function rrot(x, n)
  return ((x >> n) | (x << (32 - n))) & MASK
end

--- SHA-256 digest.
-- @tparam string msg bytes to hash
-- @treturn string the 32-byte binary digest
function M.sha256(msg)
  local h0, h1, h2, h3 = 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a
  local h4, h5, h6, h7 = 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
  local len = #msg
  -- Pad to a multiple of 64 bytes: 0x80, zeros, then the bit length as a 64-bit big-endian.
  msg = msg .. "\128" .. string.rep("\0", (55 - len) % 64) .. spack(">I8", len * 8)
  local w = {}
  for pos = 1, #msg, 64 do
    for i = 1, 16 do
      w[i] = sunpack(">I4", msg, pos + (i - 1) * 4)
    end
    for i = 17, 64 do
      local a, b = w[i - 15], w[i - 2]
      local s0 = rrot(a, 7) ~ rrot(a, 18) ~ (a >> 3)
      local s1 = rrot(b, 17) ~ rrot(b, 19) ~ (b >> 10)
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) & MASK
    end
    local a, b, c, d, e, f, g, h = h0, h1, h2, h3, h4, h5, h6, h7
    for i = 1, 64 do
      local S1 = rrot(e, 6) ~ rrot(e, 11) ~ rrot(e, 25)
      local ch = (e & f) ~ (~e & g)
      local t1 = (h + S1 + ch + K[i] + w[i]) & MASK
      local S0 = rrot(a, 2) ~ rrot(a, 13) ~ rrot(a, 22)
      local maj = (a & b) ~ (a & c) ~ (b & c)
      local t2 = (S0 + maj) & MASK
      h, g, f, e = g, f, e, (d + t1) & MASK
      d, c, b, a = c, b, a, (t1 + t2) & MASK
    end
    h0, h1, h2, h3 = (h0 + a) & MASK, (h1 + b) & MASK, (h2 + c) & MASK, (h3 + d) & MASK
    h4, h5, h6, h7 = (h4 + e) & MASK, (h5 + f) & MASK, (h6 + g) & MASK, (h7 + h) & MASK
  end
  return spack(">I4I4I4I4I4I4I4I4", h0, h1, h2, h3, h4, h5, h6, h7)
end

local function xor_pad(key, pad)
  local out = {}
  for i = 1, 64 do
    out[i] = char((byte(key, i) or 0) ~ pad)
  end
  return concat(out)
end

--- HMAC-SHA256 (RFC 2104).
-- @tparam string key secret key
-- @tparam string msg message
-- @treturn string the 32-byte binary MAC
function M.hmac_sha256(key, msg)
  if #key > 64 then key = M.sha256(key) end
  return M.sha256(xor_pad(key, 0x5c) .. M.sha256(xor_pad(key, 0x36) .. msg))
end

--- Lower-case hexadecimal of binary bytes.
-- @tparam string s bytes
-- @treturn string hex digits
function M.hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", byte(c)) end))
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local B64INV = {}
for i = 1, 64 do B64INV[byte(B64, i)] = i - 1 end
-- Accept the standard alphabet too: a decoder that is lenient here costs nothing in tests.
B64INV[byte("+")] = 62
B64INV[byte("/")] = 63

--- base64url encoding without padding (RFC 7515 §2).
-- @tparam string s bytes
-- @treturn string encoded text
function M.b64url_encode(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = byte(s, i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    local chunk = {
      B64:sub((n >> 18) + 1, (n >> 18) + 1),
      B64:sub(((n >> 12) & 63) + 1, ((n >> 12) & 63) + 1),
      b and B64:sub(((n >> 6) & 63) + 1, ((n >> 6) & 63) + 1) or "",
      c and B64:sub((n & 63) + 1, (n & 63) + 1) or "",
    }
    out[#out + 1] = concat(chunk)
  end
  return concat(out)
end

--- base64url decoding; padding optional.
-- @tparam string s encoded text
-- @treturn[1] string decoded bytes
-- @treturn[2] nil
-- @treturn[2] string reason
function M.b64url_decode(s)
  s = s:gsub("=+$", "")
  if #s % 4 == 1 then return nil, "bad base64url length" end
  local out = {}
  for i = 1, #s, 4 do
    local n, count = 0, 0
    for j = i, math.min(i + 3, #s) do
      local v = B64INV[byte(s, j)]
      if not v then return nil, "bad base64url character" end
      n = (n << 6) | v
      count = count + 1
    end
    n = n << (6 * (4 - count))
    local bytes = char((n >> 16) & 255, (n >> 8) & 255, n & 255)
    out[#out + 1] = bytes:sub(1, count - 1)
  end
  return concat(out)
end

-- Minimal JSON, only what token payloads need; kept here so this file has no dependencies.

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESC[c] or string.format("\\u%04x", byte(c))
  end) .. '"'
end

-- Standard claims first, in the order the test tokens use, so minted tokens look alike.
local CLAIM_ORDER = { iat = 1, exp = 2, sub = 3 }

local function encode(v)
  local t = type(v)
  if t == "string" then
    return encode_string(v)
  elseif t == "number" then
    if math.type(v) == "integer" or (v == math.floor(v) and math.abs(v) < 2 ^ 53) then
      return string.format("%d", v)
    end
    return string.format("%.17g", v)
  elseif t == "boolean" then
    return tostring(v)
  elseif t == "table" then
    if #v > 0 or next(v) == nil then
      local parts = {}
      for i = 1, #v do parts[i] = encode(v[i]) end
      return "[" .. concat(parts, ",") .. "]"
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = tostring(k) end
    table.sort(keys, function(a, b)
      local oa, ob = CLAIM_ORDER[a] or 99, CLAIM_ORDER[b] or 99
      if oa ~= ob then return oa < ob end
      return a < b
    end)
    local parts = {}
    for i, k in ipairs(keys) do parts[i] = encode_string(k) .. ":" .. encode(v[k]) end
    return "{" .. concat(parts, ",") .. "}"
  end
  return "null"
end

--- Encode a Lua value as compact JSON (claims iat, exp, sub first, other keys sorted).
-- @param v value
-- @treturn string JSON text
M.json_encode = encode

local decode_value

local function skip(s, i)
  return s:find("[^ \t\r\n]", i) or #s + 1
end

local UNESC = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\",
  ["/"] = "/" }

local function decode_string(s, i)
  -- i points at the opening quote
  local out, j = {}, i + 1
  while true do
    local c = s:sub(j, j)
    if c == "" then error("unterminated string") end
    if c == '"' then return concat(out), j + 1 end
    if c == "\\" then
      local e = s:sub(j + 1, j + 1)
      if UNESC[e] then
        out[#out + 1] = UNESC[e]
        j = j + 2
      elseif e == "u" then
        local hexs = s:sub(j + 2, j + 5)
        if not hexs:match("^%x%x%x%x$") then error("bad \\u escape") end
        out[#out + 1] = utf8.char(tonumber(hexs, 16))
        j = j + 6
      else
        error("bad escape")
      end
    else
      out[#out + 1] = c
      j = j + 1
    end
  end
end

function decode_value(s, i)
  i = skip(s, i)
  local c = s:sub(i, i)
  if c == "{" then
    local obj = {}
    i = skip(s, i + 1)
    if s:sub(i, i) == "}" then return obj, i + 1 end
    while true do
      if s:sub(i, i) ~= '"' then error("object key expected") end
      local k
      k, i = decode_string(s, i)
      i = skip(s, i)
      if s:sub(i, i) ~= ":" then error("':' expected") end
      obj[k], i = decode_value(s, i + 1)
      i = skip(s, i)
      local d = s:sub(i, i)
      if d == "}" then return obj, i + 1 end
      if d ~= "," then error("',' or '}' expected") end
      i = skip(s, i + 1)
    end
  elseif c == "[" then
    local arr = {}
    i = skip(s, i + 1)
    if s:sub(i, i) == "]" then return arr, i + 1 end
    while true do
      arr[#arr + 1], i = decode_value(s, i)
      i = skip(s, i)
      local d = s:sub(i, i)
      if d == "]" then return arr, i + 1 end
      if d ~= "," then error("',' or ']' expected") end
      i = i + 1
    end
  elseif c == '"' then
    return decode_string(s, i)
  elseif s:find("^true", i) then
    return true, i + 4
  elseif s:find("^false", i) then
    return false, i + 5
  elseif s:find("^null", i) then
    return nil, i + 4
  end
  local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  if not num or num == "" then error("unexpected character at " .. i) end
  return math.tointeger(tonumber(num)) or tonumber(num), i + #num
end

--- Decode JSON text (JSON null becomes nil).
-- @tparam string s JSON text
-- @return[1] the value
-- @treturn[2] nil
-- @treturn[2] string reason
function M.json_decode(s)
  local ok, v, i = pcall(decode_value, s, 1)
  if not ok then return nil, (tostring(v):gsub("^.-:%d+: ", "")) end
  if skip(s, i) <= #s then return nil, "trailing garbage" end
  return v
end

local HEADER = '{"alg":"HS256"}'

--- Sign a payload as an HS256 JWT with header exactly `{"alg":"HS256"}`.
-- @tparam table|string payload a table (encoded to JSON) or the exact JSON text to sign
-- @tparam string secret HMAC key
-- @treturn string the token
function M.sign(payload, secret)
  if type(payload) == "table" then payload = encode(payload) end
  assert(type(payload) == "string", "payload must be a table or a JSON string")
  assert(type(secret) == "string", "secret must be a string")
  local input = M.b64url_encode(HEADER) .. "." .. M.b64url_encode(payload)
  return input .. "." .. M.b64url_encode(M.hmac_sha256(secret, input))
end

-- Compare without an early exit; habit more than need in a test helper.
local function same(a, b)
  if #a ~= #b then return false end
  local diff = 0
  for i = 1, #a do diff = diff | (byte(a, i) ~ byte(b, i)) end
  return diff == 0
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
  local header = M.b64url_decode(h)
  local hdr = header and M.json_decode(header)
  if type(hdr) ~= "table" or hdr.alg ~= "HS256" then return nil, "bad header" end
  local sig = M.b64url_decode(s)
  if not sig or not same(sig, M.hmac_sha256(secret, h .. "." .. p)) then
    return nil, "bad signature"
  end
  local body = M.b64url_decode(p)
  local payload = body and M.json_decode(body)
  if type(payload) ~= "table" then return nil, "bad payload" end
  if now and (type(payload.exp) ~= "number" or payload.exp < now) then
    return nil, "expired"
  end
  return payload
end

return M
