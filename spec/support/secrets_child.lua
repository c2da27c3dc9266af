-- Child process of spec/secrets_spec.lua: runs every error path with the sentinel token
-- (LINKY_SPEC_SENTINEL) and writes each case's kind and a deep dump of everything it returned
-- to stdout; linky's own warnings go to stderr. The parent scans both for the token.
-- Runs without network (only loopback), so the unresolvable host sends no DNS query.
local linky = require "linky"
local emu = require "spec.support.emulator_spec_helper"
local clients = require "spec.support.client"
local faults = require "spec.support.faults"

local TOKEN = assert(os.getenv("LINKY_SPEC_SENTINEL"), "LINKY_SPEC_SENTINEL is not set")

-- Every key and value reachable from v, and tostring() of tables that define it.
local function dump(v, out, seen)
  local t = type(v)
  if t ~= "table" then
    out[#out + 1] = tostring(v)
    return out
  end
  if seen[v] then return out end
  seen[v] = true
  local mt = getmetatable(v)
  if mt and mt.__tostring then out[#out + 1] = tostring(v) end
  for k, x in pairs(v) do
    dump(k, out, seen)
    dump(x, out, seen)
  end
  return out
end

local function report(name, ...)
  local values = { n = select("#", ...), ... }
  local kind
  if values[1] == false then
    kind = "raised"
  elseif values[1] == nil and type(values[2]) == "table" then
    kind = tostring(values[2].kind) .. (values[2].partial and "+partial" or "")
  else
    kind = "ok"
  end
  io.write("CASE\t", name, "\t", kind, "\n")
  for i = 1, values.n do
    io.write(table.concat(dump(values[i], {}, {}), "\n"), "\n")
  end
  io.flush()
end

local server = emu.start()
local cert = emu.certificate()
local tls = emu.start { tls = { cert = cert.cert, key = cert.key } }
local dead = emu.start()
local refused_url = dead.url
dead:stop()

local function client(opts)
  local o = { token = TOKEN, base_url = server.url }
  for k, v in pairs(opts or {}) do o[k] = v end
  local c = assert(clients.new(o))
  io.write(tostring(c), "\n")
  return c
end

local function fetch(c, ...)
  return c:daily_consumption(...)
end

for _, case in ipairs(faults.cases) do
  server:reset()
  if case.answer then server:script { case.answer } end
  local url = ({ refused = refused_url, unresolvable = faults.UNRESOLVABLE })[case.base_url] or server.url
  local c = client { base_url = url, timeout = case.timeout, max_body = case.max_body }
  report(case.name, fetch(c, "2026-04-01", "2026-04-04"))
  c:close()
  io.write(tostring(c), "\n")
end

report("tls", fetch(client { base_url = tls.url }, "2026-04-01", "2026-04-04"))
server:script { {}, { error = "token_500" } }
report("partial", client():consumption_load_curve("2026-04-01", "2026-04-15"))
report("result", client():daily_consumption("2026-04-01", "2026-04-04", { keep_responses = true }))
report("insecure", fetch(client { base_url = tls.url, insecure = true }, "2026-04-01", "2026-04-04"))
report("bad date", fetch(client(), "2026-13-01", "2026-04-04"))
report("start after today", fetch(client(), "2027-01-01", "2027-01-04"))
report("PRM not granted", fetch(client(), "2026-04-01", "2026-04-04", { prm = "33333333333333" }))
report("unknown kind", client():fetch("nope", "2026-04-01", "2026-04-04"))
report("unknown option", linky.new { token = TOKEN, tokne = TOKEN })
report("plain http", linky.new { token = TOKEN, base_url = "http://example.com/api" })
report("expired", linky.new { token = TOKEN, clock = function() return 4e9 end })
report("malformed", linky.new { token = TOKEN:sub(1, -2) .. "!" })
report("not granted prm option", linky.new { token = TOKEN, prm = "33333333333333" })
report("decode_token", linky.decode_token(TOKEN))
report("wrong option type", pcall(linky.new, { token = TOKEN, timeout = "30" }))
report("wrong argument type", pcall(fetch, client(), 20260401, "2026-04-04"))
local closed = client()
closed:close()
report("use after close", pcall(fetch, closed, "2026-04-01", "2026-04-04"))
report("closed client", tostring(closed))

server:stop()
tls:stop()
cert.remove()
io.write("DONE\n")
