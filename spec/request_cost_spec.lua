-- What one request costs the state file, counted rather than timed (docs/performance.md, "Per
-- request"): commits, statements compiled, schema and pragma statements, and SQLite's virtual
-- machine steps (`db:stats()`), so that a regression fails here whatever the machine's load.
local core = require "linky.core"
local db_ = require "linky.db"
local dates = require "linky.dates"
local ledger = require "linky.ledger"
local simulated = require "spec.support.simulated"

-- The SQL texts the Lua side runs that touch the schema or a pragma.
local function schema_or_pragma(sql)
  local s = sql:lower()
  return s:find("pragma", 1, true) or s:find("^%s*create") or s:find("^%s*alter") or s:find("^%s*drop")
    or s:find("sqlite_master", 1, true) or s:find("user_version", 1, true)
end

-- The median of a list of numbers.
local function median(list)
  table.sort(list)
  return list[math.ceil(#list / 2)]
end

-- The SQL statements of a stored one-request call (budget on) after the first.
local STATEMENTS = 9

describe("linky per request", function()
  local t = simulated.new()
  setup(t.start) teardown(t.stop) before_each(t.fresh) after_each(t.clean)

  it("commits twice per stored request and compiles nothing, no schema nor pragma, after the first",
    function()
      -- the state database of the client (every state file is opened through core.open_sqlite)
      local handles, open = {}, core.open_sqlite
      core.open_sqlite = function(...)
        local db, a, b, c = open(...)
        if db then handles[#handles + 1] = db end
        return db, a, b, c
      end
      -- every SQL text the Lua side runs
      local texts, originals, versions = {}, {}, 0
      finally(function()
        core.open_sqlite = open
        local methods = handles[1] and getmetatable(handles[1]).__index
        for name, f in pairs(originals) do methods[name] = f end
      end)
      local c = t.client() -- the defaults: the store, the cache, the budget, the 2026 API
      local first = dates.day("2026-10-01")
      assert(c:daily_consumption(dates.format(first), dates.format(first + 1)))
      assert.equal(1, #handles)
      local db = handles[1]
      local methods = getmetatable(db).__index
      for _, name in ipairs { "exec", "rows", "run_many", "insert" } do
        originals[name] = methods[name]
        methods[name] = function(self, sql, ...)
          texts[#texts + 1] = sql
          return originals[name](self, sql, ...)
        end
      end
      originals.data_version = methods.data_version
      methods.data_version = function(self)
        versions = versions + 1
        return originals.data_version(self)
      end
      local before = db:stats()
      local n = 20
      for i = 1, n do
        local day = first + i
        local res = assert(c:daily_consumption(dates.format(day), dates.format(day + 1)))
        assert.equal(1, res.requests)
        assert.equal(1, #res.points)
      end
      local after = db:stats()
      assert.equal(n + 1, #t.server:api_requests())
      -- the ledger's admission, then the readings: never merged, never more
      assert.equal(2 * n, after.commits - before.commits)
      assert.equal(0, after.compiled - before.compiled)
      -- the store's read of the days; the admission (BEGIN, the budget's rows, the insert, whose
      -- id db:insert returns, COMMIT: the holds are not read again, nobody wrote one); the
      -- readings (BEGIN, two upserts, COMMIT)
      assert.equal(STATEMENTS * n, #texts)
      assert.equal(n, versions) -- the data version, once per admission: whether to read the holds
      local schema = {}
      for _, sql in ipairs(texts) do
        if schema_or_pragma(sql) then schema[#schema + 1] = sql end
      end
      assert.same({}, schema)
      c:close()
    end)

  it("reads the holds at an admission only after another connection committed or a hold was noted",
    function()
    local db = assert(db_.open(t.path))
    local other = assert(db_.open(t.path))
    finally(function() db:close() other:close() end)
    local methods = getmetatable(db).__index
    local rows, reads = methods.rows, 0
    finally(function() methods.rows = rows end)
    methods.rows = function(self, sql, ...)
      if self == db and sql:find("^SELECT %* FROM holds") then reads = reads + 1 end
      return rows(self, sql, ...)
    end
    local now = t.now
    local function admit(d)
      now = now + 1
      return ledger.admit(d or db, now, false, "GET /api/x", {})
    end
    for _ = 1, 5 do assert(admit()) end
    assert.equal(1, reads)
    -- another connection's ban is seen at the next admission: it wrote since
    assert(ledger.note(other, now, { kind = "banned", status = 403 }, {}))
    local id, err = admit()
    assert.is_nil(id)
    assert.equal("banned", err.kind)
    assert.equal(2, reads)
    assert.equal("banned", select(2, admit()).kind)
    assert.equal(2, reads)
    assert(ledger.clear_ban(other))
    assert(admit())
    assert.equal(3, reads)
    -- another connection's commit of anything else: read again (the version says a commit, not what)
    assert(admit(other))
    assert(admit())
    assert.equal(4, reads)
    -- this connection's own note and clear_ban
    assert(ledger.note(db, now, { kind = "rate_limited", status = 429 }, {}))
    assert.equal("rate_limited", select(2, admit()).kind)
    assert.equal(5, reads)
    now = now + ledger.COOLDOWN -- the cool-down ends with time: the rows are kept, the clock reread
    assert(admit())
    assert.equal(5, reads)
    assert(ledger.note(db, now, { kind = "banned", status = 403 }, {}))
    assert.equal("banned", select(2, admit()).kind)
    assert.equal(6, reads)
    assert(ledger.clear_ban(db))
    assert(admit())
    assert.equal(7, reads)
  end)

  it("keeps a private state's pages small: the in-memory journal copies each one an admission dirties",
    function()
    local db = assert(db_.open(false))
    finally(function() db:close() end)
    assert.equal(db_.PRIVATE_PAGE_SIZE, db:rows("PRAGMA page_size")[1].page_size)
    assert.is_true(db_.PRIVATE_PAGE_SIZE < 4096)
    local file = assert(db_.open(t.path))
    finally(function() file:close() end)
    assert.equal(4096, file:rows("PRAGMA page_size")[1].page_size) -- a file keeps SQLite's default
  end)

  it("admits a request with the same work whatever the ledger's size", function()
    local db = assert(db_.open(t.path))
    finally(function() db:close() end)
    -- the SQLite steps of `n` admissions from the ledger's `id`-th row on
    local id = 0
    local function steps(n)
      local out = {}
      for i = 1, n do
        id = id + 1
        local before = db:stats().vm_steps
        assert.is_number((ledger.admit(db, t.now + id, false, "GET /api/x", {})))
        out[i] = db:stats().vm_steps - before
      end
      return out
    end
    steps(100)
    local small = median(steps(ledger.PRUNE_EVERY))
    steps(ledger.KEEP_ROWS)
    local large = median(steps(ledger.PRUNE_EVERY))
    -- the prune walks the newest KEEP_ROWS rows: once in PRUNE_EVERY admissions, not each time
    assert.is_true(large <= small * 1.2, ("%d steps at 164 rows, %d at 1,264"):format(small, large))
  end)
end)
