-- Token redaction (issue 10, point 7): whatever a server sends back, the token and its segments
-- never reach an error, a result, a log, the state file or the command's output, and the strings
-- an error keeps from a response are cut to 4 KiB on a UTF-8 character boundary.
-- Also connection:get's "unsent" flag (issue 10, point 6): a failure that sent nothing says so.
local socket = require "socket"
local core = require "linky.core"
local errors = require "linky.errors"
local emu = require "spec.support.emulator_spec_helper"
local clients = require "spec.support.client"
local faults = require "spec.support.faults"
local versions = require "spec.support.versions"
local tools = require "spec.support.tools"

local TOKEN = emu.TOKEN1
local SEGMENTS = { TOKEN:match("^([^.]+)%.([^.]+)%.([^.]+)$") }
-- What must never show: the token and each segment of 8 bytes or more (all three here).
local NEEDLES = { TOKEN }
for _, s in ipairs(SEGMENTS) do
  if #s >= 8 then NEEDLES[#NEEDLES + 1] = s end
end
-- What a server echoes: the whole token, then each segment on its own.
local ECHOES = {
  { name = "the token", text = TOKEN },
  { name = "its header segment", text = SEGMENTS[1] },
  { name = "its payload segment", text = SEGMENTS[2] },
  { name = "its signature segment", text = SEGMENTS[3] },
}

local quote, read = emu.quote, emu.read_file
local DAILY = "consommation_quotidienne?pointId=11111111111111&dateDebut=%s&dateFin=%s"
local CURVE = "courbe_de_charge_consommation?pointId=11111111111111&dateDebut=%s&dateFin=%s"

-- The first needle found in `text`, or nil.
local function leak(text)
  for _, n in ipairs(NEEDLES) do
    if text:find(n, 1, true) then return n end
  end
  return nil
end

-- Every key and value reachable from v, and tostring() of the tables that define it, as one text.
local function dump(v)
  local out, seen = {}, {}
  local function walk(x)
    if type(x) ~= "table" then
      out[#out + 1] = tostring(x)
    elseif not seen[x] then
      seen[x] = true
      local mt = getmetatable(x)
      if mt and mt.__tostring then out[#out + 1] = tostring(x) end
      for k, y in pairs(x) do
        walk(k)
        walk(y)
      end
    end
  end
  walk(v)
  return table.concat(out, "\n")
end

local function assert_clean(text, where)
  local found = leak(text)
  assert(found == nil, ("%s holds %q"):format(where, found or ""))
end

-- The bytes of the state file and of its WAL and shared-memory files, those that exist.
local function state_bytes(path)
  local parts = {}
  for _, suffix in ipairs { "", "-wal", "-shm" } do
    parts[#parts + 1] = read(path .. suffix) or ""
    os.remove(path .. suffix)
  end
  return table.concat(parts)
end

-- A scripted answer echoing `e` in a header too.
local function answer(status, body, e)
  return { status = status, body = body, headers = { ["Content-Type"] = "application/json; echo=" .. e } }
end

-- `ok` is the normal body of the request, `e` the echoed text.
local function with_echo(ok, e)
  return (ok:gsub("^{", ('{"message":"was %s","error":"%s","error_description":"%s",'):format(e, e, e), 1))
end

-- Each answer echoes `e` in the fields conso-api.md lists for its status; `kind` is nil when the
-- call succeeds. `ok` is the normal body of the request.
local CASES = {
  { name = "a 200 of the right shape", status = 200, body = with_echo },
  { name = "a 200 of a broken shape", status = 200, kind = "invalid_response",
    body = function(_, e)
      return ('{"idPrm":"11111111111111","message":"%s","error":"%s","error_description":"%s"}'):format(e, e, e)
    end },
  { name = "a 200 that is not JSON", status = 200, kind = "invalid_response",
    body = function(_, e) return "<html>token " .. e .. " refused</html>" end },
  { name = "a 400", status = 400, kind = "bad_request",
    body = function(_, e)
      return ('{"status":400,"message":"Token %s invalide","error":{"error":"E-%s","error_description":"%s"}}')
        :format(e, e, e)
    end },
  { name = "a 403 JSON", status = 403, kind = "forbidden",
    body = function(_, e)
      return ('{"status":403,"message":"%s","error":{"error":"ADAM-DC-0008","error_description":"No consent %s"}}')
        :format(e, e)
    end },
  { name = "a 404", status = 404, kind = "not_found",
    body = function(_, e)
      return ('{"status":404,"message":"%s","error":{"error":"no_data_found","error_description":"%s"}}'):format(e, e)
    end },
  { name = "a 429 with nextAccessTime", status = 429, kind = "rate_limited",
    body = function(_, e)
      return ('{"status":429,"message":"%s","error":{"code":"900804 %s","message":"%s","description":"%s",'
        .. '"nextAccessTime":"2026-Jul-17 05:00:00+0000 UTC %s"}}'):format(e, e, e, e, e)
    end },
  { name = "a 500", status = 500, kind = "server_error",
    body = function(_, e)
      return ('{"status":500,"message":"%s","error":{"error":"%s","error_description":"%s"}}'):format(e, e, e)
    end },
  { name = "a 502", status = 502, kind = "server_error",
    body = function(_, e)
      return ('{"title":"Error 502: %s","status":502,"error_name":"%s","detail":"%s"}'):format(e, e, e)
    end },
}

describe("linky", function()
  describe("token redaction", function()
    local server, ok_daily, ok_curve1, ok_curve2

    setup(function()
      server = emu.start()
      ok_daily = assert(server:get(DAILY:format("2026-04-01", "2026-04-04"))).body
      ok_curve1 = assert(server:get(CURVE:format("2026-04-01", "2026-04-08"))).body
      ok_curve2 = assert(server:get(CURVE:format("2026-04-08", "2026-04-09"))).body
    end)
    teardown(function() server:stop() end)
    before_each(function() server:reset() end)

    it("finds the token and each segment in a text that holds them (the scan works)", function()
      assert.equal(4, #NEEDLES)
      for _, e in ipairs(ECHOES) do assert.is_string(leak("x" .. e.text .. "x")) end
      assert.is_nil(leak("linky: bad_request (HTTP 400): <token> " .. emu.PRM1))
    end)

    -- Runs `call` on a client with a state file of its own and a log; checks everything it left.
    local function check(answers, call, expect)
      server:script(answers)
      local path = os.tmpname()
      os.remove(path)
      local logs = {}
      local c = assert(clients.new { token = TOKEN, base_url = server.url, state = path,
        log = function(level, message) logs[#logs + 1] = level .. ": " .. message end })
      local r, err = call(c)
      c:close()
      expect(r, err)
      assert_clean(dump(err), "a field of the error")
      assert_clean(tostring(err), "tostring(err)")
      assert_clean(dump(r), "the result")
      assert_clean(table.concat(logs, "\n"), "the log")
      assert_clean(state_bytes(path), "the state file")
      return r, err
    end

    for _, case in ipairs(CASES) do
      for _, echo in ipairs(ECHOES) do
        it(("keeps %s echoed by %s out of the error, result, log and state"):format(echo.name, case.name), function()
          local a = answer(case.status, case.body(ok_daily, echo.text), echo.text)
          check({ a }, function(c)
            return c:daily_consumption("2026-04-01", "2026-04-04", { keep_responses = true })
          end, function(r, err)
            if case.kind then
              assert.is_nil(r)
              assert.equal(case.kind, err.kind)
              assert.equal(case.status, err.status)
              assert.matches("<token>", err.body, 1, true)
            else
              assert.is_nil(err)
              assert.equal(3, #r.points)
              assert.equal("was <token>", r.responses[1].message)
            end
          end)
        end)

        it(("keeps %s echoed by %s after an answered sub-range out of err.partial"):format(echo.name, case.name),
          function()
            local first = answer(200, with_echo(ok_curve1, echo.text), echo.text)
            local second = answer(case.status, case.body(ok_curve2, echo.text), echo.text)
            check({ first, second }, function(c)
              return c:consumption_load_curve("2026-04-01", "2026-04-09", { keep_responses = true })
            end, function(r, err)
              if case.kind and case.kind ~= "not_found" then -- a 404 sub-range is a gap
                assert.equal(case.kind, err.kind)
                assert.is_table(err.partial)
                r = err.partial
              end
              assert.is_table(r, err and tostring(err))
              assert.equal("was <token>", r.responses[1].message)
            end)
          end)
      end
    end

    it("keeps the token out of the message, api_message and upstream fields", function()
      local a = answer(400, CASES[4].body(nil, TOKEN), TOKEN)
      check({ a }, function(c) return c:daily_consumption("2026-04-01", "2026-04-04") end, function(_, err)
        assert.equal("Token <token> invalide", err.api_message)
        assert.equal("E-<token>", err.upstream_code)
        assert.equal("<token>", err.upstream_description)
        assert.equal("E-<token>: <token>", err.message)
      end)
    end)

    it("cuts each string taken from a response to 4 KiB on a UTF-8 character boundary", function()
      for _, pad in ipairs { "", "x" } do
        local long = pad .. ("é"):rep(10240) -- 20 KiB
        local bodies = {
          { 400, ('{"status":400,"message":"%s"}'):format(long) },
          { 429, ('{"status":429,"message":"%s","error":{"code":"%s","message":"%s","description":"%s",'
            .. '"nextAccessTime":"%s"}}'):format(long, long, long, long, long) },
          { 404, ('{"status":404,"message":"%s","error":{"error":"%s","error_description":"%s"}}'):format(long, long, long) },
        }
        for _, b in ipairs(bodies) do
          server:script { { status = b[1], body = b[2] } }
          local c = assert(clients.new { token = TOKEN, base_url = server.url })
          local r, err = c:daily_consumption("2026-04-01", "2026-04-04")
          c:close()
          assert.is_nil(r)
          for _, field in ipairs { "message", "api_message", "upstream_code", "upstream_description",
                                   "next_access_time", "body" } do
            local v = err[field]
            if v ~= nil then
              local what = ("%s of a %d (pad %q)"):format(field, b[1], pad)
              assert.is_true(#v <= 4096 and #v >= 4093, what .. ": " .. #v .. " bytes")
              assert.is_number(versions.utf8_len(v), what .. " is not valid UTF-8")
            end
          end
          assert.is_number(versions.utf8_len(tostring(err)))
        end
      end
    end)
  end)

  describe("errors.cut", function()
    it("cuts to at most n bytes without splitting a UTF-8 sequence", function()
      assert.equal("abc", errors.cut("abc", 4096))
      assert.equal("ab", errors.cut("abc", 2))
      assert.equal("a", errors.cut("aé", 2))
      assert.equal("aé", errors.cut("aé", 3))
      assert.equal("a", errors.cut("a€", 3))
      assert.equal("a", errors.cut("a😀", 4))
      assert.equal("a😀", errors.cut("a😀b", 5))
      assert.equal("", errors.cut("é", 1))
    end)

    it("cuts a run of stray continuation bytes at n bytes", function()
      local junk = ("\128"):rep(10)
      assert.equal(("\128"):rep(5), errors.cut(junk, 5))
    end)
  end)

  describe("command", function()
    local server, dir, ok_daily, ok_curve1, ok_curve2
    local LINKY = clients.LUA .. " bin/linky"

    setup(function()
      server = emu.start()
      ok_daily = assert(server:get(DAILY:format("2026-04-01", "2026-04-04"))).body
      ok_curve1 = assert(server:get(CURVE:format("2026-04-01", "2026-04-08"))).body
      ok_curve2 = assert(server:get(CURVE:format("2026-04-08", "2026-04-09"))).body
      dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir -p " .. quote(dir .. "/config")))
    end)
    teardown(function()
      server:stop()
      os.execute("rm -rf " .. quote(dir))
    end)
    before_each(function() server:reset() end)

    -- Runs bin/linky with LINKY_TOKEN and a state file of its own: stdout, stderr and the state.
    local function run(args)
      local state = dir .. "/state.sqlite3"
      local env = ("env XDG_CONFIG_HOME=%s HOME=%s XDG_STATE_HOME=%s LINKY_TOKEN=%s NO_COLOR= LINKY_TODAY=2026-04-20")
        :format(quote(dir .. "/config"), quote(dir), quote(dir .. "/xdg"), quote(TOKEN))
      local parts = { env, LINKY }
      for _, a in ipairs(args) do parts[#parts + 1] = quote(a) end
      for _, a in ipairs { "--base-url", server.url, "--state", state } do parts[#parts + 1] = quote(a) end
      local out, err = dir .. "/stdout", dir .. "/stderr"
      local p = assert(io.popen(table.concat(parts, " ") .. " </dev/null >" .. quote(out) .. " 2>" .. quote(err)
        .. "; echo $?"))
      local code = tonumber(p:read("*a"))
      p:close()
      return code, read(out) .. read(err), state_bytes(state)
    end

    -- One run per case: the answer echoes the token, then each segment on its own, in one text.
    -- The command retries a 502 after seconds of back-off: the library specs above cover it.
    local ALL = table.concat({ TOKEN, SEGMENTS[1], SEGMENTS[2], SEGMENTS[3] }, " ")
    for _, case in ipairs(CASES) do
      if case.status ~= 502 then
        it(("prints and stores nothing of the token echoed by %s"):format(case.name), function()
          server:script { answer(case.status, case.body(ok_daily, ALL), ALL) }
          local code, output, state = run { "daily", "--start", "2026-04-01", "--end", "2026-04-04",
            "--format", "json" }
          if case.kind then assert.is_not.equal(0, code) else assert.equal(0, code, output) end
          assert_clean(output, "the command's output")
          assert_clean(state, "the state file")

          server:script { answer(200, with_echo(ok_curve1, ALL), ALL),
                          answer(case.status, case.body(ok_curve2, ALL), ALL) }
          code, output, state = run { "loadcurve", "--start", "2026-04-01", "--end", "2026-04-09",
            "--format", "json" }
          assert.is_number(code)
          assert_clean(output, "the command's output")
          assert_clean(state, "the state file")
        end)
      end
    end
  end)
end)

describe("linky.core", function()
  describe("Connection:get", function()
    local server
    setup(function() server = emu.start() end)
    teardown(function() server:stop() end)
    before_each(function() server:reset() end)

    local function connect(token, base_url)
      return core.connect { base_url = base_url or server.url, token = token or TOKEN, user_agent = "spec" }
    end

    it("replaces the token, then each segment, in the body and the content type", function()
      local body = ("a%sb%sc%sd%se"):format(TOKEN, SEGMENTS[1], SEGMENTS[2], SEGMENTS[3])
      server:script { answer(500, body, SEGMENTS[3] .. TOKEN) }
      local conn = connect()
      local status, got, ctype = conn:get(DAILY:format("2026-04-01", "2026-04-04"))
      conn:close()
      assert.equal(500, status)
      assert.equal("a<token>b<token>c<token>d<token>e", got)
      assert.equal("application/json; echo=<token><token>", ctype)
    end)

    it("keeps a segment shorter than 8 bytes unless the whole token is there", function()
      local token = "abcdefg.hijklmnopq.rstuvwx" -- segments of 7, 10 and 7 bytes
      server:script { answer(200, "1 " .. token .. " 2 abcdefg 3 hijklmnopq 4 rstuvwx 5", "text/plain") }
      local conn = connect(token)
      local _, got = conn:get(DAILY:format("2026-04-01", "2026-04-04"))
      conn:close()
      assert.equal("1 <token> 2 abcdefg 3 <token> 4 rstuvwx 5", got)
    end)

    it("replaces until no echo is left, even one a replacement makes", function()
      -- not a JWT: a segment that "<token>" followed by its own last byte would rebuild
      local token = "abcdefghij.<token>x.klmnopqrst"
      server:script { answer(200, "1 <token>xxx 2", "text/plain") }
      local conn = connect(token)
      local _, got = conn:get(DAILY:format("2026-04-01", "2026-04-04"))
      conn:close()
      assert.equal("1 <token> 2", got)
    end)

    it("flags a refused connection as unsent", function()
      local listener = assert(socket.bind("127.0.0.1", 0))
      local _, port = listener:getsockname()
      listener:close()
      local conn = connect(TOKEN, ("http://127.0.0.1:%d/api"):format(port))
      local status, kind, message, unsent = conn:get("x")
      conn:close()
      assert.is_nil(status)
      assert.equal("network", kind)
      assert.is_string(message)
      assert.is_true(unsent)
    end)

    it("flags an unresolvable host or proxy as unsent", function()
      local child = ([[
        local core = require "linky.core"
        local function try(opts)
          local c = core.connect(opts)
          local status, kind, _, unsent = c:get("x")
          c:close()
          io.write(tostring(status), " ", tostring(kind), " ", tostring(unsent), "\n")
        end
        try { base_url = %q, token = "t", user_agent = "spec" }
        try { base_url = "http://127.0.0.1:9/api", token = "t", user_agent = "spec",
              proxy = "http://linky-spec.invalid:3128" }
      ]]):format(faults.UNRESOLVABLE)
      local script = os.tmpname()
      local f = assert(io.open(script, "w"))
      f:write(child)
      f:close()
      local cmd = clients.offline(("%s %s 2>&1"):format(clients.LUA, script))
      if not cmd then os.remove(script) end
      if not tools.need(cmd, "network namespaces (unshare -n) are unavailable", pending) then return end
      local p = assert(io.popen(cmd))
      local out = p:read("*a")
      p:close()
      os.remove(script)
      assert.equal("nil network true\nnil network true\n", out)
    end)

    for _, a in ipairs { { reset = true }, { drop = true } } do
      local what = a.reset and "a reset mid-body" or "a server that closes without answering"
      it(("does not flag %s as unsent"):format(what), function()
        server:script { a }
        local conn = connect()
        local results = versions.pack(conn:get(DAILY:format("2026-04-01", "2026-04-04")))
        conn:close()
        assert.is_nil(results[1])
        assert.equal("network", results[2])
        assert.is_falsy(results[4])
      end)
    end

    it("does not flag a body over max_body as unsent", function()
      local conn = core.connect { base_url = server.url, token = TOKEN, user_agent = "spec", max_body = 10 }
      local results = versions.pack(conn:get(DAILY:format("2026-04-01", "2026-04-04")))
      assert.equal("invalid_response", results[2])
      assert.is_falsy(results[4])
      conn:close()
    end)
  end)
end)
