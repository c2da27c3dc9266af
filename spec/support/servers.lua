-- Real servers the export specs talk to, started on a free loopback port in a temporary folder
-- and stopped by the spec: Prometheus' node_exporter (Debian's prometheus-node-exporter) with
-- only its textfile collector, InfluxDB 1.x (Debian's influxdb: influxd), VictoriaMetrics
-- (Debian's victoria-metrics, for the InfluxDB 2.x write API), and Debian's mosquitto with a
-- password file and a TLS listener whose certificate a throwaway CA signed. Every wait is
-- bounded; nothing here reaches the internet.
local socket = require "socket"
local http = require "socket.http"
local emu = require "spec.support.emulator_spec_helper"

local quote, read, alive = emu.quote, emu.read_file, emu.alive

local M = {}

--- Seconds a server may take to answer after it was started.
M.START_TIMEOUT = 15

--- The node_exporter program.
M.NODE_EXPORTER = "prometheus-node-exporter"
--- InfluxDB 1.x's server program.
M.INFLUXD = "influxd"
--- VictoriaMetrics' program.
M.VICTORIA_METRICS = "victoria-metrics"

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

--- Stops the server's process: SIGTERM, then SIGKILL after 2 s; its folder stays (`restart`).
function Server:halt()
  if self.pid then
    os.execute("kill -TERM " .. self.pid .. " 2>/dev/null")
    local deadline = socket.gettime() + 2
    while alive(self.pid) and socket.gettime() < deadline do socket.sleep(0.02) end
    if alive(self.pid) then os.execute("kill -KILL " .. self.pid .. " 2>/dev/null") end
    self.pid = nil
  end
end

--- Starts a halted server again, on the same port with the same data (servers that can).
-- @treturn true|nil
-- @treturn string why not
function Server:restart()
  self:halt()
  local s, why = self.relaunch()
  if not s then return nil, why end
  self.pid = s.pid
  return true
end

--- Stops the server (`halt`) and removes its folder. Safe to call twice.
function Server:stop()
  if self.stopped then return end
  self.stopped = true
  self:halt()
  os.execute("rm -rf " .. quote(self.root))
end

--- GET of a path of the server.
-- @treturn integer|nil status
-- @treturn string body, or the error
function Server:get(path)
  return M.get(self.url .. path)
end

--- POST of a form to a path of the server (`fields`: name -> value), with basic auth when the
-- server has an admin (`self.admin`: {user, password}).
-- @treturn integer|nil status
-- @treturn string body, or the error
function Server:post_form(path, fields)
  local url = require "socket.url"
  local parts = {}
  for k, v in pairs(fields) do parts[#parts + 1] = url.escape(k) .. "=" .. url.escape(v) end
  local body = table.concat(parts, "&")
  local chunks = {}
  local headers = { ["content-type"] = "application/x-www-form-urlencoded", ["content-length"] = #body }
  if self.admin then
    headers.authorization = "Basic " .. require("mime").b64(self.admin[1] .. ":" .. self.admin[2])
  end
  http.TIMEOUT = 5
  local ok, status = http.request { url = self.url .. path, method = "POST", headers = headers,
    source = require("ltn12").source.string(body), sink = require("ltn12").sink.table(chunks) }
  if not ok then return nil, tostring(status) end
  return status, table.concat(chunks)
end

--- An InfluxQL statement through `POST /query` (`db` given when it names one): the decoded
-- answer, or nil and why.
-- @tparam string q
-- @tparam[opt] string db
-- @treturn table|nil
-- @treturn string
function Server:query(q, db)
  local status, body = self:post_form("/query", { q = q, db = db, epoch = "s" })
  if status ~= 200 then return nil, tostring(status) .. " " .. tostring(body) end
  return require("cjson").decode(body)
end

--- Suspends the server (SIGSTOP): connections hang, as a server that stopped answering.
function Server:pause()
  os.execute("kill -STOP " .. self.pid .. " 2>/dev/null")
end

--- Resumes a server `pause` suspended.
function Server:resume()
  os.execute("kill -CONT " .. self.pid .. " 2>/dev/null")
end

-- Starts `argv` (a list of words, with "{port}" replaced) in the background, its output in `root`,
-- and waits until `ready_path` answers `ready_status` (200); `prepare(port)`, when given, runs
-- first (a config file naming the port); `port`, when given, is used (a restart): the server,
-- or nil and why.
local function launch(root, argv, ready_path, prepare, ready_status, port)
  port = port or free_port()
  if prepare then prepare(port) end
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
    if M.get(s.url .. ready_path, 1) == (ready_status or 200) then return s end
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

-- A new temporary folder.
local function temp_folder()
  local root = os.tmpname()
  os.remove(root)
  assert(os.execute("mkdir -p " .. quote(root)))
  return root
end

-- influxd's config: both listeners on loopback, no reporting, every folder in `root`.
local function influxd_config(root, port, auth)
  local f = assert(io.open(root .. "/influxdb.conf", "w"))
  f:write(([[
reporting-disabled = true
bind-address = "127.0.0.1:%d"
[meta]
  dir = "%s/meta"
[data]
  dir = "%s/data"
  wal-dir = "%s/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:%d"
  log-enabled = false
  auth-enabled = %s
]]):format(free_port(), root, root, root, port, auth and "true" or "false"))
  f:close()
end

--- Starts InfluxDB 1.x (`influxd -config FILE`) on a free loopback port, its meta, data and WAL
-- folders in a new temporary folder, and creates the database `linky`. With `opts.auth`,
-- authentication is on: an admin (`server.admin`, {user, password}) and the users of
-- `opts.users` (name -> { password =, grant = "WRITE"|"READ"|nil }) are created.
-- @tparam[opt] table opts `auth` (boolean), `users`, `db` (default "linky")
-- @treturn table|nil the server: `url`, `port`, `pid`, `admin`, `get`, `query`, `halt`,
-- `restart` (same port and data), `stop()`
-- @treturn string why it could not start
function M.influxd(opts)
  opts = opts or {}
  local root, why = temp_folder(), nil
  local argv = { M.INFLUXD, "-config", root .. "/influxdb.conf" }
  for _ = 1, 3 do
    local s
    s, why = launch(root, argv, "/ping", function(port) influxd_config(root, port, opts.auth) end, 204)
    if s then
      s.relaunch = function() return launch(root, argv, "/ping", nil, 204, s.port) end
      local db = opts.db or "linky"
      local function run(q)
        local res, qerr = s:query(q)
        local r = res and res.results and res.results[1]
        if not r or r.error then
          s:stop()
          return nil, "influxd: " .. tostring(qerr or (r and r.error))
        end
        return true
      end
      local ok, qwhy = true, nil
      if opts.auth then
        ok, qwhy = run("CREATE USER admin WITH PASSWORD 'admin-pw' WITH ALL PRIVILEGES")
        s.admin = { "admin", "admin-pw" }
      end
      if ok then ok, qwhy = run(("CREATE DATABASE %q"):format(db)) end
      for name, u in pairs(opts.users or {}) do
        if ok then ok, qwhy = run(("CREATE USER %q WITH PASSWORD '%s'"):format(name, u.password)) end
        if ok and u.grant then ok, qwhy = run(("GRANT %s ON %q TO %q"):format(u.grant, db, name)) end
      end
      if not ok then return nil, qwhy end
      return s
    end
  end
  os.execute("rm -rf " .. quote(root))
  return nil, "influxd " .. why
end

--- Starts VictoriaMetrics on a free loopback port, its data in a new temporary folder, keeping
-- points of any age (`-retentionPeriod=100y`: without it, points older than a month are dropped).
-- @treturn table|nil the server: `url`, `port`, `pid`, `get`, `export(match)`, `stop()`
-- @treturn string why it could not start
function M.victoria_metrics()
  local root, why = temp_folder(), nil
  for _ = 1, 3 do
    local s
    s, why = launch(root, { M.VICTORIA_METRICS, "-retentionPeriod=100y", "-storageDataPath=" .. root .. "/data",
      "-httpListenAddr=127.0.0.1:{port}" }, "/health")
    if s then return s end
  end
  os.execute("rm -rf " .. quote(root))
  return nil, "victoria-metrics " .. why
end

--- The series VictoriaMetrics holds for a selector (`/api/v1/export`, after a flush of what it
-- buffers): a list of `{ metric = {labels}, values = {...}, timestamps = {...} }` (milliseconds).
-- @tparam string match a series selector (`linky_value`)
-- @treturn table|nil
-- @treturn string why not
function Server:export(match)
  local flushed = self:get("/internal/force_flush")
  if flushed ~= 200 then return nil, "force_flush answered " .. tostring(flushed) end
  local status, body = self:post_form("/api/v1/export", { ["match[]"] = match })
  if status ~= 200 then return nil, tostring(status) .. " " .. tostring(body) end
  local cjson = require "cjson"
  local out = {}
  for line in body:gmatch("[^\n]+") do out[#out + 1] = cjson.decode(line) end
  return out
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
