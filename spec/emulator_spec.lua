-- Specs of the Conso API emulator (spec/support/emulator/) and its helpers, over luasocket
-- only, so they hold whatever state the library under test is in.
local cjson = require "cjson"
local socket = require "socket"
local emu = require "spec.support.emulator_spec_helper"
local json = require "spec.support.emulator.json"
local jwt = require "spec.support.emulator.token"
local versions = require "spec.support.versions"

local PRM1, PRM2 = emu.PRM1, emu.PRM2

local function q(prm, from, to, extra)
  return string.format("prm=%s&start=%s&end=%s%s", prm, from, to, extra or "")
end

local function q26(prm, from, to, extra)
  return string.format("pointId=%s&dateDebut=%s&dateFin=%s%s", prm, from, to, extra or "")
end

-- Points of a load curve body, whatever its generation.
local function curve_dates(body)
  local t = cjson.decode(body)
  local points, key = t.interval_reading, "date"
  if not points then points, key = t.grandeur[1].points, "d" end
  local out = {}
  for i, p in ipairs(points) do out[i] = p[key] end
  return out
end

local function gunzip(bytes)
  local tmp = os.tmpname()
  local f = assert(io.open(tmp, "wb"))
  f:write(bytes)
  f:close()
  local p = assert(io.popen("gzip -dc < " .. tmp))
  local out = p:read("*a")
  p:close()
  os.remove(tmp)
  return out
end

describe("emulator", function()
  local s

  setup(function()
    s = emu.start()
  end)

  teardown(function()
    if s then s:stop() end
  end)

  before_each(function()
    s:reset()
  end)

  describe("tokens", function()
    it("reproduces the two test tokens byte for byte", function()
      for _, t in ipairs { emu.TOKEN1, emu.TOKEN2 } do
        local payload = jwt.b64url_decode(t:match("^[^.]+%.([^.]+)%."))
        assert.are.equal(t, jwt.sign(payload, "secret"))
        assert.are.equal(t, emu.token(jwt.verify(t, "secret")))
      end
    end)

    it("mints the first test token from a table", function()
      assert.are.equal(emu.TOKEN1, emu.token { iat = 1780000000, exp = 1874521600, sub = { PRM1 } })
    end)

    it("rejects a token signed with another secret", function()
      local payload, why = jwt.verify(emu.token({ sub = { PRM1 } }, "other"), "secret")
      assert.is_nil(payload)
      assert.are.equal("bad signature", why)
      assert.is_nil(jwt.verify("not.a.token!", "secret"))
    end)

    it("computes HMAC-SHA256 as RFC 4231 says", function()
      local mac = jwt.hmac_sha256("Jefe", "what do ya want for nothing?")
      assert.are.equal("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        (mac:gsub(".", function(c) return string.format("%02x", c:byte()) end)))
    end)

    it("encodes base64url without padding, and decodes it with or without", function()
      assert.are.equal("", jwt.b64url_encode(""))
      assert.are.equal("-_8", jwt.b64url_encode("\251\255"))
      assert.are.equal("\251\255", jwt.b64url_decode("-_8"))
      assert.are.equal("\251\255", jwt.b64url_decode("-_8="))
      assert.is_nil(jwt.b64url_decode("abcde"))
      assert.is_nil(jwt.b64url_decode("ab!c"))
    end)
  end)

  describe("json", function()
    it("keeps the key order given, and writes null, [] and {}", function()
      local obj, arr = json.obj, json.arr
      assert.are.equal('{"z":1,"a":null,"m":[],"e":{},"s":"é\\n"}',
        json.encode(obj("z", 1, "a", json.null, "skipped", nil, "m", arr(), "e", obj(), "s", "é\n")))
    end)
  end)

  describe("recorded fixtures", function()
    local files = {
      "legacy/daily_consumption.json", "legacy/consumption_load_curve.json",
      "legacy/consumption_max_power.json", "legacy/daily_production.json",
      "legacy/production_load_curve.json", "v2026/consommation_quotidienne.json",
      "v2026/courbe_de_charge_consommation.json", "v2026/puissance_conso_max_quotidienne.json",
      "v2026/production_quotidienne.json", "v2026/courbe_de_charge_production.json",
    }
    for _, file in ipairs(files) do
      it("serves " .. file .. " verbatim for its recorded range", function()
        local bytes = emu.fixture(file)
        local doc = cjson.decode(bytes)
        local type_name = file:match("/(.-)%.json$")
        local query = doc.periode and q26(PRM1, doc.periode.dateDebut, doc.periode.dateFin)
          or q(PRM1, doc.start, doc["end"])
        local res = assert(s:get(type_name, query))
        assert.are.equal(200, res.status)
        assert.are.equal("application/json; charset=utf-8", res.headers["content-type"])
        assert.are.equal(bytes, res.body)
      end)
    end

    it("generates data instead when the range differs", function()
      local res = assert(s:get("daily_consumption", q(PRM1, "2023-04-01", "2023-04-03")))
      assert.are.equal(200, res.status)
      assert.are.equal(2, #cjson.decode(res.body).interval_reading)
    end)
  end)

  describe("synthetic data", function()
    local curves = { "consumption_load_curve", "production_load_curve",
      "courbe_de_charge_consommation", "courbe_de_charge_production" }
    for _, type_name in ipairs(curves) do
      local query = type_name:find("_load_curve") and q or q26
      it("returns 48, 46 and 50 half-hours on normal and DST days for " .. type_name, function()
        local normal = curve_dates(assert(s:get(type_name, query(PRM1, "2026-03-30", "2026-03-31"))).body)
        local spring = curve_dates(assert(s:get(type_name, query(PRM1, "2026-03-29", "2026-03-30"))).body)
        local autumn = curve_dates(assert(s:get(type_name, query(PRM1, "2026-10-25", "2026-10-26"))).body)
        assert.are.equal(48, #normal)
        assert.are.equal(46, #spring)
        assert.are.equal(50, #autumn)
        assert.are.equal("2026-03-30 00:30:00", normal[1])
        assert.are.equal("2026-03-31 00:00:00", normal[48])
        assert.are.same({ "2026-03-29 01:30:00", "2026-03-29 03:00:00" }, { spring[3], spring[4] })
        assert.are.same({ "2026-10-25 01:30:00", "2026-10-25 02:00:00", "2026-10-25 02:30:00",
          "2026-10-25 02:00:00", "2026-10-25 02:30:00", "2026-10-25 03:00:00" },
          { versions.unpack(autumn, 3, 8) })
        assert.are.equal("2026-10-26 00:00:00", autumn[50])
      end)
    end

    it("is deterministic and shaped like the recordings", function()
      local a = assert(s:get("consommation_quotidienne", q26(PRM2, "2026-01-01", "2026-01-08"), emu.TOKEN2))
      local b = assert(s:get("consommation_quotidienne", q26(PRM2, "2026-01-01", "2026-01-08"), emu.TOKEN2))
      assert.are.equal(a.body, b.body)
      local doc = cjson.decode(a.body)
      assert.are.equal(PRM2, doc.idPrm)
      assert.are.same({ dateDebut = "2026-01-01", dateFin = "2026-01-08" }, doc.periode)
      assert.are.equal("GLOBALE", doc.typeValeur)
      local points = doc.grandeur[1].points
      assert.are.equal(7, #points)
      for _, p in ipairs(points) do
        assert.are.equal("string", type(p.v))
        local kwh = tonumber(p.v) / 1000
        assert.is_true(kwh > 2 and kwh < 45)
      end
      assert.is_true(a.body:find('"calendrier":[]', 1, true) ~= nil)
      assert.is_true(a.body:find('"contexte":[]}', 1, true) ~= nil)
    end)

    it("returns a meter index that grows, with HC + HP = total", function()
      local res = assert(s:get("index_consommation", q26(PRM1, "2026-02-01", "2026-02-11")))
      assert.are.equal(200, res.status)
      local g = cjson.decode(res.body).contexte[1].grandeur[1]
      local classes = g.calendrier[1].classeTemporelle
      local hc, hp, total = classes[1].valeur, classes[2].valeur, g.cadranTotalisateur.valeur
      assert.are.equal(10, #total)
      for i = 1, #total do
        assert.are.equal(total[i].v, hc[i].v + hp[i].v)
        if i > 1 then assert.is_true(total[i].v > total[i - 1].v) end
      end
      assert.is_nil(res.body:find('"v":"', 1, true)) -- integers, not strings
    end)

    it("returns per-phase and monthly maxima for puissance_conso_max_quotidienne", function()
      local res = assert(s:get("puissance_conso_max_quotidienne",
        q26(PRM1, "2026-01-15", "2026-03-10", "&mesuresPas=P1M&grandeurPhysique=TOUT")))
      local doc = cjson.decode(res.body)
      assert.are.equal("P1M", doc.pas)
      assert.are.equal(4, #doc.grandeur)
      assert.are.same({ "PMA", "PMA1", "PMA2", "PMA3" }, {
        doc.grandeur[1].grandeurPhysique, doc.grandeur[2].grandeurPhysique,
        doc.grandeur[3].grandeurPhysique, doc.grandeur[4].grandeurPhysique })
      assert.are.equal(3, #doc.grandeur[1].points)
      assert.matches("^2026%-01%-%d%d %d%d:%d%d:%d%d$", doc.grandeur[1].points[1].d)
    end)
  end)

  describe("validation", function()
    it("answers the exact zod body for a short PRM", function()
      local res = assert(s:get("daily_consumption", q("123", "2026-01-01", "2026-01-02")))
      assert.are.equal(400, res.status)
      assert.are.equal('{"status":400,"message":"Paramètres invalides","error":{"issues":[{"code":"too_small",'
        .. '"minimum":14,"type":"string","inclusive":true,"exact":true,"message":"String must contain '
        .. 'exactly 14 character(s)","path":["prm"]}],"name":"ZodError"}}', res.body)
    end)

    it("reports an unknown type and a bad date as zod issues", function()
      local res = assert(s:get("hourly_consumption", q(PRM1, "2026-1-01", "2026-01-02")))
      assert.are.equal(400, res.status)
      local issues = cjson.decode(res.body).error.issues
      assert.are.equal("invalid_enum_value", issues[1].code)
      assert.are.same({ "type" }, issues[1].path)
      assert.are.equal("invalid_string", issues[2].code)
      assert.are.same({ "start" }, issues[2].path)
    end)

    it("answers the exact header body without a bearer token", function()
      local expected = '{"status":400,"message":"Le header \'Authorization\' est manquant ou invalide"}'
      local res = assert(s:get("daily_consumption", q(PRM1, "2026-01-01", "2026-01-02"), false))
      assert.are.equal(400, res.status)
      assert.are.equal(expected, res.body)
      res = assert(s:request { path = "/api/daily_consumption?" .. q(PRM1, "2026-01-01", "2026-01-02"),
        headers = { Authorization = "Basic " .. emu.TOKEN1 } })
      assert.are.equal(expected, res.body)
    end)

    it("answers 401 for a bad signature, an expired token and a foreign PRM", function()
      local expected = '{"status":401,"message":"Votre token est invalide ou ne permet pas d\'accéder à ce PRM"}'
      local tokens = {
        emu.token({ iat = 1780000000, exp = 1874521600, sub = { PRM1 } }, "not-the-secret"),
        emu.token { iat = 1600000000, exp = os.time() - 60, sub = { PRM1 } },
      }
      for _, token in ipairs(tokens) do
        local res = assert(s:get("consommation_quotidienne", q26(PRM1, "2026-01-01", "2026-01-02"), token))
        assert.are.equal(401, res.status)
        assert.are.equal(expected, res.body)
      end
      local res = assert(s:get("consommation_quotidienne", q26(PRM2, "2026-01-01", "2026-01-02"), emu.TOKEN1))
      assert.are.equal(401, res.status)
      assert.are.equal(expected, res.body)
      res = assert(s:get("consommation_quotidienne", q26(PRM2, "2026-01-01", "2026-01-02"), emu.TOKEN2))
      assert.are.equal(200, res.status)
    end)

    it("answers 405 to anything but GET", function()
      local res = assert(s:request { method = "POST", path = "/api/daily_consumption", body = "{}" })
      assert.are.equal(405, res.status)
      assert.are.equal('{"status":405,"message":"Seule la méthode GET est autorisée"}', res.body)
    end)

    it("answers 500 when start equals end, as observed", function()
      local res = assert(s:get("consommation_quotidienne", q26(PRM1, "2026-01-01", "2026-01-01")))
      assert.are.equal(500, res.status)
      assert.are.equal('{"status":500,"message":"Erreur inconnue. Réessayez plus tard"}', res.body)
    end)

    it("relays Enedis refusals for reversed and too-long ranges", function()
      local res = assert(s:get("consommation_quotidienne", q26(PRM1, "2026-01-05", "2026-01-01")))
      assert.are.equal(400, res.status)
      assert.are.equal("ADAM-ERR0002", cjson.decode(res.body).error.error)
      res = assert(s:get("courbe_de_charge_consommation", q26(PRM1, "2026-01-01", "2026-01-09")))
      assert.are.equal(400, res.status)
      local doc = cjson.decode(res.body)
      assert.are.equal("The Enedis API returned an error", doc.message)
      assert.are.equal("ADAM-ERR0003", doc.error.error)
      res = assert(s:get("courbe_de_charge_consommation", q26(PRM1, "2026-01-01", "2026-01-08")))
      assert.are.equal(200, res.status)
      res = assert(s:get("daily_consumption", q(PRM1, "2025-01-01", "2026-01-02")))
      assert.are.equal(400, res.status)
      assert.are.equal("Invalid_request", cjson.decode(res.body).error.error)
    end)

    it("accepts the legacy names as aliases on 2026 types, the new ones winning", function()
      local res = assert(s:get("consommation_quotidienne",
        "prm=" .. PRM1 .. "&start=2020-01-01&end=2020-01-02&dateDebut=2026-01-01&dateFin=2026-01-03"))
      assert.are.equal(200, res.status)
      assert.are.equal(2, #cjson.decode(res.body).grandeur[1].points)
    end)
  end)

  describe("scripted answers", function()
    local statuses = {
      zod_400 = 400, header_400 = 400, adam_err0002 = 400, adam_err0123 = 400, adam_err0125 = 400,
      adam_dc0007 = 400, legacy_invalid_request = 400, unauthorized_401 = 401, consent_403 = 403,
      ban_403 = 403, no_data_404 = 404, method_405 = 405, quota_429_fault = 429, quota_429_next = 429,
      token_500 = 500, unknown_500 = 500, technical_500 = 500, cloudflare_502 = 502, plain_string_400 = 400,
    }

    it("serves every catalogued error with its status and a decodable body", function()
      local names = {}
      for name in pairs(statuses) do names[#names + 1] = name end
      table.sort(names)
      local answers = {}
      for i, name in ipairs(names) do answers[i] = { error = name } end
      assert.are.equal(#names, s:script(answers).queued)
      for _, name in ipairs(names) do
        local res = assert(s:get("consommation_quotidienne", q26(PRM1, "2026-01-01", "2026-01-02")))
        assert.are.equal(statuses[name], res.status, name)
        if name == "ban_403" then
          assert.matches("^text/html", res.headers["content-type"])
          assert.is_truthy(res.body:find("Sorry, you have been blocked", 1, true))
        else
          local doc = cjson.decode(res.body)
          assert.are.equal(statuses[name], doc.status, name)
        end
      end
    end)

    it("quotes the documented bodies exactly", function()
      s:script { { error = "quota_429_next" }, { error = "cloudflare_502" }, { error = "plain_string_400" } }
      local doc = cjson.decode(s:get("daily_consumption").body)
      assert.are.equal("2026-Jul-17 05:00:00+0000 UTC", doc.error.nextAccessTime)
      doc = cjson.decode(s:get("daily_consumption").body)
      assert.are.equal("Error 502: Bad gateway", doc.title)
      assert.are.equal("origin_bad_gateway", doc.error_name)
      doc = cjson.decode(s:get("daily_consumption").body)
      assert.are.equal("string", type(doc.error))
    end)

    it("serves a verbatim body, status and headers, then normal answers again", function()
      s:script { status = 503, body = "<oops>", headers = { ["Content-Type"] = "text/plain", ["X-Test"] = "1" } }
      local res = assert(s:get("daily_consumption", q(PRM1, "2026-01-01", "2026-01-02")))
      assert.are.equal(503, res.status)
      assert.are.equal("<oops>", res.body)
      assert.are.equal("text/plain", res.headers["content-type"])
      assert.are.equal("1", res.headers["x-test"])
      res = assert(s:get("daily_consumption", q(PRM1, "2026-01-01", "2026-01-02")))
      assert.are.equal(200, res.status)
    end)

    it("serves a file's bytes", function()
      s:script { body_file = emu.FIXTURES .. "/v2026/production_quotidienne.json" }
      local res = assert(s:get("consommation_quotidienne", q26(PRM1, "2025-01-01", "2025-01-02")))
      assert.are.equal(200, res.status)
      assert.are.equal(emu.fixture("v2026/production_quotidienne.json"), res.body)
    end)

    it("applies a typed answer only to that type", function()
      s:script { type = "index_production", error = "technical_500" }
      assert.are.equal(200, s:get("consommation_quotidienne", q26(PRM1, "2026-01-01", "2026-01-02")).status)
      assert.are.equal(500, s:get("index_production", q26(PRM1, "2026-01-01", "2026-01-02")).status)
      assert.are.equal(200, s:get("index_production", q26(PRM1, "2026-01-01", "2026-01-02")).status)
    end)

    it("rejects an unknown error name when queuing", function()
      local res = assert(s:request { method = "POST", path = "/_emulator/script", body = '[{"error":"nope"}]' })
      assert.are.equal(400, res.status)
    end)

    it("gzips, redirects and delays on request", function()
      s:script { { gzip = true }, { redirect = "http://127.0.0.1:1/elsewhere" }, { delay = 0.3 } }
      local query = q26(PRM1, "2026-04-01", "2026-04-04")
      local res = assert(s:get("consommation_quotidienne", query))
      assert.are.equal("gzip", res.headers["content-encoding"])
      assert.are.equal(emu.fixture("v2026/consommation_quotidienne.json"), gunzip(res.body))
      res = assert(s:get("consommation_quotidienne", query))
      assert.are.equal(302, res.status)
      assert.are.equal("http://127.0.0.1:1/elsewhere", res.headers.location)
      local t0 = socket.gettime()
      res = assert(s:get("consommation_quotidienne", query))
      assert.are.equal(200, res.status)
      assert.is_true(socket.gettime() - t0 >= 0.29)
    end)

    it("drops, truncates and resets connections", function()
      s:script { { drop = true }, { truncate = 10 }, { reset = true }, { drip = 0.002, body = "{}" } }
      local query = q26(PRM1, "2026-04-01", "2026-04-04")
      local res, err = s:get("consommation_quotidienne", query)
      assert.is_nil(res)
      assert.are.equal("closed", err)
      local partial
      res, err, partial = s:get("consommation_quotidienne", query)
      assert.is_nil(res)
      assert.are.equal("closed", err)
      assert.are.equal(emu.fixture("v2026/consommation_quotidienne.json"):sub(1, 10), partial)
      res = s:get("consommation_quotidienne", query)
      assert.is_nil(res)
      res = assert(s:get("consommation_quotidienne", query))
      assert.are.equal("{}", res.body)
    end)

    it("keeps serving other connections while one hangs", function()
      -- typed, so only the hung connection's request can take the scripted hang
      s:script { hang = true, type = "consumption_load_curve" }
      local hung = assert(emu.connect(s, 0.25))
      assert(emu.send_request(hung, { path = "/api/consumption_load_curve?" .. q(PRM1, "2026-01-01", "2026-01-02"),
        headers = { Authorization = "Bearer " .. emu.TOKEN1 } }))
      local ok = pcall(function()
        local res = assert(s:get("daily_consumption", q(PRM1, "2026-01-01", "2026-01-02")))
        assert.are.equal(200, res.status)
        local none, err = emu.read_response(hung)
        assert.is_nil(none)
        assert.are.equal("timeout", err)
      end)
      hung:close()
      assert.is_true(ok)
    end)
  end)

  describe("connections and control", function()
    it("serves several requests on one keep-alive connection", function()
      local sock = assert(emu.connect(s, 2))
      finally(function() sock:close() end)
      local path = "/api/daily_consumption?" .. q(PRM1, "2026-01-01", "2026-01-02")
      local auth = { Authorization = "Bearer " .. emu.TOKEN1 }
      assert(emu.send_request(sock, { path = path, headers = auth }))
      local first = assert(emu.read_response(sock))
      assert.are.equal("keep-alive", first.headers.connection)
      auth.Connection = "close"
      assert(emu.send_request(sock, { path = path, headers = auth }))
      local second = assert(emu.read_response(sock))
      assert.are.equal(first.body, second.body)
      assert.are.equal("close", second.headers.connection)
      local byte, err = sock:receive(1)
      assert.is_nil(byte)
      assert.are.equal("closed", err)
      local log = s:api_requests()
      assert.are.equal(2, #log)
      assert.are.equal(log[1].conn, log[2].conn)
    end)

    it("logs decoded parameters and lower-case headers", function()
      s:get("consommation_quotidienne", "pointId=1111111111111%31&dateDebut=2026-01-01&dateFin=2026-01-02&x=a+b")
      local entry = s:log()[1]
      assert.are.equal(1, entry.n)
      assert.are.equal("GET", entry.method)
      assert.are.equal("/api/consommation_quotidienne", entry.path)
      assert.are.equal(PRM1, entry.params.pointId)
      assert.are.equal("a b", entry.params.x)
      assert.matches("pointId=1111111111111%%31", entry.query)
      assert.are.equal("Bearer " .. emu.TOKEN1, entry.headers.authorization)
      assert.is_number(entry.time)
    end)

    it("counts connections and API requests", function()
      local before = s:stats()
      s:get("daily_consumption", q(PRM1, "2026-01-01", "2026-01-02"))
      s:get("daily_consumption", q(PRM1, "2026-01-01", "2026-01-02"))
      local after = s:stats()
      assert.are.equal(before.requests + 2, after.requests)
      assert.are.equal(before.connections + 3, after.connections) -- two requests, one stats read
    end)

    it("clears the log and the queue on reset", function()
      s:script { error = "unknown_500" }
      s:get("daily_consumption")
      s:script { error = "unknown_500" }
      s:reset()
      assert.are.equal(0, #s:api_requests())
      assert.are.equal(200, s:get("daily_consumption", q(PRM1, "2026-01-01", "2026-01-02")).status)
    end)

    it("exits on the shutdown route", function()
      local other = emu.start()
      finally(function() other:stop() end)
      local res = assert(other:request { method = "POST", path = "/_emulator/shutdown" })
      assert.are.equal(200, res.status)
      local deadline = socket.gettime() + 2
      while emu.alive(other.pid) and socket.gettime() < deadline do socket.sleep(0.02) end
      assert.is_false(emu.alive(other.pid))
    end)
  end)

  describe("over TLS", function()
    local cert, tls_server

    setup(function()
      cert = emu.certificate()
      tls_server = emu.start { tls = { cert = cert.cert, key = cert.key } }
    end)

    before_each(function()
      tls_server:reset()
    end)

    teardown(function()
      if tls_server then tls_server:stop() end
      if cert then cert.remove() end
    end)

    it("serves the API and the control routes over https", function()
      assert.matches("^https://127%.0%.0%.1:%d+/api$", tls_server.url)
      tls_server:script { error = "no_data_404" }
      local res = assert(tls_server:get("daily_consumption", q(PRM1, "2023-04-01", "2023-04-04")))
      assert.are.equal(404, res.status)
      res = assert(tls_server:get("daily_consumption", q(PRM1, "2023-04-01", "2023-04-04")))
      assert.are.equal(emu.fixture("legacy/daily_consumption.json"), res.body)
      assert.are.equal(2, #tls_server:api_requests())
    end)

    it("resets a TLS connection abruptly", function()
      tls_server:script { reset = true }
      local res = tls_server:get("daily_consumption", q(PRM1, "2023-04-01", "2023-04-04"))
      assert.is_nil(res)
    end)
  end)
end)
