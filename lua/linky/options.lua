--- Validation of `linky.new` options.
-- A wrongly typed option raises (a programmer mistake); an unknown name or a
-- bad value returns an `invalid_argument` error, so typos never pass silently.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.options
local compat = require "linky.compat"
local errors = require "linky.errors"

local M = {}

--- Option names and their Lua types; a list names several accepted types, where
-- `false` stands for the value `false` itself (e.g. `state = "path"` or `state = false`).
M.types = {
  token = "string", prm = "string", api = "string", base_url = "string",
  user_agent = "string", from = "string", timeout = "number",
  connect_timeout = "number", cainfo = "string", proxy = "string",
  min_interval = "number", log = "function", clock = "function",
  sleep = "function", monotonic = "function", today = "string", max_body = "number", insecure = "boolean",
  state = { "string", false }, budget = { "table", false }, retry = { "table", false },
  random = "function", cache = "boolean",
}

M.defaults = {
  api = "2026",
  base_url = "https://conso.boris.sh/api",
  timeout = 30,
  connect_timeout = 10,
  min_interval = 0.25, -- at most 4 requests a second, under the shared 5/s quota
  max_body = 32 * 1024 * 1024,
  budget = { requests = 40, window = 12 * 3600 }, -- well under the ~100 in 12 h that gets an IP banned
  retry = { attempts = 2, base = 2, cap = 30 },
  cache = true,
}

-- Fields of the table options, each a check of its value.
local function positive(v) return type(v) == "number" and v > 0 and v < 1e9 end
local function count(v) return type(v) == "number" and compat.tointeger(v) and v >= 0 and v < 1e6 end
local TABLE_FIELDS = {
  budget = { requests = function(v) return count(v) and v >= 1 end, window = positive },
  retry = { attempts = count, base = function(v) return v == 0 or positive(v) end, cap = positive },
}

local function invalid(message, fields)
  return nil, errors.new("invalid_argument", message, fields)
end

--- Checks the types of a table of options against `types`: raises like the
-- standard library on a wrong type, returns the first unknown name.
-- @tparam table opts the options
-- @tparam table types name -> Lua type
-- @tparam integer level error level for `error`
-- @treturn string|nil an unknown option name
function M.check_types(opts, types, level)
  local unknown
  for name, value in pairs(opts) do
    local want = types[name]
    if not want then
      unknown = unknown or tostring(name)
    elseif type(want) == "string" then
      if type(value) ~= want then
        error(("bad option '%s' (%s expected, got %s)"):format(name, want, type(value)), level + 1)
      end
    else
      local fits, names = false, {}
      for i, t in ipairs(want) do
        fits = fits or (t == false and value == false) or type(value) == t
        names[i] = tostring(t)
      end
      if not fits then
        error(("bad option '%s' (%s expected, got %s)"):format(name, table.concat(names, " or "),
          value == true and "true" or type(value)), level + 1)
      end
    end
  end
  return unknown
end

-- A table option: its fields checked, the missing ones from the defaults.
local function check_table(name, given)
  if given == false then return false end
  local out = {}
  for k, v in pairs(M.defaults[name]) do out[k] = v end
  for k, v in pairs(given) do
    local check = TABLE_FIELDS[name][k]
    if not check then return nil, ("unknown field '%s' in option '%s'"):format(tostring(k), name) end
    if not check(v) then return nil, ("bad value for '%s.%s'"):format(name, k) end
    out[k] = v
  end
  return out
end

--- Checks a `budget` option alone (`false`, or a table of `requests` and `window`).
-- @treturn table|false|nil the budget with defaults
-- @treturn table an `invalid_argument` error
function M.budget(given)
  if given ~= false and type(given) ~= "table" then
    return invalid("option 'budget' must be a table or false")
  end
  local b, why = check_table("budget", given)
  if b == nil then return invalid(why) end
  return b
end

local function is_loopback(host)
  if host == "localhost" or host == "[::1]" then return true end
  local a, b, c, d = host:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  a, b, c, d = tonumber(a), tonumber(b), tonumber(c), tonumber(d)
  return a == 127 and b <= 255 and c <= 255 and d <= 255
end

--- Splits and checks a base URL: https anywhere, http only to loopback; no space, control
-- character or NUL, no credentials, a port from 1 to 65535.
-- @treturn string|nil the URL's path (for error `request` fields)
-- @treturn string why it is refused
function M.check_base_url(url)
  if url:find("[%s%c\127]") then return nil, "base_url must not contain spaces or control characters" end
  local scheme, authority, path = url:match("^(%a[%w+.-]*)://([^/?#]+)([^?#]*)$")
  if not scheme then return nil, "base_url is not an absolute URL without query or fragment" end
  scheme = scheme:lower()
  if authority:find("@", 1, true) then return nil, "base_url must not contain credentials" end
  local host = authority:match("^(%[[%x:.]+%])") or authority:match("^([^:]+)")
  local port = authority:sub(#(host or "") + 1)
  local number = tonumber(port:match("^:(%d+)$"))
  if not host or not (port == "" or (number and number >= 1 and number <= 65535)) then
    return nil, "base_url has an invalid host or port"
  end
  if scheme == "http" then
    if not is_loopback(host:lower()) then
      return nil, "plain http:// is only allowed to a loopback address; use https://"
    end
  elseif scheme ~= "https" then
    return nil, "base_url must use https://"
  end
  return (path:gsub("/+$", ""))
end

-- Header values must not be able to add headers of their own.
local function header_safe(s)
  return not s:find("[%c\127]")
end

--- Validates `opts` and returns a filled copy.
-- @tparam table opts as given to `linky.new`
-- @treturn table|nil the options with defaults
-- @treturn table an `invalid_argument` error
function M.check(opts)
  local unknown = M.check_types(opts, M.types, 3)
  if unknown then return invalid(("unknown option '%s'"):format(unknown)) end
  local o = {}
  for k, v in pairs(M.defaults) do o[k] = v end
  for k, v in pairs(opts) do o[k] = v end
  if not o.token then return invalid("option 'token' is required") end
  if o.api ~= "2026" and o.api ~= "legacy" then
    return invalid("option 'api' must be \"2026\" or \"legacy\"")
  end
  local path, why = M.check_base_url(o.base_url)
  if not path then return invalid(why) end
  o.base_url = o.base_url:gsub("/+$", "")
  o.base_path = path
  for _, name in ipairs { "timeout", "connect_timeout" } do
    if not (o[name] > 0 and o[name] < 1e6) then
      return invalid(("option '%s' must be a positive number of seconds"):format(name))
    end
  end
  if not (o.min_interval >= 0 and o.min_interval < 1e6) then
    return invalid("option 'min_interval' must be zero or more seconds")
  end
  if not (compat.tointeger(o.max_body) and o.max_body >= 1) then
    return invalid("option 'max_body' must be a positive integer number of bytes")
  end
  for _, name in ipairs { "user_agent", "from" } do
    if o[name] and (o[name] == "" or not header_safe(o[name])) then
      return invalid(("option '%s' must be a non-empty header value without control characters"):format(name))
    end
  end
  for _, name in ipairs { "cainfo", "proxy", "state" } do
    if o[name] == "" then return invalid(("option '%s' must not be empty"):format(name)) end
  end
  for name in pairs(TABLE_FIELDS) do
    local t, bad = check_table(name, o[name])
    if t == nil then return invalid(bad) end
    o[name] = t
  end
  return o
end

return M
