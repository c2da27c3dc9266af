--- One benchmark case per process: `lua5.4 bench/cases.lua <case> <args...>` (or `luajit`: this
-- file is in the Lua every version reads).
-- Prints `key=value` lines that bench/run.lua reads: `seconds` (wall time of the measured
-- work), `hwm_kib` (VmHWM), and for decoding `rss_before_kib`, `peak_kib`, `heap_kib`.
local socket = require "socket"

local now = socket.gettime
local PRM = "11111111111111"

-- The per-request cases' linky options. min_interval is 0 in both: the pacing sleep would
-- otherwise be all that is measured. The lean case turns the store and the budget off; the
-- default case keeps the store and the cache on, in a fresh file of its own (never the user's),
-- but not the budget: 40 requests a window would stop it at the 41st.
local STATE = "bench/.work/state.sqlite3"
local OPTIONS = {
  lean = { min_interval = 0, api = "legacy", cache = false, state = false, budget = false },
  default = { min_interval = 0, budget = false, state = STATE },
}

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

-- A field of /proc/self/status, in KiB (VmHWM: the peak resident set; VmRSS: the current one).
local function status_kib(field)
  return tonumber(read_file("/proc/self/status"):match(field .. ":%s*(%d+)"))
end

-- Private_Dirty of /proc/self/smaps_rollup, in KiB: the memory this process wrote, which no
-- other process shares (most of VmHWM after `require "linky"` is libcurl's shared pages).
local function private_kib()
  return tonumber(read_file("/proc/self/smaps_rollup"):match("Private_Dirty:%s*(%d+)"))
end

-- Prints the fields, and the private memory at the end of the case unless given.
local function emit(fields)
  fields.private_kib = fields.private_kib or private_kib()
  for k, v in pairs(fields) do io.write(k, "=", tostring(v), "\n") end
end


-- Day `i` before 2026-01-01 and the day after it, as "YYYY-MM-DD".
local function day(i)
  local t = 1767225600 - i * 86400
  return os.date("!%Y-%m-%d", t), os.date("!%Y-%m-%d", t + 86400)
end

local cases = {}

-- A client of the `variant` options on an empty store (no cache hit), never the user's file.
local function new_client(variant, base_url, token)
  local linky = require "linky"
  os.remove(STATE)
  local opts = { token = token, base_url = base_url }
  for k, v in pairs(assert(OPTIONS[variant], "unknown variant")) do opts[k] = v end
  return assert(linky.new(opts))
end

-- linky <lean|default> <base url> <token> <requests>
function cases.linky(variant, base_url, token, n)
  local client = new_client(variant, base_url, token)
  local t0 = now()
  for i = 1, tonumber(n) do
    local res = assert(client:daily_consumption(day(i)))
    assert(#res.points == 1)
  end
  emit { seconds = now() - t0, hwm_kib = status_kib("VmHWM") }
  client:close()
end

-- socket.select takes any object with a getfd method.
local function fd_object(fd) return { getfd = function() return fd end } end

-- linky_nb <lean|default> <base url> <token> <requests>: the same requests in non-blocking mode,
-- each started with client:start and driven by a socket.select loop, as a host's loop would.
function cases.linky_nb(variant, base_url, token, n)
  local client = new_client(variant, base_url, token)
  local t0 = now()
  for i = 1, tonumber(n) do
    local first, stop = day(i)
    local req = assert(client:start("daily_consumption", first, stop))
    while true do
      local done, a, b = req:step()
      if done then
        assert(a and #a.points == 1, b)
        break
      end
      local readers, writers = {}, {}
      for fd, what in pairs(a) do
        if what:find("r", 1, true) then readers[#readers + 1] = fd_object(fd) end
        if what:find("w", 1, true) then writers[#writers + 1] = fd_object(fd) end
      end
      socket.select(readers, writers, b)
    end
  end
  emit { seconds = now() - t0, hwm_kib = status_kib("VmHWM") }
  client:close()
end

-- linky_luv <lean|default> <base url> <token> <requests> <open files>: the same requests through
-- linky.luv, each run to its callback on the default loop, with that many files held open first
-- so that libcurl's sockets get descriptors past 1024 (which select() cannot watch).
function cases.linky_luv(variant, base_url, token, n, files)
  local lk = require "linky.luv"
  local uv = require "luv"
  local held = {}
  for i = 1, tonumber(files) do held[i] = assert(io.open("/dev/null", "rb")) end
  local client = new_client(variant, base_url, token)
  local t0 = now()
  for i = 1, tonumber(n) do
    local first, stop = day(i)
    local res, err
    lk.fetch(client, "daily_consumption", first, stop, nil, function(r, e) res, err = r, e end)
    uv.run()
    assert(res and #res.points == 1, err)
  end
  emit { seconds = now() - t0, hwm_kib = status_kib("VmHWM") }
  client:close()
  for _, f in ipairs(held) do f:close() end
end

-- own <lean|default> <token> <calls> <prepared>: linky's own work per call, for callgrind (a
-- count of instructions does not move with the machine's load): the connection is stubbed, each
-- call answered at once with the bench body of the day it asks for, so what is counted is the
-- planning, admission, decoding, storing and assembling of a call, not the transfer. The days
-- and bodies of `prepared` calls are made first, whatever `calls` is: bench/run.lua subtracts a
-- run of 1 call from a run of many, which leaves the calls alone.
function cases.own(variant, token, n, prepared)
  require "linky" -- the connection's metatable, stubbed below
  local template = read_file(variant == "lean" and "bench/.work/daily_legacy.json" or
    "bench/.work/daily_2026.json")
  local bodies, days = {}, {}
  for i = 1, tonumber(prepared) do
    local first, stop = day(i)
    days[i] = { first, stop }
    bodies[first] = template:gsub("2025%-12%-31", first):gsub("2026%-01%-01", stop)
  end
  local conn = debug.getregistry()["linky.Connection"]
  local methods = type(conn.__index) == "table" and conn.__index or conn
  methods.get = function(_, path)
    return 200, bodies[path:match("[?&]start=([%d-]+)") or path:match("[?&]dateDebut=([%d-]+)")]
  end
  local client = new_client(variant, "http://127.0.0.1:9/api", token)
  for i = 1, tonumber(n) do
    local res = assert(client:daily_consumption(days[i][1], days[i][2]))
    assert(#res.points == 1)
  end
  client:close()
end

-- A pure-Lua client: one keep-alive connection (lua-socket), lua-cjson, points built in Lua.
local function purelua_client(base_url, token)
  local cjson = require "cjson"
  local host, port, path = base_url:match("^http://([^:/]+):(%d+)(/.*)$")
  local sock = assert(socket.connect(host, tonumber(port)))
  sock:setoption("tcp-nodelay", true)
  local head = "Host: " .. host .. ":" .. port .. "\r\nAuthorization: Bearer " .. token ..
    "\r\nAccept: application/json\r\nUser-Agent: bench-purelua/1\r\n\r\n"
  return function(start, stop)
    assert(sock:send("GET " .. path .. "/daily_consumption?prm=" .. PRM .. "&start=" .. start ..
      "&end=" .. stop .. " HTTP/1.1\r\n" .. head))
    local status = assert(sock:receive("*l"))
    local length
    repeat
      local line = assert(sock:receive("*l"))
      local v = line:match("^[Cc]ontent%-[Ll]ength:%s*(%d+)")
      if v then length = tonumber(v) end
    until line == ""
    local body = assert(sock:receive((assert(length, "no Content-Length"))))
    assert(status:match("^HTTP/1%.1 200"), status)
    local doc = cjson.decode(body)
    local points = {}
    for i, p in ipairs(doc.interval_reading) do
      local y, m, d = p.date:match("^(%d+)-(%d+)-(%d+)$")
      points[i] = {
        date = p.date, value = tonumber(p.value),
        -- UTC midnight, one hour back: close enough to Paris winter time for a comparison
        time = os.time { year = y, month = m, day = d, hour = 0 } - 3600,
      }
    end
    return { unit = doc.reading_type.unit, points = points }
  end
end

-- purelua <base url> <token> <requests>
function cases.purelua(base_url, token, n)
  local get = purelua_client(base_url, token)
  local t0 = now()
  for i = 1, tonumber(n) do
    local res = get(day(i))
    assert(#res.points == 1)
  end
  emit { seconds = now() - t0, hwm_kib = status_kib("VmHWM") }
end

local DECODE_SPEC = { shape = "2026", metier = "CONS", measure = "PA", curve = true }

-- The decoders, each from the body's bytes to Lua tables.
local function decoder(which)
  if which == "linky" then
    local core = require "linky.core"
    return function(body)
      local r, _, msg = core.decode(body, DECODE_SPEC)
      return r or error(msg)
    end
  elseif which == "cjson" then
    return require("cjson").decode
  elseif which == "dkjson" then
    local dkjson = require "dkjson"
    return function(body) return assert(dkjson.decode(body)) end
  end
  error("unknown decoder " .. tostring(which))
end

-- decode <linky|cjson|dkjson> <body file> <timed iterations>
-- The first decode is measured for memory; the time is the median of the timed ones.
function cases.decode(which, path, iterations)
  local decode = decoder(which)
  local body = read_file(path)
  collectgarbage()
  collectgarbage()
  local heap0, rss0 = collectgarbage("count"), status_kib("VmRSS")
  local kept = decode(body)
  local peak = status_kib("VmHWM")
  collectgarbage()
  collectgarbage()
  local heap = collectgarbage("count") - heap0
  assert(kept)
  kept = nil -- luacheck: ignore 311
  local times = {}
  for i = 1, tonumber(iterations) do
    collectgarbage()
    local t0 = now()
    local r = decode(body)
    times[i] = now() - t0
    assert(r)
  end
  table.sort(times)
  emit {
    seconds = times[math.floor((#times + 1) / 2)], rss_before_kib = rss0, peak_kib = peak - rss0,
    heap_kib = math.floor(heap), hwm_kib = status_kib("VmHWM"),
  }
end

-- decode_once <linky|cjson|none> <body file>: for callgrind; "none" is the baseline.
function cases.decode_once(which, path)
  local decode = which ~= "none" and decoder(which)
  local body = read_file(path)
  if decode then assert(decode(body)) end
end

-- startup <token> <clients>: `require "linky"` time, its private memory and the linky modules
-- it loaded, and the cost of one `linky.new`.
function cases.startup(token, n)
  local t0 = now()
  local linky = require "linky"
  local t1 = now()
  local private, modules, unneeded = private_kib(), 0, 0
  for name in pairs(package.loaded) do
    if name:match("^linky") then modules = modules + 1 end
    -- what a first call does not need (spec/footprint_spec.lua has the whole list)
    if name:match("^linky%.cli") or name:match("^linky%.format") or name == "linky.cost" or
      name == "linky.compare" or name == "linky.publish" or name == "linky.influx" or
      name == "linky.homeassistant" or name == "linky.tempo" or name == "linky.async" then
      unneeded = unneeded + 1
    end
  end
  n = tonumber(n)
  for _ = 1, n do
    local client = assert(linky.new { token = token, min_interval = 0 })
    client:close()
  end
  local t2 = now()
  emit { require_seconds = t1 - t0, new_seconds = (t2 - t1) / n, hwm_kib = status_kib("VmHWM"),
    private_kib = private, modules = modules, unneeded = unneeded }
end

local name = arg[1]
assert(cases[name], "unknown case " .. tostring(name))((table.unpack or unpack)(arg, 2))
