--- Error objects: one kind per HTTP status and per transport failure.
-- Every run-time failure of linky is returned as `nil, err` where `err` is a
-- table sharing one metatable (see `linky.is_error`).
-- @module linky.errors
local cjson = require "cjson.safe"
local compat = require "linky.compat"
local core = require "linky.core"

local M = {}

local json = cjson.new() -- a private instance: the user's cjson settings don't apply

--- Kinds whose same request may succeed later (after `err.retry_at` when it is set).
M.retryable = {
  not_found = true, rate_limited = true, server_error = true,
  timeout = true, network = true, budget_exhausted = true, cancelled = true,
}

--- The kind of a non-2xx HTTP status (403 depends on the body, see `from_response`).
M.status_kinds = {
  [400] = "bad_request", [401] = "unauthorized", [403] = "forbidden",
  [404] = "not_found", [405] = "method_not_allowed", [429] = "rate_limited",
  [500] = "server_error", [502] = "server_error", [503] = "server_error",
  [504] = "server_error",
}

--- The fields of an error object.
-- @table Error
-- @field kind one of the kinds below
-- @field message what went wrong, for people
-- @field retryable the same request may succeed later (after `retry_at` when set); linky itself
-- retries only timeouts, network failures, 502, 503 and 504, inside the call
-- @field status the HTTP status, nil when no response came
-- @field api_message the body's `message`
-- @field upstream_code the wrapped Enedis code (`ADAM-ERR0123`, `no_data_found`, `900807`...)
-- @field upstream_description the wrapped Enedis description
-- @field next_access_time raw `nextAccessTime` of a 429 body that carries one
-- @field body the first 4 KiB of the raw body (token redacted, cut on a UTF-8 character boundary)
-- @field request `"GET /api/<type>?<query>"` (never the token)
-- @field service the host (and port) of another service (`linky.http`); nil for Conso API
-- @field unsent true when no byte of the request left (`linky.http`: no name, no connection)
-- @field headers the response's headers, names in lower case (`linky.http`, non-2xx statuses)
-- @field partial the result of the sub-ranges fetched before the failure
-- @field reason `"token_expired"` or `"token_malformed"` for token errors
-- @field retry_at epoch seconds before which nothing is sent: after a 429 or a 500 (the
-- cool-down), or when the budget is exhausted (when a slot frees); a ban has none: it lasts
-- until cleared
-- @field from_state true when the remembered ban or cool-down answered and no request was sent
-- @field state the state path of a `state_unavailable` error
-- @field path the file of a `file_error`

--- The error kinds.
-- @table kinds
-- @field invalid_argument bad option or date, start >= end, start after today, PRM not granted,
-- kind not in this generation, malformed or expired token: no request is sent
-- @field bad_request HTTP 400
-- @field unauthorized HTTP 401
-- @field forbidden HTTP 403 with a JSON body (no consent)
-- @field banned HTTP 403 with a non-JSON body (the ban page) or Cloudflare's JSON ban document
-- (error 1006, "banned your IP address"): the service blocked this IP address; remembered
-- by the state, so later calls fail at once (`from_state`) until `clear_ban`
-- @field not_found HTTP 404 (`no_data_found`: data can arrive days late), retryable
-- @field method_not_allowed HTTP 405
-- @field rate_limited HTTP 429, retryable after its cool-down (`retry_at`)
-- @field server_error HTTP 500 (cool-down), 502, 503, 504 (after the retries), retryable
-- @field http_error any other non-2xx status, including 3xx (redirects are never followed)
-- @field timeout connect or total timeout, retryable
-- @field network DNS, refused, reset, truncated transfer, proxy, retryable
-- @field tls certificate or handshake failure
-- @field invalid_response a 2xx body that is empty, not JSON, not the expected shape, or over max_body
-- @field budget_exhausted the rolling window already holds the request budget: nothing is sent;
-- retryable after `retry_at`
-- @field state_unavailable the state file cannot be opened, is not a regular file, is not a linky
-- database, or cannot be written: nothing is sent
-- @field cancelled a non-blocking request was cancelled (`req:cancel()`, or its client closed):
-- nothing of the cancelled transfer is stored, `partial` holds the earlier sub-ranges, retryable
-- @field callback_error a user callback (progress, log, clock...) raised inside a non-blocking
-- request: the step that ran it raised that error again, as the blocking call would; later steps
-- and the luv and cqueues adapters give this error, whose `message` is the raised value
-- @field file_error a publish target's file cannot be read or written (`linky.publish`: a
-- folder not writable, a folder at the path, a full disk): `path` names it; nothing is half
-- written, and the target's watermark stays, so the next publish catches up
M.kinds = {
  "invalid_argument", "bad_request", "unauthorized", "forbidden", "banned", "not_found",
  "method_not_allowed", "rate_limited", "server_error", "http_error", "timeout", "network",
  "tls", "invalid_response", "budget_exhausted", "state_unavailable", "cancelled", "callback_error",
  "file_error",
}

-- The most bytes kept of each string taken from a response.
local TEXT_LIMIT = 4096

--- Cuts a string to at most `limit` bytes without splitting a UTF-8 sequence.
-- Bytes that are not UTF-8 stay as they are; a cut among them falls at `limit`.
-- @tparam string s the string
-- @tparam[opt=4096] integer limit the most bytes kept
-- @treturn string
function M.cut(s, limit)
  limit = limit or TEXT_LIMIT
  if #s <= limit then return s end
  -- byte limit + 1 may continue a sequence whose lead byte is up to 3 bytes before it
  local i = limit + 1
  while i > limit - 2 and i > 1 and s:byte(i) >= 0x80 and s:byte(i) < 0xC0 do i = i - 1 end
  local lead = s:byte(i)
  local size = lead >= 0xF0 and 4 or lead >= 0xE0 and 3 or lead >= 0xC0 and 2 or 1
  if i <= limit and i + size - 1 > limit then return s:sub(1, i - 1) end
  return s:sub(1, limit)
end

--- `s` with every byte that does not belong to a valid UTF-8 sequence replaced by "?".
-- @tparam string s any bytes
-- @treturn string valid UTF-8
function M.valid_utf8(s)
  local out, i = {}, 1
  while true do
    local n, bad = compat.utf8_len(s, i)
    if n then
      out[#out + 1] = s:sub(i)
      return table.concat(out)
    end
    out[#out + 1] = s:sub(i, bad - 1) .. "?"
    i = bad + 1
  end
end

-- The fields that hold text from a response, cut and made valid UTF-8 by `new` whoever built them.
local TEXT_FIELDS = {
  "message", "api_message", "upstream_code", "upstream_description", "next_access_time", "body",
}

local Error = { __name = "linky.Error" }
Error.__index = Error

function Error.__tostring(e)
  if e.status then
    return ("linky: %s (HTTP %d): %s"):format(e.kind, e.status, e.message)
  end
  return ("linky: %s: %s"):format(e.kind, e.message)
end

--- Makes an error object. Its text fields (`message`, `api_message`, `upstream_code`,
-- `upstream_description`, `next_access_time`, `body`) are cut to 4 KiB (see `cut`).
-- @tparam string kind the error kind
-- @tparam string message what went wrong, for people
-- @tparam[opt] table fields more fields (`status`, `request`, ...), taken over
-- @treturn table the error
function M.new(kind, message, fields)
  local e = fields or {}
  e.kind = kind
  e.message = message
  for _, k in ipairs(TEXT_FIELDS) do
    if type(e[k]) == "string" then e[k] = M.valid_utf8(M.cut(e[k])) end
  end
  e.retryable = M.retryable[kind] == true
  return setmetatable(e, Error)
end

--- Is `x` a linky error object?
-- @param x any value
-- @treturn boolean
function M.is_error(x)
  return getmetatable(x) == Error
end

-- A string of the body, cut to 4 KiB; nil for anything else.
local function text(v)
  return type(v) == "string" and M.cut(v) or nil
end

-- JSON codes come as numbers (decoded as floats) or strings: always a string.
local function code_string(v)
  if type(v) == "number" then
    local i = compat.tointeger(v)
    return i and ("%d"):format(i) or tostring(v)
  end
  return text(v)
end

-- The wrapped upstream error, in every shape conso-api.md lists.
-- One line of `s`: its whitespace runs as single spaces.
local function one_line(s)
  return (s:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""))
end

-- The title of an HTML page (an upstream 502 page wrapped as a JSON string), or nil.
local function page_title(s)
  if not (s:find("<[Hh][Tt][Mm][Ll]") or s:find("<[Tt][Ii][Tt][Ll][Ee]")) then return nil end
  local title = s:match("<[Tt][Ii][Tt][Ll][Ee][^>]*>(.-)</")
  title = title and one_line(title)
  return title ~= "" and title or "an HTML page"
end

local function upstream(e, out)
  if type(e) == "string" then
    out.upstream_description = page_title(e) or text(e)
  elseif type(e) == "table" then
    local fault = type(e.fault) == "table" and e.fault or e
    if text(e.error) then
      out.upstream_code = text(e.error)
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

-- Cloudflare's JSON ban document: error 1006, or a text saying the IP address is banned.
local function is_ban_document(t)
  if code_string(t.error_code) == "1006" then return true end
  for _, k in ipairs { "title", "detail", "message", "error_name" } do
    local v = text(t[k])
    if v and v:lower():find("banned your ip address", 1, true) then return true end
  end
  return false
end

--- Reads the fields of an error body: `api_message`, `upstream_code`,
-- `upstream_description`, `next_access_time`. An OAuth 2.0 error document (`error` and
-- `error_description` strings, as RTE answers) gives the code and the description.
-- @tparam string body the raw response body
-- @treturn table|nil the fields, or nil when the body is not a JSON object
-- @treturn boolean whether it is Cloudflare's JSON ban document
function M.parse_body(body)
  -- a JSON body too dense in arrays and objects is not decoded (its memory is unbounded):
  -- read as JSON without fields, so that a 403 of it is no ban
  if not core.json_shape_ok(body) then return {}, false end
  local t = json.decode(body)
  if type(t) ~= "table" then return nil end
  local out = { api_message = text(t.message) or text(t.title) }
  if type(t.error) == "string" and type(t.error_description) == "string" then
    upstream(t, out) -- OAuth 2.0's error document (RFC 6749, 5.2), as RTE answers
  else
    upstream(t.error, out)
  end
  if not out.upstream_code and text(t.error_name) then -- Cloudflare's problem document
    out.upstream_code = text(t.error_name)
    out.upstream_description = text(t.detail)
  end
  out.next_access_time = out.next_access_time or text(t.nextAccessTime)
  return out, is_ban_document(t)
end

--- How a ban ends, in the message of every `banned` error (the server's answer and the
-- remembered ban alike).
M.BAN_ENDS = "nothing is sent until the ban is cleared (clear_ban, or linky clear-ban)"

--- The error for a complete non-2xx response.
-- @tparam integer status the HTTP status
-- @tparam string body the raw body
-- @tparam string request `"GET /api/<type>?<query>"`
-- @treturn table the error
function M.from_response(status, body, request)
  local fields, ban_document = M.parse_body(body)
  local kind = M.status_kinds[status] or "http_error"
  local message
  if status == 403 and (not fields or ban_document) then
    kind = "banned"
    -- the first error already says how it ends, as the remembered ban's does (ledger.lua)
    message = "this IP address was banned by the service (" .. (fields and "Cloudflare ban document"
      or "non-JSON 403 page") .. "), and the ban is remembered: " .. M.BAN_ENDS
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
    message = one_line(message)
  end
  fields.status = status
  fields.body = body -- cut by new
  fields.request = request
  return M.new(kind, message, fields)
end

return M
