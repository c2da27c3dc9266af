-- Day statuses: a stored day is complete, incomplete or missing, and the store acts on it
-- (complete days never asked again, the others at most once an hour until they are settled).
local core = require "linky.core"
local db_ = require "linky.db"
local store = require "linky.store"
local emu = require "spec.support.emulator_spec_helper"
local simulated = require "spec.support.simulated"
local versions = require "spec.support.versions"

local quote = emu.quote
-- A fixed "now" (2026-11-28 11:00 in Paris), moved by hand.
local NOW = core.to_epoch("2026-11-28 11:00:00")
local HOUR = 3600


-- A 2026 load-curve body of `day` with its first `n` half-hours (`null_at`: that one is null).
local function curve_body(day, n, null_at)
  local points, t = {}, core.to_epoch(day .. " 00:00:00")
  for i = 1, n do
    local v = i == null_at and "null" or ('"' .. (100 + i) .. '"')
    points[i] = ('{"v":%s,"d":"%s","p":"PT30M","n":"B"}'):format(v, os.date("!%Y-%m-%d %H:%M:%S",
      t + i * 1800 + core.paris_offset(t + i * 1800)))
  end
  return '{"idPrm":"11111111111111","etapeMetier":"BRUT","grandeur":[{"grandeurMetier":"CONS",'
    .. '"grandeurPhysique":"PA","unite":"W","points":[' .. table.concat(points, ",") .. ']}]}'
end

describe("linky day statuses", function()
  local t = simulated.new { now = NOW, client = { retry = false } }
  setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)
  local client = t.client
  local requests = t.requests

  it("keeps a load-curve day with 10 of its 48 points incomplete and asks it again an hour later", function()
    t.server:script { { status = 200, body = curve_body("2026-11-25", 10) } }
    local c = client()
    local r = assert(c:consumption_load_curve("2026-11-25", "2026-11-26"))
    assert.equal(10, #r.points)
    assert.same({ { start = "2026-11-25", ["end"] = "2026-11-26", reason = "incomplete" } }, r.gaps)
    t.now = NOW + HOUR - 1 -- held: the stored points, no request
    local held = assert(c:consumption_load_curve("2026-11-25", "2026-11-26"))
    assert.equal(0, held.requests)
    assert.equal(10, held.cached)
    assert.same(r.gaps, held.gaps)
    t.now = NOW + HOUR
    local full = assert(c:consumption_load_curve("2026-11-25", "2026-11-26"))
    assert.equal(1, full.requests)
    assert.equal(48, #full.points)
    assert.same({}, full.gaps)
    t.now = NOW + 5 * HOUR
    assert.equal(0, assert(c:consumption_load_curve("2026-11-25", "2026-11-26")).requests)
    assert.same({ "2026-11-25..2026-11-26", "2026-11-25..2026-11-26" }, requests())
  end)

  it("keeps a day with a null value incomplete", function()
    t.server:script { { status = 200, body = curve_body("2026-11-25", 48, 7) } }
    local r = assert(client():consumption_load_curve("2026-11-25", "2026-11-26"))
    assert.same({ { start = "2026-11-25", ["end"] = "2026-11-26", reason = "incomplete" } }, r.gaps)
  end)

  it("counts 46 and 50 half-hours as the whole of a DST day", function()
    local c = client()
    for _, range in ipairs { { "2026-03-29", "2026-03-30", 46 }, { "2026-10-25", "2026-10-26", 50 } } do
      local r = assert(c:consumption_load_curve(range[1], range[2]))
      assert.equal(range[3], #r.points)
      assert.same({}, r.gaps)
      local db = assert(db_.open(t.path))
      local k = store.known(db, emu.PRM1, "consumption_load_curve", core.day_number(range[1]),
        core.day_number(range[2]))
      db:close()
      assert.equal("complete", k[core.day_number(range[1])].status)
    end
  end)

  it("never takes today as complete", function()
    local r = assert(client():daily_consumption("2026-11-27", "2026-11-29"))
    assert.same({ { start = "2026-11-28", ["end"] = "2026-11-29", reason = "incomplete" } }, r.gaps)
  end)

  it("drops points outside the days asked for", function()
    local body = curve_body("2026-11-25", 48):gsub('%]}%]}$', ',{"v":"5","d":"2026-11-20 10:00:00","p":"PT30M"}]}]}')
    t.server:script { { status = 200, body = body } }
    local r = assert(client { cache = false }:consumption_load_curve("2026-11-25", "2026-11-26"))
    assert.equal(48, #r.points)
    for _, p in ipairs(r.points) do assert.equal("2026-11-2", p.date:sub(1, 9)) end
    assert.is_nil(r.points[49])
  end)

  describe("a missing day", function()
    it("is held an hour: not_found from the state, with retry_at, and no request", function()
      t.server:script { { error = "no_data_404" } }
      local c = client()
      local _, err = c:daily_consumption("2026-11-26", "2026-11-27")
      assert.equal("not_found", err.kind)
      assert.equal(NOW + HOUR, err.retry_at)
      t.now = NOW + 60
      local r, again = c:daily_consumption("2026-11-26", "2026-11-27")
      assert.is_nil(r)
      assert.equal("not_found", again.kind)
      assert.is_true(again.from_state)
      assert.equal(NOW + HOUR, again.retry_at)
      assert.equal(1, #requests())
      t.now = NOW + HOUR
      assert(c:daily_consumption("2026-11-26", "2026-11-27"))
      assert.equal(2, #requests())
    end)

    it("is settled once 7 days old: asked again only with refresh", function()
      t.server:script { { error = "no_data_404" } }
      local c = client()
      assert.equal("not_found", select(2, c:daily_consumption("2026-11-10", "2026-11-11")).kind)
      t.now = NOW + 10 * HOUR
      local r, err = c:daily_consumption("2026-11-09", "2026-11-12")
      assert.equal(2, r.requests) -- the two days never asked; the settled one stays a gap
      assert.same({ { start = "2026-11-10", ["end"] = "2026-11-11", reason = "missing", settled = true } }, r.gaps)
      assert.is_nil(err)
      r, err = c:daily_consumption("2026-11-10", "2026-11-11")
      assert.equal("not_found", err.kind)
      assert.is_true(err.from_state)
      assert.is_nil(err.retry_at)
      assert.is_nil(r)
      assert(c:daily_consumption("2026-11-10", "2026-11-11", { refresh = true }))
      assert.same({ "2026-11-10..2026-11-11", "2026-11-09..2026-11-10", "2026-11-11..2026-11-12",
                    "2026-11-10..2026-11-11" }, requests())
    end)

    it("is asked again by the command only with --refresh", function()
      t.server:script { { error = "no_data_404" } }
      local c = client()
      assert.equal("not_found", select(2, c:daily_consumption("2026-11-10", "2026-11-11")).kind)
      c:close()
      local function command(extra)
        local cmd = ("env LINKY_TOKEN=%s LINKY_TODAY=2026-12-01 %s bin/linky daily --start 2026-11-10"
          .. " --end 2026-11-11 --base-url %s --state %s --format csv %s >/dev/null 2>&1; echo $?")
          :format(quote(emu.TOKEN1), versions.LUA, quote(t.server.url), quote(t.path), extra)
        local p = assert(io.popen(cmd))
        local code = tonumber(p:read("*a"))
        p:close()
        return code
      end
      assert.equal(4, command("")) -- settled: nothing sent, not_found from the state
      assert.equal(1, #requests())
      assert.equal(0, command("--refresh"))
      assert.equal(2, #requests())
    end)

    it("is settled at once by ADAM-ERR0123 and ADAM-ERR0125, keeps that reason, and the call goes on", function()
      for name, reason in pairs { adam_err0123 = "before_activation", adam_err0125 = "beyond_history" } do
        t.server:reset()
        os.remove(t.path)
        t.server:script { { error = name } }
        local c = client()
        local r = assert(c:consumption_load_curve("2026-11-08", "2026-11-22"))
        assert.same({ { start = "2026-11-08", ["end"] = "2026-11-15", reason = reason, settled = true } }, r.gaps)
        assert.equal(7 * 48, #r.points)
        t.now = NOW + 2 * HOUR
        local again = assert(c:consumption_load_curve("2026-11-08", "2026-11-22"))
        assert.equal(0, again.requests)
        assert.same(r.gaps, again.gaps)
        t.now = NOW
        c:close()
      end
    end)
  end)

  it("downgrades days a version 2 state file marked covered without their whole day", function()
    local db = assert(core.open_sqlite(t.path))
    assert(db:exec([[
      CREATE TABLE requests (id INTEGER PRIMARY KEY, time REAL NOT NULL, request TEXT, boot TEXT, mono REAL);
      CREATE TABLE holds (name TEXT PRIMARY KEY, kind TEXT NOT NULL, since REAL NOT NULL, expires REAL NOT NULL,
        status INTEGER, message TEXT, boot TEXT, mono REAL);
      CREATE TABLE readings (prm TEXT NOT NULL, kind TEXT NOT NULL, time INTEGER NOT NULL, day INTEGER NOT NULL,
        date TEXT NOT NULL, value INTEGER NOT NULL, step INTEGER, nature TEXT, quality TEXT, fetched REAL NOT NULL,
        PRIMARY KEY (prm, kind, time)) WITHOUT ROWID;
      CREATE TABLE days (prm TEXT NOT NULL, kind TEXT NOT NULL, day INTEGER NOT NULL, quality TEXT,
        fetched REAL NOT NULL, PRIMARY KEY (prm, kind, day)) WITHOUT ROWID;
      PRAGMA user_version = 2;
    ]] .. ("PRAGMA application_id = %d;"):format(0x4C4E4B59))) -- "LNKY", as docs/ban-safety.md says
    local days = {}
    for _, d in ipairs { { "2026-11-20", 10 }, { "2026-11-21", 48 }, { "2026-10-25", 50 } } do
      local day = core.day_number(d[1])
      days[#days + 1] = day
      local midnight = core.to_epoch(d[1] .. " 00:00:00")
      for i = 1, d[2] do
        assert(db:rows("INSERT INTO readings VALUES (?, 'consumption_load_curve', ?, ?, 'x', 1, 1800, 'B', 'BRUT', 0)",
          emu.PRM1, midnight + 1800 * i, day))
      end
      assert(db:rows("INSERT INTO days VALUES (?, 'consumption_load_curve', ?, 'BRUT', 0)", emu.PRM1, day))
    end
    db:close()
    db = assert(db_.open(t.path))
    local k = store.known(db, emu.PRM1, "consumption_load_curve", days[3], days[2] + 1)
    db:close()
    assert.equal("incomplete", k[days[1]].status)
    assert.equal("complete", k[days[2]].status)
    assert.equal("complete", k[days[3]].status)
  end)
end)
