-- TLS: the server is always verified unless `insecure = true` says otherwise, loudly.
local emu = require "spec.support.emulator_spec_helper"
local clients = require "spec.support.client"
local options = require "linky.options"

describe("linky", function()
  describe("TLS verification", function()
    local cert, other, good, misnamed

    setup(function()
      cert = emu.certificate()
      other = emu.certificate { names = "DNS:other.example" }
      good = emu.start { tls = { cert = cert.cert, key = cert.key } }
      misnamed = emu.start { tls = { cert = other.cert, key = other.key } }
    end)
    teardown(function()
      good:stop()
      misnamed:stop()
      cert.remove()
      other.remove()
    end)

    local function fetch(opts)
      local c = assert(clients.new(opts))
      return c:daily_consumption("2026-04-01", "2026-04-04")
    end

    it("works with cainfo and fails with tls without it or with another authority", function()
      local r = assert(fetch { token = emu.TOKEN1, base_url = good.url, cainfo = cert.ca })
      assert.equal(3, #r.points)
      good:reset()
      for _, cainfo in ipairs { false, other.ca } do
        local res, err = fetch { token = emu.TOKEN1, base_url = good.url, cainfo = cainfo or nil }
        assert.is_nil(res)
        assert.equal("tls", err.kind)
        assert.is_false(err.retryable)
        assert.is_nil(err.status)
      end
      assert.same({}, good:api_requests())
    end)

    it("fails with tls when cainfo names a file that does not exist", function()
      local r, err = fetch { token = emu.TOKEN1, base_url = good.url, cainfo = cert.dir .. "/missing.pem" }
      assert.is_nil(r)
      assert.equal("tls", err.kind)
    end)

    it("refuses a certificate for another host name whatever the other options say", function()
      local all = { token = emu.TOKEN1, prm = emu.PRM1, api = "2026", base_url = misnamed.url,
                    user_agent = "spec/1", from = "spec@example.org", timeout = 5, connect_timeout = 5,
                    cainfo = other.ca, min_interval = 0, max_body = 1000000, insecure = false,
                    log = function() end, clock = function() return clients.NOW end, sleep = function() end,
                    monotonic = function() return clients.NOW end, today = "2026-11-28",
                    state = false, budget = { requests = 40, window = 43200 },
                    retry = { attempts = 2, base = 2, cap = 30 }, random = math.random, cache = false }
      for name in pairs(options.types) do
        assert(all[name] ~= nil or name == "proxy", "option '" .. name .. "' is not tried here")
      end
      misnamed:reset()
      local r, err = fetch(all)
      assert.is_nil(r)
      assert.equal("tls", err.kind)
      assert.same({}, misnamed:api_requests())
    end)

    it("skips verification only with insecure = true, and warns through log", function()
      local logged = {}
      local function log(level, message) logged[#logged + 1] = level .. ": " .. message end
      assert(fetch { token = emu.TOKEN1, base_url = misnamed.url, insecure = true, log = log })
      assert.equal(1, #logged)
      assert.matches("^warning: .*insecure", logged[1])
      logged = {}
      assert(fetch { token = emu.TOKEN1, base_url = good.url, cainfo = cert.ca, log = log })
      assert.same({}, logged)
    end)

    it("refuses plain http to a host that is not loopback, before any request", function()
      for _, url in ipairs { "http://conso.boris.sh/api", "http://10.0.0.1/api", "http://127.0.0.1.example/api",
                             "HTTP://example.com/api" } do
        local c, err = clients.new { token = emu.TOKEN1, base_url = url }
        assert.is_nil(c, url)
        assert.equal("invalid_argument", err.kind)
      end
    end)
  end)
end)
