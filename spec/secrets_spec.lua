-- Secret hygiene: whatever fails, the token never appears in a returned value or in output.
-- The error paths run in a child process (spec/support/secrets_child.lua) whose stdout and
-- stderr are captured whole; it prints a deep dump of everything each call returned.
local emu = require "spec.support.emulator_spec_helper"
local clients = require "spec.support.client"
local faults = require "spec.support.faults"

-- A valid signed token (secret "secret") that no other spec uses.
local SENTINEL = emu.token { iat = 1780004242, exp = 1874521600, sub = { emu.PRM1, emu.PRM2 } }

-- a file the child wrote, whole
local function read(path) return assert(emu.read_file(path)) end

local function percent_all(s, fmt)
  return (s:gsub(".", function(c) return fmt:format(c:byte()) end))
end

local function url_encode(s)
  return (s:gsub("[^%w%-._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

-- The token, its three segments, raw and URL-encoded (reserved bytes only, or every byte).
local function needles(token)
  local list = {}
  local parts = { token, token:match("^([^.]+)%.([^.]+)%.([^.]+)$") }
  assert(#parts == 4, "the sentinel is not a JWT")
  for _, p in ipairs(parts) do
    for _, form in ipairs { p, url_encode(p), percent_all(p, "%%%02X"), percent_all(p, "%%%02x") } do
      list[#list + 1] = form
    end
  end
  return list
end

local function leaks(text, list)
  for _, n in ipairs(list) do
    if text:find(n, 1, true) then return n end
  end
  return nil
end

describe("linky", function()
  describe("secret hygiene", function()
    local out, err, list

    setup(function()
      list = needles(SENTINEL)
      local base = os.tmpname()
      local cmd = clients.offline(("LINKY_SPEC_SENTINEL=%s %s spec/support/secrets_child.lua >%s.out 2>%s.err")
        :format(SENTINEL, clients.LUA, base, base), true)
      assert(cmd, "network namespaces (unshare -n) are unavailable")
      local ok = os.execute(cmd)
      out, err = read(base .. ".out"), read(base .. ".err")
      os.remove(base)
      os.remove(base .. ".out")
      os.remove(base .. ".err")
      assert(ok, "the child failed: " .. err)
    end)

    it("finds the token in a text that holds it (the scan works)", function()
      assert.is_string(leaks("x" .. SENTINEL:match("%.(.-)%.") .. "x", list))
      assert.is_string(leaks(percent_all(SENTINEL, "%%%02x"), list))
      assert.is_nil(leaks("linky: unauthorized (HTTP 401): " .. emu.PRM1, list))
    end)

    it("runs every case of the fault matrix to its kind", function()
      assert.matches("\nDONE\n$", out)
      for _, case in ipairs(faults.cases) do
        local kind = out:match("CASE\t" .. case.name:gsub("%p", "%%%0") .. "\t([^\n]*)")
        assert.equal(case.ok and "ok" or case.kind, kind, case.name)
      end
    end)

    it("runs the other error paths to their kinds", function()
      local expected = {
        tls = "tls", partial = "server_error+partial", result = "ok", insecure = "ok",
        ["bad date"] = "invalid_argument", ["start after today"] = "invalid_argument",
        ["PRM not granted"] = "invalid_argument", ["unknown kind"] = "invalid_argument",
        ["unknown option"] = "invalid_argument", ["plain http"] = "invalid_argument",
        expired = "invalid_argument", malformed = "invalid_argument",
        ["not granted prm option"] = "invalid_argument", decode_token = "ok",
        ["wrong option type"] = "raised", ["wrong argument type"] = "raised",
        ["use after close"] = "raised", ["closed client"] = "ok",
      }
      for name, kind in pairs(expected) do
        assert.equal(kind, out:match("CASE\t" .. name .. "\t([^\n]*)"), name)
      end
      assert.matches("attempt to use a closed linky.Client", out)
      assert.matches("linky.Client: 11111111111111 %(2026%)", out)
      assert.matches("warning: TLS certificate verification is disabled", err)
    end)

    it("never writes the token or a segment of it to stdout, stderr or a returned value", function()
      assert.is_nil(leaks(out, list))
      assert.is_nil(leaks(err, list))
    end)
  end)
end)
