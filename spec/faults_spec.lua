-- The fault matrix: one case per failure of the service or the network, each returning the
-- right error, quickly. The cases live in spec/support/faults.lua (secrets_spec reuses them).
local socket = require "socket"
local linky = require "linky"
local emu = require "spec.support.emulator_spec_helper"
local clients = require "spec.support.client"
local faults = require "spec.support.faults"

local REQUEST = "GET /api/consommation_quotidienne?pointId=11111111111111&dateDebut=2026-04-01&dateFin=2026-04-04"

-- Runs the unresolvable-host case in a child process without network: no DNS query can leave.
local CHILD = [[
local clients = require "spec.support.client"
local socket = require "socket"
local c = assert(clients.new { token = arg[1], base_url = arg[2] })
local t0 = socket.gettime()
local r, err = c:daily_consumption("2026-04-01", "2026-04-04")
io.write(string.format("%s|%s|%s|%.3f|%s\n", r and "ok" or err.kind, tostring(err and err.status),
  tostring(err and err.retryable), socket.gettime() - t0, err and err.request or ""))
]]

local function offline_call(base_url)
  local script = os.tmpname()
  local f = assert(io.open(script, "w"))
  f:write(CHILD)
  f:close()
  local cmd = clients.offline(("%s %s %s %s"):format(clients.LUA, script, emu.TOKEN1, base_url))
  assert(cmd, "network namespaces (unshare -n) are unavailable")
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("*a")
  p:close()
  os.remove(script)
  local kind, status, retryable, elapsed, request = out:match("^(%w+)|(%w+)|(%w+)|([%d.]+)|([^\n]*)\n$")
  assert(kind, "child output: " .. out)
  return { kind = kind, status = tonumber(status), retryable = retryable == "true", request = request },
    tonumber(elapsed)
end

describe("linky", function()
  describe("fault matrix", function()
    local server, refused_url

    setup(function()
      server = emu.start()
      local dead = emu.start()
      refused_url = dead.url
      dead:stop()
    end)
    teardown(function() server:stop() end)

    local function call(case)
      server:reset()
      if case.answer then server:script { case.answer } end
      local url = case.base_url == "refused" and refused_url or server.url
      local c = assert(clients.new { token = emu.TOKEN1, base_url = url, timeout = case.timeout,
                                     max_body = case.max_body })
      local t0 = socket.gettime()
      local r, err = c:daily_consumption("2026-04-01", "2026-04-04")
      local elapsed = socket.gettime() - t0
      c:close()
      return r, err, elapsed
    end

    for _, case in ipairs(faults.cases) do
      local timeout = case.timeout or clients.options().timeout
      local what = case.ok and "decodes" or ("returns " .. case.kind .. " for")
      it(("%s %s within its timeout + 2 s"):format(what, case.name), function()
        local r, err, elapsed
        if case.base_url == "unresolvable" then
          err, elapsed = offline_call(faults.UNRESOLVABLE)
        else
          r, err, elapsed = call(case)
        end
        assert.is_true(elapsed <= clients.deadline(timeout), ("took %.2f s"):format(elapsed))
        if case.ok then
          assert.is_nil(err)
          local plain = select(1, call { answer = nil })
          assert.equal(3, #r.points)
          assert.same(plain.points, r.points)
          return
        end
        assert.is_nil(r)
        if case.base_url ~= "unresolvable" then assert.is_true(linky.is_error(err)) end
        assert.equal(case.kind, err.kind)
        assert.equal(case.status, err.status)
        assert.equal(case.retryable, err.retryable)
        if case.upstream_code then assert.equal(case.upstream_code, err.upstream_code) end
        assert.equal(REQUEST, err.request)
        if case.answer and not case.max_body then
          assert.equal(1, #server:api_requests(), "one request, nothing followed or repeated")
        end
      end)
    end
  end)
end)
