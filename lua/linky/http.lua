--- Requests to services other than Conso API (the Tempo colour sources, later the database
-- writers): the C core's `linky.HttpClient` (one reused connection, the caller's headers, basic
-- auth, a body) with the checks of Conso API requests, and failures as error objects.
-- It never holds the Conso API token: a client of its own, with options of its own.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.http
local core = require "linky.core"
local errors = require "linky.errors"
local options = require "linky.options"
local version = require "linky.version"

local M = {}

--- Option names and their Lua types.
M.types = {
  base_url = "string", user_agent = "string", timeout = "number", connect_timeout = "number",
  cainfo = "string", proxy = "string", max_body = "number", insecure = "boolean", log = "function",
}

--- The user agent sent when the caller names none.
M.USER_AGENT = "linky-lua/" .. version

local Client = { __name = "linky.http.Client" }
Client.__index = Client

local function invalid(message)
  return nil, errors.new("invalid_argument", message)
end

--- A client of one service.
-- @tparam table opts `base_url` (https, or plain http to a loopback address; no credentials),
-- `user_agent`, `timeout` and `connect_timeout` (seconds), `cainfo`, `proxy`, `max_body`
-- (bytes), `insecure` (skip TLS verification: `log` is told), `log` (`log(level, message)`);
-- the defaults are `linky.new`'s
-- @treturn linky.http.Client|nil the client
-- @treturn table an `invalid_argument` error
function M.new(opts)
  local unknown = options.check_types(opts, M.types, 2)
  if unknown then return invalid(("unknown option '%s'"):format(unknown)) end
  if not opts.base_url then return invalid("option 'base_url' is required") end
  local path, why = options.check_base_url(opts.base_url)
  if not path then return invalid(why) end
  local o = {}
  for _, name in ipairs { "timeout", "connect_timeout", "max_body" } do
    o[name] = opts[name] or options.defaults[name]
  end
  for _, name in ipairs { "timeout", "connect_timeout" } do
    if not (o[name] > 0 and o[name] < 1e6) then
      return invalid(("option '%s' must be a positive number of seconds"):format(name))
    end
  end
  if not (o.max_body >= 1 and o.max_body == math.floor(o.max_body)) then
    return invalid("option 'max_body' must be a positive integer number of bytes")
  end
  if opts.user_agent and (opts.user_agent == "" or opts.user_agent:find("[%c\127]")) then
    return invalid("option 'user_agent' must be a non-empty header value without control characters")
  end
  for _, name in ipairs { "cainfo", "proxy" } do
    if opts[name] == "" then return invalid(("option '%s' must not be empty"):format(name)) end
  end
  if opts.insecure and opts.log then
    opts.log("warning", "TLS certificate verification is disabled (insecure = true) for " .. opts.base_url)
  end
  local base = opts.base_url:gsub("/+$", "")
  local handle = core.http_client {
    base_url = base, user_agent = opts.user_agent or M.USER_AGENT,
    timeout = o.timeout, connect_timeout = o.connect_timeout, max_body = o.max_body,
    cainfo = opts.cainfo, proxy = opts.proxy, insecure = opts.insecure,
  }
  return setmetatable({
    handle = handle,
    base_path = path,
    -- the host (and port), for error messages: never a credential (check_base_url refuses them)
    service = base:match("^%a[%w+.-]*://([^/?#]+)"),
  }, Client)
end

--- Sends one request and reads the whole answer.
-- @tparam table req `method` (`"GET"` or `"POST"`), `path` (starting with "/", ASCII, no
-- space; appended to the base URL; it appears in errors, so it holds no secret), `headers`
-- (name -> value; no control character but a tab; an `Authorization` value is a secret),
-- `basic_auth` (`{user, password}`: a secret), `body` (POST only)
-- @treturn table|nil `{ status =, body =, headers = }` for a 2xx answer (header names in lower
-- case); the request's secrets are redacted from the body and the header values
-- @treturn table the error: the transport's kind (`timeout`, `network`, `tls`,
-- `invalid_response` for a body over `max_body`, `invalid_argument`), or the status's
-- (`errors.from_response`; a redirect is an `http_error`, never followed); `service` names the
-- host, `request` the method and path, `unsent` is true when no byte of it left
function Client:request(req)
  local method = req.method or "GET"
  local request = ("%s %s%s"):format(method, self.base_path, tostring(req.path))
  local status, body, headers, unsent = self.handle:request(req)
  if not status then
    return nil, errors.new(body, headers, { request = request, service = self.service, unsent = unsent })
  end
  if status < 200 or status > 299 then
    local err = errors.from_response(status, body, request)
    err.service = self.service
    err.headers = headers
    return nil, err
  end
  return { status = status, body = body, headers = headers }
end

--- `request`, then the body decoded as JSON after the checks of Conso API bodies (valid UTF-8,
-- a bounded count of arrays and objects); an answer that fails them is `invalid_response`.
-- @tparam table req as `request` takes it
-- @return the decoded value (lua-cjson: numbers may be floats, JSON null is `cjson.null`)
-- @treturn table|nil the response, or the error
function Client:json(req)
  local res, err = self:request(req)
  if not res then return nil, err end
  local value, _, why = core.json_decode(res.body)
  if value == nil then
    return nil, errors.new("invalid_response", why, { status = res.status, body = res.body,
      request = ("%s %s%s"):format(req.method or "GET", self.base_path, req.path), service = self.service })
  end
  return value, res
end

--- `{ requests =, connects = }`: requests sent and TCP connections opened (one is reused).
function Client:stats()
  return self.handle:stats()
end

--- Closes the connection and wipes what remains of the secrets; idempotent.
function Client:close()
  self.handle:close()
end

Client.__close = Client.close

function Client:__tostring()
  local closed = tostring(self.handle):find("closed$") and " (closed)" or ""
  return ("linky.http.Client: %s%s"):format(self.service, closed)
end

return M
