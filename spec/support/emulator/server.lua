-- The emulator's server: the request log, the script queue and its fault injection (delay, drop,
-- hang, truncate, drip, reset, gzip), the control routes under /_emulator/, and the listening
-- socket (plain or TLS). The routes and answers are documented in init.lua.
local socket = require "socket"
local cjson = require "cjson.safe"
local bodies = require "spec.support.emulator.bodies"
local catalogue = require "spec.support.emulator.catalogue"
local http = require "spec.support.emulator.http"
local json = require "spec.support.emulator.json"
local routes = require "spec.support.emulator.routes"
local tempo = require "spec.support.emulator.tempo"

local M = {}

local format = string.format
local obj, arr, sorted, encode = json.obj, json.arr, json.sorted, json.encode
local CATALOGUE, read_file = catalogue.CATALOGUE, bodies.read_file
local sleep, wait, would_block, resume = http.sleep, http.wait, http.would_block, http.resume

-- The repository, for body_file paths relative to it.
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/../../.."

local JSON_TYPE = "application/json; charset=utf-8"

local state = {
  fixtures = nil, -- set by run
  log = {}, seq = 0, queue = {}, connections = 0, requests = 0, quiet = false,
  services = { conso = 0, tempo = 0, rte = 0 }, -- requests to each emulated service
}

local function note(fmt, ...)
  if not state.quiet then
    io.stdout:write(format(fmt, ...), "\n")
    io.stdout:flush()
  end
end

local function api_type(path)
  return path:match("^/api/([^/]*)/?$")
end

-- The emulated service of a path and its route's name: ("tempo", "joursTempo"|"jourTempo"),
-- ("rte", "rte_token"|"rte_calendars"), ("conso", API type), ("control", route), or nil.
local function classify(path)
  local service, name = tempo.route(path)
  if service then return service, name end
  if path:find("^/_emulator/") then return "control", path:match("^/_emulator/([%w_]+)") end
  if path:find("^/api/") or path == "/api" then return "conso", api_type(path) end
  return nil
end

-- First queued answer that applies to this request: one whose optional "service" and "type"
-- (an API type or a Tempo route's name) are absent or match it.
local function take_script(req)
  for i, entry in ipairs(state.queue) do
    if (entry.service == nil or entry.service == req.service) and (entry.type == nil or entry.type == req.type) then
      return table.remove(state.queue, i)
    end
  end
  return nil
end

-- The normal answer of a service route: status, body, content type.
local function normal_answer(req)
  if req.service == "conso" then return routes.api(req, state.fixtures) end
  return tempo.answer(req, req.type)
end

local function resolve_path(path)
  if read_file(path) then return path end
  if path:sub(1, 1) ~= "/" and read_file(ROOT .. "/" .. path) then return ROOT .. "/" .. path end
  return nil
end

-- Check and normalise one script entry; nil, reason when it cannot be served.
local function check_entry(e)
  if type(e) ~= "table" then return nil, "each answer must be an object" end
  local out = {}
  for k, v in pairs(e) do
    if v ~= cjson.null then out[k] = v end
  end
  if out.error ~= nil and not CATALOGUE[out.error] then
    return nil, "unknown error name: " .. tostring(out.error)
  end
  if out.status ~= nil then
    out.status = math.tointeger(out.status)
    if not out.status or out.status < 100 or out.status > 599 then return nil, "bad status" end
  end
  if out.body_file ~= nil then
    local path = type(out.body_file) == "string" and resolve_path(out.body_file)
    if not path then return nil, "cannot read body_file " .. tostring(out.body_file) end
    out.body_file = path
  end
  if out.body ~= nil and type(out.body) ~= "string" then return nil, "body must be a string" end
  if out.headers ~= nil and type(out.headers) ~= "table" then return nil, "headers must be an object" end
  for _, k in ipairs { "delay", "drip", "truncate" } do
    if out[k] ~= nil and type(out[k]) ~= "number" then return nil, k .. " must be a number" end
  end
  if out.truncate then out.truncate = math.floor(out.truncate) end
  if out.type ~= nil and type(out.type) ~= "string" then return nil, "type must be a string" end
  if out.service ~= nil and out.service ~= "conso" and out.service ~= "tempo" and out.service ~= "rte" then
    return nil, "service must be conso, tempo or rte"
  end
  return out
end

-- Control routes under /_emulator/ (see init.lua).
local function control(req)
  local route, method = req.path:match("^/_emulator/([%w_]+)/?$"), req.method
  local function reply(status, v) return status, encode(v) end
  if route == "log" and method == "GET" then
    return reply(200, arr(state.log))
  elseif route == "stats" and method == "GET" then
    return reply(200, obj("connections", state.connections, "requests", state.requests,
      "services", obj("conso", state.services.conso, "tempo", state.services.tempo, "rte", state.services.rte)))
  elseif route == "reset" and method == "POST" then
    state.log, state.seq, state.queue = {}, 0, {}
    tempo.reset()
    return reply(200, obj("reset", true))
  elseif route == "tempo" and method == "GET" then
    return reply(200, tempo.settings())
  elseif route == "tempo" and method == "POST" then
    local ok, why = tempo.configure(cjson.decode(req.body))
    if not ok then return reply(400, obj("error", why)) end
    return reply(200, tempo.settings())
  elseif route == "script" and method == "POST" then
    local answers = cjson.decode(req.body)
    if type(answers) ~= "table" then
      return reply(400, obj("error", "body must be a JSON array of answers"))
    end
    if answers[1] == nil and next(answers) ~= nil then answers = { answers } end -- a single object
    local checked = {}
    for i, e in ipairs(answers) do
      local c, why = check_entry(e)
      if not c then return reply(400, obj("error", format("answer %d: %s", i, why))) end
      checked[i] = c
    end
    for _, c in ipairs(checked) do state.queue[#state.queue + 1] = c end
    return reply(200, obj("queued", #state.queue, "added", #checked))
  elseif route == "shutdown" and method == "POST" then
    local status, body = reply(200, obj("shutdown", true))
    return status, body, true
  elseif ({ log = 1, stats = 1, reset = 1, script = 1, shutdown = 1, tempo = 1 })[route or ""] then
    return reply(405, obj("status", 405, "message", "method not allowed"))
  end
  return reply(404, obj("status", 404, "message", "unknown control route"))
end

local function log_request(c, req)
  if req.method == "GET" and req.path:match("^/_emulator/log/?$") then return end
  state.seq = state.seq + 1
  state.log[#state.log + 1] = sorted {
    n = state.seq, conn = c.id, service = req.service, method = req.method, path = req.path, query = req.query,
    params = sorted(req.params), headers = sorted(req.headers), body = req.body or "", time = os.time(),
  }
end

-- Hold the connection open without answering until the peer goes away.
local function hang(c)
  while c:fill() do c.buf = "" end
end

-- Send a response, possibly misbehaving as the script entry says. Returns keep-alive.
local function respond(c, req, status, body, ctype, extra, entry, keep_alive)
  entry = entry or {}
  extra = extra or {}
  if req.method == "HEAD" then body = "" end
  if entry.gzip then
    body = http.gzip(body)
    extra["Content-Encoding"] = "gzip"
  end
  if entry.truncate or entry.reset then keep_alive = false end
  local head = http.response_head(status, #body, ctype, keep_alive, extra)
  if entry.truncate then body = body:sub(1, math.max(entry.truncate, 0)) end
  if entry.reset then body = body:sub(1, #body // 2) end
  local data = head .. body
  local ok
  if entry.drip and entry.drip > 0 then
    ok = true
    for i = 1, #data do
      if i > 1 then sleep(entry.drip) end
      ok = c:send(data:sub(i, i))
      if not ok then break end
    end
  else
    ok = c:send(data)
  end
  note("conn %d %s %s -> %d", c.id, req.method, req.target, status)
  if entry.reset then
    c:abort()
    return false
  end
  return ok and keep_alive
end

-- Handle one request; returns whether to keep the connection.
local function handle(c, req)
  req.service, req.type = classify(req.path)
  log_request(c, req)
  local conn_hdr = (req.headers.connection or ""):lower()
  local keep_alive = not conn_hdr:find("close", 1, true)
    and (req.version ~= "HTTP/1.0" or conn_hdr:find("keep-alive", 1, true) ~= nil)

  if req.service == "control" then
    local status, body, stop = control(req)
    if stop then keep_alive = false end
    local keep = respond(c, req, status, body, JSON_TYPE, nil, nil, keep_alive)
    if stop then http.stop() end -- after the answer is out
    return keep
  end
  if req.service == nil then
    local body = encode(obj("status", 404, "message", "Not found"))
    return respond(c, req, 404, body, JSON_TYPE, nil, nil, keep_alive)
  end

  state.requests = state.requests + 1
  state.services[req.service] = state.services[req.service] + 1
  local entry = take_script(req)
  if not entry then
    local status, body, ctype = normal_answer(req)
    return respond(c, req, status, body, ctype or JSON_TYPE, nil, nil, keep_alive)
  end

  if entry.delay and entry.delay > 0 then sleep(entry.delay) end
  if entry.drop then
    note("conn %d %s %s -> dropped", c.id, req.method, req.target)
    c:close()
    return false
  end
  if entry.hang then
    note("conn %d %s %s -> hanging", c.id, req.method, req.target)
    hang(c)
    return false
  end
  local status, body, ctype
  local extra = {}
  for k, v in pairs(entry.headers or {}) do extra[k] = v end
  if entry.redirect then
    status, ctype = entry.status or 302, "text/plain; charset=utf-8"
    body = "Found. Redirecting to " .. entry.redirect
    extra.Location = entry.redirect
  elseif entry.error then
    status, body, ctype = CATALOGUE[entry.error]()
    status = entry.status or status
  elseif entry.body then
    status, body = entry.status or 200, entry.body
  elseif entry.body_file then
    status, body = entry.status or 200, read_file(entry.body_file) or ""
  else
    status, body, ctype = normal_answer(req)
    status = entry.status or status
  end
  return respond(c, req, status, body, ctype or JSON_TYPE, extra, entry, keep_alive)
end

local function serve(c)
  if c.tls then
    while true do
      local ok, err = c.sock:dohandshake()
      if ok then break end
      local mode = would_block(err, "r")
      if not mode then return end
      wait(c.sock, mode)
    end
  end
  while not c.closed do
    local req = c:read_request()
    if not req then return end
    if not handle(c, req) then return end
  end
end

--- Listen and serve until the shutdown route.
-- @tparam table opts {host, port, port_file, tls_cert, tls_key, fixtures, quiet}
-- @treturn integer exit status
function M.run(opts)
  state.fixtures, state.quiet = opts.fixtures, opts.quiet

  local ctx
  if opts.tls_cert then
    local ssl = require "ssl"
    local err
    ctx, err = ssl.newcontext { mode = "server", protocol = "any", key = opts.tls_key,
      certificate = opts.tls_cert, options = { "all" } }
    if not ctx then
      io.stderr:write("emulator: TLS: ", tostring(err), "\n")
      return 1
    end
  end

  local server, err = socket.bind(opts.host, opts.port)
  if not server then
    io.stderr:write("emulator: cannot listen on ", opts.host, ":", opts.port, ": ", tostring(err), "\n")
    return 1
  end
  server:settimeout(0)
  local _, port = server:getsockname()

  local function on_accept()
    while true do
      local raw = server:accept()
      if not raw then return end
      state.connections = state.connections + 1
      raw:settimeout(0)
      raw:setoption("tcp-nodelay", true)
      local sock = raw
      if ctx then
        sock = require("ssl").wrap(raw, ctx)
        if sock then sock:settimeout(0) else raw:close() end
      end
      if sock then
        local c = http.connection(state.connections, raw, sock)
        local co = coroutine.create(function()
          local ok, e = xpcall(serve, debug.traceback, c)
          if not ok then io.stderr:write("emulator: connection ", c.id, ": ", tostring(e), "\n") end
          c:close()
        end)
        resume(co)
      end
    end
  end

  if opts.port_file then
    -- write then rename, so a poller never reads a half-written number
    local tmp = opts.port_file .. ".tmp"
    local f = assert(io.open(tmp, "w"))
    f:write(tostring(port), "\n")
    f:close()
    assert(os.rename(tmp, opts.port_file))
  end
  io.stdout:write(format("listening on %s://%s:%d\n", ctx and "https" or "http", opts.host, port))
  io.stdout:flush()

  http.run(server, on_accept)
  server:close()
  return 0
end

return M
