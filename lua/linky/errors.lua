--- Error objects: one kind per HTTP status and per transport failure.
-- Every run-time failure of linky is returned as `nil, err` where `err` is a
-- table sharing one metatable (see `linky.is_error`).
-- @module linky.errors
local cjson = require "cjson.safe"

local M = {}

local json = cjson.new() -- a private instance: the user's cjson settings don't apply

--- Kinds whose same request may succeed later (linky does not retry them itself).
M.retryable = {
  not_found = true, rate_limited = true, server_error = true,
  timeout = true, network = true,
}

--- The kind of a non-2xx HTTP status (403 depends on the body, see `from_response`).
M.status_kinds = {
  [400] = "bad_request", [401] = "unauthorized", [403] = "forbidden",
  [404] = "not_found", [405] = "method_not_allowed", [429] = "rate_limited",
  [500] = "server_error", [502] = "server_error", [503] = "server_error",
  [504] = "server_error",
}

local BODY_LIMIT = 4096

local Error = { __name = "linky.Error" }
Error.__index = Error

function Error.__tostring(e)
  if e.status then
    return ("linky: %s (HTTP %d): %s"):format(e.kind, e.status, e.message)
  end
  return ("linky: %s: %s"):format(e.kind, e.message)
end

--- Makes an error object.
-- @tparam string kind the error kind
-- @tparam string message what went wrong, for people
-- @tparam[opt] table fields more fields (`status`, `request`, ...), taken over
-- @treturn table the error
function M.new(kind, message, fields)
  local e = fields or {}
  e.kind = kind
  e.message = message
  e.retryable = M.retryable[kind] == true
  return setmetatable(e, Error)
end

--- Is `x` a linky error object?
-- @param x any value
-- @treturn boolean
function M.is_error(x)
  return getmetatable(x) == Error
end

-- JSON codes come as numbers (decoded as floats) or strings: always a string.
local function code_string(v)
  if type(v) == "number" then return tostring(math.tointeger(v) or v) end
  if type(v) == "string" then return v end
  return nil
end

local function text(v)
  return type(v) == "string" and v or nil
end

-- The wrapped upstream error, in every shape conso-api.md lists.
local function upstream(e, out)
  if type(e) == "string" then
    out.upstream_description = e
  elseif type(e) == "table" then
    local fault = type(e.fault) == "table" and e.fault or e
    if text(e.error) then
      out.upstream_code = e.error
      out.upstream_description = text(e.error_description)
    elseif fault.code ~= nil then
      out.upstream_code = code_string(fault.code)
      out.upstream_description = text(fault.description) or text(fault.message)
      out.next_access_time = text(fault.nextAccessTime)
    elseif e.name == "ZodError" and type(e.issues) == "table" and type(e.issues[1]) == "table" then
      out.upstream_description = text(e.issues[1].message)
    end
  end
end

--- Reads the fields of an error body: `api_message`, `upstream_code`,
-- `upstream_description`, `next_access_time`.
-- @tparam string body the raw response body
-- @treturn table|nil the fields, or nil when the body is not a JSON object
function M.parse_body(body)
  local t = json.decode(body)
  if type(t) ~= "table" then return nil end
  local out = { api_message = text(t.message) or text(t.title) }
  upstream(t.error, out)
  if not out.upstream_code and text(t.error_name) then -- Cloudflare's problem document
    out.upstream_code = t.error_name
    out.upstream_description = text(t.detail)
  end
  out.next_access_time = out.next_access_time or text(t.nextAccessTime)
  return out
end

--- The error for a complete non-2xx response.
-- @tparam integer status the HTTP status
-- @tparam string body the raw body
-- @tparam string request `"GET /api/<type>?<query>"`
-- @treturn table the error
function M.from_response(status, body, request)
  local fields = M.parse_body(body)
  local kind = M.status_kinds[status] or "http_error"
  local message
  if status == 403 and not fields then
    kind = "banned"
    message = "this IP address is blocked by the service (non-JSON 403 page): stop sending requests"
  end
  fields = fields or {}
  if not message then
    local parts = {}
    if fields.upstream_code then parts[#parts + 1] = fields.upstream_code end
    if fields.upstream_description then parts[#parts + 1] = fields.upstream_description end
    if #parts > 0 then
      message = table.concat(parts, ": ")
    else
      message = fields.api_message or ("unexpected HTTP status " .. status)
    end
  end
  fields.status = status
  fields.body = body:sub(1, BODY_LIMIT)
  fields.request = request
  return M.new(kind, message, fields)
end

return M
