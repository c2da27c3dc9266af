-- A loopback HTTP/1.1 server for spec/nonblocking_fds_spec.lua (run by lua5.4): answers each
-- GET with one canned response after `delay` seconds, and appends the time it wrote it
-- (socket.gettime(): the wall clock, which the client process reads too) to a log file, one line
-- each. It ends after 20 s without a connection, so it never outlives a spec that died.
--   lua5.4 stamp_server.lua PORT_FILE LOG_FILE BODY_FILE DELAY
local socket = require "socket"

local port_file, log_file, body_file, delay = arg[1], arg[2], arg[3], tonumber(arg[4])
local f = assert(io.open(body_file, "rb"))
local body = f:read("a")
f:close()
local head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"):format(#body)

local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
f = assert(io.open(port_file .. ".tmp", "w"))
f:write(port, "\n")
f:close()
assert(os.rename(port_file .. ".tmp", port_file)) -- whole or absent for the reader

local log = assert(io.open(log_file, "a"))
server:settimeout(20)
while true do
  local c = server:accept()
  if not c then break end
  c:settimeout(20)
  while true do -- the requests of a kept-alive connection
    local line = c:receive("*l")
    if not line then break end
    repeat local h = c:receive("*l") until not h or h == ""
    socket.sleep(delay)
    -- stamped just before the write: the client cannot have the answer earlier (stamped after,
    -- a preempted server could stamp after the client ended)
    local sent = socket.gettime()
    if not c:send(head .. body) then break end
    log:write(("%.6f\n"):format(sent))
    log:flush()
  end
  c:close()
end
