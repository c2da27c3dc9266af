-- Real servers the export specs talk to, started on a free loopback port in a temporary folder
-- and stopped by the spec: Prometheus' node_exporter (Debian's prometheus-node-exporter) with
-- only its textfile collector; Debian's mosquitto with a password file and a TLS listener whose
-- certificate a throwaway CA signed. Every wait is bounded; nothing here reaches the internet.
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

--- The mosquitto broker program (Debian's mosquitto).
M.MOSQUITTO = "/usr/sbin/mosquitto"

-- Whether a TCP connection to a loopback port is accepted now.
local function accepts(port)
  local c = socket.tcp()
  c:settimeout(0.5)
  local ok = c:connect("127.0.0.1", port)
  c:close()
  return ok ~= nil
end

local function run(cmd)
  local ok = os.execute(cmd .. " >/dev/null 2>&1")
  return ok == true or ok == 0
end

-- A throwaway CA and a server certificate it signed for 127.0.0.1 and localhost, in `root`:
-- true | nil, why.
local function make_ca(root)
  local q = function(name) return quote(root .. "/" .. name) end
  local ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
  local f = assert(io.open(root .. "/san.ext", "w"))
  f:write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
  f:close()
  if not (run(("openssl req -x509 %s -days 2 -subj /CN=linky-spec-ca -keyout %s -out %s")
      :format(ec, q("ca.key"), q("ca.crt")))
    and run(("openssl req %s -subj /CN=localhost -keyout %s -out %s"):format(ec, q("server.key"), q("server.csr")))
    and run(("openssl x509 -req -in %s -CA %s -CAkey %s -CAcreateserial -days 2 -out %s -extfile %s")
      :format(q("server.csr"), q("ca.crt"), q("ca.key"), q("server.crt"), q("san.ext")))) then
    return nil, "openssl could not make the throwaway CA"
  end
  return true
end

local Broker = setmetatable({}, { __index = Server })
Broker.__index = Broker

-- Starts mosquitto on the broker's ports and config; waits until both listeners accept.
local function start_broker(b)
  local log = b.root .. "/broker.log"
  local p = assert(io.popen(quote(M.MOSQUITTO) .. " -c " .. quote(b.root .. "/mosquitto.conf") .. " >"
    .. quote(log) .. " 2>&1 </dev/null & echo $!"))
  b.pid = tonumber(p:read("*l"))
  p:close()
  b.stopped = false
  local deadline = socket.gettime() + M.START_TIMEOUT
  while socket.gettime() < deadline do
    if not (b.pid and alive(b.pid)) then return nil, "exited: " .. (read(log) or "") end
    if accepts(b.port) and accepts(b.tls_port) then return b end
    socket.sleep(0.05)
  end
  os.execute("kill -KILL " .. b.pid .. " 2>/dev/null")
  return nil, ("did not listen within %d s: %s"):format(M.START_TIMEOUT, read(log) or "")
end

--- Stops the broker (SIGTERM, then SIGKILL), keeping its folder: its retained messages are
-- saved there, and `start` brings it back on the same ports with them.
function Broker:halt()
  local root = self.root
  self.root = root .. "/nothing-to-remove"
  Server.stop(self)
  self.root = root
end

--- Starts a halted broker again, on the same ports.
-- @treturn table|nil the broker
-- @treturn string why not
function Broker:start()
  return start_broker(self)
end

--- Stops the broker and removes its folder. Safe to call twice.
function Broker:stop()
  Server.stop(self)
  os.execute("rm -rf " .. quote(self.root))
end

--- Starts mosquitto on two free loopback ports of a new temporary folder: `port` (plain MQTT)
-- and `tls_port` (TLS, its certificate signed by the throwaway CA `cafile`), anonymous clients
-- refused, one user (`user`, `password`) in a password file made with `mosquitto_passwd -b`,
-- retained messages saved in the folder across `halt` and `start`.
-- @treturn table|nil the broker: `port`, `tls_port`, `cafile`, `user`, `password`, `root`,
-- `halt()`, `start()`, `stop()`
-- @treturn string why it could not start
function M.mosquitto()
  local root = os.tmpname()
  os.remove(root)
  assert(os.execute("mkdir -p " .. quote(root)))
  local b = setmetatable({ root = root, user = "linky", password = "s3cret p@ss'word",
                           cafile = root .. "/ca.crt" }, Broker)
  local ok, why = make_ca(root)
  if ok and not run(("mosquitto_passwd -c -b %s %s %s"):format(quote(root .. "/passwd"), quote(b.user),
      quote(b.password))) then
    ok, why = nil, "mosquitto_passwd failed"
  end
  for _ = 1, ok and 3 or 0 do
    b.port, b.tls_port = free_port(), free_port()
    local root_user = io.popen("id -u"):read("*l") == "0"
    local conf = table.concat({
      "per_listener_settings false", "allow_anonymous false",
      "password_file " .. root .. "/passwd",
      "persistence true", "persistence_location " .. root .. "/",
      "log_dest stderr", "log_type error", "log_type warning",
      -- as root, mosquitto drops to the user "mosquitto", who cannot read the key in this folder
      root_user and "user root" or "",
      ("listener %d 127.0.0.1"):format(b.port),
      ("listener %d 127.0.0.1"):format(b.tls_port),
      "cafile " .. root .. "/ca.crt", "certfile " .. root .. "/server.crt",
      "keyfile " .. root .. "/server.key", "",
    }, "\n")
    local f = assert(io.open(root .. "/mosquitto.conf", "w"))
    f:write(conf)
    f:close()
    local started
    started, why = start_broker(b)
    if started then return b end
  end
  os.execute("rm -rf " .. quote(root))
  return nil, "mosquitto " .. tostring(why)
end

return M
