-- The emulator's HTTP/1.1 server side: one coroutine per connection on a socket.select loop, so
-- a hung or delayed connection never blocks the others, and delays are loop timers. Written on
-- luasocket and luasec, which the specs use anyway, because the specs need answers no server
-- library gives on demand: cut short, dripped, reset, never sent. gzip for the "gzip" modifier.
local socket = require "socket"

local M = {}

local byte, concat, format = string.byte, table.concat, string.format
local MASK32 = 0xffffffff

---------------------------------------------------------------------------------------------
-- gzip: the real tool when present (compressed blocks exercise a client's inflater), else a
-- stored-block stream built here. Either is a valid gzip member.

local CRC_TABLE = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do c = (c & 1 == 1) and (0xedb88320 ~ (c >> 1)) or (c >> 1) end
  CRC_TABLE[i] = c
end

local function crc32(s)
  local c = MASK32
  for i = 1, #s do c = CRC_TABLE[(c ~ byte(s, i)) & 0xff] ~ (c >> 8) end
  return c ~ MASK32
end

local function gzip_stored(s)
  local parts = { "\31\139\8\0\0\0\0\0\0\255" }
  local i = 1
  repeat
    local chunk = s:sub(i, i + 65534)
    i = i + 65535
    parts[#parts + 1] = string.pack("<BI2I2", i > #s and 1 or 0, #chunk, ~#chunk & 0xffff) .. chunk
  until i > #s
  parts[#parts + 1] = string.pack("<I4I4", crc32(s), #s & MASK32)
  return concat(parts)
end

--- gzip-encode bytes.
-- @tparam string s bytes
-- @treturn string a gzip member
function M.gzip(s)
  local tmp = os.tmpname()
  local f = io.open(tmp, "wb")
  if f then
    f:write(s)
    f:close()
    local p = io.popen("gzip -c -n < '" .. tmp .. "' 2>/dev/null", "r")
    local out = p and p:read("a")
    local ok = p and p:close()
    os.remove(tmp)
    if ok and out and #out >= 18 then return out end
  end
  return gzip_stored(s)
end

---------------------------------------------------------------------------------------------
-- Event loop: coroutines waiting on sockets (select) or on timers. Nothing here blocks.

local loop = { readers = {}, writers = {}, timers = {}, running = true }

--- Suspend the calling coroutine until a socket is readable ("r") or writable ("w").
function M.wait(sock, mode)
  local set = mode == "w" and loop.writers or loop.readers
  set[sock] = coroutine.running()
  coroutine.yield()
end

--- Suspend the calling coroutine for some seconds (a loop timer).
function M.sleep(seconds)
  local timers = loop.timers
  timers[#timers + 1] = { at = socket.gettime() + seconds, co = coroutine.running() }
  coroutine.yield()
end

--- Resume a coroutine, reporting its error on stderr.
function M.resume(co)
  local ok, err = coroutine.resume(co)
  if not ok then io.stderr:write("emulator: ", tostring(err), "\n") end
end

--- Map a would-block error to the direction to wait for (luasec says wantread/wantwrite).
function M.would_block(err, default)
  if err == "timeout" then return default end
  if err == "wantread" then return "r" end
  if err == "wantwrite" then return "w" end
  return nil
end

local wait, resume, would_block = M.wait, M.resume, M.would_block

--- Make `run` return after the current round.
function M.stop()
  loop.running = false
end

--- Serve until `stop`: `on_accept()` when the listening socket is readable, waiting coroutines
-- when theirs are, timers when due.
function M.run(server, on_accept)
  while loop.running do
    local recvt, sendt = { server }, {}
    for s in pairs(loop.readers) do recvt[#recvt + 1] = s end
    for s in pairs(loop.writers) do sendt[#sendt + 1] = s end
    local now = socket.gettime()
    local timeout = 1
    for _, t in ipairs(loop.timers) do timeout = math.min(timeout, t.at - now) end
    local readable, writable = socket.select(recvt, sendt, math.max(timeout, 0))
    for _, s in ipairs(readable) do
      if s == server then
        on_accept()
      else
        local co = loop.readers[s]
        if co then
          loop.readers[s] = nil
          resume(co)
        end
      end
    end
    for _, s in ipairs(writable) do
      local co = loop.writers[s]
      if co then
        loop.writers[s] = nil
        resume(co)
      end
    end
    now = socket.gettime()
    local due, later = {}, {}
    for _, t in ipairs(loop.timers) do
      if t.at <= now then due[#due + 1] = t else later[#later + 1] = t end
    end
    loop.timers = later
    table.sort(due, function(a, b) return a.at < b.at end)
    for _, t in ipairs(due) do resume(t.co) end
  end
end

---------------------------------------------------------------------------------------------
-- Connections.

local Conn = {}
Conn.__index = Conn

--- A connection over an accepted socket (and its TLS wrapper, when `sock` differs from `raw`).
-- @tparam integer id connection number (the log's `conn`)
function M.connection(id, raw, sock)
  return setmetatable({ id = id, raw = raw, sock = sock or raw, tls = sock ~= nil and sock ~= raw, buf = "" },
    Conn)
end

-- Read more bytes into the buffer; nil, err once the peer is gone.
function Conn:fill()
  while true do
    local data, err, partial = self.sock:receive(8192)
    data = data or partial
    if data and #data > 0 then
      self.buf = self.buf .. data
      return true
    end
    local mode = would_block(err, "r")
    if not mode then return nil, err end
    wait(self.sock, mode)
  end
end

function Conn:send(data)
  local i = 1
  while i <= #data do
    local last, err, sent = self.sock:send(data, i)
    if last then
      i = last + 1
    else
      if sent and sent >= i then i = sent + 1 end
      local mode = would_block(err, "w")
      if not mode then return nil, err end
      if i <= #data then wait(self.sock, mode) end
    end
  end
  return true
end

function Conn:close()
  if not self.closed then
    self.closed = true
    loop.readers[self.sock], loop.writers[self.sock] = nil, nil
    self.sock:close()
  end
end

-- luasec objects whose descriptor was closed behind their back (see Conn:abort). Kept
-- referenced for good: collecting one would send close_notify on, and close, a descriptor
-- number the kernel may since have given to another connection. A few KB per reset.
local abandoned = {}

-- Close with SO_LINGER 0 so the kernel sends RST instead of FIN.
function Conn:abort()
  if self.closed then return end
  self.closed = true
  loop.readers[self.sock], loop.writers[self.sock] = nil, nil
  local raw = self.raw
  if self.tls then
    -- ssl.wrap moved the descriptor out of the tcp object; closing through luasec would send
    -- a TLS close_notify first, which clients read as a clean end of stream.
    raw:setfd(self.sock:getfd())
    abandoned[#abandoned + 1] = self.sock
  end
  raw:setoption("linger", { on = true, timeout = 0 })
  raw:close()
end

local MAX_HEAD = 64 * 1024

local function url_decode(s)
  s = s:gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function parse_query(q)
  local params = {}
  for pair in q:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    params[url_decode(k)] = url_decode(v)
  end
  return params
end

--- One request, or nil when the connection ends (or sends garbage).
function Conn:read_request()
  local head_end
  while true do
    head_end = self.buf:find("\r\n\r\n", 1, true)
    if head_end then break end
    if #self.buf > MAX_HEAD then return nil, "header too large" end
    local ok, err = self:fill()
    if not ok then return nil, err end
  end
  local head = self.buf:sub(1, head_end - 1)
  self.buf = self.buf:sub(head_end + 4)
  local line, rest = head:match("^([^\r\n]*)\r?\n?(.*)$")
  local method, target, version = line:match("^(%S+)%s+(%S+)%s+(HTTP/%d%.%d)$")
  if not method then return nil, "bad request line" end
  local headers = {}
  for name, value in rest:gmatch("([^:\r\n]+):[ \t]*([^\r\n]*)") do
    name = name:lower()
    value = value:gsub("%s+$", "")
    headers[name] = headers[name] and (headers[name] .. ", " .. value) or value
  end
  local length = tonumber(headers["content-length"] or "0") or 0
  if length > #self.buf and (headers.expect or ""):lower() == "100-continue" then
    self:send("HTTP/1.1 100 Continue\r\n\r\n") -- curl waits a second for this before a large body
  end
  while #self.buf < length do
    local ok, err = self:fill()
    if not ok then return nil, err end
  end
  local body = self.buf:sub(1, length)
  self.buf = self.buf:sub(length + 1)
  local raw_path, query = target:match("^([^?]*)%??(.*)$")
  raw_path = raw_path:gsub("^%a+://[^/]*", "") -- absolute-form target
  return {
    method = method, target = target, version = version, path = url_decode(raw_path),
    query = query, params = parse_query(query), headers = headers, body = body,
  }
end

local REASONS = {
  [200] = "OK", [201] = "Created", [204] = "No Content", [301] = "Moved Permanently",
  [302] = "Found", [303] = "See Other", [304] = "Not Modified", [307] = "Temporary Redirect",
  [308] = "Permanent Redirect", [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden",
  [404] = "Not Found", [405] = "Method Not Allowed", [408] = "Request Timeout",
  [413] = "Payload Too Large", [429] = "Too Many Requests", [500] = "Internal Server Error",
  [502] = "Bad Gateway", [503] = "Service Unavailable", [504] = "Gateway Timeout",
}

--- Response head; `extra` header names are matched case-insensitively against the defaults.
function M.response_head(status, body_len, content_type, keep_alive, extra)
  local lines = { format("HTTP/1.1 %d %s", status, REASONS[status] or "Unknown") }
  local given = {}
  for k in pairs(extra or {}) do given[k:lower()] = true end
  if not given["content-type"] and content_type then lines[#lines + 1] = "Content-Type: " .. content_type end
  if not given["content-length"] then lines[#lines + 1] = "Content-Length: " .. body_len end
  lines[#lines + 1] = "Date: " .. os.date("!%a, %d %b %Y %H:%M:%S GMT")
  if not given["connection"] then
    lines[#lines + 1] = "Connection: " .. (keep_alive and "keep-alive" or "close")
  end
  local names = {}
  for k in pairs(extra or {}) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do lines[#lines + 1] = k .. ": " .. tostring(extra[k]) end
  return concat(lines, "\r\n") .. "\r\n\r\n"
end

return M
