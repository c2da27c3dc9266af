-- Requests to other services (linky.core's HttpClient and linky.http): against the emulator,
-- whose scripted answers serve any /api path and whose log shows what arrived.
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"
local http = require "linky.http"
local versions = require "spec.support.versions"

-- Secrets no other spec uses: found in a text only if it leaked.
local PASSWORD = "pw-sentinel-7f3a9c2e41"
local BEARER = "bearer-sentinel-d41d8cd98f00b204"

local function leaks(text)
  text = tostring(text)
  return text:find(PASSWORD, 1, true) ~= nil or text:find(BEARER, 1, true) ~= nil
end

describe("linky.core", function()
  describe("HttpClient", function()
    local server
    setup(function() server = emu.start() end)
    teardown(function() server:stop() end)
    before_each(function() server:reset() end)

    local function client(opts)
      opts = opts or {}
      opts.base_url = opts.base_url or server.base
      return core.http_client(opts)
    end

    it("sends a GET with the caller's headers and returns status, body and headers", function()
      server:script { status = 200, body = '{"ok":true}', headers = { ["X-Answer"] = "  forty two  " } }
      local c = client { user_agent = "spec-agent" }
      local status, body, headers = c:request { path = "/api/echo?x=1", headers = { Accept = "application/json", ["X-Spec"] = "a b" } }
      assert.equal(200, status)
      assert.equal('{"ok":true}', body)
      assert.equal("forty two", headers["x-answer"])
      assert.matches("^application/json", headers["content-type"])
      local seen = server:api_requests()[1]
      assert.equal("GET", seen.method)
      assert.equal("/api/echo", seen.path)
      assert.equal("1", seen.params.x)
      assert.equal("application/json", seen.headers.accept)
      assert.equal("a b", seen.headers["x-spec"])
      assert.equal("spec-agent", seen.headers["user-agent"])
      assert.equal("", seen.body)
      c:close()
    end)

    it("sends a POST with its body and basic auth", function()
      server:script { status = 200, body = "{}" }
      local c = client()
      local status = c:request { method = "POST", path = "/api/token", body = "grant_type=client_credentials",
                                 basic_auth = { "id-1", PASSWORD } }
      assert.equal(200, status)
      local seen = server:api_requests()[1]
      assert.equal("POST", seen.method)
      assert.equal("grant_type=client_credentials", seen.body)
      assert.equal("application/x-www-form-urlencoded", seen.headers["content-type"])
      local encoded = assert(seen.headers.authorization:match("^Basic (.+)$"))
      assert.equal("id-1:" .. PASSWORD, emu.eval(("(require 'mime').unb64(%q)"):format(encoded)))
      assert.is_nil(seen.headers.expect)
      c:close()
    end)

    it("reuses one connection for the requests of a client", function()
      server:script { { status = 200, body = "a" }, { status = 200, body = "b" }, { status = 200, body = "c" } }
      local c = client()
      for _, want in ipairs { "a", "b", "c" } do
        local _, body = c:request { path = "/api/x" }
        assert.equal(want, body)
      end
      assert.same({ requests = 3, connects = 1 }, c:stats())
      local log = server:api_requests()
      assert.equal(log[1].conn, log[3].conn)
      c:close()
    end)

    it("returns a redirect as it is and never follows it", function()
      server:script { redirect = server.base .. "/api/elsewhere" }
      local c = client()
      local status, _, headers = c:request { path = "/api/here" }
      assert.equal(302, status)
      assert.equal(server.base .. "/api/elsewhere", headers.location)
      assert.equal(1, #server:api_requests())
      c:close()
    end)

    it("refuses a body over max_body", function()
      server:script { status = 200, body = ("x"):rep(5000) }
      local c = client { max_body = 1000 }
      local status, kind = c:request { path = "/api/big" }
      assert.is_nil(status)
      assert.equal("invalid_response", kind)
      server:script { status = 200, body = ("x"):rep(1000) }
      local _, body = c:request { path = "/api/fits" }
      assert.equal(1000, #body)
      c:close()
    end)

    it("times out", function()
      server:script { delay = 2, status = 200, body = "late" }
      local c = client { timeout = 0.3 }
      local status, kind = c:request { path = "/api/slow" }
      assert.is_nil(status)
      assert.equal("timeout", kind)
      c:close()
    end)

    it("reports a refused connection as network, unsent", function()
      local c = client { base_url = "http://127.0.0.1:1", connect_timeout = 2 }
      local status, kind, _, unsent = c:request { path = "/x" }
      assert.is_nil(status)
      assert.equal("network", kind)
      assert.is_true(unsent)
      c:close()
    end)

    it("refuses header names and values that could add a header, and sends nothing", function()
      local c = client()
      for _, headers in ipairs {
        { ["X-A"] = "v\r\nX-Injected: 1" }, { ["X-A"] = "v\nX"}, { ["X-A"] = "v\0x" }, { ["X-A\r\nB"] = "v" },
        { ["X A"] = "v" }, { [""] = "v" }, { ["Content-Length"] = "1" }, { host = "elsewhere" },
      } do
        local status, kind = c:request { path = "/api/x", headers = headers }
        assert.is_nil(status)
        assert.equal("invalid_argument", kind)
      end
      for _, auth in ipairs { { "a:b", "p" }, { "a", "p\r\n" }, { "a\n", "p" } } do
        local status, kind = c:request { path = "/api/x", basic_auth = auth }
        assert.is_nil(status)
        assert.equal("invalid_argument", kind)
      end
      local status, kind = c:request { path = "/api/x", headers = { Authorization = "Bearer x" }, basic_auth = { "a", "b" } }
      assert.is_nil(status)
      assert.equal("invalid_argument", kind)
      assert.same({}, server:log())
      c:close()
    end)

    it("refuses a bad method, path or GET body, and raises on wrong types", function()
      local c = client()
      for _, req in ipairs {
        { method = "DELETE", path = "/x" }, { path = "x" }, { path = "/a b" }, { path = "/a\r\nb" }, { path = "" },
        { path = "/\195\169" }, { path = "/x", body = "b" },
      } do
        local status, kind = c:request(req)
        assert.is_nil(status)
        assert.equal("invalid_argument", kind)
      end
      assert.has_error(function() c:request {} end)
      assert.has_error(function() c:request { path = "/x", headers = { a = 1 } } end)
      assert.has_error(function() c:request { path = "/x", basic_auth = "a:b" } end)
      assert.has_error(function() c:request("/x") end)
      assert.same({}, server:log())
      c:close()
    end)

    it("keeps the request's secrets out of the body, the headers and every message", function()
      server:script { status = 401, body = '{"error":"invalid_client","seen":"' .. PASSWORD .. '"}',
                      headers = { ["X-Echo"] = BEARER } }
      local c = client()
      local status, body = c:request { method = "POST", path = "/api/t", basic_auth = { "id", PASSWORD } }
      assert.equal(401, status)
      assert.is_false(leaks(body))
      assert.matches("<token>", body)
      server:script { status = 200, body = BEARER, headers = { ["X-Echo"] = "Bearer " .. BEARER } }
      local headers
      status, body, headers = c:request { path = "/api/t", headers = { Authorization = "Bearer " .. BEARER } }
      assert.equal(200, status)
      assert.is_false(leaks(body))
      assert.is_false(leaks(headers["x-echo"]))
      server:script { delay = 2 }
      local c2 = client { timeout = 0.2 }
      local _, kind, message = c2:request { path = "/api/t", headers = { Authorization = "Bearer " .. BEARER } }
      assert.equal("timeout", kind)
      assert.is_false(leaks(message))
      assert.is_false(leaks(tostring(c)))
      c:close()
      c2:close()
    end)

    it("makes header values valid UTF-8", function()
      server:script { status = 200, body = "", headers = { ["X-Bytes"] = "caf\195\169 \255 ok" } }
      local c = client()
      local _, _, headers = c:request { path = "/api/x" }
      assert.equal("caf\195\169 ? ok", headers["x-bytes"])
      c:close()
    end)

    describe("TLS", function()
      local cert, tls
      setup(function()
        cert = emu.certificate()
        tls = emu.start { tls = { cert = cert.cert, key = cert.key } }
      end)
      teardown(function()
        tls:stop()
        cert.remove()
      end)

      it("verifies the server: works with its CA, fails with tls without it", function()
        tls:script { status = 200, body = "ok" }
        local c = core.http_client { base_url = tls.base, cainfo = cert.ca }
        assert.equal(200, (c:request { path = "/api/x" }))
        c:close()
        c = core.http_client { base_url = tls.base }
        local status, kind = c:request { path = "/api/x" }
        assert.is_nil(status)
        assert.equal("tls", kind)
        c:close()
      end)
    end)

    describe("lifecycle", function()
      it("closes twice, raises after close and prints its state", function()
        local c = client()
        assert.matches("^linky.HttpClient: 0x", tostring(c))
        c:close()
        c:close()
        assert.equal("linky.HttpClient: closed", tostring(c))
        assert.has_error(function() c:request { path = "/x" } end, "attempt to use a closed linky.HttpClient")
        assert.has_error(function() c:stats() end, "attempt to use a closed linky.HttpClient")
      end)

      it("closes on garbage collection", function()
        collectgarbage()
        collectgarbage()
        local before = core.open_http_clients()
        for _ = 1, 50 do client() end
        assert.equal(before + 50, core.open_http_clients())
        collectgarbage()
        collectgarbage()
        assert.equal(before, core.open_http_clients())
      end)

      local it54 = versions.VERSION == "5.4" and not versions.JIT and it or pending
      it54("closes at the end of a <close> block", function()
        local before = core.open_http_clients()
        local c = assert(load("local c <close> = ... return c"))(client())
        assert.equal("linky.HttpClient: closed", tostring(c))
        assert.equal(before, core.open_http_clients())
      end)
    end)
  end)
end)

describe("linky.http", function()
  local server
  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  it("checks its options like linky.new: https, or http to loopback only", function()
    for _, url in ipairs { "http://example.com", "ftp://127.0.0.1", "https://user:pw@example.com", "https://a b" } do
      local c, err = http.new { base_url = url }
      assert.is_nil(c)
      assert.equal("invalid_argument", err.kind)
    end
    local c, err = http.new { base_url = server.base, token = "x" }
    assert.is_nil(c)
    assert.equal("invalid_argument", err.kind)
    assert.has_error(function() http.new { base_url = server.base, timeout = "1" } end)
    assert(http.new { base_url = "https://example.com/api/" }):close()
  end)

  it("turns statuses and transport failures into error objects naming the service", function()
    server:script { { status = 503, body = '{"error":"COMMON_ERROR_T03","error_description":"down"}' },
                    { status = 200, body = "not json" }, { redirect = "https://example.com/" } }
    local c = assert(http.new { base_url = server.base })
    local res, err = c:request { path = "/api/a" }
    assert.is_nil(res)
    assert.equal("server_error", err.kind)
    assert.equal(503, err.status)
    assert.equal("COMMON_ERROR_T03", err.upstream_code)
    assert.equal("127.0.0.1:" .. server.port, err.service)
    assert.equal("GET /api/a", err.request)
    res, err = c:json { path = "/api/b" }
    assert.is_nil(res)
    assert.equal("invalid_response", err.kind)
    res, err = c:request { path = "/api/c" }
    assert.is_nil(res)
    assert.equal("http_error", err.kind)
    assert.equal(302, err.status)
    c:close()
    local closed = assert(http.new { base_url = "http://127.0.0.1:1" })
    res, err = closed:request { path = "/x" }
    assert.is_nil(res)
    assert.equal("network", err.kind)
    assert.is_true(err.unsent)
    closed:close()
  end)

  it("decodes JSON after the UTF-8 and shape checks", function()
    server:script { { status = 200, body = '[{"a":1}]' }, { status = 200, body = '["\255"]' } }
    local c = assert(http.new { base_url = server.base })
    local v, res = c:json { path = "/api/a" }
    assert.equal(1, v[1].a)
    assert.equal(200, res.status)
    local none, err = c:json { path = "/api/b" }
    assert.is_nil(none)
    assert.equal("invalid_response", err.kind)
    c:close()
  end)

  it("never shows a secret in an error or tostring", function()
    server:script { status = 401, body = '{"error":"invalid_client","error_description":"' .. PASSWORD .. '"}' }
    local c = assert(http.new { base_url = server.base })
    local res, err = c:request { method = "POST", path = "/api/t", basic_auth = { "id", PASSWORD } }
    assert.is_nil(res)
    assert.equal("unauthorized", err.kind)
    for k, v in pairs(err) do assert.is_false(leaks(v), k) end
    assert.is_false(leaks(tostring(err)))
    assert.is_false(leaks(tostring(c)))
    c:close()
    assert.matches("closed", tostring(c))
  end)
end)
