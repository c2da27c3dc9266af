-- Publishing from the store (issue 24, points 4 and 5): `linky.publish` and its targets
-- (prometheus:, jsonl:, the registry), the watermark per target in the state file, and the
-- command (`linky publish`, `linky update --publish`, `linky cron --publish`). Nothing here
-- sends a Conso API request: each publish is checked against the emulator's log and the ledger.
local linky = require "linky"
local cjson = require "cjson"
local cli = require "linky.cli"
local core = require "linky.core"
local errors = require "linky.errors"
local publish = require "linky.publish"
local emu = require "spec.support.emulator_spec_helper"
local simulated = require "spec.support.simulated"

local quote, read = emu.quote, emu.read_file
local NOW = core.to_epoch("2026-11-28 07:30:00")
local DAY = 86400

-- The JSON lines of a file, decoded.
local function jsonl_of(path)
  local out = {}
  for line in (read(path) or ""):gmatch("([^\n]*)\n") do out[#out + 1] = cjson.decode(line) end
  return out
end

-- The dates of JSON lines, in order.
local function dates_of(lines)
  local out = {}
  for i, l in ipairs(lines) do out[i] = l.date end
  return out
end

-- Permission bits of a path ("644"), or nil.
local function mode_of(path)
  local p = assert(io.popen("stat -c %a " .. quote(path) .. " 2>/dev/null"))
  local out = p:read("*l")
  p:close()
  return out
end

-- A 2026 daily body of `quality` with a value for each of `days` (value: 2000 + i).
local function daily_body(quality, days)
  local out = {}
  for i, d in ipairs(days) do out[i] = ('{"v":"%d","d":"%s"}'):format(2000 + i, d) end
  return '{"idPrm":"11111111111111","etapeMetier":"' .. quality .. '","grandeur":[{"grandeurMetier":"CONS",'
    .. '"grandeurPhysique":"EA","unite":"Wh","points":[' .. table.concat(out, ",") .. ']}]}'
end

describe("linky.publish", function()
  local t = simulated.new { now = NOW, client = { retry = false } }
  setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)

  -- What publishing may not touch: the requests the emulator saw and the ledger's count.
  local function spent(c)
    return #t.server:api_requests(), assert(c:budget()).used
  end

  it("appends the days new since the last publish, each once, sending no request", function()
    local c = t.client()
    assert(c:update("daily_consumption"))
    local target = "jsonl:" .. t.dir .. "/out/points.jsonl"
    local sent, used = spent(c)
    local r = assert(linky.publish(c, target))
    assert.same({ target = target, days = 7, points = 7 }, r)
    assert.same({ sent, used }, { spent(c) })
    assert.same({ "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26",
                  "2026-11-27" }, dates_of(jsonl_of(t.dir .. "/out/points.jsonl")))
    assert.equal("600", mode_of(t.dir .. "/out/points.jsonl")) -- private unless told
    -- again: nothing new, the file untouched
    r = assert(linky.publish(c, target))
    assert.same({ target = target, days = 0, points = 0 }, r)
    -- the next morning: one new day; the correction check asks the BRUT days again, which come
    -- back unchanged and are not sent again
    t.now = NOW + DAY
    local u = assert(c:update("daily_consumption"))
    assert.equal(1, u.days_new)
    assert.equal("2026-11-22..2026-11-29", t.requests()[2]) -- the check covered the whole week
    sent, used = spent(c)
    r = assert(linky.publish(c, target))
    assert.same({ target = target, days = 1, points = 1 }, r)
    assert.same({ sent, used }, { spent(c) })
    local lines = jsonl_of(t.dir .. "/out/points.jsonl")
    assert.equal(8, #lines)
    assert.same({ prm = "11111111111111", kind = "daily_consumption", date = "2026-11-28",
      time = core.to_epoch("2026-11-28"), value = lines[8].value, unit = "Wh", day_status = "complete" }, lines[8])
  end)

  it("sends a day again when a correction changes it, and everything with all", function()
    local c = t.client()
    assert(c:update("daily_consumption"))
    local path = t.dir .. "/points.jsonl"
    assert(linky.publish(c, "jsonl:" .. path))
    -- the next day's correction check: the week comes back BEST, the 5 first days corrected
    t.now = NOW + DAY
    t.server:script { { status = 200, body = daily_body("BEST", { "2026-11-22", "2026-11-23", "2026-11-24",
      "2026-11-25", "2026-11-26" }) } }
    local u = assert(c:update("daily_consumption"))
    assert.equal(6, u.days_corrected) -- update counts 2026-11-27 too (complete BRUT, in a BEST answer)
    local r = assert(linky.publish(c, "jsonl:" .. path))
    -- the 5 corrected days, and 2026-11-28, which the answer left out (missing: no point, no
    -- line); 2026-11-27, also left out, stays complete with its BRUT values, unchanged
    assert.same({ days = 6, points = 5 }, { days = r.days, points = r.points })
    local lines = jsonl_of(path)
    assert.equal(7 + 5, #lines)
    assert.same({ "2026-11-22", 2001 }, { lines[8].date, lines[8].value })
    -- all: the file rewritten with every stored point, once
    r = assert(linky.publish(c, "jsonl:" .. path, { all = true }))
    assert.equal(7, r.points) -- 2026-11-21 and 27 (BRUT) and the 5 corrected
    assert.same({ "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26",
                  "2026-11-27" }, dates_of(jsonl_of(path)))
  end)

  it("writes the status as Prometheus text for node_exporter, 0644 unless mode", function()
    local c = t.client()
    assert(c:update("daily_consumption"))
    local path = t.dir .. "/textfile/linky.prom"
    local sent, used = spent(c)
    local r = assert(linky.publish(c, "prometheus:" .. path, { token_expires = 1874521600 }))
    assert.same({ target = "prometheus:" .. path }, r)
    assert.same({ sent, used }, { spent(c) })
    local text = read(path)
    assert.truthy(text:find("\nlinky_budget_used_requests 1\n", 1, true), text)
    assert.truthy(text:find("\nlinky_token_expiry_timestamp_seconds 1874521600\n", 1, true), text)
    assert.truthy(text:find('\nlinky_last_complete_day_timestamp_seconds{prm="11111111111111",'
      .. 'kind="daily_consumption"} ' .. core.to_epoch("2026-11-27") .. "\n", 1, true), text)
    assert.equal("644", mode_of(path))
    assert(linky.publish(c, "prometheus:" .. path, { mode = tonumber("0640", 8) }))
    assert.equal("640", mode_of(path))
    -- no temporary file left beside it
    local p = io.popen("ls " .. quote(t.dir .. "/textfile"))
    assert.equal("linky.prom\n", p:read("*a"))
    p:close()
  end)

  it("refuses a target it cannot name, writing nothing", function()
    local c = t.client()
    for _, target in ipairs { "ftp://example.org/x", "prometheus:relative.prom", "prometheus:/x/linky.txt",
        "jsonl:relative.jsonl", "jsonl:/x/", "jsonl:/x/a\nb", "nothing" } do
      local r, err = linky.publish(c, target)
      assert.is_nil(r, target)
      assert.equal("invalid_argument", err.kind, target)
    end
    local _, err = linky.publish(c, "jsonl:/x/y", { kinds = { "daily" } })
    assert.equal("invalid_argument", err.kind)
    _, err = linky.publish(c, "jsonl:/x/y", { prm = "123" })
    assert.equal("invalid_argument", err.kind)
    assert.has_error(function() linky.publish(c, 42) end)
    assert.is_nil(core.file_type("/x"))
  end)

  it("fails with file_error when a folder is at the path, and the next publish catches up", function()
    local c = t.client()
    assert(c:update("daily_consumption"))
    local path = t.dir .. "/points.jsonl"
    assert(linky.publish(c, "jsonl:" .. path))
    t.now = NOW + DAY
    assert(c:update("daily_consumption"))
    os.rename(path, path .. ".kept")
    assert(os.execute("mkdir " .. quote(path)))
    local r, err = linky.publish(c, "jsonl:" .. path)
    assert.is_nil(r)
    assert.equal("file_error", err.kind)
    assert.equal(path, err.path)
    -- fixed: the day the failed publish held is sent now, once
    assert(os.execute("rmdir " .. quote(path)))
    os.rename(path .. ".kept", path)
    r = assert(linky.publish(c, "jsonl:" .. path))
    assert.same({ 1, 1 }, { r.days, r.points })
    assert.same({ "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26",
                  "2026-11-27", "2026-11-28" }, dates_of(jsonl_of(path)))
  end)

  it("fails with file_error when its folder cannot be made, and the next publish catches up", function()
    local c = t.client()
    assert(c:update("daily_consumption"))
    -- a regular file where the folder should be: no one, root included, can write below it
    local dir = t.dir .. "/exports"
    assert(io.open(dir, "w")):close()
    local _, err = linky.publish(c, "jsonl:" .. dir .. "/points.jsonl")
    assert.equal("file_error", err.kind)
    os.remove(dir)
    local r = assert(linky.publish(c, "jsonl:" .. dir .. "/points.jsonl"))
    assert.equal(7, r.points)
    assert.equal(7, #jsonl_of(dir .. "/points.jsonl"))
  end)

  it("hands the writer of a registered scheme the points since its watermark, advanced only on success", function()
    local got, fail = {}, false
    publish.register("memory", {
      reads = "points",
      parse = function(rest) return { name = rest } end,
      write = function(target, batch)
        if fail then return nil, errors.new("network", "the broker is down") end
        for _, res in ipairs(batch.results) do
          for _, p in ipairs(res.points) do got[#got + 1] = target.name .. " " .. res.kind .. " " .. p.date end
        end
        return true
      end,
    })
    finally(function() publish.targets.memory = nil end)
    local c = t.client()
    assert(c:update("daily_consumption"))
    assert(c:update("consumption_max_power"))
    -- the credentials of a URL never reach the watermark's key
    local r = assert(linky.publish(c, "memory://user:secret@host/a", { kinds = { "daily_consumption" } }))
    assert.equal("memory://host/a", r.target)
    assert.equal(7, #got)
    assert.equal("//user:secret@host/a daily_consumption 2026-11-21", got[1])
    t.now = NOW + DAY
    assert(c:update("daily_consumption"))
    fail = true
    local _, err = linky.publish(c, "memory://other:pw@host/a")
    assert.equal("network", err.kind)
    fail, got = false, {}
    -- the same target (another user): the day the failure held, and every max-power day
    r = assert(linky.publish(c, "memory://host/a"))
    assert.same({ 8, 8 }, { r.days, r.points })
    table.sort(got)
    assert.equal("//host/a daily_consumption 2026-11-28", got[8])
  end)

  it("publishes from a state path, without a client", function()
    local c = t.client()
    assert(c:update("daily_consumption"))
    c:close()
    local r = assert(linky.publish(t.path, "jsonl:" .. t.dir .. "/p.jsonl", { clock = function() return t.now end }))
    assert.same({ 7, 7 }, { r.days, r.points })
    r = assert(linky.publish(t.path, "jsonl:" .. t.dir .. "/p.jsonl", { prm = "22222222222222" }))
    assert.equal(0, r.days)
    assert.equal(1, #t.server:api_requests())
  end)
end)

local buffer = require("spec.support.cli_runner").buffer

describe("linky publish (the command)", function()
  local server, dir, now

  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)
  before_each(function()
    server:reset()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. quote(dir)))
    local f = assert(io.open(dir .. "/token", "w"))
    f:write(emu.TOKEN1, "\n")
    f:close()
    now = NOW
  end)
  after_each(function() os.execute("rm -rf " .. quote(dir)) end)

  -- The command in-process at `now`: its exit code, standard output and stderr.
  local function linky_cmd(...)
    local out, err = buffer(), buffer()
    local argv = { "--base-url", server.url, "--token-file", dir .. "/token", "--state", dir .. "/state.sqlite3", ... }
    local code = cli.main(argv, "/usr/local/bin/linky", {
      clock = function() return now end, monotonic = function() return now end,
      sleep = function(s) now = now + s end, stdout = out, stderr = err })
    return code, out.text, err.text
  end

  it("takes targets and kinds in any order, and sends nothing", function()
    assert.equal(0, linky_cmd("update", "daily", "maxpower"))
    local sent = #server:api_requests()
    local code, out, err = linky_cmd("publish", "daily", "jsonl:" .. dir .. "/d.jsonl",
      "prometheus:" .. dir .. "/linky.prom", "--quiet")
    assert.equal(0, code, err)
    assert.equal("", out)
    code, out, err = linky_cmd("publish", "jsonl:" .. dir .. "/d.jsonl", "jsonl:" .. dir .. "/all.jsonl", "daily")
    assert.equal(0, code, err)
    assert.equal(("jsonl:%s/d.jsonl  nothing new\njsonl:%s/all.jsonl  7 days, 7 points\n"):format(dir, dir), out)
    -- without a kind, every kind stored: max power is new to both
    code, out, err = linky_cmd("publish", "jsonl:" .. dir .. "/d.jsonl", "jsonl:" .. dir .. "/all.jsonl")
    assert.equal(0, code, err)
    assert.equal(("jsonl:%s/d.jsonl  7 days, 7 points\njsonl:%s/all.jsonl  7 days, 7 points\n"):format(dir, dir), out)
    assert.equal(sent, #server:api_requests())
    assert.equal(14, #jsonl_of(dir .. "/d.jsonl"))
    assert.equal("644", mode_of(dir .. "/linky.prom"))
    -- the status counts what update spent, nothing more
    assert.truthy(read(dir .. "/linky.prom"):find("\nlinky_budget_used_requests 2\n", 1, true))
    code, out = linky_cmd("publish", "jsonl:" .. dir .. "/d.jsonl", "--all", "--mode", "0640")
    assert.equal(0, code)
    assert.equal(("jsonl:%s/d.jsonl  rewritten: 14 days, 14 points\n"):format(dir), out)
    assert.equal("640", mode_of(dir .. "/d.jsonl"))
  end)

  it("refuses a missing target, an unknown word or target (exit 2), and a file it cannot write (exit 8)", function()
    assert.equal(2, (linky_cmd("publish", "daily")))
    assert.equal(2, (linky_cmd("publish", "jsonl:" .. dir .. "/x.jsonl", "dayly")))
    assert.equal(2, (linky_cmd("publish", "prometheus:" .. dir .. "/x.txt")))
    assert.equal(2, (linky_cmd("publish", "gopher://x")))
    assert.equal(0, (linky_cmd("update")))
    assert(os.execute("mkdir " .. quote(dir .. "/x.jsonl")))
    local code, _, err = linky_cmd("publish", "jsonl:" .. dir .. "/x.jsonl", "prometheus:" .. dir .. "/l.prom")
    assert.equal(8, code)
    assert.truthy(err:find(dir .. "/x.jsonl", 1, true), err)
    assert.truthy(read(dir .. "/l.prom")) -- the other target still written
  end)

  it("update --publish publishes after the update, also when a kind failed, with the highest exit code", function()
    server:script { { error = "consent_403" } }
    local code, out, err = linky_cmd("update", "maxpower", "daily", "--publish", "jsonl:" .. dir .. "/p.jsonl",
      "--publish", "prometheus:" .. dir .. "/l.prom")
    assert.equal(3, code, err) -- maxpower's 403
    assert.truthy(out:find(("jsonl:%s/p.jsonl  7 days, 7 points\n"):format(dir), 1, true), out)
    assert.truthy(out:find(("prometheus:%s/l.prom  status written\n"):format(dir), 1, true), out)
    assert.equal(7, #jsonl_of(dir .. "/p.jsonl"))
    -- a file target that fails: 8, higher than a kind's 3; the next run catches up
    now = now + DAY
    assert(os.execute("mkdir " .. quote(dir .. "/q.jsonl")))
    server:script { { error = "consent_403" } }
    code = linky_cmd("update", "maxpower", "daily", "--publish", "jsonl:" .. dir .. "/q.jsonl")
    assert.equal(8, code)
    assert(os.execute("rmdir " .. quote(dir .. "/q.jsonl")))
    code, out, err = linky_cmd("update", "daily", "--publish", "jsonl:" .. dir .. "/q.jsonl", "--quiet")
    assert.equal("", out)
    assert.equal(0, code, err)
    assert.equal(8, #jsonl_of(dir .. "/q.jsonl"))
    assert.equal(2, (linky_cmd("update", "--all")))
    assert.equal(2, (linky_cmd("update", "--publish", "jsonl:relative")))
  end)

  it("cron --publish prints the update line that publishes, quoted for /bin/sh and %-escaped", function()
    local code, out, err = linky_cmd("cron", "daily", "--publish", "prometheus:/var/lib/x/linky.prom",
      "--publish", "jsonl:/srv/it's 100%/p.jsonl")
    assert.equal(0, code, err)
    local line = out:match("^([^\n]*)\n$")
    assert.truthy(line, out)
    local tail = " update --quiet --state '" .. dir .. "/state.sqlite3' --publish "
      .. "'prometheus:/var/lib/x/linky.prom' --publish 'jsonl:/srv/it'\\''s 100'\"\\%\"'/p.jsonl' daily"
    assert.equal(tail, line:sub(-#tail))
    -- what /bin/sh gives the program, once cron turned \% into %
    local command = line:match("^%S+ %S+ %* %* %* (.*)$"):gsub("\\%%", "%%")
    local p = io.popen("printf '%s\\n' " .. command:gsub("^%S+", ""))
    local words = p:read("*a")
    p:close()
    assert.truthy(words:find("\njsonl:/srv/it's 100%/p.jsonl\n", 1, true), words)
    assert.equal(2, (linky_cmd("cron", "--publish", "jsonl:relative")))
  end)
end)

describe("linky state file version 6", function()
  local t = simulated.new { now = NOW }
  setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)

  it("migrates a version 4 file, keeping its days and adding the watermarks of publish", function()
    local c = t.client()
    assert(c:daily_consumption("2026-11-01", "2026-11-08"))
    c:close()
    local db = assert(core.open_sqlite(t.path))
    assert(db:exec("DROP TABLE published; DROP TABLE mqtt_baselines; DROP TABLE mqtt_topics; PRAGMA user_version = 5"))
    db:close()
    c = t.client()
    assert.equal(7, assert(linky.publish(c, "jsonl:" .. t.dir .. "/p.jsonl")).points)
    c:close()
    db = assert(core.open_sqlite(t.path))
    assert.same({ { user_version = 7 } }, db:rows("PRAGMA user_version"))
    assert.same({ { n = 7 } }, db:rows("SELECT count(*) AS n FROM days WHERE status = 'complete'"))
    assert.same({ { target = "jsonl:" .. t.dir .. "/p.jsonl", prm = "11111111111111", kind = "daily_consumption" } },
      db:rows("SELECT target, prm, kind FROM published"))
    db:close()
  end)
end)
