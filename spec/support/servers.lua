-- Real servers the export specs talk to, started on a free loopback port in a temporary folder
-- and stopped by the spec: Prometheus' node_exporter (Debian's prometheus-node-exporter) with
-- only its textfile collector. Every wait is bounded; nothing here reaches the internet.
local socket = require "socket"
local http = require "socket.http"
local emu = require "spec.support.emulator_spec_helper"

local quote, read, alive = emu.quote, emu.read_file, emu.alive

local M = {}

--- Seconds a server may take to answer after it was started.
M.START_TIMEOUT = 15

--- The node_exporter program.
M.NODE_EXPORTER = "prometheus-node-exporter"

--- The path of a program on PATH, or nil.
-- @tparam string name
-- @treturn string|nil
function M.which(name)
  local p = io.popen("command -v " .. quote(name) .. " 2>/dev/null")
  local path = p:read("*l")
  p:close()
  return path ~= "" and path or nil
end

-- A loopback port free now (the system's pick for a socket bound to port 0).
local function free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

--- GET of a loopback URL: status and body, or nil and why (at most `timeout` seconds).
-- @tparam string url
-- @tparam[opt=2] number timeout
-- @treturn integer|nil status
-- @treturn string body, or the error
function M.get(url, timeout)
  http.TIMEOUT = timeout or 2
  local chunks = {}
  local ok, status = http.request { url = url, sink = require("ltn12").sink.table(chunks) }
  if not ok then return nil, tostring(status) end
  return status, table.concat(chunks)
end

local Server = {}
Server.__index = Server

--- Stops the server: SIGTERM, then SIGKILL after 2 s; removes its folder. Safe to call twice.
function Server:stop()
  if self.stopped then return end
  self.stopped = true
  if self.pid then
    os.execute("kill -TERM " .. self.pid .. " 2>/dev/null")
    local deadline = socket.gettime() + 2
    while alive(self.pid) and socket.gettime() < deadline do socket.sleep(0.02) end
    if alive(self.pid) then os.execute("kill -KILL " .. self.pid .. " 2>/dev/null") end
  end
  os.execute("rm -rf " .. quote(self.root))
end

--- GET of a path of the server.
-- @treturn integer|nil status
-- @treturn string body, or the error
function Server:get(path)
  return M.get(self.url .. path)
end

-- Starts `argv` (a list of words, with "{port}" replaced) in the background, its output in `root`,
-- and waits until `ready_path` answers 200: the server, or nil and why.
local function launch(root, argv, ready_path)
  local port = free_port()
  local words = {}
  for i, a in ipairs(argv) do words[i] = quote((a:gsub("{port}", tostring(port)))) end
  local log = root .. "/server.log"
  -- output to a file: the popen pipe must close once the pid is read
  local p = assert(io.popen(table.concat(words, " ") .. " >" .. quote(log) .. " 2>&1 </dev/null & echo $!"))
  local pid = tonumber(p:read("*l"))
  p:close()
  local s = setmetatable({ pid = pid, port = port, root = root, url = "http://127.0.0.1:" .. port }, Server)
  local deadline = socket.gettime() + M.START_TIMEOUT
  while socket.gettime() < deadline do
    if not (pid and alive(pid)) then
      return nil, "exited: " .. (read(log) or "")
    end
    if M.get(s.url .. ready_path, 1) == 200 then return s end
    socket.sleep(0.05)
  end
  os.execute("kill -KILL " .. pid .. " 2>/dev/null")
  return nil, ("did not answer within %d s: %s"):format(M.START_TIMEOUT, read(log) or "")
end

--- Starts node_exporter with its textfile collector alone, on a free loopback port, reading the
-- `.prom` files of a new temporary folder (`dir`). A port taken meanwhile is tried again.
-- @treturn table|nil the server: `dir`, `url`, `port`, `pid`, `get(path)`, `stop()`
-- @treturn string why it could not start
function M.node_exporter()
  local root = os.tmpname()
  os.remove(root)
  assert(os.execute("mkdir -p " .. quote(root .. "/textfile")))
  local why
  for _ = 1, 3 do
    local s
    s, why = launch(root, { M.NODE_EXPORTER, "--collector.disable-defaults", "--collector.textfile",
      "--collector.textfile.directory=" .. root .. "/textfile", "--web.listen-address=127.0.0.1:{port}" },
      "/metrics")
    if s then
      s.dir = root .. "/textfile"
      return s
    end
  end
  os.execute("rm -rf " .. quote(root))
  return nil, "node_exporter " .. why
end

return M
