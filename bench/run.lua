--- `make bench`: runs every case in its own process against the loopback server, several
-- times, interleaved, and prints one table of medians, spreads and ratios to each floor.
-- Environment: BENCH_RUNS (default 7), BENCH_REQUESTS (default 500), BENCH_CALLGRIND=0 to skip.
local socket = require "socket"
local jwt = require "spec.support.emulator.token"

local WORK = "bench/.work"
local RUNS = tonumber(os.getenv("BENCH_RUNS")) or 7
local REQUESTS = tonumber(os.getenv("BENCH_REQUESTS")) or 500
local PRM = "11111111111111"
local TOKEN = jwt.sign({ sub = { PRM }, exp = 4102444800 }, "bench")
local CURVE = WORK .. "/curve_2y.json"
local LUA = "lua5.4 bench/cases.lua "
-- The same cases under LuaJIT, with its build of the C core (make bench builds build/jit/).
local LUAJIT = "env LUA_CPATH='./build/jit/?.so;;' luajit bench/cases.lua "

local server = assert(io.popen("exec " .. WORK .. "/server " .. WORK .. "/daily_legacy.json " ..
  WORK .. "/daily_2026.json", "r"))
local port, control, pid = server:read("n", "n", "n")
assert(port and control, "the benchmark server did not start")
local BASE = ("http://127.0.0.1:%d/api"):format(port)

-- Requests and accepted TCP connections since the last call (the server resets them).
local function counts()
  local s = assert(socket.connect("127.0.0.1", control))
  local line = assert(s:receive("*l"))
  s:close()
  local requests, connections = line:match("^(%d+) (%d+)$")
  return tonumber(requests), tonumber(connections)
end

local function args(...) return table.concat({ ... }, " ") end

-- Each case: group, label, command; `floor` marks the group's reference.
local cases = {
  { group = "request", label = "C, one libcurl handle (floor)", floor = true,
    cmd = args(WORK .. "/floor", BASE, TOKEN, PRM, REQUESTS) },
  { group = "request", label = "linky, lean (no store, cache, budget)",
    cmd = LUA .. args("linky lean", BASE, TOKEN, REQUESTS) },
  { group = "request", label = "linky, default (store + cache, 2026 API)",
    cmd = LUA .. args("linky default", BASE, TOKEN, REQUESTS) },
  { group = "request", label = "linky, lean, non-blocking (client:start, a select loop)",
    cmd = LUA .. args("linky_nb lean", BASE, TOKEN, REQUESTS) },
  -- descriptors past 1024 (the shell raises its limit first; it is 1024 on many systems)
  { group = "request", label = "linky.luv, lean, 1,100 files open",
    cmd = "ulimit -n 4096 2>/dev/null; " .. LUA .. args("linky_luv lean", BASE, TOKEN, REQUESTS, 1100) },
  { group = "request", label = "pure Lua (lua-socket, lua-cjson)",
    cmd = LUA .. args("purelua", BASE, TOKEN, REQUESTS) },
  { group = "request", label = "LuaJIT: linky, lean",
    cmd = LUAJIT .. args("linky lean", BASE, TOKEN, REQUESTS) },
  { group = "request", label = "LuaJIT: linky, default",
    cmd = LUAJIT .. args("linky default", BASE, TOKEN, REQUESTS) },
  { group = "request", label = "LuaJIT: pure Lua",
    cmd = LUAJIT .. args("purelua", BASE, TOKEN, REQUESTS) },
  { group = "request", label = "Node.js linky 2.0.2 (axios)",
    cmd = args("node bench/node_client.mjs", BASE, TOKEN, REQUESTS) },
  { group = "request", label = "curl command per request",
    cmd = args("sh bench/curl_loop.sh", BASE, TOKEN, PRM, REQUESTS) },
  { group = "decode", label = "cjson.decode (floor)", floor = true,
    cmd = LUA .. args("decode cjson", CURVE, 5) },
  { group = "decode", label = "linky decode + normalise",
    cmd = LUA .. args("decode linky", CURVE, 5) },
  { group = "decode", label = "dkjson.decode (pure Lua)",
    cmd = LUA .. args("decode dkjson", CURVE, 1) },
  { group = "decode", label = "LuaJIT: cjson.decode",
    cmd = LUAJIT .. args("decode cjson", CURVE, 5) },
  { group = "decode", label = "LuaJIT: linky decode + normalise",
    cmd = LUAJIT .. args("decode linky", CURVE, 5) },
  { group = "decode", label = "LuaJIT: dkjson.decode",
    cmd = LUAJIT .. args("decode dkjson", CURVE, 1) },
  { group = "decode", label = "Node JSON.parse + map",
    cmd = args("node --expose-gc bench/node_decode.mjs", CURVE, 5) },
  { group = "startup", label = "require \"linky\" / linky.new",
    cmd = LUA .. args("startup", TOKEN, 1000) },
}

local function run_case(case)
  counts() -- reset
  local p = assert(io.popen(case.cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  local fields = {}
  for k, v in out:gmatch("([%w_]+)=([^\n]+)") do fields[k] = tonumber(v) or v end
  if not ok then error(("case %q failed:\n%s"):format(case.label, out)) end
  fields.requests, fields.connections = counts()
  if case.group == "request" and fields.requests ~= REQUESTS then
    error(("case %q made %d requests, not %d"):format(case.label, fields.requests, REQUESTS))
  end
  return fields
end

local function median(xs)
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) // 2] or (s[n // 2] + s[n // 2 + 1]) / 2, s[1], s[n]
end

-- The runs are interleaved so that a burst of load on the machine touches every case.
io.stderr:write(("bench: %d runs of %d cases, %d requests each\n"):format(RUNS, #cases, REQUESTS))
local ran, failure = pcall(function()
  for run = 1, RUNS do
    for _, case in ipairs(cases) do
      case.runs = case.runs or {}
      case.runs[run] = run_case(case)
    end
    io.stderr:write(("bench: run %d/%d done\n"):format(run, RUNS))
  end
end)
-- the server goes whatever happened: closing its pipe would otherwise wait for it forever
os.execute("kill " .. math.tointeger(pid))
server:close()
if not ran then error(failure, 0) end

-- Summary of one field over the runs: median, spread (max - min, % of the median).
local function summary(case, field, scale)
  local xs = {}
  for i, r in ipairs(case.runs) do xs[i] = r[field] and r[field] * scale end
  if #xs == 0 then return nil end
  local m, lo, hi = median(xs)
  return m, m > 0 and (hi - lo) / m * 100 or 0
end

local function column(v, fmt) return v and fmt:format(v) or "-" end

local rows, results = {}, {}
local function row(...) rows[#rows + 1] = { ... } end
local GROUPS = {
  request = { title = ("per request, %d sequential daily requests"):format(REQUESTS), unit = "us",
    field = "seconds", scale = 1e6 / REQUESTS },
  decode = { title = "decode 35,040 load-curve points (2.6 MB)", unit = "ms",
    field = "seconds", scale = 1e3 },
}
row("case", "median", "spread", "x floor", "requests", "TCP conns", "VmHWM MiB", "private MiB", "peak/kept")
local floor = {}
for _, case in ipairs(cases) do
  local g = GROUPS[case.group]
  if g then
    if case.floor then
      row("-- " .. g.title, "", "", "", "", "", "", "", "")
      floor[case.group] = summary(case, g.field, g.scale)
    end
    local m, spread = summary(case, g.field, g.scale)
    local r1 = case.runs[1]
    local peak = summary(case, "peak_kib", 1)
    local kept = summary(case, "heap_kib", 1)
    results[case.label] = { median = m, ratio = m / floor[case.group], connections = r1.connections,
      peak_ratio = peak and kept and peak / kept, peak = peak }
    row(case.label, ("%.1f %s"):format(m, g.unit), ("%.0f%%"):format(spread),
      ("%.2f"):format(m / floor[case.group]),
      case.group == "request" and tostring(r1.requests) or "-",
      case.group == "request" and tostring(r1.connections) or "-",
      column(summary(case, "hwm_kib", 1 / 1024), "%.1f"),
      column(summary(case, "private_kib", 1 / 1024), "%.1f"),
      peak and kept and ("%.1f / %.1f MiB = %.2f"):format(peak / 1024, kept / 1024, peak / kept) or "-")
  else
    local req, rs = summary(case, "require_seconds", 1e3)
    local new, ns = summary(case, "new_seconds", 1e6)
    local modules = case.runs[1].modules
    results.modules, results.unneeded = modules, case.runs[1].unneeded
    row("-- startup", "", "", "", "", "", "", "", "")
    row(("require \"linky\" (%d linky modules)"):format(modules), ("%.2f ms"):format(req),
      ("%.0f%%"):format(rs), "-", "-", "-", column(summary(case, "hwm_kib", 1 / 1024), "%.1f"),
      column(summary(case, "private_kib", 1 / 1024), "%.1f"), "-")
    row("linky.new + close", ("%.1f us"):format(new), ("%.0f%%"):format(ns), "-", "-", "-", "-", "-", "-")
  end
end

-- callgrind: instructions of one decode, the baseline process (reading the body) subtracted.
-- Lua seeds its string hashes afresh in each process, which moves table collisions and
-- so the count of a decoder that refills tables: each count is a median of 3 processes.
local function instructions(which)
  local irs = {}
  for i = 1, 3 do
    local p = assert(io.popen("valgrind --tool=callgrind --callgrind-out-file=/dev/null " ..
      LUA .. args("decode_once", which, CURVE) .. " 2>&1"))
    local out = p:read("a")
    p:close()
    irs[i] = tonumber((assert(out:match("Collected : (%d+)"), "no callgrind summary:\n" .. out)))
  end
  local m, lo, hi = median(irs)
  return m, (hi - lo) / m * 100
end
if os.getenv("BENCH_CALLGRIND") ~= "0" then
  local base = instructions("none")
  local cj, cs = instructions("cjson")
  local lk, ls = instructions("linky")
  cj, lk = cj - base, lk - base
  row("-- callgrind, instructions of one decode (3 processes)", "", "", "", "", "", "", "", "")
  row("cjson.decode (floor)", ("%.1f M"):format(cj / 1e6), ("%.0f%%"):format(cs), "1.00",
    "-", "-", "-", "-", "-")
  row("linky decode + normalise", ("%.1f M"):format(lk / 1e6), ("%.0f%%"):format(ls),
    ("%.2f"):format(lk / cj), "-", "-", "-", "-", "-")
  results.callgrind = lk / cj
end

-- callgrind: linky's own work per call (the connection stubbed), (N calls - 1 call) / (N - 1).
local OWN_CALLS = 300
local function own_instructions(variant)
  local function count(n)
    local p = assert(io.popen("valgrind --tool=callgrind --callgrind-out-file=/dev/null " ..
      LUA .. args("own", variant, TOKEN, n, OWN_CALLS) .. " 2>&1"))
    local out = p:read("a")
    p:close()
    return tonumber((assert(out:match("Collected : (%d+)"), "no callgrind summary:\n" .. out)))
  end
  return (count(OWN_CALLS) - count(1)) / (OWN_CALLS - 1)
end
if os.getenv("BENCH_CALLGRIND") ~= "0" then
  row("-- callgrind, instructions of linky's own work per call (connection stubbed)", "", "", "", "",
    "", "", "", "")
  for _, variant in ipairs { "lean", "default" } do
    local ir = own_instructions(variant)
    results["own " .. variant] = ir
    row("linky, " .. variant, ("%.1f k"):format(ir / 1e3), "-", "-", "-", "-", "-", "-", "-")
  end
end

-- The table, columns padded to their widest cell (counted in characters, not bytes).
local widths = {}
for _, r in ipairs(rows) do
  for i, cell in ipairs(r) do widths[i] = math.max(widths[i] or 0, utf8.len(cell)) end
end
print(("\nlinky benchmark: %d runs per case, median and spread (max - min) over the runs"):format(RUNS))
for _, r in ipairs(rows) do
  local cells = {}
  for i, cell in ipairs(r) do
    local pad = (" "):rep(widths[i] - utf8.len(cell))
    cells[i] = i == 1 and cell .. pad or pad .. cell
  end
  print((table.concat(cells, "  "):gsub("%s+$", "")))
end

-- The goals, each beside what this run measured; a missed goal says why (docs/performance.md).
local lean = results["linky, lean (no store, cache, budget)"]
local default = results["linky, default (store + cache, 2026 API)"]
local luv = results["linky.luv, lean, 1,100 files open"]
local node = results["Node.js linky 2.0.2 (axios)"]
local dec = results["linky decode + normalise"]
local node_dec = results["Node JSON.parse + map"]
-- linky's decode peak before the decoder built points from the bytes (commit eb6a89d): 13.8 MiB
local PEAK_BEFORE_MIB = 13.8
local goals = {
  { lean.ratio <= 2, ("lean within 2x of the C floor: %.2fx"):format(lean.ratio),
    "linky's own work per call (the ledger's admission in SQLite, the Lua of the call, the decode:" ..
    " the callgrind rows) outweighs a loopback round trip of microseconds" },
  { default.ratio <= 3, ("default (store + cache) within 3x of the C floor: %.2fx"):format(default.ratio),
    "each stored request commits twice to a WAL file other processes share: about 14 writes and 14" ..
    " lock calls, which the floor does not make" },
  { lean.ratio <= 1.2, ("lean within 1.2x of the C floor (earlier goal): %.2fx"):format(lean.ratio),
    "the admission and the checks of every call cost more than 20% of a loopback round trip" },
  { luv.median <= 2 * lean.median, ("linky.luv with 1,100 files open within 2x of lean blocking: %.2fx")
    :format(luv.median / lean.median), "the loop's watches of libcurl's sockets" },
  { node.median / lean.median >= 4, ("at least 4x faster than the Node.js client: %.1fx")
    :format(node.median / lean.median), "axios's cost per request on this machine" },
  { lean.connections == 1, ("one TCP connection for %d requests: %d"):format(REQUESTS, lean.connections),
    "a connection was not reused" },
  { results.callgrind and results.callgrind <= 1, ("decode within 1.0x cjson.decode's instructions: %s")
    :format(results.callgrind and ("%.2fx"):format(results.callgrind) or "not measured (BENCH_CALLGRIND=0)"),
    "the points are built from lua-cjson's tables" },
  { dec.median <= node_dec.median, ("stretch: decode within Node's JSON.parse + map in time: %.2fx")
    :format(dec.median / node_dec.median),
    "a Lua table per point (35,040 of them, 5 fields each) costs more than V8's objects" },
  { dec.peak / 1024 <= PEAK_BEFORE_MIB, ("decode peak memory at most before (%.1f MiB): %.1f MiB")
    :format(PEAK_BEFORE_MIB, dec.peak / 1024), "the decoder keeps more alive" },
  { dec.peak_ratio <= 2, ("decode peak within 2x of the decoded tables: %.2fx"):format(dec.peak_ratio),
    "the decoder keeps more alive" },
  { results.unneeded == 0, ("require \"linky\" loads no command, format, cost or exporter module: %d")
    :format(results.unneeded), "one is required at load (spec/footprint_spec.lua lists them)" },
}
print()
for _, g in ipairs(goals) do
  print(("%-6s %s%s"):format(g[1] and "met" or "MISSED", g[2], g[1] and "" or " (why: " .. g[3] .. ")"))
end
