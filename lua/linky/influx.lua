--- InfluxDB writers: a target URL parsed and checked (`influxdb://[user@]host[:port]/DB`,
-- `influxdbs://...` for InfluxDB 1.x; `influxdb2://host[:port]/ORG/BUCKET`, `influxdb2s://...`
-- for the 2.x write API), and the line protocol of `linky.format.influx` written to it in
-- batches over one connection (`linky.http`).
--
-- The discipline of every service linky talks to: a call sends at most `MAX_REQUESTS`
-- requests of at most `BATCH` lines each, and never retries: the first failure ends the call
-- (what was written stays written: a point written again overwrites itself, same series and
-- time), and the caller's next run sends it all again.
-- Secrets (the 1.x password, the 2.x token) come from the environment or the caller's options,
-- never from the URL, and never appear in a message, an error or a target's fields.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.influx
local errors = require "linky.errors"
local format = require "linky.format.influx"
local http = require "linky.http"
local options = require "linky.options"

local M = {}

--- Lines a request carries at most.
M.BATCH = 5000
--- Requests one call of `write` sends at most (a million lines: years of load curves of
-- several meters); a source that would need more is refused once this many were sent.
M.MAX_REQUESTS = 200
--- Seconds to connect and for a whole request.
M.CONNECT_TIMEOUT, M.TIMEOUT = 10, 30
--- The default port of every scheme.
M.PORT = 8086
--- The most bytes of a server's message kept in an error's `message`.
M.MESSAGE_LIMIT = 300

-- version, TLS
local SCHEMES = {
  influxdb = { 1, false }, influxdbs = { 1, true }, influxdb2 = { 2, false }, influxdb2s = { 2, true },
}

--- The schemes of the targets this module writes to (a publish registry's keys).
M.schemes = { "influxdb", "influxdbs", "influxdb2", "influxdb2s" }

-- The environment variable of each version's secret.
M.ENV = { "LINKY_INFLUX_PASSWORD", "LINKY_INFLUX_TOKEN" }

local function invalid(message)
  return nil, errors.new("invalid_argument", message)
end

-- A path segment, percent-decoded; nil when it holds a byte outside unreserved characters and
-- escapes, or decodes to nothing or to a control character.
local function segment(s)
  if not s:match("^[%w%-._~%%!$&'()*+,;=:@]+$") then return nil end
  if s:find("%%") and not s:gsub("%%%x%x", ""):find("^[^%%]*$") then return nil end
  local decoded = s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
  if decoded == "" or decoded:find("[%c\127]") then return nil end
  return decoded
end

-- A query value: everything but unreserved characters escaped.
local function encode(s)
  return (s:gsub("[^%w%-._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

--- Parses and checks a target URL. The URL is never quoted in an error: a refused one may hold
-- a secret (`user:pass@`, a query or a fragment).
-- @tparam string url `influxdb://[user@]host[:port]/DB`, `influxdbs://...`,
-- `influxdb2://host[:port]/ORG/BUCKET` or `influxdb2s://...` (segments percent-encoded as URL
-- paths are); plain (non-TLS) schemes only to a loopback host, as every plain-HTTP request of
-- linky
-- @treturn table|nil the target: `name` (the URL with the default port made explicit, never a
-- secret: the key of a target), `version` (1 or 2), `tls`, `host`, `port`, `user` (1.x), `db`
-- (1.x), `org` and `bucket` (2.x), `base_url`, `path` (the write request's path and query)
-- @treturn table an `invalid_argument` error
function M.parse(url)
  if type(url) ~= "string" then
    error(("bad argument #1 to 'parse' (string expected, got %s)"):format(type(url)), 2)
  end
  local scheme, rest = url:match("^(%a[%w+.-]*)://(.*)$")
  local kind = scheme and SCHEMES[scheme:lower()]
  if not kind then
    return invalid("an InfluxDB target starts with influxdb://, influxdbs://, influxdb2:// or influxdb2s://")
  end
  scheme = scheme:lower()
  if rest:find("[%s%c\127]") then
    return invalid("an InfluxDB target holds a space or a control character")
  end
  if rest:find("[?#]") then
    return invalid("an InfluxDB target takes no query or fragment (secrets go in LINKY_INFLUX_PASSWORD, "
      .. "LINKY_INFLUX_TOKEN or the config)")
  end
  local authority, path = rest:match("^([^/]*)(.*)$")
  local userinfo, hostport = authority:match("^(.*)@([^@]*)$")
  hostport = hostport or authority
  local t = { version = kind[1], tls = kind[2] }
  if userinfo then
    if userinfo:find(":", 1, true) then
      return invalid("an InfluxDB target takes no password (user:pass@): put it in LINKY_INFLUX_PASSWORD "
        .. "or the config key influx_password")
    end
    if t.version == 2 then
      return invalid("an influxdb2 target takes no user: the token (LINKY_INFLUX_TOKEN or influx_token) "
        .. "names it")
    end
    t.user = segment(userinfo)
    if not t.user then return invalid("the user of an InfluxDB target is not a valid URL user name") end
  end
  local host = hostport:match("^(%[[%x:.]+%])") or hostport:match("^([%w.-]+)")
  local port = hostport:sub(#(host or "") + 1)
  local number = port == "" and M.PORT or tonumber(port:match("^:(%d+)$"))
  if not host or not (number and number >= 1 and number <= 65535) then
    return invalid("an InfluxDB target has an invalid host or port")
  end
  t.host, t.port = host:lower(), math.floor(number)
  local parts = {}
  for s in (path:gsub("/$", "")):gmatch("/([^/]*)") do parts[#parts + 1] = s end
  local want = t.version == 1 and 1 or 2
  for i = 1, #parts do
    parts[i] = segment(parts[i])
    if not parts[i] then return invalid("an InfluxDB target's path holds an empty or invalid segment") end
  end
  if #parts ~= want then
    return invalid(t.version == 1
      and "an influxdb target names one database: influxdb://[user@]host[:port]/DB"
      or "an influxdb2 target names an organisation and a bucket: influxdb2://host[:port]/ORG/BUCKET")
  end
  t.base_url = ("%s://%s:%d"):format(t.tls and "https" or "http", t.host, t.port)
  local ok, why = options.check_base_url(t.base_url)
  if not ok then
    if not t.tls and why:find("loopback", 1, true) then
      return invalid(("plain %s:// is only allowed to a loopback address; use %ss://"):format(scheme, scheme))
    end
    return invalid("an InfluxDB target has an invalid host or port")
  end
  local segments = {}
  for i, p in ipairs(parts) do segments[i] = "/" .. encode(p) end
  if t.version == 1 then
    t.db = parts[1]
    t.path = "/write?db=" .. encode(t.db) .. "&precision=s"
  else
    t.org, t.bucket = parts[1], parts[2]
    t.path = "/api/v2/write?org=" .. encode(t.org) .. "&bucket=" .. encode(t.bucket) .. "&precision=s"
  end
  t.name = ("%s://%s%s:%d%s"):format(scheme, t.user and encode(t.user) .. "@" or "", t.host, t.port,
    table.concat(segments))
  return t
end

-- The request's credentials: `basic_auth`, or `headers`; or nil and an error.
local function credentials(t, opts)
  local getenv = opts.getenv
  if getenv == nil then getenv = os.getenv end
  local from_env = getenv and getenv(M.ENV[t.version])
  local secret = from_env ~= nil and from_env ~= "" and from_env
    or opts[t.version == 1 and "password" or "token"]
  if secret == "" then secret = nil end
  if t.version == 1 then
    if not t.user then return {} end
    if not secret then
      return invalid(("%s names a user but no password is set (LINKY_INFLUX_PASSWORD or the config key "
        .. "influx_password)"):format(t.name))
    end
    return { basic_auth = { t.user, secret } }
  end
  if not secret then return {} end -- VictoriaMetrics and an open InfluxDB 2 take none
  return { headers = { Authorization = "Token " .. secret } }
end

-- One line of text from a server: its whitespace runs as single spaces, cut, valid UTF-8.
local function server_text(s)
  s = tostring(s):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  return errors.valid_utf8(errors.cut(s, M.MESSAGE_LIMIT))
end

-- The server's own words of a refused write: InfluxDB 1.x's `{"error": ...}` and
-- X-Influxdb-Error, 2.x's `{"code", "message"}`, or a plain-text body (VictoriaMetrics).
local function server_message(err)
  local h = err.headers and err.headers["x-influxdb-error"]
  if h and h ~= "" then return h end
  local text = err.upstream_description or err.api_message
  if text then return text end
  local body = err.body or ""
  if body ~= "" and not body:find("^%s*[%[{]") then return body end
  return "HTTP status " .. tostring(err.status)
end

-- The kind of a refused request: 401 and 403 are the credentials' (a 403 of InfluxDB is never
-- Conso API's ban), 429 and 5xx the server's state; any other refusal is the write's (a 404
-- "database not found" is no data arriving late: not `not_found`).
local function refusal_kind(status)
  if status == 401 then return "unauthorized" end
  if status == 403 then return "forbidden" end
  if status == 429 then return "rate_limited" end
  if status >= 500 and status <= 599 then return "server_error" end
  if status == 400 then return "bad_request" end
  return "http_error"
end

-- The error of a failed request, naming the target (never a secret), with what was written.
local function failure(t, err, done)
  local fields = {
    target = t.name, service = err.service, request = err.request, status = err.status,
    unsent = err.unsent, requests = done.requests, lines = done.lines,
  }
  local kind, message = err.kind, err.message
  if err.status then
    kind = refusal_kind(err.status)
    fields.body = err.body
    message = server_text(server_message(err))
  end
  return nil, errors.new(kind, ("%s: %s"):format(t.name, message), fields)
end

-- An iterator of the lines of `source`: a function returning one line per call (nil at the
-- end), a result (`points`), or a list of results.
local function lines_of(source)
  if type(source) == "function" then return source end
  local results = source.points and { source } or source
  local i, pending = 0, nil
  return function()
    while true do
      if pending then
        local line = pending()
        if line then return line end
        pending = nil
      end
      i = i + 1
      if results[i] == nil then return nil end
      pending = format.influx(results[i]):gmatch("([^\n]+)\n")
    end
  end
end

--- Option names of `write` and their Lua types.
M.types = {
  password = "string", token = "string", cafile = "string", getenv = { "function", false },
  user_agent = "string", timeout = "number", connect_timeout = "number", batch = "number",
  max_requests = "number", proxy = "string", log = "function",
}

--- Writes line protocol to a target: batches of at most `BATCH` lines, one request each, over
-- one connection (opened only when there is a line to send), in the order given. Nothing is
-- retried: the first failure ends the call. A point written twice overwrites itself (same
-- series, same time), so writing again what was written is harmless: a caller keeps its
-- watermark until a call succeeds, and the next call sends it all again.
-- @tparam string|table target a target URL (see `parse`) or a parsed target
-- @param source the lines: an iterator function returning one line per call (without its
-- line break; nil at the end), a result (`{prm=, kind=, points=}`: `linky.format.influx`'s
-- lines), or a list of results
-- @tparam[opt] table opts `password` (1.x; `LINKY_INFLUX_PASSWORD` wins), `token` (2.x;
-- `LINKY_INFLUX_TOKEN` wins), `getenv` (how the environment is read: default `os.getenv`,
-- false for none), `cafile`, `proxy`, `user_agent`, `log`, `timeout` (30 s),
-- `connect_timeout` (10 s), `batch` (lines a request, at most `BATCH`), `max_requests` (at most
-- `MAX_REQUESTS`)
-- @treturn table|nil `{ target =, requests =, lines =, connects = }`
-- @treturn table the error: `invalid_argument` (the target, a secret, a line), the transport's
-- kind (`network`, `timeout`, `tls`), `unauthorized` (401), `forbidden` (403), `bad_request`
-- (400: a field type conflict), `http_error` (another refusal: 404 "database not found"),
-- `rate_limited`, `server_error`; `message` starts with the target's name and holds the
-- server's words cut to `MESSAGE_LIMIT` bytes; `target`, `requests` and `lines` (sent and
-- accepted before the failure), `status`
function M.write(target, source, opts)
  opts = opts or {}
  local ts = type(source)
  if ts ~= "function" and ts ~= "table" then
    error(("bad argument #2 to 'write' (function or table expected, got %s)"):format(ts), 2)
  end
  if type(opts) ~= "table" then
    error(("bad argument #3 to 'write' (table expected, got %s)"):format(type(opts)), 2)
  end
  local unknown = options.check_types(opts, M.types, 3)
  if unknown then return invalid(("unknown option '%s'"):format(unknown)) end
  local t = target
  if type(target) == "string" then
    local err
    t, err = M.parse(target)
    if not t then return nil, err end
  elseif type(target) ~= "table" or not target.name or not target.path then
    error(("bad argument #1 to 'write' (target URL or parsed target expected, got %s)")
      :format(type(target)), 2)
  end
  local batch = opts.batch or M.BATCH
  local max_requests = opts.max_requests or M.MAX_REQUESTS
  if not (batch >= 1 and batch <= M.BATCH and batch == math.floor(batch)) then
    return invalid(("option 'batch' must be a whole number from 1 to %d"):format(M.BATCH))
  end
  if not (max_requests >= 1 and max_requests <= M.MAX_REQUESTS
      and max_requests == math.floor(max_requests)) then
    return invalid(("option 'max_requests' must be a whole number from 1 to %d"):format(M.MAX_REQUESTS))
  end
  local auth, err = credentials(t, opts)
  if not auth then return nil, err end

  local next_line = lines_of(source)
  local done = { target = t.name, requests = 0, lines = 0, connects = 0 }
  local client
  local function finish(...)
    if client then
      done.connects = client:stats().connects
      client:close()
    end
    return ...
  end
  local ok, a, b = pcall(function()
    while true do
      local lines = {}
      while #lines < batch do
        local line = next_line()
        if line == nil then break end
        if type(line) ~= "string" then error("a line of the source is not a string", 0) end
        line = line:gsub("\n$", "")
        if line == "" or line:find("[\r\n]") then
          return invalid(("line %d of the source is empty or holds a line break")
            :format(done.lines + #lines + 1))
        end
        lines[#lines + 1] = line
      end
      if #lines == 0 then return done end
      if done.requests >= max_requests then
        return invalid(("%s: more than %d requests of %d lines would be needed; nothing more was sent")
          :format(t.name, max_requests, batch))
      end
      if not client then
        local why
        client, why = http.new { base_url = t.base_url, cainfo = opts.cafile, proxy = opts.proxy,
          user_agent = opts.user_agent, log = opts.log, timeout = opts.timeout or M.TIMEOUT,
          connect_timeout = opts.connect_timeout or M.CONNECT_TIMEOUT, max_body = 64 * 1024 }
        if not client then return nil, why end
      end
      local req = { method = "POST", path = t.path, body = table.concat(lines, "\n") .. "\n",
        headers = { ["Content-Type"] = "text/plain; charset=utf-8" }, basic_auth = auth.basic_auth }
      for k, v in pairs(auth.headers or {}) do req.headers[k] = v end
      local res, rerr = client:request(req)
      if not res then return failure(t, rerr, done) end
      done.requests = done.requests + 1
      done.lines = done.lines + #lines
    end
  end)
  if not ok then
    finish()
    error(a, 0)
  end
  return finish(a, b)
end

return M
