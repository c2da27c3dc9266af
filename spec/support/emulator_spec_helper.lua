-- Start and drive the Conso API emulator (spec/support/emulator/) from busted specs.
-- It runs as a separate process because libcurl blocks the Lua thread of the spec. The emulator
-- is a Lua 5.4 program: whatever interpreter runs the suite, only its token module (written in
-- the Lua of every version) loads here, and its other helpers run in a lua5.4 child (`eval`).
local M = {}

M._VERSION = "0.2"

local socket = require "socket"
local cjson = require "cjson.safe"

local HERE = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local jwt = dofile(HERE .. "/emulator/token.lua")
local rte_account = dofile(HERE .. "/emulator/rte_account.lua")

M.EMULATOR = HERE .. "/emulator/main.lua"
M.FIXTURES = HERE .. "/../fixtures/recorded"
M.LUA = "lua5.4"
M.START_TIMEOUT = 10

--- A whole file's bytes, or nil when it cannot be read.
-- @tparam string path
-- @treturn string|nil
local function read_all(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local bytes = f:read("*a")
  f:close()
  return bytes
end

--- Test token for PRM 11111111111111 (secret "secret", expires 2029-05-26).
M.TOKEN1 = "eyJhbGciOiJIUzI1NiJ9.eyJpYXQiOjE3ODAwMDAwMDAsImV4cCI6MTg3NDUyMTYwMCwic3ViIjpbIjExMTExMTExMTEx"
  .. "MTExIl19.idxOwOl1Uk_T0iTo1vc11543LIbVlv_6_-doSyV30a8"
--- Test token for PRMs 11111111111111 and 22222222222222.
M.TOKEN2 = "eyJhbGciOiJIUzI1NiJ9.eyJpYXQiOjE3ODAwMDAwMDAsImV4cCI6MTg3NDUyMTYwMCwic3ViIjpbIjExMTExMTExMTEx"
  .. "MTExIiwiMjIyMjIyMjIyMjIyMjIiXX0.rJ6jr99iiV2hwgnF8D2S_4N7GTeyhTA3zVjfDbu3Ohg"
M.PRM1, M.PRM2 = "11111111111111", "22222222222222"

--- The RTE account the emulator accepts (`POST /token/oauth/` with basic auth).
M.RTE_CLIENT_ID, M.RTE_CLIENT_SECRET = rte_account.client_id, rte_account.client_secret

--- Mint an HS256 token the emulator accepts.
-- @tparam table|string payload claims, e.g. `{iat=..., exp=..., sub={"1111..."}}`, or exact JSON
-- @tparam[opt="secret"] string secret signing key (pass another one for a bad signature)
-- @treturn string the token
function M.token(payload, secret)
  return jwt.sign(payload, secret or "secret")
end

--- Bytes of a recorded fixture.
-- @tparam string relative e.g. "v2026/consommation_quotidienne.json"
-- @treturn string the file's bytes
function M.fixture(relative)
  return (assert(read_all(M.FIXTURES .. "/" .. relative), "cannot read fixture " .. relative))
end

--- A string quoted for the POSIX shell.
-- @tparam string s any string
-- @treturn string `'s'` with inner quotes escaped
local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
M.quote = quote

--- The value of a Lua expression computed by the emulator's interpreter (lua5.4), with the
-- emulator package loaded as `emulator` (see emulator/init.lua), as a string.
-- @tparam string expr e.g. `emulator.DEFAULT_FIXTURES`
-- @treturn string `tostring` of its value
function M.eval(expr)
  local code = ("local emulator = dofile(%q) io.write(tostring(%s))"):format(HERE .. "/emulator/init.lua", expr)
  local p = assert(io.popen(M.LUA .. " -e " .. quote(code) .. " 2>&1; echo \" $?\""))
  local out = p:read("*a")
  p:close()
  local value, status = out:match("^(.*) (%d+)\n$")
  if status ~= "0" then error("emulator helper failed: " .. out, 2) end
  return value
end

--- The emulator's synthetic success body for a query (`emulator.synthetic`).
-- @tparam string type_name API type
-- @tparam table q string fields {prm, start, end, step, physical}
-- @treturn string JSON body
function M.synthetic(type_name, q)
  local fields = {}
  for k, v in pairs(q) do fields[#fields + 1] = ("[%q] = %q"):format(k, v) end
  return M.eval(("emulator.synthetic(%q, { %s })"):format(type_name, table.concat(fields, ", ")))
end

--- A throwaway CA and a server certificate it signed, made with the openssl command.
-- `cert` is the server's chain (its certificate, then the CA's): the emulator serves it, and as
-- a `cainfo` it also works, since it holds the CA. `ca` holds the CA's certificate alone.
-- @tparam[opt] table opts `names`: subjectAltName entries (default localhost and 127.0.0.1)
-- @treturn table `{ dir =, ca =, cert =, key =, remove = function }`
function M.certificate(opts)
  local names = opts and opts.names or "DNS:localhost,IP:127.0.0.1"
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. quote(dir)))
  local function path(name) return quote(dir .. "/" .. name) end
  local ext = assert(io.open(dir .. "/server.ext", "w"))
  ext:write("subjectAltName=", names, "\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n")
  ext:close()
  local steps = {
    "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=linky-spec-ca -days 2"
      .. " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
      .. " -keyout " .. path("ca.key") .. " -out " .. path("ca.pem"),
    "openssl req -newkey rsa:2048 -nodes -subj /CN=linky-spec -keyout " .. path("key.pem")
      .. " -out " .. path("server.csr"),
    "openssl x509 -req -in " .. path("server.csr") .. " -CA " .. path("ca.pem") .. " -CAkey " .. path("ca.key")
      .. " -set_serial 1 -days 2 -extfile " .. path("server.ext") .. " -out " .. path("server.pem"),
    "cat " .. path("server.pem") .. " " .. path("ca.pem") .. " > " .. path("cert.pem"),
  }
  for _, cmd in ipairs(steps) do
    assert(os.execute(cmd .. " 2>/dev/null"), "openssl failed: " .. cmd)
  end
  return { dir = dir, ca = dir .. "/ca.pem", cert = dir .. "/cert.pem", key = dir .. "/key.pem",
           remove = function() os.execute("rm -rf " .. quote(dir)) end }
end

M.read_file = read_all

--- Whether a process is still running. A zombie counts as gone: the emulator is reparented
-- to PID 1, which may reap it only much later.
-- @tparam integer pid process id
-- @treturn boolean
function M.alive(pid)
  local stat = read_all("/proc/" .. pid .. "/stat")
  if stat then return stat:match("%)%s+(%a)") ~= "Z" end
  if read_all("/proc/self/stat") then return false end -- /proc works: the process is gone
  return os.execute("kill -0 " .. pid .. " 2>/dev/null") == true
end
local alive = M.alive

---------------------------------------------------------------------------------------------
-- A small blocking HTTP/1.1 client on luasocket (and luasec for https): control requests must
-- not go through the library under test.

--- Open a connection to a server (TLS when the server uses it; certificates not verified).
-- @tparam table s a server from `start`
-- @tparam[opt=5] number timeout seconds
-- @return[1] a connected luasocket/luasec object
-- @treturn[2] nil
-- @treturn[2] string reason
function M.connect(s, timeout)
  local sock, err = socket.connect("127.0.0.1", s.port)
  if not sock then return nil, err end
  sock:settimeout(timeout or 5)
  if s.tls then
    local ssl = require "ssl"
    local tls
    tls, err = ssl.wrap(sock, { mode = "client", protocol = "any", verify = "none", options = { "all" } })
    if not tls then
      sock:close()
      return nil, err
    end
    tls:settimeout(timeout or 5)
    local ok
    ok, err = tls:dohandshake()
    if not ok then
      tls:close()
      return nil, err
    end
    sock = tls
  end
  return sock
end

--- Write one request on an open connection.
-- @param sock connection from `connect`
-- @tparam table req {method="GET", path="/api/..", headers={..}, body=".."}
-- @treturn[1] true
-- @treturn[2] nil
-- @treturn[2] string reason
function M.send_request(sock, req)
  local body = req.body or ""
  local lines = { (req.method or "GET") .. " " .. req.path .. " HTTP/1.1", "Host: 127.0.0.1" }
  local headers = req.headers or {}
  for k, v in pairs(headers) do lines[#lines + 1] = k .. ": " .. v end
  if #body > 0 or (req.method and req.method ~= "GET") then
    lines[#lines + 1] = "Content-Length: " .. #body
  end
  local ok, err = sock:send(table.concat(lines, "\r\n") .. "\r\n\r\n" .. body)
  if not ok then return nil, err end
  return true
end

--- Read one response from an open connection.
-- @param sock connection from `connect`
-- @treturn[1] table {status=, headers={lower-case names}, body=}
-- @treturn[2] nil
-- @treturn[2] string reason ("timeout", "closed", ...)
-- @treturn[2] string the body bytes received before the failure, if any
function M.read_response(sock)
  local line, err = sock:receive("*l")
  if not line then return nil, err end
  local status = tonumber(line:match("^HTTP/%d%.%d (%d%d%d)"))
  if not status then return nil, "bad status line: " .. line end
  local headers = {}
  while true do
    local h
    h, err = sock:receive("*l")
    if not h then return nil, err end
    if h == "" then break end
    local k, v = h:match("^([^:]+):%s*(.-)%s*$")
    if k then headers[k:lower()] = v end
  end
  local body, partial
  if headers["content-length"] then
    body, err, partial = sock:receive(tonumber(headers["content-length"]))
  else
    body, err, partial = sock:receive("*a")
  end
  if not body then return nil, err, partial end
  return { status = status, headers = headers, body = body }
end

--- One request on a fresh connection (closed afterwards).
-- @tparam table s a server from `start`
-- @tparam table req {method=, path=, headers=, body=, timeout=}
-- @treturn[1] table {status=, headers=, body=}
-- @treturn[2] nil
-- @treturn[2] string reason
-- @treturn[2] string body bytes received before the failure, if any
function M.request(s, req)
  local sock, err = M.connect(s, req.timeout)
  if not sock then return nil, err end
  local headers = { Connection = "close" }
  for k, v in pairs(req.headers or {}) do headers[k] = v end
  local ok
  ok, err = M.send_request(sock, { method = req.method, path = req.path, headers = headers, body = req.body })
  local res, partial
  if ok then res, err, partial = M.read_response(sock) end
  sock:close()
  return res, err, partial
end

---------------------------------------------------------------------------------------------
-- Server objects.

local Server = {}
Server.__index = Server

local function control(s, method, route, body)
  local res, err = M.request(s, { method = method, path = "/_emulator/" .. route, body = body })
  if not res then error("emulator control " .. route .. " failed: " .. tostring(err), 3) end
  local decoded = cjson.decode(res.body)
  if res.status ~= 200 then
    error("emulator control " .. route .. ": " .. res.status .. " " .. res.body, 3)
  end
  return decoded
end

--- Queue scripted answers (see emulator/init.lua); one answer table or a list of them.
-- @tparam table answers e.g. `{{error="quota_429_fault"}, {delay=0.5}}`
-- @treturn table the decoded reply `{queued=N, added=M}`
function Server:script(answers)
  if answers[1] == nil then answers = { answers } end
  return control(self, "POST", "script", assert(cjson.encode(answers)))
end

--- Every logged request (control routes included, except log reads).
-- @treturn table entries {n, conn, service, method, path, query, params, headers, body, time}
function Server:log()
  return control(self, "GET", "log")
end

--- Logged requests to /api only.
-- @treturn table entries
function Server:api_requests()
  local out = {}
  for _, e in ipairs(self:log()) do
    if e.path:sub(1, 4) == "/api" then out[#out + 1] = e end
  end
  return out
end

--- Logged requests to one emulated service.
-- @tparam string service "conso", "tempo" (api-couleur-tempo) or "rte"
-- @treturn table entries
function Server:requests_to(service)
  local out = {}
  for _, e in ipairs(self:log()) do
    if e.service == service then out[#out + 1] = e end
  end
  return out
end

--- Set the Tempo sources' settings (see emulator/init.lua): `today`, `tomorrow`,
-- `unknown_seasons`, `broken_seasons`, `rte_shape`, `rte_expires_in`, `revoke_tokens`.
-- @tparam[opt] table settings the settings to change; none reads them
-- @treturn table the settings in force
function Server:tempo(settings)
  if settings == nil then return control(self, "GET", "tempo") end
  return control(self, "POST", "tempo", assert(cjson.encode(settings)))
end

--- Clear the log, the script queue and the Tempo settings.
function Server:reset()
  return control(self, "POST", "reset")
end

--- Counters since start: `{connections=N, requests=M, services={conso=, tempo=, rte=}}`
-- (requests = requests to the emulated services).
-- @treturn table
function Server:stats()
  return control(self, "GET", "stats")
end

--- Same as `M.request(self, req)`.
-- @tparam table req {method=, path=, headers=, body=, timeout=}
function Server:request(req)
  return M.request(self, req)
end

--- GET an API type with a token (TOKEN1 by default).
-- @tparam string type_name e.g. "consommation_quotidienne"
-- @tparam string query raw query string
-- @tparam[opt] string token bearer token; `false` sends no Authorization header
-- @treturn table {status, headers, body}
function Server:get(type_name, query, token)
  local headers = {}
  if token ~= false then headers.Authorization = "Bearer " .. (token or M.TOKEN1) end
  return M.request(self, { path = "/api/" .. type_name .. (query and "?" .. query or ""), headers = headers })
end

--- Stop the emulator: shutdown route, then SIGTERM/SIGKILL if needed; removes temp files.
-- Safe to call twice.
function Server:stop()
  if self.stopped then return end
  self.stopped = true
  pcall(M.request, self, { method = "POST", path = "/_emulator/shutdown", timeout = 1 })
  local deadline = socket.gettime() + 2
  while alive(self.pid) and socket.gettime() < deadline do socket.sleep(0.02) end
  if alive(self.pid) then
    os.execute("kill -TERM " .. self.pid .. " 2>/dev/null")
    socket.sleep(0.1)
    if alive(self.pid) then os.execute("kill -KILL " .. self.pid .. " 2>/dev/null") end
  end
  for _, f in ipairs(self.files) do os.remove(f) end
end

Server.__gc = Server.stop
Server.__close = Server.stop

--- Start an emulator process on a free loopback port and wait until it listens.
-- @tparam[opt] table opts {tls={cert=, key=}, fixtures=DIR, lua="lua5.4", args={...}}
-- @treturn table server with `port`, `url` (ending in /api), `base`, `pid`, `tls` and methods
function M.start(opts)
  opts = opts or {}
  local base = os.tmpname()
  local port_file, out_file, err_file = base .. ".port", base .. ".out", base .. ".err"
  local args = { opts.lua or M.LUA, M.EMULATOR, "--port", "0", "--port-file", port_file }
  if opts.tls then
    args[#args + 1] = "--tls-cert"
    args[#args + 1] = opts.tls.cert
    args[#args + 1] = "--tls-key"
    args[#args + 1] = opts.tls.key
  end
  if opts.fixtures then
    args[#args + 1] = "--fixtures"
    args[#args + 1] = opts.fixtures
  end
  for _, a in ipairs(opts.args or {}) do args[#args + 1] = a end
  for i, a in ipairs(args) do args[i] = quote(a) end
  -- stdout must not stay attached to the popen pipe, or reading the pid would wait for the server
  local cmd = table.concat(args, " ") .. " >" .. quote(out_file) .. " 2>" .. quote(err_file)
    .. " </dev/null & echo $!"
  local p = assert(io.popen(cmd, "r"))
  local pid = tonumber(p:read("*l"))
  p:close()
  if not pid then error("could not start the emulator: " .. cmd, 2) end

  local s = setmetatable({ pid = pid, tls = opts.tls and true or false,
    files = { base, port_file, port_file .. ".tmp", out_file, err_file } }, Server)
  local deadline = socket.gettime() + M.START_TIMEOUT
  local checks = 0
  while true do
    local port = tonumber(read_all(port_file) or "")
    if port then
      s.port = port
      break
    end
    checks = checks + 1
    if (checks % 10 == 0 and not alive(pid)) or socket.gettime() > deadline then
      local why = alive(pid) and "did not write its port within " .. M.START_TIMEOUT .. " s" or "exited"
      local stderr = read_all(err_file) or ""
      s:stop()
      error("emulator " .. why .. (stderr ~= "" and (": " .. stderr) or ""), 2)
    end
    socket.sleep(0.01)
  end
  s.base = (s.tls and "https" or "http") .. "://127.0.0.1:" .. s.port
  s.url = s.base .. "/api"
  return s
end

return M
