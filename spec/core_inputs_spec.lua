-- linky.core called directly from Lua with hostile arguments: every function and method, every
-- Lua type, NaN, infinities, huge and negative numbers, zero bytes. Each call raises a Lua
-- error or returns nil (and a message), or returns a right answer: never a crash, a sanitizer
-- report (make asan, make valgrind) or a silent wrong result.
local core = require "linky.core"
local emu = require "spec.support.emulator_spec_helper"
local clients = require "spec.support.client"
local versions = require "spec.support.versions"

local NAN = 0 / 0
local BIG = ("x"):rep(1048576)
local tointeger = require("linky.compat").tointeger

-- name, value: a list, since nil is one of them.
local VALUES = {
  { "nil", nil }, { "true", true }, { "false", false }, { "table", {} }, { "function", print },
  { "thread", coroutine.create(function() end) }, { "userdata", io.stdout },
  { "NaN", NAN }, { "inf", math.huge }, { "-inf", -math.huge }, { "maxinteger", versions.MAXINTEGER },
  { "mininteger", versions.MININTEGER }, { "2^63", 2.0 ^ 63 }, { "-2^63", -2.0 ^ 63 }, { "1e308", 1e308 },
  { "-1", -1 }, { "0", 0 }, { "-0.0", -0.0 }, { "0.5", 0.5 }, { "1e-9", 1e-9 },
  { '""', "" }, { '"\\0"', "\0" }, { '"a\\0b"', "a\0b" }, { "a date and \\0", "2026-04-01\0" },
  { "a step and \\0", "PT30M\0" }, { "not UTF-8", "\255\254\192\175" }, { "1 MiB", BIG },
  { "CR LF", "a\r\nX-Injected: 1" },
}

local function each(f)
  for _, nv in ipairs(VALUES) do f(nv[1], nv[2]) end
end

local function is_number_like(v) return type(v) == "number" or type(v) == "string" end
local function has_zero(v) return type(v) == "string" and v:find("\0", 1, true) ~= nil end

-- The kinds of linky.core's run-time failures (csrc/core.c's header).
local KINDS = { state_unavailable = true, invalid_response = true, invalid_argument = true, network = true,
                timeout = true, tls = true, system = true }

-- Calls f(...) under protection: "raised", message | "refused", kind, message | "value", results...
-- A refusal is nil alone (a lookup that finds nothing) or nil, a kind, a message.
local function outcome(f, ...)
  local r = versions.pack(pcall(f, ...))
  if not r[1] then
    assert.is_string(r[2])
    return "raised", r[2]
  end
  if r[2] == nil then
    if r[3] ~= nil then
      assert.is_true(KINDS[r[3]], "a refusal's kind: " .. tostring(r[3]))
      assert.is_string(r[4], "a refusal's message is a string")
    end
    return "refused", r[3], r[4]
  end
  return "value", versions.unpack(r, 2, r.n)
end

describe("linky.core", function()
  describe("with hostile arguments", function()
    it("day_number and to_epoch read strings, and only dates", function()
      each(function(name, v)
        for _, f in ipairs { core.day_number, core.to_epoch } do
          local how, x = outcome(f, v)
          if not is_number_like(v) then
            assert.equal("raised", how, name)
          elseif how == "value" then
            assert.is_false(has_zero(v), name)
            assert.is_integer(x, name)
          else
            assert.equal("refused", how, name)
          end
        end
      end)
    end)

    it("date_of_day, paris_day and paris_offset take numbers in range, else raise", function()
      each(function(name, v)
        local how, date = outcome(core.date_of_day, v)
        if how == "value" then
          assert.equal(tointeger(v), core.day_number(date), name)
        else
          assert.equal("raised", how, name)
        end
        local how2, off = outcome(core.paris_offset, v)
        if how2 == "value" then
          assert.is_true(off == 3600 or off == 7200, name)
          assert.equal(math.floor((v + off) / 86400), core.paris_day(v), name)
        else
          assert.equal("raised", how2, name)
          assert.equal("raised", (outcome(core.paris_day, v)), name)
        end
      end)
    end)

    it("duration reads ISO 8601 steps without overflow", function()
      each(function(name, v)
        local how, s = outcome(core.duration, v)
        if not is_number_like(v) then assert.equal("raised", how, name)
        elseif how == "value" then assert.is_true(versions.is_integer(s) and s >= 0, name)
        else assert.equal("refused", how, name) end
      end)
      -- 250000 x 999999999 days wrap an int64 around to a positive number
      assert.is_nil(core.duration("P" .. ("999999999D"):rep(250000)))
      assert.equal(999999999 * (86400 + 3600 + 60 + 1), core.duration("P999999999DT999999999H999999999M999999999S"))
      assert.equal(86400 + 3600 + 60 + 1, core.duration("P1DT1H1M1S"))
      for _, s in ipairs { "PT1H1H", "PT1M1H", "PT1S1M", "P1D1D", "P1DT", "PT", "P1DT1D", "PT1HT1M" } do
        assert.is_nil(core.duration(s), s)
      end
    end)

    it("base64url_decode and json_shape_ok take strings", function()
      each(function(name, v)
        local how, s = outcome(core.base64url_decode, v)
        if not is_number_like(v) then assert.equal("raised", how, name)
        elseif how == "value" then assert.is_string(s) assert.is_false(has_zero(v), name)
        else assert.equal("refused", how, name) end
        local how2, ok = outcome(core.json_shape_ok, v)
        if not is_number_like(v) then assert.equal("raised", how2, name)
        elseif how2 == "value" then assert.is_true(ok)
        else assert.equal("refused", how2, name) end
      end)
    end)

    it("sleep returns at once for NaN, zero and negative times, and raises for non-numbers", function()
      each(function(name, v)
        if type(v) == "number" and (v <= 0 or v ~= v) then
          local t0 = core.now()
          assert.is_true(pcall(core.sleep, v), name)
          assert.is_true(core.now() - t0 < 0.5, name)
        elseif type(v) ~= "number" then
          assert.equal("raised", (outcome(core.sleep, v)), name)
        end
      end)
      for _, f in ipairs { core.now, core.boottime } do
        each(function(name, v) assert.is_number(f(v), name) end)
      end
    end)

    it("random_bytes raises for anything but a count from 1 to 256; random ignores its arguments", function()
      each(function(name, v)
        local n = type(v) == "number" and tointeger(v)
        if n and n >= 1 and n <= 256 then
          assert.equal(n, #core.random_bytes(v), name)
        else
          assert.equal("raised", (outcome(core.random_bytes, v)), name)
        end
        local x = core.random(v)
        assert.truthy(x >= 0 and x < 1, name)
      end)
      assert.equal(1, #core.random_bytes(1))
      assert.equal(256, #core.random_bytes(256.0))
    end)

    it("mkdirs and create_private refuse paths with a zero byte and raise for non-strings", function()
      each(function(name, v)
        if has_zero(v) or v == BIG then
          assert.is_nil(core.create_private(v), name)
          if has_zero(v) then assert.is_nil(core.mkdirs(v), name) end
        elseif not is_number_like(v) then
          assert.equal("raised", (outcome(core.mkdirs, v)), name)
          assert.equal("raised", (outcome(core.create_private, v)), name)
        end
      end)
    end)

    it("create_temp, file_type, isatty and set_echo check every argument", function()
      local dir = os.tmpname()
      os.remove(dir)
      assert(core.mkdirs(dir .. "/"))
      each(function(name, v)
        if has_zero(v) then
          assert.equal("refused", (outcome(core.create_temp, dir .. "/" .. v)), name)
          assert.equal("refused", (outcome(core.file_type, dir .. "/" .. v)), name)
        elseif not is_number_like(v) then
          assert.equal("raised", (outcome(core.create_temp, v)), name)
          assert.equal("raised", (outcome(core.file_type, v)), name)
        end
        if v ~= nil then
          local how, f = outcome(core.create_temp, dir .. "/t", v)
          if type(v) == "number" and tointeger(v) and v >= -1 and v <= 511 then
            assert.equal("value", how, name)
            f:close()
          else
            assert.equal("raised", how, name)
          end
        end
        local how, isatty = outcome(core.isatty, v)
        if type(v) == "number" and tointeger(v) then
          assert.equal("value", how, name)
          assert.is_boolean(isatty)
          if v < 0 or v > 2 then assert.is_false(isatty, name) end
        else
          assert.equal("raised", how, name)
        end
        -- never a real terminal's descriptor: the run's own echo must not change
        if not (type(v) == "number" and v >= 0 and v <= 1024) then
          local how2 = outcome(core.set_echo, v, true)
          assert.equal(type(v) == "number" and tointeger(v) and "refused" or "raised", how2, name)
        end
        if type(v) ~= "boolean" then
          assert.equal("raised", (outcome(core.set_echo, -1, v)), name)
        end
      end)
      os.execute("rm -rf " .. emu.quote(dir))
    end)

    it("decode refuses bad bodies and raises for a bad spec", function()
      local fixture = emu.fixture("v2026/consommation_quotidienne.json")
      each(function(name, v)
        local how = outcome(core.decode, v, { shape = "2026" })
        assert.equal(is_number_like(v) and "refused" or "raised", how, name)
        if type(v) ~= "table" then assert.equal("raised", (outcome(core.decode, fixture, v)), name) end
        for _, key in ipairs { "shape", "metier", "measure" } do
          local how2, r = outcome(core.decode, fixture, { [key] = v, metier = key ~= "metier" and "CONS" or v })
          if v == nil then
            assert.equal("value", how2, name)
          elseif type(v) ~= "string" or has_zero(v) or key == "shape" then
            assert.equal("raised", how2, key .. " = " .. name)
          else
            assert.is_true(how2 == "refused" or (how2 == "value" and #r.points == 3), key .. " = " .. name)
          end
        end
        assert.equal("value", (outcome(core.decode, fixture, { curve = v, keep = v })), name)
      end)
      for _, shape in ipairs { "legacy", "2026", "index" } do
        assert.not_equal("raised", (outcome(core.decode, fixture, { shape = shape })), shape)
      end
    end)

    it("decode keeps the spec's strings alive while it works", function()
      -- a spec whose fields are fresh long strings (not interned), anchored nowhere else; each
      -- read collects, and the message names the metier
      local function metier() return table.concat { "NO-SUCH-METIER-", ("x"):rep(40) } end
      local spec = setmetatable({}, { __index = function(_, k)
        collectgarbage()
        if k == "metier" then return metier() end
        if k == "measure" then return table.concat { "NO-SUCH-MEASURE-", ("y"):rep(40) } end
      end })
      local ok, r, kind, msg = pcall(core.decode, emu.fixture("v2026/consommation_quotidienne.json"), spec)
      assert.is_true(ok, r)
      assert.is_nil(r)
      assert.equal("invalid_response", kind)
      assert.truthy(msg:find(metier(), 1, true), msg)
    end)

    it("open_sqlite refuses a path with a zero byte and raises for bad busy times", function()
      local dir = os.tmpname()
      os.remove(dir)
      assert(core.mkdirs(dir .. "/"))
      each(function(name, v)
        if has_zero(v) then
          local how = outcome(core.open_sqlite, dir .. "/" .. v)
          assert.equal("refused", how, name)
        elseif not is_number_like(v) then
          assert.equal("raised", (outcome(core.open_sqlite, v)), name)
        end
        if v ~= nil then
          local how, st = outcome(core.open_sqlite, ":memory:", v)
          if type(v) == "number" and tointeger(v) and v >= 0 then
            assert.equal("value", how, name)
            st:close()
          else
            assert.equal("raised", how, name)
          end
        end
      end)
      local ls = assert(io.popen("ls -A " .. dir))
      local left = ls:read("*a")
      ls:close()
      os.execute("rm -rf " .. emu.quote(dir))
      assert.equal("", left, "no file made from a cut path")
    end)

    it("a State binds every value exactly or raises, and runs only whole statements", function()
      local st = assert(core.open_sqlite(":memory:"))
      local function usable() assert.equal(1, st:rows("SELECT 1 AS one")[1].one) end
      each(function(name, v)
        local how, rows = outcome(st.rows, st, "SELECT ?1 AS v", v)
        local t = type(v)
        local bindable = not (t == "table" or t == "function" or t == "thread" or t == "userdata")
        if not bindable or v ~= v then
          assert.equal("raised", how, name)
        else
          assert.equal("value", how, name)
          local want = v
          if t == "boolean" then want = v and 1 or 0 end
          assert.equal(want, rows[1].v, name)
          if t == "number" then assert.equal(versions.is_integer(v), versions.is_integer(rows[1].v), name) end
        end
        usable()
        -- db:insert binds as db:rows does
        assert.equal(bindable and v == v and "value" or "raised", (outcome(st.insert, st, "SELECT ?1", v)), name)
        usable()
        for _, m in ipairs { st.exec, st.rows, st.insert } do
          local how2 = outcome(m, st, v)
          if not is_number_like(v) or has_zero(v) then assert.equal("raised", how2, name)
          else assert.not_equal("raised", how2, name) end
          usable()
        end
        for i = 1, 3 do
          local args = { {}, {}, {} }
          args[i] = v
          local how3 = outcome(st.run_many, st, "SELECT ?1", args[1], args[2], args[3])
          if type(v) ~= "table" then assert.equal("raised", how3, name) end
          usable()
        end
        if t ~= "table" then
          assert.equal("raised", (outcome(st.run_many, st, "SELECT ?1", {}, { v == nil and 1 or v }, { "a" })), name)
        end
        if bindable and v ~= nil and v == v then
          assert.equal("value", (outcome(st.run_many, st, "SELECT ?1", { v }, { {} }, {})), name)
        end
        usable()
      end)
      assert.equal("raised", (outcome(st.run_many, st, "SELECT ?1", { NAN }, { {} }, {})))
      assert.equal("raised", (outcome(st.exec, st, "SELECT 1\0; CREATE TABLE t(x)")))
      assert.is_nil(st:rows("SELECT name FROM sqlite_master WHERE name = 't'")[1])
      for _, sql in ipairs { "", " ", "-- nothing", "SELECT 1; SELECT 2", "SELECT 1; CREATE TABLE t(x)" } do
        local r, msg = st:rows(sql)
        assert.is_nil(r, sql)
        assert.is_string(msg, sql)
      end
      assert.is_nil(st:rows("SELECT name FROM sqlite_master WHERE name = 't'")[1])
      assert.equal(1, st:rows("SELECT 1 AS one;")[1].one)
      assert.equal(1, st:rows("SELECT 1 AS one; -- the end")[1].one)
      -- db:insert returns the inserted row's id
      assert(st:exec("CREATE TABLE r (id INTEGER PRIMARY KEY, x)"))
      assert.equal(1, st:insert("INSERT INTO r (x) VALUES (?)", "a"))
      assert.equal(41, st:insert("INSERT INTO r (id, x) VALUES (41, ?)", "b"))
      assert.equal(42, st:insert("INSERT INTO r (x) VALUES (?)", "c"))
      assert.same({ { x = "c" } }, st:rows("SELECT x FROM r WHERE id = 42"))
      st:close()
      assert.equal("raised", (outcome(st.rows, st, "SELECT 1")))
    end)

    describe("connect", function()
      local BASE = { base_url = "http://127.0.0.1:1/api", token = "t", user_agent = "spec" }
      local function opts(key, v)
        local o = {}
        for k, x in pairs(BASE) do o[k] = x end
        o[key] = v
        return o
      end

      it("raises for string options of another type, with a zero byte or a line break", function()
        each(function(name, v)
          assert.equal("raised", (outcome(core.connect, v)), name)
          for _, key in ipairs { "base_url", "token", "user_agent", "from", "cainfo", "proxy" } do
            local how, conn = outcome(core.connect, opts(key, v))
            local header = key == "token" or key == "user_agent" or key == "from"
            if v == nil and BASE[key] == nil then
              assert.equal("value", how, key .. " = " .. name)
            elseif type(v) ~= "string" or has_zero(v) or (header and v:find("[\r\n]")) then
              assert.equal("raised", how, key .. " = " .. name)
            else
              assert.equal("value", how, key .. " = " .. name)
            end
            if how == "value" then conn:close() end
          end
        end)
      end)

      it("takes any positive time and size, however small or large, and raises for the rest", function()
        each(function(name, v)
          for _, key in ipairs { "timeout", "connect_timeout", "max_body" } do
            local how, conn = outcome(core.connect, opts(key, v))
            local positive = type(v) == "number" and v > 0 and (key ~= "max_body" or v >= 1)
            if v == nil or positive then
              assert.equal("value", how, key .. " = " .. name)
              conn:close()
            else
              assert.equal("raised", how, key .. " = " .. name)
            end
          end
        end)
      end)

      it("raises for a string option libcurl refuses (over 8 MB) rather than leave it out", function()
        local huge = ("x"):rep(8000001)
        for _, key in ipairs { "user_agent", "cainfo", "proxy" } do
          assert.equal("raised", (outcome(core.connect, opts(key, huge))), key)
        end
      end)

      it("keeps the option strings alive while it works", function()
        local fresh = setmetatable({}, { __index = function(_, k)
          collectgarbage() -- what an earlier read returned is anchored nowhere else
          if k == "base_url" then return table.concat { "http://127.0.0.1:1/", ("a"):rep(60) } end
          if k == "token" then return ("t"):rep(80) .. "x" end
          if k == "user_agent" then return ("u"):rep(80) .. "y" end
        end })
        local ok, conn = pcall(core.connect, fresh)
        assert.is_true(ok, conn)
        local status, kind = conn:get("x")
        assert.is_nil(status)
        assert.equal("network", kind)
        conn:close()
      end)

      it("get raises for a path that is not a string or holds a zero byte", function()
        local conn = core.connect(BASE)
        each(function(name, v)
          local how, kind = outcome(conn.get, conn, v)
          if not is_number_like(v) or has_zero(v) then
            assert.equal("raised", how, name)
          else
            assert.equal("refused", how, name)
            assert.is_true(kind == "network" or kind == "invalid_argument", name .. ": " .. tostring(kind))
          end
        end)
        assert.is_table(conn:stats(1, NAN, {}))
        conn:close()
      end)
    end)
  end)

  describe("failures", function()
    it("returns every run-time failure as nil, a kind and a message (SQLite's code fourth)", function()
      local dir = os.tmpname()
      os.remove(dir)
      assert(core.mkdirs(dir .. "/"))
      local st = assert(core.open_sqlite(":memory:"))
      assert(st:exec("CREATE TABLE t (k INTEGER PRIMARY KEY)"))
      local conn = core.connect { base_url = "http://127.0.0.1:1/api", token = "t", user_agent = "spec" }
      -- one failure of each family: the function, its arguments, the kind it gives
      local cases = {
        { "open_sqlite", core.open_sqlite, { dir .. "/a\0b" }, "state_unavailable" },
        { "db:exec", st.exec, { st, "NOT SQL" }, "state_unavailable" },
        { "db:rows", st.rows, { st, "SELECT * FROM missing" }, "state_unavailable" },
        { "db:insert", st.insert, { st, "INSERT INTO t VALUES (1), (1)" }, "state_unavailable" },
        { "db:run_many", st.run_many, { st, "INSERT INTO t VALUES (?1)", { 1 }, { {}, {} }, {} }, "state_unavailable" },
        { "decode", core.decode, { "<html>", { shape = "2026" } }, "invalid_response" },
        { "json_shape_ok", core.json_shape_ok, { ("["):rep(100000) }, "invalid_response" },
        { "mkdirs", core.mkdirs, { dir .. "/a\0/b" }, "invalid_argument" },
        { "mkdirs", core.mkdirs, { "/proc/linky-spec/a/b" }, "system" },
        { "create_private", core.create_private, { dir .. "/missing/f" }, "system" },
        { "create_temp", core.create_temp, { dir .. "/missing/t-" }, "system" },
        { "file_type", core.file_type, { dir .. "/a\0b" }, "invalid_argument" },
        { "set_echo", core.set_echo, { -1, true }, "system" },
        { "connection:get", conn.get, { conn, "x" }, "network" },
      }
      for _, case in ipairs(cases) do
        local r = versions.pack(case[2](versions.unpack(case[3], 1, 5)))
        assert.is_nil(r[1], case[1])
        assert.equal(case[4], r[2], case[1])
        assert.is_string(r[3], case[1])
        assert.not_equal(case[4], r[3], case[1])
        if case[4] == "state_unavailable" then assert.is_number(r[4], case[1]) end
      end
      conn:close()
      st:close()
      os.execute("rm -rf " .. emu.quote(dir))
    end)
  end)
end)

-- Opens a connection with `timeout`, asks a server that never answers, prints the error kind.
local CHILD = [[
local core = require "linky.core"
local conn = core.connect { base_url = arg[1], token = "t", user_agent = "spec", timeout = tonumber(arg[2]) }
local status, kind = conn:get("consommation_quotidienne")
io.write(tostring(status or kind), "\n")
]]

describe("linky.core", function()
  describe("Connection against a server", function()
    local server, script
    setup(function()
      server = emu.start()
      script = os.tmpname()
      local f = assert(io.open(script, "w"))
      f:write(CHILD)
      f:close()
    end)
    teardown(function()
      server:stop()
      os.remove(script)
    end)

    it("sends nothing when libcurl refuses the URL (over 8 MB), not the previous URL again", function()
      server:reset()
      local conn = core.connect { base_url = server.url, token = emu.TOKEN1, user_agent = "spec" }
      assert.equal(200, (conn:get("consommation_quotidienne?pointId=11111111111111&dateDebut=2026-04-01&dateFin=2026-04-02")))
      local status, kind = conn:get("consommation_quotidienne?x=" .. ("x"):rep(8000000))
      assert.is_nil(status)
      assert.equal("invalid_argument", kind)
      assert.equal(1, #server:api_requests())
      conn:close()
    end)

    for _, t in ipairs { 1e-4, 1e-9, 5e-324 } do
      it(("rounds a timeout of %g s up to 1 ms, not down to 0 (never)"):format(t), function()
        server:reset()
        server:script { { hang = true } }
        local limit = math.ceil(clients.deadline(1))
        local p = assert(io.popen(("timeout -s KILL %d %s %s %s %s 2>&1")
          :format(limit, clients.LUA, script, server.url, ("%.17g"):format(t))))
        local out = p:read("*a")
        p:close()
        assert.equal("timeout\n", out)
      end)
    end
  end)
end)
